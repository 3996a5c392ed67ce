"""One sample as the fork server sees it: an explicit state machine, with its clocks and its records.

A sample goes through these phases, and no others (any other move is a bug and raises)::

    SPAWNING --R--> PREPARED --job--> ARMED --go--> STARTING --K--> RUNNING
        \\______________\\_______________\\____________\\_____________\\__exit--> EXITED

- SPAWNING: asked of its cell's spawner or cloned, isolating itself; under the set-up clock.
- PREPARED: isolated and idle; no clock. ARMED: has its job and set itself up for it; no clock.
- STARTING: told to go (it holds a slot from now on); under the set-up clock until it says ``K``.
- RUNNING: the program runs. The run's budget runs from ``K``; a case's clock runs from that case's start
  (``K`` for the first; the acceptance of the previous case's record for the next), whatever the program
  writes. In function-call mode a record counts only when it is complete, names the case that is running
  and arrives before that case's deadline; its acceptance starts the next case (the server then sends
  that case's arguments) or, after the last, finishes the run.
- EXITED: reaped; its outputs drain, then it is reported.

Nothing here touches a descriptor or a process: the server does that and tells the sample what happened.

Example:
    >>> sample = Sample(cell=0, born=0.0, setup_timeout=5.0)
    >>> sample.phase.value, sample.deadline
    ('spawning', 5.0)
    >>> sample.said_ready(1.0); sample.phase.value, sample.deadline
    ('prepared', inf)
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from rlvr.framing import FrameReader
from rlvr.sandbox.wire import FATAL_INDEX, RunRequest


class Phase(enum.Enum):
    SPAWNING = "spawning"
    PREPARED = "prepared"
    ARMED = "armed"
    STARTING = "starting"
    RUNNING = "running"
    EXITED = "exited"


_NEXT = {
    Phase.SPAWNING: {Phase.PREPARED, Phase.EXITED},
    Phase.PREPARED: {Phase.ARMED, Phase.EXITED},
    Phase.ARMED: {Phase.STARTING, Phase.EXITED},
    Phase.STARTING: {Phase.RUNNING, Phase.EXITED},
    Phase.RUNNING: {Phase.EXITED},
    Phase.EXITED: set(),
}
STREAMS = ("ctl", "out", "err", "res")


class RecordVerdict(enum.Enum):
    """What the server does after a record arrives."""

    IGNORED = "ignored"  # not for the running case: never counted
    NEXT = "next"  # accepted: send the next case's arguments
    FINISHED = "finished"  # accepted, and it was the last (or a load failure): the run is over
    LATE = "late"  # for the running case, but past its deadline: the case timed out


@dataclass
class Sample:
    """The fork server's record of one sample (see the module docstring)."""

    cell: int
    born: float
    setup_timeout: float
    phase: Phase = Phase.SPAWNING
    pid: int = 0
    run: RunRequest | None = None
    # clocks (monotonic seconds; each set once)
    prepared_at: float | None = None
    armed_at: float | None = None
    go_at: float | None = None
    ready_at: float | None = None
    exited_at: float | None = None
    budget_deadline: float = math.inf
    case_deadline: float = math.inf
    case_started: float = 0.0
    # what the program said
    records: list[bytes] = field(default_factory=list)
    case_walls: list[float] = field(default_factory=list)
    fatal: bytes | None = None
    ignored_records: int = 0
    record_reader: FrameReader | None = None
    # how it ended
    killed: str | None = None
    finished: bool = False
    setup_error: str | None = None
    status: int | None = None
    cpu_s: float | None = None
    ended_at: float | None = None  # when the run stopped counting (killed, finished, or exited)

    # -- phases ----------------------------------------------------------------------------------------------

    def _to(self, phase: Phase) -> None:
        if phase not in _NEXT[self.phase]:
            raise RuntimeError(
                f"sample in cell {self.cell}: {self.phase.value} -> {phase.value} is not a move"
            )
        self.phase = phase

    def said_ready(self, now: float) -> None:
        """It said ``R``: isolated, idle."""
        self._to(Phase.PREPARED)
        self.prepared_at = now

    def arm(self, run: RunRequest, now: float, max_record_bytes: int) -> None:
        """It was given ``run``'s job."""
        self._to(Phase.ARMED)
        self.run = run
        self.armed_at = now
        if run["mode"] == "call":
            self.record_reader = FrameReader(max_record_bytes)

    def go(self, now: float) -> None:
        """It was told to start: it holds a slot, under the set-up clock until ``K``."""
        self._to(Phase.STARTING)
        self.go_at = now

    def started(self, now: float) -> None:
        """It said ``K``: the program runs; the run's budget and the first case's clock start."""
        assert self.run is not None
        self._to(Phase.RUNNING)
        self.ready_at = now
        self.budget_deadline = now + self.run["budget"]
        self._start_case(now)

    def exited(self, now: float, status: int | None, cpu_s: float | None) -> None:
        """It was reaped. A run still on the clock past a deadline the server did not act on in time is
        a timeout all the same (fail closed: late is never in time)."""
        if self.phase is Phase.RUNNING and self.killed is None and not self.finished and now > self.deadline:
            self.killed = self._overdue(now)
        if self.ended_at is None:
            self.ended_at = now
        self._to(Phase.EXITED)
        self.exited_at = now
        self.status = status
        self.cpu_s = cpu_s

    def stop(self, why: str, now: float) -> None:
        """The server kills it (``why``: timeout, budget, output, setup, shutdown)."""
        if self.killed is None and not self.finished:
            self.killed = why
        if self.ended_at is None:
            self.ended_at = now

    # -- clocks ----------------------------------------------------------------------------------------------

    @property
    def holds_slot(self) -> bool:
        return self.phase in (Phase.STARTING, Phase.RUNNING)

    @property
    def deadline(self) -> float:
        """When the server must act on it next (``inf``: no clock, or stopped and only its exit is due)."""
        if self.killed is not None or self.finished:
            return math.inf
        if self.phase is Phase.SPAWNING:
            return self.born + self.setup_timeout
        if self.phase is Phase.STARTING:
            assert self.go_at is not None
            return self.go_at + self.setup_timeout
        if self.phase is Phase.RUNNING:
            return min(self.case_deadline, self.budget_deadline)
        return math.inf

    def _overdue(self, now: float) -> str:
        return (
            "timeout"
            if now >= self.case_deadline and self.case_deadline <= self.budget_deadline
            else "budget"
        )

    def overdue(self, now: float) -> str | None:
        """Why it must be killed now, or ``None``."""
        if now < self.deadline:
            return None
        if self.phase is Phase.RUNNING:
            return self._overdue(now)
        return "setup"

    def _start_case(self, now: float) -> None:
        assert self.run is not None
        self.case_started = now
        self.case_deadline = now + self.run["time_limit"]

    # -- records (function-call mode) ------------------------------------------------------------------------

    @property
    def running_case(self) -> int:
        """The index of the case the program is answering now."""
        assert self.run is not None
        return self.run["first_case"] + len(self.records)

    @property
    def cases_in_run(self) -> int:
        assert self.run is not None
        return len(self.run["calls"])

    def record(self, index: int, payload: bytes, now: float) -> RecordVerdict:
        """A complete record arrived (see the module docstring for what counts)."""
        if self.phase is not Phase.RUNNING or self.killed is not None or self.finished:
            self.ignored_records += 1
            return RecordVerdict.IGNORED
        if index == FATAL_INDEX and not self.records:
            self.fatal = payload
            self.finished = True
            self.ended_at = now
            return RecordVerdict.FINISHED
        if index != self.running_case:
            self.ignored_records += 1
            return RecordVerdict.IGNORED
        if now > self.deadline:
            return RecordVerdict.LATE
        self.records.append(payload)
        self.case_walls.append(now - self.case_started)
        if len(self.records) >= self.cases_in_run:
            self.finished = True
            self.ended_at = now
            return RecordVerdict.FINISHED
        self._start_case(now)
        return RecordVerdict.NEXT

    @property
    def open_case_wall(self) -> float:
        """How long the case that got no record ran, until the run stopped."""
        if self.run is None or self.run["mode"] != "call" or self.finished or self.ready_at is None:
            return 0.0
        end = self.ended_at if self.ended_at is not None else self.case_started
        return max(0.0, end - self.case_started)
