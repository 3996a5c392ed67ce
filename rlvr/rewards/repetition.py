"""``repetition_penalty``: the n-gram repetition penalty of "Demystifying Long Chain-of-Thought Reasoning"
(Yeo et al. 2025, appendix C.2).

``(1 - distinct n-grams / n-grams) * max_penalty``: 0.0 for a completion with no repeated n-gram, down to
nearly ``max_penalty`` for one that repeats itself; 0.0 below ``ngram_size`` units. With
``unit="tokens"`` (the default) the units are the completion's token ids — exactly TRL's
``get_repetition_penalty_reward``; ``unit="words"`` counts lower-cased whitespace-separated words of
the completion's text instead, like open-r1 and the paper's own code (no token ids needed, so it works
from plain text in ``rlvr score`` or ``rlvr serve``).

Columns: ``completion_ids`` for ``unit="tokens"`` (TRL passes it); none for ``unit="words"``. Memory and
time are linear in the completion's length.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from rlvr.rewards.base import Item, Reward
from rlvr.rewards.lengths import LengthError, TokenLengthReward, token_ids
from rlvr.verifiers.verdict import Verdict

Unit = Literal["tokens", "words"]
UNITS: tuple[str, ...] = ("tokens", "words")


@dataclass(frozen=True)
class RepetitionPenaltyConfig:
    """Options of ``repetition_penalty``.

    Attributes:
        ngram_size: n, the length of the n-grams counted (3 in TRL and the paper).
        max_penalty: the most negative value, for a completion that is all repetition (<= 0).
        unit: ``"tokens"`` (completion ids, as TRL) or ``"words"`` (the text's words, as open-r1).

    Example:
        >>> RepetitionPenaltyConfig(max_penalty=0.5)
        Traceback (most recent call last):
        ...
        ValueError: max_penalty must be a finite number <= 0, got 0.5
    """

    ngram_size: int = 3
    max_penalty: float = -1.0
    unit: Unit = "tokens"

    def __post_init__(self) -> None:
        if isinstance(self.ngram_size, bool) or not isinstance(self.ngram_size, int) or self.ngram_size < 1:
            raise ValueError(f"ngram_size must be an int >= 1, got {self.ngram_size!r}")
        penalty = self.max_penalty
        if isinstance(penalty, bool) or not isinstance(penalty, (int, float)) or not -math.inf < penalty <= 0:
            raise ValueError(f"max_penalty must be a finite number <= 0, got {penalty!r}")
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {self.unit!r}")


def repeated_fraction(units: Sequence[object], n: int) -> float:
    """``1 - distinct / total`` over the n-grams of ``units``; 0.0 when there are fewer than ``n`` units.

    Example:
        >>> repeated_fraction([5, 5, 5, 5, 5], 2), repeated_fraction([1, 2, 3, 4], 2)
        (0.75, 0.0)
    """
    total = len(units) - n + 1
    if total <= 0:
        return 0.0
    distinct = len(set(units)) if n == 1 else len({tuple(units[i : i + n]) for i in range(total)})
    return 1 - distinct / total


class RepetitionPenaltyReward(TokenLengthReward[RepetitionPenaltyConfig]):
    """N-gram repetition penalty in ``[max_penalty, 0]`` (see the module docstring).

    Example:
        >>> reward = RepetitionPenaltyReward(ngram_size=2)
        >>> reward(completions=["a", "b"], completion_ids=[[1, 2, 3, 4], [5, 5, 5, 5, 5]])
        [0.0, -0.75]
        >>> RepetitionPenaltyReward(unit="words")(completions=["the cat the cat the cat"])
        [-0.5]
    """

    default_name: ClassVar[str] = "repetition_penalty"
    config_class: ClassVar[type[Any]] = RepetitionPenaltyConfig

    def missing_column(self, present: Collection[str]) -> str | None:
        if self.config.unit == "words":  # no token ids needed
            return Reward.missing_column(self, present)
        return super().missing_column(present)

    def check_columns(self, columns: Mapping[str, Any], size: int) -> None:
        if self.config.unit == "words":
            Reward.check_columns(self, columns, size)
        else:
            super().check_columns(columns, size)

    def judge_batch(self, items: Sequence[Item]) -> list[Verdict]:
        config = self.config
        verdicts = []
        for item in items:
            if config.unit == "words":
                units: Sequence[object] = item.completion.text.lower().split()
            else:
                try:
                    units = token_ids(item.row)
                except LengthError as exc:
                    verdicts.append(Verdict.unjudged(str(exc)))
                    continue
            fraction = repeated_fraction(units, config.ngram_size)
            value = fraction * config.max_penalty if fraction else 0.0
            reason = f"{fraction:.0%} of {config.ngram_size}-grams repeated" if fraction else ""
            verdicts.append(Verdict(value + 0.0, reason))
        return verdicts


repetition_penalty = RepetitionPenaltyReward()
