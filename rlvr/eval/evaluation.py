"""Evaluate model predictions on a math benchmark: the engine behind ``rlvr eval``.

Predictions are JSON objects, one per line of a JSONL file (or mappings in Python)::

    {"id": "test/algebra/2584.json", "completion": "... \\\\boxed{\\\\frac{14}{3}}"}
    {"idx": 2, "completion": "..."}

``id`` names a problem by its id, ``idx`` by its 0-based position in the benchmark (an ``id`` that is
not the benchmark's falls back to ``idx`` when both are given; when both name different problems the
line is reported as unknown). Several lines for one problem are several samples, in file order. The
completion is a string or chat messages (the last assistant message counts). Lines for unknown problems
and problems with no prediction are listed in the report, never dropped silently: a problem without
predictions counts as unsolved in pass@k and maj@k.

Every sample is graded by rlvr's ``math_accuracy`` reward, the same verdicts as ``rlvr score math``
(GSM8K with ``fallback="last_number"``): extraction and the cheap comparisons in-process, symbolic
comparisons in worker processes under a hard deadline. A sample that cannot be judged (``None``: a
timeout) counts as wrong and is counted apart.

The report (:class:`EvalReport`): accuracy (correct samples / samples), pass@k (unbiased, Chen et al.
2021) and maj@k (majority vote over answers grouped by rlvr equivalence; the definitions are in
:mod:`rlvr.eval.metrics`) for k = 1, 2, 4, ... up to the samples per problem (the smallest count
when problems have different counts), per-subject and per-level breakdowns where the benchmark has
them (MATH, MATH-500), the samples without an answer and the unjudged ones, the reasons of failures,
and the most-missed problems. As JSON, Markdown, or a PNG figure (needs matplotlib).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from rlvr.eval.datasets import SOURCES, Benchmark, Source, load_benchmark
from rlvr.eval.metrics import assign_classes, ks_for, maj_at_k, mean, pass_at_k
from rlvr.executor import ExecutorConfig
from rlvr.executor.config import resolve_backend
from rlvr.rewards.math_accuracy import MathAccuracyReward
from rlvr.verifiers.math.extract import FALLBACKS, Fallback
from rlvr.verifiers.math.judge import Answer
from rlvr.verifiers.verdict import Verdict


class PredictionError(ValueError):
    """A predictions line that cannot be read; the message names its line number."""


@dataclass(frozen=True)
class EvalConfig:
    """Options of an evaluation (each is an ``rlvr eval`` option).

    Attributes:
        workers: worker processes for symbolic judgements (default: usable CPUs).
        timeout: hard deadline of one symbolic judgement, in seconds; past it the sample is ``None``.
        batch_size: samples judged per call (the progress bar moves per batch).
        most_missed: how many of the most-missed problems the report lists.
        source: where the benchmark comes from, ``"bundled"`` or ``"hf"``.
        fallback: the extraction fallback; ``None`` for the benchmark's own (``last_number`` for GSM8K).
        ray_address: judge the symbolic items on a Ray cluster (``rlvr eval --ray``): its head's
            ``HOST:PORT``, ``"auto"`` or ``"local"``; ``None``: ``$RLVR_RAY_ADDRESS`` when set, else here.

    Example:
        >>> EvalConfig(timeout=0)
        Traceback (most recent call last):
        ...
        ValueError: timeout must be > 0, got 0
    """

    workers: int | None = None
    timeout: float = 5.0
    batch_size: int = 1024
    most_missed: int = 10
    source: Source = "bundled"
    fallback: Fallback | None = None
    ray_address: str | None = None

    def __post_init__(self) -> None:
        if self.workers is not None and (isinstance(self.workers, bool) or self.workers < 1):
            raise ValueError(f"workers must be >= 1, got {self.workers!r}")
        if not isinstance(self.timeout, (int, float)) or not self.timeout > 0:
            raise ValueError(f"timeout must be > 0, got {self.timeout!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size!r}")
        if not isinstance(self.most_missed, int) or self.most_missed < 0:
            raise ValueError(f"most_missed must be >= 0, got {self.most_missed!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        if self.fallback is not None and self.fallback not in FALLBACKS:
            raise ValueError(f"fallback must be one of {FALLBACKS}, got {self.fallback!r}")
        resolve_backend(None, self.ray_address, "EvalConfig", environ={})  # checks the address


# -- reading predictions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prediction:
    """One sample: the problem it answers (position), its line, its completion."""

    index: int
    line: int
    completion: Any


@dataclass
class PredictionSet:
    """Predictions sorted by problem, plus the lines that name no problem of the benchmark.

    Example:
        >>> bench = load_benchmark("amc23")
        >>> lines = [{"idx": 0, "completion": "27"}, {"id": "nope", "completion": "1"}]
        >>> found = read_predictions(lines, bench)
        >>> len(found.by_problem[0]), found.unknown[0]["id"]
        (1, 'nope')
    """

    by_problem: list[list[Prediction]]
    unknown: list[dict[str, Any]] = field(default_factory=list)
    lines: int = 0


def _resolve(record: Mapping[str, Any], line: int, bench: Benchmark) -> tuple[int | None, str]:
    given_id = record.get("id")
    given_idx = record.get("idx")
    if given_idx is not None and (isinstance(given_idx, bool) or not isinstance(given_idx, int)):
        raise PredictionError(f"line {line}: idx must be an integer, got {given_idx!r}")
    by_id = bench.index_of(given_id) if isinstance(given_id, str) else None
    if by_id is not None:
        if given_idx is not None and given_idx != by_id:
            return None, f"id {given_id!r} is problem {by_id}, but idx says {given_idx}"
        return by_id, ""
    if given_idx is not None:
        if 0 <= given_idx < len(bench):
            return given_idx, ""
        return None, f"idx {given_idx} out of range 0..{len(bench) - 1}"
    return None, f"unknown id {given_id!r}"


def _parse_lines(stream: Iterable[str]) -> Iterator[tuple[int, Any]]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except json.JSONDecodeError as exc:
            raise PredictionError(
                f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None


def _records(source: str | Path | IO[str] | Iterable[Mapping[str, Any]]) -> Iterator[tuple[int, Any]]:
    if isinstance(source, (str, Path)):
        with open(source, encoding="utf-8") as stream:
            yield from _parse_lines(stream)
    elif hasattr(source, "readline"):
        yield from _parse_lines(source)  # type: ignore[arg-type]
    else:
        yield from enumerate(source, start=1)


def read_predictions(
    source: str | Path | IO[str] | Iterable[Mapping[str, Any]], bench: Benchmark
) -> PredictionSet:
    """Read predictions (a JSONL path or text stream, or mappings) and sort them by problem.

    Raises:
        PredictionError: a line that is not a JSON object, has no ``completion``, or has neither
            ``id`` nor ``idx`` (or a non-integer ``idx``).

    Example:
        >>> bench = load_benchmark("aime25")
        >>> found = read_predictions([{"id": "aime-2025-I-2", "completion": "588"}], bench)
        >>> [len(samples) for samples in found.by_problem][:3]
        [0, 1, 0]
    """
    found = PredictionSet(by_problem=[[] for _ in range(len(bench))])
    for line, record in _records(source):
        found.lines += 1
        if not isinstance(record, Mapping):
            raise PredictionError(f"line {line}: expected a JSON object, got {type(record).__name__}")
        if "completion" not in record:
            raise PredictionError(f'line {line}: no "completion" field')
        if record.get("id") is None and record.get("idx") is None:
            raise PredictionError(f'line {line}: no "id" or "idx" field naming the problem')
        index, why = _resolve(record, line, bench)
        if index is None:
            found.unknown.append(
                {"line": line, "id": record.get("id"), "idx": record.get("idx"), "reason": why}
            )
        else:
            found.by_problem[index].append(Prediction(index, line, record["completion"]))
    return found


# -- grading ---------------------------------------------------------------------------------------


@dataclass
class ProblemResult:
    """How one problem fared.

    Example:
        >>> result = ProblemResult("p", 0, "5", None, None, samples=3, correct=1, labels=[0, 1, 0],
        ...                        answers=["4", "5"], class_correct=[False, True])
        >>> result.pass_at(2), result.maj_at(3), result.votes()[0]
        (0.6666666666666666, 0.0, ('4', 2, False))

    Attributes:
        labels: each sample's answer class (``None``: the sample gave no single answer).
        answers: each class's representative answer, in class order.
        class_correct: whether each class is correct.
    """

    id: str
    index: int
    gold: str
    subject: str | None
    level: int | None
    samples: int = 0
    correct: int = 0
    unjudged: int = 0
    no_answer: int = 0
    labels: list[int | None] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    class_correct: list[bool] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.samples if self.samples else 0.0

    def pass_at(self, k: int) -> float:
        return pass_at_k(self.samples, self.correct, k) if self.samples >= k else 0.0

    def maj_at(self, k: int) -> float:
        if self.samples < k:
            return 0.0
        return maj_at_k(self.labels, dict(enumerate(self.class_correct)), k)

    def votes(self) -> list[tuple[str, int, bool]]:
        """(answer, votes, correct) per class, most votes first (ties: first seen first)."""
        counts = Counter(label for label in self.labels if label is not None)
        order = sorted(counts, key=lambda label: (-counts[label], label))
        return [(self.answers[label], counts[label], self.class_correct[label]) for label in order]


class _Equivalence:
    """rlvr's equivalence of two answers, the first as the gold: the reward's own pipeline."""

    def __init__(self, reward: MathAccuracyReward) -> None:
        self.reward = reward

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> list[bool]:
        return [verdict.passed for verdict in self.reward.judge_answers(pairs)]


def _group(
    results: list[ProblemResult],
    answers: list[list[Answer | None]],
    reward: MathAccuracyReward,
    verdicts: list[list[Verdict]],
) -> None:
    """Fill in each problem's classes: first by normalised string, then by rlvr equivalence."""
    distinct_raw: list[list[str]] = []
    keys_per_problem: list[dict[str, int]] = []
    for sample_answers in answers:
        keys: dict[str, int] = {}
        raws: list[str] = []
        for answer in sample_answers:
            if answer is not None and answer.normalised not in keys:
                keys[answer.normalised] = len(raws)
                raws.append(answer.raw)
        distinct_raw.append(raws)
        keys_per_problem.append(keys)
    classes = assign_classes(distinct_raw, _Equivalence(reward))
    for result, sample_answers, keys, distinct_classes, problem_verdicts, raws in zip(
        results, answers, keys_per_problem, classes, verdicts, distinct_raw, strict=True
    ):
        count = max(distinct_classes, default=-1) + 1
        result.answers = [""] * count
        result.class_correct = [False] * count
        assigned = [False] * count
        for answer, verdict in zip(sample_answers, problem_verdicts, strict=True):
            if answer is None:
                result.labels.append(None)
                continue
            label = distinct_classes[keys[answer.normalised]]
            result.labels.append(label)
            if not assigned[label]:  # the class's representative: its first sample
                assigned[label] = True
                result.answers[label] = raws[keys[answer.normalised]]
                result.class_correct[label] = verdict.passed


