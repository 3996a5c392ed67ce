"""The Ray actor that serves rlvr on a node: it hosts rlvr's own executor and code sandbox there.

One :class:`NodeHost` actor runs per CPU it reserves, named after its node and slot in the ``rlvr``
namespace, so every process of a job (the ranks of a trainer) shares the same actors; the process that
created one owns it (it dies with that process). It judges nothing itself: a chunk of work is a
module-level *task* function called as ``task(resources, payload)``, where ``resources`` is the actor's
:class:`NodeResources` — the executors and sandboxes it has started on this node, made on first use and
kept across chunks. So per-item deadlines, worker kills, isolation and rlimits are enforced on the node
next to the work, by the same code as on one machine; the driver only sends chunks and collects results.

Two concurrency groups: ``work`` runs one chunk at a time, ``control`` answers ``ping`` and ``ready``
even while a chunk runs, so a driver can tell a busy actor from a dead or frozen one, and how long its
own chunk has been running (:class:`Heartbeat`).

The actor class is built by :func:`host_class` on first use, so importing this module needs no Ray.

Example:
    >>> resources = NodeResources()
    >>> resources.get("answer", lambda: [42]) is resources.get("answer", lambda: [0])
    True
    >>> resources.close()
"""

from __future__ import annotations

import functools
import logging
import os
import platform
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from rlvr.processes import RLVR_ROOT

logger = logging.getLogger("rlvr.executor.ray")

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")


NAMESPACE = "rlvr"
#: A process that used an actor this recently still counts as using it (see ``release``).
SHARED_SECONDS = 60.0


def actor_name(node_id: str, slot: int) -> str:
    """The name of the actor in ``slot`` of a node.

    Example:
        >>> actor_name("ab12cd34ef", 3)
        'rlvr-host-ab12cd34ef-3'
    """
    return f"rlvr-host-{node_id}-{slot}"


def parse_actor_name(name: str) -> tuple[str, int] | None:
    """``(node id, slot)`` of an actor's name, or None for another name.

    Example:
        >>> parse_actor_name("rlvr-host-ab12cd34ef-3"), parse_actor_name("other")
        (('ab12cd34ef', 3), None)
    """
    prefix, _, rest = name.partition("rlvr-host-")
    node_id, _, slot = rest.rpartition("-")
    if prefix or not node_id or not slot.isdigit():
        return None
    return node_id, int(slot)


@dataclass(frozen=True)
class HostInfo:
    """Where an actor runs (its node, that node's address, its pid, the rlvr and Python it has) and the
    token of the process that created it."""

    node_id: str
    address: str
    pid: int
    rlvr_root: str
    python: str
    creator: str


@dataclass(frozen=True)
class Heartbeat:
    """An actor's answer to ``ping``: chunks finished, and the chunk running now (its token, seconds)."""

    chunks_done: int
    running: str | None
    running_for: float


class NodeResources:
    """Services kept by one actor (executors, sandboxes, build caches), by key, made on first use.

    Anything with a ``close()`` method is closed with the actor.
    """

    def __init__(self) -> None:
        self._items: dict[Hashable, object] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The service under ``key``, made by ``make()`` the first time.

        Example:
            >>> NodeResources().get("cache", dict)
            {}
        """
        with self._lock:
            if key not in self._items:
                self._items[key] = make()
            return self._items[key]  # type: ignore[return-value]

    def close(self) -> None:
        """Close every service that can be closed (helper processes end with them).

        Example:
            >>> from rlvr.executor import Executor
            >>> resources = NodeResources()
            >>> executor = resources.get("executor", lambda: Executor(max_workers=1))
            >>> resources.close(); executor.live_workers
            0
        """
        with self._lock:
            items, self._items = list(self._items.values()), {}
        for item in items:
            close = getattr(item, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:
                    logger.exception("closing %r failed", item)


@functools.cache
def host_class() -> Any:
    """The Ray actor class :class:`NodeHost` (built once per process; needs Ray).

    Example:
        >>> host_class().options(num_cpus=1).remote("me")  # doctest: +SKIP
        Actor(NodeHost, ...)
    """
    import ray

    @ray.remote(concurrency_groups={"work": 1, "control": 1})
    class NodeHost:
        """The per-CPU actor (see the module docstring)."""

        def __init__(self, creator: str) -> None:
            self._creator = creator
            self._resources = NodeResources()
            self._chunks_done = 0
            self._running: tuple[str, float] | None = None
            self._clients: dict[str, float] = {}  # client token -> when it last sent a chunk or a ping

        @ray.method(concurrency_group="control")
        def ready(self) -> HostInfo:
            """Where this actor runs (the driver waits for this before sending work)."""
            return HostInfo(
                node_id=ray.get_runtime_context().get_node_id(),
                address=ray.util.get_node_ip_address(),
                pid=os.getpid(),
                rlvr_root=RLVR_ROOT,
                python=platform.python_version(),
                creator=self._creator,
            )

        @ray.method(concurrency_group="control")
        def ping(self, client: str) -> Heartbeat:
            """An answer means the actor is alive, whatever it is doing; it says what it is doing."""
            self._clients[client] = time.monotonic()
            running = self._running
            if running is None:
                return Heartbeat(self._chunks_done, None, 0.0)
            return Heartbeat(self._chunks_done, running[0], time.monotonic() - running[1])

        @ray.method(concurrency_group="work")
        def run(self, token: str, task: Callable[[NodeResources, P], R], payload: P) -> R:
            """One chunk: ``task(resources, payload)``; ``token`` (``client:number``) names it."""
            self._clients[token.rpartition(":")[0]] = time.monotonic()
            self._running = (token, time.monotonic())
            try:
                return task(self._resources, payload)
            finally:
                self._running = None
                self._chunks_done += 1

        @ray.method(concurrency_group="control")
        def release(self, client: str) -> bool:
            """``client`` is done with this actor. When no other process used it within
            ``SHARED_SECONDS``, close its services (their processes end) and return True: it may go."""
            self._clients.pop(client, None)
            now = time.monotonic()
            if any(now - seen < SHARED_SECONDS for seen in self._clients.values()):
                return False
            self._resources.close()
            return True

    return NodeHost
