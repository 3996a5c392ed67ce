"""Unicode scripts: which characters make words of which script, and what a script says about language.

A script settles the language when only one supported language writes with it: Hangul is Korean, kana
is Japanese, Devanagari is Hindi, Cyrillic is Russian, the Arabic script is Arabic. A few letters that
only a neighbouring language uses move a run to that language (Ukrainian ``ї``, Persian ``گ``, Urdu
``ے`` …), so such text does not count as the supported one. Han ideographs are Chinese, Japanese or
Korean by context (see :func:`han_language`). The Latin script is shared by English, French, German,
Spanish, Portuguese and Italian and needs a detector (:mod:`rlvr.verifiers.language.detect`).

Known limits: Bulgarian, Kyrgyz and other Cyrillic languages without letters of their own count as
Russian; Marathi and Nepali count as Hindi; Latin-script languages other than the six are judged as the
closest of the six.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

#: The languages a target may be (ISO 639-1).
SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "en",
    "zh",
    "ja",
    "ko",
    "ru",
    "fr",
    "de",
    "es",
    "pt",
    "it",
    "ar",
    "hi",
)
#: The supported languages written in the Latin script; a detector tells them apart.
LATIN_LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "es", "pt", "it")

# Script names of word runs.
LATIN = "latin"
HAN = "han"
KANA = "kana"
HANGUL = "hangul"
CYRILLIC = "cyrillic"
ARABIC = "arabic"
DEVANAGARI = "devanagari"
UNSEGMENTED = "unsegmented"  # Thai, Lao, Khmer, Myanmar, Tibetan: no spaces between words
OTHER = "other"  # any other letters: Greek, Hebrew, Armenian, Georgian, other Indic scripts …

#: Scripts counted one word per character (written without spaces between words).
PER_CHARACTER_SCRIPTS: frozenset[str] = frozenset({HAN, KANA, UNSEGMENTED})

#: Label of words in a script no supported language uses, and of Latin words left unidentified.
OTHER_LANGUAGE = "other"
#: Label of Latin-script words whose language was not needed (the target is not a Latin language).
LATIN_UNIDENTIFIED = "latin"

# Character classes (bodies of regex ``[...]`` sets). Letters start a word; marks may continue one.
_COMBINING = "\u0300-\u036f"
LATIN_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
LATIN_MARKS = _COMBINING
HAN_CHARS = (
    "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
KANA_CHARS = (
    "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d\U0001b000-\U0001b16f"
)
HANGUL_CHARS = "\uac00-\ud7a3\u1100-\u11ff\u3131-\u318e\ua960-\ua97c\ud7b0-\ud7fb"
CYRILLIC_LETTERS = "\u0400-\u0481\u048a-\u052f\u1c80-\u1c88\ua640-\ua66e\ua680-\ua69d"
CYRILLIC_MARKS = _COMBINING + "\u0483-\u0489"
ARABIC_LETTERS = (
    "\u0620-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff"
    "\u0750-\u077f\u08a0-\u08c9\ufb50-\ufdfb\ufe70-\ufefc"
)
ARABIC_MARKS = (
    "\u0610-\u061a\u0640\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u08ca-\u08ff"
)
DEVANAGARI_LETTERS = "\u0904-\u0939\u093d\u0950\u0958-\u0961\u0971-\u097f\ua8f2-\ua8f7\ua8fb\ua8fd\ua8fe"
DEVANAGARI_MARKS = (
    "\u0900-\u0903\u093a-\u093c\u093e-\u094f\u0951-\u0957\u0962\u0963\ua8e0-\ua8f1\ua8ff\u200c\u200d"
)
UNSEGMENTED_CHARS = (
    "\u0e01-\u0e3a\u0e40-\u0e4e\u0e81-\u0ecf\u0f00-\u0f1f\u0f40-\u0fbc\u1000-\u103f\u1050-\u108f\u1780-\u17d3"
)

# Letters that only a neighbouring language writes: their presence moves a run to that language.
_CYRILLIC_MARKERS: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys("ў", "be"),
        **dict.fromkeys("іїєґ", "uk"),
        **dict.fromkeys("ђћљњџј", "sr"),
        **dict.fromkeys("ѓќѕ", "mk"),
        **dict.fromkeys("әғқңөұүһ", "kk"),
    }
)
_ARABIC_MARKERS: Mapping[str, str] = MappingProxyType(
    {**dict.fromkeys("ٹڈڑںےھ", "ur"), **dict.fromkeys("پچژگکی", "fa")}
)
_CYRILLIC_MARKER_RE = re.compile("[" + "".join(_CYRILLIC_MARKERS) + "".join(_CYRILLIC_MARKERS).upper() + "]")
_URDU_RE = re.compile("[" + "".join(c for c, lang in _ARABIC_MARKERS.items() if lang == "ur") + "]")
_PERSIAN_RE = re.compile("[" + "".join(c for c, lang in _ARABIC_MARKERS.items() if lang == "fa") + "]")
# "ў" decides before "і" (Belarusian writes both); the first marker found decides otherwise.
_BELARUSIAN_RE = re.compile("[ўЎ]")


def cyrillic_language(run: str) -> str:
    """The language of a run of Cyrillic words: Russian unless a letter Russian lacks says otherwise.

    Example:
        >>> cyrillic_language("Сначала найдём сумму"), cyrillic_language("Спочатку знайдемо її")
        ('ru', 'uk')
    """
    if _BELARUSIAN_RE.search(run):
        return "be"
    marker = _CYRILLIC_MARKER_RE.search(run)
    return "ru" if marker is None else _CYRILLIC_MARKERS[marker.group().lower()]


def arabic_language(run: str) -> str:
    """The language of a run of Arabic-script words: Arabic unless Persian or Urdu letters show.

    Example:
        >>> arabic_language("نحسب العدد الكلي"), arabic_language("این یک مثال است")
        ('ar', 'fa')
    """
    if _URDU_RE.search(run):
        return "ur"
    if _PERSIAN_RE.search(run):
        return "fa"
    return "ar"


def han_language(*, sentence_has_kana: bool, sentence_has_hangul: bool, text_is_japanese: bool) -> str:
    """The language of Han ideographs, decided by their context.

    Japanese mixes kanji with kana in almost every sentence; Chinese never writes kana; Korean rarely
    writes hanja, and then among Hangul. So Han characters are Japanese in a sentence with kana, Korean
    in a sentence with Hangul, and otherwise Japanese when kana make up a fifth or more of the whole
    text's Han and kana characters (a kana-less heading in a Japanese text), else Chinese.

    Example:
        >>> han_language(sentence_has_kana=False, sentence_has_hangul=False, text_is_japanese=False)
        'zh'
        >>> han_language(sentence_has_kana=True, sentence_has_hangul=False, text_is_japanese=False)
        'ja'
    """
    if sentence_has_kana:
        return "ja"
    if sentence_has_hangul:
        return "ko"
    return "ja" if text_is_japanese else "zh"


#: Kana share of a text's Han and kana characters from which kana-less sentences count as Japanese.
JAPANESE_KANA_SHARE = 0.2

#: The language each script settles on its own (the others need context or a detector).
SCRIPT_LANGUAGE: Mapping[str, str] = MappingProxyType(
    {KANA: "ja", HANGUL: "ko", DEVANAGARI: "hi", UNSEGMENTED: OTHER_LANGUAGE, OTHER: OTHER_LANGUAGE}
)
