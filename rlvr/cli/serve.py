"""The ``rlvr serve`` command line (``rlvr serve --reward NAME ...``).

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="rlvr")
    >>> add_serve_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["serve", "--reward", "math", "--set", "fallback=last_number"])
    >>> config_from_args(args).options, config_from_args(args).host
    ({'fallback': 'last_number'}, '127.0.0.1')
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from rlvr.cli.arguments import add_ray_flag, at_least, positive_number, positive_seconds
from rlvr.serve.config import ServeConfig

TOKEN_VARIABLE = "RLVR_SERVE_TOKEN"


def config_from_args(args: argparse.Namespace) -> ServeConfig:
    """The server's config from parsed arguments (the token also from ``$RLVR_SERVE_TOKEN``).

    Raises:
        ValueError: an option is out of range or unknown (the message names the flag).
    """
    from rlvr.rewards.options import parse_assignments

    return ServeConfig(
        reward=args.reward,
        options=parse_assignments(args.set),
        host=args.host,
        port=args.port,
        token=args.token or os.environ.get(TOKEN_VARIABLE) or None,
        workers=args.workers,
        timeout=args.timeout,
        ray_address=args.ray,
        max_request_bytes=int(args.max_request_mb * (1 << 20)),
        max_items=args.max_items,
        max_queued_items=args.max_queue,
        concurrency=args.concurrency,
        request_timeout=args.request_timeout,
        drain_timeout=args.drain_timeout,
        label_column=args.label_column,
    )


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except (ValueError, KeyError, TypeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"rlvr serve: {message}", file=sys.stderr)
        return 2
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        hint = "pip install aiohttp (or '.[serve]' in rlvr's checkout)"
        print(f"rlvr serve: needs aiohttp: {hint}", file=sys.stderr)
        return 2
    from rlvr.serve.runner import run

    try:
        return run(config)
    except OSError as exc:  # the port is taken, the address is not ours...
        print(f"rlvr serve: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1


def add_serve_parser(commands: Any) -> None:
    """Add ``serve`` to the ``rlvr`` command's subcommands."""
    parser = commands.add_parser(
        "serve",
        help="serve a reward over HTTP (/score, OpenRLHF's /get_reward, /health, /metrics)",
        description="Serve a registered reward over HTTP on 127.0.0.1 (unless --host says otherwise): "
        "POST /score, POST /get_reward (OpenRLHF's remote reward format), GET /health, GET /metrics "
        "(Prometheus). SIGTERM finishes the requests in flight and stops every worker. Needs aiohttp.",
    )
    parser.add_argument("--reward", required=True, help="the registered reward (see rlvr score --help)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a reward option")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=at_least(0), default=8000, help="TCP port; 0 picks a free one (default: 8000)"
    )
    parser.add_argument(
        "--token",
        default=None,
        help=f"require this token (Bearer, or basic-auth password); or ${TOKEN_VARIABLE}",
    )
    parser.add_argument(
        "--workers", type=at_least(1), default=None, help="worker processes (default: usable CPUs)"
    )
    parser.add_argument(
        "--timeout", type=positive_seconds, default=None, help="seconds per judgement (code: per program)"
    )
    add_ray_flag(parser)
    parser.add_argument(
        "--max-request-mb", type=positive_number, default=16.0, help="largest request body (default: 16)"
    )
    parser.add_argument(
        "--max-items", type=at_least(1), default=4096, help="most items per request (default: 4096)"
    )
    parser.add_argument(
        "--max-queue",
        type=at_least(1),
        default=16384,
        help="most items admitted at once before 503 (default: 16384)",
    )
    parser.add_argument(
        "--concurrency", type=at_least(1), default=4, help="batches judged at once (default: 4)"
    )
    parser.add_argument(
        "--request-timeout",
        type=positive_seconds,
        default=600.0,
        help="seconds before a request gets 504 (default: 600)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=positive_seconds,
        default=60.0,
        help="seconds SIGTERM waits for requests (default: 60)",
    )
    parser.add_argument("--label-column", default=None, help="the column /get_reward's labels fill")
    parser.set_defaults(handler=_cmd_serve)
