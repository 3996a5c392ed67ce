"""The executor: judgements in worker processes, each under a hard wall-clock deadline.

Design, in short:

- Workers are plain ``subprocess`` children (``python -c ...``), not ``multiprocessing`` ones, so the
  executor behaves the same whether it is called from the main thread, another thread, a running
  asyncio loop, or a forked or spawned child process. It never touches signal handlers or
  ``signal.alarm``: the deadline is kept by the caller's own clock and enforced by killing the worker.
- One item at a time per worker. Past its deadline the worker's whole process group is killed, the
  item gets ``None`` with reason ``"timeout"``, and a replacement worker is started at once (it loads
  while the batch goes on).
- An exception inside a judgement is caught in the worker and becomes that item's reason; a worker
  that dies takes only its own item with it. Workers that cannot start at all raise
  :class:`ExecutorError` — never a silent pass.
- Identical items (same function, same arguments) are judged once per batch and remembered in a
  bounded LRU cache, so the G completions of a group that share an answer and later epochs are free.
- An optional in-process ``fast`` path decides the provably cheap items without any process hop.
- After ``os.fork`` the child drops the parent's workers (they belong to the parent) and starts its own.
- With ``backend="ray"`` the items left after the fast path and the cache go to rlvr's actors on a Ray
  cluster instead of the local pool (:mod:`rlvr.executor.ray_backend`); everything else is the same.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rlvr.executor.cache import LRUCache
from rlvr.executor.config import ExecutorConfig
from rlvr.executor.protocol import PICKLE_PROTOCOL, FrameBuffer, encode, write_all
from rlvr.processes import PerProcess, bootstrap_command
from rlvr.verifiers.verdict import NOT_HANDLED

logger = logging.getLogger(__name__)

TIMEOUT_REASON = "timeout"
_START_FAILURES_BEFORE_GIVING_UP = 3
_RETRIES_AFTER_DEATH = 1
_POLL_IDLE_SECONDS = 0.05
_READ_CHUNK = 1 << 16
_BOOTSTRAP = bootstrap_command("rlvr.executor.worker")


class ExecutorError(RuntimeError):
    """The executor cannot judge at all (workers do not start); never swallowed into a pass."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one judgement: ``value`` when it ran to completion, else ``None`` and a reason.

    Example:
        >>> Outcome(value=3).ok, Outcome(reason="timeout").ok
        (True, False)
    """

    value: Any = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class ExecutorStats:
    """Counters since the executor was built (or since the process forked)."""

    items: int = 0
    cache_hits: int = 0
    fast_path: int = 0
    pool_judgements: int = 0
    timeouts: int = 0
    worker_deaths: int = 0
    workers_started: int = 0


class _State(Enum):
    STARTING = "starting"
    IDLE = "idle"
    BUSY = "busy"


class _Worker:
    """The executor's handle on one worker process."""

    def __init__(self, config: ExecutorConfig) -> None:
        env = dict(os.environ)
        env.update(
            PYTHONHASHSEED="0",  # the same hashing in every worker: results do not depend on which one ran
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
        )
        if not sys.executable:
            raise ExecutorError("sys.executable is empty: cannot start worker processes")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _BOOTSTRAP],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                close_fds=True,
                start_new_session=True,  # its own process group: a kill takes any grandchildren too
                env=env,
                bufsize=0,
            )
        except OSError as exc:  # no such interpreter, no processes or descriptors left, ...
            raise ExecutorError(f"cannot start a worker process ({sys.executable!r}): {exc}") from exc
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.wfd = self.proc.stdin.fileno()
        self.rfd = self.proc.stdout.fileno()
        os.set_blocking(self.rfd, False)
        self.buffer = FrameBuffer(config.max_result_bytes)
        self.state = _State.STARTING
        self.deadline = time.monotonic() + config.start_timeout
        self.key: Hashable | None = None
        init = {
            "sys_path": list(sys.path),
            "preload": list(config.preload),
            "memory_limit_mb": config.memory_limit_mb,
        }
        with contextlib.suppress(BrokenPipeError):  # it exited at once: read as a start failure later
            write_all(self.wfd, encode(("init", init)))

    def dispatch(self, key: Hashable, payload: bytes, timeout: float) -> None:
        self.key = key
        self.state = _State.BUSY
        self.deadline = time.monotonic() + timeout
        write_all(self.wfd, encode(("call", payload, timeout + 1.0)))

    def read(self) -> list[Any] | None:
        """Messages received so far; ``None`` once the worker has closed its end (it died)."""
        eof = False
        while True:
            try:
                chunk = os.read(self.rfd, _READ_CHUNK)
            except BlockingIOError:
                break
            except OSError:
                eof = True
                break
            if not chunk:
                eof = True
                break
            self.buffer.feed(chunk)
        messages = self.buffer.messages()
        if eof and not messages:
            return None
        return messages

    def kill(self) -> None:
        _kill_process(self.proc)

    def death_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return "worker died"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"worker died (signal {name})"
        return f"worker died (exit code {code})"


