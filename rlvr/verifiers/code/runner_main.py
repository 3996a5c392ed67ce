"""What runs inside the sandbox, after the fork server has isolated the process: the candidate program.

Nothing here decides a verdict. In stdin/stdout mode the program runs as ``__main__`` and its output goes
to the scorer; in function-call mode the program is loaded as a module, the entry point is called on each
case's arguments, and each return value is written as one line of plain-value JSON (see
:mod:`rlvr.verifiers.code.values`) to descriptor 3. Expected values never enter this process; whatever
the program does to this code (it runs in the same interpreter) it can only misreport its own answers.

Example:
    >>> describe_exception(ValueError("bad"))
    'ValueError: bad'
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import traceback
import types
from collections.abc import Sequence
from typing import Any

from rlvr.verifiers.code.values import NotPlainError, from_plain, to_plain

RESULT_FD = 3
FILENAME = "<solution>"
_MAX_MESSAGE = 300


def describe_exception(exc: BaseException) -> str:
    """``Type: message``, cut to a few hundred characters; never raises.

    Example:
        >>> describe_exception(KeyError("k"))
        "KeyError: 'k'"
    """
    try:
        text = f"{type(exc).__name__}: {exc}"
    except BaseException:  # a hostile __str__
        text = type(exc).__name__
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _open_std_streams() -> None:
    sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", errors="surrogateescape", closefd=False)  # noqa: SIM115
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)  # noqa: SIM115
    sys.stderr = sys.__stderr__ = open(  # noqa: SIM115
        2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1
    )


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - no contextlib here: the program may have replaced it
            stream.flush()
        except BaseException:
            pass


def _load(program: str, name: str) -> types.ModuleType:
    code = compile(program, FILENAME, "exec", dont_inherit=True)
    module = types.ModuleType(name)
    module.__dict__["__builtins__"] = builtins
    sys.modules[name] = module  # dataclasses, pickle and typing look the module up by name
    exec(code, module.__dict__)
    return module


def _exit_status(code: Any) -> int:
    if code is None:
        return 0
    if type(code) is int:
        return code & 0xFF
    try:  # noqa: SIM105 - no contextlib here: the program may have replaced it
        print(code, file=sys.stderr)
    except BaseException:
        pass
    return 1


def run_stdio(program: str) -> int:
    """Run ``program`` as ``__main__`` on descriptors 0/1/2, as ``python program.py`` would; returns the
    exit status (then the caller leaves with ``os._exit``)."""
    _open_std_streams()
    status = 0
    try:
        _load(program, "__main__")
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            print("error while printing the traceback", file=sys.stderr)
        status = 1
    try:  # what interpreter shutdown does: wait for threads, run atexit hooks
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()  # type: ignore[attr-defined]
        import atexit

        atexit._run_exitfuncs()
    except BaseException:
        status = status or 1
    _flush()
    return status


def _write_record(record: dict[str, Any]) -> None:
    data = (json.dumps(record, allow_nan=False) + "\n").encode("utf-8")
    view = memoryview(data)
    while view:
        view = view[os.write(RESULT_FD, view) :]


def run_calls(program: str, entry_point: str, calls: Sequence[Any]) -> int:
    """Load ``program`` and call ``entry_point(*args, **kwargs)`` for each encoded ``[args, kwargs]``; one
    record per call on descriptor 3: ``{"i": n, "v": value}`` or ``{"i": n, "e": "Error: ..."}``."""
    _open_std_streams()
    try:
        module = _load(program, "__solution__")
        function = module.__dict__.get(entry_point)
        if not callable(function):
            raise NameError(f"the program defines no function {entry_point!r}")
    except BaseException as exc:
        _flush()
        _write_record({"fatal": describe_exception(exc), "mle": isinstance(exc, MemoryError)})
        return 0
    for index, call in enumerate(calls):
        try:
            args, kwargs = from_plain(call[0]), from_plain(call[1])
            value = function(*args, **kwargs)
            record: dict[str, Any] = {"i": index, "v": to_plain(value)}
        except NotPlainError as exc:
            record = {"i": index, "e": f"returned {exc}", "plain": False}
        except MemoryError:
            record = {"i": index, "e": "MemoryError", "mle": True}
        except BaseException as exc:
            record = {"i": index, "e": describe_exception(exc)}
        _flush()
        try:
            _write_record(record)
        except (ValueError, RecursionError) as exc:  # not serialisable after all (a huge value)
            _write_record({"i": index, "e": f"result cannot be sent: {describe_exception(exc)}"})
    return 0
