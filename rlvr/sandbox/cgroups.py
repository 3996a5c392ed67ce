"""Per-cell control groups: a process cap (``pids``), a memory cap and at most one CPU per sandbox cell.

The fork server creates one group per concurrent slot, under the cgroup it runs in (so a delegated
subtree works), and removes them when it stops. cgroup v2 is used when its ``pids`` and ``memory``
controllers can be enabled there; otherwise cgroup v1 when the ``pids`` and ``memory`` hierarchies are
writable (as root on a v1 or hybrid host); otherwise nothing, and the caller falls back to rlimits
(``RLIMIT_NPROC`` under a dedicated uid, ``RLIMIT_AS``) and says so.

Example:
    >>> line = "36 25 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids"
    >>> fstype, point, options = parse_mountinfo_line(line)
    >>> fstype, point, sorted(options)
    ('cgroup', '/sys/fs/cgroup/pids', ['pids', 'rw'])
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass, field

CPU_PERIOD_US = 100_000
_V1_CONTROLLERS = ("pids", "memory", "cpu")


def parse_mountinfo_line(line: str) -> tuple[str, str, set[str]]:
    """``(fstype, mount point, super options)`` of one ``/proc/self/mountinfo`` line."""
    left, _, right = line.partition(" - ")
    mount_point = left.split()[4].replace("\\040", " ")
    fstype, _source, options = [*right.split(), "", "", ""][:3]
    return fstype, mount_point, set(options.split(","))


def _read(path: str) -> str:
    with open(path, encoding="ascii") as stream:
        return stream.read()


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)


def _counter(path: str, key: str) -> int:
    try:
        for line in _read(path).splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _own_paths() -> dict[str, str]:
    """This process's cgroup per v1 controller, and ``""`` for v2 (from ``/proc/self/cgroup``)."""
    paths: dict[str, str] = {}
    for line in _read("/proc/self/cgroup").splitlines():
        _hid, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            paths[controller] = path
    return paths


def _mounts() -> list[tuple[str, str, set[str]]]:
    return [
        parse_mountinfo_line(line) for line in _read("/proc/self/mountinfo").splitlines() if " - " in line
    ]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class SlotGroups:
    """The groups of one sandbox: ``slots`` directories per controller, created and removed together."""

    version: int
    bases: dict[str, str]  # controller -> the sandbox's base directory
    slots: int
    description: str = ""
    memory_set: dict[int, int] = field(default_factory=dict)
    residents: dict[int, int] = field(default_factory=dict)  # slot -> a process that lives there (spawner)
    kept: dict[str, int] = field(default_factory=dict)  # counter file -> a descriptor kept open to re-read it

    # -- per slot ------------------------------------------------------------------------------------------

    def slot_dir(self, controller: str, slot: int) -> str:
        return os.path.join(self.bases[controller], f"slot{slot}")

    def procs_files(self, slot: int) -> list[str]:
        """The ``cgroup.procs`` files a process writes its pid to, to enter the slot."""
        return list(dict.fromkeys(os.path.join(self.slot_dir(c, slot), "cgroup.procs") for c in self.bases))

    def set_memory(self, slot: int, limit_bytes: int) -> None:
        """Set the slot's memory cap (swap included where the kernel accounts it)."""
        if self.memory_set.get(slot) == limit_bytes:
            return
        folder = self.slot_dir("memory", slot)
        if self.version == 2:
            _write(os.path.join(folder, "memory.max"), str(limit_bytes))
        else:
            files = [os.path.join(folder, "memory.limit_in_bytes")]
            memsw = os.path.join(folder, "memory.memsw.limit_in_bytes")
            if os.path.exists(memsw):  # memsw >= limit at every moment: order depends on the direction
                files = (
                    [*files, memsw] if limit_bytes < self.memory_set.get(slot, 1 << 62) else [memsw, *files]
                )
            for path in files:
                _write(path, str(limit_bytes))
        self.memory_set[slot] = limit_bytes

    def oom_kills(self, slot: int) -> int:
        """How many processes the kernel's OOM killer has killed in this slot so far."""
        folder = self.slot_dir("memory", slot)
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        return self._counter(os.path.join(folder, name), "oom_kill")

    def process_cap_hits(self, slot: int) -> int:
        """How often a fork failed in this slot because of the process cap."""
        return self._counter(os.path.join(self.slot_dir("pids", slot), "pids.events"), "max")

    def _counter(self, path: str, key: str) -> int:
        """A ``key value`` counter, re-read from offset 0 of a descriptor kept open (read after every run)."""
        try:
            fd = self.kept.get(path)
            if fd is None:
                fd = self.kept[path] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            text = os.pread(fd, 4096, 0).decode("ascii")
        except (OSError, UnicodeDecodeError):
            return _counter(path, key)
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isdigit():
                return int(value)
        return 0

    def members(self, slot: int) -> list[int]:
        """Pids still in the slot besides its resident (empty once a sample is fully gone)."""
        if "pids" not in self.bases:
            return []
        try:
            text = _read(os.path.join(self.slot_dir("pids", slot), "cgroup.procs"))
        except OSError:
            return []
        return [int(pid) for pid in text.split() if int(pid) != self.residents.get(slot)]

    def empty_slot(self, slot: int, timeout: float = 2.0) -> bool:
        """SIGKILL whatever is left in the slot and wait until it is empty; False if it does not empty."""
        deadline = time.monotonic() + timeout
        while True:
            pids = self.members(slot)
            if not pids:
                return True
            if time.monotonic() > deadline:
                return False
            kill_file = os.path.join(self.slot_dir("pids", slot), "cgroup.kill")
            if self.version == 2 and os.path.exists(kill_file) and slot not in self.residents:
                with contextlib.suppress(OSError):
                    _write(kill_file, "1")
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def remove(self) -> None:
        """Empty and remove every slot and the base directories (residents too; best effort, never raises)."""
        self.residents.clear()
        for fd in self.kept.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self.kept.clear()
        for slot in range(self.slots):
            with contextlib.suppress(OSError):
                self.empty_slot(slot, timeout=1.0)
        for controller in self.bases:
            for slot in range(self.slots):
                with contextlib.suppress(OSError):
                    os.rmdir(self.slot_dir(controller, slot))
            with contextlib.suppress(OSError):
                os.rmdir(self.bases[controller])


