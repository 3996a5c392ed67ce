"""``rlvr bench math``: how fast rlvr verifies math answers, against Math-Verify in the same run.

Items (deterministic, every (gold, answer) pair distinct, shuffled with a fixed seed):

- **(a) GSM8K-style integers**: GSM8K test golds against extracted integer answers — the gold itself,
  the gold with thousands separators (or as ``n.0``, as tool-integrated models print it), n+1, and
  another problem's gold;
- **(b) MATH-500**: MATH-500 golds against the gold itself, its rewrites (``\\dfrac``, ``a/b``, decimals,
  spacing, reordered sets, ...) and its near-miss corruptions (n+1, another fraction, a swapped tuple, a
  flipped bracket, ...: wrong answers of the gold's own kind, as real wrong answers mostly are).

Measured, each as the median of ``repeats`` timed runs after a warm-up:

- **single process**: rlvr's ``check_answer(gold, answer)`` (fast path and sympy, in-process) against
  Math-Verify's ``verify(parse("\\\\boxed{gold}"), parse("\\\\boxed{answer}"))`` with its default timeouts in
  the main thread — nothing pre-parsed, parsing is part of the cost. Verifications/s and the p50/p99
  latency of one item.
- **through the pool** (W workers): the ``MathAccuracyReward`` (fast path in-process, symbolic answers in
  W executor workers under a hard deadline, cache off) on ``\\boxed{answer}`` completions, against the same
  Math-Verify call mapped over a warm ``ProcessPoolExecutor(W)``.
- **end to end**: 1,024 distinct MATH completions (the 724 distinct Qwen2.5-Math outputs of the labelled
  development set, then MATH-500 reference solutions) scored by ``math_accuracy`` — cold (a new reward:
  worker start-up included), warm with the cache off, and warm on a batch already seen (cache on) —
  against Math-Verify
  (``parse(completion)``, ``parse("\\\\boxed{gold}")``, ``verify``) in one process and through a
  ``ProcessPoolExecutor(W)``, cold (pool start-up and imports included) and warm.

- **whole process**: a 1,000-line ``rlvr score math`` input file (MATH-500 golds, each boxed once as
  itself and once as its first rewrite or near miss) scored by ``rlvr score math`` as a new Python process
  — interpreter start, imports, worker start if any item needs one, output written — against the same
  file scored by a Python process that imports Math-Verify and runs ``parse``/``verify`` on every line.
  Wall time from process start to exit, the two alternating, median of ``repeats`` runs each. Both run
  with a bytecode cache (a temporary ``PYTHONPYCACHEPREFIX``, filled by one untimed run of each), as
  installed packages do, whatever ``PYTHONDONTWRITEBYTECODE`` says in the calling environment.

Caches: rlvr's executor cache is off except where named. Math-Verify keeps a 20-entry LRU of parsed
LaTeX strings and sympy its own caches; both graders run the same items in the same process, so sympy's
caches serve both alike, and shuffled distinct pairs keep Math-Verify's 20-entry cache mostly cold (as it
is in training, where golds change with every prompt).
"""

from __future__ import annotations

import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rlvr.bench.base import (
    BenchReport,
    alternate,
    check_counts,
    headline,
    machine_description,
    median_seconds,
    stopwatch,
    today,
    worker_count,
)
from rlvr.bench.math_agreement import math_verify_judge
from rlvr.bench.math_data import default_data_dir, gsm8k_golds, math500_golds, read_jsonl
from rlvr.bench.math_rewrites import math_rewrites
from rlvr.executor import ExecutorConfig

TARGET_RATIO = 10.0
DEV_COMPLETIONS_FILE = "outputs_math_qwen25_rm_maj_example.jsonl"
MATH500_FILE = "math500_test.jsonl"

Pair = tuple[str, str]


