"""Settings of the executor, validated when built."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rlvr.processes import usable_cpus

__all__ = ["ExecutorConfig", "usable_cpus"]


@dataclass(frozen=True)
class ExecutorConfig:
    """How the executor runs judgements.

    Attributes:
        max_workers: worker processes at most; ``None`` means one per usable CPU. Workers start on first
            need, not before.
        timeout: hard wall-clock deadline of one judgement, in seconds, counted from the moment a worker
            receives it. Past it the worker is killed and the item gets ``None`` with reason "timeout".
        cache_size: judgements remembered per executor (least recently used are dropped); 0 disables.
        memory_limit_mb: address-space limit of each worker (``RLIMIT_AS``); ``None`` for no limit. A
            judgement that exceeds it fails with ``MemoryError`` (``None`` for that item).
        start_timeout: seconds a new worker may take to start and import ``preload``; a worker that does
            not start in time counts as a start failure.
        preload: modules every worker imports once at start, so the first judgement does not pay it.
        max_result_bytes: largest pickled result a worker may send back; a larger one fails the item.

    Example:
        >>> ExecutorConfig(max_workers=2, timeout=3.0).timeout
        3.0
        >>> ExecutorConfig(timeout=0)
        Traceback (most recent call last):
        ...
        ValueError: ExecutorConfig.timeout must be > 0, got 0
    """

    max_workers: int | None = None
    timeout: float = 5.0
    cache_size: int = 65536
    memory_limit_mb: int | None = 4096
    start_timeout: float = 60.0
    preload: tuple[str, ...] = field(default_factory=tuple)
    max_result_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.max_workers is not None and (not isinstance(self.max_workers, int) or self.max_workers < 1):
            raise ValueError(
                f"ExecutorConfig.max_workers must be a positive int or None, got {self.max_workers!r}"
            )
        for name in ("timeout", "start_timeout"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"ExecutorConfig.{name} must be > 0, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"ExecutorConfig.{name} must be finite, got {value!r}")
        for name in ("max_workers", "cache_size", "memory_limit_mb", "max_result_bytes"):
            if isinstance(getattr(self, name), bool):
                raise ValueError(f"ExecutorConfig.{name} must be an int, got {getattr(self, name)!r}")
        if not isinstance(self.cache_size, int) or self.cache_size < 0:
            raise ValueError(f"ExecutorConfig.cache_size must be an int >= 0, got {self.cache_size!r}")
        if self.memory_limit_mb is not None and (
            not isinstance(self.memory_limit_mb, int) or self.memory_limit_mb < 64
        ):
            raise ValueError(
                f"ExecutorConfig.memory_limit_mb must be an int >= 64 or None, got {self.memory_limit_mb!r}"
            )
        if not isinstance(self.max_result_bytes, int) or self.max_result_bytes < 1024:
            raise ValueError(
                f"ExecutorConfig.max_result_bytes must be an int >= 1024, got {self.max_result_bytes!r}"
            )
        object.__setattr__(self, "preload", tuple(self.preload))

    @property
    def workers(self) -> int:
        """The effective worker count: ``max_workers`` or one per usable CPU."""
        return self.max_workers if self.max_workers is not None else usable_cpus()