def _sweep_stale(parent: str, prefix: str) -> None:
    """Remove groups left by sandboxes whose process died without cleaning up (empty ones only)."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        try:
            owner = int(name[len(prefix) :].split("-")[0])
        except ValueError:
            continue
        if _pid_alive(owner):
            continue
        base = os.path.join(parent, name)
        with contextlib.suppress(OSError):
            for child in os.listdir(base):
                if os.path.isdir(os.path.join(base, child)):
                    os.rmdir(os.path.join(base, child))
            os.rmdir(base)


def _setup_v1(name: str, slots: int, max_processes: int, cpu: bool) -> SlotGroups:
    """``max_processes`` counts the slot's residents too (the caller adds them)."""
    own = _own_paths()
    points: dict[str, str] = {}
    for fstype, mount_point, options in _mounts():
        if fstype == "cgroup":
            for controller in _V1_CONTROLLERS:
                if controller in options and controller not in points:
                    points[controller] = mount_point
    wanted = ["pids", "memory"] + (["cpu"] if cpu and "cpu" in points else [])
    missing = [c for c in ("pids", "memory") if c not in points or c not in own]
    if missing:
        raise OSError(f"no cgroup v1 hierarchy for {', '.join(missing)}")
    groups = SlotGroups(1, {}, slots)
    try:
        for controller in wanted:
            parent = os.path.join(points[controller], own[controller].lstrip("/"))
            _sweep_stale(parent, "rlvr-sandbox-")
            base = os.path.join(parent, name)
            os.mkdir(base)
            groups.bases[controller] = base
            for slot in range(slots):
                os.mkdir(groups.slot_dir(controller, slot))
        for slot in range(slots):
            _write(os.path.join(groups.slot_dir("pids", slot), "pids.max"), str(max_processes))
            if "cpu" in groups.bases:
                folder = groups.slot_dir("cpu", slot)
                _write(os.path.join(folder, "cpu.cfs_period_us"), str(CPU_PERIOD_US))
                _write(os.path.join(folder, "cpu.cfs_quota_us"), str(CPU_PERIOD_US))
    except OSError:
        groups.remove()
        raise
    groups.description = f"cgroup v1 ({', '.join(groups.bases)}) at {groups.bases['pids']} and alike"
    return groups


