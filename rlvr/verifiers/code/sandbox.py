"""The scorer's side of the code sandbox: a lazily started fork server, jobs in, raw results out.

:class:`Sandbox` owns one fork server process (:mod:`rlvr.verifiers.code.zygote`), started on first use
and stopped by :meth:`Sandbox.close` (or when the object is collected, or this process exits). It runs up
to ``workers`` samples at once — the CPU budget: each sample also gets at most one CPU where the cpu
cgroup controller is writable. A job is one program run: one stdin/stdout case, or all the function
calls of a program. Results are raw (exit status, captured bytes); verdicts are decided by
:mod:`rlvr.verifiers.code.judge` in this process, never in the sandbox.

Isolation in force (logged at start, see :attr:`Sandbox.isolation`):

- root: new mount, pid, IPC and UTS namespaces per sample and an empty network namespace per cell, which
  the cell's samples enter one at a time; chroot into a read-only root holding only the interpreter and
  system libraries; a private tmpfs ``/tmp``; uid/gid nobody, no capabilities, an empty bounding set,
  ``no_new_privs``; cgroup v2 or v1 per-cell ``pids.max``, memory cap and CPU quota when writable.
- unprivileged: the same inside a new user namespace per sample, with a new network namespace per sample;
  the process cap is ``RLIMIT_NPROC`` (counted per user namespace) and the memory cap ``RLIMIT_AS`` unless
  a delegated cgroup is writable.
- where the kernel refuses namespaces, starting fails with :class:`SandboxUnavailableError` naming what is
  missing — unless ``unsafe=True`` (trusted code only: no namespaces, rlimits and a process group), which
  logs a warning on every use.

Example:
    >>> SandboxConfig(workers=2).workers
    2
    >>> with Sandbox(workers=1) as box:  # doctest: +SKIP
    ...     box.run([Job("stdio", "print(int(input()) * 2)", stdin="21")])[0].stdout
    b'42\\n'
"""

from __future__ import annotations

import base64
import contextlib
import logging
import math
import os
import select
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rlvr.executor.config import usable_cpus
from rlvr.verifiers.code.wire import FrameError, FrameReader, encode

logger = logging.getLogger("rlvr.verifiers.code")

_RLVR_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
_BOOT = "import sys; sys.path.insert(0, {root!r}); from rlvr.verifiers.code.zygote import main; main()"
_SLACK_SECONDS = 5.0
_RESTARTS_PER_RUN = 2
UNSAFE_WARNING = (
    "UNSAFE code sandbox in use: programs run WITHOUT namespaces, chroot or uid change (rlimits and a "
    "process group only). Only for trusted code: a hostile program can read and write your files, use the "
    "network and outlive the run."
)


class SandboxUnavailableError(RuntimeError):
    """The sandbox cannot isolate programs here; the message names what the kernel refused."""


