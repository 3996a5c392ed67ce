"""The fork server: a warm interpreter that has one isolated child cloned per sample.

:class:`rlvr.verifiers.code.sandbox.Sandbox` starts it (``python -I -S -B -c ...``, empty environment;
site-packages are put on ``sys.path`` without running ``.pth`` code) and talks to it in frames
(:mod:`rlvr.verifiers.code.wire`) over its stdin/stdout. At start it imports what programs commonly use,
enters a private mount namespace (in a user namespace when not root), builds the read-only root
(:mod:`rlvr.verifiers.code.rootfs`), creates three cgroup *cells* per worker slot
(:mod:`rlvr.verifiers.code.cgroups`) and, as root, one empty network namespace per cell, empties its own
capability bounding set and sets ``no_new_privs`` (both pass to every child), freezes its objects for the
garbage collector, forks one spawner per cell (:mod:`rlvr.verifiers.code.spawner`), which enters the
cell's cgroups, and probes the whole path once with a tiny program; anything missing is a fatal error that
names it.

Then, per sample: a free cell's spawner clones a child — the server's own, by ``CLONE_PARENT``, born in
the cell's cgroups — straight into new mount, pid, IPC and UTS namespaces (and a new network namespace, or
its cell's; and a user namespace when not root), pid 1 of its own pid namespace. The child prepares itself
(:mod:`rlvr.verifiers.code.child`) *before* a job needs it; a queued job is sent to a prepared child, which
sets itself up for it (*armed*) and waits for one byte; when fewer than ``slots`` programs run, the server
sends that byte (*go*) and the clock starts. So the namespace and hand-over costs are off the critical
path. The server keeps the wall clock (per case, and for the whole run): past it, SIGKILL to the child
kills its whole pid namespace. It reads the child's outputs with byte caps, reaps it, checks its cell is
empty and reports raw facts (exit status, bytes, OOM kills, process-cap hits, timings). It also holds each
child's mount namespace past its exit and hands the reference to the cell's next child to drop, so the
RCU wait of a mount-namespace teardown falls on a child still preparing, not on a slot.

Example:
    >>> Cell(index=3, busy=False).index
    3
"""

from __future__ import annotations

import base64
import contextlib
import gc
import math
import os
import resource
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from rlvr.verifiers.code import linux
from rlvr.verifiers.code.cgroups import SlotGroups, setup_slot_groups
from rlvr.verifiers.code.child import GO, ChildSettings, child_main, lock_down_server
from rlvr.verifiers.code.rootfs import SYSTEM_FILES, SYSTEM_PATHS, build_root
from rlvr.verifiers.code.spawner import Spawner
from rlvr.verifiers.code.wire import FrameReader, encode, write_all

PRELOAD = (
    "array", "bisect", "collections", "copy", "dataclasses", "datetime", "decimal", "enum", "fractions",
    "functools", "heapq", "itertools", "json", "math", "operator", "random", "re", "statistics", "string",
    "typing", "atexit",
)  # fmt: skip
_READ_CHUNK = 1 << 16
RESIDENT_ALLOWANCE = 8 << 20  # added to a cell's memory cap for its spawner
_DRAIN_SECONDS = 0.5
_FAILURES_BEFORE_GIVING_UP = 3


@dataclass
class Cell:
    """A cgroup cell (or, without cgroups, just a token): one child at a time lives in it."""

    index: int
    busy: bool = False
    net_fd: int = -1  # this cell's own empty network namespace (root only), entered by each of its samples
    spawner: Spawner | None = None  # clones this cell's samples, from inside the cell's cgroups
    awaiting: _Child | None = None  # asked of the spawner, pid not known yet
    retired: list[int] = field(default_factory=list)  # its last sample's mount namespace, held (see _spawn)


