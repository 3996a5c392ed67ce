"""The typed result every rlvr verifier returns, and the marker of a judgement left to worker processes."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    """A verifier's judgement of one item.

    ``score`` is the reward in the verifier's range (usually 0.0 or 1.0), or ``None`` when the item
    cannot be judged (a gold answer that does not parse, a timeout, an infrastructure error). ``reason``
    says why, in a few words; it is empty only for an unremarkable pass.

    Example:
        >>> Verdict(1.0).passed
        True
        >>> Verdict(None, "timeout").judged
        False
    """

    score: float | None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.score is not None:
            if isinstance(self.score, bool) or not isinstance(self.score, (int, float)):
                raise TypeError(f"Verdict.score must be a float or None, got {type(self.score).__name__}")
            if not math.isfinite(self.score):
                raise ValueError(f"Verdict.score must be finite, got {self.score!r}")
            object.__setattr__(self, "score", float(self.score))
        if not isinstance(self.reason, str):
            raise TypeError(f"Verdict.reason must be a str, got {type(self.reason).__name__}")

    @property
    def judged(self) -> bool:
        """True when the item could be judged (``score`` is not ``None``)."""
        return self.score is not None

    @property
    def passed(self) -> bool:
        """True when the item was judged with a positive score."""
        return self.score is not None and self.score > 0.0

    @classmethod
    def unjudged(cls, reason: str) -> Verdict:
        """A verdict for an item that cannot be judged.

        Example:
            >>> Verdict.unjudged("gold answer does not parse").score is None
            True
        """
        if not reason:
            raise ValueError("an unjudged verdict needs a reason")
        return cls(None, reason)


class _NotHandled:
    """The type of :data:`NOT_HANDLED`: one instance, which pickles as itself."""

    _instance: _NotHandled | None = None

    def __new__(cls) -> _NotHandled:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_HANDLED"

    def __reduce__(self) -> str:
        return "NOT_HANDLED"


#: Returned by an in-process fast path for an item it does not decide: the executor sends that item on
#: to its worker pool. Defined here, below the executor, so that verifiers never import the executor.
NOT_HANDLED = _NotHandled()
