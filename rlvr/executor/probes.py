"""Small judgements with known behaviour, for the executor's tests and ``rlvr bench executor``.

They live in the package (not in the tests) because worker processes must be able to import them.
"""

from __future__ import annotations

import os
import sys
import time


def identity(value: object) -> object:
    """Return ``value``: the cheapest judgement there is.

    Example:
        >>> identity(3)
        3
    """
    return value


def add(a: int, b: int) -> int:
    """Return ``a + b``.

    Example:
        >>> add(2, 3)
        5
    """
    return a + b


def spin(exponent: int) -> int:
    """A C-level loop that holds the GIL and ignores signals: the bit length of ``3 ** exponent``.

    Minutes for ``exponent=10**9``; only a kill stops it.

    Example:
        >>> spin(10)
        16
    """
    return pow(3, exponent).bit_length()


def sleep(seconds: float) -> float:
    """Sleep, then return ``seconds``.

    Example:
        >>> sleep(0.0)
        0.0
    """
    time.sleep(seconds)
    return seconds


def fail(message: str) -> None:
    """Raise ``ValueError(message)``.

    Example:
        >>> fail("bad gold")
        Traceback (most recent call last):
        ...
        ValueError: bad gold
    """
    raise ValueError(message)


def exit_process(code: int) -> None:
    """End the worker process abruptly with exit status ``code`` (no cleanup)."""
    os._exit(code)


def call_sys_exit(code: int) -> None:
    """Raise ``SystemExit(code)``, as a judgement that calls ``sys.exit`` does."""
    sys.exit(code)


def noisy(value: int) -> int:
    """Print to stdout and stderr, then return ``value``: output must not disturb the protocol.

    Example:
        >>> noisy(1)
        noise on stdout 1
        1
    """
    print("noise on stdout", value)
    print("noise on stderr", value, file=sys.stderr)
    return value


def allocate(megabytes: int) -> int:
    """Allocate ``megabytes`` MiB and return its length in bytes.

    Example:
        >>> allocate(1)
        1048576
    """
    return len(bytearray(megabytes * 1024 * 1024))


def worker_pid(_: object = None) -> int:
    """The pid of the process that runs the judgement.

    Example:
        >>> worker_pid() == os.getpid()
        True
    """
    return os.getpid()
