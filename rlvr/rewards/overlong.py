"""``soft_overlong``: DAPO's soft overlong punishment (Yu et al. 2025, eq. 13), from lengths in tokens.

With ``L`` the completion's length in tokens (``len(completion_ids)``), ``L_max`` = ``max_completion_len``
and ``B`` = ``overlong_buffer_len``::

    0                                  when L <= L_max - B
    -(L - (L_max - B)) / B * factor    when L_max - B < L <= L_max
    -factor                            when L > L_max

With ``penalty_factor=1`` (the default) this is exactly TRL's ``get_soft_overlong_punishment`` and verl's
and OpenRLHF's DAPO overlong penalty inside ``[0, L_max]``; past ``L_max`` (a completion that was not cut
at the limit) it stays at ``-factor`` like TRL and OpenRLHF, where verl's formula keeps falling. Add it to
the accuracy reward (TRL's ``reward_funcs=[accuracy, soft_overlong]``, or :func:`rlvr.rewards.combine`).

Columns: ``completion_ids`` (TRL passes it) or ``completion_length``. ``max_completion_len`` must be set —
to the trainer's ``max_completion_length``; without it the first call fails and says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rlvr.rewards.base import Item
from rlvr.rewards.lengths import LengthError, TokenLengthReward, token_count
from rlvr.verifiers.verdict import Verdict


def _positive_int(value: object, name: str, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class SoftOverlongConfig:
    """Options of ``soft_overlong``.

    Attributes:
        max_completion_len: ``L_max``, the trainer's maximum completion length in tokens (required).
        overlong_buffer_len: ``B``, the tokens before ``L_max`` over which the penalty grows; 0 penalises
            only completions longer than ``L_max``. ``None`` (default): a fifth of ``L_max``, DAPO's
            4096 of 20480.
        penalty_factor: the largest penalty (1.0 in DAPO, TRL and OpenRLHF).

    Example:
        >>> SoftOverlongConfig(max_completion_len=100, overlong_buffer_len=20).overlong_buffer_len
        20
        >>> SoftOverlongConfig(max_completion_len=100, overlong_buffer_len=200)
        Traceback (most recent call last):
        ...
        ValueError: overlong_buffer_len (200) must not exceed max_completion_len (100)
    """

    max_completion_len: int | None = None
    overlong_buffer_len: int | None = None
    penalty_factor: float = 1.0

    def __post_init__(self) -> None:
        if self.max_completion_len is not None:
            _positive_int(self.max_completion_len, "max_completion_len", minimum=1)
        if self.overlong_buffer_len is not None:
            _positive_int(self.overlong_buffer_len, "overlong_buffer_len", minimum=0)
        if (
            self.max_completion_len is not None
            and self.overlong_buffer_len is not None
            and self.overlong_buffer_len > self.max_completion_len
        ):
            raise ValueError(
                f"overlong_buffer_len ({self.overlong_buffer_len}) must not exceed max_completion_len "
                f"({self.max_completion_len})"
            )
        factor = self.penalty_factor
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor < math.inf:
            raise ValueError(f"penalty_factor must be a finite number >= 0, got {factor!r}")


def soft_overlong_penalty(
    length: int, max_completion_len: int, buffer_len: int, factor: float = 1.0
) -> float:
    """The penalty for a completion of ``length`` tokens (see the module docstring).

    Example:
        >>> [soft_overlong_penalty(n, 100, 20) for n in (80, 90, 100, 120)]
        [0.0, -0.5, -1.0, -1.0]
    """
    expected = max_completion_len - buffer_len
    if length <= expected:
        return 0.0
    if length > max_completion_len:
        return -float(factor)
    return (expected - length) / buffer_len * factor


class SoftOverlongReward(TokenLengthReward[SoftOverlongConfig]):
    """DAPO's soft overlong punishment, 0 down to ``-penalty_factor`` (see the module docstring).

    Example:
        >>> reward = SoftOverlongReward(max_completion_len=100, overlong_buffer_len=20)
        >>> reward(completions=["a", "b", "c"], completion_ids=[[1] * 50, [1] * 90, [1] * 130])
        [0.0, -0.5, -1.0]
    """

    default_name: ClassVar[str] = "soft_overlong"
    config_class: ClassVar[type[Any]] = SoftOverlongConfig

    def check_settings(self) -> None:
        if self.config.max_completion_len is None:
            raise ValueError(
                f"reward {self.__name__!r} needs max_completion_len: set it to the trainer's maximum "
                "completion length in tokens (--set max_completion_len=N)"
            )

    @property
    def buffer_len(self) -> int:
        """``B`` in force: ``overlong_buffer_len``, or a fifth of ``max_completion_len``.

        Example:
            >>> SoftOverlongReward(max_completion_len=20480).buffer_len
            4096
        """
        config = self.config
        if config.overlong_buffer_len is not None:
            return int(config.overlong_buffer_len)
        return int(config.max_completion_len or 0) // 5

    def judge_batch(self, items: Sequence[Item]) -> list[Verdict]:
        config = self.config
        limit, buffer = int(config.max_completion_len), self.buffer_len
        verdicts = []
        for item in items:
            try:
                length = token_count(item.row)
            except LengthError as exc:
                verdicts.append(Verdict.unjudged(str(exc)))
                continue
            penalty = soft_overlong_penalty(length, limit, buffer, config.penalty_factor)
            if length > limit:
                reason = f"{length} tokens, over max_completion_len {limit}"
            elif penalty:
                reason = f"{length} tokens, {length - (limit - buffer)} into the {buffer}-token buffer"
            else:
                reason = ""
            verdicts.append(Verdict(penalty + 0.0, reason))  # + 0.0: never -0.0
        return verdicts


soft_overlong = SoftOverlongReward()
