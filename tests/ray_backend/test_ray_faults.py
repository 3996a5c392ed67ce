"""Faults on a real two-node Ray cluster on this machine: a raylet killed, an actor frozen, a node joining.

One cluster for the module (see conftest.py); the tests run in order and leave it changed: the first
kills the second node's raylet (by its pid, as a machine failure), the last adds a node while work runs.
Every run must complete within its deadline with no verdict that differs from the local executor's
(``None`` with a reason is allowed where the cluster failed an item twice), and say what it re-dispatched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from typing import Any

import pytest

from rlvr.executor import Executor, ExecutorConfig, Outcome, ray_fleet
from rlvr.executor.probes import sleep
from rlvr.executor.ray_local import LocalCluster
from rlvr.verifiers.math.judge import full_judgement

from .support import math_jobs, require_ray

require_ray()
pytestmark = [pytest.mark.ray, pytest.mark.timeout(600)]
PRELOAD = ("rlvr.verifiers.math.symbolic",)
ITEMS = 20_000


def on_ray(cluster: LocalCluster, **settings: Any) -> ExecutorConfig:
    return ExecutorConfig(backend="ray", ray_address=cluster.address, **settings)


class Background:
    """``executor.map(...)`` in a thread, to break the cluster while it runs."""

    def __init__(self, executor: Executor, fn: Any, items: list[tuple[Any, ...]]) -> None:
        self.outcomes: list[Outcome] | None = None
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, args=(executor, fn, items), daemon=True)
        self.thread.start()

    def _run(self, executor: Executor, fn: Any, items: list[tuple[Any, ...]]) -> None:
        started = time.monotonic()
        try:
            self.outcomes = executor.map(fn, items, use_cache=False)
        except BaseException as exc:
            self.error = exc
        self.seconds = time.monotonic() - started

    def result(self, timeout: float) -> list[Outcome]:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the run did not end within {timeout} s"
        assert self.error is None, repr(self.error)
        assert self.outcomes is not None
        return self.outcomes


def actor_pids(cluster: LocalCluster) -> list[int]:
    """The pids of the actors this process uses now (one per CPU), as their fleet knows them."""
    fleet = ray_fleet.acquire(cluster.address, None, 60.0)
    try:
        pids = [host.pid for host in fleet.hosts()]
    finally:
        ray_fleet.release(fleet)
    assert pids, "no rlvr actor is ready"
    return pids


def same_or_null(expected: list[Outcome], got: list[Outcome]) -> int:
    """Assert that no verdict differs (a ``None`` needs a reason); returns how many are ``None``."""
    assert len(got) == len(expected)
    nulls = 0
    for index, (want, have) in enumerate(zip(expected, got, strict=True)):
        if have.ok:
            assert have.value == want.value, (index, want, have)
        else:
            assert have.value is None and have.reason, (index, have)
            nulls += 1
    return nulls


def test_a_raylet_killed_mid_run_loses_no_verdict(cluster: LocalCluster) -> None:
    # one item in 40 needs sympy: the run lasts several seconds after the kill, longer than an actor
    # whose raylet died takes to notice and exit (3-5 s), so chunks are in flight when it goes
    items = math_jobs(ITEMS, symbolic_every=40)
    with Executor(ExecutorConfig(max_workers=2, preload=PRELOAD)) as local:
        expected = local.map(full_judgement, items)
    executor = Executor(on_ray(cluster, preload=PRELOAD))
    try:
        executor.map(full_judgement, items[:8], use_cache=False)  # both nodes' actors up and warm
        assert len(executor.ray_stats.per_node) == 2
        run = Background(executor, full_judgement, items)
        time.sleep(1.0)
        assert run.thread.is_alive(), "the run ended before the raylet could be killed"
        cluster.kill_raylet(1)
        outcomes = run.result(timeout=240)
        stats = executor.ray_stats
    finally:
        executor.close()
    nulls = same_or_null(expected, outcomes)
    assert stats.redispatched_items > 0 and stats.actors_lost >= 1  # reported, not hidden
    assert nulls == stats.null_items and nulls <= stats.redispatched_items
    assert stats.items == 8 + len(set(items)) - nulls  # identical items are judged once per batch
    print(f"{ITEMS} items in {run.seconds:.1f} s, {stats.redispatched_items} re-dispatched, {nulls} null")


def test_a_frozen_actor_is_given_up_after_its_heartbeat(cluster: LocalCluster) -> None:
    items = [(0.002 + 1e-9 * i,) for i in range(1500)]  # distinct sleeps: about 3 s of work
    executor = Executor(on_ray(cluster, timeout=5.0))
    frozen: list[int] = []
    try:
        executor.map(sleep, [(0.0,)] * 2, use_cache=False)
        hosts = actor_pids(cluster)
        run = Background(executor, sleep, items)
        time.sleep(0.3)
        os.kill(hosts[0], signal.SIGSTOP)  # alive for the kernel, deaf for Ray: as a frozen machine
        frozen.append(hosts[0])
        outcomes = run.result(timeout=120)
        stats = executor.ray_stats
    finally:
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        executor.close()
    assert [o.value for o in outcomes if o.ok] == [a for (a,), o in zip(items, outcomes, strict=True) if o.ok]
    assert all(o.reason for o in outcomes if not o.ok)
    assert stats.redispatched_items > 0 and stats.actors_lost >= 1  # given up on, not waited for
    assert run.seconds < 60


def test_a_node_that_joins_mid_run_takes_work(cluster: LocalCluster) -> None:
    executor = Executor(on_ray(cluster, timeout=5.0))
    try:
        executor.map(sleep, [(0.0,)], use_cache=False)
        before = set(dict(executor.ray_stats.per_node))
        items = [(0.004 + 1e-9 * i,) for i in range(6000)]  # about 25 s on the one node left
        run = Background(executor, sleep, items)
        cluster.add_node()
        outcomes = run.result(timeout=300)
        stats = executor.ray_stats
    finally:
        executor.close()
    assert [o.value for o in outcomes] == [a for (a,) in items]
    joined = set(dict(stats.per_node)) - before
    assert joined, f"the new node judged nothing: {stats.per_node}"
    assert sum(count for label, count in stats.per_node if label in joined) > 0


def test_an_actor_killed_mid_run_loses_no_program(cluster: LocalCluster) -> None:
    from rlvr.rewards import CodeExecutionReward

    info = {"entry_point": "add", "cases": [{"args": [1, 2], "expected": 3}, {"args": [2, 2], "expected": 4}]}
    body = (
        "```python\nimport time\ndef add(a, b):\n    time.sleep(0.05)\n    return a + b + {wrong} * {k}\n```"
    )
    completions = [body.format(wrong=k % 3 == 0, k=k) for k in range(60)]
    infos = [info] * len(completions)
    local = CodeExecutionReward(program_time_limit=3.0)
    remote = CodeExecutionReward(program_time_limit=3.0, ray_address=cluster.address)
    try:
        expected = local.judge(None, completions, verification_info=infos)
        remote.judge(None, ["def add(a, b): return a + b"] * 2, verification_info=infos[:2])  # warm
        holder: dict[str, Any] = {}
        thread = threading.Thread(
            target=lambda: holder.update(got=remote.judge(None, completions, verification_info=infos)),
            daemon=True,
        )
        thread.start()
        time.sleep(1.0)
        hosts = actor_pids(cluster)
        assert thread.is_alive()
        os.kill(hosts[-1], signal.SIGKILL)
        thread.join(240)
        assert not thread.is_alive()
        stats = remote.ray_stats()
    finally:
        local.close()
        remote.close()
    got = holder["got"]
    for want, have in zip(expected, got, strict=True):
        assert have.score == want.score or (have.score is None and have.reason), (want, have)
    assert sum(v.score == 1.0 for v in got) >= 30
    assert stats is not None and stats.redispatched_items > 0 and stats.actors_lost >= 1
