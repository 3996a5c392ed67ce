"""The fork server's event loop and scheduler: a warm interpreter that has one isolated sample per run.

:class:`rlvr.sandbox.client.Sandbox` starts it (:mod:`rlvr.sandbox.boot`) and talks to it in frames
(:mod:`rlvr.sandbox.wire`). At start it imports what programs commonly use, sets up isolation once
(:mod:`rlvr.sandbox.isolation`), creates three cgroup *cells* per worker slot (:mod:`rlvr.sandbox.cgroups`),
empties its own capability bounding set and sets ``no_new_privs`` (both pass to every sample), freezes its
objects for the garbage collector, forks one spawner per cell (:mod:`rlvr.sandbox.spawner`), which enters
the cell's cgroups, and probes the whole path once with a tiny program; anything missing is a fatal error
that names it.

Then, per run: a free cell's spawner clones a sample — the server's own child, by ``CLONE_PARENT``, born in
the cell's cgroups — straight into its namespaces, pid 1 of its own pid namespace. The sample prepares
itself (:mod:`rlvr.sandbox.child`) *before* a job needs it; a queued run is sent to a prepared sample,
which sets itself up for it (*armed*) and waits for one byte; when fewer than ``slots`` programs run, the
server sends that byte (*go*). Each sample's phases and clocks are :class:`rlvr.sandbox.sample.Sample`'s
business; the server acts on them: past a deadline, SIGKILL to pid 1 ends the whole pid namespace. In
function-call mode the server sends each case's arguments when that case starts and accepts a record
only for the case that is running (a record is framed; the server reads its index, never its content).
It reads every output with byte caps, reaps, checks the cell is empty and reports raw facts.

The loop never blocks on a peer: what it sends (to the scorer, to a sample's job socket) waits in a
buffer until the descriptor takes it, so a slow scorer or a program that never reads its arguments
cannot stop the clocks. It also holds each sample's mount namespace past its exit and hands the reference
to the cell's next sample to drop, so the RCU wait of a mount-namespace teardown falls on a sample still
preparing, not on a slot.

Example:
    >>> Cell(index=3).busy
    False
"""

from __future__ import annotations

import base64
import contextlib
import gc
import os
import resource
import select
import shutil
import signal
import socket
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field

from rlvr.framing import FrameError, FrameReader
from rlvr.sandbox import isolation, linux, seccomp, watchdog
from rlvr.sandbox.cgroups import SlotGroups, setup_slot_groups
from rlvr.sandbox.child import SampleSettings, child_main, cpu_seconds, lock_down_server
from rlvr.sandbox.sample import STREAMS, Phase, RecordVerdict, Sample
from rlvr.sandbox.spawner import Spawner
from rlvr.sandbox.wire import (
    GO,
    RunReport,
    RunRequest,
    SampleJob,
    ServerReady,
    ServerSettings,
    WireError,
    decode,
    encode,
    indexed,
    split_indexed,
)

PRELOAD = (
    "array", "bisect", "collections", "copy", "dataclasses", "datetime", "decimal", "enum", "fractions",
    "functools", "heapq", "itertools", "json", "math", "operator", "random", "re", "statistics", "string",
    "typing", "atexit",
)  # fmt: skip
_READ_CHUNK = 1 << 16
RESIDENT_ALLOWANCE = 8 << 20  # added to a cell's memory cap for its spawner
_DRAIN_SECONDS = 0.5
_FAILURES_BEFORE_GIVING_UP = 3
_PROBE_ID = -1


@dataclass
class Cell:
    """A cgroup cell (or, without cgroups, just a token): one sample at a time lives in it."""

    index: int
    busy: bool = False
    net_fd: int = -1  # this cell's own empty network namespace (root only), entered by each of its samples
    spawner: Spawner | None = None  # clones this cell's samples, from inside the cell's cgroups
    awaiting: _Handle | None = None  # asked of the spawner, pid not known yet
    retired: list[int] = field(default_factory=list)  # its last sample's mount namespace, held (see _spawn)


@dataclass(eq=False)
class _Handle:
    """A sample's state and the server's descriptors for it."""

    state: Sample
    cell: Cell
    pidfd: int = -1
    job_fd: int = -1
    streams: dict[int, str] = field(default_factory=dict)  # read end -> stream name
    data: dict[str, bytearray] = field(default_factory=lambda: {name: bytearray() for name in STREAMS})
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STREAMS, 0))
    outbox: bytearray = field(default_factory=bytearray)  # to its job socket
    tmpdir: str | None = None  # unsafe mode only
    mount_ns_fd: int = -1  # holds its mount namespace past its exit (see ForkServer._spawn)