def _make_reward(bench: Benchmark, config: EvalConfig) -> MathAccuracyReward:
    fallback = config.fallback or bench.spec.fallback
    executor = ExecutorConfig(
        max_workers=config.workers, timeout=config.timeout, ray_address=config.ray_address
    )
    return MathAccuracyReward(fallback=fallback, timeout=config.timeout, executor=executor)


def grade(
    bench: Benchmark,
    found: PredictionSet,
    reward: MathAccuracyReward,
    *,
    batch_size: int = 1024,
    progress: Any = None,
) -> tuple[list[ProblemResult], Counter[str]]:
    """Grade every prediction with ``reward`` and group each problem's answers into classes.

    Returns the per-problem results and the reasons of the samples that did not pass.

    Example:
        >>> bench = load_benchmark("amc23")
        >>> found = read_predictions([{"idx": 0, "completion": "\\\\boxed{27}"}], bench)
        >>> results, reasons = grade(bench, found, MathAccuracyReward())
        >>> results[0].correct, results[1].samples
        (1, 0)
    """
    flat = [prediction for samples in found.by_problem for prediction in samples]
    if progress is not None and getattr(progress, "total", 0) is None:
        progress.total = len(flat)  # a tqdm bar made before the predictions were read
    judged = []
    for start in range(0, len(flat), batch_size):
        batch = flat[start : start + batch_size]
        golds = [bench[p.index].answer for p in batch]
        judged.extend(reward.grade([p.completion for p in batch], golds))
        if progress is not None:
            progress.update(len(batch))
    reasons: Counter[str] = Counter()
    results = [ProblemResult(p.id, p.index, p.answer, p.subject, p.level) for p in bench]
    per_problem_verdicts: list[list[Verdict]] = [[] for _ in bench]
    answers: list[list[Answer | None]] = [[] for _ in bench]
    for prediction, (verdict, answer) in zip(flat, judged, strict=True):
        result = results[prediction.index]
        result.samples += 1
        result.correct += verdict.passed
        result.unjudged += verdict.score is None
        result.no_answer += answer is None
        if not verdict.passed:
            reasons[verdict.reason or "wrong answer"] += 1
        per_problem_verdicts[prediction.index].append(verdict)
        answers[prediction.index].append(answer)
    _group(results, answers, reward, per_problem_verdicts)
    return results, reasons


