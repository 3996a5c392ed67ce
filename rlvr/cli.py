"""The ``rlvr`` command line: ``rlvr score`` and ``rlvr bench``.

Example:
    >>> build_parser().prog
    'rlvr'
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import IO

from rlvr.executor import ExecutorConfig
from rlvr.rewards.registry import RewardSpec


def _reward_catalogue() -> str:
    from rlvr.rewards.registry import REWARDS

    width = max(len(name) for name in REWARDS)
    rows = [
        f"  {name:<{width}}  {spec.summary}\n  {'':<{width}}  columns: {spec.columns}"
        for name, spec in sorted(REWARDS.items())
    ]
    return "rewards:\n" + "\n".join(rows)


def _example_path(spec: RewardSpec) -> str | None:
    if spec.example is None:
        return None
    resource = resources.files("rlvr") / "data" / spec.example
    return str(resource) if resource.is_file() else None


@contextlib.contextmanager
def _open_input(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin
    else:
        with open(path, encoding="utf-8") as stream:
            yield stream


@contextlib.contextmanager
def _open_output(path: str | None) -> Iterator[IO[str]]:
    if path is None or path == "-":
        yield sys.stdout
    else:
        with open(path, "w", encoding="utf-8") as stream:
            yield stream


def _cmd_score(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from rlvr.rewards.options import parse_assignments
    from rlvr.rewards.registry import get_reward_spec
    from rlvr.scoring import InvalidLineError, score_stream

    try:
        spec = get_reward_spec(args.name)
    except KeyError as exc:
        print(f"rlvr score: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.example == (args.input is not None):
        print("rlvr score: give exactly one of --input FILE or --example", file=sys.stderr)
        return 2
    try:
        executor = ExecutorConfig(max_workers=args.workers, timeout=args.timeout)
        reward = spec.create(parse_assignments(args.set), executor=executor)
    except (ValueError, TypeError) as exc:
        print(f"rlvr score: {exc}", file=sys.stderr)
        return 2
    path = _example_path(spec) if args.example else args.input
    if path is None:
        print(f"rlvr score: no bundled example for reward {args.name!r}", file=sys.stderr)
        return 2
    try:
        with (
            _open_input(path) as source,
            _open_output(args.output) as sink,
            tqdm(
                unit="item", desc=args.name, disable=not sys.stderr.isatty(), file=sys.stderr, leave=False
            ) as bar,
        ):
            summary = score_stream(
                reward,
                source,
                sink,
                batch_size=args.batch_size,
                skip_invalid=args.skip_invalid,
                progress=bar,
            )
    except InvalidLineError as exc:
        print(f"rlvr score: {path}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"rlvr score: {exc}", file=sys.stderr)
        return 1
    finally:
        reward.close()
    print(summary.describe(reward.__name__), file=sys.stderr)
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.target == "executor":
        from rlvr.benchmarks.executor_bench import ExecutorBenchConfig, run_executor_bench

        config = ExecutorBenchConfig(items=args.items, repeats=args.repeats, workers=args.workers)
        report = run_executor_bench(config)
        print(report.markdown())
        if args.json:
            with open(args.json, "w", encoding="utf-8") as stream:
                stream.write(report.to_json())
        return 0
    if args.target == "language":
        from rlvr.benchmarks.language_bench import LanguageBenchConfig, run_language_bench

        per_language = -(-args.items // 12)  # --items chains of thought in all, over the 12 languages
        config = LanguageBenchConfig(per_language, repeats=args.repeats, candidates=args.candidates)
        report = run_language_bench(config)
        print(report.markdown())
        if args.json:
            with open(args.json, "w", encoding="utf-8") as stream:
                stream.write(report.to_json())
        return 0
    print(f"rlvr bench: unknown target {args.target!r}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``rlvr`` command.

    Example:
        >>> build_parser().parse_args(["score", "think_format", "--example"]).name
        'think_format'
    """
    parser = argparse.ArgumentParser(prog="rlvr", description="Rewards and verifiers for GRPO training.")
    commands = parser.add_subparsers(dest="command", required=True)

    score = commands.add_parser(
        "score",
        help="apply a reward to every line of a JSONL file",
        description="Apply a registered reward to every line of a JSONL file. A line is a JSON object with "
        '"completion" (string or chat messages), optional "prompt", and the reward\'s columns. Each output '
        'line is the input plus "reward" (float or null) and "reward_info" (the reason).',
        epilog=_reward_catalogue(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument("name", help="the reward (see the list below)")
    score.add_argument("--input", "-i", help="input JSONL file ('-' for stdin)")
    score.add_argument("--example", action="store_true", help="score the reward's bundled example file")
    score.add_argument("--output", "-o", help="output JSONL file (default: stdout)")
    score.add_argument("--workers", type=int, default=None, help="worker processes (default: usable CPUs)")
    score.add_argument("--timeout", type=float, default=5.0, help="per-item deadline in seconds (default: 5)")
    score.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a reward option (repeatable)"
    )
    score.add_argument("--batch-size", type=int, default=256, help="lines judged together (default: 256)")
    score.add_argument(
        "--skip-invalid", action="store_true", help="give malformed lines a null reward instead of stopping"
    )
    score.set_defaults(handler=_cmd_score)

    bench = commands.add_parser("bench", help="speed benchmarks (results go to BENCHMARKS.md)")
    bench.add_argument("target", choices=["executor", "language"], help="what to measure")
    bench.add_argument("--items", type=int, default=2000, help="items per timed run")
    bench.add_argument("--repeats", type=int, default=5, help="timed runs (the median is reported)")
    bench.add_argument("--workers", type=int, default=None, help="worker processes (default: usable CPUs)")
    bench.add_argument("--json", help="also write the raw figures to this JSON file")
    bench.add_argument(
        "--candidates", action="store_true", help="language: also compare the installed language-ID libraries"
    )
    bench.set_defaults(handler=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rlvr`` command line; returns the exit status.

    Example:
        >>> import os
        >>> main(["score", "think_format", "--example", "--output", os.devnull])
        0
    """
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