class ForkServer:
    """The server: configuration, the cells, the samples and the run queue."""

    def __init__(self, config: ServerSettings, in_fd: int, out_fd: int) -> None:
        self.config = config
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.slots = int(config["slots"])
        self.unsafe = bool(config["unsafe"])
        self.privileged = os.geteuid() == 0
        self.uid = config["uid"] if self.privileged else 65534
        self.gid = config["gid"] if self.privileged else 65534
        self.setup = isolation.Isolation()
        self.groups: SlotGroups | None = None
        self.cells = [Cell(i) for i in range(3 * self.slots)]  # running, armed, preparing
        self.queue: deque[RunRequest] = deque()
        self.samples: set[_Handle] = set()
        self.exited: set[_Handle] = set()  # reaped, outputs draining
        self.prepared: deque[_Handle] = deque()
        self.armed: deque[_Handle] = deque()  # has its job, waits to be told to run it
        self.poller = select.poll()
        self.by_fd: dict[int, _Handle] = {}
        self.writing: set[int] = set()  # descriptors registered for POLLOUT
        self.reader = FrameReader(config["max_frame"])
        self.outbox = bytearray()  # to the scorer
        self.settings: SampleSettings | None = None
        self.counters: dict[int, tuple[int, int]] = {}  # cell -> (OOM kills, process-cap hits) so far
        self.failures = 0
        self.last_failure = ""
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.probe_report: RunReport | None = None
        self.cgroup_name = ""
        self.spawner_cells: dict[int, Cell] = {}  # a spawner's socket -> its cell
        self.filter: seccomp.Filter | None = None
        self.compiler = shutil.which("g++", path="/usr/bin:/bin")  # inside the read-only root too
        self.process_cap = int(config["max_processes"])  # per sample (lowered where NPROC is shared)
        self.watch_memory = False  # no memory cgroup: the watchdog reads the samples' memory
        self.next_watch = 0.0
        self.dirty = True  # something the scheduler acts on changed (a run came, a sample is ready or gone)

    # -- start -------------------------------------------------------------------------------------------

    def start(self) -> ServerReady:
        """Prepare isolation and probe it once; returns the description sent as "ready"."""
        _raise_descriptor_limit()  # some 20 descriptors per worker slot (cells, spawners, samples' pipes)
        for name in PRELOAD:
            with contextlib.suppress(ImportError):
                __import__(name)
        host = isolation.host_counts()  # before any user namespace of ours hides the host's limits
        in_use = 0 if self.privileged else isolation.user_processes(os.getuid())
        self.cgroup_name = f"rlvr-sandbox-{os.getppid()}-{os.getpid()}-{os.urandom(3).hex()}"
        self.groups, why = setup_slot_groups(
            self.cgroup_name,
            len(self.cells),
            self.config["max_processes"],
            self.config["cpu_quota"],
            residents=0 if self._forks_itself() else 1,  # each cell's spawner
        )
        if self.groups is None:
            self.notes.append(f"no writable cgroups ({why})")
        if not self.unsafe:
            self._isolate()
            if self.config["seccomp"]:
                if not seccomp.supported():
                    raise RuntimeError(f"no seccomp filter for this machine ({os.uname().machine})")
                self.filter = seccomp.Filter()
            else:
                self.warnings.append("the seccomp filter is switched off (seccomp=False)")
            if self.groups is None:
                self.watch_memory = True
                self.warnings.append(isolation.MEMORY_WARNING)
                share = None if self.privileged else isolation.process_share(len(self.cells), in_use)
                if share is not None and share < self.process_cap:
                    self.process_cap = max(1, share)
                    self.warnings.append(
                        f"samples' processes count against this user's RLIMIT_NPROC ({in_use} in use): each "
                        f"sample may have {self.process_cap} processes (max_processes="
                        f"{self.config['max_processes']}) so that all cells together leave the scorer half "
                        "of what is left; raise the limit (ulimit -u) for more"
                    )
        self.settings = SampleSettings(
            unsafe=self.unsafe,
            privileged=self.privileged,
            uid=self.uid,
            gid=self.gid,
            outside_uid=os.geteuid(),
            outside_gid=os.getegid(),
            staging=self.setup.staging,
            tmpfs_mb=self.config["tmpfs_mb"],
            max_file_mb=self.config["max_file_mb"],
            max_open_files=self.config["max_open_files"],
            max_processes=self.process_cap,
            nproc_limit=self.groups is None,
            base_vm=_vm_size_bytes(),
            last_cap=linux.last_capability(),
            namespace_limits=() if self.privileged else isolation.namespace_limits(len(self.cells), host),
            seccomp=self.filter,
        )
        if not self.unsafe:
            lock_down_server(self.settings)
        gc.collect()
        gc.freeze()  # samples never scan (nor copy-on-write touch) the server's own objects
        if self._forks_itself():
            self.notes.append("no spawners: samples are forked by the fork server itself")
        else:
            self._start_spawners()
        problem = self._probe()
        if problem is not None:
            raise RuntimeError(problem)
        return self.describe()

    def _isolate(self) -> None:
        ids = [
            (self.uid + cell.index, self.gid + cell.index) if self.privileged else (self.uid, self.gid)
            for cell in self.cells
        ]
        self.setup.staging = isolation.enter_own_namespaces(self.privileged, self.config["ro_paths"], ids)
        self.setup.flags = isolation.sample_flags(self.privileged)
        if self.privileged and not self.config["network_per_sample"]:
            networks, why = isolation.cell_networks(len(self.cells))
            if why is not None:
                self.notes.append(f"a new network namespace per sample (no reusable ones per cell: {why})")
            else:
                for cell, fd in zip(self.cells, networks, strict=True):
                    cell.net_fd = fd
                self.setup.flags &= ~linux.CLONE_NEWNET

    def _forks_itself(self) -> bool:
        """Only in unsafe mode on a machine whose ``clone`` is unknown: then no spawners (no CLONE_PARENT)."""
        return self.unsafe and not linux.clone_supported()

    def _start_spawners(self) -> None:
        """One spawner per cell, inside the cell's cgroups (its samples are born there)."""
        for cell in self.cells:
            others = [c.spawner.fileno() for c in self.cells if c.spawner is not None]
            procs = tuple(self.groups.procs_files(cell.index)) if self.groups is not None else ()
            cell.spawner = Spawner(
                self._clone,
                close_in_spawner=(self.in_fd, self.out_fd, *others),
                cgroup_procs=procs,
                protect_from_oom=self.privileged and not self.unsafe,
                start_timeout=self.config["setup_timeout"],
            )
            if self.groups is not None:
                self.groups.residents[cell.index] = cell.spawner.pid
            self.spawner_cells[cell.spawner.fileno()] = cell
            self.poller.register(cell.spawner.fileno(), select.POLLIN)

    def _probe(self) -> str | None:
        self.queue.append(
            RunRequest(
                op="run",
                id=_PROBE_ID,
                mode="stdio",
                program="print(1)",
                stdin="",
                entry_point=None,
                calls=[],
                first_case=0,
                time_limit=10.0,
                budget=10.0,
                memory_mb=256,
                binary=None,
                argv=[],
                files={},
                output_limit=None,
                crash_status=1,
                prelude="",
            )
        )
        deadline = time.monotonic() + self.config["setup_timeout"] + 15
        while self.probe_report is None and time.monotonic() < deadline:
            self._step()
        report = self.probe_report
        if report is None:
            return "the sandbox probe did not finish"
        if report["setup_error"]:
            return str(report["setup_error"])
        if report["exit_code"] != 0 or base64.b64decode(report["stdout"]).strip() != b"1":
            tail = base64.b64decode(report["tail"]).decode("utf-8", "replace")
            return f"the sandbox probe failed (exit {report['exit_code']}, signal {report['signal']}): {tail}"
        return None

    def describe(self) -> ServerReady:
        if self.unsafe:
            isolation_text = (
                "UNSAFE: no namespaces, no chroot, no uid change (rlimits and a process group only)"
            )
        else:
            if self.privileged:
                who = f"uids {self.uid}-{self.uid + len(self.cells) - 1} (one per cell)"
            else:
                who = f"uid {self.uid} in a user namespace of its own"
            shared_net = any(cell.net_fd >= 0 for cell in self.cells)
            network = "; net: an empty one per cell, its samples one at a time" if shared_net else ""
            isolation_text = (
                f"namespaces {linux.namespace_names(self.setup.flags)} per sample{network}; read-only "
                f"chroot; private tmpfs /tmp ({self.config['tmpfs_mb']} MB); {who}, no capabilities, "
                "no_new_privs; a new empty session keyring; empty environment"
            )
            if self.filter is not None:
                isolation_text += f"; seccomp filter ({self.filter.instructions} instructions)"
        if self.groups is not None:
            spawner = (
                f" (+{RESIDENT_ALLOWANCE >> 20} MB for the cell's spawner)" if self.groups.residents else ""
            )
            limits = (
                f"{self.groups.description}: pids.max={self.config['max_processes']}, "
                f"memory cap per sample{spawner}"
            )
            if "cpu" in self.groups.bases:
                limits += ", one CPU per sample"
        else:
            limits = (
                f"no cgroups: RLIMIT_NPROC={self.process_cap} per sample; memory: RLIMIT_AS per process "
                f"and a watchdog every {watchdog.INTERVAL * 1000:g} ms across a sample's processes"
            )
        assert self.settings is not None
        return ServerReady(
            op="ready",
            isolation=isolation_text,
            limits=limits,
            cgroup_name=self.cgroup_name if self.groups is not None else None,
            privileged=self.privileged,
            cgroups=None if self.groups is None else self.groups.version,
            spawner_pids=[c.spawner.pid for c in self.cells if c.spawner is not None],
            sample_uids=sorted({self.settings.ids(cell.index)[0] for cell in self.cells}),
            seccomp=None if self.filter is None else f"{self.filter.instructions} instructions",
            warnings=self.warnings,
            notes=self.notes,
        )

    # -- the loop ----------------------------------------------------------------------------------------

    def send(self, message: RunReport | ServerReady | dict[str, object]) -> None:
        """Queue a message for the scorer; it leaves as the pipe takes it (never blocks the loop)."""
        self.outbox += encode(message)
        self._flush_outbox()

    def _flush_outbox(self) -> None:
        if self.outbox:
            with contextlib.suppress(BlockingIOError, InterruptedError):
                del self.outbox[: os.write(self.out_fd, self.outbox)]
        self._want_write(self.out_fd, bool(self.outbox))

    def flush_blocking(self, timeout: float) -> None:
        """At the end: give the scorer what is still queued, for at most ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while self.outbox and time.monotonic() < end:
            with contextlib.suppress(OSError):
                select.select([], [self.out_fd], [], max(0.0, end - time.monotonic()))
            try:
                self._flush_outbox()
            except OSError:
                return

    def _want_write(self, fd: int, wanted: bool) -> None:
        """Watch ``fd`` (the scorer's pipe, or a job socket; neither is ever read here) for room to write."""
        if wanted and fd not in self.writing:
            self.writing.add(fd)
            self.poller.register(fd, select.POLLOUT)
        elif not wanted and fd in self.writing:
            self.writing.discard(fd)
            self.poller.unregister(fd)

    def loop(self) -> None:
        os.set_blocking(self.in_fd, False)
        os.set_blocking(self.out_fd, False)
        self.poller.register(self.in_fd, select.POLLIN)
        self._flush_outbox()
        while self._step():
            pass

    def _step(self) -> bool:
        self._schedule()
        now = time.monotonic()
        deadlines = [h.state.deadline for h in self.samples]
        deadlines += [
            h.state.exited_at + _DRAIN_SECONDS for h in self.samples if h.state.exited_at is not None
        ]
        if self.watch_memory and any(h.state.phase is Phase.RUNNING for h in self.samples):
            deadlines.append(self.next_watch)
        soonest = min(deadlines, default=now + 1.0)
        wait_ms = 1000 if soonest - now >= 1.0 else max(0, int((soonest - now) * 1000) + 1)
        for fd, events in self.poller.poll(wait_ms):
            if fd == self.in_fd:
                if not self._read_requests():
                    return False
                continue
            if fd == self.out_fd:
                self._flush_outbox()
                continue
            cell = self.spawner_cells.get(fd)
            if cell is not None:
                if not self._spawner_replies(cell):
                    raise RuntimeError(f"the spawner of cell {cell.index} died")
                continue
            handle = self.by_fd.get(fd)
            if handle is None:
                continue
            if fd == handle.pidfd:
                self._reap(handle)
            elif fd == handle.job_fd:
                self._write_job(handle)
            elif events & (select.POLLIN | select.POLLHUP | select.POLLERR):
                self._read_stream(handle, fd)
        self._schedule()  # a slot a sample just left goes to the next one before any bookkeeping
        now = time.monotonic()
        if self.watch_memory and now >= self.next_watch:
            self._watch_memory(now)
        if now >= soonest:  # every deadline due now existed before the poll, so none is due before it
            for handle in list(self.samples):
                why = handle.state.overdue(now)
                if why is not None:
                    self._kill(handle, why, now)
        for handle in list(self.exited):
            if self._drained(handle, now):
                self.exited.discard(handle)
                self._finish(handle)
        return True

    def _watch_memory(self, now: float) -> None:
        """Without a memory cgroup: kill a running sample whose processes together pass its memory limit
        (one process alone is held by its address-space limit; see :mod:`rlvr.sandbox.watchdog`)."""
        self.next_watch = now + watchdog.INTERVAL
        for handle in list(self.samples):
            state = handle.state
            if (
                state.phase is not Phase.RUNNING
                or state.killed is not None
                or state.finished
                or not state.pid
            ):
                continue
            pids = watchdog.tree_pids(state.pid)
            if len(pids) < 2:
                continue
            assert state.run is not None
            if sum(watchdog.anonymous_bytes(pid) for pid in pids) > int(state.run["memory_mb"]) << 20:
                self._kill(handle, "memory", now)

    def _read_requests(self) -> bool:
        while True:
            try:
                chunk = os.read(self.in_fd, _READ_CHUNK)
            except BlockingIOError:
                break
            if not chunk:
                return False  # the scorer is gone
            self.reader.feed(chunk)
        for body in self.reader.frames():
            message = decode(body)
            if message.get("op") == "run":
                self.queue.append(message)  # type: ignore[arg-type]
                self.dirty = True
            elif message.get("op") == "close":
                return False
        return True

    def _schedule(self) -> None:
        """Arm prepared samples with queued runs, start armed ones while fewer than ``slots`` run, and keep
        up to ``slots`` samples prepared or preparing.

        An armed sample has its job and has set itself up for it, then waits for one byte: when a running
        sample ends, the next one starts after a single write instead of a whole hand-over. Nothing to do
        unless something it acts on changed (most wake-ups are a record or an output chunk).
        """
        if not self.dirty:
            return
        self.dirty = False
        while self.queue and self.prepared:
            handle = self.prepared.popleft()
            if handle.state.phase is Phase.PREPARED:
                self._arm(handle, self.queue.popleft())
        # a reaped sample holds no slot: pid 1 of its pid namespace is gone, so is every process in it
        running = sum(1 for h in self.samples if h.state.holds_slot)
        while self.armed and running < self.slots:
            handle = self.armed.popleft()
            if handle.state.phase is Phase.ARMED:
                self._go(handle)
                running += 1
        waiting = sum(1 for h in self.samples if h.state.phase in (Phase.SPAWNING, Phase.PREPARED))
        while waiting < self.slots and (self.queue or waiting < 1 or len(self.prepared) < self.slots):
            cell = next((c for c in self.cells if not c.busy), None)
            if cell is None or self.failures >= _FAILURES_BEFORE_GIVING_UP:
                break
            self._spawn(cell)
            waiting += 1
        if self.failures >= _FAILURES_BEFORE_GIVING_UP:
            while self.queue:  # samples cannot be made: every waiting run is a sandbox error
                self._report_failure(self.queue.popleft(), self.last_failure)
            self.failures = 0

    # -- one sample --------------------------------------------------------------------------------------

    def _spawn(self, cell: Cell) -> None:
        """Start a sample in ``cell``: through the spawner (its pid comes later), or by forking here."""
        pipes = {name: os.pipe() for name in STREAMS}
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        handle = _Handle(Sample(cell.index, time.monotonic(), self.config["setup_timeout"]), cell)
        if self.unsafe:
            handle.tmpdir = tempfile.mkdtemp(prefix="rlvr-unsafe-")
        cell.busy = True
        fds = {name: w for name, (_r, w) in pipes.items()} | {"job": theirs.fileno()}
        pid, error = 0, ""
        if cell.spawner is not None:
            try:
                cell.spawner.request(cell.index, fds, cell.retired, handle.tmpdir)
            except OSError as exc:
                error = f"the spawner is gone ({exc})"
        else:
            try:
                pid = os.fork()
            except OSError as exc:
                error = str(exc)
            if pid == 0 and not error:  # pragma: no cover - the sample
                child_main(self._settings(), cell.index, fds, self._procs(cell), handle.tmpdir)
        self._release_mount_namespaces(cell)  # the new sample holds them now, and lets them go
        theirs.close()
        for _r, w in pipes.values():
            os.close(w)
        handle.job_fd = ours.detach()
        os.set_blocking(handle.job_fd, False)
        self.by_fd[handle.job_fd] = handle
        for name, (r, _w) in pipes.items():
            os.set_blocking(r, False)
            handle.streams[r] = name
            self.by_fd[r] = handle
            self.poller.register(r, select.POLLIN)
        self.samples.add(handle)
        if error:
            self._abandon(handle, error)
        elif pid:
            self._attach(handle, pid)
        else:
            cell.awaiting = handle

    def _settings(self) -> SampleSettings:
        assert self.settings is not None
        return self.settings

    def _procs(self, cell: Cell) -> tuple[str, ...]:
        return tuple(self.groups.procs_files(cell.index)) if self.groups is not None else ()

    def _clone(self, cell_index: int, fds: dict[str, int], tmpdir: str | None) -> int:
        """Runs in the cell's spawner: clone one sample (the fork server's, by ``CLONE_PARENT``), born in the
        cell's cgroups."""
        cell = self.cells[cell_index]
        try:
            pid = linux.clone_process(self.setup.flags | linux.CLONE_PARENT)
        except OSError as exc:
            raise RuntimeError(isolation.namespace_advice(exc, self.setup.flags, self.privileged)) from None
        if pid == 0:  # pragma: no cover - the sample
            if cell.net_fd >= 0:
                fds = {**fds, "net": cell.net_fd}
            child_main(self._settings(), cell_index, fds, (), tmpdir)
        return pid

    def _spawner_replies(self, cell: Cell) -> bool:
        """Give the cell's waiting sample the spawner's answer; False when the spawner is gone."""
        assert cell.spawner is not None
        self.dirty = True
        replies = cell.spawner.replies()
        for reply in replies or []:
            handle, cell.awaiting = cell.awaiting, None
            if handle is None:
                break
            if isinstance(reply.get("pid"), int) and reply["pid"] > 0:
                self._attach(handle, reply["pid"])
            else:
                self._abandon(handle, str(reply.get("error") or "the spawner could not clone a sample"))
        return replies is not None

    def _attach(self, handle: _Handle, pid: int) -> None:
        """The sample's pid is known: watch its exit, hold its mount namespace, apply a kill already due."""
        self.dirty = True
        state = handle.state
        state.pid = pid
        handle.pidfd = os.pidfd_open(pid)
        self.by_fd[handle.pidfd] = handle
        self.poller.register(handle.pidfd, select.POLLIN)
        if not self.unsafe:
            with contextlib.suppress(OSError):
                handle.mount_ns_fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        if state.killed is not None:
            self._kill(handle, state.killed, time.monotonic())
        elif state.phase is Phase.PREPARED:
            self.prepared.append(handle)  # it said "ready" before its pid came

    def _abandon(self, handle: _Handle, reason: str) -> None:
        """A sample that was never made: free its descriptors and cell, count the failure."""
        self.dirty = True
        for fd in list(handle.streams):
            self._close_stream(handle, fd)
        self._close_job(handle)
        if handle.tmpdir:
            shutil.rmtree(handle.tmpdir, ignore_errors=True)
        self.samples.discard(handle)
        handle.cell.busy = False
        self._failed(reason)

    @staticmethod
    def _release_mount_namespaces(cell: Cell) -> None:
        """Close the server's references to the cell's last sample's mount namespace.

        Tearing a mount namespace down waits for an RCU grace period. A sample's own exit would pay that
        wait while its slot counts as busy, so the server holds a reference to each sample's mount
        namespace and passes it with the request for the *same cell's* next sample; the spawner closes its
        copy before it answers with the pid, the server closes its own here, and the sample drops the last
        one while it prepares, ahead of need. So the dead sample's tmpfs, charged to the cell's memory
        cgroup, is gone before the cell's next sample can be armed: it never counts against that sample.
        """
        while cell.retired:
            with contextlib.suppress(OSError):
                os.close(cell.retired.pop())

    def _failed(self, reason: str) -> None:
        self.failures += 1
        self.last_failure = reason
        self.dirty = True

    def _arm(self, handle: _Handle, run: RunRequest) -> None:
        """Give a prepared sample its job; it sets itself up for it and waits for :meth:`_go`."""
        if self.groups is not None:  # the cell's spawner lives there too (some 2 MB are charged to it)
            self.groups.set_memory(handle.cell.index, (int(run["memory_mb"]) << 20) + RESIDENT_ALLOWANCE)
        handle.state.arm(run, time.monotonic(), self._output_cap(run))
        self.armed.append(handle)
        job = SampleJob(
            mode=run["mode"],
            program=run["program"],
            stdin=run["stdin"],
            entry_point=run["entry_point"],
            memory_mb=run["memory_mb"],
            cpu_seconds=cpu_seconds(run["budget"]),
            binary=run.get("binary"),
            argv=list(run.get("argv") or ()),
            files=dict(run.get("files") or {}),
            compiler=self.compiler,
            crash_status=int(run.get("crash_status") or 1),
            prelude=str(run.get("prelude") or ""),
        )
        self._queue_job_bytes(handle, encode(job))

    def _output_cap(self, run: RunRequest | None) -> int:
        """The byte cap of a run's outputs: its own, or the sandbox's."""
        limit = run.get("output_limit") if run is not None else None
        return int(limit) if isinstance(limit, int) and limit > 0 else int(self.config["max_output_bytes"])

    def _go(self, handle: _Handle) -> None:
        """Start an armed sample's program: from now on it holds a slot and its clocks run."""
        handle.state.go(time.monotonic())
        data = GO
        run = handle.state.run
        if run is not None and run["mode"] == "call" and run["calls"]:
            data += indexed(run["first_case"], run["calls"][0].encode("utf-8"))
        self._queue_job_bytes(handle, data)

    def _queue_job_bytes(self, handle: _Handle, data: bytes) -> None:
        handle.outbox += data
        self._write_job(handle)

    def _write_job(self, handle: _Handle) -> None:
        """Send what is queued for the sample's job socket, as far as it takes it now."""
        if handle.job_fd < 0:
            handle.outbox.clear()
            return
        if handle.outbox:
            try:
                del handle.outbox[: os.write(handle.job_fd, handle.outbox)]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:  # it died while waiting: its run becomes a sandbox error, or it ended
                handle.outbox.clear()
        self._want_write(handle.job_fd, bool(handle.outbox))

    def _read_stream(self, handle: _Handle, fd: int) -> None:
        name = handle.streams[fd]
        state = handle.state
        cap = self._output_cap(state.run)
        try:
            chunk = os.read(fd, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        now = time.monotonic()
        if not chunk:
            self._close_stream(handle, fd)
            if (
                name == "ctl"
                and state.phase in (Phase.SPAWNING, Phase.STARTING)
                and state.setup_error is None
            ):
                state.setup_error = (
                    self._ctl_error(handle) or "the sample process died while isolating itself"
                )
                self._kill(handle, "setup", now)
            return
        handle.totals[name] += len(chunk)
        if name == "ctl":
            handle.data["ctl"] += chunk
            self._control(handle, now)
        elif name == "err":
            tail = handle.data["err"]
            tail += chunk
            del tail[: max(0, len(tail) - self.config["stderr_tail_bytes"])]
            if handle.totals["err"] > 16 * cap:
                self._kill(handle, "output", now)
        elif name == "out":
            handle.data["out"] += chunk
            if handle.totals["out"] > cap:
                del handle.data["out"][cap:]
                self._kill(handle, "output", now)
        else:
            self._records(handle, chunk, now)

    def _records(self, handle: _Handle, chunk: bytes, now: float) -> None:
        """Bytes on the result pipe: only complete records count, and only for the running case."""
        state = handle.state
        if handle.totals["res"] > self._output_cap(state.run):
            self._kill(handle, "output", now)
            return
        if state.record_reader is None:  # a stdin/stdout run has no results channel to speak on
            return
        state.record_reader.feed(chunk)
        try:
            bodies = state.record_reader.frames()
        except FrameError:
            self._kill(handle, "output", now)  # a record larger than the cap
            return
        for body in bodies:
            try:
                index, payload = split_indexed(body)
            except WireError:
                state.ignored_records += 1
                continue
            verdict = state.record(index, payload, now)
            if verdict is RecordVerdict.NEXT:
                run = state.run
                assert run is not None
                call = run["calls"][state.running_case - run["first_case"]]
                self._queue_job_bytes(handle, indexed(state.running_case, call.encode("utf-8")))
            elif verdict is RecordVerdict.FINISHED:
                self._signal(handle)  # every answer is in: nothing it does from now on counts
            elif verdict is RecordVerdict.LATE:
                self._kill(handle, state.overdue(now) or "timeout", now)

    def _ctl_error(self, handle: _Handle) -> str | None:
        for line in bytes(handle.data["ctl"]).split(b"\n"):
            if line.startswith(b"E"):
                return line[1:].decode("utf-8", "replace")[:500]
        return None

    def _control(self, handle: _Handle, now: float) -> None:
        lines = bytes(handle.data["ctl"]).split(b"\n")
        state = handle.state
        if b"R" in lines and state.phase is Phase.SPAWNING:
            state.said_ready(now)
            self.failures = 0
            self.dirty = True
            if state.pid:  # otherwise when its pid comes (_attach)
                self.prepared.append(handle)
        if b"K" in lines and state.phase is Phase.STARTING:
            state.started(now)
        error = self._ctl_error(handle)
        if (
            error
            and state.setup_error is None
            and state.phase in (Phase.SPAWNING, Phase.PREPARED, Phase.ARMED, Phase.STARTING)
        ):
            state.setup_error = error

    def _kill(self, handle: _Handle, why: str, now: float) -> None:
        state = handle.state
        if state.phase is Phase.EXITED:
            return
        if why == "setup" and state.setup_error is None:
            state.setup_error = f"isolating the sample took over {self.config['setup_timeout']:g} s"
        state.stop(why, now)
        self._signal(handle)

    def _signal(self, handle: _Handle) -> None:
        """SIGKILL the sample (pid 1 of its namespace: the whole namespace goes)."""
        state = handle.state
        if state.phase is Phase.EXITED or not state.pid:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.unsafe:
                os.killpg(state.pid, signal.SIGKILL)
            else:
                os.kill(state.pid, signal.SIGKILL)

    def _reap(self, handle: _Handle) -> None:
        state = handle.state
        try:
            pid, status, rusage = os.wait4(state.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status, rusage = state.pid, None, None
        if pid == 0:
            return
        self.dirty = True
        self.exited.add(handle)
        now = time.monotonic()
        was = state.phase
        state.exited(now, status, (rusage.ru_utime + rusage.ru_stime) if rusage else None)
        if self.unsafe:  # its process group goes too (escaped sessions remain: this mode is unsafe)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(state.pid, signal.SIGKILL)
        self.poller.unregister(handle.pidfd)
        del self.by_fd[handle.pidfd]
        os.close(handle.pidfd)
        handle.pidfd = -1
        self._close_job(handle)
        if handle in self.armed:
            self.armed.remove(handle)
        if handle in self.prepared:
            self.prepared.remove(handle)
        if was is Phase.SPAWNING:
            self._failed(
                self._ctl_error(handle) or f"a sample process died while isolating itself ({status})"
            )

    def _close_job(self, handle: _Handle) -> None:
        if handle.job_fd >= 0:
            self._want_write(handle.job_fd, False)
            self.by_fd.pop(handle.job_fd, None)
            with contextlib.suppress(OSError):
                os.close(handle.job_fd)
            handle.job_fd = -1
            handle.outbox.clear()

    def _drained(self, handle: _Handle, now: float) -> bool:
        exited = handle.state.exited_at
        if exited is None:
            return False
        if handle.streams and now < exited + _DRAIN_SECONDS:
            return False
        for fd in list(handle.streams):  # drain what is there, then stop listening
            with contextlib.suppress(OSError):
                self._read_stream(handle, fd)
            if fd in handle.streams:
                self._close_stream(handle, fd)
        return True

    def _close_stream(self, handle: _Handle, fd: int) -> None:
        if fd in handle.streams:
            self.poller.unregister(fd)
            del self.by_fd[fd]
            del handle.streams[fd]
            os.close(fd)

    def _finish(self, handle: _Handle) -> None:
        self.dirty = True
        self.samples.discard(handle)
        if handle.mount_ns_fd >= 0:
            handle.cell.retired.append(handle.mount_ns_fd)
        if handle.tmpdir:
            shutil.rmtree(handle.tmpdir, ignore_errors=True)
        state = handle.state
        if state.run is not None:
            if state.ready_at is None and state.setup_error is None:
                state.setup_error = (
                    self._ctl_error(handle) or "the sample process died while isolating itself"
                )
            self._report(handle)
        if self.groups is not None and not self.groups.empty_slot(handle.cell.index):
            self.notes.append(f"cell {handle.cell.index} could not be emptied: retired")
            return
        handle.cell.busy = False

    def _report_failure(self, run: RunRequest, reason: str) -> None:
        self._deliver(run["id"], _report(run, setup_error=reason))

    def _deliver(self, run_id: int, report: RunReport) -> None:
        if run_id == _PROBE_ID:
            self.probe_report = report
        else:
            self.send(report)

    def _report(self, handle: _Handle) -> None:
        state = handle.state
        run = state.run
        assert run is not None
        status = state.status
        now = time.monotonic()
        oom = nproc = False
        if self.groups is not None:
            index = handle.cell.index
            before = self.counters.get(index, (0, 0))
            after = (self.groups.oom_kills(index), self.groups.process_cap_hits(index))
            self.counters[index] = after
            oom, nproc = after[0] > before[0], after[1] > before[1]
        started = state.ready_at or state.go_at or state.armed_at or now
        ended = state.ended_at or state.exited_at or now
        report = _report(
            run,
            setup_error=state.setup_error,
            exit_code=os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None,
            signal=os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None,
            killed=None if state.finished else state.killed,
            oom=oom,
            nproc_hit=nproc,
            cpu_s=state.cpu_s,
            wall_s=max(0.0, ended - started),
            stdout=base64.b64encode(bytes(handle.data["out"])).decode("ascii"),
            tail=base64.b64encode(bytes(handle.data["err"])).decode("ascii"),
            records=[base64.b64encode(r).decode("ascii") for r in state.records],
            case_walls=list(state.case_walls),
            open_case_wall=state.open_case_wall,
            fatal=None if state.fatal is None else base64.b64encode(state.fatal).decode("ascii"),
            ignored_records=state.ignored_records,
            timing={
                "prepare_s": (state.prepared_at or state.born) - state.born,
                "start_s": started - (state.go_at or started),
                "run_s": max(0.0, ended - started),
                "collect_s": now - (state.exited_at or now),
            },
        )
        self._deliver(run["id"], report)

    # -- stop --------------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        now = time.monotonic()
        for handle in list(self.samples):
            self._kill(handle, "shutdown", now)
        end = time.monotonic() + 2.0
        for handle in list(self.samples):
            pid = handle.state.pid
            with contextlib.suppress(ChildProcessError):
                while pid and handle.state.exited_at is None and time.monotonic() < end:
                    if os.waitpid(pid, os.WNOHANG)[0]:
                        break
                    time.sleep(0.005)
            if handle.tmpdir:
                shutil.rmtree(handle.tmpdir, ignore_errors=True)
        for cell in self.cells:
            self._release_mount_namespaces(cell)
            if cell.spawner is not None:
                cell.spawner.close()
                cell.spawner = None
        if self.groups is not None:
            self.groups.residents.clear()
            self.groups.remove()
        if self.setup.staging is not None:
            with contextlib.suppress(OSError):
                linux.umount(self.setup.staging)
            with contextlib.suppress(OSError):
                os.rmdir(self.setup.staging)


def _report(run: RunRequest, **facts: object) -> RunReport:
    """A report of ``run`` with the given facts and neutral values for the rest."""
    report: dict[str, object] = {
        "op": "done",
        "id": run["id"],
        "setup_error": None,
        "exit_code": None,
        "signal": None,
        "killed": None,
        "oom": False,
        "nproc_hit": False,
        "cpu_s": None,
        "wall_s": 0.0,
        "stdout": "",
        "tail": "",
        "first_case": run["first_case"],
        "records": [],
        "case_walls": [],
        "open_case_wall": 0.0,
        "fatal": None,
        "ignored_records": 0,
        "timing": {},
    }
    report.update(facts)
    return report  # type: ignore[return-value]


def _raise_descriptor_limit() -> None:
    """Lift this process's soft limit on open descriptors to its hard limit (samples set their own)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, 1 << 20) if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(OSError, ValueError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _vm_size_bytes() -> int:
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as stream:
        for line in stream:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 64 << 20
