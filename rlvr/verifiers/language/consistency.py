"""The share of a chain of thought's words that are in the target language (DeepSeek-R1's reward).

Each word gets a language (see the package docstring): by its script where the script settles it, by
the kana or Hangul around Han characters, and for Latin-script runs by their function words or the
detector. A Latin run of one or two words that its function words do not settle takes the language of
the nearest longer Latin run of the text (a "Wait," between English sentences stays English); only when
there is none is it detected by itself. When the target is not a Latin-script language, Latin words
are simply not the target and no detector is needed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from rlvr.verifiers.language import scripts as sc
from rlvr.verifiers.language.detect import decide_by_function_words, latin_detector
from rlvr.verifiers.language.words import MAX_LATIN_RUN_WORDS, Run, split_runs, strip_non_words
from rlvr.verifiers.verdict import Verdict

#: Fewer countable words than this and the share is not judged (``None``): one word more or less would
#: move it by more than 0.1.
MIN_WORDS = 10
#: Latin runs shorter than this take their language from their context when function words do not
#: settle it; a detector misjudges one word in four, two words in eight (BENCHMARKS.md).
MIN_CONTEXT_WORDS = 3

_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        **{code: code for code in sc.SUPPORTED_LANGUAGES},
        **dict.fromkeys(("eng", "english"), "en"),
        **dict.fromkeys(("zho", "chi", "cmn", "chinese"), "zh"),
        **dict.fromkeys(("jpn", "japanese"), "ja"),
        **dict.fromkeys(("kor", "korean"), "ko"),
        **dict.fromkeys(("rus", "russian"), "ru"),
        **dict.fromkeys(("fra", "fre", "french"), "fr"),
        **dict.fromkeys(("deu", "ger", "german"), "de"),
        **dict.fromkeys(("spa", "spanish"), "es"),
        **dict.fromkeys(("por", "portuguese"), "pt"),
        **dict.fromkeys(("ita", "italian"), "it"),
        **dict.fromkeys(("ara", "arabic"), "ar"),
        **dict.fromkeys(("hin", "hindi"), "hi"),
    }
)


def normalize_language(code: str) -> str:
    """The ISO 639-1 code of a supported language given as a code, a tag with region or script, or a name.

    Raises:
        ValueError: the language is not supported.

    Example:
        >>> normalize_language("zh-Hans"), normalize_language("pt_BR"), normalize_language("French")
        ('zh', 'pt', 'fr')
    """
    key = code.strip().lower().replace("_", "-").split("-", 1)[0] if isinstance(code, str) else None
    if key not in _ALIASES:
        raise ValueError(f"unsupported language {code!r}; supported: {', '.join(sc.SUPPORTED_LANGUAGES)}")
    return _ALIASES[key]


@dataclass(frozen=True)
class WordCounts:
    """Countable words of a text by language.

    ``counts`` maps ISO 639-1 codes to word counts; ``"latin"`` holds Latin-script words whose language
    was not needed, ``"other"`` words of scripts no supported language writes.

    Example:
        >>> WordCounts({"en": 8, "zh": 2}).share("en")
        0.8
    """

    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, language: str) -> float:
        """The share of words in ``language`` (0.0 for a text with no words)."""
        total = self.total
        return self.counts.get(language, 0) / total if total else 0.0

    def majority(self) -> str | None:
        """The language with the most words, or ``None`` for a text with no words."""
        return max(self.counts, key=self.counts.__getitem__) if self.counts else None

    def describe(self, target: str) -> str:
        """A one-line summary: the target's share and the other languages found."""
        others = sorted(((n, lang) for lang, n in self.counts.items() if lang != target), reverse=True)
        text = f"{self.share(target):.2f} of {self.total} words in {target}"
        return text + ("; others: " + ", ".join(f"{lang} {n}" for n, lang in others) if others else "")


