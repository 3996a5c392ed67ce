"""What runs inside a sample once it is isolated: the candidate program.

Nothing here decides a verdict. In stdin/stdout mode the program runs as ``__main__`` and its output goes
to the scorer. In function-call mode the program is loaded as a module; then, one case at a time, the
runner reads the case's arguments from :data:`CALLS_FD` (the fork server sends them only when the case
starts), calls the entry point and writes one record (:mod:`rlvr.verifiers.code.runs`) to
:data:`RESULT_FD`. Expected values never enter this process, and later cases' arguments are not in it
either; whatever the program does to this code (it runs in the same interpreter) it can only misreport its
own answer to the case that is running.

Example:
    >>> RESULT_FD, CALLS_FD
    (3, 4)
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import traceback
import types
from typing import Any

from rlvr.framing import HEADER, FrameError, write_all
from rlvr.processes import describe_exception
from rlvr.sandbox.wire import FATAL_INDEX, WireError, indexed, split_indexed
from rlvr.verifiers.code.runs import error_record, value_record
from rlvr.verifiers.code.values import NotPlainError, from_plain

RESULT_FD = 3
CALLS_FD = 4
FILENAME = "<solution>"
_MAX_CALL_BYTES = 1 << 30


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


def _load(program: str, name: str, prelude: str = "") -> types.ModuleType:
    code = compile(program, FILENAME, "exec", dont_inherit=True)
    module = types.ModuleType(name)
    module.__dict__["__builtins__"] = builtins
    sys.modules[name] = module  # dataclasses, pickle and typing look the module up by name
    if prelude:  # what a dataset's own harness puts before every program (its imports)
        exec(compile(prelude, "<prelude>", "exec", dont_inherit=True), module.__dict__)
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


def run_stdio(program: str, argv: list[str] | None = None, crash_status: int = 1, prelude: str = "") -> int:
    """Run ``program`` as ``__main__`` on descriptors 0/1/2, as ``python program.py *argv`` would; returns
    the exit status (then the caller leaves with ``os._exit``): ``crash_status`` for an uncaught exception.
    """
    _open_std_streams()
    sys.argv = ["program.py", *(argv or [])[1:]] if argv else ["program.py"]
    status = 0
    try:
        _load(program, "__main__", prelude)
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            print("error while printing the traceback", file=sys.stderr)
        status = crash_status
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


COMPILE_COMMAND = ("-O2", "-std=c++17", "-s", "-o", "program", "program.cpp")
_COMPILER_MESSAGES = 2000


def compile_cpp(source: str, compiler: str | None) -> int:
    """Compile C++ ``source`` here (in the sample's private ``/tmp``) with ``g++ -O2 -std=c++17``; the
    binary goes to descriptor 1, the compiler's first messages to descriptor 2; returns its exit status.
    """
    if not compiler:
        os.write(2, b"no C++ compiler (g++) on this machine")
        return 127
    with open("program.cpp", "w", encoding="utf-8", errors="surrogateescape") as stream:
        stream.write(source)
    log = os.open("compiler.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the compiler's process
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.execve(compiler, [compiler, *COMPILE_COMMAND], {"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    os.close(log)
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    with open("compiler.log", "rb") as stream:
        write_all(2, stream.read(_COMPILER_MESSAGES))
    if status != 0:
        return status if status > 0 else 128 - status
    with open("program", "rb") as stream:
        while chunk := stream.read(1 << 20):
            write_all(1, chunk)
    return 0


def _answer(resolve: Any, call: bytes) -> bytes:
    """The record for one call (never raises for anything the program does)."""
    try:
        args, kwargs = from_plain(json.loads(call))
        return value_record(resolve()(*args, **kwargs))
    except NotPlainError as exc:
        return error_record(f"returned {exc}", "not_plain")
    except MemoryError:
        return error_record("MemoryError", "memory")
    except BaseException as exc:
        return error_record(describe_exception(exc), "error")


def _receive_call(fd: int) -> bytes | None:
    """The next call frame's body, usually in one read: the server sends a case's arguments only after
    the previous case's record, so a read never takes more than one frame."""
    data = os.read(fd, 1 << 16)
    while data and len(data) < HEADER.size:
        more = os.read(fd, 1 << 16)
        if not more:
            return None
        data += more
    if not data:
        return None
    (size,) = HEADER.unpack_from(data)
    if size > _MAX_CALL_BYTES:
        raise FrameError(size, _MAX_CALL_BYTES)
    end = HEADER.size + size
    parts = [data]
    have = len(data)
    while have < end:
        more = os.read(fd, min(end - have, 1 << 20))
        if not more:
            return None
        parts.append(more)
        have += len(more)
    body = b"".join(parts)
    if len(body) != end:
        raise FrameError(len(body), end)  # more than one frame: not what the server sends
    return body[HEADER.size :]


def _entry(module: types.ModuleType, entry_point: str) -> Any:
    """What gives the callable for each case: for ``"f"`` the program's function ``f`` (else the method
    ``f`` of a new ``Solution()``); for ``"Class.f"`` the method ``f`` of a new instance of the class for
    each case, LeetCode style (else a function ``f``) — as APPS, TACO and LiveCodeBench call programs.

    Raises:
        NameError: the program defines neither.
    """
    owner, _, name = entry_point.rpartition(".")
    cls = module.__dict__.get(owner or "Solution")
    method = cls if isinstance(cls, type) and callable(getattr(cls, name, None)) else None
    function = module.__dict__.get(name)
    function = function if callable(function) and not isinstance(function, type) else None
    if method is not None and (owner or function is None):  # the class first when it was named
        return lambda: getattr(method(), name)
    if function is not None:
        return lambda: function
    where = f"no class {owner!r} with a method {name!r}, nor" if owner else "no"
    raise NameError(f"the program defines {where} function {name!r}")


def run_calls(program: str, entry_point: str, prelude: str = "") -> int:
    """Load ``program``, then answer each case the fork server sends on :data:`CALLS_FD` until it stops
    sending; returns the exit status (then the caller leaves with ``os._exit``)."""
    _open_std_streams()
    send = write_all  # bound here: the program may replace module attributes, not these locals
    receive = _receive_call
    try:
        module = _load(program, "__solution__", prelude)
        resolve = _entry(module, entry_point)
    except BaseException as exc:
        _flush()
        kind = "memory" if isinstance(exc, MemoryError) else "error"
        send(RESULT_FD, indexed(FATAL_INDEX, error_record(describe_exception(exc), kind)))
        return 0
    while True:
        try:
            body = receive(CALLS_FD)
            if body is None:
                return 0
            index, call = split_indexed(body)
        except (OSError, FrameError, WireError):
            return 1
        record = _answer(resolve, call)
        _flush()
        try:
            send(RESULT_FD, indexed(index, record))
        except OSError:
            return 1
