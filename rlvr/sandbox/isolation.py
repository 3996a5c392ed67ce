"""The fork server's one-time isolation set-up, and the honest description of what is in force.

At start the fork server (:mod:`rlvr.sandbox.server`) enters a private mount namespace (inside a new user
namespace when not root), builds the read-only root (:mod:`rlvr.sandbox.rootfs`) and, as root, one empty
network namespace per cell. This module does those steps and works out what samples are given:

- as root, each cell's samples run as their own uid and gid (``uid + cell``): per-user kernel counts
  (inotify instances, keys, pipe buffers, ...) are never shared by two samples running at once, nor with
  any real user;
- not root, samples run in a user namespace of their own; the kernel counts their use against the
  scorer's user all the same (user-namespace counts are hierarchical), so each sample caps its own
  namespace's counts at a share (:func:`namespace_limits`), and where a process cap or memory cap cannot be
  enforced the warnings say so at start.

Example:
    >>> dict(namespace_limits(cells=6, host={"max_inotify_instances": 128}))["max_inotify_instances"]
    16
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import tempfile
from dataclasses import dataclass, field

from rlvr.sandbox import linux
from rlvr.sandbox.rootfs import SYSTEM_FILES, SYSTEM_PATHS, build_root

#: Per-user kernel counts a sample's own user namespace caps at a share of the host's (not root).
SHARED_COUNTS = ("max_inotify_instances", "max_inotify_watches", "max_fanotify_groups", "max_fanotify_marks")
#: Namespaces a sample's own user namespace may create: none (seccomp refuses the calls as well).
NO_NAMESPACES = (
    "max_user_namespaces",
    "max_mnt_namespaces",
    "max_net_namespaces",
    "max_pid_namespaces",
    "max_ipc_namespaces",
    "max_uts_namespaces",
    "max_cgroup_namespaces",
    "max_time_namespaces",
)
_PROC_USER = "/proc/sys/user"


@dataclass
class Isolation:
    """What the server set up once: the clone flags of every sample, its root, its cells' networks."""

    flags: int = 0
    staging: str | None = None
    cell_networks: list[int] = field(default_factory=list)  # per cell: a namespace descriptor, or -1
    notes: list[str] = field(default_factory=list)


