"""Evaluate model predictions on a math benchmark: the engine behind ``rlvr eval``.

Predictions are JSON objects, one per line of a JSONL file (or mappings in Python)::

    {"id": "test/algebra/2584.json", "completion": "... \\\\boxed{\\\\frac{14}{3}}"}
    {"idx": 2, "completion": "..."}

``id`` names a problem by its id, ``idx`` by its 0-based position in the benchmark (an ``id`` that is
not the benchmark's falls back to ``idx`` when both are given; when both name different problems the
line is reported as unknown). Several lines for one problem are several samples, in file order. The
completion is a string or chat messages (the last assistant message counts). Lines for unknown problems
and problems with no prediction are listed in the report, never dropped silently.

Every sample is graded by rlvr's ``math_accuracy`` reward, the same verdicts as ``rlvr score math``
(GSM8K with ``fallback="last_number"``): extraction and the cheap comparisons in-process, symbolic
comparisons in worker processes under a hard deadline. A sample that cannot be judged (``None``: a
timeout) counts as wrong and is counted apart.

**Every figure is over all the benchmark's problems** (all of a :meth:`~rlvr.eval.datasets.Benchmark.subset`
when one is given), and **a problem without predictions counts as unsolved** (0) in each of them:

- accuracy: the mean over problems of each problem's share of correct samples;
- pass@k: the mean over problems of the unbiased estimator (Chen et al. 2021) from the problem's
  ``n`` samples and ``c`` correct ones; pass@1 is the accuracy;
- maj@k: the mean over problems of majority voting over answers grouped by rlvr equivalence, in
  consecutive blocks of k samples (definitions in :mod:`rlvr.eval.metrics`); maj@1 is the accuracy
  too, unless a sample's verdict differs from that of its answer class's first sample;
- the per-subject and per-level breakdowns (MATH, MATH-500): the same figures over the problems of
  the subject or level, its missing problems included; weighted by their problems they add up to the
  overall figure.

**The k reported** are 1, 2, 4, ... up to ``m`` and ``m`` itself, where ``m`` is the fewest samples of
a problem that has predictions (k = 1 alone when no problem has any). Every problem with predictions
then has at least k samples, as the estimators need; larger k are not reported, since a problem with
fewer than k samples has no estimate there and counting it 0 would mix samples never drawn with wrong
ones. With the same number of samples everywhere, ``m`` is that number.

**The coverage** (:class:`Coverage`) states how many problems have predictions, of how many, and how
many samples each has; the JSON, the Markdown and ``rlvr eval``'s summary line state it, e.g.
"predictions for 300 of 500 problems (200 missing, counted unsolved), 4 samples per problem".

The report (:class:`EvalReport`) also gives the samples without an answer and the unjudged ones, the
reasons of failures, and the most-missed problems; as JSON (figures rounded to :data:`DECIMALS`
places, k keys as strings), Markdown (percentages to 0.1), or a PNG figure (needs matplotlib).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

from rlvr.eval.datasets import SOURCES, Benchmark, Source, load_benchmark
from rlvr.eval.metrics import assign_classes, ks_for, maj_at_k, mean, pass_at_k
from rlvr.executor import ExecutorConfig
from rlvr.executor.config import resolve_backend
from rlvr.rewards.math_reward import MathAccuracyReward
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


def _decode(number: int, raw: str | bytes) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")  # a byte-order mark on line 1 is fine
    except UnicodeDecodeError as exc:
        raise PredictionError(
            f"line {number}: not valid UTF-8 (byte {raw[exc.start]:#04x} at byte {exc.start + 1})"
        ) from None


def _parse_lines(stream: Iterable[str] | Iterable[bytes]) -> Iterator[tuple[int, Any]]:
    number = 0
    lines = iter(stream)
    while True:
        try:
            raw = next(lines)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:  # a text stream decoding ahead of the lines it hands out
            raise PredictionError(
                f"line {number + 1} or a later one: not valid UTF-8 ({exc.reason}); "
                "pass a binary stream for the exact line"
            ) from None
        number += 1
        text = _decode(number, raw)
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except json.JSONDecodeError as exc:
            raise PredictionError(
                f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        except RecursionError:
            raise PredictionError(f"line {number}: not valid JSON (nested too deeply)") from None


def _records(
    source: str | Path | IO[str] | IO[bytes] | Iterable[Mapping[str, Any]],
) -> Iterator[tuple[int, Any]]:
    if isinstance(source, (str, Path)):
        with open(source, "rb") as stream:  # decoded line by line: bad UTF-8 is reported with its line
            yield from _parse_lines(stream)
    elif hasattr(source, "readline"):
        yield from _parse_lines(source)  # type: ignore[arg-type]
    else:
        yield from enumerate(source, start=1)


def read_predictions(
    source: str | Path | IO[str] | IO[bytes] | Iterable[Mapping[str, Any]], bench: Benchmark
) -> PredictionSet:
    """Read predictions (a JSONL path, a binary or text stream, or mappings) and sort them by problem.

    Raises:
        PredictionError: a line that is not UTF-8, not JSON, not a JSON object, has no ``completion``,
            or has neither ``id`` nor ``idx`` (or a non-integer ``idx``); the message names the line.

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


