"""The executor's Ray backend: the items a batch sends to the pool go to rlvr's actors across a cluster.

:class:`~rlvr.executor.Executor` keeps what it does on one machine — the in-process fast path, the
per-batch deduplication and the cache, all at the driver — and hands only the items left to
:meth:`RayBackend.judge`. They are cut into chunks (:func:`~rlvr.executor.ray_fleet.plan_chunk_size`:
enough for every actor to hold two, at most ``ray_chunk_size`` or 128 items each), each item pickled at
the driver as the local pool pickles it, and each chunk is judged on a node by that node's own executor
(one worker process per actor, ``backend="local"``; :meth:`~rlvr.executor.Executor.run_pickled` hands the
items to its workers as they are): the per-item deadline, the kill of a runaway worker, the memory limit
are all enforced there, next to the work.

Per item the result is the node executor's :class:`~rlvr.executor.Outcome`, in order. A chunk that the
cluster failed twice (:mod:`rlvr.executor.ray_fleet`) gives each of its items ``None`` with the reason —
never a value the driver did not receive. Such outcomes, and a worker's death on a node, are not cached.

Example:
    >>> chunk_bound(items=10, timeout=5.0, start_timeout=60.0)
    190.0
"""

from __future__ import annotations

import dataclasses
import pickle
import threading
from collections.abc import Callable, Sequence
from typing import Any

from rlvr.executor import ray_fleet
from rlvr.executor.config import ExecutorConfig
from rlvr.executor.pool import Executor, ExecutorError, Outcome
from rlvr.executor.protocol import PICKLE_PROTOCOL
from rlvr.executor.ray_fleet import ChunkJob, ChunkResult, plan_chunk_size, run_stats
from rlvr.executor.ray_host import NodeResources
from rlvr.executor.ray_stats import RayStats
from rlvr.processes import describe_exception

_SLACK_SECONDS = 10.0


def chunk_bound(items: int, timeout: float, start_timeout: float) -> float:
    """Seconds a chunk may take once started on one worker: a worker start, then every item at its
    deadline twice (a worker that dies is retried once) plus a second each for the kill."""
    return start_timeout + items * (2 * timeout + 2.0) + _SLACK_SECONDS


def node_config(config: ExecutorConfig) -> ExecutorConfig:
    """The executor an actor runs on its node: local, one worker (the CPU the actor holds), no cache.

    Example:
        >>> node = node_config(ExecutorConfig(backend="ray", ray_address="10.0.0.5:6379", timeout=3.0))
        >>> node.backend, node.max_workers, node.cache_size, node.timeout
        ('local', 1, 0, 3.0)
    """
    return dataclasses.replace(
        config, backend="local", ray_address=None, max_workers=1, cache_size=0, ray_chunk_size=None
    )


def judge_chunk(resources: NodeResources, payload: bytes) -> list[tuple[Any, str | None, bool]]:
    """On a node: judge a chunk ``(config, items, timeout)`` — each item pickled by the driver as the local
    pool pickles it — with the node's executor; ``(value, reason, cacheable)`` per item.

    Example:
        >>> from rlvr.executor.probes import add
        >>> resources = NodeResources()
        >>> items = [pickle.dumps((add, (1, 2))), pickle.dumps((add, ("a", 1)))]
        >>> payload = pickle.dumps((node_config(ExecutorConfig()), items, 5.0))
        >>> [value for value, _, _ in judge_chunk(resources, payload)]
        [3, None]
        >>> resources.close()
    """
    config, items, timeout = pickle.loads(payload)
    executor = resources.get(("executor", config), lambda: Executor(config))
    return [(o.value, o.reason, cacheable) for o, cacheable in executor.run_pickled(items, timeout)]


