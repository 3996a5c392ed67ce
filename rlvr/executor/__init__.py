"""One place for running judgements: worker processes, hard deadlines, error isolation, a cache.

Example:
    >>> from rlvr.executor import Executor, NOT_HANDLED
    >>> from rlvr.executor.probes import add
    >>> def small_only(a, b):
    ...     return a + b if a < 10 and b < 10 else NOT_HANDLED
    >>> with Executor(max_workers=1) as ex:
    ...     [o.value for o in ex.map(add, [(1, 2), (30, 40)], fast=small_only)]
    [3, 70]
"""

from rlvr.executor.config import ExecutorConfig, usable_cpus
from rlvr.executor.pool import (
    NOT_HANDLED,
    TIMEOUT_REASON,
    Executor,
    ExecutorError,
    ExecutorStats,
    Outcome,
)

__all__ = [
    "NOT_HANDLED",
    "TIMEOUT_REASON",
    "Executor",
    "ExecutorConfig",
    "ExecutorError",
    "ExecutorStats",
    "Outcome",
    "usable_cpus",
]
