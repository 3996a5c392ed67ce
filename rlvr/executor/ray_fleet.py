"""rlvr's actors on a Ray cluster, and the driver loop that sends them chunks of work.

A :class:`RayFleet` is this process's view of rlvr's :class:`~rlvr.executor.ray_host.NodeHost` actors:
one per CPU, each reserving it, named after its node and slot, so every process of a job — the ranks of
a trainer under ``accelerate`` — shares the same actors instead of racing for CPUs. On every alive node
the fleet uses the rlvr actors already there and creates one per CPU still unreserved (at most ``cap``
in all, spread over the nodes). :meth:`RayFleet.run` takes a list of :class:`ChunkJob` — a payload for a
module-level task function, the number of items it holds and how long it may take once started — and
returns one :class:`ChunkResult` per job, in order:

- **Backpressure.** This process keeps at most ``DEPTH`` (2) chunks on an actor: one running, one waiting
  so it never idles for a round trip. Payloads are made only when a chunk is sent, so the driver holds
  at most ``DEPTH x actors`` chunks in flight.
- **Faults.** A chunk whose actor dies (its process, its raylet, its node), misses heartbeats for
  ``heartbeat_timeout`` seconds, or runs past the chunk's own bound (the actor reports what it runs in
  every heartbeat) is sent once more, to another actor; so is a chunk whose task raised (its actor kept);
  failing again, its result is ``None`` with the reasons. A lost actor is killed (a late answer can
  never count) and its slot filled again while its node is alive. Nothing waits without a deadline: a
  running chunk is bounded by its ``bound``, an actor by its heartbeat, a fleet without any actor by
  ``start_timeout``.
- **Growth.** The cluster's nodes are re-read every 2 seconds while work runs: a node that joins gets
  actors and takes chunks from then on; a node that leaves loses its actors (their chunks re-dispatched).

One fleet per cluster and cap serves a whole process (every executor and code sandbox in it, on every
thread); :func:`acquire` and :func:`release` count its users, and the last one out kills the actors this
process created (and stops a cluster rlvr started itself).

Example:
    >>> plan_chunk_size(items=10, actors=2, preferred=None)
    3
    >>> plan_chunk_size(items=20_000, actors=2, preferred=None)
    128
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rlvr.executor.pool import ExecutorError
from rlvr.executor.ray_cluster import Connection, NodeView, alive_nodes, connect, import_ray
from rlvr.executor.ray_host import (
    NAMESPACE,
    Heartbeat,
    HostInfo,
    NodeResources,
    actor_name,
    host_class,
    parse_actor_name,
)
from rlvr.executor.ray_stats import RayStats
from rlvr.processes import RLVR_ROOT, describe_exception

logger = logging.getLogger("rlvr.executor.ray")

#: Chunks this process keeps on an actor at once (one running, one waiting).
DEPTH = 2
#: Largest chunk chosen when the caller does not say (see :func:`plan_chunk_size`).
MAX_CHUNK = 128
HEARTBEAT_SECONDS = 1.0
HEARTBEAT_TIMEOUT = 10.0
REFRESH_SECONDS = 2.0
_SLOT_BACKOFF_SECONDS = 10.0
_SETTLE_SECONDS = 3.0
_WAIT_SECONDS = 0.2
_ATTEMPTS = 2  # the first dispatch and one re-dispatch


def plan_chunk_size(items: int, actors: int, preferred: int | None, largest: int = MAX_CHUNK) -> int:
    """Items per chunk: ``preferred`` when given, else enough chunks for every actor to hold ``DEPTH``
    of them, at most ``largest`` items each (one round trip then costs little per item)."""
    if preferred is not None:
        return max(1, preferred)
    return max(1, min(largest, math.ceil(items / max(1, actors * DEPTH))))


@dataclass(frozen=True)
class ChunkJob:
    """One chunk: ``make_payload()`` builds what the task receives (called when the chunk is first sent);
    ``items`` counts its items; ``bound`` is the seconds it may run once an actor starts it."""

    make_payload: Callable[[], object]
    items: int
    bound: float


@dataclass(frozen=True)
class ChunkResult:
    """What became of a chunk: the task's ``value``, or ``None`` and the ``error``; ``node`` is the label
    of the node that judged it, ``attempts`` how many times it was sent."""

    value: object = None
    error: str | None = None
    node: str | None = None
    attempts: int = 1


@dataclass(frozen=True)
class RunInfo:
    """Facts of one :meth:`RayFleet.run`: the nodes with a ready actor during it, and actors lost."""

    nodes: frozenset[str]
    actors_lost: int


def run_stats(chunks: Sequence[tuple[int, ChunkResult]], info: RunInfo) -> RayStats:
    """The :class:`~rlvr.executor.ray_stats.RayStats` of one run, from ``(items, result)`` per chunk.

    Example:
        >>> results = [(3, ChunkResult(value=[], node="n1")), (2, ChunkResult(error="lost", attempts=2))]
        >>> stats = run_stats(results, RunInfo(frozenset({"n1"}), actors_lost=1))
        >>> stats.items, stats.null_items, stats.redispatched_items, stats.nodes
        (3, 2, 2, frozenset({'n1'}))
    """
    per_node: dict[str, int] = {}
    judged = nulls = redispatched = chunks_done = 0
    for items, result in chunks:
        if result.attempts > 1:
            redispatched += items
        if result.error is None:
            judged += items
            chunks_done += 1
            if result.node is not None:
                per_node[result.node] = per_node.get(result.node, 0) + items
        else:
            nulls += items
    return RayStats(
        items=judged,
        chunks=chunks_done,
        per_node=tuple(sorted(per_node.items())),
        node_runs=tuple((label, 1) for label in sorted(info.nodes)),
        redispatched_items=redispatched,
        null_items=nulls,
        actors_lost=info.actors_lost,
    )


class _State(Enum):
    STARTING = "starting"
    READY = "ready"
    LOST = "lost"


@dataclass(eq=False)
class _Flight:
    ref: Any
    job: int
    actor: _Actor
    token: str
    bound: float
    failed: str | None = None


@dataclass(eq=False)
class _Actor:
    ident: int
    handle: Any
    node_id: str
    slot: int
    ready_ref: Any
    created: float
    state: _State = _State.STARTING
    info: HostInfo | None = None
    owned: bool = False
    label: str = ""
    flights: deque[_Flight] = field(default_factory=deque)
    ping_ref: Any = None
    ping_sent: float = 0.0
    last_alive: float = 0.0


@dataclass
class _Job:
    attempts: int = 0
    excluded: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    payload: object = None


def _task_error(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return describe_exception(cause, 300)
    return describe_exception(exc, 300)


class RayFleet:
    """rlvr's actors on one cluster, as this process uses them (see the module docstring). Thread-safe."""

    def __init__(
        self,
        connection: Connection,
        cap: int | None,
        start_timeout: float,
        heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
    ) -> None:
        self.connection = connection
        self.cap = cap
        self.start_timeout = start_timeout
        self.heartbeat_timeout = heartbeat_timeout
        self._ray = import_ray()
        self._token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._lock = threading.RLock()
        self._actors: dict[int, _Actor] = {}
        self._wanted: dict[str, list[int]] = {}  # node id -> the slots this process uses there
        self._nodes: list[NodeView] = []
        self._backoff: dict[tuple[str, int], float] = {}  # (node, slot) -> not before this time
        self._failures: dict[tuple[str, int], int] = {}  # (node, slot) -> start failures in a row
        self._ids = itertools.count()
        self._chunk_ids = itertools.count()
        self._turn = itertools.count()
        self._refreshed = -math.inf
        self._maintained = -math.inf
        self._last_start_error = ""
        self.actors_lost = 0
        self.closed = False

    # -- the actors --------------------------------------------------------------------------------------

    def start(self) -> None:
        """Place the first actors and wait until they are ready: all of them, with every node that has
        CPUs served (a CPU another process just let go of frees within a few seconds); or the first one
        plus a short grace, the rest joining when ready.

        Raises:
            ExecutorError: no actor became ready within ``start_timeout``.

        Example:
            >>> fleet = RayFleet(connect("127.0.0.1:6379", 60.0), None, 60.0)  # doctest: +SKIP
            >>> fleet.start(); fleet.ready_actors()  # doctest: +SKIP
            2
        """
        began = time.monotonic()
        first_ready: float | None = None
        while True:
            now = time.monotonic()
            self._maintain(force_refresh=now - self._refreshed >= 0.5)
            with self._lock:
                live = [a for a in self._actors.values() if a.state is not _State.LOST]
                ready = [a for a in live if a.state is _State.READY]
                covered = self.cap is not None and len(live) >= self.cap
                covered = covered or all(self._wanted.get(node.node_id) for node in self._nodes)
            now = time.monotonic()
            if ready and first_ready is None:
                first_ready = now
            if live and len(ready) == len(live) and (covered or now - began > _SETTLE_SECONDS):
                return
            grace = max(_SETTLE_SECONDS, 2 * ((first_ready or now) - began))
            if first_ready is not None and now - first_ready > grace:
                return
            if now - began > self.start_timeout:
                why = f" (last start failure: {self._last_start_error})" if self._last_start_error else ""
                raise ExecutorError(
                    f"no rlvr actor became ready on the Ray cluster at {self.connection.gcs_address} "
                    f"within {self.start_timeout:g} s: is rlvr installed on its nodes, are CPUs free?{why}"
                )
            time.sleep(0.05)

    def ready_actors(self) -> int:
        """Actors ready to take chunks now.

        Example:
            >>> acquire("127.0.0.1:6379", None, 60.0).ready_actors()  # doctest: +SKIP
            2
        """
        with self._lock:
            return sum(a.state is _State.READY for a in self._actors.values())

    def ready_nodes(self) -> frozenset[str]:
        """Labels of the nodes that have a ready actor now.

        Example:
            >>> sorted(acquire("127.0.0.1:6379", None, 60.0).ready_nodes())  # doctest: +SKIP
            ['192.0.2.2/1514d643', '192.0.2.2/ec0fd24c']
        """
        with self._lock:
            return frozenset(a.label for a in self._actors.values() if a.state is _State.READY)

    def hosts(self) -> list[HostInfo]:
        """Where the ready actors run (node, address, pid): for diagnostics.

        Example:
            >>> [host.pid for host in acquire("127.0.0.1:6379", None, 60.0).hosts()]  # doctest: +SKIP
            [28645, 28682]
        """
        with self._lock:
            return [a.info for a in self._actors.values() if a.state is _State.READY and a.info is not None]

    def _named(self) -> set[tuple[str, int]]:
        """``(node id, slot)`` of every rlvr actor alive on the cluster (any process's)."""
        found = set()
        for entry in self._ray.util.list_named_actors(all_namespaces=True):
            if entry.get("namespace") == NAMESPACE:
                where = parse_actor_name(str(entry.get("name", "")))
                if where is not None:
                    found.add(where)
        return found

    def _take(self, node_id: str, slot: int) -> None:
        """The actor in ``slot`` of a node: the one there, or a new one (owned by this process)."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        handle = (
            host_class()
            .options(
                name=actor_name(node_id, slot),
                namespace=NAMESPACE,
                get_if_exists=True,
                num_cpus=1,
                max_restarts=0,
                max_task_retries=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
            )
            .remote(self._token)
        )
        actor = _Actor(next(self._ids), handle, node_id, slot, handle.ready.remote(), time.monotonic())
        self._actors[actor.ident] = actor

    def _kill(self, actor: _Actor) -> None:
        try:
            self._ray.kill(actor.handle, no_restart=True)
        except Exception:
            logger.debug("killing actor %d failed", actor.ident, exc_info=True)

    def _lose(self, actor: _Actor, reason: str) -> None:
        """Give up on an actor: its chunks fail with ``reason`` (their runs re-dispatch them)."""
        if actor.state is _State.LOST:
            return
        was_ready = actor.state is _State.READY
        actor.state = _State.LOST
        for flight in actor.flights:
            flight.failed = reason
        actor.flights.clear()
        self._kill(actor)  # for every process that uses it: its slot is then filled anew
        self._actors.pop(actor.ident, None)
        slot = (actor.node_id, actor.slot)
        self._failures[slot] = 0 if was_ready else self._failures.get(slot, 0) + 1
        pause = min(_SLOT_BACKOFF_SECONDS, 0.5 * 2 ** self._failures[slot]) if self._failures[slot] else 0.0
        self._backoff[slot] = time.monotonic() + pause
        if was_ready:
            self.actors_lost += 1
            logger.warning("Ray actor on node %s lost: %s", actor.label, reason)
        else:
            self._last_start_error = reason
        if "owner has died" in reason and actor.info is not None:  # its siblings die with the same process
            for other in list(self._actors.values()):
                if other.info is not None and other.info.creator == actor.info.creator:
                    self._lose(other, reason)

    def _refresh(self) -> None:
        """Re-read the cluster: actors of departed nodes lost; on every node, the rlvr actors there (any
        process's) and one per unreserved CPU taken into use, within the cap, spread; gaps filled."""
        try:
            nodes = alive_nodes()
            named = self._named()
        except Exception as exc:
            logger.warning("cannot list the Ray cluster's nodes: %s", describe_exception(exc))
            return
        self._nodes = nodes
        alive = {node.node_id for node in nodes}
        for actor in list(self._actors.values()):
            if actor.node_id not in alive:
                self._lose(actor, f"node {actor.label or actor.node_id[:8]} left the cluster")
        for node_id in list(self._wanted):
            if node_id not in alive:
                del self._wanted[node_id]
        self._grow(nodes, named)
        now = time.monotonic()
        held = {(a.node_id, a.slot) for a in self._actors.values()}
        for node_id, slots in self._wanted.items():
            for slot in slots:
                if (node_id, slot) not in held and self._backoff.get((node_id, slot), 0.0) <= now:
                    try:
                        self._take(node_id, slot)
                    except Exception as exc:  # Ray refused the request: try the slot again later
                        self._last_start_error = describe_exception(exc, 300)
                        self._backoff[(node_id, slot)] = now + _SLOT_BACKOFF_SECONDS
                        logger.warning("cannot start a Ray actor on node %s: %s", node_id[:8], exc)

    def _grow(self, nodes: Sequence[NodeView], named: set[tuple[str, int]]) -> None:
        """Slots taken into use: rlvr's actors already on a node, then one per CPU unreserved there
        (not while an actor of this process still waits for its CPU on that node); one node after the
        other until the cap."""
        offers: dict[str, deque[int]] = {}
        for node in nodes:
            wanted = self._wanted.setdefault(node.node_id, [])
            existing = [slot for n, slot in sorted(named) if n == node.node_id and slot not in wanted]
            waiting = any(
                a.node_id == node.node_id and a.state is _State.STARTING for a in self._actors.values()
            )
            free = 0 if waiting else int(node.available_cpus)
            taken = set(wanted) | {slot for n, slot in named if n == node.node_id}
            missing = [slot for slot in range(int(node.cpus)) if slot not in taken][:free]
            offers[node.node_id] = deque(existing + missing)
        if nodes and not any(self._wanted.values()) and not any(offers.values()):
            offers[nodes[0].node_id].append(0)  # every CPU reserved: one actor waits for a CPU to free
        total = sum(len(slots) for slots in self._wanted.values())
        while any(offers.values()) and (self.cap is None or total < self.cap):
            for node in nodes:
                if offers[node.node_id] and (self.cap is None or total < self.cap):
                    self._wanted[node.node_id].append(offers[node.node_id].popleft())
                    total += 1

    def _maintain(self, force_refresh: bool = False) -> None:
        """Readiness of new actors, heartbeats of busy ones, and (every 2 s) the cluster's nodes."""
        ray = self._ray
        with self._lock:
            if self.closed:
                raise ExecutorError("the Ray fleet was closed")
            now = time.monotonic()
            if force_refresh or now - self._refreshed >= REFRESH_SECONDS:
                self._refreshed = now
                self._refresh()
            if now - self._maintained < 0.05 and not force_refresh:
                return
            self._maintained = now
            starting = [a for a in self._actors.values() if a.state is _State.STARTING]
            if starting:
                done, _ = ray.wait([a.ready_ref for a in starting], num_returns=len(starting), timeout=0)
                done_set = set(done)
                for actor in starting:
                    if actor.ready_ref in done_set:
                        try:
                            info: HostInfo = ray.get(actor.ready_ref)
                        except Exception as exc:
                            self._lose(actor, f"actor failed to start: {_task_error(exc)}")
                            continue
                        self._ready(actor, info)
                    elif now - actor.created > self.start_timeout:
                        self._lose(actor, f"actor not ready within {self.start_timeout:g} s")
            pinged = [a for a in self._actors.values() if a.ping_ref is not None]
            if pinged:
                done, _ = ray.wait([a.ping_ref for a in pinged], num_returns=len(pinged), timeout=0)
                done_set = set(done)
                for actor in pinged:
                    if actor.ping_ref in done_set:
                        try:
                            beat: Heartbeat = ray.get(actor.ping_ref)
                        except Exception as exc:
                            self._lose(actor, f"heartbeat failed: {_task_error(exc)}")
                            continue
                        actor.ping_ref = None
                        actor.last_alive = now
                        self._check_running(actor, beat)
                    elif now - actor.ping_sent > self.heartbeat_timeout:
                        self._lose(actor, f"no heartbeat answer within {self.heartbeat_timeout:g} s")
            for actor in list(self._actors.values()):
                if (
                    actor.state is _State.READY
                    and actor.flights
                    and actor.ping_ref is None
                    and now - actor.last_alive >= HEARTBEAT_SECONDS
                ):
                    actor.ping_ref = actor.handle.ping.remote(self._token)
                    actor.ping_sent = now

    def _ready(self, actor: _Actor, info: HostInfo) -> None:
        self._failures.pop((actor.node_id, actor.slot), None)
        actor.state = _State.READY
        actor.info = info
        actor.owned = info.creator == self._token
        actor.label = f"{info.address}/{info.node_id[:8]}"
        actor.last_alive = time.monotonic()
        if info.rlvr_root != RLVR_ROOT:
            logger.info("actor on %s runs rlvr from %s", actor.label, info.rlvr_root)

    def _check_running(self, actor: _Actor, beat: Heartbeat) -> None:
        """A chunk of ours that runs past its bound: the actor is stuck, give up on it."""
        for flight in actor.flights:
            if flight.token == beat.running and beat.running_for > flight.bound:
                self._lose(actor, f"chunk ran past its deadline of {flight.bound:.0f} s")
                return

    def _pick(self, excluded: set[int]) -> _Actor | None:
        """The ready actor with room that holds the fewest chunks (nodes taken in turn on ties)."""
        candidates = [
            a
            for a in self._actors.values()
            if a.state is _State.READY and len(a.flights) < DEPTH and a.ident not in excluded
        ]
        if not candidates:
            return None
        per_node: dict[str, int] = {}
        for actor in self._actors.values():
            per_node[actor.node_id] = per_node.get(actor.node_id, 0) + len(actor.flights)
        turn = next(self._turn)
        return min(
            candidates,
            key=lambda a: (len(a.flights), per_node[a.node_id], (a.ident - turn) % (len(self._actors) + 1)),
        )

    # -- running chunks ----------------------------------------------------------------------------------

    def run(
        self, task: Callable[[NodeResources, Any], object], jobs: Sequence[ChunkJob]
    ) -> tuple[list[ChunkResult], RunInfo]:
        """Run ``task(resources, job.make_payload())`` on the actors for every job; results in order.

        Raises:
            ExecutorError: the fleet is closed, or this process was forked from the one that connected.

        Example:
            >>> from rlvr.executor.ray_backend import judge_chunk
            >>> fleet = acquire("127.0.0.1:6379", None, 60.0)  # doctest: +SKIP
            >>> results, info = fleet.run(judge_chunk, jobs)  # doctest: +SKIP
        """
        if os.getpid() != self.connection.pid:
            raise ExecutorError(
                "this process was forked from one connected to Ray, which Ray does not support; "
                "start it with the 'spawn' method, or use the Ray backend only in one of them"
            )
        ray = self._ray
        states = [_Job() for _ in jobs]
        results: list[ChunkResult | None] = [None] * len(jobs)
        pending = deque(range(len(jobs)))
        mine: dict[Any, _Flight] = {}
        nodes: set[str] = set()
        lost_before = self.actors_lost
        stranded_since: float | None = None
        try:
            while pending or mine:
                self._maintain()
                with self._lock:
                    nodes |= {a.label for a in self._actors.values() if a.state is _State.READY}
                    for ref, flight in list(mine.items()):
                        if flight.failed is not None:
                            del mine[ref]
                            self._retry_or_fail(flight, flight.failed, states, pending, results)
                    while pending:
                        excluded = states[pending[0]].excluded
                        actor = self._pick(excluded)
                        if actor is None and not self._others_ready(excluded):
                            actor = self._pick(set())  # the only actors failed the task, alive: again there
                        if actor is None:
                            break
                        index = pending.popleft()
                        flight = self._send(actor, task, jobs[index], states[index], index)
                        mine[flight.ref] = flight
                if pending and not mine:
                    now = time.monotonic()
                    stranded_since = stranded_since or now
                    if now - stranded_since > self.start_timeout:
                        why = f"no Ray actor available for {now - stranded_since:.0f} s"
                        for index in pending:
                            states[index].errors.append(why)
                            results[index] = self._failure(states[index])
                        pending.clear()
                    else:
                        time.sleep(0.05)
                    continue
                stranded_since = None
                if not mine:
                    continue
                refs = list(mine)
                done, rest = ray.wait(refs, num_returns=1, timeout=_WAIT_SECONDS)
                if done and rest:
                    more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
                    done += more
                for ref in done:
                    flight = mine.pop(ref)
                    if flight.failed is not None:  # given up on meanwhile: its answer does not count
                        with self._lock:
                            self._retry_or_fail(flight, flight.failed, states, pending, results)
                        continue
                    try:
                        value = ray.get(ref)
                    except Exception as exc:
                        reason = _task_error(exc)
                        with self._lock:
                            if self._raised_in_task(exc):  # the actor is fine: the chunk failed on it
                                self._landed(flight)
                            else:
                                self._lose(flight.actor, reason)
                            self._retry_or_fail(flight, reason, states, pending, results)
                        continue
                    with self._lock:
                        self._landed(flight)
                    state = states[flight.job]
                    results[flight.job] = ChunkResult(value, None, flight.actor.label, state.attempts)
                    state.payload = None
        except BaseException:
            with self._lock:
                for ref, flight in mine.items():
                    self._landed(flight)
                    with contextlib.suppress(Exception):
                        ray.cancel(ref)
            raise
        info = RunInfo(frozenset(nodes), self.actors_lost - lost_before)
        return [r if r is not None else ChunkResult(error="not run") for r in results], info

    def _others_ready(self, excluded: set[int]) -> bool:
        return any(a.state is _State.READY and a.ident not in excluded for a in self._actors.values())

    def _raised_in_task(self, exc: BaseException) -> bool:
        """Whether the task itself raised (the node's sandbox cannot start, ...), its actor alive."""
        errors = self._ray.exceptions
        return isinstance(exc, errors.RayTaskError) and not isinstance(exc, errors.RayActorError)

    def _send(
        self, actor: _Actor, task: Callable[..., object], job: ChunkJob, state: _Job, index: int
    ) -> _Flight:
        if state.payload is None:
            state.payload = job.make_payload()
        state.attempts += 1
        token = f"{self._token}:{next(self._chunk_ids)}"
        ref = actor.handle.run.remote(token, task, state.payload)
        flight = _Flight(ref, index, actor, token, job.bound)
        actor.flights.append(flight)
        return flight

    @staticmethod
    def _landed(flight: _Flight) -> None:
        """A chunk came back (or was abandoned): it no longer counts against its actor."""
        actor = flight.actor
        if flight in actor.flights:
            actor.flights.remove(flight)
            actor.last_alive = time.monotonic()

    def _retry_or_fail(
        self,
        flight: _Flight,
        reason: str,
        states: list[_Job],
        pending: deque[int],
        results: list[ChunkResult | None],
    ) -> None:
        state = states[flight.job]
        where = flight.actor.label or flight.actor.node_id[:8]
        state.errors.append(f"{reason} (on {where})")
        state.excluded.add(flight.actor.ident)
        if state.attempts < _ATTEMPTS:
            pending.appendleft(flight.job)  # re-dispatched first, to another actor
        else:
            results[flight.job] = self._failure(state)

    @staticmethod
    def _failure(state: _Job) -> ChunkResult:
        state.payload = None
        text = "; then ".join(state.errors) or "not run"
        return ChunkResult(error=f"Ray: {text}", attempts=state.attempts)

    def close(self) -> None:
        """Stop using the actors. Those this process created go too, unless another process used them
        within the last minute (they then end with this process: Ray ties an actor to its creator).

        Example:
            >>> acquire("127.0.0.1:6379", None, 60.0).close()  # doctest: +SKIP
        """
        with self._lock:
            self.closed = True
            actors, self._actors = list(self._actors.values()), {}
            for actor in actors:
                for flight in actor.flights:
                    flight.failed = "the Ray fleet was closed"
        ray = self._ray
        owned = [a for a in actors if a.state is _State.READY and a.owned]
        asked = {}
        for actor in owned:
            with contextlib.suppress(Exception):
                asked[actor.ident] = actor.handle.release.remote(self._token)
        if asked:  # the sandboxes' fork servers and the workers end cleanly first
            with contextlib.suppress(Exception):
                ray.wait(list(asked.values()), num_returns=len(asked), timeout=2.0)
        for actor in actors:
            if actor.state is _State.STARTING:
                self._kill(actor)  # not ready yet: made by this process for this process
            elif actor.ident in asked:
                try:
                    free = ray.get(asked[actor.ident], timeout=0.1)
                except Exception:
                    free = True  # no answer: dead or stuck, it goes
                if free:
                    self._kill(actor)


# -- one fleet per cluster and cap, per process ----------------------------------------------------------


@dataclass
class _Entry:
    fleet: RayFleet
    users: int = 0


_REGISTRY_LOCK = threading.Lock()
_FLEETS: dict[tuple[str | None, int | None], _Entry] = {}


def acquire(address: str | None, cap: int | None, start_timeout: float) -> RayFleet:
    """The process's fleet for ``address`` (``"local"`` or ``None``: a local cluster) and ``cap``;
    started if needed.

    Raises:
        ExecutorError: Ray is missing, the cluster cannot be reached, or no actor starts.

    Example:
        >>> fleet = acquire("127.0.0.1:6379", None, 60.0)  # doctest: +SKIP
        >>> fleet is acquire("127.0.0.1:6379", None, 60.0)  # doctest: +SKIP
        True
    """
    address = None if address == "local" else address
    key = (address, cap)
    with _REGISTRY_LOCK:
        entry = _FLEETS.get(key)
        if entry is not None and entry.fleet.connection.pid != os.getpid():
            del _FLEETS[key]  # a forked child's copy: the parent's actors are not ours
            entry = None
        if entry is None:
            connection = connect(address, start_timeout)
            fleet = RayFleet(connection, cap, start_timeout)
            try:
                fleet.start()
            except BaseException:
                fleet.close()
                raise
            entry = _Entry(fleet)
            _FLEETS[key] = entry
        entry.users += 1
        return entry.fleet


def release(fleet: RayFleet) -> None:
    """One user fewer; the last one closes the fleet (and stops a local cluster rlvr started).

    Example:
        >>> release(acquire("127.0.0.1:6379", None, 60.0))  # doctest: +SKIP
    """
    with _REGISTRY_LOCK:
        for key, entry in list(_FLEETS.items()):
            if entry.fleet is fleet:
                entry.users -= 1
                if entry.users > 0:
                    return
                del _FLEETS[key]
                break
        fleet.close()
        if fleet.connection.started_here and not _FLEETS and os.getpid() == fleet.connection.pid:
            fleet.connection.shutdown()  # the local cluster rlvr started ends with its last user


def close_all() -> None:
    """Close every fleet of this process and disconnect it from Ray (to use another cluster next).

    Rewards and executors that used a fleet take a new one on their next call.

    Example:
        >>> close_all()  # doctest: +SKIP
    """
    with _REGISTRY_LOCK:
        entries = list(_FLEETS.values())
        _FLEETS.clear()
    for entry in entries:
        entry.fleet.close()
    for entry in entries:
        if entry.fleet.connection.started_here:
            entry.fleet.connection.shutdown()
    ray = import_ray()
    if ray.is_initialized():
        ray.shutdown()
