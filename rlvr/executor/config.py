"""Settings of the executor, validated when built."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Literal

from rlvr.processes import usable_cpus

__all__ = ["RAY_ADDRESS_ENV", "Backend", "ExecutorConfig", "resolve_backend", "usable_cpus"]

#: The environment variable that sends rlvr's judgements to a Ray cluster when no backend is given.
RAY_ADDRESS_ENV = "RLVR_RAY_ADDRESS"
Backend = Literal["local", "ray"]
_BACKENDS = ("local", "ray")
_ADDRESS = re.compile(r"(ray://)?[A-Za-z0-9_.\-]+:\d{1,5}|\[[0-9A-Fa-f:]+\]:\d{1,5}")


def resolve_backend(
    backend: str | None, address: str | None, owner: str, environ: dict[str, str] | None = None
) -> tuple[Backend, str | None]:
    """The backend and Ray address a configuration means, checked; ``owner`` names it in errors.

    ``backend=None`` means "ray" when an address is given or ``RLVR_RAY_ADDRESS`` is set, else "local".
    On Ray, ``address=None`` reads ``RLVR_RAY_ADDRESS``, and without it (or with ``"local"``) means a
    local cluster started for the process, returned as ``"local"`` (so resolving again gives the same);
    ``"auto"`` finds a running one on this machine; ``"host:port"`` (or ``"ray://host:port"``) connects
    to the cluster there.

    Example:
        >>> resolve_backend(None, "127.0.0.1:6379", "ExecutorConfig", environ={})
        ('ray', '127.0.0.1:6379')
        >>> resolve_backend(None, None, "ExecutorConfig", environ={"RLVR_RAY_ADDRESS": "auto"})
        ('ray', 'auto')
        >>> resolve_backend("ray", None, "ExecutorConfig", environ={})
        ('ray', 'local')
        >>> resolve_backend("local", "10.0.0.1:6379", "ExecutorConfig", environ={})
        Traceback (most recent call last):
        ...
        ValueError: ExecutorConfig.ray_address is set ('10.0.0.1:6379') but backend is 'local'
    """
    env = os.environ if environ is None else environ
    if backend is not None and backend not in _BACKENDS:
        raise ValueError(f"{owner}.backend must be 'local' or 'ray', got {backend!r}")
    if address is not None:
        if not isinstance(address, str):
            raise ValueError(f"{owner}.ray_address must be a string, got {address!r}")
        address = address.strip()
        if backend == "local":
            raise ValueError(f"{owner}.ray_address is set ({address!r}) but backend is 'local'")
    if backend is None:
        address = address or env.get(RAY_ADDRESS_ENV, "").strip() or None
        backend = "ray" if address is not None else "local"
    elif backend == "ray" and address is None:
        address = env.get(RAY_ADDRESS_ENV, "").strip() or None
    if backend == "local":
        return "local", None
    if address is None or address == "local":
        return "ray", "local"
    problem = ray_address_problem(address)
    if problem is not None:
        source = f"${RAY_ADDRESS_ENV}" if address == env.get(RAY_ADDRESS_ENV, "").strip() else "ray_address"
        raise ValueError(f"{owner}: {source} {problem}")
    return "ray", address


def ray_address_problem(address: str) -> str | None:
    """What is wrong with a Ray address (``[ray://]HOST:PORT``, ``auto`` or ``local``), or ``None``.

    Only the form is checked; nothing is dialled.

    Example:
        >>> ray_address_problem("10.0.0.1:6379") is None, ray_address_problem("auto") is None
        (True, True)
        >>> ray_address_problem("head:70000")
        'has port 70000, out of range 1-65535'
    """
    if address in ("auto", "local"):
        return None
    if not _ADDRESS.fullmatch(address):
        return f"must be HOST:PORT (a Ray cluster's head), 'auto' or 'local', got {address!r}"
    port = int(address.rsplit(":", 1)[1])
    if not 0 < port < 65536:
        return f"has port {port}, out of range 1-65535"
    return None


@dataclass(frozen=True)
class ExecutorConfig:
    """How the executor runs judgements.

    Attributes:
        max_workers: worker processes at most; ``None`` means one per usable CPU. Workers start on first
            need, not before.
        timeout: hard wall-clock deadline of one judgement, in seconds, counted from the moment a worker
            receives it. Past it the worker is killed and the item gets ``None`` with reason "timeout".
        cache_size: judgements remembered per executor (least recently used are dropped); 0 disables.
        memory_limit_mb: address-space limit of each worker (``RLIMIT_AS``); ``None`` for no limit. A
            judgement that exceeds it fails with ``MemoryError`` (``None`` for that item).
        start_timeout: seconds a new worker may take to start and import ``preload``; a worker that does
            not start in time counts as a start failure.
        preload: modules every worker imports once at start, so the first judgement does not pay it.
        max_result_bytes: largest pickled result a worker may send back; a larger one fails the item.
        backend: ``"local"`` (worker processes on this machine) or ``"ray"`` (Ray actors across a
            cluster's nodes, each running this executor on its node). ``None``: ``"ray"`` when
            ``ray_address`` is given or ``RLVR_RAY_ADDRESS`` is set, else ``"local"``.
        ray_address: on Ray, the cluster: ``"HOST:PORT"`` of its head, ``"auto"``, or ``"local"`` to
            start a local one; ``None`` reads ``RLVR_RAY_ADDRESS``, else means ``"local"``. On Ray,
            ``max_workers`` caps the actors (default: one per available CPU of the cluster).
        ray_chunk_size: on Ray, items sent to an actor at once (default: chosen per batch, at most 128;
            see :mod:`rlvr.executor.ray_backend`).

    Example:
        >>> ExecutorConfig(max_workers=2, timeout=3.0).timeout
        3.0
        >>> ExecutorConfig(timeout=0)
        Traceback (most recent call last):
        ...
        ValueError: ExecutorConfig.timeout must be > 0, got 0
        >>> ExecutorConfig(backend="ray", ray_address="127.0.0.1:6379").backend
        'ray'
    """

    max_workers: int | None = None
    timeout: float = 5.0
    cache_size: int = 65536
    memory_limit_mb: int | None = 4096
    start_timeout: float = 60.0
    preload: tuple[str, ...] = field(default_factory=tuple)
    max_result_bytes: int = 16 * 1024 * 1024
    backend: Backend | None = None
    ray_address: str | None = None
    ray_chunk_size: int | None = None

    def __post_init__(self) -> None:
        if self.max_workers is not None and (not isinstance(self.max_workers, int) or self.max_workers < 1):
            raise ValueError(
                f"ExecutorConfig.max_workers must be a positive int or None, got {self.max_workers!r}"
            )
        for name in ("timeout", "start_timeout"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"ExecutorConfig.{name} must be > 0, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"ExecutorConfig.{name} must be finite, got {value!r}")
        for name in ("max_workers", "cache_size", "memory_limit_mb", "max_result_bytes"):
            if isinstance(getattr(self, name), bool):
                raise ValueError(f"ExecutorConfig.{name} must be an int, got {getattr(self, name)!r}")
        if not isinstance(self.cache_size, int) or self.cache_size < 0:
            raise ValueError(f"ExecutorConfig.cache_size must be an int >= 0, got {self.cache_size!r}")
        if self.memory_limit_mb is not None and (
            not isinstance(self.memory_limit_mb, int) or self.memory_limit_mb < 64
        ):
            raise ValueError(
                f"ExecutorConfig.memory_limit_mb must be an int >= 64 or None, got {self.memory_limit_mb!r}"
            )
        if not isinstance(self.max_result_bytes, int) or self.max_result_bytes < 1024:
            raise ValueError(
                f"ExecutorConfig.max_result_bytes must be an int >= 1024, got {self.max_result_bytes!r}"
            )
        object.__setattr__(self, "preload", tuple(self.preload))
        backend, address = resolve_backend(self.backend, self.ray_address, "ExecutorConfig")
        object.__setattr__(self, "backend", backend)
        object.__setattr__(self, "ray_address", address)
        if self.ray_chunk_size is not None and (
            isinstance(self.ray_chunk_size, bool)
            or not isinstance(self.ray_chunk_size, int)
            or self.ray_chunk_size < 1
        ):
            raise ValueError(
                f"ExecutorConfig.ray_chunk_size must be an int >= 1 or None, got {self.ray_chunk_size!r}"
            )

    @property
    def workers(self) -> int:
        """The effective worker count: ``max_workers`` or one per usable CPU."""
        return self.max_workers if self.max_workers is not None else usable_cpus()
