"""The ``rlvr`` command: its parser, built from one module per subcommand, and :func:`main`.

The subcommands' modules are light to import; each handler imports what its work needs when it runs.

Example:
    >>> build_parser().prog
    'rlvr'
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rlvr import __version__
from rlvr.cli.bench import add_bench_parser
from rlvr.cli.demo import add_demo_parser
from rlvr.cli.eval import add_eval_parser
from rlvr.cli.score import INTERRUPTED, add_score_parser
from rlvr.cli.serve import add_serve_parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``rlvr`` command.

    Example:
        >>> build_parser().parse_args(["score", "think_format", "--example"]).name
        'think_format'
    """
    parser = argparse.ArgumentParser(prog="rlvr", description="Rewards and verifiers for GRPO training.")
    parser.add_argument("--version", action="version", version=f"rlvr {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_score_parser(commands)
    add_eval_parser(commands)
    add_bench_parser(commands)
    add_serve_parser(commands)
    add_demo_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rlvr`` command line; returns the exit status (2: a wrong argument, 130: Ctrl-C).

    Example:
        >>> import os
        >>> main(["score", "think_format", "--example", "--output", os.devnull])
        0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and argparse's one-line errors end here
        return exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 2
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:  # outside a handler's own care (while starting up or shutting down)
        print(f"rlvr {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED
