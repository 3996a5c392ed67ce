"""``rlvr bench serve``: the reward service under concurrent clients, against calling the reward in-process.

The workload: MATH-500's gold answers (bundled), each as a short completion ending in a boxed answer —
the gold itself for two in three, a wrong value for the rest — sent as requests of ``items`` items with
their ``answer`` column. Measured in one run, each the median of ``repeats`` timed runs after a warm-up:

- **rlvr serve**: a real ``rlvr serve --reward math`` process on 127.0.0.1 (an ephemeral port), driven by
  ``clients`` concurrent aiohttp clients, each sending ``requests`` ``POST /score`` back to back: items/s
  and the p50 / p99 latency of a request;
- **in-process, concurrent**: the same requests as ``clients`` threads calling the same reward
  (``MathAccuracyReward``, same worker count) directly — the peer: what HTTP costs on top;
- **in-process, one batch**: every item in one call — the floor.

Every served answer is checked against the in-process one (a mismatch fails the benchmark).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from rlvr.bench.base import (
    BenchReport,
    alternate,
    check_counts,
    headline,
    machine_description,
    timed,
    today,
    worker_count,
)

_WRONG = ("7", "\\frac{2}{3}", "x+1", "\\sqrt{5}", "-4")


@dataclass(frozen=True)
class ServeBenchConfig:
    """Sizes of the service benchmark.

    Example:
        >>> ServeBenchConfig(clients=0)
        Traceback (most recent call last):
        ...
        ValueError: --clients must be an integer >= 1, got 0
    """

    clients: int = 32
    requests: int = 20
    items: int = 8
    repeats: int = 5
    workers: int | None = None

    def __post_init__(self) -> None:
        minimums = {"clients": 1, "requests": 1, "items": 1, "repeats": 1, "workers": 1}
        check_counts(self, minimums, optional=["workers"])


@dataclass
class Figures:
    """Throughput and request latency of one way of scoring (medians over the timed runs)."""

    items_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0


@dataclass
class ServeBenchReport(BenchReport):
    """The figures of one run of ``rlvr bench serve``."""

    config: ServeBenchConfig
    machine: str
    date: str
    served: Figures = field(default_factory=Figures)
    in_process: Figures = field(default_factory=Figures)
    one_batch_items_per_s: float = 0.0
    raw: dict[str, list[float]] = field(default_factory=dict)
    derived = ("ratio",)

    @property
    def ratio(self) -> float:
        """Served items/s over in-process (concurrent) items/s."""
        return self.served.items_per_s / self.in_process.items_per_s if self.in_process.items_per_s else 0.0

    def markdown(self) -> str:
        """The report as a Markdown table."""
        c = self.config
        command = (
            f"rlvr bench serve --clients {c.clients} --requests {c.requests} --items {c.items} "
            f"--repeats {c.repeats}"
        )
        details = (
            f"reward `math` on MATH-500 answers, {c.clients} concurrent clients x {c.requests} requests x "
            f"{c.items} items; medians of {c.repeats} runs"
        )
        head = headline(command, self.machine, self.date, details)
        head += "\n\n| how | items/s | p50 ms | p99 ms |\n|---|---|---|---|\n"
        rows = [
            ("rlvr serve (HTTP, 127.0.0.1)", self.served),
            (f"in-process, {c.clients} threads (peer)", self.in_process),
        ]
        body = "\n".join(f"| {n} | {f.items_per_s:,.0f} | {f.p50_ms:.1f} | {f.p99_ms:.1f} |" for n, f in rows)
        body += f"\n| in-process, one batch (floor) | {self.one_batch_items_per_s:,.0f} | | |"
        return head + body + f"\n\nratio served / in-process: {self.ratio:.2f}x"


def workload(count: int) -> list[dict[str, Any]]:
    """``count`` /score items from MATH-500's answers (two in three correct).

    Example:
        >>> items = workload(3)
        >>> [item["completion"].endswith("}$.") for item in items], sorted(items[0])
        ([True, True, True], ['answer', 'completion'])
    """
    path = resources.files("rlvr.bench") / "data" / "math500_answers.jsonl"
    golds = [json.loads(line)["answer"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    items = []
    for index in range(count):
        gold = golds[index % len(golds)]
        answer = gold if index % 3 else _WRONG[index % len(_WRONG)]
        completion = f"<think>Working through problem {index}.</think> The answer is $\\boxed{{{answer}}}$."
        items.append({"completion": completion, "answer": gold})
    return items


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


class _Server:
    """A real ``rlvr serve`` process on an ephemeral port of 127.0.0.1."""

    def __init__(self, workers: int) -> None:
        command = [sys.executable, "-m", "rlvr.cli", "serve", "--reward", "math", "--port", "0"]
        command += ["--workers", str(workers), "--max-queue", str(1 << 20)]
        self.proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not found:
            self.proc.kill()
            raise RuntimeError(f"rlvr serve did not start: {line.strip() or self.proc.wait()}")
        self.url = f"http://127.0.0.1:{found.group(1)}"
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()  # keep the pipe drained

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


async def _drive(
    url: str, requests: list[list[dict[str, Any]]], clients: int
) -> tuple[float, list[float], list[Any]]:
    import aiohttp

    latencies: list[float] = []
    answers: list[Any] = [None] * len(requests)
    bodies = [json.dumps({"items": items}) for items in requests]
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(first: int) -> None:
            for index in range(first, len(bodies), clients):
                started = time.perf_counter()
                async with session.post(
                    f"{url}/score", data=bodies[index], headers={"Content-Type": "application/json"}
                ) as r:
                    body = await r.json()
                    if r.status != 200:
                        raise RuntimeError(f"rlvr serve answered {r.status}: {body}")
                latencies.append(time.perf_counter() - started)
                answers[index] = body["rewards"]

        started = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        return time.perf_counter() - started, latencies, answers


def _in_process(
    reward: Any, requests: list[list[dict[str, Any]]], clients: int
) -> tuple[float, list[float], list[Any]]:
    latencies: list[float] = []
    answers: list[Any] = [None] * len(requests)

    def call(index: int) -> None:
        items = requests[index]
        started = time.perf_counter()
        verdicts = reward.judge(None, [i["completion"] for i in items], answer=[i["answer"] for i in items])
        latencies.append(time.perf_counter() - started)
        answers[index] = [v.score for v in verdicts]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(call, range(len(requests))))
    return time.perf_counter() - started, latencies, answers


def _summarise(runs: list[tuple[float, list[float], list[Any]]], total: int) -> Figures:
    return Figures(
        items_per_s=statistics.median(total / elapsed for elapsed, _, _ in runs),
        p50_ms=1000 * statistics.median(_percentile(lat, 50) for _, lat, _ in runs),
        p99_ms=1000 * statistics.median(_percentile(lat, 99) for _, lat, _ in runs),
    )


def run_serve_bench(
    config: ServeBenchConfig, progress: Callable[[str], None] | None = None
) -> ServeBenchReport:
    """Run the service benchmark (see the module docstring).

    Example:
        >>> report = run_serve_bench(ServeBenchConfig(clients=2, requests=2, items=2, repeats=1, workers=1))
        >>> report.served.items_per_s > 0 and report.in_process.items_per_s > 0
        True
    """
    from rlvr.executor import ExecutorConfig
    from rlvr.rewards.math_reward import MathAccuracyReward

    workers = worker_count(config.workers)
    report = ServeBenchReport(config=config, machine=machine_description(), date=today())
    count = config.clients * config.requests
    items = workload(count * config.items)
    requests = [items[i * config.items : (i + 1) * config.items] for i in range(count)]
    total = len(items)
    say = progress or (lambda _: None)

    reward = MathAccuracyReward(executor=ExecutorConfig(max_workers=workers))
    server = _Server(workers)
    progress_lines = {"served": "served", "in_process": "in-process"}

    def before(attempt: int, side: str) -> None:
        if side in progress_lines:
            say(f"run {attempt + 1}/{config.repeats}: {progress_lines[side]}")

    try:
        asyncio.run(_drive(server.url, requests[: config.clients], config.clients))  # warm-up
        _in_process(reward, requests[: config.clients], config.clients)
        sides: dict[str, Callable[[], Any]] = {
            "served": lambda: asyncio.run(_drive(server.url, requests, config.clients)),
            "in_process": lambda: _in_process(reward, requests, config.clients),
            "one_batch": timed(
                lambda: reward.judge(
                    None, [i["completion"] for i in items], answer=[i["answer"] for i in items]
                )
            ),
        }
        rounds = alternate(sides, config.repeats, before=before)  # both see the same machine load
        served, local, batch = rounds["served"], rounds["in_process"], rounds["one_batch"]
    finally:
        server.stop()
        reward.close()
    for (_, _, got), (_, _, expected) in zip(served, local, strict=True):
        if got != expected:
            raise RuntimeError("rlvr serve and the in-process reward disagree on the same items")
    report.served = _summarise(served, total)
    report.in_process = _summarise(local, total)
    report.one_batch_items_per_s = statistics.median(total / s for s in batch)
    report.raw = {
        "served_s": [s for s, _, _ in served],
        "in_process_s": [s for s, _, _ in local],
        "one_batch_s": batch,
    }
    return report
