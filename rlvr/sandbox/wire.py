"""Every message of the code sandbox, typed in one place, and how each travels.

Three channels, all in :mod:`rlvr.framing` frames:

- scorer ↔ fork server (the server's stdin/stdout; both trusted): JSON objects — :class:`ServerSettings`
  once, then :class:`RunRequest` and ``{"op": "close"}``; back :class:`ServerReady` or
  ``{"op": "fatal", "error": ...}`` once, then one :class:`RunReport` per request;
- fork server → sample (its job socket; the sample is trusted until its program starts): one
  :class:`SampleJob`, then the go byte :data:`GO`, then — function-call mode — one *call frame* per case,
  only when that case starts: :func:`indexed` ``(case index, JSON [args, kwargs])``;
- sample's runner → fork server (the result pipe; **untrusted**: the program shares the runner's process):
  one :func:`indexed` ``(case index, record)`` per case (:mod:`rlvr.verifiers.code.runs`), or
  ``(FATAL_INDEX, record)`` when the program cannot be loaded. The server reads only the index; the
  scorer's judge reads the record as hostile data.

Example:
    >>> split_indexed(indexed(7, b'{"v": 1}')[4:])  # the body, after the frame's length
    (7, b'{"v": 1}')
    >>> decode(encode({"op": "close"})[4:])
    {'op': 'close'}
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Literal, TypedDict

from rlvr.framing import frame

GO = b"G"
FATAL_INDEX = 0xFFFFFFFF
_INDEX = struct.Struct(">I")


class WireError(ValueError):
    """A message that is not what its channel carries."""


class ServerSettings(TypedDict):
    """The fork server's configuration, sent once at its start."""

    slots: int
    unsafe: bool
    uid: int
    gid: int
    max_processes: int
    tmpfs_mb: int
    max_file_mb: int
    max_open_files: int
    max_output_bytes: int
    stderr_tail_bytes: int
    setup_timeout: float
    cpu_quota: bool
    network_per_sample: bool
    seccomp: bool
    ro_paths: list[str]
    max_frame: int
    rlvr_root: str


class ServerReady(TypedDict):
    """The fork server's answer once isolation is in place and probed."""

    op: Literal["ready"]
    isolation: str
    limits: str
    cgroup_name: str | None
    privileged: bool
    cgroups: int | None
    spawner_pids: list[int]
    sample_uids: list[int]
    seccomp: str | None
    warnings: list[str]
    notes: list[str]


Mode = Literal["stdio", "call", "compile"]


class RunRequest(TypedDict):
    """One run of a program: ``calls`` are the JSON texts of ``[args, kwargs]`` from ``first_case`` on;
    ``binary`` (base64) is a compiled program run instead of Python ``program``; ``files`` are written
    into the sample's ``/tmp`` before it starts; ``output_limit`` overrides the sandbox's byte cap."""

    op: Literal["run"]
    id: int
    mode: Mode
    program: str
    stdin: str
    entry_point: str | None
    calls: list[str]
    first_case: int
    time_limit: float
    budget: float
    memory_mb: int
    binary: str | None
    argv: list[str]
    files: dict[str, str]
    output_limit: int | None
    crash_status: int
    prelude: str


class SampleJob(TypedDict):
    """What a prepared sample needs to set itself up for a run (no expected values, no arguments)."""

    mode: Mode
    program: str
    stdin: str
    entry_point: str | None
    memory_mb: int
    cpu_seconds: int
    binary: str | None
    argv: list[str]
    files: dict[str, str]
    compiler: str | None
    crash_status: int
    prelude: str


class RunReport(TypedDict):
    """The raw facts of one run (bytes in base64); see :class:`rlvr.verifiers.code.runs.RunResult`."""

    op: Literal["done"]
    id: int
    setup_error: str | None
    exit_code: int | None
    signal: int | None
    killed: str | None
    oom: bool
    nproc_hit: bool
    cpu_s: float | None
    wall_s: float
    stdout: str
    tail: str
    first_case: int
    records: list[str]
    case_walls: list[float]
    open_case_wall: float
    fatal: str | None
    ignored_records: int
    timing: dict[str, float]


def encode(message: Mapping[str, object]) -> bytes:
    """One JSON message as a frame.

    Example:
        >>> encode({"a": 1})
        b'\\x00\\x00\\x00\\x08{"a": 1}'
    """
    return frame(json.dumps(message).encode("utf-8"))


def decode(body: bytes) -> dict[str, object]:
    """A frame's body back to its JSON object.

    Raises:
        WireError: the body is not a JSON object.

    Example:
        >>> decode(b'[1]')
        Traceback (most recent call last):
        ...
        rlvr.sandbox.wire.WireError: a message must be a JSON object
    """
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"a message is not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise WireError("a message must be a JSON object")
    return message


def indexed(index: int, payload: bytes) -> bytes:
    """A call or record frame: the case index (4 bytes), then the payload.

    Example:
        >>> indexed(1, b"x")[4:]
        b'\\x00\\x00\\x00\\x01x'
    """
    return frame(_INDEX.pack(index) + payload)


def split_indexed(body: bytes) -> tuple[int, bytes]:
    """``(index, payload)`` of a call or record frame's body.

    Raises:
        WireError: the body is shorter than its index.

    Example:
        >>> split_indexed(b"\\x00\\x00")
        Traceback (most recent call last):
        ...
        rlvr.sandbox.wire.WireError: a frame without its case index
    """
    if len(body) < _INDEX.size:
        raise WireError("a frame without its case index")
    return _INDEX.unpack_from(body)[0], body[_INDEX.size :]