@dataclass(frozen=True)
class MathBenchConfig:
    """Options of ``rlvr bench math`` (each field is a CLI option).

    Attributes:
        items: (gold, answer) pairs per set and timed run (``--items``); fewer when a set has fewer.
        repeats: timed runs; the median is reported (``--repeats``).
        workers: worker processes for both pools (``--workers``; default: usable CPUs).
        completions: completions in the end-to-end run (``--completions``; 0 skips it).
        data_dir: folder with the Qwen2.5-Math outputs and ``math500_test.jsonl`` for the end-to-end run
            (``--data-dir``; default ``$RLVR_DATA_DIR``, else ``../shared/data``).
        seed: the shuffle of the pairs (``--seed``).
        score_lines: lines of the whole-process ``rlvr score math`` file (``--score-lines``; 0 skips it).

    Example:
        >>> MathBenchConfig(repeats=0)
        Traceback (most recent call last):
        ...
        ValueError: --repeats must be an integer >= 1, got 0
    """

    items: int = 2000
    repeats: int = 5
    workers: int | None = None
    completions: int = 1024
    data_dir: str | None = None
    seed: int = 0
    score_lines: int = 1000

    def __post_init__(self) -> None:
        minimums = {"items": 1, "repeats": 1, "completions": 0, "score_lines": 0, "workers": 1}
        check_counts(self, minimums, optional=["workers"])


# -- items -----------------------------------------------------------------------------------------------


def _unique_shuffled(
    pairs: list[tuple[str, str, bool]], limit: int, seed: int
) -> list[tuple[str, str, bool]]:
    unique = list(dict.fromkeys(pairs))
    random.Random(seed).shuffle(unique)
    return unique[:limit]


def gsm8k_pairs(limit: int, seed: int = 0) -> list[tuple[str, str, bool]]:
    """(gold, answer, equivalent) triples of GSM8K-style integer answers, distinct and shuffled.

    Example:
        >>> triples = gsm8k_pairs(200)
        >>> len(triples), all(float(a.replace(",", "")).is_integer() for _, a, _ in triples)
        (200, True)
    """
    golds = [g.answer for g in gsm8k_golds()]
    triples = []
    for index, gold in enumerate(golds):
        value = int(gold)
        triples.append((gold, gold, True))
        triples.append((gold, f"{value:,}" if abs(value) >= 1000 else f"{value}.0", True))
        triples.append((gold, str(value + 1), False))
        other = golds[(index * 7 + 3) % len(golds)]
        triples.append((gold, other, other == gold))
    return _unique_shuffled(triples, limit, seed)


def math500_pairs(limit: int, seed: int = 0) -> list[tuple[str, str, bool]]:
    """(gold, answer, equivalent) triples for MATH-500: the gold, its rewrites and its near-misses (wrong
    answers of the gold's own kind, as real wrong answers mostly are).

    Example:
        >>> triples = math500_pairs(100)
        >>> len(triples), len(set(triples))
        (100, 100)
    """
    triples = []
    for gold in (g.answer for g in math500_golds()):
        triples.append((gold, gold, True))
        triples += [(gold, r.text, r.equivalent) for r in math_rewrites(gold)]
    return _unique_shuffled(triples, limit, seed)


def e2e_completions(count: int, data_dir: Path) -> list[tuple[str, str]]:
    """``count`` distinct (completion, gold) MATH items: the distinct Qwen2.5-Math development outputs
    (724 of the 800: sampled answers repeat), then MATH-500 reference solutions, then (only if still short)
    outputs with trailing newlines added."""
    rows = read_jsonl(data_dir / DEV_COMPLETIONS_FILE)
    items = list(dict.fromkeys((r["model_output"], r["gold_answer"]) for r in rows))[:count]
    math500 = data_dir / MATH500_FILE
    if len(items) < count and math500.exists():
        items += [(r["solution"], r["answer"]) for r in read_jsonl(math500, count - len(items))]
    items = list(dict.fromkeys(items))
    base = list(items)
    copy = 0
    while len(items) < count:
        copy += 1
        items += [(text + "\n" * copy, gold) for text, gold in base[: count - len(items)]]
    return items[:count]


# -- peers (module level: they run in worker processes) -------------------------------------------------


def _warm_math_verify() -> None:
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    math_verify_judge("\\frac{1}{2}", "0.5", True)


def math_verify_end_to_end(completion: str, gold: str) -> bool:
    """Math-Verify end to end: ``verify(parse("\\\\boxed{gold}"), parse(completion))``."""
    return bool(math_verify_judge(gold, completion, False))


def _math_verify_pair(gold: str, answer: str) -> bool:
    return bool(math_verify_judge(gold, answer, True))


# -- report ----------------------------------------------------------------------------------------------


