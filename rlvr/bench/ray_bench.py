"""``rlvr bench ray``: items/s of the local executor, of Ray with one node and with two, in the same run.

The benchmark starts a real Ray cluster on this machine (:class:`~rlvr.executor.ray_local.LocalCluster`:
one raylet with one CPU), measures, adds a second raylet, measures again, and stops every process it
started. Three workloads, every item distinct in every run (nothing comes from a cache):

- **trivial** (``identity``): the cost of the path itself — the worst case for Ray, the judgement is free;
- **symbolic math**: the judgements ``math_accuracy`` sends to the executor (its fast path settles the
  rest in the calling process): sympy comparisons of a few to tens of milliseconds each;
- **code**: programs judged by ``code_execution`` in the sandbox (two test cases each).

Rows: the local executor with one worker and with one per usable CPU (the baseline), Ray with one node
(one actor: one worker), Ray with two nodes (two actors). The local executor is measured in each phase and
its median over both is the baseline; Ray's ratios are to it. The per-item overhead of the Ray path is
Ray with one node against the local executor with one worker on trivial items, at several chunk sizes.
For the scaling model: what the driver spends per item (pickling a chunk) and per chunk (a Ray round
trip with an empty task), and the bytes per item a chunk carries there and back.

Example:
    >>> RayBenchConfig(repeats=0)
    Traceback (most recent call last):
    ...
    ValueError: --repeats must be an integer >= 1, got 0
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from rlvr.bench.base import (
    BenchReport,
    alternate,
    check_count_list,
    check_counts,
    headline,
    load_average,
    machine_description,
    median_seconds,
    stopwatch,
    today,
    wall_and_cpu,
    worker_count,
)
from rlvr.executor import Executor, ExecutorConfig
from rlvr.executor.probes import identity
from rlvr.executor.protocol import PICKLE_PROTOCOL
from rlvr.executor.ray_host import NodeResources

_PRELOAD = ("rlvr.verifiers.math.symbolic",)
_CLIENT_ENV = ("RAY_USAGE_STATS_ENABLED", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH")
_SYMBOLIC = (
    ("K\\cot x", "\\frac{K\\cos x}{\\sin x}"),
    ("K\\tan x", "\\frac{K\\sin x}{\\cos x}"),
    ("\\sin(2x)+K", "2\\sin x\\cos x+K"),
    ("\\cos(2x)+K", "1-2\\sin^2 x+K"),
    ("\\log(Kx)", "\\log K+\\log x"),
)


@dataclass(frozen=True)
class RayBenchConfig:
    """Sizes of the Ray benchmark.

    Attributes:
        items: trivial items per timed run.
        symbolic: symbolic math judgements per timed run.
        programs: code programs per timed run (0 skips the code rows).
        repeats: timed runs per row (medians are reported).
        chunk_sizes: chunk sizes of the per-item overhead rows.
        workers: worker processes of the local executor, the baseline (default: one per usable CPU).
    """

    items: int = 4000
    symbolic: int = 120
    programs: int = 48
    repeats: int = 5
    chunk_sizes: tuple[int, ...] = (16, 64, 128, 256)
    workers: int | None = None

    def __post_init__(self) -> None:
        minimums = {"items": 1, "symbolic": 1, "programs": 0, "repeats": 1, "workers": 1}
        check_counts(self, minimums, optional=["workers"])
        check_count_list(self, "chunk_sizes", 1)


@dataclass
class RayBenchReport(BenchReport):
    """The figures of one run (items/s unless named otherwise; ``raw`` holds every timed run's seconds)."""

    config: RayBenchConfig
    machine: str
    date: str
    workers: int
    throughput: dict[str, dict[str, float]] = field(default_factory=dict)  # workload -> row -> items/s
    overhead_us: dict[int, float] = field(default_factory=dict)  # chunk size -> µs per item
    model: dict[str, float] = field(default_factory=dict)
    raw: dict[str, list[float]] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average, start and end

    def ratio(self, workload: str, row: str) -> float:
        """A row's speed over the local executor's (one worker per usable CPU) on a workload: the median
        of the ratios of runs made one after the other (robust to the machine's load drifting).

        Example:
            >>> report = RayBenchReport(RayBenchConfig(), "x86_64", "2026-12-07", 2)
            >>> report.raw = {"trivial/local": [1.0, 2.0, 1.0], "trivial/ray-1": [2.0, 2.0, 2.0]}
            >>> report.ratio("trivial", "ray-1")
            0.5
        """
        local = self.raw[f"{workload}/local"]
        mine = self.raw[f"{workload}/{row}"]
        if row.startswith("ray-2"):  # the second phase: paired with the local runs of that phase
            local = local[len(local) - len(mine) :]
        return statistics.median(a / b for a, b in zip(local, mine, strict=False))

    def markdown(self) -> str:
        """The report as Markdown tables.

        Example:
            >>> report = RayBenchReport(RayBenchConfig(), "x86_64", "2026-12-07", 2)
            >>> report.raw = {"trivial/local": [1.0], "trivial/ray-1": [2.0]}
            >>> report.throughput = {"trivial": {"local": 4000.0, "ray-1": 2000.0}}
            >>> "| Ray, 1 node (1 actor) | 2,000.0 (0.50x) |" in report.markdown()
            True
        """
        cfg = self.config
        command = (
            f"rlvr bench ray --items {cfg.items} --symbolic {cfg.symbolic} --programs {cfg.programs} "
            f"--repeats {cfg.repeats}"
        )
        details = (
            f"medians of {cfg.repeats} runs; local executor with {self.workers} workers measured in the same "
            f"run, alternating with the other rows; load average {self.load[0]:.1f} at the start, "
            f"{self.load[1]:.1f} at the end (ratios: medians of paired runs)"
        )
        head = headline(command, self.machine, self.date, details) + "\n\n"
        rows = [
            ("local", f"local executor, {self.workers} workers (baseline)"),
            ("local-1", "local executor, 1 worker"),
            ("ray-1", "Ray, 1 node (1 actor)"),
            ("ray-2", "Ray, 2 nodes (2 actors)"),
        ]
        workloads = list(self.throughput)
        table = "| path | " + " | ".join(f"{w} items/s (ratio)" for w in workloads) + " |\n"
        table += "|---|" + "---|" * len(workloads) + "\n"
        for key, name in rows:
            cells = []
            for workload in workloads:
                figures = self.throughput[workload]
                if key in figures:
                    cells.append(f"{figures[key]:,.1f} ({self.ratio(workload, key):.2f}x)")
                else:
                    cells.append("—")
            table += f"| {name} | " + " | ".join(cells) + " |\n"
        overhead = "\n\n| chunk size | Ray overhead per item (Ray 1 node − local 1 worker, trivial items) |\n"
        overhead += "|---|---|\n" + "".join(
            f"| {size} | {micro:.1f} µs |\n" for size, micro in sorted(self.overhead_us.items())
        )
        model = "\n\n| scaling-model input | value |\n|---|---|\n" + "".join(
            f"| {name} | {value:,.2f} |\n" for name, value in self.model.items()
        )
        return head + table + overhead + model


def symbolic_jobs(count: int, offset: int = 0) -> list[tuple[Any, ...]]:
    """``count`` distinct math judgements that need sympy (numbered from ``offset``).

    Example:
        >>> from rlvr.verifiers.math.judge import fast_judgement
        >>> from rlvr.verifiers.verdict import NOT_HANDLED
        >>> fast_judgement(*symbolic_jobs(1)[0]) is NOT_HANDLED
        True
    """
    from rlvr.verifiers.math.compare import MathPolicy
    from rlvr.verifiers.math.judge import make_answer, read_gold

    policy, jobs = MathPolicy(), []
    for index in range(offset, offset + count):
        gold, answer = (t.replace("K", str(index + 2)) for t in _SYMBOLIC[index % len(_SYMBOLIC)])
        jobs.append((read_gold(gold), (make_answer(answer),), policy))
    return jobs


def programs(count: int, offset: int = 0) -> tuple[list[str], list[dict[str, Any]]]:
    """``count`` distinct programs (three in four correct) and their ``verification_info``.

    Example:
        >>> completions, infos = programs(4)
        >>> len(completions), infos[0]["entry_point"]
        (4, 'add')
    """
    info = {
        "entry_point": "add",
        "cases": [{"args": [1, 2], "expected": 3}, {"args": [5, -5], "expected": 0}],
        "time_limit": 2.0,
    }
    completions = []
    for index in range(offset, offset + count):
        wrong = 1 if index % 4 == 3 else 0
        completions.append(f"```python\ndef add(a, b):\n    return a + b + {wrong} + {index} - {index}\n```")
    return completions, [info] * count


def noop(resources: NodeResources, payload: object) -> int:
    """An empty chunk task: what a Ray round trip costs without any work.

    Example:
        >>> noop(NodeResources(), b"")
        0
    """
    return 0


class _Counter:
    """Fresh, distinct inputs for every timed run."""

    def __init__(self) -> None:
        self.next = 1

    def take(self, count: int) -> int:
        start, self.next = self.next, self.next + count
        return start


def run_ray_bench(config: RayBenchConfig) -> RayBenchReport:
    """Run the benchmark (starts and stops its own two-node Ray cluster; needs the ``[ray]`` extra).

    Example:
        >>> config = RayBenchConfig(items=200, symbolic=4, programs=0, repeats=1)
        >>> run_ray_bench(config).throughput["trivial"]["ray-2"] > 0  # doctest: +SKIP
        True
    """
    from rlvr.executor import ray_fleet
    from rlvr.executor.ray_cluster import import_ray
    from rlvr.executor.ray_local import LocalCluster

    import_ray()
    workers = worker_count(config.workers)
    report = RayBenchReport(config=config, machine=machine_description(), date=today(), workers=workers)
    fresh = _Counter()
    load_at_start = load_average()
    # this process joins the cluster with its token (Ray re-reads it at each connection), then restores
    saved = {key: os.environ.get(key) for key in _CLIENT_ENV}
    cluster = LocalCluster(nodes=1, cpus=1)
    try:
        cluster.start()
        os.environ.update(cluster.client_env)
        local = {"local": Executor(max_workers=workers, preload=_PRELOAD), "local-1": Executor(max_workers=1)}
        ray_config = ExecutorConfig(backend="ray", ray_address=cluster.address, preload=_PRELOAD)
        _phase(report, config, fresh, local, ray_config, nodes=1)
        cluster.add_node()
        _phase(report, config, fresh, local, ray_config, nodes=2)
        _model(report, cluster.address)
        for executor in local.values():
            executor.close()
    finally:
        try:
            ray_fleet.close_all()
        finally:
            cluster.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    report.load = (load_at_start, load_average())
    for workload, figures in report.throughput.items():
        for row in list(figures):
            figures[row] = _items_of(config, workload) / statistics.median(report.raw[f"{workload}/{row}"])
    return report


def _items_of(config: RayBenchConfig, workload: str) -> int:
    return {"trivial": config.items, "symbolic math": config.symbolic, "code": config.programs}[workload]


def _phase(
    report: RayBenchReport,
    config: RayBenchConfig,
    fresh: _Counter,
    local: dict[str, Executor],
    ray_config: ExecutorConfig,
    nodes: int,
) -> None:
    """One phase: the local executor and Ray (once it has actors on ``nodes`` nodes) on every workload,
    one run of each in turn per repeat (the machine's other load falls on all of them alike); with one
    node, also the per-item overhead rows."""
    row, overhead = f"ray-{nodes}", nodes == 1
    from rlvr.rewards import CodeExecutionReward
    from rlvr.verifiers.math.judge import full_judgement

    ray = Executor(ray_config)
    sized = {
        size: Executor(dataclasses.replace(ray_config, ray_chunk_size=size)) for size in config.chunk_sizes
    }
    code_local = CodeExecutionReward(workers=report.workers)
    code_ray = CodeExecutionReward(ray_address=ray_config.ray_address)

    # Each run is made of (inputs, judge): the inputs are built before the clock starts.
    Run = Callable[[], tuple[Any, Callable[[Any], object]]]

    def trivial(executor: Executor) -> Run:
        def run() -> tuple[Any, Callable[[Any], object]]:
            items = [(fresh.take(1),) for _ in range(config.items)]
            return items, lambda items: executor.map(identity, items, use_cache=False)

        return run

    def symbolic(executor: Executor) -> Run:
        def run() -> tuple[Any, Callable[[Any], object]]:
            jobs = symbolic_jobs(config.symbolic, fresh.take(config.symbolic))
            return jobs, lambda jobs: executor.map(full_judgement, jobs, use_cache=False)

        return run

    def code(reward: CodeExecutionReward) -> Run:
        def run() -> tuple[Any, Callable[[Any], object]]:
            rows = programs(config.programs, offset=fresh.take(config.programs))
            return rows, lambda rows: reward(completions=rows[0], verification_info=rows[1])

        return run

    runs: list[tuple[str, Run]] = [
        ("trivial/local", trivial(local["local"])),
        (f"trivial/{row}", trivial(ray)),
        ("symbolic math/local", symbolic(local["local"])),
        (f"symbolic math/{row}", symbolic(ray)),
    ]
    if config.programs:
        runs += [("code/local", code(code_local)), (f"code/{row}", code(code_ray))]
    if overhead:
        runs.append(("trivial/local-1", trivial(local["local-1"])))
        runs += [(f"overhead/{size}", trivial(executor)) for size, executor in sized.items()]
    try:
        _wait_for_nodes(ray, nodes)
        # warm: every worker started and imported, every actor up, every sandbox started
        ray.map(full_judgement, symbolic_jobs(8, offset=fresh.take(8)), use_cache=False)
        local["local"].map(full_judgement, symbolic_jobs(8, offset=fresh.take(8)), use_cache=False)
        local["local-1"].map(identity, [(-1,)], use_cache=False)
        if config.programs:
            for reward in (code_local, code_ray):
                completions, infos = programs(4, offset=fresh.take(4))
                reward(completions=completions, verification_info=infos)
        rounds = alternate({key: partial(_measured, run) for key, run in runs}, config.repeats)
        for key, samples in rounds.items():
            report.raw.setdefault(key, []).extend(wall for wall, _ in samples)
            report.raw.setdefault(f"driver cpu:{key}", []).extend(cpu for _, cpu in samples)
        for key, _ in runs:
            workload, name = key.split("/")
            if workload != "overhead":
                report.throughput.setdefault(workload, {})[name] = 0.0  # items/s, filled in at the end
        if overhead:
            base = statistics.median(report.raw["trivial/local-1"]) / config.items
            for size in config.chunk_sizes:
                per_item = statistics.median(report.raw[f"overhead/{size}"]) / config.items
                report.overhead_us[size] = (per_item - base) * 1e6
    finally:
        for executor in (ray, *sized.values()):
            executor.close()
        code_local.close()
        code_ray.close()


def _measured(run: Callable[[], tuple[Any, Callable[[Any], object]]]) -> tuple[float, float]:
    """(wall seconds, driver CPU seconds) of one run: its inputs are built before the clocks start."""
    inputs, judge = run()
    return wall_and_cpu(partial(judge, inputs))


def _wait_for_nodes(executor: Executor, nodes: int, timeout: float = 120.0) -> None:
    """Run small batches until the executor's actors serve ``nodes`` nodes (a node that joins is seen
    within the fleet's refresh)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = executor.ray_stats
        executor.map(identity, [(-i,) for i in range(1, 9)], use_cache=False)
        if len(dict((executor.ray_stats - before).per_node)) >= nodes:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the Ray actors did not serve {nodes} nodes within {timeout:g} s")


def _model(report: RayBenchReport, address: str) -> None:
    """The driver's costs per item and per chunk, and the bytes a chunk carries (the model's inputs)."""
    from rlvr.executor import ray_fleet
    from rlvr.executor.ray_backend import Chunk, node_config
    from rlvr.executor.ray_fleet import MAX_CHUNK, ChunkJob
    from rlvr.verifiers.math.judge import full_judgement
    from rlvr.verifiers.verdict import Verdict

    for key in ("trivial/local", "trivial/ray-2", "symbolic math/local", "symbolic math/ray-2"):
        per_run = statistics.median(report.raw[f"driver cpu:{key}"])
        items = report.config.items if key.startswith("trivial") else report.config.symbolic
        report.model[f"driver CPU per item, {key.replace('/', ', ')}, µs"] = per_run / items * 1e6
    node = node_config(ExecutorConfig(backend="ray", ray_address=address))
    chunk = MAX_CHUNK
    trivial = [(i,) for i in range(chunk)]
    jobs = symbolic_jobs(chunk, offset=10**6)

    def payload(fn: Callable[..., object], items: list[Any]) -> bytes:
        return Chunk(node, fn, items, 5.0).payload()

    for name, fn, items in (("trivial", identity, trivial), ("symbolic math", full_judgement, jobs)):
        pickling, _ = median_seconds(partial(payload, fn, items), 100)
        report.model[f"driver pickling, {name}, µs per item (chunk of {chunk})"] = pickling / chunk * 1e6
        report.model[f"payload bytes per item, {name}"] = len(payload(fn, items)) / chunk
    verdicts = [(Verdict(1.0), None)] * chunk
    report.model["result bytes per item, math verdict"] = len(pickle.dumps(verdicts, PICKLE_PROTOCOL)) / chunk
    fleet = ray_fleet.acquire(address, None, 60.0)
    try:
        fleet.run(noop, [ChunkJob(lambda: b"", 0, 60.0)])
        round_trip, _ = median_seconds(lambda: fleet.run(noop, [ChunkJob(lambda: b"", 0, 60.0)]), 50)
        report.model["Ray round trip of an empty chunk, ms"] = round_trip * 1e3
        many = [ChunkJob(lambda: b"", 0, 60.0) for _ in range(400)]
        report.model["empty chunks/s through the driver (2 actors, 2 in flight each)"] = (
            400 / stopwatch(lambda: fleet.run(noop, many))[0]
        )
    finally:
        ray_fleet.release(fleet)
