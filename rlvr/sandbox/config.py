"""Settings of the code sandbox, validated when built.

Example:
    >>> SandboxConfig(workers=2).slots
    2
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass

from rlvr.processes import usable_cpus

#: The first uid (and gid) of the range samples run as when the scorer is root: one per cell. A range no
#: account uses on common systems (systemd leaves 1879048192-2147352575 unallocated).
DEFAULT_SAMPLE_UID = 2_000_000_000
_LARGEST_ID = (1 << 32) - 2


@dataclass(frozen=True)
class SandboxConfig:
    """Limits and isolation of the code sandbox (per sample unless said otherwise).

    Attributes:
        workers: samples run at once (the CPU budget); default one per usable CPU.
        max_processes: processes and threads a sample may have (``pids.max`` or ``RLIMIT_NPROC``).
        tmpfs_mb: size of the private ``/tmp`` (its pages count against the memory cap).
        max_file_mb: largest file a sample may write (``RLIMIT_FSIZE``).
        max_open_files: ``RLIMIT_NOFILE``.
        max_output_bytes: stdout (stdin/stdout mode) or result records (function-call mode) read at most;
            past it the sample is killed.
        stderr_tail_bytes: how much of the end of stderr is kept for the reason.
        setup_timeout: seconds a sample may take to isolate itself before it is a sandbox error.
        start_timeout: seconds the fork server may take to start.
        cpu_quota: one CPU per sample via the cpu cgroup controller, when writable.
        network_per_sample: as root, a new network namespace for every sample instead of one empty
            namespace per cell entered by its samples one at a time (equally cut off from any network;
            creating and destroying one per sample costs some 15-20 % of the throughput). Unprivileged,
            every sample always gets its own.
        seccomp: install the seccomp filter in every sample (:mod:`rlvr.sandbox.seccomp`); turning it off
            is logged as a warning at start.
        unsafe: run without namespaces (trusted code only; logs a warning on every use).
        python: the interpreter (default: the real path of ``sys.executable``; never a pyenv shim).
        ro_paths: extra host paths made visible read-only (e.g. a virtual environment's site-packages).
        uid: as root, the first of the uids samples run as — cell ``i`` uses ``uid + i``, so samples
            running at once never share per-user kernel counts; ``gid`` likewise. Unprivileged, samples are
            uid 65534 inside their own user namespace.

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
    seccomp: bool = True
    unsafe: bool = False
    python: str | None = None
    ro_paths: tuple[str, ...] = ()
    uid: int = DEFAULT_SAMPLE_UID
    gid: int = DEFAULT_SAMPLE_UID

    def __post_init__(self) -> None:
        if self.workers is not None and (
            isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1
        ):
            raise ValueError(f"SandboxConfig.workers must be an int >= 1 or None, got {self.workers!r}")
        minimum = {"max_processes": 1, "tmpfs_mb": 1, "max_file_mb": 1, "max_open_files": 16}
        minimum |= {"max_output_bytes": 1024, "stderr_tail_bytes": 0, "uid": 1, "gid": 1}
        for name, low in minimum.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"SandboxConfig.{name} must be an int >= {low}, got {value!r}")
        for name in ("uid", "gid"):
            if getattr(self, name) + 3 * self.slots - 1 > _LARGEST_ID:
                raise ValueError(
                    f"SandboxConfig.{name}: no room for {3 * self.slots} ids from {getattr(self, name)}"
                )
        for name in ("setup_timeout", "start_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValueError(f"SandboxConfig.{name} must be a finite number > 0, got {value!r}")
        for name in ("cpu_quota", "network_per_sample", "seccomp", "unsafe"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"SandboxConfig.{name} must be True or False, got {getattr(self, name)!r}")
        if self.python is not None and not os.path.isabs(self.python):
            raise ValueError(f"SandboxConfig.python must be an absolute path, got {self.python!r}")
        object.__setattr__(self, "ro_paths", tuple(self.ro_paths))
        for path in self.ro_paths:
            if not os.path.isabs(path) or os.path.normpath(path) in ("/", "/tmp", "/proc", "/sys", "/dev"):
                raise ValueError(f"SandboxConfig.ro_paths: {path!r} cannot be exposed to samples")

    @property
    def slots(self) -> int:
        """Samples that run at once."""
        return self.workers or usable_cpus()

    @property
    def interpreter(self) -> str:
        """The interpreter that runs the fork server and every sample."""
        return self.python or os.path.realpath(sys.executable)
