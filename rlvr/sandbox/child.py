"""The life of one sample process, from the spawner's ``clone`` to the program's exit.

Its cell's spawner clones the sample ahead of need, straight into new namespaces and into the cell's
cgroups. The sample *prepares* (makes itself the OOM killer's first choice; enters its cell's empty
network namespace as root; maps its ids in its user namespace when not root, and caps that namespace's
per-user kernel counts; mounts a private tmpfs and ``chroot``\\ s into the read-only root; keeps only its
own pipes; sets the fixed hard rlimits; drops every capability — ``setuid`` to its cell's own uid as
root —; joins a new, empty session keyring and empties its uid's own keyrings; installs the seccomp
filter) and says ``R`` on its control pipe. ``no_new_privs`` and, as root, the empty bounding set come
from the fork server.

When a job comes (one frame on its job socket) it *arms*: puts its pipes on descriptors 0-5, lowers the
address-space and CPU limits to the job's and clears the environment. Then it waits for the go byte on
the job socket, says ``K`` and closes the control pipe — nothing the program does can speak on it — and
runs the program (:mod:`rlvr.sandbox.runner`). In function-call mode the job socket stays, made
read-only, as the channel the case arguments come on. Any failure before ``K`` is reported as
``E<reason>``: a sandbox error, never the program's fault or credit.

Example:
    >>> Descriptors().all()
    (10, 11, 12, 13, 14)
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import math
import os
import resource
import signal
import socket
from dataclasses import dataclass
from typing import NoReturn

from rlvr.framing import read_frame
from rlvr.sandbox import linux, runner
from rlvr.sandbox.seccomp import Filter
from rlvr.sandbox.wire import GO, SampleJob, decode

RESULT_FD = runner.RESULT_FD
CONTROL_FD = 4
JOB_FD = 5  # until the go byte; in function-call mode then moved to runner.CALLS_FD, read-only
PROGRAM_FD = 6  # a compiled program (close-on-exec: executing it closes it)
EXIT_SETUP_FAILED = 70
_MAX_JOB_BYTES = 1 << 30


@dataclass(frozen=True)
class Descriptors:
    """Where a prepared sample keeps its pipes while it waits for a job."""

    job: int = 10
    ctl: int = 11
    out: int = 12
    err: int = 13
    res: int = 14

    def all(self) -> tuple[int, ...]:
        return (self.job, self.ctl, self.out, self.err, self.res)


@dataclass(frozen=True)
class SampleSettings:
    """What a sample needs to isolate itself (fixed for the fork server's life).

    ``uid``/``gid`` are the first of the cells' ids as root (cell ``i`` runs as ``uid + i``), or the ids
    inside the user namespace otherwise; ``namespace_limits`` are the per-user-namespace kernel counts a
    sample in its own user namespace sets for itself (``/proc/sys/user/<name>``).
    """

    unsafe: bool
    privileged: bool
    uid: int
    gid: int
    outside_uid: int
    outside_gid: int
    staging: str | None
    tmpfs_mb: int
    max_file_mb: int
    max_open_files: int
    max_processes: int
    nproc_limit: bool  # RLIMIT_NPROC as the process cap (no pids cgroup)
    base_vm: int
    last_cap: int
    namespace_limits: tuple[tuple[str, int], ...] = ()
    seccomp: Filter | None = None

    def ids(self, cell: int) -> tuple[int, int]:
        """The uid and gid a sample of ``cell`` runs as (as seen inside its namespaces)."""
        if self.privileged:
            return self.uid + cell, self.gid + cell
        return self.uid, self.gid


def _write_id_maps(inside_uid: int, inside_gid: int, outside_uid: int, outside_gid: int) -> None:
    linux.write_file("/proc/self/setgroups", "deny")
    linux.write_file("/proc/self/gid_map", f"{inside_gid} {outside_gid} 1\n")
    linux.write_file("/proc/self/uid_map", f"{inside_uid} {outside_uid} 1\n")


def _keep_only(mapping: dict[int, int]) -> None:
    """Make each ``target`` descriptor a copy of its ``source``; close every other one above 2."""
    above = max(mapping) + 1  # copies above every target first, so no dup2 clobbers a source
    high = {target: fcntl.fcntl(source, fcntl.F_DUPFD, above) for target, source in mapping.items()}
    for target, source in high.items():
        os.dup2(source, target, inheritable=True)
    os.closerange(above, 1 << 20)
    for fd in range(3, above):
        if fd not in mapping:
            with contextlib.suppress(OSError):
                os.close(fd)


def prepare(
    settings: SampleSettings,
    cell: int,
    fds: dict[str, int],
    cgroup_procs: tuple[str, ...],
    tmpdir: str | None,
) -> None:
    """Everything that does not depend on the job (runs right after ``clone``)."""
    for path in cgroup_procs:  # only when the fork server forks samples itself (no spawners)
        linux.write_file(path, "0")  # "0": the writing process itself
    # The OOM killer's first choice, before its cell's spawner (which it inherited -1000 from, as root):
    # raising is always allowed, and as root this also raises the floor a later write could go back to.
    with contextlib.suppress(OSError):  # no /proc: the OOM killer still weighs the sample's larger size
        linux.write_file("/proc/self/oom_score_adj", "1000")
    if "net" in fds:  # the cell's own empty network namespace (instead of a new one per sample)
        linux.setns(fds["net"], linux.CLONE_NEWNET)
    os.setsid()  # its own session and process group: kill(0, ...) reaches no other sample, nor the server
    uid, gid = settings.ids(cell)
    if settings.unsafe:
        assert tmpdir is not None
        os.chdir(tmpdir)
    else:
        if not settings.privileged:
            _write_id_maps(uid, gid, settings.outside_uid, settings.outside_gid)
            for name, value in settings.namespace_limits:  # this user namespace's own counts
                linux.write_file(f"/proc/sys/user/{name}", str(value))
        assert settings.staging is not None
        options = f"size={settings.tmpfs_mb}m,nr_inodes=4096,mode=0700,uid={uid},gid={gid}"
        tmp = os.path.join(settings.staging, "tmp")
        linux.mount("tmpfs", tmp, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, options)
        os.chroot(settings.staging)
        os.chdir("/tmp")
    where = Descriptors()
    _keep_only(
        {
            where.job: fds["job"],
            where.ctl: fds["ctl"],
            where.out: fds["out"],
            where.err: fds["err"],
            where.res: fds["res"],
        }
    )
    _fixed_limits(settings)
    if not settings.unsafe:
        _drop_privileges(settings, uid, gid)
        linux.join_new_session_keyring()  # owned by the sample's uid; nothing inherited stays reachable
        linux.clear_own_keyrings()  # what an earlier sample of this uid left (seccomp refuses keyctl anyway)
        if settings.seccomp is not None:
            settings.seccomp.install()


def _fixed_limits(settings: SampleSettings) -> None:
    """The limits that do not depend on the job (hard = soft: they can never be raised again)."""
    limits = [
        (resource.RLIMIT_FSIZE, settings.max_file_mb << 20),
        (resource.RLIMIT_NOFILE, settings.max_open_files),
        (resource.RLIMIT_CORE, 0),
    ]
    if settings.nproc_limit:
        limits.append((resource.RLIMIT_NPROC, settings.max_processes))
    for kind, value in limits:
        resource.setrlimit(kind, (value, value))


def _job_limits(settings: SampleSettings, job: SampleJob) -> None:
    """Address space and CPU time for this job: only ever lowered, so no privilege is needed. A compiled
    program gets its memory and a margin; Python and the compiler also get the fork server's own size."""
    base = 0 if job.get("binary") else settings.base_vm
    memory = base + (int(job["memory_mb"]) << 20) + (64 << 20)
    cpu = max(1, int(job["cpu_seconds"]))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _drop_privileges(settings: SampleSettings, uid: int, gid: int) -> None:
    """No capabilities, and the cell's own ids as root.

    The fork server has set ``no_new_privs`` and, as root, emptied its capability bounding set once
    (:func:`lock_down_server`); both pass to every sample. A new user namespace starts with a full
    bounding set, so a sample in one (not root) empties its own.
    """
    if not settings.privileged:
        linux.drop_bounding_set(settings.last_cap)
    else:  # leaving uid 0 clears the permitted and effective sets
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    linux.clear_capabilities()


def lock_down_server(settings: SampleSettings) -> None:
    """What the fork server does once, for all its samples: an empty capability bounding set (root only:
    no later ``exec`` in a sample can gain a capability), ``no_new_privs``, and a new session keyring (no
    sample inherits the scorer's). Its own effective capabilities, which it needs, stay.
    """
    if settings.privileged:
        linux.drop_bounding_set(settings.last_cap)
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    with contextlib.suppress(OSError):  # a kernel without keyrings has nothing to inherit either
        linux.join_new_session_keyring()


def _write_files(files: dict[str, str]) -> None:
    """The job's files, in the working directory (the sample's private ``/tmp``); plain names only."""
    for name, text in files.items():
        if not name or "/" in name or name in (".", ".."):
            raise ValueError(f"a job file needs a plain name, got {name!r}")
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(text.encode("utf-8", "surrogateescape"))
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


def _binary(job: SampleJob) -> int | None:
    """A compiled program, in an anonymous in-memory file to be executed from (``fexecve``)."""
    if not job.get("binary"):
        return None
    fd = os.memfd_create("program", os.MFD_CLOEXEC)
    view = memoryview(base64.b64decode(job["binary"] or ""))
    while view:
        view = view[os.write(fd, view) :]
    return fd


def _start_job(settings: SampleSettings, job: SampleJob) -> int | None:
    """Job-specific set-up: descriptors 0-5, its files, address-space and CPU limits, environment,
    signals. Returns the descriptor of a compiled program to run, if the job has one."""
    where = Descriptors()
    call = job["mode"] == "call"
    _write_files(job.get("files") or {})
    program = _binary(job)
    if call or job["mode"] == "compile":
        stdin = os.open("/dev/null", os.O_RDONLY)
    else:
        stdin = os.memfd_create("stdin", 0)
        data = job["stdin"].encode("utf-8", "surrogateescape")
        view = memoryview(data)
        while view:
            view = view[os.write(stdin, view) :]
        os.lseek(stdin, 0, os.SEEK_SET)
    mapping = {
        0: stdin,
        1: where.err if call else where.out,
        2: where.err,
        CONTROL_FD: where.ctl,
        JOB_FD: where.job,
    }
    if call:
        mapping[RESULT_FD] = where.res
    if program is not None:
        mapping[PROGRAM_FD] = program
    _keep_only(mapping)
    if program is not None:
        os.set_inheritable(PROGRAM_FD, False)  # executing it closes it
    _job_limits(settings, job)
    os.environ.clear()
    for sig in (signal.SIGTERM, signal.SIGALRM, signal.SIGXCPU, signal.SIGCHLD, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return None if program is None else PROGRAM_FD


def _hand_over(call: bool) -> None:
    """After the go byte: say ``K``, close the control pipe, leave the job socket read-only as the calls
    channel (function-call mode) or close it."""
    os.write(CONTROL_FD, b"K\n")
    os.close(CONTROL_FD)
    if call:
        job = socket.socket(fileno=JOB_FD)
        job.shutdown(socket.SHUT_WR)
        job.detach()
        os.dup2(JOB_FD, runner.CALLS_FD, inheritable=True)
    os.close(JOB_FD)


def child_main(
    settings: SampleSettings,
    cell: int,
    fds: dict[str, int],
    cgroup_procs: tuple[str, ...],
    tmpdir: str | None,
) -> NoReturn:  # pragma: no cover - runs in the cloned sample
    """Prepare, wait for a job, set up for it, run it; never returns."""
    ctl = fds["ctl"]
    try:
        prepare(settings, cell, fds, cgroup_procs, tmpdir)
        ctl = Descriptors().ctl
        os.write(ctl, b"R\n")
        body = read_frame(Descriptors().job, _MAX_JOB_BYTES)
        if body is None:  # the server let this sample go unused
            os._exit(0)
        job: SampleJob = decode(body)  # type: ignore[assignment]
        program = _start_job(settings, job)
        ctl = CONTROL_FD
        if os.read(JOB_FD, 1) != GO:  # armed, then let go unused
            os._exit(0)
        _hand_over(job["mode"] == "call")
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            os.write(ctl, f"Esample setup failed: {exc!r}\n".encode())
        os._exit(EXIT_SETUP_FAILED)
    # -- from here on the program's code runs: nothing below is trusted ----------------------------------
    code = 1
    try:
        if program is not None:  # a compiled program takes this process's place (pid 1 of the namespace)
            os.execve(program, [*(job.get("argv") or ["program"])], {})
        elif job["mode"] == "call":
            code = runner.run_calls(job["program"], job["entry_point"] or "", job.get("prelude") or "")
        elif job["mode"] == "compile":
            code = runner.compile_cpp(job["program"], job.get("compiler"))
        else:
            code = runner.run_stdio(
                job["program"],
                list(job.get("argv") or ()),
                job.get("crash_status") or 1,
                job.get("prelude") or "",
            )
    finally:
        os._exit(code)


def cpu_seconds(budget: float) -> int:
    """The CPU-time limit of a run with ``budget`` wall-clock seconds: a backstop behind the wall clock.

    Example:
        >>> cpu_seconds(2.5)
        4
    """
    return math.ceil(budget) + 1