#: Decimal places of the figures in the JSON report: fractions to 0.0001 (0.01 percentage points),
#: seconds to 0.1 ms. The Python object keeps exact values.
DECIMALS = 4


def _group_metrics(results: Sequence[ProblemResult], ks: Sequence[int]) -> dict[str, Any]:
    """The figures of a group of problems; each problem weighs the same, one without samples scores 0."""
    return {
        "n_problems": len(results),
        "n_problems_evaluated": sum(1 for r in results if r.samples),
        "n_samples": sum(r.samples for r in results),
        "accuracy": mean([r.accuracy for r in results]),
        "pass_at_k": {k: mean([r.pass_at(k) for r in results]) for k in ks},
        "maj_at_k": {k: mean([r.maj_at(k) for r in results]) for k in ks},
    }


def reported_ks(samples_per_problem: Iterable[int]) -> list[int]:
    """The k of pass@k and maj@k: 1, 2, 4, ... up to the fewest samples ``m`` of a problem that has any,
    and ``m`` itself; ``[1]`` when no problem has samples (see the module docstring).

    Example:
        >>> reported_ks([4, 0, 6]), reported_ks([8, 8]), reported_ks([0, 0])
        ([1, 2, 4], [1, 2, 4, 8], [1])
    """
    counts = [count for count in samples_per_problem if count > 0]
    return ks_for(min(counts)) if counts else [1]


