"""The scorer's side of the code sandbox: a lazily started fork server, runs in, raw results out.

:class:`Sandbox` owns one fork server process (:mod:`rlvr.sandbox.server`), started on first use and
stopped by :meth:`Sandbox.close` (or when the object is collected, or this process exits). It runs up to
``workers`` samples at once — the CPU budget: each sample also gets at most one CPU where the cpu cgroup
controller is writable. A :class:`Job` is one run of a program: one stdin/stdout case, or function calls
from a given case on. Results are raw facts (:class:`rlvr.verifiers.code.runs.RunResult`); verdicts are
decided in this process, never in the sandbox (:mod:`rlvr.sandbox.programs`).

Isolation in force is logged at start and readable as :attr:`Sandbox.isolation`; what cannot be enforced
here (no root, no writable cgroup) is logged as a warning at start. Where the kernel refuses namespaces,
starting fails with :class:`SandboxUnavailableError` naming what is missing — unless ``unsafe=True``
(trusted code only: no namespaces, rlimits and a process group), which logs a warning on every use.

Example:
    >>> Job("call", "def f(x): return x", entry_point="f", calls=("[[1], {}]",)).request(7)["first_case"]
    0
    >>> with Sandbox(workers=1) as box:  # doctest: +SKIP
    ...     box.run([Job("stdio", "print(int(input()) * 2)", stdin="21")])[0].stdout
    b'42\\n'
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import select
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rlvr.framing import FrameError, FrameReader
from rlvr.processes import RLVR_ROOT, PerProcess, bootstrap_command
from rlvr.sandbox.config import SandboxConfig
from rlvr.sandbox.wire import RunReport, RunRequest, ServerSettings, WireError, decode, encode
from rlvr.verifiers.code.runs import RunResult

logger = logging.getLogger("rlvr.sandbox")

_SLACK_SECONDS = 5.0
_RESTARTS_PER_RUN = 2
_KILLED = {"timeout", "budget", "output", "memory", "setup", "shutdown"}
UNSAFE_WARNING = (
    "UNSAFE code sandbox in use: programs run WITHOUT namespaces, chroot or uid change (rlimits and a "
    "process group only). Only for trusted code: a hostile program can read and write your files, use the "
    "network and outlive the run."
)


class SandboxUnavailableError(RuntimeError):
    """The sandbox cannot isolate programs here; the message names what the kernel refused."""


@dataclass(frozen=True)
class Job:
    """One run of a program.

    ``mode="stdio"``: the program reads ``stdin`` (a Python ``program``, or a compiled ``binary``; with
    ``argv`` and ``files`` written into its ``/tmp`` first). ``mode="call"``: ``entry_point`` is called
    once per item of ``calls`` (each the JSON text of ``[args, kwargs]`` in plain-value form, see
    :mod:`rlvr.verifiers.code.values`), numbered from ``first_case``; the sandbox sends each one only when
    its case starts. ``mode="compile"``: ``program`` is C++ source, compiled inside the sandbox with
    ``g++ -O2 -std=c++17``; the binary comes back as ``stdout``, the compiler's first messages as stderr.
    ``time_limit`` applies per case; ``budget`` (default ``time_limit``) is the whole run's wall clock;
    ``output_limit`` overrides the sandbox's byte cap for this run; ``crash_status`` is the exit status
    of a Python program that dies of an uncaught exception (a checker program's: 3, testlib's FAIL);
    ``prelude`` is Python source run in the program's namespace before it (a dataset harness's imports).
    """

    mode: Literal["stdio", "call", "compile"]
    program: str
    stdin: str = ""
    entry_point: str | None = None
    calls: tuple[str, ...] = ()
    first_case: int = 0
    time_limit: float = 2.0
    budget: float | None = None
    memory_mb: int = 512
    binary: bytes | None = None
    argv: tuple[str, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)
    output_limit: int | None = None
    crash_status: int = 1
    prelude: str = ""

    @property
    def total_budget(self) -> float:
        return self.budget if self.budget is not None else self.time_limit

    def request(self, job_id: int) -> RunRequest:
        """The message that asks the fork server for this run."""
        return RunRequest(
            op="run",
            id=job_id,
            mode=self.mode,
            program=self.program,
            stdin=self.stdin,
            entry_point=self.entry_point,
            calls=list(self.calls),
            first_case=int(self.first_case),
            time_limit=float(self.time_limit),
            budget=float(self.total_budget),
            memory_mb=int(self.memory_mb),
            binary=None if self.binary is None else base64.b64encode(self.binary).decode("ascii"),
            argv=list(self.argv),
            files=dict(self.files),
            output_limit=self.output_limit,
            crash_status=int(self.crash_status),
            prelude=self.prelude,
        )


def result_from_report(report: RunReport) -> RunResult:
    """The raw facts of a run, from the fork server's report.

    Example:
        >>> result_from_report({"stdout": "NDIK", "exit_code": 0}).stdout
        b'42\\n'
    """

    def raw(text: object) -> bytes:
        return base64.b64decode(text) if isinstance(text, str) and text else b""

    killed = report.get("killed")
    return RunResult(
        setup_error=report.get("setup_error"),
        exit_code=report.get("exit_code"),
        signal=report.get("signal"),
        killed=killed if killed in _KILLED else None,  # type: ignore[arg-type]
        oom=bool(report.get("oom")),
        nproc_hit=bool(report.get("nproc_hit")),
        cpu_s=report.get("cpu_s"),
        wall_s=float(report.get("wall_s") or 0.0),
        stdout=raw(report.get("stdout")),
        stderr_tail=raw(report.get("tail")).decode("utf-8", "replace"),
        first_case=int(report.get("first_case") or 0),
        records=tuple(raw(r) for r in report.get("records") or ()),
        case_walls=tuple(float(w) for w in report.get("case_walls") or ()),
        open_case_wall=float(report.get("open_case_wall") or 0.0),
        fatal=raw(report["fatal"]) if report.get("fatal") else None,
        ignored_records=int(report.get("ignored_records") or 0),
        timing={k: float(v) for k, v in (report.get("timing") or {}).items()},
    )


@dataclass
class _Server:
    proc: subprocess.Popen[bytes]
    reader: FrameReader
    description: dict[str, object] = field(default_factory=dict)


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


def _stop_held(holder: list[_Server | None]) -> None:
    if holder:
        _stop_server(holder[0])
        holder[0] = None


def _forget_held(holder: list[_Server | None]) -> None:
    """A forked child's copy of the parent's server: not ours to stop (its pipes close with us)."""
    holder[0] = None


class Sandbox:
    """Runs untrusted programs in isolated, resource-capped processes (see the module docstring).

    Thread-safe (one batch at a time), picklable (a copy carries only the configuration), a context
    manager; after ``os.fork`` the child starts its own fork server.
    """

    def __init__(self, config: SandboxConfig | None = None, **overrides: object) -> None:
        if config is None:
            config = SandboxConfig(**overrides)  # type: ignore[arg-type]
        elif overrides:
            raise TypeError("pass either a SandboxConfig or keyword settings, not both")
        self.config = config
        self._lock = threading.Lock()
        self._held: PerProcess[list[_Server | None]] = PerProcess(
            self, make=lambda: [None], release=_stop_held, forget=_forget_held
        )

    def __getstate__(self) -> dict[str, object]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["config"])  # type: ignore[misc]

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the fork server (its samples are killed, its cgroups removed). A later run starts anew."""
        with self._lock:
            self._held.reset()

    @property
    def server_pid(self) -> int | None:
        """The fork server's pid while it runs (for tests and diagnostics)."""
        server = self._held.get()[0]
        return server.proc.pid if server is not None and server.proc.poll() is None else None

    @property
    def isolation(self) -> dict[str, object]:
        """What isolation is in force (starts the fork server if needed).

        Raises:
            SandboxUnavailableError: the kernel refuses what the sandbox needs.
        """
        with self._lock:
            return dict(self._server().description)

    # -- the fork server -------------------------------------------------------------------------------

    def _server(self) -> _Server:
        holder = self._held.get()
        server = holder[0]
        if server is not None and server.proc.poll() is None:
            return server
        _stop_server(server)
        holder[0] = None
        server = self._start()
        holder[0] = server
        return server

    def _settings(self) -> ServerSettings:
        config = self.config
        return ServerSettings(
            slots=config.slots,
            unsafe=config.unsafe,
            uid=config.uid,
            gid=config.gid,
            max_processes=config.max_processes,
            tmpfs_mb=config.tmpfs_mb,
            max_file_mb=config.max_file_mb,
            max_open_files=config.max_open_files,
            max_output_bytes=config.max_output_bytes,
            stderr_tail_bytes=config.stderr_tail_bytes,
            setup_timeout=config.setup_timeout,
            cpu_quota=config.cpu_quota,
            network_per_sample=config.network_per_sample,
            seccomp=config.seccomp,
            ro_paths=list(config.ro_paths),
            max_frame=1 << 30,
            rlvr_root=RLVR_ROOT,
        )

    def _start(self) -> _Server:
        config = self.config
        interpreter = config.interpreter
        if not os.access(interpreter, os.X_OK):
            raise SandboxUnavailableError(f"interpreter {interpreter!r} is not executable")
        try:
            proc = subprocess.Popen(
                [interpreter, "-I", "-S", "-B", "-c", bootstrap_command("rlvr.sandbox.boot")],
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
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(encode(self._settings()))
            message = self._await_message(server, time.monotonic() + config.start_timeout)
        except (OSError, FrameError, WireError) as exc:
            message = {"op": "fatal", "error": f"fork server: {exc}"}
        if message is None or message.get("op") != "ready":
            error = str((message or {}).get("error") or "no answer from the fork server")
            stderr = self._stderr_of(proc)
            _stop_server(server)
            logger.error("code sandbox unavailable: %s", error)
            raise SandboxUnavailableError(error + (f" (stderr: {stderr})" if stderr else ""))
        server.description = {k: v for k, v in message.items() if k != "op"}
        level = logging.WARNING if config.unsafe else logging.INFO
        logger.log(level, "code sandbox ready: %s; %s", message["isolation"], message["limits"])
        for warning in message.get("warnings") or []:  # type: ignore[union-attr]
            logger.warning("code sandbox: %s", warning)
        for note in message.get("notes") or []:  # type: ignore[union-attr]
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
    def _await_message(server: _Server, deadline: float) -> dict[str, object] | None:
        assert server.proc.stdout is not None
        fd = server.proc.stdout.fileno()
        while True:
            bodies = server.reader.frames()
            if bodies:
                return decode(bodies[0])
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
        """Run ``jobs`` (at most ``workers`` at a time) and return one result per job.

        ``on_result(index, result)`` is called as each job ends and may return follow-up jobs, which are
        run too; their results are appended (indices continue after ``jobs``). It runs between reads of
        the fork server's pipe, so it must be cheap: decide what to run next, not judge. A job the sandbox
        could not run gets a result with ``setup_error`` set — never a pass.

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
                holder = self._held.get()
                _stop_server(server)
                holder[0] = None
                if not isinstance(exc, _ServerLost):  # interrupted: answers in flight would come out of turn
                    raise
                for index in exc.in_flight:
                    results[index] = RunResult.failed(f"fork server failed: {exc}")
                    if on_result is not None:
                        self._follow(jobs, results, pending, on_result, index)
                restarts += 1
                if restarts > _RESTARTS_PER_RUN:
                    while pending:
                        results[pending.popleft()] = RunResult.failed(f"fork server failed: {exc}")
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
                    outgoing += encode(job.request(index))
                    in_flight[index] = self.config.setup_timeout + job.total_budget + _SLACK_SECONDS
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
                            messages = [decode(body) for body in server.reader.frames()]
                        except (FrameError, WireError) as exc:
                            raise _ServerLost(str(exc), list(in_flight)) from None
                        for message in messages:
                            index = message.get("id")
                            if message.get("op") != "done" or index not in in_flight:
                                continue
                            del in_flight[index]  # type: ignore[arg-type]
                            results[index] = result_from_report(message)  # type: ignore[arg-type, index]
                            if on_result is not None:
                                self._follow(jobs, results, pending, on_result, index)  # type: ignore[arg-type]
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
