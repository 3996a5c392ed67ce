"""Argument types of the ``rlvr`` command: a bad value is an argparse error that names its flag.

argparse prints ``rlvr score: error: argument --batch-size: must be an integer >= 1, got '0'`` and exits
with status 2 when one of these raises ``ArgumentTypeError`` — never a traceback, never the name of an
internal config field.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="rlvr")
    >>> _ = parser.add_argument("--batch-size", type=at_least(1), default=256)
    >>> parser.parse_args(["--batch-size", "8"]).batch_size
    8
    >>> at_least(1)("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be an integer >= 1, got '0'
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer ``>= minimum``.

    Example:
        >>> at_least(0)("3")
        3
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        return value

    parse.__name__ = f"integer >= {minimum}"  # argparse names the type in its own messages
    return parse


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds ``> 0``.

    Example:
        >>> positive_seconds("2.5")
        2.5
        >>> positive_seconds("nan")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a number of seconds > 0, got 'nan'
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def finite_number(text: str) -> float:
    """An argparse type: a finite number.

    Example:
        >>> finite_number("-0.5")
        -0.5
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_number(text: str) -> float:
    """An argparse type: a finite number ``> 0``.

    Example:
        >>> positive_number("1e-6")
        1e-06
    """
    value = finite_number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


positive_seconds.__name__ = "seconds"
finite_number.__name__ = "number"
positive_number.__name__ = "positive number"


def ray_address(text: str) -> str:
    """An argparse type: a Ray cluster's head ``HOST:PORT``, ``auto`` or ``local`` (checked, not dialled).

    Example:
        >>> ray_address("10.0.0.1:6379"), ray_address("auto")
        ('10.0.0.1:6379', 'auto')
        >>> ray_address("x")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be HOST:PORT (a Ray cluster's head), 'auto' or 'local', got 'x'
    """
    from rlvr.executor.config import ray_address_problem  # the one rule for addresses; imported when given

    address = text.strip()
    problem = ray_address_problem(address)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return address


def add_ray_flag(parser: argparse.ArgumentParser, default_note: str | None = None) -> None:
    """Add ``--ray ADDRESS`` (checked by :func:`ray_address`), the same on every command that judges.

    Example:
        >>> parser = argparse.ArgumentParser(prog="rlvr")
        >>> add_ray_flag(parser)
        >>> parser.parse_args(["--ray", "auto"]).ray
        'auto'
    """
    note = f" ({default_note})" if default_note else ""
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        type=ray_address,
        default=None,
        help=f"judge on a Ray cluster: its head's HOST:PORT, 'auto', or 'local' to start one here{note}",
    )
