"""``math_accuracy``: 1.0 when the completion's final answer equals the gold answer, 0.0 when it does not,
``None`` when the item cannot be judged (the gold does not parse, the judgement timed out).

Columns: the gold answer in ``answer`` (configurable with ``gold_column``); when that column is absent, a
``solution`` column is read instead and its last ``\\boxed{}`` is the gold (MATH style). GSM8K solutions
ending ``#### 72`` work in either column.

Extraction and the cheap comparisons (numbers, fractions, sets, intervals, choices, text, exact surds) run
in the calling process; symbolic answers go to the executor's workers, each under a hard deadline (5 s by
default). Workers start only when an item needs one, and as soon as the first such item is found: they
start while the rest of the batch goes through the fast path. Identical (gold, answer) pairs — the G
completions of a group often agree — are judged once and cached. Every caller judges through the same
pipeline (:mod:`rlvr.verifiers.math.judge`): :meth:`MathAccuracyReward.grade` also returns each
completion's final answer, and :meth:`MathAccuracyReward.judge_answers` judges answers already
extracted.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

from rlvr.executor import Executor, ExecutorConfig, Outcome
from rlvr.rewards.base import Item, Reward
from rlvr.rewards.inputs import TRAINER_KEYWORDS, MalformedInputError, MissingColumnError, read_completion
from rlvr.verifiers.math.compare import MathPolicy
from rlvr.verifiers.math.extract import FALLBACKS, MAX_ANSWER_CHARS, Fallback
from rlvr.verifiers.math.judge import (
    Answer,
    Job,
    JudgedAnswers,
    Prepared,
    full_judgement,
    gold_hint,
    prepare_answer,
    prepare_completion,
    read_gold,
)
from rlvr.verifiers.math.prose import GoldHint
from rlvr.verifiers.verdict import Verdict

SOLUTION_COLUMN = "solution"
_WORKER_PRELOAD = ("rlvr.verifiers.math.judge", "math_verify", "sympy")


@dataclass(frozen=True)
class MathAccuracyConfig:
    """Options of ``math_accuracy``.

    Attributes:
        gold_column: the dataset column with the gold answer (``solution`` is the fallback).
        fallback: ``"last_number"`` also takes the last number of a completion that has no answer marker
            (right for plain-number tasks such as GSM8K; off by default for training, where a policy should
            learn to mark its answer).
        allow_decimal_approximation: accept ``0.333`` for an exact ``1/3`` gold.
        max_answer_chars: only this many trailing characters of the answer part are searched.
        timeout: seconds one symbolic judgement may take before it is ``None`` ("timeout"). Set, it wins
            over the deadline of an executor passed to the reward; unset (``None``), the executor's
            deadline applies (5 s by default; ``rlvr score --timeout`` sets this option).

    Example:
        >>> MathAccuracyConfig(fallback="last_number").fallback
        'last_number'
    """

    gold_column: str = "answer"
    fallback: Fallback = "none"
    allow_decimal_approximation: bool = False
    max_answer_chars: int = MAX_ANSWER_CHARS
    timeout: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.gold_column, str) or not self.gold_column:
            raise ValueError(f"gold_column must be a column name, got {self.gold_column!r}")
        if self.fallback not in FALLBACKS:
            raise ValueError(f"fallback must be one of {FALLBACKS}, got {self.fallback!r}")
        if not isinstance(self.max_answer_chars, int) or self.max_answer_chars < 16:
            raise ValueError(f"max_answer_chars must be an int >= 16, got {self.max_answer_chars!r}")
        if self.timeout is not None and (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, (int, float))
            or not self.timeout > 0
        ):
            raise ValueError(f"timeout must be > 0, got {self.timeout!r}")

    @property
    def policy(self) -> MathPolicy:
        return MathPolicy(allow_decimal_approximation=self.allow_decimal_approximation)


class MathAccuracyReward(Reward[MathAccuracyConfig]):
    """1.0 / 0.0 / None for the final answer against the gold (see the module docstring).

    Example:
        >>> from rlvr.rewards import math_accuracy
        >>> math_accuracy(completions=["<think>2+2</think> $\\\\boxed{4}$", "\\\\boxed{5}", "no idea"],
        ...               answer=["4", "4", "4"])
        [1.0, 0.0, 0.0]
        >>> gsm8k = MathAccuracyReward(fallback="last_number", name="gsm8k_accuracy")
        >>> gsm8k(completions=["She has 72 clips."], answer=["Natalia sold ... #### 72"])
        [1.0]
    """

    default_name: ClassVar[str] = "math_accuracy"
    config_class: ClassVar[type[Any]] = MathAccuracyConfig
    optional_columns: ClassVar[tuple[str, ...]] = (SOLUTION_COLUMN,)
    command_line_options: ClassVar[Mapping[str, str]] = MappingProxyType({"timeout": "timeout"})

    def executor_config(self, given: ExecutorConfig | None) -> ExecutorConfig:
        base = given or ExecutorConfig()
        if self.config.timeout is not None:
            base = dataclasses.replace(base, timeout=float(self.config.timeout))
        return dataclasses.replace(base, preload=tuple(dict.fromkeys((*base.preload, *_WORKER_PRELOAD))))

    def _gold_column(self, columns: Mapping[str, Any]) -> str:
        if self.config.gold_column in columns:
            return self.config.gold_column
        if SOLUTION_COLUMN in columns:
            return SOLUTION_COLUMN
        present = ", ".join(sorted(k for k in columns if k not in TRAINER_KEYWORDS)) or "none"
        raise MissingColumnError(
            f"reward {self.__name__!r} needs the dataset column {self.config.gold_column!r} "
            f"(or {SOLUTION_COLUMN!r}), which this batch does not have (columns: {present})"
        )

    def missing_column(self, present: Collection[str]) -> str | None:
        if self.config.gold_column not in present and SOLUTION_COLUMN not in present:
            return f"{self.config.gold_column!r} (or {SOLUTION_COLUMN!r})"
        return super().missing_column(present)

    def judge_batch(self, items: Sequence[Item]) -> list[Verdict]:
        return [judged.verdict for judged in self.judge_items(items)]

    def grade(self, completions: Sequence[Any], golds: Sequence[Any]) -> list[Judged]:
        """Judge completions against golds, returning each verdict with the completion's final answer.

        ``rlvr eval`` uses this for its majority votes, so that an answer is extracted once, the same way
        the reward reads it.

        Example:
            >>> reward = MathAccuracyReward()
            >>> [(j.verdict.score, j.answer.raw) for j in reward.grade(["so \\\\boxed{4}"], ["4"])]
            [(1.0, '4')]
        """
        if len(completions) != len(golds):
            raise ValueError(f"{len(completions)} completions for {len(golds)} golds")
        results: list[Judged | None] = [None] * len(completions)
        items: list[Item] = []
        positions: list[int] = []
        for index, (completion, gold) in enumerate(zip(completions, golds, strict=True)):
            try:
                text = read_completion(completion)
            except MalformedInputError as exc:
                results[index] = Judged(Verdict.unjudged(f"malformed input: {exc}"), None)
                continue
            items.append(Item(text, None, {self.config.gold_column: gold}))
            positions.append(index)
        for index, judged in zip(positions, self.judge_items(items), strict=True):
            results[index] = judged
        return results  # type: ignore[return-value]

    def judge_answers(self, pairs: Sequence[tuple[Any, str]]) -> list[Verdict]:
        """Judge (gold, answer) pairs whose answers are already extracted, through the same pipeline.

        Example:
            >>> MathAccuracyReward().judge_answers([("\\\\frac{1}{2}", "0.5"), ("3", "4")])
            [Verdict(score=1.0, reason=''), Verdict(score=0.0, reason='different number')]
        """
        policy = self.config.policy
        golds = _GoldCache()
        runner = _Runner(self)
        for gold, answer in pairs:
            runner.add(prepare_answer(golds.read(gold), answer, policy))
        return [judged.verdict for judged in runner.finish()]

    def judge_items(self, items: Sequence[Item]) -> list[Judged]:
        """Judge read items: one :class:`Judged` (verdict and final answer) per item, in order."""
        config = self.config
        policy = config.policy
        golds = _GoldCache()
        runner = _Runner(self)
        judged: JudgedAnswers = {}
        for item in items:
            column = config.gold_column if config.gold_column in item.row else SOLUTION_COLUMN
            raw_gold = item.row.get(column)
            gold = golds.read(raw_gold)
            if gold is None:
                runner.add(Prepared(Verdict.unjudged(f"no gold answer in column {column!r}"), None, None))
                continue
            runner.add(
                prepare_completion(
                    item.completion.text,
                    gold,
                    fallback=config.fallback,
                    max_chars=config.max_answer_chars,
                    policy=policy,
                    hint=golds.hint(raw_gold),
                    judged=judged,
                )
            )
        return runner.finish()


class Judged(NamedTuple):
    """A verdict and the final answer it judged (``None`` when the completion gives no single answer)."""

    verdict: Verdict
    answer: Answer | None


class _GoldCache:
    """Golds of one batch, each read once (a group's completions share their gold)."""

    def __init__(self) -> None:
        self._golds: dict[object, Answer | None] = {}
        self._hints: dict[object, GoldHint] = {}

    def read(self, raw: object) -> Answer | None:
        key = self._key(raw)
        if key not in self._golds:
            self._golds[key] = read_gold(raw)
        return self._golds[key]

    def hint(self, raw: object) -> GoldHint | None:
        """What completions of this (read) gold must look like, worked out once per batch."""
        key = self._key(raw)
        gold = self._golds.get(key)
        if gold is None:
            return None
        if key not in self._hints:
            self._hints[key] = gold_hint(gold)
        return self._hints[key]

    @staticmethod
    def _key(raw: object) -> object:
        return raw if isinstance(raw, (str, int, float)) else id(raw)


class _Runner:
    """Collects prepared items; the first one that needs a worker is sent off at once, in a thread, so
    that the worker processes start while the rest of the batch is still being extracted and fast-judged.
    """

    def __init__(self, reward: MathAccuracyReward) -> None:
        self._reward = reward
        self._prepared: list[Prepared] = []
        self._early: _EarlyJob | None = None

    def add(self, prepared: Prepared) -> None:
        if prepared.job is not None and self._early is None:
            self._early = _EarlyJob(
                self._reward.executor, prepared.job, len(self._prepared), self._reward.config.timeout
            )
        self._prepared.append(prepared)

    def finish(self) -> list[Judged]:
        verdicts: list[Verdict | None] = [p.verdict for p in self._prepared]
        early = self._early
        by_job: dict[Job, list[int]] = {}
        for index, prepared in enumerate(self._prepared):
            if prepared.job is not None:
                by_job.setdefault(prepared.job, []).append(index)
        outcomes: dict[Job, Outcome] = {}
        rest = [job for job in by_job if early is None or job != early.job]
        if rest:
            for job, outcome in zip(
                rest,
                self._reward.executor.map(full_judgement, rest, timeout=self._reward.config.timeout),
                strict=True,
            ):
                outcomes[job] = outcome
        if early is not None:
            outcomes[early.job] = early.outcome()
        for job, indices in by_job.items():
            outcome = outcomes[job]
            verdict = outcome.value if outcome.ok and isinstance(outcome.value, Verdict) else None
            for index in indices:
                verdicts[index] = verdict or Verdict.unjudged(
                    outcome.reason or "judgement returned no verdict"
                )
        return [
            Judged(verdict, prepared.answer)  # type: ignore[arg-type]
            for verdict, prepared in zip(verdicts, self._prepared, strict=True)
        ]


class _EarlyJob:
    """One job judged in a background thread (which starts the executor's workers meanwhile)."""

    def __init__(self, executor: Executor, job: Job, index: int, timeout: float | None) -> None:
        self.index = index
        self.job = job
        self._timeout = timeout
        self._outcome: Outcome | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(executor, job), daemon=True)
        self._thread.start()

    def _run(self, executor: Executor, job: Job) -> None:
        try:
            self._outcome = executor.map(full_judgement, [job], timeout=self._timeout)[0]
        except BaseException as exc:
            self._error = exc

    def outcome(self) -> Outcome:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._outcome is not None
        return self._outcome


math_accuracy = MathAccuracyReward()
