"""The hard deadline holds in every calling context, and the executor leaves the caller's signals alone.

Each test times one batch ``[spin(10**9), spin(10)]`` under a 1 s deadline (after warming the workers so
that start-up is not counted): the first item must come back as a timeout within 1.5 s and the second
with its value (see :func:`support.timed_batch`).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

import pytest

from rlvr.executor import Executor
from rlvr.executor.probes import spin, worker_pid

from .support import (
    CONTEXTS,
    DEADLINE,
    HONEST,
    HONEST_VALUE,
    NEVER,
    SLACK,
    check_report,
    in_asyncio_loop,
    in_thread,
    is_running,
    own_children,
    timed_batch,
    via_os_fork,
    warm,
)

pytestmark = pytest.mark.timeout(60)


def test_main_thread(executor: Executor) -> None:
    assert threading.current_thread() is threading.main_thread()
    check_report(timed_batch(executor))


def test_other_thread(executor: Executor) -> None:
    report = in_thread(lambda: executor)
    check_report(report)
    assert report["thread"] != threading.main_thread().ident


def test_other_thread_with_its_own_executor(make_executor: Callable[..., Executor]) -> None:
    report = in_thread(make_executor)  # built in that thread
    check_report(report)
    assert report["thread"] != threading.main_thread().ident


def test_inside_running_asyncio_loop(executor: Executor) -> None:
    report = in_asyncio_loop(executor)
    check_report(report)
    assert report["loop_running"] is True


@pytest.mark.parametrize("context", sorted(CONTEXTS))
def test_child_process_with_its_own_executor(context: str) -> None:
    report = CONTEXTS[context](None)
    check_report(report)
    assert report["pid"] != os.getpid()
    assert not any(is_running(pid) for pid in report["worker_pids"]), "the child's workers outlived it"


@pytest.mark.parametrize("context", sorted(CONTEXTS))
def test_child_process_given_a_used_executor(context: str, make_executor: Callable[..., Executor]) -> None:
    """The executor was built and used in the parent (workers alive) before the child got it.

    A forked child inherits the very object; a spawned one gets a pickled copy.
    """
    baseline = own_children()
    ex = make_executor()
    warm(ex)
    assert ex.live_workers == 2
    parent_workers = own_children() - baseline
    assert len(parent_workers) == 2

    report = CONTEXTS[context](ex)

    check_report(report)
    # In the child the parent's workers are not its own: it starts afresh, with fresh counters.
    assert report["live_workers_at_start"] == 0
    assert set(report["stats_at_start"].values()) == {0}
    assert not set(report["worker_pids"]) & parent_workers
    assert not any(is_running(pid) for pid in report["worker_pids"])
    # The child neither killed nor disturbed the parent's workers, and the parent goes on with them.
    assert own_children() - baseline == parent_workers
    assert all(is_running(pid) for pid in parent_workers)
    assert ex.live_workers == 2
    outcomes = ex.map(worker_pid, [(i,) for i in range(6)], use_cache=False)
    assert {o.value for o in outcomes} <= parent_workers
    check_report(timed_batch(ex))


def test_fork_while_the_cache_lock_is_held(make_executor: Callable[..., Executor]) -> None:
    """A thread of the parent holding the cache's lock at the fork must not deadlock the child."""
    ex = make_executor()
    warm(ex)
    lock = ex._cache._lock
    lock.acquire()  # as another thread inside map() would, at the instant of the fork
    try:
        report = via_os_fork(ex, timeout=15.0)
    finally:
        lock.release()
    check_report(report)


def _handler_recorder() -> tuple[list[float], Callable[[int, object], None]]:
    """A list and a SIGALRM handler that appends the time of each call to it."""
    fired: list[float] = []

    def handler(signum: int, frame: object) -> None:
        fired.append(time.monotonic())

    return fired, handler


@pytest.mark.timeout(60, method="thread")  # pytest-timeout's signal method would itself use SIGALRM
def test_sigalrm_handler_and_pending_timer_untouched(executor: Executor) -> None:
    warm(executor)
    fired, handler = _handler_recorder()
    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, DEADLINE + 1.0)
        start = time.monotonic()
        outcomes = executor.map(spin, [NEVER, HONEST], timeout=DEADLINE, use_cache=False)
        assert [(o.value, o.reason) for o in outcomes] == [(None, "timeout"), (HONEST_VALUE, None)]
        assert time.monotonic() - start <= DEADLINE + SLACK
        assert signal.getsignal(signal.SIGALRM) is handler
        remaining, interval = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining < 1.0 + 1e-3  # still pending: neither cancelled nor re-armed
        assert interval == 0
        assert not fired
        end = time.monotonic() + remaining + 2.0
        while not fired and time.monotonic() < end:
            time.sleep(0.01)
        assert fired, "the caller's timer never fired"
        assert fired[0] >= start + DEADLINE + 1.0 - 0.05
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.timeout(60, method="thread")
def test_sigalrm_alarm_still_pending(executor: Executor) -> None:
    warm(executor)
    fired, handler = _handler_recorder()
    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.alarm(5)
        outcomes = executor.map(spin, [NEVER, HONEST], timeout=0.5, use_cache=False)
        assert outcomes[0].reason == "timeout"
        assert outcomes[1].value == HONEST_VALUE
        assert signal.getsignal(signal.SIGALRM) is handler
        left = signal.alarm(0)
        assert 1 <= left <= 5  # the caller's alarm was still set
        assert not fired
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.timeout(60, method="thread")
def test_sigalrm_firing_during_map_is_handled_by_the_caller(executor: Executor) -> None:
    """The caller's own alarm going off mid-batch runs the caller's handler and disturbs nothing."""
    warm(executor)
    fired, handler = _handler_recorder()
    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2, 0.3)  # fires during the batch, then every 0.3 s
        start = time.monotonic()
        outcomes = executor.map(spin, [NEVER, HONEST], timeout=DEADLINE, use_cache=False)
        elapsed = time.monotonic() - start
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert [(o.value, o.reason) for o in outcomes] == [(None, "timeout"), (HONEST_VALUE, None)]
        assert DEADLINE <= elapsed <= DEADLINE + SLACK
        assert len(fired) >= 2
        assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
