"""``rlvr bench eval``: the time to evaluate S samples x N MATH-500 problems end to end, against Math-Verify.

The samples are built deterministically from the bundled MATH-500 reference solutions, eight kinds per
problem (``--samples`` takes the first S; more than eight cycle through the kinds again):

0. ``reference``: the reference solution as written, its ``\\boxed{}`` answer kept;
1. ``think_then_boxed``: the solution's text with its boxes unwrapped, inside ``<think>...</think>``,
   then "The final answer is $\\boxed{gold}$.";
2. ``rewritten``: the reference solution with the last box holding an equivalent spelling of the gold
   (``\\dfrac``, ``a/b``, a decimal, reordered set, units dropped, ...: the rewrites of
   :func:`rlvr.bench.math_rewrites.math_rewrites`; the gold in a brace group ``{gold}`` when it
   has none);
3. ``near_miss``: the reference solution with the last box holding a near-miss wrong answer of the
   gold's own kind (n+1, another fraction, a swapped tuple, ...; another problem's gold when the gold
   has none);
4. ``other_answer``: the reference solution with the last box holding the next problem's gold;
5. ``truncated``: the first half of the reference solution, no final answer (ran out of tokens);
6. ``answer_phrase``: the unwrapped solution, then "The final answer is $gold$." (no box);
7. ``answer_label``: ``<think>`` + the unwrapped solution + ``</think>``, then "Answer: rewritten".

End to end means from the predictions JSONL file on disk to the finished metrics, cold:

- **rlvr**: :func:`rlvr.eval.evaluation` with a new reward (its W workers start on first need,
  interpreter start-up and imports included): reading, grading, maj@k grouping, pass@k, breakdowns;
- **Math-Verify**: read the same file, a new ``ProcessPoolExecutor(W)`` (forked from a process that has
  imported math_verify, as a script would), one task per problem: ``parse("\\\\boxed{gold}")``,
  ``parse(completion)`` and ``verify`` per sample, and the same maj@k grouping (identical extracted
  strings first, then ``verify`` against each class representative); then accuracy, pass@k and maj@k
  with the same formulas.

Each is run once untimed, then ``repeats`` times alternately; medians are reported. Both graders'
verdicts per sample kind are reported too, and the number of samples where they differ.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlvr.bench.base import (
    BenchReport,
    alternate,
    check_at_most,
    check_counts,
    headline,
    machine_description,
    stopwatch,
    today,
    worker_count,
)
from rlvr.eval.datasets import Benchmark, Problem, load_benchmark
from rlvr.eval.metrics import ks_for, maj_at_k, mean, pass_at_k

KINDS: tuple[str, ...] = (
    "reference",
    "think_then_boxed",
    "rewritten",
    "near_miss",
    "other_answer",
    "truncated",
    "answer_phrase",
    "answer_label",
)


@dataclass(frozen=True)
class EvalBenchConfig:
    """Options of ``rlvr bench eval`` (each field is a CLI option).

    Attributes:
        samples: samples per problem (``--samples``).
        problems: MATH-500 problems, the first N (``--items``; at most the 500 there are).
        repeats: timed runs of each side; the median is reported (``--repeats``).
        workers: worker processes of both sides (``--workers``; default: usable CPUs).

    Example:
        >>> EvalBenchConfig(samples=0)
        Traceback (most recent call last):
        ...
        ValueError: --samples must be an integer >= 1, got 0
    """

    samples: int = 8
    problems: int = 500
    repeats: int = 3
    workers: int | None = None

    def __post_init__(self) -> None:
        flags = {"problems": "--items"}
        minimums = {"samples": 1, "problems": 1, "repeats": 1, "workers": 1}
        check_counts(self, minimums, optional=["workers"], flags=flags)
        check_at_most(self, {"samples": 1024, "problems": 10**6, "repeats": 100}, flags=flags)


# -- the samples -----------------------------------------------------------------------------------


def _last_box(text: str) -> tuple[int, int] | None:
    """(start of ``\\boxed{``, index after its closing brace) of the last box, or ``None``."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth = 0
    for position in range(start + len("\\boxed"), len(text)):
        char = text[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return start, position + 1
    return None


def with_last_box(solution: str, answer: str) -> str:
    """The solution with its last ``\\boxed{}`` holding ``answer`` (appended when it has no box).

    Example:
        >>> with_last_box("so $x = \\\\boxed{\\\\frac{1}{2}}$.", "0.5")
        'so $x = \\\\boxed{0.5}$.'
    """
    span = _last_box(solution)
    if span is None:
        return f"{solution}\nThe answer is $\\boxed{{{answer}}}$."
    return solution[: span[0]] + f"\\boxed{{{answer}}}" + solution[span[1] :]


def unboxed(solution: str) -> str:
    """The solution with every ``\\boxed{X}`` unwrapped to ``{X}`` (no final-answer marker left).

    Example:
        >>> unboxed("hence $\\\\boxed{4}$.")
        'hence ${4}$.'
    """
    return solution.replace("\\boxed", "").replace("\\fbox", "")


def _rewrites(gold: str) -> tuple[str, str]:
    from rlvr.bench.math_rewrites import math_rewrites

    rewrites = math_rewrites(gold)
    same = next((r.text for r in rewrites if r.equivalent), f"{{{gold}}}")  # else a brace group
    wrong = next((r.text for r in rewrites if not r.equivalent), "")
    return same, wrong


def build_samples(problem: Problem, next_gold: str, count: int) -> list[str]:
    """``count`` completions for one problem, the kinds in :data:`KINDS` order (see the module docstring).

    Example:
        >>> p = Problem("p", 0, "1/2 of 1?", "\\\\frac{1}{2}", solution="It is $\\\\boxed{\\\\frac{1}{2}}$.")
        >>> build_samples(p, "7", 8)[2:5]
        ['It is $\\\\boxed{\\\\dfrac{1}{2}}$.', 'It is $\\\\boxed{\\\\frac{1}{3}}$.', 'It is $\\\\boxed{7}$.']
    """
    solution = problem.solution or f"The answer is $\\boxed{{{problem.answer}}}$."
    same, wrong = _rewrites(problem.answer)
    plain = unboxed(solution)
    kinds = [
        solution,
        f"<think>\n{plain}\n</think>\nThe final answer is $\\boxed{{{problem.answer}}}$.",
        with_last_box(solution, same),
        with_last_box(solution, wrong or next_gold),
        with_last_box(solution, next_gold),
        solution[: len(solution) // 2],
        f"{plain}\n\nThe final answer is ${problem.answer}$.",
        f"<think>\n{plain}\n</think>\n\nAnswer: {same}",
    ]
    return [kinds[i % len(kinds)] for i in range(count)]


def build_predictions(bench: Benchmark, samples: int) -> list[dict[str, Any]]:
    """The predictions of the benchmark run: ``samples`` lines per problem, ``{"idx", "kind", "completion"}``.

    Example:
        >>> preds = build_predictions(load_benchmark("math500").subset(2), 3)
        >>> [(p["idx"], p["kind"]) for p in preds]
        [(0, 'reference'), (0, 'think_then_boxed'), (0, 'rewritten'), (1, 'reference'), (1, \
'think_then_boxed'), (1, 'rewritten')]
    """
    rows = []
    for problem in bench:
        next_gold = bench[(problem.index + 1) % len(bench)].answer
        for number, text in enumerate(build_samples(problem, next_gold, samples)):
            rows.append({"idx": problem.index, "kind": KINDS[number % len(KINDS)], "completion": text})
    return rows


# -- the Math-Verify side (module level: it runs in worker processes) --------------------------------


def math_verify_problem(
    gold: str, completions: Sequence[str]
) -> tuple[list[bool], list[int | None], list[bool]]:
    """Math-Verify on one problem's samples: (correct per sample, class per sample, correct per class).

    Example:
        >>> math_verify_problem("\\\\frac{1}{2}", ["\\\\boxed{0.5}", "\\\\boxed{1/2}", "no", "\\\\boxed{3}"])
        ([True, True, False, False], [0, 0, None, 1], [True, False])
    """
    import logging

    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    gold_parsed = parse("\\boxed{" + gold + "}")
    parsed = [parse(text) for text in completions]
    correct = [bool(gold_parsed and answer and verify(gold_parsed, answer)) for answer in parsed]
    labels: list[int | None] = []
    representatives: list[int] = []
    by_string: dict[str, int] = {}
    for index, answer in enumerate(parsed):
        if not answer:
            labels.append(None)
            continue
        key = str(answer[-1])
        label = by_string.get(key)
        if label is None:
            label = next((c for c, r in enumerate(representatives) if verify(parsed[r], answer)), None)
        if label is None:
            representatives.append(index)
            label = len(representatives) - 1
        by_string.setdefault(key, label)
        labels.append(label)
    return correct, labels, [correct[r] for r in representatives]


def math_verify_evaluate(path: Path, bench: Benchmark, workers: int) -> dict[str, Any]:
    """Math-Verify's evaluation of a predictions file: accuracy, pass@k, maj@k and per-sample verdicts.

    Example:
        >>> import tempfile
        >>> bench = load_benchmark("amc23").subset(2)
        >>> path = Path(tempfile.mkdtemp()) / "p.jsonl"
        >>> lines = [{"idx": 0, "completion": "so \\\\boxed{27}"}, {"idx": 1, "completion": "1"}]
        >>> _ = path.write_text("".join(json.dumps(line) + "\\n" for line in lines))
        >>> result = math_verify_evaluate(path, bench, workers=1)
        >>> result["accuracy"], result["pass_at_k"], result["verdicts"]
        (0.5, {'1': 0.5}, [True, False])
    """
    samples: list[list[str]] = [[] for _ in bench]
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            samples[record["idx"]].append(record["completion"])
    golds = [problem.answer for problem in bench]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(math_verify_problem, golds, samples))
    counts = [len(s) for s in samples if s]
    ks = ks_for(min(counts)) if counts else []
    correct = [sum(r[0]) for r in results]
    return {  # rlvr.eval's formulas: every figure a mean over all problems, a missing problem unsolved
        "accuracy": mean([c / len(s) if s else 0.0 for s, c in zip(samples, correct, strict=True)]),
        "pass_at_k": {
            str(k): mean(
                [
                    pass_at_k(len(s), c, k) if len(s) >= k else 0.0
                    for s, c in zip(samples, correct, strict=True)
                ]
            )
            for k in ks
        },
        "maj_at_k": {
            str(k): mean(
                [maj_at_k(r[1], dict(enumerate(r[2])), k) if len(r[1]) >= k else 0.0 for r in results]
            )
            for k in ks
        },
        "verdicts": [v for r in results for v in r[0]],
    }


# -- the run and its report --------------------------------------------------------------------------


@dataclass
class EvalBenchReport(BenchReport):
    """The figures of one run of ``rlvr bench eval`` (seconds; ``markdown()``, ``to_json()``).

    Example:
        >>> report = EvalBenchReport(10, 8, 1, 2, "x86_64", "2026-01-01", rlvr_s=2.0, math_verify_s=10.0)
        >>> report.ratio, json.loads(report.to_json())["ratio"]
        (5.0, 5.0)
    """

    problems: int
    samples: int
    repeats: int
    workers: int
    machine: str
    date: str
    rlvr_s: float = 0.0
    math_verify_s: float = 0.0
    rlvr_metrics: dict[str, Any] = field(default_factory=dict)
    math_verify_metrics: dict[str, Any] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    disagreements: int = 0
    rlvr_judgements: int = 0
    rlvr_in_process: int = 0
    rlvr_in_workers: int = 0
    raw: dict[str, list[float]] = field(default_factory=dict)
    derived = ("ratio",)

    @property
    def ratio(self) -> float:
        """How many times faster rlvr is than Math-Verify, end to end."""
        return self.math_verify_s / self.rlvr_s if self.rlvr_s else 0.0

    def markdown(self) -> str:
        """The report as Markdown tables."""
        n = self.problems * self.samples
        command = f"rlvr bench eval --samples {self.samples} --items {self.problems} --repeats {self.repeats}"
        details = (
            f"{self.problems} MATH-500 problems x {self.samples} samples = {n:,} completions; medians of "
            f"{self.repeats} cold runs; {self.workers} worker processes each"
        )
        lines = [
            headline(command, self.machine, self.date, details),
            "",
            "| end to end (file to metrics) | rlvr | Math-Verify | rlvr / Math-Verify |",
            "|---|---|---|---|",
            f"| wall time | {self.rlvr_s:.2f} s | {self.math_verify_s:.2f} s "
            f"| **{self.ratio:.1f}x** faster |",
            f"| samples/s | {n / self.rlvr_s:,.0f} | {n / self.math_verify_s:,.0f} | |",
        ]
        r, m = self.rlvr_metrics, self.math_verify_metrics
        lines += ["", "| metric (%) | rlvr | Math-Verify |", "|---|---|---|"]
        lines.append(f"| accuracy | {100 * r['accuracy']:.1f} | {100 * m['accuracy']:.1f} |")
        for k in r["pass_at_k"]:
            lines.append(f"| pass@{k} | {100 * r['pass_at_k'][k]:.1f} | {100 * m['pass_at_k'][k]:.1f} |")
        for k in r["maj_at_k"]:
            lines.append(f"| maj@{k} | {100 * r['maj_at_k'][k]:.1f} | {100 * m['maj_at_k'][k]:.1f} |")
        lines += [
            "",
            "| sample kind | expected | rlvr passes (%) | Math-Verify passes (%) |",
            "|---|---|---|---|",
        ]
        for kind, row in self.by_kind.items():
            lines.append(
                f"| {kind} | {'pass' if row['expected'] else 'fail'} | {100 * row['rlvr']:.1f} | "
                f"{100 * row['math_verify']:.1f} |"
            )
        lines += [
            "",
            f"The two graders' verdicts differ on {self.disagreements:,} of {n:,} samples. rlvr made "
            f"{self.rlvr_judgements:,} judgements per run (the samples against the gold, then the maj@k "
            f"grouping's comparisons): {self.rlvr_in_process:,} decided in-process, {self.rlvr_in_workers:,} "
            "in its worker processes (sympy), the rest from its cache.",
        ]
        return "\n".join(lines)


_EXPECTED = {kind: kind not in ("near_miss", "other_answer", "truncated") for kind in KINDS}


def _rlvr_verdicts(bench: Benchmark, predictions: list[dict[str, Any]], workers: int) -> list[bool]:
    from rlvr.executor import ExecutorConfig
    from rlvr.rewards.math_reward import MathAccuracyReward

    reward = MathAccuracyReward(executor=ExecutorConfig(max_workers=workers))
    try:
        golds = [bench[p["idx"]].answer for p in predictions]
        verdicts = reward.judge(None, [p["completion"] for p in predictions], answer=golds)
    finally:
        reward.close()
    return [v.passed for v in verdicts]


def run_eval_bench(config: EvalBenchConfig | None = None) -> EvalBenchReport:
    """Run the evaluation benchmark (see the module docstring).

    Example:
        >>> report = run_eval_bench(EvalBenchConfig(samples=2, problems=3, repeats=1, workers=1))
        >>> report.rlvr_s > 0 and report.math_verify_s > 0, list(report.rlvr_metrics["pass_at_k"])
        (True, ['1', '2'])
    """
    from rlvr.eval.evaluation import EvalConfig, EvalReport, evaluate
    from rlvr.executor import ExecutorConfig
    from rlvr.rewards.math_reward import MathAccuracyReward

    config = config or EvalBenchConfig()
    workers = worker_count(config.workers)
    math500 = load_benchmark("math500")
    bench = math500.subset(min(config.problems, len(math500)))
    predictions = build_predictions(bench, config.samples)
    report = EvalBenchReport(
        problems=len(bench),
        samples=config.samples,
        repeats=config.repeats,
        workers=workers,
        machine=machine_description(),
        date=today(),
    )
    import math_verify  # noqa: F401  (imported before the pool forks, as a script would)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "predictions.jsonl"
        with open(path, "w", encoding="utf-8") as stream:
            for row in predictions:
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        eval_config = EvalConfig(workers=workers)
        evaluate(bench, path, eval_config)  # untimed warm-up of both sides
        math_verify_evaluate(path, bench, workers)

        def rlvr_run() -> tuple[EvalReport, MathAccuracyReward]:
            # what evaluate() builds itself, kept here for its counters: a new reward, workers on first need
            reward = MathAccuracyReward(executor=ExecutorConfig(max_workers=workers))
            try:
                return evaluate(bench, path, eval_config, reward=reward), reward
            finally:
                reward.close()

        rounds = alternate(
            {
                "rlvr": lambda: stopwatch(rlvr_run),
                "math_verify": lambda: stopwatch(lambda: math_verify_evaluate(path, bench, workers)),
            },
            config.repeats,
        )
    ours, reward = rounds["rlvr"][-1][1]
    peer = rounds["math_verify"][-1][1]
    stats = reward.executor.stats
    report.rlvr_judgements = stats.items
    report.rlvr_in_process = stats.fast_path
    report.rlvr_in_workers = stats.pool_judgements
    times = {side: [seconds for seconds, _ in runs] for side, runs in rounds.items()}
    report.raw = times
    report.rlvr_s = statistics.median(times["rlvr"])
    report.math_verify_s = statistics.median(times["math_verify"])
    report.rlvr_metrics = {  # keyed by k as a string, like Math-Verify's side and the JSON
        "accuracy": ours.accuracy,
        "pass_at_k": {str(k): value for k, value in ours.pass_at_k.items()},
        "maj_at_k": {str(k): value for k, value in ours.maj_at_k.items()},
    }
    report.math_verify_metrics = {k: v for k, v in peer.items() if k != "verdicts"}
    mine = _rlvr_verdicts(bench, predictions, workers)
    theirs = peer["verdicts"]
    report.disagreements = sum(a != b for a, b in zip(mine, theirs, strict=True))
    for kind in dict.fromkeys(p["kind"] for p in predictions):
        positions = [i for i, p in enumerate(predictions) if p["kind"] == kind]
        report.by_kind[kind] = {
            "expected": float(_EXPECTED[kind]),
            "rlvr": mean([float(mine[i]) for i in positions]),
            "math_verify": mean([float(theirs[i]) for i in positions]),
        }
    return report


__all__ = [
    "KINDS",
    "EvalBenchConfig",
    "EvalBenchReport",
    "build_predictions",
    "build_samples",
    "math_verify_evaluate",
    "math_verify_problem",
    "run_eval_bench",
    "unboxed",
    "with_last_box",
]
