"""``rlvr eval BENCHMARK --predictions P.jsonl``: the command-line front of :func:`rlvr.eval.evaluate`.

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
import os
import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from rlvr.cli.arguments import add_ray_flag, at_least, positive_seconds
from rlvr.cli.score import INTERRUPTED

if TYPE_CHECKING:
    from rlvr.eval.evaluation import EvalReport

BENCHMARK_NAMES = ("gsm8k", "math", "math500", "aime24", "aime25", "amc23")

_DESCRIPTION = (
    "Grade model predictions on a math benchmark with rlvr's math_accuracy reward (the verdicts of "
    "`rlvr score math`; GSM8K with the last-number fallback) and report accuracy, pass@k (unbiased "
    "estimator), maj@k (majority vote over rlvr-equivalent answers), per-subject and per-level "
    "breakdowns (MATH, MATH-500), answerless and unjudged samples, and the most-missed problems.\n\n"
    'Predictions: JSONL, one sample per line: {"id": PROBLEM_ID or "idx": 0-based position, '
    '"completion": TEXT or chat messages}; several lines per problem are several samples. Predictions '
    "naming no problem and problems without predictions are listed in the report.\n\n"
    "Every figure is over all the benchmark's problems: a problem without predictions counts as "
    "unsolved, and the report states the coverage (problems with predictions, samples per problem). "
    "pass@k and maj@k go up to the fewest samples of a problem with predictions.\n\n"
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
    parser.add_argument(
        "--output", "-o", help="write the JSON report here (k keys as strings, figures to 4 decimals)"
    )
    parser.add_argument("--markdown", "-m", help="write the Markdown report here (else it is printed)")
    parser.add_argument("--plot", help="write a PNG (pass@k/maj@k curve, per-level bars; needs matplotlib)")
    parser.add_argument(
        "--source", choices=("bundled", "hf"), default="bundled", help="benchmark data source"
    )
    parser.add_argument(
        "--workers", type=at_least(1), default=None, help="worker processes (default: usable CPUs)"
    )
    parser.add_argument(
        "--timeout", type=positive_seconds, default=5.0, help="per-item deadline in seconds (default: 5)"
    )
    parser.add_argument(
        "--fallback",
        choices=("none", "last_number"),
        default=None,
        help="answer extraction fallback (default: last_number for gsm8k, none otherwise)",
    )
    parser.add_argument(
        "--batch-size", type=at_least(1), default=1024, help="samples judged together (default: 1024)"
    )
    parser.add_argument(
        "--most-missed",
        type=at_least(0),
        default=10,
        help="most-missed problems listed in the report (default: 10)",
    )
    add_ray_flag(parser, "default: $RLVR_RAY_ADDRESS when set, else this machine")
    parser.set_defaults(handler=run_eval_command)
    return parser


#: The report files, by flag, in the order they are written.
_OUTPUT_FLAGS = ("--output", "--markdown", "--plot")


class _Mistake(Exception):
    """A mistake of the user's that ends the run with one line and an exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _outputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    return [(flag, value) for flag in _OUTPUT_FLAGS if (value := getattr(args, flag[2:])) is not None]


def _check_files(args: argparse.Namespace) -> None:
    """Refuse, before any grading, a report onto the predictions or onto another report, and a report
    in a folder that does not exist; warn of a missing matplotlib for ``--plot``."""
    from rlvr.cli.files import FileMistake, refuse_output_onto_input

    outputs = _outputs(args)
    for position, (flag, path) in enumerate(outputs):
        target = os.path.realpath(path)
        if os.path.exists(target) and not os.path.isfile(target) and not os.path.isdir(target):
            continue  # a device or a FIFO (/dev/null) is written as it is: nothing to overwrite
        try:
            refuse_output_onto_input(args.predictions, path)
        except FileMistake:
            raise _Mistake(f"{flag} {path} is the predictions file: write the report elsewhere", 2) from None
        for earlier_flag, earlier in outputs[:position]:
            try:
                refuse_output_onto_input(earlier, path)
            except FileMistake:
                raise _Mistake(f"{flag} {path} is also {earlier_flag}: give each report a file", 2) from None
        if os.path.isdir(target):
            raise _Mistake(f"{flag} {path} is a folder: name a file", 2)
        folder = os.path.dirname(target) or "."
        if not os.path.isdir(folder):
            raise _Mistake(f"cannot write {flag} {path}: no folder {folder}", 2)
    if args.plot is not None:
        _check_plot_format(args.plot)


