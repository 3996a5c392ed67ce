"""A memory cap across a sample's processes where no memory cgroup can be had (not root, no delegation).

Without a cgroup each process is held to its address-space limit (``RLIMIT_AS``) alone, so a sample that
forks could use its limit many times over. Here the fork server reads, every :data:`INTERVAL` seconds,
the anonymous memory of each running sample's whole process tree (``/proc/<pid>/task/*/children``) — the
proportional share, so pages a fork shares with its parent count once — and kills a sample past its cap.
It is a watchdog, not a cap: between two readings a sample can go past its limit by what its processes
allocate in that time (each still under ``RLIMIT_AS``). A memory cgroup is the real thing.

Example:
    >>> tree_pids(os.getpid())[0] == os.getpid()
    True
    >>> anonymous_bytes(os.getpid()) > 0
    True
"""

from __future__ import annotations

import contextlib
import os

INTERVAL = 0.05
_MAX_PROCESSES = 4096


def tree_pids(root: int) -> list[int]:
    """``root`` and every descendant of it, parents first (processes gone meanwhile are skipped)."""
    found = [root]
    index = 0
    while index < len(found) and len(found) < _MAX_PROCESSES:
        pid = found[index]
        index += 1
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{pid}/task"):
                with (
                    contextlib.suppress(OSError, ValueError),
                    open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as stream,
                ):
                    found.extend(int(child) for child in stream.read().split())
    return found


def anonymous_bytes(pid: int) -> int:
    """A process's share of anonymous and shared-memory pages, in bytes (0 once it is gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as stream:
            for line in stream:
                if line.startswith(("Pss_Anon:", "Pss_Shmem:")):
                    total += int(line.split()[1]) << 10
        return total
    except (OSError, ValueError):
        pass
    with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/status", encoding="ascii") as stream:
        for line in stream:
            if line.startswith(("RssAnon:", "RssShmem:")):
                total += int(line.split()[1]) << 10
    return total


def tree_bytes(root: int) -> int:
    """The anonymous memory of ``root``'s whole process tree, in bytes."""
    return sum(anonymous_bytes(pid) for pid in tree_pids(root))