# -- the report ------------------------------------------------------------------------------------


def _group_metrics(results: Sequence[ProblemResult], ks: Sequence[int]) -> dict[str, Any]:
    samples = sum(r.samples for r in results)
    return {
        "n_problems": len(results),
        "n_samples": samples,
        "accuracy": sum(r.correct for r in results) / samples if samples else 0.0,
        "pass_at_k": {str(k): mean([r.pass_at(k) for r in results]) for k in ks},
        "maj_at_k": {str(k): mean([r.maj_at(k) for r in results]) for k in ks},
    }


@dataclass
class EvalReport:
    """The result of :func:`evaluate`; :meth:`to_json`, :meth:`markdown` and :meth:`plot` render it.

    Rates are fractions in [0, 1]; ``pass_at_k`` and ``maj_at_k`` are keyed by k as a string.
    ``no_answer`` counts samples without a single final answer, ``unjudged`` those the grader could not
    judge (``None``); both count as wrong. ``problems`` holds, per problem, its samples, correct samples
    and majority answer.

    Example:
        >>> bench = load_benchmark("aime24").subset(2)
        >>> report = evaluate(bench, [{"idx": 1, "completion": f"\\\\boxed{{{bench[1].answer}}}"}])
        >>> sorted(json.loads(report.to_json()))[:4], report.missing_problems
        (['accuracy', 'benchmark', 'by_level', 'by_subject'], ['aime-2024-I-1'])
        >>> report.markdown().splitlines()[0]
        '## rlvr eval: AIME 2024'
    """

    benchmark: str
    title: str
    source: str
    fallback: str
    n_problems: int
    n_samples: int
    accuracy: float
    pass_at_k: dict[str, float]
    maj_at_k: dict[str, float]
    samples_per_problem: dict[str, int]
    n_problems_evaluated: int
    no_answer: int
    unjudged: int
    reasons: dict[str, int]
    missing_problems: list[str]
    unknown_predictions: list[dict[str, Any]]
    by_subject: dict[str, dict[str, Any]]
    by_level: dict[str, dict[str, Any]]
    most_missed: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    seconds: float = 0.0
    grader: str = "rlvr math_accuracy"

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data (top-level keys ``benchmark``, ``n_problems``, ...)."""
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def markdown(self) -> str:
        """The report for people."""
        from rlvr.eval.render import render_markdown

        return render_markdown(self)

    def plot(self, path: str | Path) -> None:
        """Write a PNG: the pass@k and maj@k curves, and accuracy per level (or subject) when known.

        Raises:
            ImportError: matplotlib is not installed (``pip install matplotlib``).
        """
        from rlvr.eval.render import render_plot

        render_plot(self, path)


def _most_missed(results: Sequence[ProblemResult], count: int, bench: Benchmark) -> list[dict[str, Any]]:
    missed = [r for r in results if r.samples and r.correct < r.samples]
    missed.sort(key=lambda r: (r.accuracy, -r.samples, r.index))
    rows = []
    for result in missed[:count]:
        votes = result.votes()
        rows.append(
            {
                "id": result.id,
                "index": result.index,
                "gold": result.gold,
                "samples": result.samples,
                "correct": result.correct,
                "accuracy": result.accuracy,
                "majority_answer": votes[0][0] if votes else None,
                "wrong_answers": [[answer, n] for answer, n, ok in votes if not ok][:3],
                "no_answer": result.no_answer,
                "question": bench[result.index].question[:200],
            }
        )
    return rows


def build_report(
    bench: Benchmark,
    found: PredictionSet,
    results: Sequence[ProblemResult],
    reasons: Counter[str],
    *,
    fallback: str,
    most_missed: int = 10,
    seconds: float = 0.0,
) -> EvalReport:
    """Compute the metrics of graded results (see the module docstring).

    Example:
        >>> bench = load_benchmark("amc23").subset(2)
        >>> found = read_predictions([{"idx": 0, "completion": "\\\\boxed{27}"}], bench)
        >>> results, reasons = grade(bench, found, MathAccuracyReward())
        >>> report = build_report(bench, found, results, reasons, fallback="none")
        >>> report.accuracy, report.pass_at_k, report.missing_problems
        (1.0, {'1': 0.5}, ['amc23-1'])
    """
    evaluated = [r for r in results if r.samples]
    counts = [r.samples for r in evaluated]
    ks = ks_for(min(counts)) if counts else []
    overall = _group_metrics(results, ks)
    by_subject: dict[str, dict[str, Any]] = {}
    by_level: dict[str, dict[str, Any]] = {}
    for key, target in (("subject", by_subject), ("level", by_level)):
        values = sorted({getattr(r, key) for r in results if getattr(r, key) is not None})
        for value in values:
            target[str(value)] = _group_metrics([r for r in results if getattr(r, key) == value], ks)
    return EvalReport(
        benchmark=bench.name,
        title=bench.spec.title,
        source=bench.source,
        fallback=fallback,
        n_problems=len(bench),
        n_samples=overall["n_samples"],
        accuracy=overall["accuracy"],
        pass_at_k=overall["pass_at_k"],
        maj_at_k=overall["maj_at_k"],
        samples_per_problem={"min": min(counts, default=0), "max": max(counts, default=0)},
        n_problems_evaluated=len(evaluated),
        no_answer=sum(r.no_answer for r in results),
        unjudged=sum(r.unjudged for r in results),
        reasons=dict(reasons.most_common()),
        missing_problems=[r.id for r in results if not r.samples],
        unknown_predictions=found.unknown,
        by_subject=by_subject,
        by_level=by_level,
        most_missed=_most_missed(results, most_missed, bench),
        problems=[
            {
                "id": r.id,
                "samples": r.samples,
                "correct": r.correct,
                "majority_answer": (r.votes() or [(None, 0, False)])[0][0],
                "majority_correct": bool(r.samples and r.maj_at(r.samples)),
            }
            for r in results
        ],
        seconds=seconds,
    )


# -- rendering ---------------------------------------------------------------------------------------


def evaluate(
    benchmark: str | Benchmark,
    predictions: str | Path | IO[str] | Iterable[Mapping[str, Any]],
    config: EvalConfig | None = None,
    *,
    reward: MathAccuracyReward | None = None,
    progress: Any = None,
) -> EvalReport:
    """Grade predictions on a benchmark and compute the report (what ``rlvr eval`` prints).

    Args:
        benchmark: a benchmark name (``gsm8k``, ``math``, ``math500``, ``aime24``, ``aime25``,
            ``amc23``) or a loaded :class:`~rlvr.eval.datasets.Benchmark` (e.g. a subset).
        predictions: a JSONL path or text stream, or mappings with ``id`` or ``idx`` and ``completion``.
        config: options (see :class:`EvalConfig`).
        reward: a ``MathAccuracyReward`` to grade with (kept open, for repeated evaluations); by
            default one is built from ``config`` and closed afterwards.
        progress: optional object with ``update(n)`` (e.g. a tqdm bar), advanced per graded sample.

    Raises:
        PredictionError: a malformed predictions line.

    Example:
        >>> answers = ["27", "36", "0"]
        >>> preds = [{"idx": i, "completion": f"so \\\\boxed{{{a}}}"} for i, a in enumerate(answers)]
        >>> report = evaluate(load_benchmark("amc23").subset(3), preds)
        >>> report.n_samples, report.pass_at_k["1"], report.most_missed[0]["wrong_answers"]
        (3, 0.6666666666666666, [['0', 1]])
    """
    config = config or EvalConfig()
    started = time.perf_counter()
    bench = benchmark if isinstance(benchmark, Benchmark) else load_benchmark(benchmark, config.source)
    found = read_predictions(predictions, bench)
    own = reward is None
    grader = reward if reward is not None else _make_reward(bench, config)
    try:
        results, reasons = grade(bench, found, grader, batch_size=config.batch_size, progress=progress)
    finally:
        if own:
            grader.close()
    return build_report(
        bench,
        found,
        results,
        reasons,
        fallback=grader.config.fallback,
        most_missed=config.most_missed,
        seconds=time.perf_counter() - started,
    )


__all__ = [
    "EvalConfig",
    "EvalReport",
    "Prediction",
    "PredictionError",
    "PredictionSet",
    "ProblemResult",
    "build_report",
    "evaluate",
    "grade",
    "read_predictions",
]
