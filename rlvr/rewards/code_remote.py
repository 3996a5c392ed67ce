"""The code reward's programs judged on a Ray cluster: chunks of programs to the nodes' own sandboxes.

Used by :class:`~rlvr.rewards.code_reward.CodeExecutionReward` when its ``backend`` is ``"ray"``.
The reward keeps what it does on one machine — program extraction, task parsing, deduplication and its
verdict cache, at the driver — and hands the ``(program, task)`` pairs left to :meth:`RemotePrograms.judge`.
They go in small chunks (at most 4 programs: a program can take its whole time budget) to rlvr's actors
(:mod:`rlvr.executor.ray_fleet`, shared with every executor of the process), where each node's sandbox
runs them (:mod:`rlvr.sandbox.remote`) under the reward's own settings and limits, one program at a time
per actor (the CPU it holds). A chunk that the cluster failed twice gives its programs ``None`` with
the reason — never a pass.

Example:
    >>> CHUNK_PROGRAMS
    4
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence

from rlvr.executor import ray_fleet
from rlvr.executor.ray_fleet import ChunkJob, ChunkResult, plan_chunk_size, run_stats
from rlvr.executor.ray_stats import RayStats
from rlvr.sandbox.remote import ProgramChunk, judge_programs_here, program_bound
from rlvr.verifiers.code.cases import CodeTask
from rlvr.verifiers.verdict import Verdict

#: Programs per chunk at most.
CHUNK_PROGRAMS = 4


class RemotePrograms:
    """Programs judged by the sandboxes of a Ray cluster's nodes (see the module docstring). Thread-safe.

    Args:
        address: the cluster (``None``: a local one, as :class:`~rlvr.executor.ExecutorConfig` reads it).
        cap: actors at most (``None``: one per available CPU).
        start_timeout: seconds to connect, and for the first actors to get ready.

    Example:
        >>> from rlvr.sandbox import SandboxConfig
        >>> from rlvr.verifiers.code.cases import parse_task
        >>> remote = RemotePrograms("127.0.0.1:6379", cap=None, start_timeout=60.0)
        >>> remote.stats.items  # nothing sent yet: no connection made
        0
        >>> task = parse_task({"entry_point": "f", "cases": [{"args": [1], "expected": 1}]})
        >>> template = ProgramChunk(SandboxConfig(workers=1), ())
        >>> remote.judge(template, [("def f(x): return x", task)])  # doctest: +SKIP
        [Verdict(score=1.0, reason='')]
        >>> remote.close()
    """

    def __init__(self, address: str | None, cap: int | None, start_timeout: float) -> None:
        self.address, self.cap, self.start_timeout = address, cap, start_timeout
        self._lock = threading.Lock()
        self._fleet: ray_fleet.RayFleet | None = None
        self._stats = RayStats()

    @property
    def stats(self) -> RayStats:
        """The counters so far (see the class example)."""
        with self._lock:
            return self._stats

    def _acquire(self) -> ray_fleet.RayFleet:
        with self._lock:
            if self._fleet is None or self._fleet.closed:
                self._fleet = ray_fleet.acquire(self.address, self.cap, self.start_timeout)
            return self._fleet

    def close(self) -> None:
        """Let go of the cluster's actors (the last user of a fleet kills them); see the class example."""
        with self._lock:
            fleet, self._fleet = self._fleet, None
        if fleet is not None:
            ray_fleet.release(fleet)

    def judge(self, template: ProgramChunk, work: Sequence[tuple[str, CodeTask]]) -> list[Verdict]:
        """One verdict per ``(program, task)``, in order; ``template`` holds the settings of every chunk.

        Raises:
            ExecutorError: Ray is missing, the cluster cannot be reached, or no actor starts on it.

        (See the class example.)
        """
        fleet = self._acquire()
        size = plan_chunk_size(len(work), fleet.ready_actors(), None, largest=CHUNK_PROGRAMS)
        chunks = [
            dataclasses.replace(template, programs=tuple(work[start : start + size]))
            for start in range(0, len(work), size)
        ]
        jobs = [ChunkJob(lambda c=chunk: c, len(chunk.programs), program_bound(chunk)) for chunk in chunks]
        results, info = fleet.run(judge_programs_here, jobs)
        verdicts: list[Verdict] = []
        counted: list[tuple[int, ChunkResult]] = []
        for chunk, result in zip(chunks, results, strict=True):
            values = result.value if result.error is None else None
            if isinstance(values, list) and len(values) == len(chunk.programs):
                verdicts.extend(
                    v if isinstance(v, Verdict) else Verdict.unjudged("no verdict") for v in values
                )
            else:
                why = result.error or "a chunk came back without a verdict per program"
                result = dataclasses.replace(result, value=None, error=why)
                verdicts.extend(Verdict.unjudged(why) for _ in chunk.programs)
            counted.append((len(chunk.programs), result))
        delta = run_stats(counted, info)
        with self._lock:
            self._stats = self._stats + delta
        return verdicts
