"""``rlvr demo``: DeepSeek-R1's pipeline in miniature on a CPU — a cold start, then GRPO teaches a rule.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="rlvr")
    >>> add_demo_parser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["demo", "--steps", "5"]).steps
    5
"""

from __future__ import annotations

import argparse
from typing import Any


def run_demo_command(args: argparse.Namespace) -> int:
    """Run ``rlvr demo`` with parsed arguments; returns the exit status."""
    from rlvr.integrations.demo import main as demo_main

    return demo_main(args)


def add_demo_parser(commands: Any) -> None:
    """Add ``demo`` to the ``rlvr`` command's subcommands."""
    from rlvr.integrations.demo import add_arguments  # light: no torch at import

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
    add_arguments(demo)
    demo.set_defaults(handler=run_demo_command)
