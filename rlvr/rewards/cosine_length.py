"""``cosine_scaled``: correctness scaled by completion length on a cosine schedule ("Demystifying Long
Chain-of-Thought Reasoning", Yeo et al. 2025, appendix C.1).

With ``p = min(L / max_len, 1)`` for a completion of ``L`` tokens::

    reward = v_min + (v_max - v_min) * (1 + cos(p * pi)) / 2

A correct completion runs from ``max_value_correct`` (short) down to ``min_value_correct`` (at
``max_len``); a wrong one from ``min_value_wrong`` (short) up to ``max_value_wrong``: short correct answers
earn most, short wrong ones lose most (a long wrong attempt is penalised less, which keeps exploration).
These are TRL's ``get_cosine_scaled_reward`` numbers and defaults; what differs:

- correctness comes from an rlvr reward (``accuracy``, default ``math``: rlvr's math verifier under the
  executor's deadlines, not Math-Verify in the calling thread), correct meaning a score >=
  ``correct_threshold``; ``accuracy="code"`` scales code execution the same way;
- an item the accuracy reward cannot judge (the gold does not parse, a timeout) is ``None`` with that
  reason, where TRL gives ``None`` only for an unparseable gold;
- ``exceed_value`` (off by default, as in TRL) gives completions of ``max_len`` tokens or more — cut at the
  limit — that value instead, the paper's ``r_e``.

Columns: ``completion_ids`` (TRL passes it) or ``completion_length``, plus the accuracy reward's own
(``answer``/``solution`` for math). ``max_len`` must be set; without it the first call fails and says so.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rlvr.rewards.base import Item, Reward
from rlvr.rewards.lengths import LengthError, TokenLengthReward, token_count
from rlvr.verifiers.verdict import Verdict


def _number(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


@dataclass(frozen=True)
class CosineScaledConfig:
    """Options of ``cosine_scaled``.

    Attributes:
        max_len: ``L_max``, the length (tokens) at which the schedule reaches its long-completion end
            (required; usually the trainer's maximum completion length).
        min_value_wrong: reward of the shortest wrong completion.
        max_value_wrong: reward of a wrong completion of ``max_len`` tokens or more.
        min_value_correct: reward of a correct completion of ``max_len`` tokens or more.
        max_value_correct: reward of the shortest correct completion.
        accuracy: the registered rlvr reward that decides correctness (``math``, ``code``, ...).
        correct_threshold: the accuracy score from which a completion counts as correct.
        exceed_value: when set, the reward of every completion of ``max_len`` tokens or more (the paper's
            ``r_e``); ``None`` (default) keeps the schedule's end values, as TRL does.

    Example:
        >>> CosineScaledConfig(max_len=100).max_value_correct
        1.0
        >>> CosineScaledConfig(max_len=0)
        Traceback (most recent call last):
        ...
        ValueError: max_len must be an int >= 1, got 0
    """

    max_len: int | None = None
    min_value_wrong: float = -1.0
    max_value_wrong: float = -0.5
    min_value_correct: float = 0.5
    max_value_correct: float = 1.0
    accuracy: str = "math"
    correct_threshold: float = 1.0
    exceed_value: float | None = None

    def __post_init__(self) -> None:
        if self.max_len is not None and (
            isinstance(self.max_len, bool) or not isinstance(self.max_len, int) or self.max_len < 1
        ):
            raise ValueError(f"max_len must be an int >= 1, got {self.max_len!r}")
        for name in ("min_value_wrong", "max_value_wrong", "min_value_correct", "max_value_correct"):
            _number(getattr(self, name), name)
        _number(self.correct_threshold, "correct_threshold")
        if self.exceed_value is not None:
            _number(self.exceed_value, "exceed_value")
        if not isinstance(self.accuracy, str) or not self.accuracy:
            raise ValueError(f"accuracy must name a registered reward, got {self.accuracy!r}")


def cosine_scaled_value(length: int, max_len: int, correct: bool, config: CosineScaledConfig) -> float:
    """The reward of a completion of ``length`` tokens (see the module docstring).

    Example:
        >>> config = CosineScaledConfig(max_len=100)
        >>> cosine_scaled_value(50, 100, True, config), cosine_scaled_value(50, 100, False, config)
        (0.75, -0.75)
    """
    if config.exceed_value is not None and length >= max_len:
        return float(config.exceed_value)
    progress = min(length / max_len, 1.0)
    cosine = math.cos(progress * math.pi)
    if correct:
        low, high = config.min_value_correct, config.max_value_correct
    else:
        low, high = config.max_value_wrong, config.min_value_wrong
    return float(low + 0.5 * (high - low) * (1.0 + cosine))


class CosineScaledReward(TokenLengthReward[CosineScaledConfig]):
    """Correctness scaled by length on a cosine schedule (see the module docstring).

    Args:
        config: a :class:`CosineScaledConfig`, or its fields as keyword options.
        accuracy_reward: an rlvr reward instance to judge correctness with, instead of the registered
            one named by ``accuracy`` (e.g. ``MathAccuracyReward(fallback="last_number")``).

    Example:
        >>> reward = CosineScaledReward(max_len=100)
        >>> reward(completions=["\\\\boxed{\\\\frac{1}{3}}", "\\\\boxed{\\\\frac{1}{2}}"],
        ...        answer=["\\\\frac{1}{3}", "\\\\frac{1}{3}"], completion_ids=[[1] * 50, [1] * 50])
        [0.75, -0.75]
        >>> reward.close()
    """

    default_name: ClassVar[str] = "cosine_scaled"
    config_class: ClassVar[type[Any]] = CosineScaledConfig

    def __init__(
        self,
        config: CosineScaledConfig | None = None,
        /,
        *,
        accuracy_reward: Reward | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, **kwargs)
        if accuracy_reward is not None and not isinstance(accuracy_reward, Reward):
            raise TypeError(f"accuracy_reward must be an rlvr Reward, got {type(accuracy_reward).__name__}")
        self._accuracy = accuracy_reward

    @property
    def accuracy(self) -> Reward:
        """The reward that decides correctness (built from the ``accuracy`` option on first use)."""
        if self._accuracy is None:
            with self._start_lock:
                if self._accuracy is None:
                    from rlvr.rewards.registry import get_reward_spec  # the registry imports this module

                    spec = get_reward_spec(self.config.accuracy)
                    self._accuracy = spec.reward_class.from_options(
                        spec.preset, name=spec.name, executor=self._executor or self._executor_config
                    )
        return self._accuracy

    def close(self) -> None:
        """Stop the accuracy reward's worker processes (they start again on next use)."""
        if self._accuracy is not None:
            self._accuracy.close()
        super().close()

    def check_settings(self) -> None:
        if self.config.max_len is None:
            raise ValueError(
                f"reward {self.__name__!r} needs max_len: set it to the completion length (tokens) where the "
                "schedule ends, usually the trainer's maximum completion length (--set max_len=N)"
            )
        self.accuracy.check_settings()

    def missing_column(self, present: Collection[str]) -> str | None:
        return super().missing_column(present) or self.accuracy.missing_column(present)

    def check_columns(self, columns: Mapping[str, Any], size: int) -> None:
        super().check_columns(columns, size)
        self.accuracy.check_columns(columns, size)

    def judge_batch(self, items: Sequence[Item]) -> list[Verdict]:
        config = self.config
        lengths: list[int | Verdict] = []
        for item in items:
            try:
                lengths.append(token_count(item.row))
            except LengthError as exc:
                lengths.append(Verdict.unjudged(str(exc)))
        judged = [i for i, length in enumerate(lengths) if isinstance(length, int)]
        correctness = self.accuracy.judge_batch([items[i] for i in judged]) if judged else []
        verdicts: list[Verdict] = [v if isinstance(v, Verdict) else Verdict(0.0) for v in lengths]
        for index, accuracy in zip(judged, correctness, strict=True):
            length = lengths[index]
            assert isinstance(length, int)
            if accuracy.score is None:
                verdicts[index] = Verdict.unjudged(f"accuracy not judged: {accuracy.reason}")
                continue
            correct = accuracy.score >= config.correct_threshold
            value = cosine_scaled_value(length, config.max_len, correct, config)
            what = "correct" if correct else f"wrong ({accuracy.reason})" if accuracy.reason else "wrong"
            verdicts[index] = Verdict(value, f"{what}, {length} tokens")
        return verdicts


cosine_scaled = CosineScaledReward()
