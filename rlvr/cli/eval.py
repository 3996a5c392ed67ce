"""``rlvr eval BENCHMARK --predictions P.jsonl``: the command-line front of :func:`rlvr.eval.evaluation`.

``rlvr.cli`` calls :func:`add_eval_parser` on its subcommands; the handler is stored as ``handler``.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="rlvr")
    >>> _ = add_eval_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["eval", "math500", "--predictions", "p.jsonl", "--plot", "r.png"])
    >>> args.benchmark, args.plot, args.handler is run_eval_command
    ('math500', 'r.png', True)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

BENCHMARK_NAMES = ("gsm8k", "math", "math500", "aime24", "aime25", "amc23")

_DESCRIPTION = (
    "Grade model predictions on a math benchmark with rlvr's math_accuracy reward (the verdicts of "
    "`rlvr score math`; GSM8K with the last-number fallback) and report accuracy, pass@k (unbiased "
    "estimator), maj@k (majority vote over rlvr-equivalent answers), per-subject and per-level "
    "breakdowns (MATH, MATH-500), answerless and unjudged samples, and the most-missed problems.\n\n"
    'Predictions: JSONL, one sample per line: {"id": PROBLEM_ID or "idx": 0-based position, '
    '"completion": TEXT or chat messages}; several lines per problem are several samples. Predictions '
    "naming no problem and problems without predictions are listed in the report.\n\n"
    "Benchmarks (bundled, offline; --source hf loads the Hugging Face copies): gsm8k (1,319), math "
    "(5,000), math500 (500), aime24 (30), aime25 (30), amc23 (40)."
)


def add_eval_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``eval`` subcommand to an argparse subparsers object; returns its parser.

    Example:
        >>> parser = argparse.ArgumentParser(prog="rlvr")
        >>> sub = add_eval_parser(parser.add_subparsers(dest="command"))
        >>> sub.prog
        'rlvr eval'
    """
    parser = subparsers.add_parser(
        "eval",
        help="evaluate predictions on a math benchmark (accuracy, pass@k, maj@k)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("benchmark", choices=BENCHMARK_NAMES, help="the benchmark")
    parser.add_argument("--predictions", "-p", required=True, help="predictions JSONL file ('-' for stdin)")
    parser.add_argument("--output", "-o", help="write the JSON report here")
    parser.add_argument("--markdown", "-m", help="write the Markdown report here")
    parser.add_argument("--plot", help="write a PNG (pass@k/maj@k curve, per-level bars; needs matplotlib)")
    parser.add_argument(
        "--source", choices=("bundled", "hf"), default="bundled", help="benchmark data source"
    )
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: usable CPUs)")
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="per-item deadline in seconds (default: 5)"
    )
    parser.add_argument(
        "--fallback",
        choices=("none", "last_number"),
        default=None,
        help="answer extraction fallback (default: last_number for gsm8k, none otherwise)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=1024, help="samples judged together (default: 1024)"
    )
    parser.add_argument(
        "--most-missed", type=int, default=10, help="most-missed problems listed in the report (default: 10)"
    )
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        default=None,
        help="judge on a Ray cluster: its head's HOST:PORT, 'auto', or 'local' to start one here "
        "(default: $RLVR_RAY_ADDRESS when set, else this machine)",
    )
    parser.set_defaults(handler=run_eval_command)
    return parser


def run_eval_command(args: argparse.Namespace) -> int:
    """Run ``rlvr eval``: print the Markdown report (unless written to a file) and a summary line.

    Returns the exit status: 0 on success, 1 for unreadable files or predictions, 2 for bad options.

    Example:
        >>> import json, os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "p.jsonl")
        >>> with open(path, "w") as stream:
        ...     _ = stream.write(json.dumps({"idx": 0, "completion": "so \\\\boxed{27}"}) + "\\n")
        >>> parser = argparse.ArgumentParser(prog="rlvr")
        >>> _ = add_eval_parser(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["eval", "amc23", "-p", path, "-m", os.path.join(folder, "r.md")])
        >>> run_eval_command(args)
        0
    """
    from tqdm import tqdm

    from rlvr.eval.datasets import load_benchmark
    from rlvr.eval.evaluation import EvalConfig, PredictionError, evaluate
    from rlvr.executor import ExecutorError
    from rlvr.executor.ray_cluster import probe

    try:
        config = EvalConfig(
            workers=args.workers,
            timeout=args.timeout,
            batch_size=args.batch_size,
            most_missed=args.most_missed,
            source=args.source,
            fallback=args.fallback,
            ray_address=args.ray,
        )
        if args.ray not in (None, "auto", "local"):
            probe(args.ray)  # a wrong address fails now, in one line
    except (ValueError, ExecutorError) as exc:
        print(f"rlvr eval: {exc}", file=sys.stderr)
        return 2
    try:
        bench = load_benchmark(args.benchmark, config.source)
        predictions = sys.stdin if args.predictions == "-" else args.predictions
        with tqdm(
            unit="sample",
            desc=f"eval {bench.name}",
            disable=not sys.stderr.isatty(),
            file=sys.stderr,
            leave=False,
        ) as bar:
            report = evaluate(bench, predictions, config, progress=bar)
    except PredictionError as exc:
        print(f"rlvr eval: {args.predictions}: {exc}", file=sys.stderr)
        return 1
    except (OSError, ImportError, ExecutorError) as exc:
        print(f"rlvr eval: {exc}", file=sys.stderr)
        return 1
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as stream:
                stream.write(report.to_json() + "\n")
        if args.markdown:
            with open(args.markdown, "w", encoding="utf-8") as stream:
                stream.write(report.markdown())
        else:
            print(report.markdown())
        if args.plot:
            report.plot(args.plot)
    except (OSError, ImportError) as exc:
        print(f"rlvr eval: {exc}", file=sys.stderr)
        return 1
    print(_summary(report), file=sys.stderr)
    return 0


def _summary(report: Any) -> str:
    """The line ``rlvr eval`` ends with: the coverage, then the figures as percentages to 0.1."""
    from rlvr.eval.render import percent

    top = list(report.pass_at_k)[-1]
    parts = [
        f"{report.benchmark}: {report.coverage.describe()}",
        f"{report.n_samples:,} sample{'' if report.n_samples == 1 else 's'}",
        f"accuracy {percent(report.accuracy)}%",
        f"pass@{top} {percent(report.pass_at_k[top])}%, maj@{top} {percent(report.maj_at_k[top])}%",
    ]
    if report.unknown_predictions:
        count = len(report.unknown_predictions)
        parts.append(f"{count:,} prediction{'s' if count > 1 else ''} naming no problem")
    return "; ".join(parts)


__all__ = ["BENCHMARK_NAMES", "add_eval_parser", "run_eval_command"]
