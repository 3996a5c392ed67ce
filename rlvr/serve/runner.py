"""Running ``rlvr serve``: listen, answer until SIGTERM or SIGINT, drain, stop every worker.

On SIGTERM (or SIGINT) the server stops listening, answers 503 to requests that still arrive on open
connections, lets the requests in flight finish (up to ``drain_timeout`` seconds), then stops the judging
threads and every worker process of the reward (executor workers, the code sandbox) and returns.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from typing import IO

from aiohttp import web

from rlvr.serve.app import ServerState, build_app
from rlvr.serve.config import ServeConfig


async def _wait_idle(state: ServerState, limit: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while (state.inflight or state.queued_items) and loop.time() < deadline:
        await asyncio.sleep(0.02)


async def serve(
    config: ServeConfig,
    *,
    state: ServerState | None = None,
    on_ready: Callable[[str, int], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until ``stop`` is set, or SIGTERM/SIGINT arrives; then drain and stop every worker.

    ``on_ready(host, port)`` is called once the socket listens (with the port chosen for ``port=0``).

    Example:
        >>> async def main() -> bool:
        ...     stop, ports = asyncio.Event(), []
        ...     def ready(host: str, port: int) -> None:
        ...         ports.append(port)
        ...         stop.set()
        ...     await serve(ServeConfig(reward="think_format", port=0), on_ready=ready, stop=stop)
        ...     return ports[0] > 0
        >>> asyncio.run(main())
        True
    """
    state = state or ServerState(config)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    runner = web.AppRunner(
        build_app(state), handle_signals=False, access_log=None, shutdown_timeout=config.drain_timeout
    )
    installed: list[signal.Signals] = []
    try:
        await runner.setup()
        site = web.TCPSite(runner, config.host, config.port, reuse_address=True)
        await site.start()
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, stop.set)
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                pass
        host, port = runner.addresses[0][:2]
        if on_ready is not None:
            on_ready(str(host), int(port))
        await stop.wait()
        state.draining = True
        await site.stop()  # no new connections
        await _wait_idle(state, config.drain_timeout)  # requests in flight finish
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        await runner.cleanup()
        state.close()


def run(
    config: ServeConfig, stream: IO[str] | None = None, on_ready: Callable[[str, int], None] | None = None
) -> int:
    """``rlvr serve``: serve in this thread until SIGTERM or SIGINT; returns the exit status.

    Example:
        >>> import io, os, signal
        >>> out, config = io.StringIO(), ServeConfig(reward="think_format", port=0)
        >>> run(config, out, lambda host, port: os.kill(os.getpid(), signal.SIGTERM))
        0
        >>> out.getvalue().splitlines()[-1]
        'rlvr serve: stopped'
    """
    out = stream or sys.stderr

    def ready(host: str, port: int) -> None:
        shown = f"[{host}]" if ":" in host else host
        print(f"rlvr serve: {config.reward} on http://{shown}:{port} (pid {_pid()})", file=out, flush=True)
        if config.token is None and not _loopback(config.host):
            print(
                f"rlvr serve: warning: listening on {config.host} without a token: anyone who reaches this "
                "port can use it (--token or $RLVR_SERVE_TOKEN)",
                file=out,
                flush=True,
            )
        if on_ready is not None:
            on_ready(host, port)

    asyncio.run(serve(config, on_ready=ready))
    print("rlvr serve: stopped", file=out, flush=True)
    return 0


def _loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost).

    Example:
        >>> _loopback("127.0.0.1"), _loopback("::1"), _loopback("0.0.0.0")
        (True, True, False)
    """
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _pid() -> int:
    import os

    return os.getpid()
