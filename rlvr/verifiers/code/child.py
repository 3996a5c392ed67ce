"""The life of one sample process, from the spawner's ``clone`` to the program's exit.

Its cell's spawner clones the child ahead of need, straight into new namespaces and into the cell's
cgroups. The child *prepares* (makes itself the OOM killer's first choice, enters its cell's empty network
namespace as root, maps its ids in a user namespace, mounts a private tmpfs, ``chroot``\\ s into the
read-only root, keeps only its own pipes, sets the fixed hard rlimits and drops every capability —
``setuid`` to nobody as root; ``no_new_privs`` and, as root, the empty bounding set come from the fork
server) and says ``R`` on its control pipe. When a job comes (one frame on its job socket) it *arms*: puts
its pipes on descriptors 0-5, lowers the address-space and CPU limits to the job's and clears the
environment. Then it waits for the go byte on the job socket, closes that socket, says ``K`` and closes
the control pipe — so nothing the program does can speak on either — and only then runs the program
(:mod:`rlvr.verifiers.code.runner_main`). Any failure before ``K`` is reported as ``E<reason>``: a sandbox
error, never the program's fault or credit.

Example:
    >>> Descriptors().all()
    (10, 11, 12, 13, 14)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import resource
import signal
from dataclasses import dataclass
from typing import Any, NoReturn

from rlvr.verifiers.code import linux, runner_main
from rlvr.verifiers.code.wire import FRAME_HEADER

RESULT_FD = 3
CONTROL_FD = 4
JOB_FD = 5  # kept until the go byte comes, then closed before the program runs
GO = b"G"
EXIT_SETUP_FAILED = 70


@dataclass(frozen=True)
class Descriptors:
    """Where a prepared child keeps its pipes while it waits for a job."""

    job: int = 10
    ctl: int = 11
    out: int = 12
    err: int = 13
    res: int = 14

    def all(self) -> tuple[int, ...]:
        return (self.job, self.ctl, self.out, self.err, self.res)


@dataclass(frozen=True)
class ChildSettings:
    """What a child needs to isolate itself (fixed for the fork server's life)."""

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
    settings: ChildSettings, fds: dict[str, int], cgroup_procs: tuple[str, ...], tmpdir: str | None
) -> None:
    """Everything that does not depend on the job (runs right after ``clone``)."""
    for path in cgroup_procs:
        linux.write_file(path, "0")  # "0": the writing process itself
    # The OOM killer's first choice, before its cell's spawner (which it inherited -1000 from, as root):
    # raising is always allowed, and as root this also raises the floor a later write could go back to.
    with contextlib.suppress(OSError):  # no /proc: the OOM killer still weighs the sample's larger size
        linux.write_file("/proc/self/oom_score_adj", "1000")
    if "net" in fds:  # the cell's own empty network namespace (instead of a new one per sample)
        linux.setns(fds["net"], linux.CLONE_NEWNET)
    os.setsid()  # its own session and process group: kill(0, ...) reaches no other sample, nor the server
    if settings.unsafe:
        assert tmpdir is not None
        os.chdir(tmpdir)
    else:
        if not settings.privileged:
            _write_id_maps(settings.uid, settings.gid, settings.outside_uid, settings.outside_gid)
        assert settings.staging is not None
        options = f"size={settings.tmpfs_mb}m,nr_inodes=4096,mode=0700,uid={settings.uid},gid={settings.gid}"
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
        _drop_privileges(settings)


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def _receive_job(fd: int) -> dict[str, Any] | None:
    """One frame from the job socket, read to its last byte and no further (the go byte follows)."""
    header = _read_exactly(fd, FRAME_HEADER.size)
    if header is None:
        return None
    body = _read_exactly(fd, FRAME_HEADER.unpack(header)[0])
    if body is None:
        return None
    return json.loads(body)


def _fixed_limits(settings: ChildSettings) -> None:
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


def _job_limits(settings: ChildSettings, spec: dict[str, Any]) -> None:
    """Address space and CPU time for this job: only ever lowered, so no privilege is needed."""
    memory = settings.base_vm + (int(spec["memory_mb"]) << 20) + (64 << 20)
    cpu = math.ceil(spec["budget"]) + 1
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _drop_privileges(settings: ChildSettings) -> None:
    """No capabilities, and nobody's ids as root.

    The fork server has set ``no_new_privs`` and, as root, emptied its capability bounding set once
    (:func:`lock_down_server`); both pass to every child. A new user namespace starts with a full
    bounding set, so a child in one (not root) empties its own.
    """
    if not settings.privileged:
        linux.drop_bounding_set(settings.last_cap)
    else:  # leaving uid 0 clears the permitted and effective sets
        os.setgroups([])
        os.setresgid(settings.gid, settings.gid, settings.gid)
        os.setresuid(settings.uid, settings.uid, settings.uid)
    linux.clear_capabilities()


def lock_down_server(settings: ChildSettings) -> None:
    """What the fork server does once, for all its children: an empty capability bounding set (root only:
    no later ``exec`` in a child can gain a capability) and ``no_new_privs``. Its own effective
    capabilities, which it needs to isolate children, stay.
    """
    if settings.privileged:
        linux.drop_bounding_set(settings.last_cap)
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)


def _start_job(settings: ChildSettings, spec: dict[str, Any]) -> None:
    """Job-specific isolation: descriptors 0-4, address-space and CPU limits, environment, signals."""
    where = Descriptors()
    call = spec["mode"] == "call"
    if call:
        stdin = os.open("/dev/null", os.O_RDONLY)
    else:
        stdin = os.memfd_create("stdin", 0)
        data = spec["stdin"].encode("utf-8", "surrogateescape")
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
    _keep_only(mapping)
    _job_limits(settings, spec)
    os.environ.clear()
    for sig in (signal.SIGTERM, signal.SIGALRM, signal.SIGXCPU, signal.SIGCHLD, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def child_main(
    settings: ChildSettings, fds: dict[str, int], cgroup_procs: tuple[str, ...], tmpdir: str | None
) -> NoReturn:  # pragma: no cover - runs in the cloned child
    """Prepare, wait for a job, isolate for it, run it; never returns."""
    ctl = fds["ctl"]
    try:
        prepare(settings, fds, cgroup_procs, tmpdir)
        ctl = Descriptors().ctl
        os.write(ctl, b"R\n")
        spec = _receive_job(Descriptors().job)
        if spec is None:  # the server let this child go unused
            os._exit(0)
        _start_job(settings, spec)
        ctl = CONTROL_FD
        if os.read(JOB_FD, 1) != GO:  # armed, then let go unused
            os._exit(0)
        os.close(JOB_FD)
        os.write(CONTROL_FD, b"K\n")
        os.close(CONTROL_FD)
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            os.write(ctl, f"Esample setup failed: {exc!r}\n".encode())
        os._exit(EXIT_SETUP_FAILED)
    # -- from here on the program's code runs: nothing below is trusted ----------------------------------
    code = 1
    try:
        if spec["mode"] == "call":
            code = runner_main.run_calls(spec["program"], spec["entry_point"], spec["calls"])
        else:
            code = runner_main.run_stdio(spec["program"])
    finally:
        os._exit(code)
