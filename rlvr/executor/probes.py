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


def scribble(value: object) -> object:
    """Write raw bytes, a fake frame header among them, straight to descriptors 1 and 2; return ``value``.

    Example:
        >>> scribble(7)
        text on stdout
        7
    """
    junk = b"\x00\x00\x00\x00\x00\x00\x00\x05 not a frame\n"
    os.write(1, junk)
    os.write(2, junk)
    sys.stdout.write("text on stdout\n")
    sys.stdout.flush()
    return value


def kill_self(signum: int) -> None:
    """Send signal ``signum`` to the process that runs the judgement (a worker dies of it).

    Example:
        >>> kill_self(0) is None  # signal 0 only checks that the process exists
        True
    """
    os.kill(os.getpid(), signum)


def spawn_then_spin(pid_file: str, seconds: float, exponent: int) -> int:
    """Start a ``sleep seconds`` grandchild, write its pid to ``pid_file``, then ``spin(exponent)``.

    A worker killed past its deadline must take such grandchildren with it.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile() as f:
        ...     spawn_then_spin(f.name, 0, 10)
        16
    """
    import subprocess

    child = subprocess.Popen(["sleep", str(seconds)])
    with open(pid_file, "w") as f:
        f.write(str(child.pid))
    value = spin(exponent)
    child.wait()
    return value


def run_probe(name: str, *args: object) -> object:
    """Run the probe called ``name`` on ``args``: one judgement function for batches of mixed behaviour.

    Example:
        >>> run_probe("add", 2, 3)
        5
        >>> run_probe("fail", "boom")
        Traceback (most recent call last):
        ...
        ValueError: boom
    """
    return globals()[name](*args)