def _v2_parents(mount_point: str, own: str) -> list[str]:
    """Where a v2 sandbox may create its cells: under the scorer's own cgroup, or — cgroup v2 lets no
    cgroup both hold processes and hand controllers down, so a delegated cgroup whose scorer sits in a
    leaf (``<delegated>/scorer``) has its controllers one level up — beside it.

    Example:
        >>> _v2_parents("/sys/fs/cgroup", "/user.slice/rlvr.scope/scorer")
        ['/sys/fs/cgroup/user.slice/rlvr.scope/scorer', '/sys/fs/cgroup/user.slice/rlvr.scope']
    """
    own_dir = os.path.join(mount_point, own.lstrip("/"))
    parents = [own_dir]
    if own.strip("/"):
        parents.append(os.path.dirname(own_dir.rstrip("/")))
    return parents


def _setup_v2_under(parent: str, name: str, slots: int, max_processes: int, cpu: bool) -> SlotGroups:
    base = os.path.join(parent, name)
    _sweep_stale(parent, "rlvr-sandbox-")
    os.mkdir(base)
    groups = SlotGroups(2, {}, slots)
    try:
        available = set(_read(os.path.join(base, "cgroup.controllers")).split())
        if not {"pids", "memory"} <= available:
            raise OSError(
                f"cgroup v2 at {parent} does not delegate pids and memory (has: {sorted(available)})"
            )
        enable = ["pids", "memory"] + (["cpu"] if cpu and "cpu" in available else [])
        _write(os.path.join(base, "cgroup.subtree_control"), " ".join(f"+{c}" for c in enable))
        groups.bases = dict.fromkeys(["pids", "memory", *enable[2:]], base)
        for slot in range(slots):
            folder = os.path.join(base, f"slot{slot}")
            os.mkdir(folder)
            _write(os.path.join(folder, "pids.max"), str(max_processes))
            with contextlib.suppress(OSError):
                _write(os.path.join(folder, "memory.swap.max"), "0")
            if "cpu" in enable:
                _write(os.path.join(folder, "cpu.max"), f"{CPU_PERIOD_US} {CPU_PERIOD_US}")
    except OSError:
        groups.bases = groups.bases or {"pids": base}
        groups.remove()
        with contextlib.suppress(OSError):
            os.rmdir(base)
        raise
    groups.description = f"cgroup v2 ({', '.join(enable)}) at {base}"
    return groups


def _setup_v2(name: str, slots: int, max_processes: int, cpu: bool) -> SlotGroups:
    own = _own_paths().get("")
    mount_point = next((m for fstype, m, _ in _mounts() if fstype == "cgroup2"), None)
    if own is None or mount_point is None:
        raise OSError("no cgroup v2 hierarchy")
    reasons = []
    for parent in _v2_parents(mount_point, own):
        try:
            return _setup_v2_under(parent, name, slots, max_processes, cpu)
        except OSError as exc:
            reasons.append(str(exc))
    raise OSError("; ".join(reasons))


def setup_slot_groups(
    name: str, slots: int, max_processes: int, cpu: bool = True, residents: int = 0
) -> tuple[SlotGroups | None, str]:
    """Create the groups (v2, else v1); ``(None, why)`` when neither is writable here.

    ``residents``: processes that live in every slot besides its sample (a spawner): the process cap is
    ``max_processes`` for the sample plus them, and :meth:`SlotGroups.empty_slot` leaves them alone.

    Example:
        >>> groups, why = setup_slot_groups(f"rlvr-sandbox-{os.getpid()}-doctest", 1, 8)
        >>> groups is not None or bool(why)  # made here, or the reason why not
        True
        >>> groups.remove() if groups else None
    """
    reasons = []
    for setup in (_setup_v2, _setup_v1):
        try:
            return setup(name, slots, max_processes + residents, cpu), ""
        except (OSError, ValueError, IndexError) as exc:
            reasons.append(str(exc))
    return None, "; ".join(reasons)
