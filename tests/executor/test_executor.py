"""Determinism, the fast path, pickling, threads sharing an executor, and the end of workers."""

from __future__ import annotations

import copy
import functools
import gc
import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
import threading
import weakref
from collections.abc import Callable

import pytest

from rlvr.executor import NOT_HANDLED, Executor, ExecutorStats, Outcome
from rlvr.executor.probes import add, identity, run_probe, worker_pid
from rlvr.executor.worker import describe_exception

from .support import NEVER, is_running, own_children, wait_gone, wait_not_running, warm

pytestmark = pytest.mark.timeout(60)

OutcomeKey = tuple[type, str, "str | None"]


def exact(outcomes: list[Outcome]) -> list[OutcomeKey]:
    """Outcomes in a form where ``1``, ``1.0`` and ``True`` (or ``0.0`` and ``-0.0``) differ."""
    return [(type(o.value), repr(o.value), o.reason) for o in outcomes]


# -- determinism -------------------------------------------------------------------------------------------


def mixed_items() -> list[tuple[object, ...]]:
    """200 ``run_probe`` items: values, errors, SystemExit, duplicates, equal values of different types,
    unhashable arguments, printing, two timeouts and one worker death."""
    makers: list[Callable[[int], tuple[object, ...]]] = [
        lambda i: ("add", i, i * i),
        lambda i: ("identity", f"text {i % 7}"),  # many duplicates
        lambda i: ("fail", f"boom {i % 5}"),
        lambda i: ("call_sys_exit", i % 3),
        lambda i: ("identity", (i % 3 == 1, i % 3, float(i % 3))),
        lambda i: ("add", "a", i),  # TypeError
        lambda i: ("identity", [i % 4]),  # unhashable: never cached
        lambda i: ("noisy", i % 11),
    ]
    items = [makers[i % len(makers)](i) for i in range(200)]
    items[20:23] = [("identity", 1), ("identity", True), ("identity", 1.0)]
    items[50:52] = [("identity", -0.0), ("identity", 0.0)]
    items[77] = ("spin", NEVER[0])
    items[150] = ("spin", NEVER[0] + 1)
    items[111] = ("exit_process", 7)
    return items


def expected_outcome(item: tuple[object, ...]) -> Outcome:
    """What the executor must answer for ``item``, worked out in this process."""
    if item[0] == "spin":
        return Outcome(reason="timeout")
    if item[0] == "exit_process":
        return Outcome(reason=f"worker died (exit code {item[1]})")
    try:
        return Outcome(value=run_probe(*item))
    except BaseException as exc:
        return Outcome(reason=describe_exception(exc))


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("workers", "shuffle"), [(1, False), (2, False), (4, False), (2, True)])
def test_same_outcomes_whatever_the_workers_and_order(
    make_executor: Callable[..., Executor], workers: int, shuffle: bool
) -> None:
    items = mixed_items()
    expected = exact([expected_outcome(item) for item in items])
    order = list(range(len(items)))
    if shuffle:
        random.Random(1234).shuffle(order)
    ex = make_executor(max_workers=workers, timeout=0.75)
    shuffled = ex.map(run_probe, [items[i] for i in order])
    outcomes: list[Outcome | None] = [None] * len(items)
    for position, index in enumerate(order):
        outcomes[index] = shuffled[position]
    assert exact(outcomes) == expected  # type: ignore[arg-type]
    assert ex.stats.timeouts == 2
    assert ex.stats.worker_deaths == 2  # the dying item is tried twice
    assert ex.live_workers <= workers


# -- the fast path -----------------------------------------------------------------------------------------


def small_only(a: int, b: int) -> object:
    """A fast path for :func:`add` that decides small operands only, tagging its answers."""
    return ("fast", a + b) if a < 10 and b < 10 else NOT_HANDLED