def _check_plot_format(path: str) -> None:
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise _Mistake("the --plot figure needs matplotlib: pip install matplotlib", 1) from None
    formats = FigureCanvasBase.get_supported_filetypes()
    extension = os.path.splitext(path)[1][1:].lower()
    if extension and extension not in formats:
        known = ", ".join(f".{name}" for name in sorted(formats))
        raise _Mistake(f"--plot {path}: matplotlib cannot write .{extension} files (it writes {known})", 2)


def _open_predictions(path: str) -> IO[bytes] | IO[str]:
    if path == "-":  # bytes when it can: each line is decoded on its own, so bad UTF-8 names its line
        return getattr(sys.stdin, "buffer", sys.stdin)
    try:
        return open(path, "rb")  # closed by the caller
    except OSError as exc:
        raise _Mistake(f"cannot read --predictions {path}: {exc.strerror or exc}", 1) from None


def _write_text(text: str) -> Callable[[str], None]:
    def write(temporary: str) -> None:
        with open(temporary, "w", encoding="utf-8") as stream:
            stream.write(text)

    return write


def run_eval_command(args: argparse.Namespace) -> int:
    """Run ``rlvr eval``: write the reports asked for, print the Markdown report (unless written to a
    file) and a summary line that states the coverage.

    Returns the exit status: 0 on success; 2 for a wrong argument (a report onto the predictions file
    or onto another report, a missing folder); 1 for an unreadable predictions file or line (its
    number named), a report that cannot be written, or a failed grader; 130 for Ctrl-C. Each mistake
    is one line on stderr, never a traceback. Reports are written whole (a temporary file renamed
    into place), after grading, so a failed or interrupted run leaves any old report as it was.

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
        >>> args = parser.parse_args(["eval", "amc23", "-p", path, "-o", path])
        >>> run_eval_command(args)
        2
    """
    from rlvr.cli.files import FileMistake, write_whole

    written: list[str] = []
    try:
        report = _evaluate(args)
        outputs = dict(_outputs(args))
        if "--output" in outputs:
            write_whole(outputs["--output"], _write_text(report.to_json() + "\n"), flag="--output")
            written.append(f"--output {outputs['--output']}")
        if "--markdown" in outputs:
            write_whole(outputs["--markdown"], _write_text(report.markdown()), flag="--markdown")
            written.append(f"--markdown {outputs['--markdown']}")
        else:
            print(report.markdown())
        if "--plot" in outputs:
            write_whole(outputs["--plot"], report.plot, flag="--plot")
    except _Mistake as exc:
        print(f"rlvr eval: {exc}", file=sys.stderr)
        return exc.status
    except FileMistake as exc:  # a report that cannot be written
        print(f"rlvr eval: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        kept = f"; written: {', '.join(written)}" if written else ": no report written"
        print(f"rlvr eval: interrupted{kept}", file=sys.stderr)
        return INTERRUPTED
    print(_summary(report), file=sys.stderr)
    return 0


def _evaluate(args: argparse.Namespace) -> EvalReport:
    """Check the options and files, read and grade the predictions; mistakes raise :class:`_Mistake`."""
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
        raise _Mistake(str(exc), 2) from None
    _check_files(args)
    predictions = _open_predictions(args.predictions)
    try:
        bench = load_benchmark(args.benchmark, config.source)
        with tqdm(
            unit="sample",
            desc=f"eval {bench.name}",
            disable=not sys.stderr.isatty(),
            file=sys.stderr,
            leave=False,
        ) as bar:
            return evaluate(bench, predictions, config, progress=bar)
    except PredictionError as exc:
        raise _Mistake(f"{args.predictions}: {exc}", 1) from None
    except (OSError, ImportError, ExecutorError) as exc:
        raise _Mistake(str(exc), 1) from None
    finally:
        if args.predictions != "-":
            predictions.close()


def _summary(report: EvalReport) -> str:
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
