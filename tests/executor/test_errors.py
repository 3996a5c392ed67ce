"""Failures stay with their item; a broken pool is rebuilt; workers that cannot start raise ExecutorError."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rlvr.executor import Executor, ExecutorError, Outcome
from rlvr.executor.probes import (
    add,
    allocate,
    fail,
    identity,
    kill_self,
    noisy,
    run_probe,
    scribble,
    spawn_then_spin,
    spin,
    worker_pid,
)

from .support import HONEST, NEVER, is_running, own_children, wait_not_running, warm

pytestmark = pytest.mark.timeout(60)


def pairs(outcomes: list[Outcome]) -> list[tuple[object, str | None]]:
    """``(value, reason)`` of each outcome, for comparing whole batches at once."""
    return [(o.value, o.reason) for o in outcomes]


# -- error isolation ---------------------------------------------------------------------------------------


def test_exception_becomes_the_reason_of_its_item_only(executor: Executor) -> None:
    items = [("add", 1, 2), ("fail", "boom"), ("add", 3, 4), ("add", 1, "x"), ("identity", "ok")]
    outcomes = executor.map(run_probe, items)
    assert pairs(outcomes) == [
        (3, None),
        (None, "ValueError: boom"),
        (7, None),
        (None, "TypeError: unsupported operand type(s) for +: 'int' and 'str'"),
        ("ok", None),
    ]
    assert [o.ok for o in outcomes] == [True, False, True, False, True]
    assert executor.stats.worker_deaths == 0


def test_exception_without_message_and_long_message(executor: Executor) -> None:
    outcomes = executor.map(fail, [("",), ("x" * 5000,)])
    assert outcomes[0].reason == "ValueError"
    assert outcomes[1].reason.startswith("ValueError: xxxx")
    assert len(outcomes[1].reason) <= 500


@pytest.mark.parametrize("code", [0, 3])
def test_system_exit_is_an_error_not_a_death(make_executor: Callable[..., Executor], code: int) -> None:
    ex = make_executor(max_workers=1)
    before = ex.map(worker_pid, [(None,)], use_cache=False)[0].value
    outcomes = ex.map(run_probe, [("call_sys_exit", code), ("add", 1, 1)])
    assert pairs(outcomes) == [(None, f"SystemExit: {code}"), (2, None)]
    # The same worker survived it.
    assert ex.map(worker_pid, [(None,)], use_cache=False)[0].value == before
    assert ex.stats.worker_deaths == 0


def test_worker_death_takes_only_its_own_item(executor: Executor) -> None:
    items = [("add", 1, 2), ("exit_process", 3), ("add", 3, 4), ("identity", "after")]
    outcomes = executor.map(run_probe, items)
    assert pairs(outcomes) == [(3, None), (None, "worker died (exit code 3)"), (7, None), ("after", None)]
    assert executor.stats.worker_deaths == 2  # tried twice: a death may not be the item's fault


def test_worker_killed_by_a_signal(executor: Executor) -> None:
    outcomes = executor.map(run_probe, [("kill_self", int(signal.SIGTERM)), ("add", 2, 2)])
    assert pairs(outcomes) == [(None, "worker died (signal SIGTERM)"), (4, None)]
    assert pairs(executor.map(kill_self, [(0,)])) == [(None, None)]


def test_memory_bomb_is_a_memory_error(make_executor: Callable[..., Executor]) -> None:
    ex = make_executor(max_workers=1, memory_limit_mb=256)
    outcomes = ex.map(allocate, [(1,), (4096,), (2,)])
    assert pairs(outcomes) == [(1 << 20, None), (None, "MemoryError"), (2 << 20, None)]
    assert ex.stats.worker_deaths == 0


def test_printing_does_not_corrupt_results(executor: Executor, capfd: pytest.CaptureFixture[str]) -> None:
    outcomes = executor.map(noisy, [(i,) for i in range(20)])
    assert pairs(outcomes) == [(i, None) for i in range(20)]
    outcomes = executor.map(scribble, [(i,) for i in range(20)])
    assert pairs(outcomes) == [(i, None) for i in range(20)]
    assert executor.stats.worker_deaths == 0
    assert "noise on stderr" in capfd.readouterr().err  # stderr is left to the caller


def test_reading_stdin_cannot_steal_the_protocol(executor: Executor) -> None:
    outcomes = executor.map(input, [(), ()], use_cache=False)
    assert pairs(outcomes) == [(None, "EOFError: EOF when reading a line")] * 2
    assert executor.map(add, [(1, 2)])[0].value == 3


def test_result_over_the_size_limit(make_executor: Callable[..., Executor]) -> None:
    ex = make_executor(max_result_bytes=100_000)
    outcomes = ex.map(identity, [(b"x" * 10,), (b"y" * 1_000_000,), ("z",)])
    assert outcomes[0].value == b"x" * 10
    assert outcomes[1].value is None
    assert "limit 100000" in outcomes[1].reason
    assert outcomes[2].value == "z"
    assert ex.map(identity, [(b"w" * 50_000,)])[0].value == b"w" * 50_000


def test_unpicklable_result_and_arguments(executor: Executor) -> None:
    outcomes = executor.map(memoryview, [(b"ab",)])
    assert outcomes[0].value is None
    assert outcomes[0].reason.startswith("TypeError: cannot pickle")
    assert "memoryview" in outcomes[0].reason
    outcomes = executor.map(identity, [(threading.Lock(),), (5,)])
    assert outcomes[0].value is None
    assert outcomes[0].reason.startswith("arguments cannot be pickled")
    assert outcomes[1].value == 5


def test_timeout_kills_the_workers_grandchildren(executor: Executor, tmp_path: Path) -> None:
    warm(executor)
    pid_file = tmp_path / "grandchild.pid"
    outcomes = executor.map(spawn_then_spin, [(str(pid_file), 60, NEVER[0])], timeout=1.0)
    assert outcomes[0].reason == "timeout"
    grandchild = int(pid_file.read_text())
    try:
        assert not wait_not_running({grandchild}), "the judgement's own child outlived the timeout"
    finally:
        if is_running(grandchild):
            os.kill(grandchild, signal.SIGKILL)


# -- a broken pool is rebuilt ------------------------------------------------------------------------------


@contextmanager
def max_observed(ex: Executor, baseline: set[int]) -> Iterator[dict[str, int]]:
    """Sample ``ex.live_workers`` and this process's new children in a thread; record the maxima."""
    seen = {"live_workers": 0, "processes": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            seen["live_workers"] = max(seen["live_workers"], ex.live_workers)
            seen["processes"] = max(seen["processes"], len(own_children() - baseline))
            stop.wait(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(5)


def test_pool_rebuilt_after_timeouts_and_deaths(make_executor: Callable[..., Executor]) -> None:
    baseline = own_children()
    ex = make_executor(max_workers=2)
    honest = [("add", i, i) for i in range(30)]
    with max_observed(ex, baseline) as seen:
        outcomes = ex.map(
            run_probe,
            [("spin", NEVER[0]), ("exit_process", 4), ("spin", NEVER[0] + 1), ("exit_process", 5), *honest],
            timeout=0.5,
        )
        assert pairs(outcomes[:4]) == [
            (None, "timeout"),
            (None, "worker died (exit code 4)"),
            (None, "timeout"),
            (None, "worker died (exit code 5)"),
        ]
        assert pairs(outcomes[4:]) == [(2 * i, None) for i in range(30)]
        assert ex.live_workers <= 2
        outcomes = ex.map(run_probe, [("add", i, 1) for i in range(40)])
        assert pairs(outcomes) == [(i + 1, None) for i in range(40)]
    assert 1 <= seen["live_workers"] <= 2
    assert 1 <= seen["processes"] <= 2
    stats = ex.stats
    assert (stats.timeouts, stats.worker_deaths) == (2, 4)  # each dying item is tried twice
    assert len(own_children() - baseline) == ex.live_workers <= 2


def _wait_dead(pid: int) -> None:
    """Wait until the killed worker ``pid`` has exited (a zombie not yet reaped by its executor)."""
    assert not wait_not_running({pid}), f"worker {pid} survived SIGKILL"


@pytest.mark.parametrize("workers", [1, 2])
def test_worker_killed_from_outside_between_batches(
    make_executor: Callable[..., Executor], workers: int
) -> None:
    ex = make_executor(max_workers=workers)
    warm(ex)
    victim = ex.map(worker_pid, [(None,)], use_cache=False)[0].value
    os.kill(victim, signal.SIGKILL)
    _wait_dead(victim)
    # Enough items that every idle worker, the dead one included, is handed one.
    outcomes = ex.map(run_probe, [("add", i, 100) for i in range(20)] + [("worker_pid",)] * 1)
    assert pairs(outcomes[:20]) == [(i + 100, None) for i in range(20)]
    assert outcomes[20].ok
    assert outcomes[20].value != victim
    assert ex.stats.worker_deaths == 1
    assert ex.live_workers == workers
    assert not is_running(victim)


def test_every_worker_killed_from_outside(make_executor: Callable[..., Executor]) -> None:
    baseline = own_children()
    ex = make_executor(max_workers=2)
    warm(ex)
    victims = own_children() - baseline
    assert len(victims) == 2
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    for pid in victims:
        _wait_dead(pid)
    outcomes = ex.map(add, [(i, 1) for i in range(10)])
    assert pairs(outcomes) == [(i + 1, None) for i in range(10)]
    assert not (own_children() - baseline) & victims


# -- workers that cannot start -----------------------------------------------------------------------------


def test_preload_failure_raises(make_executor: Callable[..., Executor]) -> None:
    ex = make_executor(preload=("no_such_module_xyz",))
    for _ in range(2):  # and again: never a silent pass on a later call
        with pytest.raises(ExecutorError, match="no_such_module_xyz"):
            ex.map(add, [(1, 2)])
    assert ex.stats.pool_judgements == 0


def test_preload_that_works(make_executor: Callable[..., Executor]) -> None:
    ex = make_executor(preload=("json", "rlvr.executor.probes"))
    assert ex.map(add, [(1, 2)])[0].value == 3


@pytest.fixture
def never_ready_program(tmp_path: Path) -> str:
    """An executable that starts but never says "ready" (it sleeps)."""
    path = tmp_path / "sleepy-python"
    path.write_text("#!/bin/sh\nexec sleep 30\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("program", ["false", "/no/such/python", "", "never-ready"])
@pytest.mark.parametrize("used_before", [False, True])
def test_workers_cannot_start(
    make_executor: Callable[..., Executor],
    monkeypatch: pytest.MonkeyPatch,
    never_ready_program: str,
    program: str,
    used_before: bool,
) -> None:
    """ExecutorError, never None or a hang, also when the executor had worked before; fixable after."""
    ex = make_executor(max_workers=2, start_timeout=0.5)
    if used_before:
        assert ex.map(add, [(1, 2)])[0].value == 3
        ex.close()  # so new workers are needed
    executable = {"false": shutil.which("false"), "never-ready": never_ready_program}.get(program, program)
    monkeypatch.setattr(sys, "executable", executable)
    start = time.monotonic()
    with pytest.raises(ExecutorError):
        ex.map(add, [(i, 1) for i in range(4)], use_cache=False)
    assert time.monotonic() - start < 10
    monkeypatch.undo()
    assert pairs(ex.map(add, [(i, 1) for i in range(4)])) == [(i + 1, None) for i in range(4)]


def test_replacement_that_cannot_start(
    make_executor: Callable[..., Executor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timeout while workers cannot be started: the item is a timeout, the next batch raises."""
    ex = make_executor(max_workers=1, start_timeout=0.5)
    warm(ex)
    monkeypatch.setattr(sys, "executable", "/no/such/python")
    outcomes = ex.map(spin, [NEVER], timeout=0.5)
    assert outcomes[0].reason == "timeout"
    with pytest.raises(ExecutorError):
        ex.map(spin, [HONEST])
    monkeypatch.undo()
    assert ex.map(spin, [HONEST])[0].value == 16
