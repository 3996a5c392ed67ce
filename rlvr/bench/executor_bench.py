"""``rlvr bench executor``: what the executor's hard deadlines and isolation cost per item.

Measured, each as the median of several timed runs after a warm-up:

- inline: calling the trivial judgement in a Python loop (the floor);
- rlvr executor, one worker: per-item round trip, i.e. the overhead a judgement pays for its deadline;
- rlvr executor, W workers: items/s through the pool;
- the peer, ``concurrent.futures.ProcessPoolExecutor`` with W workers, one item per task
  (``chunksize=1``, like ours) and no deadlines: items/s, and our ratio to it;
- the time from a judgement that never returns to its ``None`` (deadline 0.5 s), and until the pool
  answers again;
- ``import rlvr.rewards`` in a fresh interpreter.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from rlvr.bench.base import (
    BenchReport,
    check_counts,
    headline,
    machine_description,
    median_seconds,
    stopwatch,
    today,
    worker_count,
)
from rlvr.executor import Executor, ExecutorConfig
from rlvr.executor.probes import identity, spin


@dataclass(frozen=True)
class ExecutorBenchConfig:
    """Sizes of the executor benchmark.

    Example:
        >>> ExecutorBenchConfig(items=0)
        Traceback (most recent call last):
        ...
        ValueError: --items must be an integer >= 1, got 0
    """

    items: int = 2000
    repeats: int = 5
    workers: int | None = None

    def __post_init__(self) -> None:
        check_counts(self, {"items": 1, "repeats": 1, "workers": 1}, optional=["workers"])


@dataclass
class ExecutorBenchReport(BenchReport):
    """The figures of one run of the executor benchmark (seconds unless named otherwise)."""

    items: int
    repeats: int
    workers: int
    machine: str
    date: str
    inline_us_per_item: float = 0.0
    one_worker_us_per_item: float = 0.0
    pool_items_per_s: float = 0.0
    peer_items_per_s: float = 0.0
    timeout_return_s: float = 0.0
    recovery_s: float = 0.0
    import_rewards_s: float = 0.0
    raw: dict[str, list[float]] = field(default_factory=dict)
    derived = ("overhead_us_per_item", "ratio_to_peer")

    @property
    def overhead_us_per_item(self) -> float:
        return self.one_worker_us_per_item - self.inline_us_per_item

    @property
    def ratio_to_peer(self) -> float:
        return self.pool_items_per_s / self.peer_items_per_s

    def markdown(self) -> str:
        """The report as a Markdown table."""
        rows = [
            ("inline call (floor)", f"{self.inline_us_per_item:.2f} µs/item"),
            ("rlvr executor, 1 worker: round trip", f"{self.one_worker_us_per_item:.1f} µs/item"),
            ("per-item overhead of the deadline/isolation", f"{self.overhead_us_per_item:.1f} µs/item"),
            (f"rlvr executor, {self.workers} workers", f"{self.pool_items_per_s:,.0f} items/s"),
            (
                f"peer: ProcessPoolExecutor, {self.workers} workers, no deadline",
                f"{self.peer_items_per_s:,.0f} items/s",
            ),
            ("ratio rlvr / peer", f"{self.ratio_to_peer:.2f}x"),
            ("never-returning judgement -> None (deadline 0.5 s)", f"{self.timeout_return_s:.3f} s"),
            ("then until the pool answers again", f"{self.recovery_s:.3f} s"),
            ("`import rlvr.rewards` (fresh interpreter)", f"{self.import_rewards_s * 1000:.0f} ms"),
        ]
        command = f"rlvr bench executor --items {self.items} --repeats {self.repeats}"
        head = headline(command, self.machine, self.date, f"medians of {self.repeats} runs")
        head += "\n\n| measure | value |\n|---|---|\n"
        return head + "\n".join(f"| {name} | {value} |" for name, value in rows)


def _import_seconds(module: str, repeats: int) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    samples = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(repeats)
    ]
    return statistics.median(samples)


def run_executor_bench(config: ExecutorBenchConfig) -> ExecutorBenchReport:
    """Run the executor benchmark.

    Example:
        >>> report = run_executor_bench(ExecutorBenchConfig(items=50, repeats=1, workers=1))
        >>> report.pool_items_per_s > 0 and report.timeout_return_s >= 0.5
        True
    """
    workers = worker_count(config.workers)
    n = config.items
    report = ExecutorBenchReport(
        items=n, repeats=config.repeats, workers=workers, machine=machine_description(), date=today()
    )
    # distinct arguments in every run: nothing may come from the cache
    batches = iter(range(10**9))

    def fresh_items() -> list[tuple[int]]:
        base = next(batches) * n
        return [(base + i,) for i in range(n)]

    inline_items = fresh_items()
    inline, report.raw["inline"] = median_seconds(
        lambda: [identity(*a) for a in inline_items], config.repeats
    )
    report.inline_us_per_item = inline / n * 1e6

    with Executor(ExecutorConfig(max_workers=1)) as one:
        one.map(identity, [(-1,)])  # start the worker
        single, report.raw["one_worker"] = median_seconds(
            lambda: one.map(identity, fresh_items(), use_cache=False), config.repeats
        )
    report.one_worker_us_per_item = single / n * 1e6

    with Executor(ExecutorConfig(max_workers=workers)) as pool:
        pool.map(identity, [(-i,) for i in range(1, workers * 4)])
        pooled, report.raw["pool"] = median_seconds(
            lambda: pool.map(identity, fresh_items(), use_cache=False), config.repeats
        )
        report.pool_items_per_s = n / pooled

        returns, recoveries = [], []
        for attempt in range(config.repeats):
            returns.append(stopwatch(partial(pool.map, spin, [(10**9 + attempt,)], timeout=0.5))[0])
            recoveries.append(stopwatch(partial(pool.map, identity, [(-(10**6) - attempt,)]))[0])
        report.timeout_return_s = statistics.median(returns)
        report.recovery_s = statistics.median(recoveries)
        report.raw["timeout_return"], report.raw["recovery"] = returns, recoveries

    with ProcessPoolExecutor(max_workers=workers) as peer:
        list(peer.map(identity, range(workers * 4)))
        peered, report.raw["peer"] = median_seconds(
            lambda: list(peer.map(identity, [a for (a,) in fresh_items()], chunksize=1)), config.repeats
        )
    report.peer_items_per_s = n / peered
    report.import_rewards_s = _import_seconds("rlvr.rewards", config.repeats)
    return report