class Chunk:
    """One chunk's items, pickled when the fleet sends it; items that cannot be pickled are set aside.

    Example:
        >>> import threading
        >>> from rlvr.executor.probes import identity
        >>> chunk = Chunk(node_config(ExecutorConfig()), identity, [(1,), (threading.Lock(),)], 5.0)
        >>> len(pickle.loads(chunk.payload())[1]), chunk.sent, chunk.refused[1][:27]
        (1, [0], 'arguments cannot be pickled')
    """

    def __init__(
        self, config: ExecutorConfig, fn: Callable[..., Any], items: Sequence[tuple[Any, ...]], timeout: float
    ) -> None:
        self.config, self.fn, self.items, self.timeout = config, fn, items, timeout
        self.sent: list[int] = []  # positions (in the chunk) of the items in the payload
        self.refused: dict[int, str] = {}

    def payload(self) -> bytes:
        pickled = []
        for position, args in enumerate(self.items):
            try:
                pickled.append(pickle.dumps((self.fn, args), PICKLE_PROTOCOL))
            except Exception as exc:
                self.refused[position] = f"arguments cannot be pickled: {describe_exception(exc, 300)}"
            else:
                self.sent.append(position)
        return pickle.dumps((self.config, pickled, self.timeout), PICKLE_PROTOCOL)


class RayBackend:
    """Judges an executor's pool items on a Ray cluster (see the module docstring). Thread-safe.

    Example:
        >>> backend = RayBackend(ExecutorConfig(backend="ray", ray_address="127.0.0.1:6379"))
        >>> backend.stats.items  # nothing sent yet: no connection made
        0
        >>> from rlvr.executor.probes import add
        >>> [o.value for o, _ in backend.judge(add, [(1, 2)], timeout=5.0)]  # doctest: +SKIP
        [3]
    """

    def __init__(self, config: ExecutorConfig) -> None:
        self.config = config
        self._node_config = node_config(config)
        self._lock = threading.Lock()
        self._fleet: Any = None
        self._stats = RayStats()

    @property
    def stats(self) -> RayStats:
        """The counters so far (see the class example)."""
        with self._lock:
            return self._stats

    def _acquire(self) -> Any:
        with self._lock:
            if self._fleet is None or self._fleet.closed:
                config = self.config
                self._fleet = ray_fleet.acquire(config.ray_address, config.max_workers, config.start_timeout)
            return self._fleet

    def close(self) -> None:
        """Let go of the cluster's actors (the last user of a fleet kills them); its counters stay.

        Example:
            >>> RayBackend(ExecutorConfig(backend="ray")).close()  # never connected: nothing to do
        """
        with self._lock:
            fleet, self._fleet = self._fleet, None
        if fleet is not None:
            ray_fleet.release(fleet)

    def judge(
        self, fn: Callable[..., Any], items: Sequence[tuple[Any, ...]], timeout: float
    ) -> list[tuple[Outcome, bool]]:
        """``(outcome, cacheable)`` per item, in order.

        Raises:
            ExecutorError: Ray is missing, the cluster cannot be reached, or no actor starts on it.

        (See the class example.)
        """
        fleet = self._acquire()
        size = plan_chunk_size(len(items), fleet.ready_actors(), self.config.ray_chunk_size)
        chunks = [
            Chunk(self._node_config, fn, items[start : start + size], timeout)
            for start in range(0, len(items), size)
        ]
        start = self.config.start_timeout
        jobs = [
            ChunkJob(chunk.payload, len(chunk.items), chunk_bound(len(chunk.items), timeout, start))
            for chunk in chunks
        ]
        try:
            results, info = fleet.run(judge_chunk, jobs)
        except ExecutorError:
            raise
        except Exception as exc:  # the driver lost Ray itself: as when workers cannot start, never a pass
            raise ExecutorError(f"the Ray cluster failed: {describe_exception(exc, 300)}") from exc
        out: list[tuple[Outcome, bool]] = []
        counted: list[tuple[int, ChunkResult]] = []
        for chunk, result in zip(chunks, results, strict=True):
            outcomes: list[tuple[Outcome, bool] | None] = [None] * len(chunk.items)
            for position, reason in chunk.refused.items():
                outcomes[position] = (Outcome(reason=reason), False)
            values = result.value if result.error is None else None
            if not (isinstance(values, list) and len(values) == len(chunk.sent)):
                why = result.error or f"a chunk came back with {type(values).__name__}, not a list of results"
                result = dataclasses.replace(result, value=None, error=why)
                values = [(None, why, False)] * len(chunk.sent)
            for position, (value, reason, cacheable) in zip(chunk.sent, values, strict=True):
                outcomes[position] = (Outcome(value=value, reason=reason), bool(cacheable))
            counted.append((len(chunk.sent), result))
            out.extend(o if o is not None else (Outcome(reason="not judged"), False) for o in outcomes)
        delta = run_stats(counted, info)
        with self._lock:
            self._stats = self._stats + delta
        return out
