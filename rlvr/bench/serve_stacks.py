"""Which HTTP stack ``rlvr serve`` is built on, decided by measurement: aiohttp against FastAPI + uvicorn.

Both serve the same endpoint — ``POST /score`` reading ``{"items": [...]}``, judging the batch with
``think_format`` in a thread (as ``rlvr serve`` does) and answering ``{"rewards", "reasons"}`` — from their
own process on 127.0.0.1, driven by the same aiohttp client: C concurrent clients, each sending requests of
B items back to back. Reported per stack: items/s, p50 and p99 request latency, the server's resident
memory, and its import time. Needs both stacks installed (``pip install aiohttp fastapi uvicorn``)::

    python -m rlvr.bench.serve_stacks --clients 32 --requests 40 --repeats 3

Example:
    >>> StackBenchConfig(clients=0)
    Traceback (most recent call last):
    ...
    ValueError: --clients must be an integer >= 1, got 0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from rlvr.bench.base import check_counts

_AIOHTTP_APP = """
import asyncio, json, sys
from aiohttp import web
from rlvr.rewards import think_format

async def score(request):
    body = await request.json()
    completions = [item["completion"] for item in body["items"]]
    verdicts = await asyncio.to_thread(think_format.judge, None, completions)
    rewards, reasons = [v.score for v in verdicts], [v.reason for v in verdicts]
    return web.json_response({"rewards": rewards, "reasons": reasons})

app = web.Application(client_max_size=16 << 20)
app.router.add_post("/score", score)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""

_FASTAPI_APP = """
import asyncio, sys
import uvicorn
from fastapi import FastAPI, Request
from rlvr.rewards import think_format

app = FastAPI()

@app.post("/score")
async def score(request: Request):
    body = await request.json()
    completions = [item["completion"] for item in body["items"]]
    verdicts = await asyncio.to_thread(think_format.judge, None, completions)
    return {"rewards": [v.score for v in verdicts], "reasons": [v.reason for v in verdicts]}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error", access_log=False)
"""

STACKS = {"aiohttp": _AIOHTTP_APP, "fastapi+uvicorn": _FASTAPI_APP}


@dataclass(frozen=True)
class StackBenchConfig:
    """Sizes of the stack comparison."""

    clients: int = 32
    requests: int = 40
    items: int = 8
    repeats: int = 3

    def __post_init__(self) -> None:
        check_counts(self, {"clients": 1, "requests": 1, "items": 1, "repeats": 1})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start listening")


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as stream:
        for line in stream:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def _drive(port: int, config: StackBenchConfig) -> tuple[float, list[float]]:
    import aiohttp

    items = [{"completion": f"<think>step {i}</think> answer {i}"} for i in range(config.items)]
    payload = json.dumps({"items": items})
    latencies: list[float] = []
    url = f"http://127.0.0.1:{port}/score"
    connector = aiohttp.TCPConnector(limit=config.clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            for _ in range(config.requests):
                started = time.perf_counter()
                async with session.post(url, data=payload, headers={"Content-Type": "application/json"}) as r:
                    body = await r.json()
                    assert r.status == 200 and len(body["rewards"]) == config.items, body
                latencies.append(time.perf_counter() - started)

        async with session.post(url, data=payload, headers={"Content-Type": "application/json"}) as r:
            await r.read()  # warm-up
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(config.clients)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies


def measure(stack: str, config: StackBenchConfig) -> dict[str, float]:
    """Start the stack's server, drive it ``repeats`` times, and return the median figures.

    Example (``"fastapi+uvicorn"`` needs FastAPI and uvicorn, which rlvr does not depend on):
        >>> measure("aiohttp", StackBenchConfig(clients=2, requests=2, repeats=1))["items_per_s"] > 0
        True
    """
    port = _free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", STACKS[stack], str(port)], env=dict(os.environ))
    try:
        _wait_listening(port, proc)
        startup = time.perf_counter() - started
        runs = [asyncio.run(_drive(port, config)) for _ in range(config.repeats)]
        rss = _rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    total_items = config.clients * config.requests * config.items
    rates = [total_items / elapsed for elapsed, _ in runs]
    p50s = [statistics.quantiles(lat, n=100)[49] for _, lat in runs]
    p99s = [statistics.quantiles(lat, n=100)[98] for _, lat in runs]
    return {
        "items_per_s": statistics.median(rates),
        "p50_ms": 1000 * statistics.median(p50s),
        "p99_ms": 1000 * statistics.median(p99s),
        "rss_mb": rss,
        "startup_s": startup,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure both stacks and print a Markdown table (``python -m rlvr.bench.serve_stacks``).

    Example:
        >>> main(["--clients", "2", "--requests", "2", "--repeats", "1"])  # doctest: +SKIP
        0
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=40, help="requests per client")
    parser.add_argument("--items", type=int, default=8, help="items per request")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    config = StackBenchConfig(args.clients, args.requests, args.items, args.repeats)
    print(f"| stack | items/s | p50 ms | p99 ms | server RSS MB | start s |  ({config})")
    print("|---|---|---|---|---|---|")
    for stack in STACKS:
        r = measure(stack, config)
        print(
            f"| {stack} | {r['items_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
            f"{r['rss_mb']:.0f} | {r['startup_s']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
