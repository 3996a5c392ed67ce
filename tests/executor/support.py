"""Helpers of the executor tests: process inspection, and running one timed batch in other contexts.

This module is imported by ``multiprocessing`` spawned children (their target lives here), so it must
stay cheap to import: nothing heavier than :mod:`rlvr.executor`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from rlvr.executor import Executor, ExecutorConfig
from rlvr.executor.probes import add, sleep, spin, worker_pid

#: Deadline of the timed batch, and how late its answer may come back.
DEADLINE = 1.0
SLACK = 0.5
#: ``spin(10**9)`` never returns in practice; ``spin(10)`` is 16.
NEVER = (10**9,)
HONEST = (10,)
HONEST_VALUE = 16
#: The executor a child process builds for itself when it is not handed one.
CHILD_CONFIG = ExecutorConfig(max_workers=2, timeout=5.0, start_timeout=20.0)

Report = dict[str, Any]


# -- processes ---------------------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (state first), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def child_pids(parent: int | None = None) -> set[int]:
    """Pids of the direct children of ``parent`` (this process by default), zombies included."""
    parent = os.getpid() if parent is None else parent
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and int(fields[1]) == parent:
                pids.add(int(entry))
    return pids


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def wait_not_running(pids: set[int], timeout: float = 3.0) -> set[int]:
    """Wait up to ``timeout`` s for ``pids`` to stop running; return those still running."""
    end = time.monotonic() + timeout
    alive = {pid for pid in pids if is_running(pid)}
    while alive and time.monotonic() < end:
        time.sleep(0.02)
        alive = {pid for pid in alive if is_running(pid)}
    return alive


def wait_gone(pids: set[int], timeout: float = 3.0) -> set[int]:
    """Wait up to ``timeout`` s for ``pids`` to vanish entirely (exited and reaped); return the rest."""
    end = time.monotonic() + timeout
    left = {pid for pid in pids if _stat_fields(pid) is not None}
    while left and time.monotonic() < end:
        time.sleep(0.02)
        left = {pid for pid in left if _stat_fields(pid) is not None}
    return left


def resource_tracker_pid() -> int | None:
    """The pid of multiprocessing's resource tracker (started by spawn contexts; lives until exit)."""
    from multiprocessing import resource_tracker

    return getattr(resource_tracker._resource_tracker, "_pid", None)


def own_children() -> set[int]:
    """Pids of this process's children, but for multiprocessing's resource tracker."""
    return child_pids() - {resource_tracker_pid()}


# -- the timed batch ---------------------------------------------------------------------------------------


def warm(ex: Executor) -> None:
    """Start every worker of ``ex`` and let each judge once, so start-up is not timed later."""
    count = ex.config.workers
    outcomes = ex.map(sleep, [(0.05 + i / 1000,) for i in range(count)], use_cache=False)
    assert all(o.ok for o in outcomes), outcomes


def timed_batch(ex: Executor) -> Report:
    """Warm ``ex``, then time one uncached batch of a never-ending item and an honest one."""
    warm(ex)
    before = ex.stats
    start = time.monotonic()
    outcomes = ex.map(spin, [NEVER, HONEST], timeout=DEADLINE, use_cache=False)
    elapsed = time.monotonic() - start
    after = ex.stats
    return {
        "outcomes": [(o.value, o.reason) for o in outcomes],
        "elapsed": elapsed,
        "timeouts": after.timeouts - before.timeouts,
        "pool_judgements": after.pool_judgements - before.pool_judgements,
        "pid": os.getpid(),
        "thread": threading.get_ident(),
    }


def check_report(report: Report) -> None:
    """Assert what every context must give: a timeout within the deadline plus slack, the honest value."""
    assert report.get("error") is None, report["error"]
    if "cached" in report:
        assert report["cached"] == [(3, None)] * 4
    assert report["outcomes"] == [(None, "timeout"), (HONEST_VALUE, None)]
    assert report["timeouts"] == 1  # judged in the pool in this context, not taken from a cache
    assert report["pool_judgements"] == 1
    assert DEADLINE <= report["elapsed"] <= DEADLINE + SLACK, report["elapsed"]


