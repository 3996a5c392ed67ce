"""The executor's cache of judgements, and the LRUCache under it."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable

import pytest

from rlvr.executor import Executor
from rlvr.executor.cache import LRUCache
from rlvr.executor.probes import add, exit_process, fail, identity, spin, worker_pid

from .support import NEVER

pytestmark = pytest.mark.timeout(60)


def pool_count(ex: Executor) -> int:
    """Judgements answered by workers so far."""
    return ex.stats.pool_judgements


# -- the executor's cache ----------------------------------------------------------------------------------


def test_duplicates_in_a_batch_are_judged_once(executor: Executor) -> None:
    outcomes = executor.map(add, [(1, 2), (1, 2), (3, 4), (1, 2), (3, 4)])
    assert [o.value for o in outcomes] == [3, 3, 7, 3, 7]
    stats = executor.stats
    assert (stats.items, stats.pool_judgements, stats.cache_hits) == (5, 2, 0)


def test_repeated_batch_is_all_cache_hits(executor: Executor) -> None:
    items = [(i, i) for i in range(10)]
    first = executor.map(add, items)
    started = executor.stats.workers_started
    second = executor.map(add, items)
    assert second == first
    stats = executor.stats
    assert (stats.cache_hits, stats.pool_judgements, stats.workers_started) == (10, 10, started)


def test_cache_is_bounded_and_least_recently_used_goes_first(make_executor: Callable[..., Executor]) -> None:
    ex = make_executor(cache_size=3, max_workers=1)  # one worker: results arrive, and are stored, in order
    ex.map(identity, [(i,) for i in range(5)])  # remembers 2, 3, 4
    assert pool_count(ex) == 5
    ex.map(identity, [(2,)])  # a hit: 2 becomes the most recent (3, 4, 2)
    assert (ex.stats.cache_hits, pool_count(ex)) == (1, 5)
    ex.map(identity, [(0,)])  # evicted earlier: judged again, and 3 goes (4, 2, 0)
    assert pool_count(ex) == 6
    ex.map(identity, [(4,), (2,), (0,)])
    assert (ex.stats.cache_hits, pool_count(ex)) == (4, 6)
    ex.map(identity, [(3,)])
    assert pool_count(ex) == 7


def test_use_cache_false_neither_reads_nor_writes(executor: Executor) -> None:
    executor.map(add, [(1, 1)])
    assert pool_count(executor) == 1
    executor.map(add, [(1, 1)], use_cache=False)  # does not read the entry
    assert (executor.stats.cache_hits, pool_count(executor)) == (0, 2)
    executor.map(add, [(5, 5)], use_cache=False)  # does not write one
    executor.map(add, [(5, 5)])
    assert (executor.stats.cache_hits, pool_count(executor)) == (0, 4)
    pids = executor.map(worker_pid, [(None,)] * 3, use_cache=False)
    assert len({o.value for o in pids}) == 1  # still judged once within the batch


def test_cache_size_zero_disables_it(make_executor: Callable[..., Executor]) -> None:
    ex = make_executor(cache_size=0)
    ex.map(add, [(1, 1)])
    ex.map(add, [(1, 1)])
    assert (ex.stats.cache_hits, pool_count(ex)) == (0, 2)


def test_unhashable_arguments_work_uncached(executor: Executor) -> None:
    items = [([1, 2],), ({"a": 1},), ([1, 2],)]
    outcomes = executor.map(identity, items)
    assert [o.value for o in outcomes] == [[1, 2], {"a": 1}, [1, 2]]
    assert pool_count(executor) == 3
    executor.map(identity, items)
    assert (executor.stats.cache_hits, pool_count(executor)) == (0, 6)


def test_timeouts_are_cached(make_executor: Callable[..., Executor]) -> None:
    ex = make_executor(max_workers=1)
    assert ex.map(spin, [NEVER], timeout=0.5)[0].reason == "timeout"
    assert ex.map(spin, [NEVER], timeout=0.5)[0].reason == "timeout"
    stats = ex.stats
    assert (stats.timeouts, stats.cache_hits) == (1, 1)


def test_errors_are_cached(executor: Executor) -> None:
    executor.map(fail, [("boom",)])
    assert executor.map(fail, [("boom",)])[0].reason == "ValueError: boom"
    assert (executor.stats.cache_hits, pool_count(executor)) == (1, 1)


def test_worker_deaths_are_not_cached(executor: Executor) -> None:
    for _ in range(2):
        assert executor.map(exit_process, [(3,)])[0].reason == "worker died (exit code 3)"
    stats = executor.stats
    assert (stats.worker_deaths, stats.cache_hits) == (4, 0)  # each item is tried twice before it fails


def test_equal_values_of_different_types_are_not_confused(executor: Executor) -> None:
    """``1 == 1.0 == True`` and ``0.0 == -0.0``, yet a judgement may tell them apart."""
    items = [(1,), (True,), (1.0,), (0.0,), (-0.0,), ((1, (1,)),), ((True, (1.0,)),), (frozenset({1}),)]
    items.append((frozenset({True}),))
    outcomes = executor.map(identity, items)
    assert [(type(o.value), repr(o.value)) for o in outcomes] == [
        (type(item[0]), repr(item[0])) for item in items
    ]
    assert pool_count(executor) == len(items)
    # The same across batches, through the cache.
    assert repr(executor.map(identity, [(True,)])[0].value) == "True"
    assert repr(executor.map(identity, [(-0.0,)])[0].value) == "-0.0"
    assert executor.stats.cache_hits == 2


def test_cache_is_per_function_and_per_executor(make_executor: Callable[..., Executor]) -> None:
    ex = make_executor(max_workers=1)
    assert ex.map(identity, [(7,)])[0].value == 7
    assert isinstance(ex.map(worker_pid, [(7,)])[0].value, int)
    assert ex.stats.cache_hits == 0
    other = make_executor(max_workers=1)
    other.map(identity, [(7,)])
    assert other.stats.cache_hits == 0


# -- LRUCache ----------------------------------------------------------------------------------------------


def test_lru_evicts_least_recently_used() -> None:
    cache = LRUCache[int](capacity=3)
    for i, key in enumerate("abcd"):
        cache.put(key, i)
    assert len(cache) == 3
    assert cache.get("a") is None
    assert [cache.get(k) for k in "bcd"] == [1, 2, 3]


def test_lru_get_refreshes_recency() -> None:
    cache = LRUCache[int](capacity=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)  # "b" is now the least recently used
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)


def test_lru_put_overwrites_and_refreshes() -> None:
    cache = LRUCache[int](capacity=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (10, None, 3)
    assert len(cache) == 2


def test_lru_capacity_zero_stores_nothing() -> None:
    cache = LRUCache[int](capacity=0)
    cache.put("a", 1)
    assert cache.get("a") is None
    assert len(cache) == 0


def test_lru_negative_capacity() -> None:
    with pytest.raises(ValueError, match="capacity"):
        LRUCache(capacity=-1)


def test_lru_clear() -> None:
    cache = LRUCache[int](capacity=4)
    cache.put("a", 1)
    cache.clear()
    assert len(cache) == 0
    assert cache.get("a") is None


def test_lru_pickles_capacity_only() -> None:
    cache = LRUCache[int](capacity=5)
    cache.put("a", 1)
    copy = pickle.loads(pickle.dumps(cache))
    assert copy.capacity == 5
    assert len(copy) == 0
    copy.put("b", 2)
    assert copy.get("b") == 2


def test_lru_threads_keep_it_bounded_and_consistent() -> None:
    cache = LRUCache[int](capacity=50)
    errors: list[str] = []

    def hammer(offset: int) -> None:
        for i in range(2000):
            key = (offset + i) % 120
            cache.put(key, key * 2)
            value = cache.get(key)
            if value is not None and value != key * 2:
                errors.append(f"{key} -> {value}")

    threads = [threading.Thread(target=hammer, args=(n * 7,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(cache) == 50
