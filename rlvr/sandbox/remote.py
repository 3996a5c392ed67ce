"""Programs judged on a cluster node: the node's own sandbox runs a chunk of them.

:func:`judge_programs_here` is the task a Ray actor (:mod:`rlvr.executor.ray_host`) runs for a chunk: it
takes the node's :class:`~rlvr.sandbox.Sandbox` for the chunk's settings (started on first use and kept
by the actor, like its build cache), runs :func:`~rlvr.sandbox.programs.judge_programs`, and sends back
only the verdicts. Isolation, limits and the verdict rule are the sandbox's, enforced on the node; a node
whose kernel refuses the sandbox raises :class:`~rlvr.sandbox.SandboxUnavailableError`, which the driver
reads as a failed chunk (sent once more, to another actor). Needs no Ray.

Example:
    >>> from rlvr.verifiers.code.cases import parse_task
    >>> task = parse_task({"entry_point": "f", "cases": [{"args": [1], "expected": 1}]})
    >>> chunk = ProgramChunk(SandboxConfig(workers=1), (("def f(x): return x", task),))
    >>> program_bound(chunk)  # the sandbox's start (60 s), then one program (30 s)
    90.0
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from rlvr.sandbox.config import SandboxConfig
from rlvr.sandbox.programs import BuildLimits, Builds, judge_programs
from rlvr.verifiers.code.cases import CodeTask
from rlvr.verifiers.code.judge import DEFAULT_PROGRAM_TIME_LIMIT, JUDGE_SECONDS
from rlvr.verifiers.verdict import Verdict

T = TypeVar("T")
_SLACK_SECONDS = 5.0


class Resources(Protocol):
    """What a node's actor keeps across chunks (:class:`rlvr.executor.ray_host.NodeResources`)."""

    def get(self, key: Hashable, make: Callable[[], T]) -> T: ...


@dataclass(frozen=True)
class ProgramChunk:
    """Programs to judge on one node, with the settings of the sandbox they run in there."""

    sandbox: SandboxConfig
    programs: tuple[tuple[str, CodeTask], ...]
    all_or_nothing: bool = False
    program_time_limit: float = DEFAULT_PROGRAM_TIME_LIMIT
    limits: BuildLimits = field(default_factory=BuildLimits)
    builds_size: int = 256


def program_bound(chunk: ProgramChunk) -> float:
    """Seconds a chunk may take once a node starts it: the sandbox's start, then per program its set-up,
    compiles, budget, checker runs and judging, one after another (one slot per actor)."""
    total = chunk.sandbox.start_timeout
    for _, task in chunk.programs:
        seconds = chunk.sandbox.setup_timeout + chunk.program_time_limit + JUDGE_SECONDS + _SLACK_SECONDS
        if task.language == "cpp":
            seconds += chunk.limits.compile_time_limit
        if task.checker.is_program:
            seconds += chunk.limits.compile_time_limit + len(task.cases) * chunk.limits.checker_time_limit
        total += seconds
    return total


def judge_programs_here(resources: Resources, chunk: ProgramChunk) -> list[Verdict]:
    """On a node: the verdict of every program of ``chunk``, judged in the node's sandbox.

    Raises:
        SandboxUnavailableError: the sandbox cannot isolate programs on this node.

    Example:
        >>> from rlvr.verifiers.code.cases import parse_task
        >>> class Kept(dict):
        ...     def get(self, key, make):
        ...         return self.setdefault(key, make())
        >>> task = parse_task({"entry_point": "f", "cases": [{"args": [1], "expected": 1}]})
        >>> resources, chunk = Kept(), ProgramChunk(SandboxConfig(workers=1), (("def f(x): return x", task),))
        >>> judge_programs_here(resources, chunk)
        [Verdict(score=1.0, reason='')]
        >>> resources[("sandbox", SandboxConfig(workers=1))].close()
    """
    from rlvr.sandbox.client import Sandbox

    sandbox = resources.get(("sandbox", chunk.sandbox), lambda: Sandbox(chunk.sandbox))
    builds = resources.get(("builds", chunk.sandbox), lambda: Builds(size=chunk.builds_size))
    results = judge_programs(
        sandbox,
        chunk.programs,
        all_or_nothing=chunk.all_or_nothing,
        program_time_limit=chunk.program_time_limit,
        limits=chunk.limits,
        builds=builds,
    )
    return [result.verdict for result in results]