def test_fast_path_decides_without_the_pool(executor: Executor) -> None:
    outcomes = executor.map(add, [(1, 2), (3, 4), (1, 2)], fast=small_only)
    assert [o.value for o in outcomes] == [("fast", 3), ("fast", 7), ("fast", 3)]
    stats = executor.stats
    assert (stats.fast_path, stats.pool_judgements, stats.workers_started) == (3, 0, 0)
    assert executor.live_workers == 0


def test_not_handled_goes_to_the_pool(executor: Executor) -> None:
    outcomes = executor.map(add, [(1, 2), (30, 40), (5, 5), (50, 1)], fast=small_only)
    assert [o.value for o in outcomes] == [("fast", 3), 70, ("fast", 10), 51]
    stats = executor.stats
    assert (stats.fast_path, stats.pool_judgements) == (2, 2)


def test_fast_path_runs_in_process(executor: Executor) -> None:
    seen: list[tuple[int, int]] = []

    def recording(a: int, b: int) -> object:  # a closure: fine for ``fast``, which never leaves
        seen.append((a, b))
        return os.getpid()

    outcomes = executor.map(add, [(1, 1), (2, 2)], fast=recording)
    assert [o.value for o in outcomes] == [os.getpid()] * 2
    assert seen == [(1, 1), (2, 2)]


def test_exception_in_fast_path_is_the_items_reason(executor: Executor) -> None:
    def picky(a: int, b: int) -> object:
        if a == 0:
            raise ZeroDivisionError("division by zero")
        return NOT_HANDLED if a > 5 else a + b

    outcomes = executor.map(add, [(0, 1), (2, 3), (7, 1)], fast=picky)
    assert [(o.value, o.reason) for o in outcomes] == [
        (None, "ZeroDivisionError: division by zero"),
        (5, None),
        (8, None),
    ]
    stats = executor.stats
    assert (stats.fast_path, stats.pool_judgements) == (2, 1)


def test_fast_path_may_answer_none(executor: Executor) -> None:
    outcomes = executor.map(add, [(1, 2)], fast=lambda a, b: None)
    assert outcomes == [Outcome(value=None, reason=None)]
    assert outcomes[0].ok
    assert executor.stats.pool_judgements == 0


# -- pickling and what may be sent -------------------------------------------------------------------------


@pytest.mark.parametrize("duplicate", [lambda ex: pickle.loads(pickle.dumps(ex)), copy.copy, copy.deepcopy])
def test_executor_copy_carries_config_not_workers(
    make_executor: Callable[..., Executor], duplicate: Callable[[Executor], Executor]
) -> None:
    ex = make_executor(max_workers=1, timeout=1.5, cache_size=7)
    assert ex.map(add, [(1, 2)])[0].value == 3
    assert ex.live_workers == 1
    twin = duplicate(ex)
    try:
        assert twin is not ex
        assert twin.config == ex.config
        assert twin.live_workers == 0
        assert twin.stats == ExecutorStats()
        assert twin.map(add, [(1, 2), (2, 2)])[0].value == 3  # judged anew: the cache is not carried
        assert (twin.stats.cache_hits, twin.stats.pool_judgements) == (0, 2)
        assert ex.live_workers == 1
        assert ex.map(add, [(1, 2)])[0].value == 3
        assert ex.stats.cache_hits == 1
    finally:
        twin.close()


def test_lambda_is_refused_with_a_clear_message(executor: Executor) -> None:
    with pytest.raises(ValueError, match=r"module-level function .*lambda"):
        executor.map(lambda x: x, [(1,)])


def test_local_function_is_refused(executor: Executor) -> None:
    def local(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="module-level function"):
        executor.map(local, [(1,)])


def test_function_from_main_is_refused(executor: Executor) -> None:
    fn = functools.wraps(identity)(lambda x: x)
    fn.__module__ = "__main__"
    fn.__qualname__ = "identity"
    with pytest.raises(ValueError, match="__main__"):
        executor.map(fn, [(1,)])