def _kill_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's process group and reap the worker."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    for stream in (proc.stdin, proc.stdout):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
    try:
        proc.wait(timeout=2.0)
    except subprocess.TimeoutExpired:
        logger.warning("worker %d did not exit after SIGKILL", proc.pid)


@dataclass
class _Workers:
    """The executor's state that belongs to the process that started the workers (see PerProcess)."""

    cond: threading.Condition = field(default_factory=lambda: threading.Condition(threading.Lock()))
    idle: list[_Worker] = field(default_factory=list)
    live: set[_Worker] = field(default_factory=set)
    counters: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(ExecutorStats.__dataclass_fields__, 0)
    )


def _kill_workers(workers: _Workers) -> None:
    """Kill every worker (PerProcess runs this only in the process that started them)."""
    for worker in list(workers.live):
        worker.kill()
    workers.live.clear()
    workers.idle.clear()


def _forget_workers(workers: _Workers) -> None:
    """A forked child: the workers are the parent's. Drop our copies of their pipes."""
    for worker in workers.live:
        for stream in (worker.proc.stdin, worker.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def _typed(value: Any) -> Any:
    """``value`` tagged with its type, recursively: ``1``, ``1.0``, ``True`` (and ``0.0``, ``-0.0``) are equal
    but may be judged differently, so they must not share a cache entry."""
    if isinstance(value, tuple):
        return (type(value), tuple(_typed(v) for v in value))
    if isinstance(value, frozenset):
        return (type(value), frozenset(_typed(v) for v in value))
    if isinstance(value, (float, complex)):
        return (type(value), repr(value))
    return (type(value), value)


def _item_key(fn: Callable[..., Any], args: tuple[Any, ...]) -> Hashable:
    try:
        key = (fn, _typed(args))
        hash(key)
        return key
    except (TypeError, RecursionError):
        return object()  # unhashable arguments: judged on their own, never cached


def _check_importable(fn: Callable[..., Any]) -> None:
    owner = fn if hasattr(fn, "__qualname__") else type(fn)
    module = getattr(owner, "__module__", None)
    qualname = getattr(owner, "__qualname__", "")
    if module == "__main__" or "<locals>" in qualname or "<lambda>" in qualname:
        raise ValueError(
            f"the executor runs judgements in other processes, so {qualname or fn!r} must be a "
            "module-level function or class in an importable module (not __main__, a lambda or a closure)"
        )
    try:
        pickle.dumps(fn, protocol=PICKLE_PROTOCOL)
    except Exception as exc:
        raise ValueError(f"judgement function {fn!r} cannot be pickled: {exc}") from exc


class Executor:
    """Judges items in parallel worker processes, each under a hard wall-clock deadline.

    ``map(fn, items)`` calls ``fn(*args)`` for every ``args`` tuple in ``items`` and returns one
    :class:`Outcome` per item, in order. ``fn`` must be importable by worker processes (a module-level
    function, or an instance of a module-level class) and its results picklable plain values.

    The executor is thread-safe, picklable (a copy carries only the configuration) and may be used as a
    context manager; workers are also killed when it is garbage-collected or the process exits.

    Example:
        >>> from rlvr.executor import Executor
        >>> from rlvr.executor.probes import add, spin
        >>> with Executor(max_workers=2, timeout=1.0) as ex:
        ...     outcomes = ex.map(add, [(1, 2), (3, 4), (10**8,)])
        ...     late = ex.map(spin, [(10**9,)])
        >>> [o.value for o in outcomes[:2]], outcomes[2].reason.startswith("TypeError")
        ([3, 7], True)
        >>> late[0].reason
        'timeout'
    """

    def __init__(self, config: ExecutorConfig | None = None, **overrides: Any) -> None:
        if config is None:
            config = ExecutorConfig(**overrides)
        elif overrides:
            raise TypeError("pass either an ExecutorConfig or keyword settings, not both")
        self.config = config
        # outcome and the deadline it was judged under (a timeout under a shorter deadline is no answer)
        self._cache: LRUCache[tuple[Outcome, float]] = LRUCache(config.cache_size)
        self._process: PerProcess[_Workers] = PerProcess(
            self, make=_Workers, release=_kill_workers, forget=_forget_workers
        )
        self._ray_lock = threading.Lock()
        self._ray_backend: Any = None  # rlvr.executor.ray_backend.RayBackend, made on first use

    # -- process-local state ---------------------------------------------------------------------------

    def _ensure_own_process(self) -> None:
        """In a forked child, forget the parent's workers and start afresh (the cache stays)."""
        if self._process.forked:
            self._process.get()
            self._cache._lock = threading.Lock()  # a thread of the parent may have held it at the fork

    @property
    def _cond(self) -> threading.Condition:
        return self._process.get().cond

    @property
    def _idle(self) -> list[_Worker]:
        return self._process.get().idle

    @property
    def _workers(self) -> set[_Worker]:
        return self._process.get().live

    @property
    def _counters(self) -> dict[str, int]:
        return self._process.get().counters

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["config"])  # type: ignore[misc]

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill all workers (on Ray: let go of the actors). The executor stays usable: a later ``map``
        starts new ones."""
        self._ensure_own_process()
        workers = self._process.get()
        with workers.cond:
            _kill_workers(workers)
            workers.cond.notify_all()
        with self._ray_lock:
            backend = self._ray_backend
        if backend is not None:
            backend.close()  # its counters stay: what a run sent to the cluster is read after it

    def _ray(self) -> Any:
        """The Ray backend (``backend="ray"``), made on first use."""
        with self._ray_lock:
            if self._ray_backend is None:
                from rlvr.executor.ray_backend import RayBackend

                self._ray_backend = RayBackend(self.config)
            return self._ray_backend

    @property
    def ray_stats(self) -> Any:
        """On Ray, a :class:`~rlvr.executor.ray_stats.RayStats` of what went to the cluster; else None.

        Example:
            >>> Executor().ray_stats is None
            True
            >>> Executor(backend="ray", ray_address="127.0.0.1:6379").ray_stats.items  # nothing sent yet
            0
        """
        if self.config.backend != "ray":
            return None
        from rlvr.executor.ray_stats import RayStats

        with self._ray_lock:
            return self._ray_backend.stats if self._ray_backend is not None else RayStats()

    @property
    def stats(self) -> ExecutorStats:
        """A snapshot of the counters."""
        self._ensure_own_process()
        with self._cond:
            return ExecutorStats(**self._counters)

    @property
    def live_workers(self) -> int:
        """Worker processes alive now (starting, idle or busy)."""
        self._ensure_own_process()
        return len(self._workers)

    def _count(self, name: str, amount: int = 1) -> None:
        with self._cond:
            self._counters[name] += amount

    # -- the public call -------------------------------------------------------------------------------

    def map(
        self,
        fn: Callable[..., Any],
        items: Iterable[tuple[Any, ...]],
        *,
        fast: Callable[..., Any] | None = None,
        timeout: float | None = None,
        use_cache: bool = True,
    ) -> list[Outcome]:
        """Judge ``fn(*args)`` for every ``args`` in ``items``; one :class:`Outcome` per item, in order.

        Args:
            fn: the judgement, run in a worker process under the deadline.
            items: argument tuples.
            fast: optional in-process shortcut with the same signature; it returns :data:`NOT_HANDLED`
                for items it does not decide, which then go to the pool. It must be provably cheap.
            timeout: per-item deadline in seconds; defaults to ``config.timeout``.
            use_cache: look up and remember results in the executor's cache.

        Raises:
            ExecutorError: worker processes cannot be started.
            ValueError: ``fn`` cannot be sent to another process.
        """
        self._ensure_own_process()
        _check_importable(fn)  # whether or not any item reaches the pool: the same error for every batch
        deadline = self.config.timeout if timeout is None else float(timeout)
        if not deadline > 0 or not math.isfinite(deadline):
            raise ValueError(f"timeout must be a finite number > 0, got {timeout!r}")
        arg_list = [tuple(args) for args in items]
        results: list[Outcome | None] = [None] * len(arg_list)
        waiting: dict[Hashable, list[int]] = {}
        payloads: dict[Hashable, bytes] = {}
        hits = fast_hits = 0
        for index, args in enumerate(arg_list):
            key = _item_key(fn, args)
            if key in waiting:
                waiting[key].append(index)
                continue
            cached = self._cache.get(key) if use_cache else None
            if cached is not None and (cached[0].reason != TIMEOUT_REASON or cached[1] >= deadline):
                results[index] = cached[0]
                hits += 1
                continue
            if fast is not None:
                outcome = _run_fast(fast, args)
                if outcome is not None:
                    results[index] = outcome
                    fast_hits += 1
                    continue
            waiting[key] = [index]
        self._count("items", len(arg_list))
        self._count("cache_hits", hits)
        self._count("fast_path", fast_hits)

        if waiting and self.config.backend == "ray":
            keys = list(waiting)
            judged = self._ray().judge(fn, [arg_list[waiting[k][0]] for k in keys], deadline)
            pool_outcomes = dict(zip(keys, judged, strict=True))
            self._count("pool_judgements", sum(o.ok or o.reason != TIMEOUT_REASON for o, c in judged if c))
            self._count("timeouts", sum(o.reason == TIMEOUT_REASON for o, _ in judged))
        elif waiting:
            for key, indices in waiting.items():
                try:
                    payloads[key] = pickle.dumps((fn, arg_list[indices[0]]), protocol=PICKLE_PROTOCOL)
                except Exception as exc:
                    outcome = Outcome(reason=f"arguments cannot be pickled: {exc}")
                    for index in indices:
                        results[index] = outcome
            pool_outcomes = self._run_in_pool([k for k in waiting if k in payloads], payloads, deadline)
        if waiting:
            for key, (outcome, cacheable) in pool_outcomes.items():
                if use_cache and cacheable:
                    self._cache.put(key, (outcome, deadline))
                for index in waiting[key]:
                    results[index] = outcome
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    def run_pickled(self, payloads: Sequence[bytes], timeout: float) -> list[tuple[Outcome, bool]]:
        """Judge items another process already pickled as ``(fn, args)`` (the Ray backend's nodes): the
        pool only — no cache, no fast path, no deduplication — under ``timeout`` each. One
        ``(outcome, cacheable)`` per payload, in order; a worker's death is not cacheable.

        Example:
            >>> from rlvr.executor.probes import add
            >>> with Executor(max_workers=1) as ex:
            ...     [o.value for o, _ in ex.run_pickled([pickle.dumps((add, (1, 2)))], timeout=5.0)]
            [3]
        """
        self._ensure_own_process()
        done = self._run_in_pool(range(len(payloads)), dict(enumerate(payloads)), timeout)
        self._count("items", len(payloads))
        self._count("pool_judgements", sum(c and o.reason != TIMEOUT_REASON for o, c in done.values()))
        return [done[index] for index in range(len(payloads))]

    # -- the pool --------------------------------------------------------------------------------------

    def _checkout(self) -> _Worker | None:
        """An idle (or starting) worker, a new one if under the cap, or None when all are taken."""
        with self._cond:
            if self._idle:
                worker = self._idle.pop()
                if worker.state is _State.STARTING:  # started earlier as a replacement: give it full time
                    worker.deadline = time.monotonic() + self.config.start_timeout
                return worker
            if len(self._workers) < self.config.workers:
                worker = _Worker(self.config)
                self._workers.add(worker)
                self._counters["workers_started"] += 1
                return worker
            return None

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if worker in self._workers:
                self._idle.append(worker)
            self._cond.notify()

    def _retire(self, worker: _Worker, *, replace: bool) -> None:
        """Kill a worker; start its replacement now so it loads while the batch goes on."""
        worker.kill()
        with self._cond:
            self._workers.discard(worker)
            if replace and len(self._workers) < self.config.workers:
                try:
                    fresh = _Worker(self.config)
                except ExecutorError as exc:
                    logger.warning("could not start a replacement worker: %s", exc)
                else:
                    self._workers.add(fresh)
                    self._idle.append(fresh)
                    self._counters["workers_started"] += 1
            self._cond.notify()

    def _run_in_pool(
        self, keys: Sequence[Hashable], payloads: dict[Hashable, bytes], timeout: float
    ) -> dict[Hashable, tuple[Outcome, bool]]:
        """Judge each key's payload; returns (outcome, cacheable) per key."""
        pending = deque(keys)
        done: dict[Hashable, tuple[Outcome, bool]] = {}
        held: dict[int, _Worker] = {}  # by read descriptor
        poller = select.poll()
        start_failures = 0
        last_failure = ""
        deaths: dict[Hashable, int] = {}

        def drop(worker: _Worker) -> None:
            poller.unregister(worker.rfd)
            del held[worker.rfd]

        try:
            while pending or any(w.state is _State.BUSY for w in held.values()):
                # 1. Take workers while there is work no held worker can start on.
                idle_or_starting = sum(w.state is not _State.BUSY for w in held.values())
                while len(pending) > idle_or_starting:
                    worker = self._checkout()
                    if worker is None:
                        break
                    held[worker.rfd] = worker
                    poller.register(worker.rfd, select.POLLIN)
                    idle_or_starting += 1
                if not held:
                    with self._cond:
                        self._cond.wait(_POLL_IDLE_SECONDS)
                    continue

                # 2. Hand pending items to idle workers.
                for worker in list(held.values()):
                    if worker.state is _State.IDLE and pending:
                        key = pending.popleft()
                        try:
                            worker.dispatch(key, payloads[key], timeout)
                        except OSError:  # died while idle: not the item's fault, try it elsewhere
                            pending.appendleft(key)
                            drop(worker)
                            self._count("worker_deaths")
                            self._retire(worker, replace=True)
                    elif not pending and worker.state is not _State.BUSY:
                        drop(worker)  # nothing left for it: back to the pool (a starting one finishes there)
                        self._release(worker)

                # 3. Wait for a result or the nearest deadline.
                if not held:
                    continue
                now = time.monotonic()
                nearest = (
                    min(w.deadline for w in held.values() if w.state is not _State.IDLE)
                    if any(w.state is not _State.IDLE for w in held.values())
                    else now
                )
                wait_ms = max(0, int(min(nearest - now, 60.0) * 1000) + 1)  # poll takes an int of ms
                for fd, _event in poller.poll(wait_ms):
                    worker = held.get(fd)
                    if worker is None:
                        continue
                    try:
                        messages = worker.read()
                    except OverflowError as exc:
                        done[worker.key] = (Outcome(reason=str(exc)), True)
                        drop(worker)
                        self._retire(worker, replace=True)
                        continue
                    if messages is None:
                        reason = worker.death_reason()
                        drop(worker)
                        self._count("worker_deaths")
                        if worker.state is _State.BUSY and deaths.get(worker.key, 0) < _RETRIES_AFTER_DEATH:
                            # Perhaps not the item's fault (killed from outside, the OOM killer): once more.
                            deaths[worker.key] = deaths.get(worker.key, 0) + 1
                            pending.appendleft(worker.key)
                        elif worker.state is _State.BUSY:
                            done[worker.key] = (Outcome(reason=reason), False)
                        else:
                            start_failures += 1
                            last_failure = reason
                        self._retire(worker, replace=False)
                        continue
                    for kind, *body in messages:
                        if kind == "ready":
                            worker.state = _State.IDLE
                            start_failures = 0
                        elif kind == "fatal":
                            drop(worker)
                            self._retire(worker, replace=False)
                            raise ExecutorError(f"worker process failed to start: {body[0]}")
                        elif kind in ("ok", "error"):
                            outcome = Outcome(value=body[0]) if kind == "ok" else Outcome(reason=body[0])
                            done[worker.key] = (outcome, True)
                            self._count("pool_judgements")
                            worker.state = _State.IDLE
                            worker.key = None

                # 4. Enforce deadlines.
                now = time.monotonic()
                for worker in list(held.values()):
                    if worker.state is _State.IDLE or worker.deadline > now:
                        continue
                    drop(worker)
                    if worker.state is _State.BUSY:
                        done[worker.key] = (Outcome(reason=TIMEOUT_REASON), True)
                        self._count("timeouts")
                        self._retire(worker, replace=True)
                    else:
                        start_failures += 1
                        last_failure = f"no sign of life within {self.config.start_timeout:g} s"
                        self._retire(worker, replace=False)

                if start_failures >= _START_FAILURES_BEFORE_GIVING_UP:  # in a row: no worker got ready
                    raise ExecutorError(
                        f"worker processes cannot start ({start_failures} attempts; last: {last_failure})"
                    )
        except BaseException:
            # Interrupted (KeyboardInterrupt, ExecutorError): a busy worker's reply would arrive out of
            # turn later, so busy workers are killed; idle ones go back to the pool.
            for worker in list(held.values()):
                if worker.state is _State.BUSY:
                    self._retire(worker, replace=False)
                else:
                    self._release(worker)
            raise
        for worker in held.values():
            self._release(worker)
        return done


def _run_fast(fast: Callable[..., Any], args: tuple[Any, ...]) -> Outcome | None:
    from rlvr.processes import describe_exception

    try:
        value = fast(*args)
    except (Exception, SystemExit) as exc:
        return Outcome(reason=describe_exception(exc))
    if value is NOT_HANDLED:
        return None
    return Outcome(value=value)