@dataclass
class SetResult:
    """One item set: single process and pool, rlvr and Math-Verify."""

    name: str
    items: int
    equivalent_share: float
    rlvr_fast_share: float = 0.0
    rlvr_per_s: float = 0.0
    rlvr_p50_us: float = 0.0
    rlvr_p99_us: float = 0.0
    peer_per_s: float = 0.0
    peer_p50_us: float = 0.0
    peer_p99_us: float = 0.0
    rlvr_pool_per_s: float = 0.0
    peer_pool_per_s: float = 0.0
    rlvr_peer_disagreements: int = 0

    @property
    def ratio(self) -> float:
        return self.rlvr_per_s / self.peer_per_s if self.peer_per_s else 0.0

    @property
    def pool_ratio(self) -> float:
        return self.rlvr_pool_per_s / self.peer_pool_per_s if self.peer_pool_per_s else 0.0


@dataclass
class EndToEndResult:
    """Seconds to score the end-to-end batch."""

    completions: int
    rlvr_cold_s: float = 0.0
    rlvr_warm_s: float = 0.0
    rlvr_warm_cached_s: float = 0.0
    rlvr_pool_share: float = 0.0
    rlvr_workers_started: int = 0
    rlvr_first_symbolic_s: float = 0.0
    peer_single_s: float = 0.0
    peer_pool_cold_s: float = 0.0
    peer_pool_warm_s: float = 0.0
    rlvr_mean: float = 0.0
    peer_mean: float = 0.0


@dataclass
class WholeProcessResult:
    """Wall time of scoring one file in a new process, both graders (seconds, medians)."""

    lines: int
    rlvr_s: float = 0.0
    peer_s: float = 0.0
    rlvr_mean: float = 0.0
    peer_mean: float = 0.0
    rlvr_workers_needed: int = 0

    @property
    def ratio(self) -> float:
        return self.peer_s / self.rlvr_s if self.rlvr_s else 0.0