@dataclass(frozen=True)
class Coverage:
    """Which problems have predictions: how many of how many, and how many samples each.

    Attributes:
        problems: the problems evaluated (the whole benchmark, or the subset given).
        with_predictions: those with at least one sample.
        by_samples: how many problems have each number of samples (``0``: the missing problems).

    Example:
        >>> coverage = Coverage(problems=500, with_predictions=300, by_samples={0: 200, 4: 300})
        >>> coverage.missing, coverage.describe()
        (200, 'predictions for 300 of 500 problems (200 missing, counted unsolved), 4 samples per problem')
    """

    problems: int
    with_predictions: int
    by_samples: dict[int, int]

    @classmethod
    def of(cls, samples_per_problem: Sequence[int]) -> Coverage:
        """The coverage of problems with these numbers of samples.

        Example:
            >>> Coverage.of([2, 0, 2, 1]).by_samples
            {0: 1, 1: 1, 2: 2}
        """
        counts = Counter(samples_per_problem)
        return cls(
            problems=len(samples_per_problem),
            with_predictions=sum(1 for count in samples_per_problem if count),
            by_samples={count: counts[count] for count in sorted(counts)},
        )

    @property
    def missing(self) -> int:
        """Problems without predictions (each counts as unsolved)."""
        return self.problems - self.with_predictions

    def describe(self) -> str:
        """The coverage in words, as the Markdown and ``rlvr eval``'s summary line state it.

        Example:
            >>> Coverage(3, 3, {1: 1, 2: 2}).describe()
            'predictions for all 3 problems, 1 to 2 samples per problem (1 problem with 1, 2 with 2)'
        """
        if not self.with_predictions:
            return f"no predictions for any of the {self.problems:,} problems (all counted unsolved)"
        if self.missing:
            text = (
                f"predictions for {self.with_predictions:,} of {self.problems:,} problems "
                f"({self.missing:,} missing, counted unsolved)"
            )
        else:
            text = f"predictions for all {self.problems:,} problems"
        counts = [count for count in self.by_samples if count]
        if len(counts) == 1:
            return f"{text}, {counts[0]:,} sample{'s' if counts[0] > 1 else ''} per problem"
        text += f", {counts[0]:,} to {counts[-1]:,} samples per problem"
        if len(counts) <= 4:
            first, *rest = counts
            many = self.by_samples[first]
            parts = [f"{many:,} problem{'s' if many > 1 else ''} with {first:,}"]
            parts += [f"{self.by_samples[count]:,} with {count:,}" for count in rest]
            text += f" ({', '.join(parts)})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The coverage as it appears in the JSON report (with ``missing`` and the ``summary`` sentence).

        Example:
            >>> Coverage(2, 1, {0: 1, 3: 1}).to_dict()["by_samples"]
            {'0': 1, '3': 1}
        """
        return {
            "problems": self.problems,
            "with_predictions": self.with_predictions,
            "missing": self.missing,
            "by_samples": {str(count): problems for count, problems in self.by_samples.items()},
            "summary": self.describe(),
        }


def _json_ready(value: Any) -> Any:
    """``value`` as its JSON reads back: int keys as strings, floats rounded to :data:`DECIMALS` places."""
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, Coverage):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    return value


@dataclass
class EvalReport:
    """The result of :func:`evaluate`; :meth:`to_json`, :meth:`markdown` and :meth:`plot` render it.

    Every figure is over all ``n_problems`` problems, a problem without predictions counting as
    unsolved (see the module docstring). Rates are fractions in [0, 1], kept exact here; ``pass_at_k``
    and ``maj_at_k`` (also in each ``by_subject``/``by_level`` group) are keyed by k, an ``int``:
    ``report.pass_at_k[1]``. The JSON has the same keys as strings (``"1"``: JSON keys are strings)
    and figures rounded to :data:`DECIMALS` places; the Markdown and the command line print
    percentages to 0.1. ``coverage`` says which problems have predictions; ``n_problems_evaluated``
    is its ``with_predictions`` and ``samples_per_problem`` the fewest and most samples of a problem
    that has any. ``no_answer`` counts samples without a single final answer, ``unjudged`` those the
    grader could not judge (``None``); both count as wrong. ``problems`` holds, per problem, its
    samples, correct samples and majority answer.

    Example:
        >>> bench = load_benchmark("aime24").subset(3)
        >>> report = evaluate(bench, [{"idx": 1, "completion": f"\\\\boxed{{{bench[1].answer}}}"}])
        >>> report.accuracy, report.pass_at_k[1], report.missing_problems
        (0.3333333333333333, 0.3333333333333333, ['aime-2024-I-1', 'aime-2024-I-11'])
        >>> data = json.loads(report.to_json())
        >>> data["accuracy"], data["pass_at_k"], data["coverage"]["missing"]
        (0.3333, {'1': 0.3333}, 2)
        >>> data["coverage"]["summary"]
        'predictions for 1 of 3 problems (2 missing, counted unsolved), 1 sample per problem'
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
    pass_at_k: dict[int, float]
    maj_at_k: dict[int, float]
    coverage: Coverage
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
        """The JSON report as Python data (top-level keys ``benchmark``, ``n_problems``, ...): k keys as
        strings, figures rounded to :data:`DECIMALS` places, ``coverage`` with its ``summary``."""
        return _json_ready({f.name: getattr(self, f.name) for f in fields(self)})

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (see :meth:`to_dict`)."""
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
    """Compute the figures of graded results: each over all the benchmark's problems, a problem without
    predictions counting as unsolved; k as :func:`reported_ks` says (see the module docstring).

    Example:
        >>> bench = load_benchmark("amc23").subset(2)
        >>> found = read_predictions([{"idx": 0, "completion": "\\\\boxed{27}"}], bench)
        >>> results, reasons = grade(bench, found, MathAccuracyReward())
        >>> report = build_report(bench, found, results, reasons, fallback="none")
        >>> report.accuracy, report.pass_at_k, report.missing_problems
        (0.5, {1: 0.5}, ['amc23-1'])
    """
    counts = [r.samples for r in results if r.samples]
    ks = reported_ks(counts)
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
        coverage=Coverage.of([r.samples for r in results]),
        samples_per_problem={"min": min(counts, default=0), "max": max(counts, default=0)},
        n_problems_evaluated=overall["n_problems_evaluated"],
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


# -- the whole evaluation ----------------------------------------------------------------------------


def evaluate(
    benchmark: str | Benchmark,
    predictions: str | Path | IO[str] | IO[bytes] | Iterable[Mapping[str, Any]],
    config: EvalConfig | None = None,
    *,
    reward: MathAccuracyReward | None = None,
    progress: Any = None,
) -> EvalReport:
    """Grade predictions on a benchmark and compute the report (what ``rlvr eval`` prints).

    Args:
        benchmark: a benchmark name (``gsm8k``, ``math``, ``math500``, ``aime24``, ``aime25``,
            ``amc23``) or a loaded :class:`~rlvr.eval.datasets.Benchmark` (e.g. a subset).
        predictions: a JSONL path, a binary or text stream of JSONL, or mappings with ``id`` or
            ``idx`` and ``completion``.
        config: options (see :class:`EvalConfig`).
        reward: a ``MathAccuracyReward`` to grade with (kept open, for repeated evaluations); by
            default one is built from ``config`` and closed afterwards.
        progress: optional object with ``update(n)`` (e.g. a tqdm bar), advanced per graded sample.

    Returns:
        The report: every figure over all the benchmark's problems (or ``benchmark``'s subset), a
        problem without predictions counting as unsolved; its ``coverage`` says which have them.

    Raises:
        PredictionError: a malformed predictions line (its message names the line).
        OSError: the predictions file cannot be read.

    Example:
        >>> answers = ["27", "36", "0"]
        >>> preds = [{"idx": i, "completion": f"so \\\\boxed{{{a}}}"} for i, a in enumerate(answers)]
        >>> report = evaluate(load_benchmark("amc23").subset(3), preds)
        >>> report.n_samples, report.pass_at_k[1], report.most_missed[0]["wrong_answers"]
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
    "DECIMALS",
    "Coverage",
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
    "reported_ks",
]
