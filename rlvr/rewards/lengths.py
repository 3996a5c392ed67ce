"""Completion lengths in tokens, for the shaping rewards: read from ``completion_ids`` as trainers pass them.

TRL passes ``completion_ids`` (one list of token ids per completion) to every reward function; rlvr's
base reward drops it, so rewards that shape by length derive from :class:`TokenLengthReward`, which
keeps it as the row value ``completion_ids``. Where only the count is known (an HTTP client, a JSONL file),
a ``completion_length`` column (an int per row) does instead. A row with neither, or with a value that is
not a list of token ids or a count, is not judged (``None`` with the reason); a batch with neither column
at all is an error on the first call, naming both.
"""

from __future__ import annotations

import numbers
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from rlvr.rewards.base import ConfigT, LogExtra, LogMetric, Reward

IDS_COLUMN = "completion_ids"
LENGTH_COLUMN = "completion_length"


class LengthError(ValueError):
    """A row's length cannot be read; the item is ``None`` with this message as the reason."""


def _is_sequence(value: object) -> bool:
    """A list of one completion's ids: a list or tuple, or a 1-D array (anything with ``tolist``)."""
    if isinstance(value, (str, bytes, bytearray)):
        return False
    return isinstance(value, Sequence) or (hasattr(value, "__len__") and hasattr(value, "tolist"))


def token_ids(row: Mapping[str, Any]) -> tuple[int, ...]:
    """The row's completion token ids as a tuple of ints.

    Raises:
        LengthError: no ``completion_ids`` value, or one that is not a sequence of integers.

    Example:
        >>> token_ids({"completion_ids": [5, 6, 7]})
        (5, 6, 7)
        >>> token_ids({"completion_ids": "5 6 7"})
        Traceback (most recent call last):
        ...
        rlvr.rewards.lengths.LengthError: completion_ids must be a list of token ids, got str
    """
    raw = row.get(IDS_COLUMN)
    if raw is None:
        raise LengthError("no completion_ids for this row")
    if not _is_sequence(raw):
        raise LengthError(f"completion_ids must be a list of token ids, got {type(raw).__name__}")
    values = raw.tolist() if hasattr(raw, "tolist") else raw
    ids = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise LengthError(f"completion_ids must hold integers, got {type(value).__name__}")
        ids.append(int(value))
    return tuple(ids)


def token_count(row: Mapping[str, Any]) -> int:
    """The completion's length in tokens: ``len(completion_ids)``, else the ``completion_length`` value.

    Raises:
        LengthError: neither is there, or the value is not a list or a count >= 0.

    Example:
        >>> token_count({"completion_ids": [1, 2, 3]}), token_count({"completion_length": 90})
        (3, 90)
        >>> token_count({"completion_length": -1})
        Traceback (most recent call last):
        ...
        rlvr.rewards.lengths.LengthError: completion_length must be an int >= 0, got -1
    """
    ids = row.get(IDS_COLUMN)
    if ids is not None:
        if not _is_sequence(ids):
            raise LengthError(f"completion_ids must be a list of token ids, got {type(ids).__name__}")
        return len(ids)
    length = row.get(LENGTH_COLUMN)
    if length is None:
        raise LengthError("no completion_ids or completion_length for this row")
    if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 0:
        raise LengthError(f"completion_length must be an int >= 0, got {length!r}")
    return int(length)


class TokenLengthReward(Reward[ConfigT]):
    """Base of rewards that read each completion's length: keeps TRL's ``completion_ids`` as a row value.

    A batch must carry ``completion_ids`` (TRL passes it) or a ``completion_length`` column.
    """

    def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] | None = None,
        completion_ids: Sequence[Any] | None = None,
        *,
        trainer_state: Any = None,
        log_metric: LogMetric | None = None,
        log_extra: LogExtra | None = None,
        **columns: Any,
    ) -> list[float | None]:
        """Score a batch (TRL's signature); ``completion_ids`` is read, not dropped."""
        if completion_ids is not None:
            columns[IDS_COLUMN] = completion_ids
        verdicts = self.judge(prompts, completions, **columns)
        self.report(verdicts, log_metric=log_metric, log_extra=log_extra)
        return [v.score for v in verdicts]

    def missing_column(self, present: Collection[str]) -> str | None:
        if IDS_COLUMN not in present and LENGTH_COLUMN not in present:
            return f"{IDS_COLUMN!r} (token ids per completion, as TRL passes them; or {LENGTH_COLUMN!r})"
        return super().missing_column(present)

    def check_columns(self, columns: Mapping[str, Any], size: int) -> None:
        super().check_columns(columns, size)
        name = IDS_COLUMN if IDS_COLUMN in columns else LENGTH_COLUMN
        values = columns[name]
        is_list = isinstance(values, Sequence) and not isinstance(values, (str, bytes))
        if not is_list or len(values) != size:  # a padded tensor would give wrong lengths
            got = len(values) if is_list else type(values).__name__
            raise ValueError(
                f"reward {self.__name__!r}: {name} must hold one value per completion ({size}), got {got}"
            )