@dataclass(frozen=True)
class SandboxConfig:
    """Limits and isolation of the code sandbox (per sample unless said otherwise).

    Attributes:
        workers: samples run at once (the CPU budget); default one per usable CPU.
        max_processes: processes and threads a sample may have (``pids.max`` or ``RLIMIT_NPROC``).
        tmpfs_mb: size of the private ``/tmp`` (its pages count against the memory cap).
        max_file_mb: largest file a sample may write (``RLIMIT_FSIZE``).
        max_open_files: ``RLIMIT_NOFILE``.
        max_output_bytes: stdout (stdin/stdout mode) or results (function-call mode) read at most; past it
            the sample is killed.
        stderr_tail_bytes: how much of the end of stderr is kept for the reason.
        setup_timeout: seconds a sample may take to isolate itself before it is a sandbox error.
        start_timeout: seconds the fork server may take to start.
        cpu_quota: one CPU per sample via the cpu cgroup controller, when writable.
        network_per_sample: as root, a new network namespace for every sample instead of one empty
            namespace per cell entered by its samples one at a time (equally cut off from any network;
            creating and destroying one per sample costs some 15-20 % of the throughput). Unprivileged,
            every sample always gets its own.
        unsafe: run without namespaces (trusted code only; logs a warning on every use).
        python: the interpreter (default: the real path of ``sys.executable``; never a pyenv shim).
        ro_paths: extra host paths made visible read-only (e.g. a virtual environment's site-packages).
        uid: the uid (and ``gid``) samples run as when the scorer is root.

    Example:
        >>> SandboxConfig(max_processes=0)
        Traceback (most recent call last):
        ...
        ValueError: SandboxConfig.max_processes must be an int >= 1, got 0
    """

    workers: int | None = None
    max_processes: int = 32
    tmpfs_mb: int = 64
    max_file_mb: int = 16
    max_open_files: int = 64
    max_output_bytes: int = 1 << 20
    stderr_tail_bytes: int = 2048
    setup_timeout: float = 10.0
    start_timeout: float = 60.0
    cpu_quota: bool = True
    network_per_sample: bool = False
    unsafe: bool = False
    python: str | None = None
    ro_paths: tuple[str, ...] = ()
    uid: int = 65534
    gid: int = 65534

    def __post_init__(self) -> None:
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 1):
            raise ValueError(f"SandboxConfig.workers must be an int >= 1 or None, got {self.workers!r}")
        minimum = {"max_processes": 1, "tmpfs_mb": 1, "max_file_mb": 1, "max_open_files": 16}
        minimum |= {"max_output_bytes": 1024, "stderr_tail_bytes": 0, "uid": 1, "gid": 1}
        for name, low in minimum.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"SandboxConfig.{name} must be an int >= {low}, got {value!r}")
        for name in ("setup_timeout", "start_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValueError(f"SandboxConfig.{name} must be a finite number > 0, got {value!r}")
        if self.python is not None and not os.path.isabs(self.python):
            raise ValueError(f"SandboxConfig.python must be an absolute path, got {self.python!r}")
        object.__setattr__(self, "ro_paths", tuple(self.ro_paths))
        for path in self.ro_paths:
            if not os.path.isabs(path) or os.path.normpath(path) in ("/", "/tmp", "/proc", "/sys", "/dev"):
                raise ValueError(f"SandboxConfig.ro_paths: {path!r} cannot be exposed to samples")

    @property
    def slots(self) -> int:
        return self.workers or usable_cpus()

    @property
    def interpreter(self) -> str:
        return self.python or os.path.realpath(sys.executable)


@dataclass(frozen=True)
class Job:
    """One run of a program.

    ``mode="stdio"``: the program reads ``stdin``; ``mode="call"``: ``entry_point`` is called once per item
    of ``calls`` (``[args, kwargs]`` as plain-value data, see :mod:`rlvr.verifiers.code.values`).
    ``time_limit`` applies per case; ``budget`` (default ``time_limit``) is the whole run's wall clock.
    """

    mode: Literal["stdio", "call"]
    program: str
    stdin: str = ""
    entry_point: str | None = None
    calls: tuple[Any, ...] = ()
    time_limit: float = 2.0
    budget: float | None = None
    memory_mb: int = 512

    def message(self, job_id: int) -> dict[str, Any]:
        return {
            "op": "run",
            "id": job_id,
            "mode": self.mode,
            "program": self.program,
            "stdin": self.stdin,
            "entry_point": self.entry_point,
            "calls": list(self.calls),
            "time_limit": float(self.time_limit),
            "budget": float(self.budget if self.budget is not None else self.time_limit),
            "memory_mb": int(self.memory_mb),
        }


@dataclass(frozen=True)
class RunResult:
    """What came back from one job: raw facts, no verdict.

    ``killed`` is why the sandbox killed it (``"timeout"``, ``"budget"``, ``"output"``, ``"setup"``) or
    ``None``; ``setup_error`` is set when the sandbox failed before the program started (fail closed).
    """

    setup_error: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    killed: str | None = None
    oom: bool = False
    nproc_hit: bool = False
    cpu_s: float | None = None
    wall_s: float = 0.0
    stdout: bytes = b""
    results: bytes = b""
    stderr_tail: str = ""
    cases_done: int = 0
    timing: dict[str, float] = field(default_factory=dict)

    @property
    def sandbox_error(self) -> bool:
        return self.setup_error is not None

    @classmethod
    def failed(cls, reason: str) -> RunResult:
        return cls(setup_error=reason)

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> RunResult:
        def raw(key: str) -> bytes:
            return base64.b64decode(message.get(key) or "")

        return cls(
            setup_error=message.get("setup_error"),
            exit_code=message.get("exit_code"),
            signal=message.get("signal"),
            killed=message.get("killed"),
            oom=bool(message.get("oom")),
            nproc_hit=bool(message.get("nproc_hit")),
            cpu_s=message.get("cpu_s"),
            wall_s=float(message.get("wall_s") or 0.0),
            stdout=raw("stdout"),
            results=raw("results"),
            stderr_tail=raw("tail").decode("utf-8", "replace"),
            cases_done=int(message.get("cases_done") or 0),
            timing={k: float(v) for k, v in (message.get("timing") or {}).items()},
        )


@dataclass
class _Server:
    proc: subprocess.Popen[bytes]
    reader: FrameReader
    description: dict[str, Any] = field(default_factory=dict)


def _stop_server(server: _Server | None) -> None:
    if server is None:
        return
    proc = server.proc
    with contextlib.suppress(OSError):
        if proc.stdin is not None:
            proc.stdin.close()  # EOF: the server kills its samples, removes its cgroups and exits
    try:
        proc.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, 9)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2.0)
    for stream in (proc.stdout, proc.stderr):
        with contextlib.suppress(OSError):
            if stream is not None:
                stream.close()