def namespace_advice(exc: BaseException, flags: int, privileged: bool) -> str:
    """A sandbox error that says what the kernel refused and what to do about it.

    Example:
        >>> refused = PermissionError(1, "Operation not permitted")
        >>> "unsafe=True" in namespace_advice(refused, linux.CLONE_NEWUSER, False)
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


def host_counts() -> dict[str, int]:
    """This user namespace's per-user kernel limits (``/proc/sys/user``), those that are readable.

    Example:
        >>> all(isinstance(v, int) for v in host_counts().values())
        True
    """
    counts: dict[str, int] = {}
    for name in SHARED_COUNTS:
        with contextlib.suppress(OSError, ValueError), open(os.path.join(_PROC_USER, name)) as stream:
            counts[name] = int(stream.read())
    return counts


def namespace_limits(cells: int, host: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """The counts a sample sets in its own user namespace: a share of each host limit (the samples of all
    cells plus the scorer and one spare share it), and no new namespaces at all.

    Example:
        >>> limits = dict(namespace_limits(cells=2, host={"max_inotify_watches": 8192}))
        >>> limits["max_inotify_watches"], limits["max_user_namespaces"]
        (2048, 0)
    """
    shares = cells + 2
    limits = [(name, max(1, host[name] // shares)) for name in SHARED_COUNTS if name in host]
    limits += [(name, 0) for name in NO_NAMESPACES if os.path.exists(os.path.join(_PROC_USER, name))]
    return tuple(limits)


def enter_own_namespaces(privileged: bool, ro_paths: list[str], sample_ids: list[tuple[int, int]]) -> str:
    """Move the server into a private mount namespace (and a user namespace when not root) and build the
    samples' read-only root; returns its path.

    Raises:
        RuntimeError: the kernel refused, with advice (:func:`namespace_advice`).
    """
    flags = linux.CLONE_NEWNS | (0 if privileged else linux.CLONE_NEWUSER)
    if not linux.clone_supported():
        raise RuntimeError(f"the code sandbox does not support this machine ({os.uname().machine}) yet")
    uid, gid = os.geteuid(), os.getegid()
    try:
        linux.unshare(flags)
        if not privileged:
            linux.write_file("/proc/self/setgroups", "deny")
            linux.write_file("/proc/self/gid_map", f"{gid} {gid} 1\n")
            linux.write_file("/proc/self/uid_map", f"{uid} {uid} 1\n")
        linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    except OSError as exc:
        raise RuntimeError(namespace_advice(exc, flags, privileged)) from None
    staging = tempfile.mkdtemp(prefix="rlvr-sandbox-root-")
    os.chmod(staging, 0o755)
    interpreter = [
        sys.base_prefix,
        sys.prefix,
        sys.exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
    ]
    try:
        build_root(staging, [*SYSTEM_PATHS, *SYSTEM_FILES, *interpreter, *ro_paths], sample_ids)
    except OSError as exc:
        raise RuntimeError(f"cannot build the sandbox's read-only root: {exc}") from None
    return staging


def sample_flags(privileged: bool) -> int:
    """The namespaces every sample is cloned into (the network one may be replaced by its cell's)."""
    flags = (
        linux.CLONE_NEWNS | linux.CLONE_NEWNET | linux.CLONE_NEWPID | linux.CLONE_NEWIPC | linux.CLONE_NEWUTS
    )
    return flags if privileged else flags | linux.CLONE_NEWUSER


def cell_networks(cells: int) -> tuple[list[int], str | None]:
    """One empty network namespace per cell (root only), or ``([], why not)``.

    Creating and destroying a network namespace per sample costs more CPU than most programs do; a cell
    runs one sample at a time and is reused only once that sample's pid namespace is gone (no process
    left to hold a socket), and a sample can change nothing in it (no capabilities, loopback down).
    """
    made: list[int] = []
    try:
        for _ in range(cells):
            made.append(linux.new_namespace(linux.CLONE_NEWNET))
    except (OSError, ValueError) as exc:
        for fd in made:
            os.close(fd)
        return [], str(exc)
    return made, None


def user_processes(uid: int) -> int:
    """Tasks (processes and their threads, as ``RLIMIT_NPROC`` counts them) of ``uid`` now, from ``/proc``.

    Example:
        >>> user_processes(os.getuid()) >= 1
        True
    """
    count = 0
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            owner, threads = -1, 1
            with (
                contextlib.suppress(OSError, ValueError),
                open(f"/proc/{entry}/status", encoding="ascii") as s,
            ):
                for line in s:
                    if line.startswith("Uid:"):
                        owner = int(line.split()[1])
                    elif line.startswith("Threads:"):
                        threads = int(line.split()[1])
            if owner == uid:
                count += threads
    return count


def process_share(cells: int, in_use: int) -> int | None:
    """Processes each sample may have so that all cells together take at most half of what this user's
    ``RLIMIT_NPROC`` leaves (the scorer keeps the other half); ``None`` when the limit is infinite.

    Not root, a sample's processes count against the scorer's user as well as its own namespace's cap
    (user-namespace counts are hierarchical), so without this a fork bomb could leave the scorer unable to
    start a thread.

    Example:
        >>> import resource
        >>> share = process_share(cells=6, in_use=100)
        >>> share is None or share >= 0
        True
    """
    soft, _hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(0, (soft - in_use) // (2 * cells))


MEMORY_WARNING = (
    "no memory cgroup (not root, no delegated cgroup): a sample's processes are each held to its memory "
    "limit by RLIMIT_AS, and together only by a watchdog that reads their memory every 50 ms and kills a "
    "sample past its limit (it can overshoot between readings); run as root or give the scorer a delegated "
    "cgroup for a real cap (see README, Code execution)"
)