def _latin_languages(runs: Sequence[Run], detector_languages: tuple[str, ...]) -> list[str]:
    """One language per Latin run; short runs take their context's language (see the module docstring)."""
    detector = latin_detector(detector_languages)
    decided: list[str | None] = [
        detector.language(run.text)
        if run.words >= MIN_CONTEXT_WORDS
        else decide_by_function_words(run.text.split(), short=True)
        for run in runs
    ]
    if all(language is None for language in decided):  # no context: the short runs together, detected
        words = " ".join(run.text for run in runs).split()
        return [detector.detect(" ".join(words[:MAX_LATIN_RUN_WORDS]))] * len(runs)
    previous: str | None = None
    for index, language in enumerate(decided):  # forward: the nearest decided run before
        if language is None:
            decided[index] = previous
        else:
            previous = language
    following: str | None = None
    for index in range(len(decided) - 1, -1, -1):  # backward: runs before the first decided one
        if decided[index] is None:
            decided[index] = following
        else:
            following = decided[index]
    return decided  # type: ignore[return-value]  # every entry is set once one run is decided


def count_words(text: str, *, target: str | None = None) -> WordCounts:
    """The countable words of ``text`` by language.

    ``target`` only saves work: when it is not a Latin-script language, Latin words are counted as
    ``"latin"`` without telling their language apart.

    Example:
        >>> count_words("Wait, 我们先算 $x^2$ 的值。", target="zh").counts
        {'zh': 6, 'latin': 1}
        >>> dict(count_words("So the sum is $3$. Donc la somme vaut trois.", target="fr").counts)
        {'en': 4, 'fr': 5}
    """
    runs = split_runs(strip_non_words(text))
    counts: Counter[str] = Counter()
    latin_runs: list[Run] = []
    japanese = kana_sentences = hangul_sentences = None
    for run in runs:
        script = run.script
        if script == sc.LATIN:
            latin_runs.append(run)
            continue
        if script == sc.HAN:
            if kana_sentences is None:
                kana_sentences = {r.sentence for r in runs if r.script == sc.KANA}
                hangul_sentences = {r.sentence for r in runs if r.script == sc.HANGUL}
                kana = sum(r.words for r in runs if r.script == sc.KANA)
                han = sum(r.words for r in runs if r.script == sc.HAN)
                japanese = kana > 0 and kana >= sc.JAPANESE_KANA_SHARE * (kana + han)
            language = sc.han_language(
                sentence_has_kana=run.sentence in kana_sentences,
                sentence_has_hangul=run.sentence in hangul_sentences,  # type: ignore[operator]
                text_is_japanese=bool(japanese),
            )
        elif script == sc.CYRILLIC:
            language = sc.cyrillic_language(run.text)
        elif script == sc.ARABIC:
            language = sc.arabic_language(run.text)
        else:
            language = sc.SCRIPT_LANGUAGE[script]
        counts[language] += run.words
    if latin_runs:
        if target is not None and target not in sc.LATIN_LANGUAGES:
            counts[sc.LATIN_UNIDENTIFIED] += sum(run.words for run in latin_runs)
        else:
            for run, language in zip(
                latin_runs, _latin_languages(latin_runs, sc.LATIN_LANGUAGES), strict=True
            ):
                counts[language] += run.words
    return WordCounts(dict(counts))


def detect_language(text: str) -> str | None:
    """The language most of the words of ``text`` are in (``None`` when it has none).

    Used to find the target language from a prompt; it can name an unsupported language (``"uk"``,
    ``"other"``), which the caller rejects.

    Example:
        >>> detect_language("Combien de pommes reste-t-il dans le panier ?"), detect_language("$1+1$")
        ('fr', None)
    """
    return count_words(text).majority()


def language_consistency(text: str, target: str, *, min_words: int = MIN_WORDS) -> Verdict:
    """The share of the words of ``text`` (a chain of thought) that are in the ``target`` language.

    ``None`` when fewer than ``min_words`` countable words remain once code, math, numbers and
    identifiers are dropped. The reason names the share and the other languages found; it is empty
    when every word is in the target language.

    Raises:
        ValueError: ``target`` is not a supported language.

    Example:
        >>> language_consistency("We need the sum, so we add $a+b$ and then check it twice.", "en")
        Verdict(score=1.0, reason='')
        >>> language_consistency("先计算总和，再 check the result again.", "zh").score
        0.6
        >>> language_consistency("x = 2", "en").reason
        'only 0 countable words (minimum 10)'
    """
    target = normalize_language(target)
    counts = count_words(text, target=target)
    if counts.total < min_words:
        word = "word" if counts.total == 1 else "words"
        return Verdict.unjudged(f"only {counts.total} countable {word} (minimum {min_words})")
    share = counts.share(target)
    return Verdict(share, "" if share == 1.0 else counts.describe(target))