def test_refusal_does_not_depend_on_the_items(executor: Executor) -> None:
    """Not only when an item reaches the pool: the same error with the fast path, and with no items."""
    with pytest.raises(ValueError, match="module-level function"):
        executor.map(lambda x: x, [(1,)], fast=lambda x: x)
    with pytest.raises(ValueError, match="module-level function"):
        executor.map(lambda x: x, [])
    assert executor.live_workers == 0


def test_instance_of_importable_class_is_accepted(executor: Executor) -> None:
    outcomes = executor.map(functools.partial(add, 10), [(1,), (2,)])
    assert [o.value for o in outcomes] == [11, 12]


def test_empty_batch(executor: Executor) -> None:
    assert executor.map(add, []) == []
    assert executor.live_workers == 0


# -- threads sharing one executor --------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_threads_share_one_executor(make_executor: Callable[..., Executor], workers: int) -> None:
    ex = make_executor(max_workers=workers, timeout=0.75)
    batches: dict[str, list[tuple[object, ...]]] = {
        "a": [("add", i, 1000) for i in range(50)] + [("spin", NEVER[0]), ("exit_process", 9)],
        "b": [("add", i % 20, 2000) for i in range(60)] + [("fail", "b")],
        "c": [("identity", f"c{i}") for i in range(40)],
    }
    barrier = threading.Barrier(len(batches))
    results: dict[str, list[Outcome]] = {}

    def run(name: str) -> None:
        barrier.wait(10)
        results[name] = ex.map(run_probe, batches[name])

    threads = [threading.Thread(target=run, args=(name,), daemon=True) for name in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    for name, items in batches.items():
        assert exact(results[name]) == exact([expected_outcome(item) for item in items]), name
    assert ex.stats.items == sum(len(items) for items in batches.values())
    assert ex.live_workers <= workers


# -- the end of workers ------------------------------------------------------------------------------------


def test_close_kills_workers_and_map_still_works(make_executor: Callable[..., Executor]) -> None:
    baseline = own_children()
    ex = make_executor(max_workers=2)
    warm(ex)
    workers = own_children() - baseline
    assert len(workers) == 2
    ex.close()
    assert ex.live_workers == 0
    for pid in workers:  # killed and reaped
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    outcomes = ex.map(worker_pid, [(i,) for i in range(4)], use_cache=False)
    assert all(o.ok for o in outcomes)
    assert not {o.value for o in outcomes} & workers
    ex.close()
    ex.close()  # idempotent
    assert not (own_children() - baseline)


def test_context_manager_closes() -> None:
    baseline = own_children()
    with Executor(max_workers=2, start_timeout=20.0) as ex:
        warm(ex)
        workers = own_children() - baseline
        assert len(workers) == 2
    assert not wait_gone(workers)
    assert ex.map(add, [(1, 1)])[0].value == 2  # still usable
    ex.close()


def test_garbage_collection_kills_workers() -> None:
    baseline = own_children()
    ex = Executor(max_workers=2, start_timeout=20.0)
    warm(ex)
    workers = own_children() - baseline
    assert len(workers) == 2
    ref = weakref.ref(ex)
    del ex
    gc.collect()
    assert ref() is None
    assert not wait_gone(workers)


def test_process_exit_kills_busy_workers() -> None:
    """An executor never closed, with a worker spinning in a daemon thread's batch: exit kills it."""
    script = textwrap.dedent(
        """
        import threading, time
        from rlvr.executor import Executor
        from rlvr.executor.probes import spin, worker_pid
        ex = Executor(max_workers=1, timeout=120, start_timeout=20)
        print(ex.map(worker_pid, [(0,)])[0].value, flush=True)
        threading.Thread(target=ex.map, args=(spin, [(10**9,)]), daemon=True).start()
        time.sleep(0.5)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stderr
    worker = int(proc.stdout.split()[0])
    try:
        assert not wait_not_running({worker}), "a busy worker outlived its process"
    finally:
        if is_running(worker):
            os.killpg(worker, signal.SIGKILL)
