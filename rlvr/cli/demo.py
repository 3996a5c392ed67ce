"""``rlvr demo``: DeepSeek-R1's pipeline in miniature on a CPU — a cold start, then GRPO teaches a rule.

The engine is :mod:`rlvr.integrations.demo` (imported when the demo runs: it needs torch and TRL);
this module holds the command line: its options, their checks, and the exit status.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="rlvr")
    >>> add_demo_parser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["demo", "--steps", "5"]).steps
    5
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from rlvr.cli.arguments import at_least, positive_number

if TYPE_CHECKING:
    from rlvr.integrations.demo import DemoConfig

#: The defaults of the options, as ``DemoConfig`` has them (checked by the tests; kept here so that
#: ``rlvr --help`` imports no torch).
DEFAULT_STEPS = 800
DEFAULT_COLD_START_EXAMPLES = 10
DEFAULT_LEARNING_RATE = 1e-3
DEFAULT_BETA = 0.04
DEFAULT_OUTPUT_DIR = "rlvr-demo"


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def add_demo_parser(commands: Any) -> None:
    """Add ``demo`` to the ``rlvr`` command's subcommands."""
    demo = commands.add_parser(
        "demo",
        help="R1's pipeline on a CPU in minutes: a cold start, then GRPO teaches a tiny model a rule",
        description="A tiny Qwen2 (random init, character tokenizer, no downloads) learns which digit "
        "appears twice in a string of digits: a cold start (SFT on 10 formatted examples), then rlvr's "
        "GRPOTrainer with think_format + math_accuracy. Prints the held-back accuracy (greedy) of the "
        "untrained model, after the cold start and after GRPO; writes the trained model (model/), the "
        "cold-start model (cold-start/), training_curve.png and results.json to --output-dir; ends with "
        "'reward before: X after: Y' and 'accuracy before: X after: Y'. Needs the trl extra.",
    )
    demo.add_argument(
        "--steps", type=at_least(1), default=DEFAULT_STEPS, help=f"GRPO steps (default {DEFAULT_STEPS})"
    )
    demo.add_argument(
        "--cold-start-examples",
        type=at_least(1),
        default=DEFAULT_COLD_START_EXAMPLES,
        help=f"formatted examples of the cold start (default {DEFAULT_COLD_START_EXAMPLES}: one per answer)",
    )
    demo.add_argument(
        "--output-dir",
        default=DEFAULT_OUTPUT_DIR,
        help=f"where the models, training_curve.png and results.json go (default {DEFAULT_OUTPUT_DIR})",
    )
    demo.add_argument("--seed", type=at_least(0), default=0, help="random seed (default 0)")
    demo.add_argument(
        "--learning-rate",
        type=positive_number,
        default=DEFAULT_LEARNING_RATE,
        help=f"GRPO's learning rate (default {DEFAULT_LEARNING_RATE})",
    )
    demo.add_argument(
        "--beta", type=_non_negative, default=DEFAULT_BETA, help=f"KL coefficient (default {DEFAULT_BETA})"
    )
    demo.add_argument(
        "--loss-type", choices=["grpo", "dapo", "dr_grpo"], default="grpo", help="loss aggregation"
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(handler=run_demo_command)


def config_from_args(args: argparse.Namespace) -> DemoConfig:
    """The demo's config from parsed ``rlvr demo`` options.

    Raises:
        ValueError: a combination the config refuses (the message names the option).
    """
    from rlvr.integrations.demo import DemoConfig

    return DemoConfig(
        steps=args.steps,
        cold_start_examples=args.cold_start_examples,
        output_dir=args.output_dir,
        seed=args.seed,
        learning_rate=args.learning_rate,
        beta=args.beta,
        loss_type=args.loss_type,
        progress=not args.no_progress,
    )


def run_demo_command(args: argparse.Namespace) -> int:
    """Run ``rlvr demo``; exit status 0 when it ran (whatever the figures), 2 for settings it refuses,
    1 without the ``trl`` extra."""
    try:
        from rlvr.integrations.demo import run_demo
    except ImportError as exc:
        print(
            f'rlvr demo: needs the trl extra ({exc.name} is missing): pip install ".[trl]"', file=sys.stderr
        )
        return 1
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"rlvr demo: {exc}", file=sys.stderr)
        return 2
    import warnings

    with warnings.catch_warnings():  # the libraries' deprecation notices, for this run only
        warnings.simplefilter("ignore", FutureWarning)
        run_demo(config)
    return 0