def _stop_owned(owner_pid: int, holder: list[_Server | None]) -> None:
    if os.getpid() == owner_pid and holder:
        _stop_server(holder[0])
        holder[0] = None


class Sandbox:
    """Runs untrusted Python programs in isolated, resource-capped processes (see the module docstring).

    Thread-safe (one batch at a time), picklable (a copy carries only the configuration), a context
    manager; after ``os.fork`` the child starts its own fork server.
    """

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any) -> None:
        if config is None:
            config = SandboxConfig(**overrides)
        elif overrides:
            raise TypeError("pass either a SandboxConfig or keyword settings, not both")
        self.config = config
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._holder: list[_Server | None] = [None]
        self._finalizer = weakref.finalize(self, _stop_owned, self._pid, self._holder)

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["config"])  # type: ignore[misc]

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the fork server (its samples are killed, its cgroups removed). A later run starts anew."""
        with self._lock:
            if os.getpid() == self._pid:
                _stop_server(self._holder[0])
            self._holder[0] = None

    @property
    def isolation(self) -> dict[str, Any]:
        """What isolation is in force (starts the fork server if needed).

        Raises:
            SandboxUnavailableError: the kernel refuses what the sandbox needs.
        """
        with self._lock:
            return dict(self._server().description)

    # -- the fork server -------------------------------------------------------------------------------

    def _server(self) -> _Server:
        if os.getpid() != self._pid:  # a forked copy: the server belongs to the parent
            self._finalizer.detach()
            self._reset()
        server = self._holder[0]
        if server is not None and server.proc.poll() is None:
            return server
        _stop_server(server)
        self._holder[0] = None
        server = self._start()
        self._holder[0] = server
        return server

    def _start(self) -> _Server:
        config = self.config
        interpreter = config.interpreter
        if not os.access(interpreter, os.X_OK):
            raise SandboxUnavailableError(f"interpreter {interpreter!r} is not executable")
        try:
            proc = subprocess.Popen(
                [interpreter, "-I", "-S", "-B", "-c", _BOOT.format(root=_RLVR_ROOT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={},
                cwd="/",
                close_fds=True,
                start_new_session=True,
                bufsize=0,
            )
        except OSError as exc:
            raise SandboxUnavailableError(f"cannot start the fork server ({interpreter}): {exc}") from exc
        server = _Server(proc, FrameReader(16 * config.max_output_bytes + (1 << 20)))
        init = {
            "slots": config.slots,
            "unsafe": config.unsafe,
            "uid": config.uid,
            "gid": config.gid,
            "max_processes": config.max_processes,
            "tmpfs_mb": config.tmpfs_mb,
            "max_file_mb": config.max_file_mb,
            "max_open_files": config.max_open_files,
            "max_output_bytes": config.max_output_bytes,
            "stderr_tail_bytes": config.stderr_tail_bytes,
            "setup_timeout": config.setup_timeout,
            "cpu_quota": config.cpu_quota,
            "network_per_sample": config.network_per_sample,
            "try_cgroups": True,
            "ro_paths": list(config.ro_paths),
            "max_frame": 1 << 30,
            "rlvr_root": _RLVR_ROOT,
        }
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(encode(init))
            message = self._await_frame(server, time.monotonic() + config.start_timeout)
        except (OSError, FrameError) as exc:
            message = {"op": "fatal", "error": f"fork server: {exc}"}
        if message is None or message.get("op") != "ready":
            error = (message or {}).get("error") or "no answer from the fork server"
            stderr = self._stderr_of(proc)
            _stop_server(server)
            logger.error("code sandbox unavailable: %s", error)
            raise SandboxUnavailableError(error + (f" (stderr: {stderr})" if stderr else ""))
        server.description = {k: v for k, v in message.items() if k != "op"}
        level = logging.WARNING if config.unsafe else logging.INFO
        logger.log(level, "code sandbox ready: %s; %s", message["isolation"], message["limits"])
        for note in message.get("notes") or []:
            logger.info("code sandbox: %s", note)
        return server

    @staticmethod
    def _stderr_of(proc: subprocess.Popen[bytes]) -> str:
        if proc.stderr is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            os.set_blocking(proc.stderr.fileno(), False)
            data = proc.stderr.read(4096) or b""
            return data.decode("utf-8", "replace").strip()[-1000:]
        return ""

    @staticmethod
    def _await_frame(server: _Server, deadline: float) -> dict[str, Any] | None:
        assert server.proc.stdout is not None
        fd = server.proc.stdout.fileno()
        while True:
            frames = server.reader.frames()
            if frames:
                return frames[0]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None
                server.reader.feed(chunk)

    # -- running jobs ----------------------------------------------------------------------------------

    def run(
        self,
        jobs: Sequence[Job],
        on_result: Callable[[int, RunResult], Sequence[Job]] | None = None,
    ) -> list[RunResult]:
        """Run ``jobs`` (at most ``workers`` at a time) and return one :class:`RunResult` per job.

        ``on_result(index, result)`` is called as each job ends and may return follow-up jobs, which are
        run too; their results are appended (indices continue after ``jobs``). A job the sandbox could
        not run gets a result with ``setup_error`` set — never a pass.

        Raises:
            SandboxUnavailableError: the fork server cannot start (namespaces refused, ...).
        """
        if self.config.unsafe:
            logger.warning(UNSAFE_WARNING)
        with self._lock:
            return self._run(list(jobs), on_result)

    def _run(
        self, jobs: list[Job], on_result: Callable[[int, RunResult], Sequence[Job]] | None
    ) -> list[RunResult]:
        results: list[RunResult | None] = [None] * len(jobs)
        pending = deque(range(len(jobs)))
        restarts = 0
        while pending:
            server = self._server()
            try:
                self._pump(server, jobs, results, pending, on_result)
            except BaseException as exc:
                if not isinstance(exc, _ServerLost):  # interrupted: answers in flight would come out of turn
                    _stop_server(server)
                    self._holder[0] = None
                    raise
                lost = exc
                _stop_server(server)
                self._holder[0] = None
                for index in lost.in_flight:
                    results[index] = RunResult.failed(f"fork server failed: {lost}")
                    if on_result is not None:
                        self._follow(jobs, results, pending, on_result, index)
                restarts += 1
                if restarts > _RESTARTS_PER_RUN:
                    while pending:
                        results[pending.popleft()] = RunResult.failed(f"fork server failed: {lost}")
        return [r if r is not None else RunResult.failed("not run") for r in results]

    @staticmethod
    def _follow(
        jobs: list[Job],
        results: list[RunResult | None],
        pending: deque[int],
        on_result: Callable[[int, RunResult], Sequence[Job]],
        index: int,
    ) -> None:
        result = results[index]
        assert result is not None
        for extra in on_result(index, result):
            jobs.append(extra)
            results.append(None)
            pending.append(len(jobs) - 1)

    def _pump(
        self,
        server: _Server,
        jobs: list[Job],
        results: list[RunResult | None],
        pending: deque[int],
        on_result: Callable[[int, RunResult], Sequence[Job]] | None,
    ) -> None:
        proc = server.proc
        assert proc.stdin is not None and proc.stdout is not None
        wfd, rfd = proc.stdin.fileno(), proc.stdout.fileno()
        os.set_blocking(wfd, False)
        os.set_blocking(rfd, False)
        outgoing = bytearray()
        in_flight: dict[int, float] = {}  # job index -> its longest possible run (setup + budget + slack)
        window = 3 * self.config.slots  # running, armed and queued: a slot never waits for this process
        last_news = time.monotonic()
        try:
            while pending or in_flight:
                while pending and len(in_flight) < window:
                    index = pending.popleft()
                    job = jobs[index]
                    outgoing += encode(job.message(index))
                    budget = job.budget if job.budget is not None else job.time_limit
                    in_flight[index] = self.config.setup_timeout + budget + _SLACK_SECONDS
                poller = select.poll()
                poller.register(rfd, select.POLLIN)
                if outgoing:
                    poller.register(wfd, select.POLLOUT)
                for fd, event in poller.poll(1000):
                    if fd == wfd and outgoing:
                        try:
                            written = os.write(wfd, outgoing)
                        except BlockingIOError:
                            written = 0
                        except OSError as exc:
                            raise _ServerLost(f"cannot write to it ({exc})", list(in_flight)) from None
                        del outgoing[:written]
                    elif fd == rfd:
                        try:
                            chunk = os.read(rfd, 1 << 20)
                        except BlockingIOError:
                            continue
                        if not chunk:
                            raise _ServerLost(f"it exited ({self._stderr_of(proc)[-300:]})", list(in_flight))
                        server.reader.feed(chunk)
                        last_news = time.monotonic()
                        try:
                            frames = server.reader.frames()
                        except FrameError as exc:
                            raise _ServerLost(str(exc), list(in_flight)) from None
                        for message in frames:
                            index = message.get("id")
                            if message.get("op") != "done" or index not in in_flight:
                                continue
                            del in_flight[index]
                            results[index] = RunResult.from_message(message)
                            if on_result is not None:
                                self._follow(jobs, results, pending, on_result, index)
                    elif event & (select.POLLERR | select.POLLHUP) and fd == wfd:
                        raise _ServerLost("its input closed", list(in_flight))
                # a working server answers within the longest run it may be busy with, twice (queued)
                if in_flight and time.monotonic() - last_news > 2 * max(in_flight.values()):
                    raise _ServerLost("no answer within the deadline", list(in_flight))
        finally:
            with contextlib.suppress(OSError):
                os.set_blocking(wfd, True)


class _ServerLost(Exception):
    def __init__(self, reason: str, in_flight: list[int]) -> None:
        super().__init__(reason)
        self.in_flight = in_flight
