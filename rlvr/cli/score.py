"""``rlvr score NAME --input IN.jsonl``: apply a registered reward to every line of a JSONL file.

Every mistake gets one line on stderr and an exit status — 2 for a wrong argument, 1 for a bad input
line, 130 for Ctrl-C — and never a traceback or a half-written output file (see :mod:`rlvr.cli.files`).

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="rlvr")
    >>> add_score_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["score", "math", "--input", "in.jsonl", "--set", "timeout=30"])
    >>> args.name, args.set, args.timeout
    ('math', ['timeout=30'], None)
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from typing import Any

from rlvr.cli.arguments import add_ray_flag, at_least, positive_seconds

#: The exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130
#: The exit status when the output pipe's reader has gone (128 + SIGPIPE).
BROKEN_PIPE = 141


def _reward_catalogue() -> str:
    from rlvr.rewards.registry import REWARDS

    width = max(len(name) for name in REWARDS)
    rows = [
        f"  {name:<{width}}  {spec.summary}\n  {'':<{width}}  columns: {spec.columns}"
        for name, spec in sorted(REWARDS.items())
    ]
    return "rewards:\n" + "\n".join(rows)


def add_score_parser(commands: Any) -> None:
    """Add ``score`` to the ``rlvr`` command's subcommands."""
    score = commands.add_parser(
        "score",
        help="apply a reward to every line of a JSONL file",
        description="Apply a registered reward to every line of a JSONL file. A line is a JSON object with "
        '"completion" (string or chat messages), optional "prompt", and the reward\'s columns. Each output '
        'line is the input plus "reward" (float or null) and "reward_info" (the reason). The output file '
        "is written whole at the end (a temporary file renamed into place); Ctrl-C keeps what was judged.",
        epilog=_reward_catalogue(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument("name", help="the reward (see the list below)")
    score.add_argument("--input", "-i", help="input JSONL file ('-' for stdin)")
    score.add_argument("--example", action="store_true", help="score the reward's bundled example file")
    score.add_argument("--output", "-o", help="output JSONL file (default: stdout); never the input")
    score.add_argument(
        "--workers", type=at_least(1), default=None, help="worker processes (default: usable CPUs)"
    )
    score.add_argument(
        "--timeout",
        type=positive_seconds,
        default=None,
        help="per-item deadline in seconds (default: 5; for code: the program time limit, default 10); "
        "--set timeout=... wins when both are given",
    )
    score.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a reward option (repeatable)"
    )
    score.add_argument(
        "--batch-size", type=at_least(1), default=256, help="lines judged together (default: 256)"
    )
    score.add_argument(
        "--skip-invalid",
        action="store_true",
        help="give malformed lines (bad JSON or UTF-8, a missing column) a null reward instead of stopping",
    )
    add_ray_flag(
        score, "default: $RLVR_RAY_ADDRESS when set, else this machine; --workers then caps the actors"
    )
    score.set_defaults(handler=run_score)


def _fail(message: object, status: int) -> int:
    print(f"rlvr score: {message}", file=sys.stderr)
    return status


def run_score(args: argparse.Namespace) -> int:
    """Run ``rlvr score`` with parsed arguments; returns the exit status."""
    from rlvr.cli.files import FileMistake, OutputFile, input_lines, refuse_output_onto_input
    from rlvr.executor import ExecutorError
    from rlvr.executor.ray_cluster import probe as probe_ray
    from rlvr.rewards.options import parse_assignments
    from rlvr.rewards.registry import build_reward, get_reward_spec
    from rlvr.rewards.scoring import InvalidLineError, ScoreSummary, score_stream

    try:
        spec = get_reward_spec(args.name)
    except KeyError as exc:
        return _fail(exc.args[0], 2)
    if args.example == (args.input is not None):
        return _fail("give exactly one of --input FILE or --example", 2)
    path = args.input
    if args.example:
        resource = resources.files("rlvr") / "data" / spec.example if spec.example else None
        if resource is None or not resource.is_file():
            return _fail(f"no bundled example for reward {args.name!r}", 2)
        path = str(resource)
    try:
        refuse_output_onto_input(path, args.output)
        reward = build_reward(  # validates every setting, --ray's form included; starts nothing
            args.name,
            parse_assignments(args.set),
            workers=args.workers,
            timeout=args.timeout,
            ray_address=args.ray,
        )
        reward.check_settings()
        if args.ray not in (None, "local", "auto"):
            probe_ray(args.ray)  # an address nobody answers at fails now, in one line
    except (FileMistake, ValueError, TypeError, ExecutorError) as exc:
        return _fail(exc, 2)
    summary = ScoreSummary()
    output = OutputFile(args.output)
    try:
        with input_lines(path) as source, output as sink, _progress_bar(reward.__name__) as bar:
            score_stream(
                reward,
                source,
                sink,  # type: ignore[arg-type]  # an OutputFile writes text like an IO[str]
                batch_size=args.batch_size,
                skip_invalid=args.skip_invalid,
                progress=bar,
                summary=summary,
            )
    except KeyboardInterrupt:
        return _fail(f"interrupted after {output.lines} lines, written to {output.where}", INTERRUPTED)
    except BrokenPipeError:  # stdout's reader left (``rlvr score ... | head``): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush cannot fail
        return BROKEN_PIPE
    except InvalidLineError as exc:
        return _fail(f"{path}: {exc}", 1)
    except (FileMistake, ValueError) as exc:
        return _fail(exc, 1 if isinstance(exc, FileMistake) else 2)
    except (OSError, ExecutorError) as exc:
        return _fail(exc, 1)
    finally:
        reward.close()
    print(summary.describe(reward.__name__), file=sys.stderr)
    return 0


def _progress_bar(name: str) -> Any:
    from tqdm import tqdm

    return tqdm(unit="item", desc=name, disable=not sys.stderr.isatty(), file=sys.stderr, leave=False)