@dataclass
class MathBenchReport(BenchReport):
    """The figures of one run of ``rlvr bench math`` (``markdown()``, ``to_json()``)."""

    repeats: int
    workers: int
    machine: str
    date: str
    command: str = "rlvr bench math"
    sets: list[SetResult] = field(default_factory=list)
    end_to_end: EndToEndResult | None = None
    whole_process: WholeProcessResult | None = None
    raw: dict[str, list[float]] = field(default_factory=dict)

    def markdown(self) -> str:
        """The report as Markdown tables."""
        w = self.workers
        details = f"medians of {self.repeats} runs; pools of {w} workers; target: rlvr >= "
        details += f"{TARGET_RATIO:g}x Math-Verify"
        lines = [
            headline(self.command, self.machine, self.date, details),
            "",
            "| item set | measure | rlvr | Math-Verify | rlvr / Math-Verify |",
            "|---|---|---|---|---|",
        ]
        for s in self.sets:
            name = f"{s.name} ({s.items} pairs)"
            lines += [
                f"| {name} | 1 process: verifications/s | {s.rlvr_per_s:,.0f} | {s.peer_per_s:,.0f} | "
                f"**{s.ratio:.1f}x** |",
                f"| {name} | 1 process: p50 latency | {s.rlvr_p50_us:,.1f} µs | {s.peer_p50_us:,.0f} µs | "
                f"{_ratio(s.peer_p50_us, s.rlvr_p50_us)} |",
                f"| {name} | 1 process: p99 latency | {s.rlvr_p99_us:,.0f} µs | {s.peer_p99_us:,.0f} µs | "
                f"{_ratio(s.peer_p99_us, s.rlvr_p99_us)} |",
                f"| {name} | {w} workers: verifications/s | {s.rlvr_pool_per_s:,.0f} | "
                f"{s.peer_pool_per_s:,.0f} | **{s.pool_ratio:.1f}x** |",
            ]
        e = self.end_to_end
        if e is not None:
            name = f"end to end, {e.completions} MATH completions"
            lines += [
                f"| {name} | cold: new reward / new pool, start-up included | {e.rlvr_cold_s:.2f} s | "
                f"{e.peer_pool_cold_s:.2f} s | {_ratio(e.peer_pool_cold_s, e.rlvr_cold_s)} |",
                f"| {name} | warm, rlvr cache off, {w} workers | {e.rlvr_warm_s:.3f} s | "
                f"{e.peer_pool_warm_s:.2f} s | {_ratio(e.peer_pool_warm_s, e.rlvr_warm_s)} |",
                f"| {name} | warm, batch seen before (rlvr cache on) | {e.rlvr_warm_cached_s:.3f} s | "
                f"{e.peer_pool_warm_s:.2f} s | {_ratio(e.peer_pool_warm_s, e.rlvr_warm_cached_s)} |",
                f"| {name} | rlvr warm ({w} workers) vs Math-Verify in 1 process | {e.rlvr_warm_s:.3f} s | "
                f"{e.peer_single_s:.2f} s | {_ratio(e.peer_single_s, e.rlvr_warm_s)} |",
            ]
        p = self.whole_process
        if p is not None:
            lines.append(
                f"| whole process, {p.lines}-line file | `rlvr score math` vs a Math-Verify script: wall "
                f"time, process start to exit | {p.rlvr_s:.2f} s | {p.peer_s:.2f} s | **{p.ratio:.1f}x** |"
            )
        lines.append("")
        for s in self.sets:
            lines.append(
                f"- {s.name}: {100 * s.equivalent_share:.0f}% of the pairs are equivalent; rlvr decided "
                f"{100 * s.rlvr_fast_share:.1f}% in its in-process fast path (the rest with sympy); the two "
                f"graders' verdicts differ on {s.rlvr_peer_disagreements} pairs."
            )
        if e is not None:
            lines.append(
                f"- end to end: {100 * e.rlvr_pool_share:.1f}% of the completions went to rlvr's workers "
                f"({e.rlvr_workers_started} worker processes started in the cold run: workers start only "
                f"when a batch holds a symbolic answer); a new reward's first symbolic judgement, worker "
                f"start-up and sympy import included, takes {e.rlvr_first_symbolic_s:.2f} s. Math-Verify's "
                f"cold pool forks from a process that has already imported it. Mean reward: rlvr "
                f"{e.rlvr_mean:.3f}, Math-Verify {e.peer_mean:.3f}."
            )
        if p is not None:
            workers = (
                "no worker process starts"
                if not p.rlvr_workers_needed
                else "worker processes start, overlapped with the fast path"
            )
            lines.append(
                f"- whole process: {p.lines} lines (MATH-500 golds boxed as themselves and as a rewrite or "
                f"near miss); {p.rlvr_workers_needed} of them need a worker process (sympy), so {workers}. "
                f"Mean reward: rlvr {p.rlvr_mean:.3f}, Math-Verify {p.peer_mean:.3f}."
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The fields, with every set's ratios."""
        data = super().to_dict()
        for entry, s in zip(data["sets"], self.sets, strict=True):
            entry.update(ratio=s.ratio, pool_ratio=s.pool_ratio)
        return data


def _ratio(peer: float, ours: float) -> str:
    return f"**{peer / ours:.1f}x**" if ours > 0 else "–"


# -- timing ----------------------------------------------------------------------------------------------


def _timed_loop(fn: Callable[[str, str], Any], pairs: Sequence[Pair]) -> tuple[float, list[float], list[Any]]:
    """Total seconds, per-item seconds and results of ``fn(gold, answer)`` over ``pairs``."""
    clock = time.perf_counter
    latencies = []
    results = []
    start = clock()
    for gold, answer in pairs:
        t = clock()
        results.append(fn(gold, answer))
        latencies.append(clock() - t)
    return clock() - start, latencies, results


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _rlvr_check(gold: str, answer: str) -> bool:
    from rlvr.verifiers.math import check_answer

    return check_answer(gold, answer).score == 1.0


def _clear_sympy_cache() -> None:
    from sympy.core.cache import clear_cache

    clear_cache()


def _single_process(
    graders: dict[str, Callable[[str, str], Any]],
    pairs: Sequence[Pair],
    repeats: int,
    raw: dict[str, list[float]],
) -> dict[str, tuple[float, float, float, list[Any]]]:
    """Per grader: median verifications/s, p50 and p99 latency (µs) over ``repeats`` runs, and the results.

    Every grader first makes one untimed pass over the items (sympy loads parts of itself on first use:
    a first call can cost 250 ms); then the graders take turns, and sympy's cache is emptied before every
    timed run, so that no run reuses another's simplifications.
    """
    for fn in graders.values():
        _timed_loop(fn, pairs)
    rounds = alternate(
        {name: partial(_one_pass, fn, pairs) for name, fn in graders.items()},
        repeats,
        before=lambda _round, _grader: _clear_sympy_cache(),
    )
    figures = {}
    for name, runs in rounds.items():
        raw[name] = [total for total, _, _, _ in runs]
        figures[name] = (
            statistics.median(len(pairs) / total for total, _, _, _ in runs),
            statistics.median(p50 for _, p50, _, _ in runs),
            statistics.median(p99 for _, _, p99, _ in runs),
            runs[-1][3],
        )
    return figures


def _one_pass(fn: Callable[[str, str], Any], pairs: Sequence[Pair]) -> tuple[float, float, float, list[Any]]:
    """One timed pass: total seconds, p50 and p99 latency (µs), and the results."""
    total, latencies, results = _timed_loop(fn, pairs)
    return total, _percentile(latencies, 0.50) * 1e6, _percentile(latencies, 0.99) * 1e6, results


def _boxed(answers: Sequence[str]) -> list[str]:
    return ["\\boxed{" + a + "}" for a in answers]


def _bench_set(
    name: str,
    triples: list[tuple[str, str, bool]],
    config: MathBenchConfig,
    workers: int,
    report: MathBenchReport,
) -> SetResult:
    from rlvr.rewards.math_reward import MathAccuracyReward

    pairs = [(g, a) for g, a, _ in triples]
    golds = [g for g, _ in pairs]
    answers = [a for _, a in pairs]
    result = SetResult(name, len(pairs), sum(e for _, _, e in triples) / len(triples))
    key = name.split()[0].lower()

    # single process
    raw: dict[str, list[float]] = {}
    timings = _single_process(
        {"rlvr": _rlvr_check, "math_verify": _math_verify_pair}, pairs, config.repeats, raw
    )
    for grader, seconds in raw.items():
        report.raw[f"{key}_{grader}"] = seconds
    result.rlvr_per_s, result.rlvr_p50_us, result.rlvr_p99_us, ours = timings["rlvr"]
    result.peer_per_s, result.peer_p50_us, result.peer_p99_us, theirs = timings["math_verify"]
    result.rlvr_peer_disagreements = sum(bool(a) != bool(b) for a, b in zip(ours, theirs, strict=True))

    result.rlvr_fast_share = fast_share(pairs)
    # through the pool: one untimed pass over the items warms every worker up
    reward = MathAccuracyReward(executor=ExecutorConfig(max_workers=workers, cache_size=0))
    try:
        reward(completions=_boxed(answers), answer=golds)
        seconds, report.raw[f"{key}_rlvr_pool"] = median_seconds(
            lambda: reward(completions=_boxed(answers), answer=golds), config.repeats
        )
        result.rlvr_pool_per_s = len(pairs) / seconds
    finally:
        reward.close()
    chunk = max(1, min(16, len(pairs) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers, initializer=_warm_math_verify) as pool:
        list(pool.map(_math_verify_pair, golds, answers, chunksize=chunk))
        seconds, report.raw[f"{key}_math_verify_pool"] = median_seconds(
            lambda: list(pool.map(_math_verify_pair, golds, answers, chunksize=chunk)), config.repeats
        )
    result.peer_pool_per_s = len(pairs) / seconds
    return result


def _bench_end_to_end(
    items: list[tuple[str, str]], config: MathBenchConfig, workers: int, report: MathBenchReport
) -> EndToEndResult:
    from rlvr.rewards.math_reward import MathAccuracyReward

    texts = [t for t, _ in items]
    golds = [g for _, g in items]
    result = EndToEndResult(len(items))
    repeats = config.repeats

    cold, cached = report.raw.setdefault("e2e_rlvr_cold", []), report.raw.setdefault("e2e_rlvr_cached", [])
    scores: list[float | None] = []
    for _ in range(repeats):
        # as ``math_accuracy``: cache on, workers started on first need
        reward = MathAccuracyReward(executor=ExecutorConfig(max_workers=workers))
        try:
            seconds, scores = stopwatch(partial(reward, completions=texts, answer=golds))
            cold.append(seconds)
            stats = reward.executor.stats
            result.rlvr_pool_share = stats.pool_judgements / max(1, len(items))
            result.rlvr_workers_started = stats.workers_started
            cached.append(stopwatch(partial(reward, completions=texts, answer=golds))[0])
        finally:
            reward.close()
    result.rlvr_cold_s, result.rlvr_warm_cached_s = statistics.median(cold), statistics.median(cached)
    first = report.raw.setdefault("e2e_rlvr_first_symbolic", [])
    for attempt in range(repeats):  # what a batch pays when it holds the first symbolic answer
        reward = MathAccuracyReward(executor=ExecutorConfig(max_workers=workers))
        try:
            k = attempt + 2  # a trigonometric identity: only sympy decides it
            completions, answers = [f"\\boxed{{1-\\cos^{{2}}({k}x)}}"], [f"\\sin^2({k}x)"]
            first.append(stopwatch(partial(reward, completions=completions, answer=answers))[0])
        finally:
            reward.close()
    result.rlvr_first_symbolic_s = statistics.median(first)
    result.rlvr_mean = sum(s or 0.0 for s in scores) / len(scores)

    reward = MathAccuracyReward(executor=ExecutorConfig(max_workers=workers, cache_size=0))
    try:
        warm_up = e2e_warm_up(workers)
        reward(completions=[t for t, _ in warm_up], answer=[g for _, g in warm_up])
        result.rlvr_warm_s, report.raw["e2e_rlvr_warm"] = median_seconds(
            lambda: reward(completions=texts, answer=golds), repeats
        )
    finally:
        reward.close()

    _warm_math_verify()
    peer_scores: list[bool] = []

    def single() -> None:
        nonlocal peer_scores
        peer_scores = [math_verify_end_to_end(t, g) for t, g in items]

    result.peer_single_s, report.raw["e2e_math_verify_single"] = median_seconds(single, repeats)
    result.peer_mean = sum(peer_scores) / len(peer_scores)
    chunk = max(1, min(16, len(items) // (workers * 4)))

    def cold_pool() -> None:
        with ProcessPoolExecutor(max_workers=workers, initializer=_warm_math_verify) as pool:
            list(pool.map(math_verify_end_to_end, texts, golds, chunksize=chunk))

    result.peer_pool_cold_s, report.raw["e2e_math_verify_pool_cold"] = median_seconds(cold_pool, repeats)
    with ProcessPoolExecutor(max_workers=workers, initializer=_warm_math_verify) as pool:
        list(pool.map(_math_verify_pair, ["1"] * workers, ["1"] * workers))
        result.peer_pool_warm_s, report.raw["e2e_math_verify_pool_warm"] = median_seconds(
            lambda: list(pool.map(math_verify_end_to_end, texts, golds, chunksize=chunk)), repeats
        )
    return result


def fast_share(pairs: Sequence[Pair]) -> float:
    """The share of (gold, answer) pairs rlvr decides in the calling process (no worker needed).

    Example:
        >>> fast_share([("2", "2"), ("\\\\cot x", "\\\\frac{\\\\cos x}{\\\\sin x}")])
        0.5
    """
    from rlvr.verifiers.math.judge import prepare_answer, read_gold

    decided = sum(prepare_answer(read_gold(gold), answer).job is None for gold, answer in pairs)
    return decided / len(pairs) if pairs else 0.0


def score_file_lines(count: int) -> list[dict[str, str]]:
    """The whole-process file: MATH-500 golds, each boxed once as itself and once as its first rewrite
    (an equivalent spelling or a near miss), ``count`` lines in all.

    Example:
        >>> lines = score_file_lines(4)
        >>> len(lines), lines[0]["completion"].startswith("The answer is $\\\\boxed{")
        (4, True)
    """
    lines: list[dict[str, str]] = []
    golds = [g.answer for g in math500_golds()]
    while len(lines) < count:
        for gold in golds:
            rewrites = math_rewrites(gold)
            second = rewrites[len(lines) // (2 * len(golds)) % len(rewrites)].text if rewrites else gold
            lines.append({"completion": f"The answer is $\\boxed{{{gold}}}$.", "answer": gold})
            lines.append({"completion": f"So \\boxed{{{second}}}", "answer": gold})
            if len(lines) >= count:
                break
    return lines[:count]


_PEER_SCRIPT = """
import json, logging, sys
from math_verify import parse, verify
logging.getLogger("math_verify").setLevel(logging.CRITICAL)
n = total = 0
with open(sys.argv[1], encoding="utf-8") as stream:
    for line in stream:
        record = json.loads(line)
        gold = parse("\\\\boxed{" + record["answer"] + "}")
        total += bool(gold and verify(gold, parse(record["completion"])))
        n += 1
print(total / max(1, n))
"""


def _bench_whole_process(
    config: MathBenchConfig, workers: int, report: MathBenchReport
) -> WholeProcessResult:
    lines = score_file_lines(config.score_lines)
    result = WholeProcessResult(len(lines))
    from rlvr.verifiers.math.judge import prepare_completion, read_gold

    result.rlvr_workers_needed = sum(
        prepare_completion(r["completion"], read_gold(r["answer"])).job is not None for r in lines
    )
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "items.jsonl"
        target = Path(folder) / "scored.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
        rlvr_command = [
            sys.executable,
            "-m",
            "rlvr.cli",
            "score",
            "math",
            "--input",
            str(source),
            "--output",
            str(target),
            "--workers",
            str(workers),
        ]
        peer_command = [sys.executable, "-c", _PEER_SCRIPT, str(source)]
        # both with cached bytecode, as installed packages have: one untimed run of each fills the cache
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "bytecode")
        common = {"check": True, "capture_output": True, "timeout": 600, "env": env}
        run_rlvr = partial(subprocess.run, rlvr_command, **common)
        run_peer = partial(subprocess.run, peer_command, text=True, **common)
        sides = {"rlvr": partial(stopwatch, run_rlvr), "peer": partial(stopwatch, run_peer)}
        rounds = alternate(sides, config.repeats, warmup=1)
        scores = [json.loads(line)["reward"] for line in target.read_text(encoding="utf-8").splitlines()]
    ours = report.raw["whole_rlvr"] = [seconds for seconds, _ in rounds["rlvr"]]
    theirs = report.raw["whole_math_verify"] = [seconds for seconds, _ in rounds["peer"]]
    result.rlvr_s, result.peer_s = statistics.median(ours), statistics.median(theirs)
    result.rlvr_mean = sum(s or 0.0 for s in scores) / len(scores)
    result.peer_mean = float(rounds["peer"][-1][1].stdout.strip() or 0.0)
    return result


def e2e_warm_up(workers: int) -> list[tuple[str, str]]:
    """Small completions (not in the timed batch) that start every worker: symbolic answers."""
    return [(f"so \\boxed{{1-\\cos^{{2}}({k}x)}}", f"\\sin^2({k}x)") for k in range(2, 2 + 2 * workers)]


def run_math_bench(config: MathBenchConfig | None = None) -> MathBenchReport:
    """Run the math verification benchmark (see the module docstring).

    Example:
        >>> report = run_math_bench(MathBenchConfig(items=20, repeats=1, workers=1, completions=0))
        >>> [s.items for s in report.sets], report.sets[0].rlvr_per_s > 0
        ([20, 20], True)
    """
    config = config or MathBenchConfig()
    workers = worker_count(config.workers)
    defaults = MathBenchConfig()
    options = [f"--repeats {config.repeats}"]
    options += [f"--items {config.items}"] if config.items != defaults.items else []
    options += [f"--completions {config.completions}"] if config.completions != defaults.completions else []
    options += [f"--workers {config.workers}"] if config.workers else []
    options += [f"--score-lines {config.score_lines}"] if config.score_lines != defaults.score_lines else []
    report = MathBenchReport(
        command="rlvr bench math " + " ".join(options),
        repeats=config.repeats,
        workers=workers,
        machine=machine_description(),
        date=today(),
    )
    report.sets.append(
        _bench_set("GSM8K integers", gsm8k_pairs(config.items, config.seed), config, workers, report)
    )
    report.sets.append(
        _bench_set("MATH-500", math500_pairs(config.items, config.seed), config, workers, report)
    )
    if config.completions:
        data_dir = Path(config.data_dir) if config.data_dir else default_data_dir()
        if not (data_dir / DEV_COMPLETIONS_FILE).exists():
            raise FileNotFoundError(
                f"the end-to-end run needs {DEV_COMPLETIONS_FILE} in {data_dir} "
                "(--data-dir, or --completions 0)"
            )
        report.end_to_end = _bench_end_to_end(
            e2e_completions(config.completions, data_dir), config, workers, report
        )
    if config.score_lines:
        report.whole_process = _bench_whole_process(config, workers, report)
    return report
