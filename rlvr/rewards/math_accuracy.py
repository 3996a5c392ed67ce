"""``math_accuracy``: 1.0 when the completion's final answer equals the gold answer, 0.0 when it does not,
``None`` when the item cannot be judged (the gold does not parse, the judgement timed out).

Columns: the gold answer in ``answer`` (configurable with ``gold_column``); when that column is absent, a
``solution`` column is read instead and its last ``\\boxed{}`` is the gold (MATH style). GSM8K solutions
ending ``#### 72`` work in either column.

Extraction and the cheap comparisons (numbers, fractions, sets, intervals, choices, text) run in the
calling process; symbolic answers go to the executor's workers, each under a hard deadline (5 s by
default). Identical (gold, answer) pairs — the G completions of a group often agree — are judged once
and cached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rlvr.executor import ExecutorConfig
from rlvr.rewards.base import Item, Reward
from rlvr.rewards.inputs import TRAINER_KEYWORDS, MissingColumnError
from rlvr.verifiers.math.compare import MathPolicy
from rlvr.verifiers.math.extract import FALLBACKS, MAX_ANSWER_CHARS, Fallback, extract_answer
from rlvr.verifiers.math.verify import Answer, fast_judgement, full_judgement, gold_answer, make_answer
from rlvr.verifiers.verdict import Verdict

SOLUTION_COLUMN = "solution"
_WORKER_PRELOAD = ("rlvr.verifiers.math.verify", "math_verify", "sympy")


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
        timeout: seconds one symbolic judgement may take before it is ``None`` ("timeout"); an
            executor passed to the reward (or ``rlvr score --timeout``) sets its own instead.

    Example:
        >>> MathAccuracyConfig(fallback="last_number").fallback
        'last_number'
    """

    gold_column: str = "answer"
    fallback: Fallback = "none"
    allow_decimal_approximation: bool = False
    max_answer_chars: int = MAX_ANSWER_CHARS
    timeout: float = 5.0

    def __post_init__(self) -> None:
        if not isinstance(self.gold_column, str) or not self.gold_column:
            raise ValueError(f"gold_column must be a column name, got {self.gold_column!r}")
        if self.fallback not in FALLBACKS:
            raise ValueError(f"fallback must be one of {FALLBACKS}, got {self.fallback!r}")
        if not isinstance(self.max_answer_chars, int) or self.max_answer_chars < 16:
            raise ValueError(f"max_answer_chars must be an int >= 16, got {self.max_answer_chars!r}")
        if not isinstance(self.timeout, (int, float)) or not self.timeout > 0:
            raise ValueError(f"timeout must be > 0, got {self.timeout!r}")

    @property
    def policy(self) -> MathPolicy:
        return MathPolicy(allow_decimal_approximation=self.allow_decimal_approximation)


class MathAccuracyReward(Reward):
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
    config_class: ClassVar[type] = MathAccuracyConfig
    optional_columns: ClassVar[tuple[str, ...]] = (SOLUTION_COLUMN,)

    def executor_config(self, given: ExecutorConfig | None) -> ExecutorConfig:
        base = given or ExecutorConfig(timeout=self.config.timeout)
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

    def check_columns(self, columns: Mapping[str, Any], size: int) -> None:
        self._gold_column(columns)
        super().check_columns(columns, size)

    def judge_batch(self, items: Sequence[Item]) -> list[Verdict]:
        config = self.config
        policy = config.policy
        verdicts: list[Verdict | None] = [None] * len(items)
        pending: list[int] = []
        jobs: list[tuple[Answer, tuple[Answer, ...], MathPolicy]] = []
        golds: dict[object, Answer | None] = {}
        for index, item in enumerate(items):
            column = self.config.gold_column if self.config.gold_column in item.row else SOLUTION_COLUMN
            raw_gold = item.row.get(column)
            key = raw_gold if isinstance(raw_gold, (str, int, float)) else id(raw_gold)
            if key not in golds:
                text = gold_answer(raw_gold)
                golds[key] = make_answer(text) if text is not None else None
            gold = golds[key]
            if gold is None or not gold[1]:
                verdicts[index] = Verdict.unjudged(f"no gold answer in column {column!r}")
                continue
            extraction = extract_answer(
                item.completion.text, fallback=config.fallback, max_chars=config.max_answer_chars
            )
            if not extraction.found:
                verdicts[index] = Verdict(0.0, extraction.reason)
                continue
            candidates = tuple(make_answer(c) for c in extraction.candidates)
            pending.append(index)
            jobs.append((gold, candidates, policy))
        if jobs:
            outcomes = self.executor.map(full_judgement, jobs, fast=fast_judgement)
            for index, outcome in zip(pending, outcomes, strict=True):
                if outcome.ok and isinstance(outcome.value, Verdict):
                    verdicts[index] = outcome.value
                else:
                    verdicts[index] = Verdict.unjudged(outcome.reason or "judgement returned no verdict")
        return verdicts  # type: ignore[return-value]


math_accuracy = MathAccuracyReward()
