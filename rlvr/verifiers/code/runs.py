"""What one run of a program reports (raw facts, no verdict), and the result records of function calls.

The sandbox runs a program and reports a :class:`RunResult`; :mod:`rlvr.verifiers.code.judge` decides the
verdict from it, outside the program's process. In function-call mode the program's runner sends one
*record* per case: a JSON object ``{"v": <plain value>}`` for a returned value (see
:mod:`rlvr.verifiers.code.values` for the tags), or ``{"e": "Type: message", "kind": ...}`` for a case
that raised (``kind``: ``"error"``, ``"memory"`` for ``MemoryError``, ``"not_plain"`` for a value that
is not a plain value). The runner shares its process with the program, so a record is only ever what
the program chose to say about its own answer — and the judge reads every record as hostile.

Example:
    >>> value_record([1, (2, 3)])
    b'{"v": [1, {"$tuple": [2, 3]}]}'
    >>> error_record("ValueError: no", "error")
    b'{"e": "ValueError: no", "kind": "error"}'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from rlvr.verifiers.code.values import NotPlainError, to_plain

RecordKind = Literal["error", "memory", "not_plain"]
KilledReason = Literal["timeout", "budget", "output", "memory", "setup", "shutdown"]
_MAX_ERROR_CHARS = 300


def value_record(value: object) -> bytes:
    """The record of a returned value.

    Raises:
        NotPlainError: ``value`` is not a plain value.
        ValueError: it cannot be written as JSON.

    Example:
        >>> value_record(float("nan"))
        b'{"v": {"$float": "nan"}}'
    """
    try:
        return json.dumps({"v": to_plain(value)}, allow_nan=False).encode("utf-8")
    except RecursionError:
        raise NotPlainError("nested too deeply") from None


def error_record(message: str, kind: RecordKind) -> bytes:
    """The record of a case that did not return a plain value.

    Example:
        >>> error_record("MemoryError", "memory")
        b'{"e": "MemoryError", "kind": "memory"}'
    """
    text = message if len(message) <= _MAX_ERROR_CHARS else message[: _MAX_ERROR_CHARS - 3] + "..."
    return json.dumps({"e": text, "kind": kind}).encode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class RunResult:
    """What came back from one run of a program: raw facts, no verdict.

    Attributes:
        setup_error: set when the sandbox failed before the program started (the item is not judged).
        exit_code, signal: how the run's first process ended (``None`` when it did not).
        killed: why the sandbox stopped it — ``"timeout"`` (a case's time limit), ``"budget"`` (the run's
            total), ``"output"`` (byte cap), ``"memory"`` (its processes together passed the memory limit,
            where no memory cgroup could be had), ``"setup"``, ``"shutdown"`` — or ``None``.
        oom, nproc_hit: the memory cap's OOM killer, the process cap, were hit during the run.
        wall_s: seconds from the program's start to its end; ``cpu_s`` its CPU seconds.
        stdout: what it printed (stdin/stdout mode); ``stderr_tail`` the end of its stderr.
        first_case: the index of the first case this run was given (function-call mode).
        records: the record accepted for each case from ``first_case`` on, in order; a record counts only
            for the case that was running when it arrived, and only before that case's deadline.
        case_walls: seconds each of those cases took, from its arguments to its record.
        open_case_wall: seconds the next case ran before the run ended without its record.
        fatal: a record sent before any case (the program could not be loaded), or ``None``.
        ignored_records: records that arrived for a case that was not running (never counted).

    Example:
        >>> RunResult(setup_error="no namespaces").sandbox_error
        True
    """

    setup_error: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    killed: KilledReason | None = None
    oom: bool = False
    nproc_hit: bool = False
    cpu_s: float | None = None
    wall_s: float = 0.0
    stdout: bytes = b""
    stderr_tail: str = ""
    first_case: int = 0
    records: tuple[bytes, ...] = ()
    case_walls: tuple[float, ...] = ()
    open_case_wall: float = 0.0
    fatal: bytes | None = None
    ignored_records: int = 0
    timing: Mapping[str, float] = field(default_factory=dict)

    @property
    def sandbox_error(self) -> bool:
        return self.setup_error is not None

    @classmethod
    def failed(cls, reason: str) -> RunResult:
        """A run the sandbox could not make (fail closed: never a pass)."""
        return cls(setup_error=reason)