# -- contexts ----------------------------------------------------------------------------------------------


def in_thread(get_executor: Callable[[], Executor], timeout: float = 30.0) -> Report:
    """Run :func:`timed_batch` in a new ``threading.Thread``, on the executor ``get_executor()`` gives."""
    box: Report = {}

    def target() -> None:
        try:
            box.update(timed_batch(get_executor()))
        except BaseException:
            box["error"] = traceback.format_exc()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the thread did not finish"
    return box


def in_asyncio_loop(ex: Executor) -> Report:
    """Run :func:`timed_batch` (a blocking call) from inside a coroutine of a running event loop."""

    async def main() -> Report:
        asyncio.get_running_loop()  # raises if no loop runs
        report = timed_batch(ex)
        report["loop_running"] = asyncio.get_running_loop().is_running()
        return report

    return asyncio.run(main())


def child_main(conn: Connection, ex: Executor | None) -> None:
    """Body of a child process: run :func:`timed_batch` on ``ex`` (or a new executor), send a report."""
    report: Report = {"error": None}
    try:
        if ex is None:
            ex = Executor(CHILD_CONFIG)
        report["live_workers_at_start"] = ex.live_workers
        report["stats_at_start"] = dataclasses.asdict(ex.stats)
        report.update(timed_batch(ex))
        pids = ex.map(worker_pid, [(i,) for i in range(4)], use_cache=False)
        report["worker_pids"] = sorted({o.value for o in pids})
        report["cached"] = [(o.value, o.reason) for o in ex.map(add, [(1, 2), (1, 2)] * 2)]  # uses the cache
    except BaseException:
        report["error"] = traceback.format_exc()
    finally:
        try:
            if ex is not None:
                ex.close()
        finally:
            conn.send(report)
            conn.close()


def _receive(conn: Connection, timeout: float, what: str) -> Report:
    """The report a child sends on ``conn``; fails (never hangs) when none comes within ``timeout``."""
    if not conn.poll(timeout):
        raise AssertionError(f"{what} sent no report within {timeout} s")
    try:
        return conn.recv()
    except EOFError:
        raise AssertionError(f"{what} died without sending a report") from None


def _reap(pid: int, timeout: float = 10.0) -> int:
    """Wait for child ``pid`` to exit (SIGKILL it past ``timeout``); its wait status."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def via_os_fork(ex: Executor | None, timeout: float = 30.0) -> Report:
    """Run :func:`child_main` in a child made by ``os.fork()`` directly."""
    recv, send = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            recv.close()
            child_main(send, ex)
            code = 0
        finally:
            os._exit(code)
    send.close()
    try:
        report = _receive(recv, timeout, f"os.fork child {pid}")
    finally:
        recv.close()
        status = _reap(pid)
    assert os.waitstatus_to_exitcode(status) == 0, status
    return report


def via_multiprocessing(method: str, ex: Executor | None, timeout: float = 30.0) -> Report:
    """Run :func:`child_main` in a ``multiprocessing`` child started by ``method`` ("fork", "spawn")."""
    ctx = multiprocessing.get_context(method)
    recv, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=child_main, args=(send, ex), daemon=True)
    process.start()
    send.close()
    try:
        report = _receive(recv, timeout, f"{method} child {process.pid}")
    finally:
        recv.close()
        process.join(10.0)
        if process.is_alive():
            process.kill()
            process.join()
    assert process.exitcode == 0, process.exitcode
    return report


CONTEXTS: dict[str, Callable[[Executor | None], Report]] = {
    "os.fork": via_os_fork,
    "mp-fork": lambda ex: via_multiprocessing("fork", ex),
    "mp-spawn": lambda ex: via_multiprocessing("spawn", ex),
}