class _Child:
    """One cloned child: preparing, prepared (idle), or running a job."""

    def __init__(self, cell: Cell, setup_timeout: float) -> None:
        self.cell = cell
        self.pid = 0
        self.pidfd = -1
        self.job_fd = -1
        self.fds: dict[int, str] = {}  # read end -> stream name
        self.data = {"ctl": bytearray(), "out": bytearray(), "err": bytearray(), "res": bytearray()}
        self.total = dict.fromkeys(self.data, 0)
        self.born = time.monotonic()
        self.prepared_at: float | None = None
        self.spec: dict[str, Any] | None = None  # its job, sent ahead ("armed")
        self.dispatched_at = 0.0
        self.go_at: float | None = None  # when it was told to run its job (it holds a slot from then on)
        self.ready_at: float | None = None
        self.deadline = self.born + setup_timeout
        self.budget_deadline = math.inf
        self.case_deadline = math.inf
        self.cases_done = 0
        self.killed: str | None = None
        self.setup_error: str | None = None
        self.status: int | None = None
        self.rusage: Any = None
        self.exited_at: float | None = None
        self.tmpdir: str | None = None  # unsafe mode only
        self.mount_ns_fd = -1  # holds its mount namespace past its exit (see ForkServer._spawn)


class ForkServer:
    """The server: configuration, the read-only root, the cells, the children and the job queue."""

    def __init__(self, config: dict[str, Any], in_fd: int, out_fd: int) -> None:
        self.config = config
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.slots = int(config["slots"])
        self.unsafe = bool(config["unsafe"])
        self.privileged = os.geteuid() == 0
        self.uid = config["uid"] if self.privileged else 65534
        self.gid = config["gid"] if self.privileged else 65534
        self.staging: str | None = None
        self.groups: SlotGroups | None = None
        self.cells = [Cell(i) for i in range(3 * self.slots)]  # running, armed, preparing
        self.queue: deque[dict[str, Any]] = deque()
        self.children: set[_Child] = set()
        self.prepared: deque[_Child] = deque()
        self.armed: deque[_Child] = deque()  # has its job, waits to be told to run it
        self.poller = select.poll()
        self.by_fd: dict[int, _Child] = {}
        self.reader = FrameReader(config["max_frame"])
        self.flags = 0
        self.settings: ChildSettings | None = None
        self.counters: dict[int, tuple[int, int]] = {}  # cell -> (OOM kills, process-cap hits) so far
        self.failures = 0
        self.last_failure = ""
        self.notes: list[str] = []
        self.probe_result: dict[str, Any] | None = None
        self.cgroup_name = ""
        self.spawner_cells: dict[int, Cell] = {}  # a spawner's socket -> its cell

    # -- start -------------------------------------------------------------------------------------------

    def setup(self) -> dict[str, Any]:
        """Prepare isolation and probe it once; returns the description sent with "ready"."""
        _raise_descriptor_limit()  # some 20 descriptors per worker slot (cells, spawners, samples' pipes)
        for name in self.config.get("preload") or PRELOAD:
            with contextlib.suppress(ImportError):
                __import__(name)
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
            self._enter_own_namespaces()
        self.settings = ChildSettings(
            unsafe=self.unsafe,
            privileged=self.privileged,
            uid=self.uid,
            gid=self.gid,
            outside_uid=os.geteuid(),
            outside_gid=os.getegid(),
            staging=self.staging,
            tmpfs_mb=self.config["tmpfs_mb"],
            max_file_mb=self.config["max_file_mb"],
            max_open_files=self.config["max_open_files"],
            max_processes=self.config["max_processes"],
            nproc_limit=self.groups is None,
            base_vm=_vm_size_bytes(),
            last_cap=linux.last_capability(),
        )
        if not self.unsafe:
            lock_down_server(self.settings)
        gc.collect()
        gc.freeze()  # children never scan (nor copy-on-write touch) the server's own objects
        if self._forks_itself():
            self.notes.append("no spawners: samples are forked by the fork server itself")
        else:
            self._start_spawners()
        problem = self._probe()
        if problem is not None:
            raise RuntimeError(problem)
        return self.describe()

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

    def _enter_own_namespaces(self) -> None:
        flags = linux.CLONE_NEWNS | (0 if self.privileged else linux.CLONE_NEWUSER)
        if not linux.clone_supported():
            raise RuntimeError(f"the code sandbox does not support this machine ({os.uname().machine}) yet")
        uid, gid = os.geteuid(), os.getegid()
        try:
            linux.unshare(flags)
            if not self.privileged:
                linux.write_file("/proc/self/setgroups", "deny")
                linux.write_file("/proc/self/gid_map", f"{gid} {gid} 1\n")
                linux.write_file("/proc/self/uid_map", f"{uid} {uid} 1\n")
            linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
        except OSError as exc:
            raise RuntimeError(_namespace_advice(exc, flags, self.privileged)) from None
        self.staging = tempfile.mkdtemp(prefix="rlvr-sandbox-root-")
        os.chmod(self.staging, 0o755)
        interpreter = [
            sys.base_prefix,
            sys.prefix,
            sys.exec_prefix,
            os.path.dirname(os.path.realpath(sys.executable)),
        ]
        try:
            build_root(self.staging, [*SYSTEM_PATHS, *SYSTEM_FILES, *interpreter, *self.config["ro_paths"]])
        except OSError as exc:
            raise RuntimeError(f"cannot build the sandbox's read-only root: {exc}") from None
        self.flags = (
            linux.CLONE_NEWNS
            | linux.CLONE_NEWNET
            | linux.CLONE_NEWPID
            | linux.CLONE_NEWIPC
            | linux.CLONE_NEWUTS
        )
        if not self.privileged:
            self.flags |= linux.CLONE_NEWUSER
        elif not self.config.get("network_per_sample"):
            self._give_cells_network_namespaces()

    def _give_cells_network_namespaces(self) -> None:
        """One empty network namespace per cell, entered by each of the cell's samples in turn.

        Creating and destroying a network namespace per sample costs more CPU than most programs do; a
        cell runs one sample at a time and is reused only once that sample's pid namespace is gone (no
        process left to hold a socket), and a sample can change nothing in it (no capabilities, loopback
        down). Where a namespace cannot be made this way, each sample gets a new one (``CLONE_NEWNET``).
        """
        try:
            for cell in self.cells:
                cell.net_fd = linux.new_namespace(linux.CLONE_NEWNET)
        except (OSError, ValueError) as exc:
            for cell in self.cells:
                if cell.net_fd >= 0:
                    os.close(cell.net_fd)
                cell.net_fd = -1
            self.notes.append(f"a new network namespace per sample (no reusable ones per cell: {exc})")
            return
        self.flags &= ~linux.CLONE_NEWNET

    def _probe(self) -> str | None:
        self.queue.append(
            {
                "id": -1,
                "mode": "stdio",
                "program": "print(1)",
                "stdin": "",
                "time_limit": 10.0,
                "budget": 10.0,
                "memory_mb": 256,
            }
        )
        deadline = time.monotonic() + self.config["setup_timeout"] + 15
        while self.probe_result is None and time.monotonic() < deadline:
            self._step()
        result = self.probe_result
        if result is None:
            return "the sandbox probe did not finish"
        if result["setup_error"]:
            return str(result["setup_error"])
        if result["exit_code"] != 0 or base64.b64decode(result["stdout"]).strip() != b"1":
            tail = base64.b64decode(result["tail"]).decode("utf-8", "replace")
            return f"the sandbox probe failed (exit {result['exit_code']}, signal {result['signal']}): {tail}"
        return None

    def describe(self) -> dict[str, Any]:
        if self.unsafe:
            isolation = "UNSAFE: no namespaces, no chroot, no uid change (rlimits and a process group only)"
        else:
            who = f"uid {self.uid}" if self.privileged else f"uid {self.uid} in a user namespace"
            shared_net = any(cell.net_fd >= 0 for cell in self.cells)
            network = "; net: an empty one per cell, its samples one at a time" if shared_net else ""
            isolation = (
                f"namespaces {linux.namespace_names(self.flags)} per sample{network}; read-only chroot; "
                "private tmpfs "
                f"/tmp ({self.config['tmpfs_mb']} MB); {who}, no capabilities, no_new_privs; "
                "empty environment"
            )
        if self.groups is not None:
            spawner = ""
            if self.groups.residents:
                spawner = f" (+{RESIDENT_ALLOWANCE >> 20} MB for the cell's spawner)"
            limits = (
                f"{self.groups.description}: pids.max={self.config['max_processes']}, "
                f"memory cap per sample{spawner}"
            )
            if "cpu" in self.groups.bases:
                limits += ", one CPU per sample"
        else:
            limits = (
                f"no cgroups: RLIMIT_NPROC={self.config['max_processes']} (uid {self.uid}), RLIMIT_AS only"
            )
        return {
            "isolation": isolation,
            "limits": limits,
            "cgroup_name": self.cgroup_name if self.groups is not None else None,
            "privileged": self.privileged,
            "cgroups": None if self.groups is None else self.groups.version,
            "spawner_pids": [c.spawner.pid for c in self.cells if c.spawner is not None],
            "notes": self.notes,
        }

    # -- the loop ----------------------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        write_all(self.out_fd, encode(message))

    def loop(self) -> None:
        os.set_blocking(self.in_fd, False)
        self.poller.register(self.in_fd, select.POLLIN)
        while self._step():
            pass

    def _step(self) -> bool:
        self._schedule()
        now = time.monotonic()
        deadlines = [
            c.deadline
            for c in self.children
            if c.exited_at is None and (c.go_at is not None or not c.prepared_at)
        ]
        deadlines += [c.exited_at + _DRAIN_SECONDS for c in self.children if c.exited_at is not None]
        wait_ms = 1000 if not deadlines else max(0, math.ceil((min(deadlines) - now) * 1000))
        for fd, _events in self.poller.poll(min(wait_ms, 1000)):
            if fd == self.in_fd:
                if not self._read_requests():
                    return False
                continue
            cell = self.spawner_cells.get(fd)
            if cell is not None:
                if not self._spawner_replies(cell):
                    raise RuntimeError(f"the spawner of cell {cell.index} died")
                continue
            child = self.by_fd.get(fd)
            if child is None:
                continue
            if fd == child.pidfd:
                self._reap(child)
            else:
                self._read_stream(child, fd)
        self._schedule()  # a slot a sample just left goes to the next one before any bookkeeping
        now = time.monotonic()
        for child in list(self.children):
            self._check_deadlines(child, now)
            if self._finished(child, now):
                self._finish(child)
        return True

    def _read_requests(self) -> bool:
        while True:
            try:
                chunk = os.read(self.in_fd, _READ_CHUNK)
            except BlockingIOError:
                break
            if not chunk:
                return False  # the scorer is gone
            self.reader.feed(chunk)
        for message in self.reader.frames():
            if message.get("op") == "run":
                self.queue.append(message)
            elif message.get("op") == "close":
                return False
        return True

    def _schedule(self) -> None:
        """Arm prepared children with queued jobs, start armed ones while fewer than ``slots`` run, and keep
        up to ``slots`` children prepared or preparing.

        An armed child has its job and has set itself up for it, then waits for one byte: when a running
        sample ends, the next one starts after a single write instead of a whole hand-over.
        """
        while self.queue and self.prepared:
            child = self.prepared.popleft()
            if child.exited_at is None:
                self._arm(child, self.queue.popleft())
        # a reaped child holds no slot: pid 1 of its pid namespace is gone, so is every process in it
        running = sum(1 for c in self.children if c.go_at is not None and c.exited_at is None)
        while self.armed and running < self.slots:
            child = self.armed.popleft()
            if child.exited_at is None:
                self._go(child)
                running += 1
        waiting = sum(1 for c in self.children if c.spec is None and c.exited_at is None)
        while waiting < self.slots and (self.queue or waiting < 1 or len(self.prepared) < self.slots):
            cell = next((c for c in self.cells if not c.busy), None)
            if cell is None or self.failures >= _FAILURES_BEFORE_GIVING_UP:
                break
            self._spawn(cell)
            waiting += 1
        if self.failures >= _FAILURES_BEFORE_GIVING_UP:
            while self.queue:  # children cannot be made: every waiting job is a sandbox error
                spec = self.queue.popleft()
                self._report_failure(spec, self.last_failure)
            self.failures = 0

    # -- one child ---------------------------------------------------------------------------------------

    def _spawn(self, cell: Cell) -> None:
        """Start a child in ``cell``: through the spawner (its pid comes later), or by forking here."""
        pipes = {name: os.pipe() for name in ("ctl", "out", "err", "res")}
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        child = _Child(cell, self.config["setup_timeout"])
        if self.unsafe:
            child.tmpdir = tempfile.mkdtemp(prefix="rlvr-unsafe-")
        cell.busy = True
        fds = {name: w for name, (_r, w) in pipes.items()} | {"job": theirs.fileno()}
        pid, error = 0, ""
        if cell.spawner is not None:
            try:
                cell.spawner.request(cell.index, fds, cell.retired, child.tmpdir)
            except OSError as exc:
                error = f"the spawner is gone ({exc})"
        else:
            try:
                pid = os.fork()
            except OSError as exc:
                error = str(exc)
            if pid == 0 and not error:  # pragma: no cover - the child
                child_main(self._settings(), fds, self._procs(cell), child.tmpdir)
        self._release_mount_namespaces(cell)  # the new child holds them now, and lets them go
        theirs.close()
        for _r, w in pipes.values():
            os.close(w)
        child.job_fd = ours.detach()
        for name, (r, _w) in pipes.items():
            os.set_blocking(r, False)
            child.fds[r] = name
            self.by_fd[r] = child
            self.poller.register(r, select.POLLIN)
        self.children.add(child)
        if error:
            self._abandon(child, error)
        elif pid:
            self._attach(child, pid)
        else:
            cell.awaiting = child

    def _settings(self) -> ChildSettings:
        assert self.settings is not None
        return self.settings

    def _procs(self, cell: Cell) -> tuple[str, ...]:
        return tuple(self.groups.procs_files(cell.index)) if self.groups is not None else ()

    def _clone(self, cell_index: int, fds: dict[str, int], tmpdir: str | None) -> int:
        """Runs in the cell's spawner: clone one child (the fork server's, by ``CLONE_PARENT``), born in the
        cell's cgroups."""
        cell = self.cells[cell_index]
        try:
            pid = linux.clone_process(self.flags | linux.CLONE_PARENT)
        except OSError as exc:
            raise RuntimeError(_namespace_advice(exc, self.flags, self.privileged)) from None
        if pid == 0:  # pragma: no cover - the child
            if cell.net_fd >= 0:
                fds = {**fds, "net": cell.net_fd}
            child_main(self._settings(), fds, (), tmpdir)
        return pid

    def _spawner_replies(self, cell: Cell) -> bool:
        """Give the cell's waiting child the spawner's answer; False when the spawner is gone."""
        assert cell.spawner is not None
        replies = cell.spawner.replies()
        for reply in replies or []:
            child, cell.awaiting = cell.awaiting, None
            if child is None:
                break
            if isinstance(reply.get("pid"), int) and reply["pid"] > 0:
                self._attach(child, reply["pid"])
            else:
                self._abandon(child, str(reply.get("error") or "the spawner could not clone a child"))
        return replies is not None

    def _attach(self, child: _Child, pid: int) -> None:
        """The child's pid is known: watch its exit, hold its mount namespace, apply a kill already due."""
        child.pid = pid
        child.pidfd = os.pidfd_open(pid)
        self.by_fd[child.pidfd] = child
        self.poller.register(child.pidfd, select.POLLIN)
        if not self.unsafe:
            with contextlib.suppress(OSError):
                child.mount_ns_fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        if child.killed is not None:
            self._kill(child, child.killed)
        elif child.prepared_at is not None and child.exited_at is None:
            self.prepared.append(child)  # it said "ready" before its pid came

    def _abandon(self, child: _Child, reason: str) -> None:
        """A child that was never made: free its descriptors and cell, count the failure."""
        for fd in list(child.fds):
            self._close_fd(child, fd)
        with contextlib.suppress(OSError):
            os.close(child.job_fd)
        if child.tmpdir:
            shutil.rmtree(child.tmpdir, ignore_errors=True)
        self.children.discard(child)
        child.cell.busy = False
        self._failed(reason)

    @staticmethod
    def _release_mount_namespaces(cell: Cell) -> None:
        """Close the server's references to the cell's last sample's mount namespace.

        Tearing a mount namespace down waits for an RCU grace period. A sample's own exit would pay that
        wait while its slot counts as busy, so the server holds a reference to each sample's mount
        namespace and passes it with the request for the *same cell's* next child; the spawner closes its
        copy before it answers with the pid, the server closes its own here, and the child drops the last
        one while it prepares, ahead of need. So the dead sample's tmpfs, charged to the cell's memory
        cgroup, is gone before the cell's next sample can be armed: it never counts against that sample.
        """
        while cell.retired:
            with contextlib.suppress(OSError):
                os.close(cell.retired.pop())

    def _failed(self, reason: str) -> None:
        self.failures += 1
        self.last_failure = reason

    def _arm(self, child: _Child, spec: dict[str, Any]) -> None:
        """Give a prepared child its job; it gets ready for it and waits for :meth:`_go`."""
        if self.groups is not None:  # the cell's spawner lives there too (some 2 MB are charged to it)
            self.groups.set_memory(child.cell.index, (int(spec["memory_mb"]) << 20) + RESIDENT_ALLOWANCE)
        child.spec = spec
        child.dispatched_at = time.monotonic()
        self.armed.append(child)
        with contextlib.suppress(OSError):  # it died while waiting: its job becomes a sandbox error
            write_all(child.job_fd, encode(spec))

    def _go(self, child: _Child) -> None:
        """Start an armed child's program: from now on it holds a slot and the clock runs."""
        child.go_at = time.monotonic()
        child.deadline = child.go_at + self.config["setup_timeout"]
        with contextlib.suppress(OSError):
            write_all(child.job_fd, GO)

    def _read_stream(self, child: _Child, fd: int) -> None:
        name = child.fds[fd]
        cap = self.config["max_output_bytes"]
        try:
            chunk = os.read(fd, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._close_fd(child, fd)
            if name == "ctl" and child.ready_at is None and child.setup_error is None:
                child.setup_error = self._ctl_error(child) or "the sample process died while isolating itself"
                self._kill(child, "setup")
            return
        child.total[name] += len(chunk)
        if name == "ctl":
            child.data["ctl"] += chunk
            self._control(child)
        elif name == "err":
            tail = child.data["err"]
            tail += chunk
            del tail[: max(0, len(tail) - self.config["stderr_tail_bytes"])]
            if child.total["err"] > 16 * cap:
                self._kill(child, "output")
        else:
            child.data[name] += chunk
            if name == "res" and child.spec is not None:
                child.cases_done += chunk.count(b"\n")
                if child.ready_at is not None and child.killed is None:
                    child.case_deadline = time.monotonic() + child.spec["time_limit"]
                    child.deadline = min(child.case_deadline, child.budget_deadline)
            if child.total[name] > cap:
                del child.data[name][cap:]
                self._kill(child, "output")

    def _ctl_error(self, child: _Child) -> str | None:
        for line in bytes(child.data["ctl"]).split(b"\n"):
            if line.startswith(b"E"):
                return line[1:].decode("utf-8", "replace")
        return None

    def _control(self, child: _Child) -> None:
        lines = bytes(child.data["ctl"]).split(b"\n")
        if b"R" in lines and child.prepared_at is None:
            child.prepared_at = time.monotonic()
            self.failures = 0
            if child.pid:  # otherwise when its pid comes (_attach)
                self.prepared.append(child)
        if b"K" in lines and child.ready_at is None and child.spec is not None:
            child.ready_at = time.monotonic()
            child.budget_deadline = child.ready_at + child.spec["budget"]
            child.case_deadline = child.ready_at + child.spec["time_limit"]
            child.deadline = min(child.case_deadline, child.budget_deadline)
        error = self._ctl_error(child)
        if error and child.setup_error is None and child.ready_at is None:
            child.setup_error = error

    def _check_deadlines(self, child: _Child, now: float) -> None:
        if child.exited_at is not None or child.killed is not None or now < child.deadline:
            return
        if child.go_at is None and child.prepared_at is not None:
            return  # prepared or armed, and idle: no clock
        if child.ready_at is None:
            child.setup_error = (
                child.setup_error or f"isolating the sample took over {self.config['setup_timeout']:g} s"
            )
            self._kill(child, "setup")
        else:
            self._kill(child, "timeout" if now >= child.case_deadline else "budget")

    def _kill(self, child: _Child, why: str) -> None:
        if child.killed is None:
            child.killed = why
        if child.exited_at is not None or not child.pid:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.unsafe:
                os.killpg(child.pid, signal.SIGKILL)
            else:
                os.kill(child.pid, signal.SIGKILL)  # pid 1 of its namespace: the whole namespace goes

    def _reap(self, child: _Child) -> None:
        try:
            pid, status, rusage = os.wait4(child.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status, rusage = child.pid, None, None
        if pid == 0:
            return
        child.status, child.rusage = status, rusage
        child.exited_at = time.monotonic()
        if self.unsafe:  # its process group goes too (escaped sessions remain: this mode is unsafe)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)
        self.poller.unregister(child.pidfd)
        del self.by_fd[child.pidfd]
        os.close(child.pidfd)
        child.pidfd = -1
        if child in self.armed:
            self.armed.remove(child)
        if child.spec is None:
            if child in self.prepared:
                self.prepared.remove(child)
            if child.prepared_at is None:
                self._failed(
                    self._ctl_error(child) or f"a sample process died while isolating itself ({status})"
                )

    def _finished(self, child: _Child, now: float) -> bool:
        if child.exited_at is None:
            return False
        if child.fds and now < child.exited_at + _DRAIN_SECONDS:
            return False
        for fd in list(child.fds):  # drain what is there, then stop listening
            with contextlib.suppress(OSError):
                self._read_stream(child, fd)
            if fd in child.fds:
                self._close_fd(child, fd)
        return True

    def _close_fd(self, child: _Child, fd: int) -> None:
        if fd in child.fds:
            self.poller.unregister(fd)
            del self.by_fd[fd]
            del child.fds[fd]
            os.close(fd)

    def _finish(self, child: _Child) -> None:
        self.children.discard(child)
        with contextlib.suppress(OSError):
            os.close(child.job_fd)
        if child.mount_ns_fd >= 0:
            child.cell.retired.append(child.mount_ns_fd)
        if child.tmpdir:
            shutil.rmtree(child.tmpdir, ignore_errors=True)
        if child.spec is not None:
            if child.ready_at is None and child.setup_error is None:
                child.setup_error = self._ctl_error(child) or "the sample process died while isolating itself"
            self._report(child)
        if self.groups is not None and not self.groups.empty_slot(child.cell.index):
            self.notes.append(f"cell {child.cell.index} could not be emptied: retired")
            return
        child.cell.busy = False

    def _report_failure(self, spec: dict[str, Any], reason: str) -> None:
        result = {"op": "done", "id": spec["id"], "setup_error": reason}
        if spec["id"] == -1:
            self.probe_result = {**result, "exit_code": None, "signal": None, "stdout": "", "tail": ""}
        else:
            self.send(result)

    def _report(self, child: _Child) -> None:
        assert child.spec is not None
        status = child.status
        now = time.monotonic()
        oom = nproc = False
        if self.groups is not None:
            before = self.counters.get(child.cell.index, (0, 0))
            after = (self.groups.oom_kills(child.cell.index), self.groups.process_cap_hits(child.cell.index))
            self.counters[child.cell.index] = after
            oom, nproc = after[0] > before[0], after[1] > before[1]
        started = child.ready_at or child.go_at or child.dispatched_at
        result = {
            "op": "done",
            "id": child.spec["id"],
            "setup_error": child.setup_error,
            "exit_code": os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None,
            "killed": child.killed,
            "oom": oom,
            "nproc_hit": nproc,
            "cpu_s": (child.rusage.ru_utime + child.rusage.ru_stime) if child.rusage else None,
            "wall_s": (child.exited_at or now) - started,
            "stdout": base64.b64encode(bytes(child.data["out"])).decode("ascii"),
            "results": base64.b64encode(bytes(child.data["res"])).decode("ascii"),
            "tail": base64.b64encode(bytes(child.data["err"])).decode("ascii"),
            "cases_done": child.cases_done,
            "timing": {
                "prepare_s": (child.prepared_at or child.born) - child.born,
                "start_s": started - (child.go_at or child.dispatched_at),
                "run_s": (child.exited_at or now) - started,
                "collect_s": now - (child.exited_at or now),
            },
        }
        if child.spec["id"] == -1:
            self.probe_result = result
        else:
            self.send(result)

    # -- stop --------------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        for child in list(self.children):
            self._kill(child, "shutdown")
        end = time.monotonic() + 2.0
        for child in list(self.children):
            with contextlib.suppress(ChildProcessError):
                while child.pid and child.exited_at is None and time.monotonic() < end:
                    if os.waitpid(child.pid, os.WNOHANG)[0]:
                        break
                    time.sleep(0.005)
            if child.tmpdir:
                shutil.rmtree(child.tmpdir, ignore_errors=True)
        for cell in self.cells:
            self._release_mount_namespaces(cell)
            if cell.spawner is not None:
                cell.spawner.close()
                cell.spawner = None
        if self.groups is not None:
            self.groups.residents.clear()
            self.groups.remove()
        if self.staging is not None:
            with contextlib.suppress(OSError):
                linux.umount(self.staging)
            with contextlib.suppress(OSError):
                os.rmdir(self.staging)


def add_site_packages() -> None:
    """Put on ``sys.path`` what ``site`` would: the site-packages directories and the directories their
    ``.pth`` files name — but run none of the code lines of those files (the server starts with ``-S``).

    Code in ``.pth`` files (certificate hooks, import shims) would run in the fork server and stay in every
    sample: modules loaded, fork hooks registered, pages to copy. Programs still import what is installed.

    Example:
        >>> add_site_packages()
        >>> any(p.endswith("-packages") for p in sys.path)
        True
    """
    import site

    for directory in site.getsitepackages():
        if not os.path.isdir(directory):
            continue
        if directory not in sys.path:
            sys.path.append(directory)
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".pth"):
                continue
            try:
                with open(os.path.join(directory, name), encoding="utf-8") as stream:
                    lines = stream.read().splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                path = os.path.normpath(os.path.join(directory, line))
                if os.path.isdir(path) and path not in sys.path:
                    sys.path.append(path)


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


def _namespace_advice(exc: BaseException, flags: int, privileged: bool) -> str:
    """A sandbox error that says what the kernel refused and what to do about it.

    Example:
        >>> refused = PermissionError(1, "Operation not permitted")
        >>> "unsafe=True" in _namespace_advice(refused, linux.CLONE_NEWUSER, False)
        True
    """
    message = str(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError) and exc.errno in (1, 13, 22, 28, 38):  # EPERM EACCES EINVAL ENOSPC ENOSYS
        needs = "user namespaces (it is not root)" if not privileged else "mount, net and pid namespaces"
        return (
            f"the kernel refused new namespaces ({linux.namespace_names(flags)}): {message}. The code "
            f"sandbox needs {needs}: enable them (sysctl kernel.unprivileged_userns_clone=1, "
            "user.max_user_namespaces > 0, kernel.apparmor_restrict_unprivileged_userns=0, or a container "
            "profile that allows unshare), "
            "run as root, or set unsafe=True to run TRUSTED code without isolation"
        )
    return message


def _take_protocol_fds() -> tuple[int, int]:  # pragma: no cover - runs in the fork server process
    """Move the protocol pipes off descriptors 0/1 (children must never inherit them there)."""
    import fcntl

    in_fd = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    out_fd = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    return in_fd, out_fd


def main() -> None:  # pragma: no cover - runs in the fork server process
    """Entry point of the fork server process."""
    in_fd, out_fd = _take_protocol_fds()
    reader = FrameReader(1 << 24)
    config: dict[str, Any] | None = None
    while config is None:
        chunk = os.read(in_fd, _READ_CHUNK)
        if not chunk:
            return
        reader.feed(chunk)
        frames = reader.frames()
        if frames:
            config = frames[0]
    sys.path[:] = [p for p in sys.path if p != config.get("rlvr_root")]
    add_site_packages()
    server = ForkServer(config, in_fd, out_fd)
    try:
        try:
            description = server.setup()
        except Exception as exc:
            detail = str(exc) if isinstance(exc, RuntimeError) else traceback.format_exc(limit=5)
            server.send({"op": "fatal", "error": detail})
            return
        server.send({"op": "ready", **description})
        server.loop()
    finally:
        server.shutdown()
