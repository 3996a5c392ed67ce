"""Judge programs against their test cases: runs through the sandbox, verdicts by the pure judge.

:func:`judge_programs` asks each program's :class:`rlvr.verifiers.code.judge.ProgramCases` what to run,
runs it in the :class:`~rlvr.sandbox.client.Sandbox`, hands every raw result back (cheap: no value is read
while the fork server's pipe waits), and once every run is over judges each program on its own — one that
cannot be judged gets ``None`` with the reason, never takes the batch down.

Example:
    >>> from rlvr.verifiers.code.cases import parse_task
    >>> task = parse_task({"entry_point": "f", "cases": [{"args": [1], "expected": 1}]})
    >>> job_for("def f(x): return x", task, CaseRun(0, 1, 2.0, 2.0)).calls
    ('[[1], {}]',)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rlvr.processes import describe_exception
from rlvr.sandbox.client import Job, Sandbox
from rlvr.verifiers.code.cases import CodeTask
from rlvr.verifiers.code.judge import (
    DEFAULT_PROGRAM_TIME_LIMIT,
    JUDGE_SECONDS,
    CaseRun,
    ProgramCases,
    ProgramResult,
    verdict_of,
)
from rlvr.verifiers.code.runs import RunResult
from rlvr.verifiers.code.values import JudgeBudget
from rlvr.verifiers.verdict import Verdict


def job_for(program: str, task: CodeTask, run: CaseRun) -> Job:
    """The sandbox job for one run of ``program`` on ``task``'s cases."""
    if task.mode == "call":
        cases = task.cases[run.first_case : run.first_case + run.count]
        return Job(
            "call",
            program,
            entry_point=task.entry_point,
            calls=tuple(case.call_json for case in cases),  # type: ignore[union-attr]
            first_case=run.first_case,
            time_limit=run.time_limit,
            budget=run.budget,
            memory_mb=task.memory_limit_mb,
        )
    case = task.cases[run.first_case]
    return Job(
        "stdio",
        program,
        stdin=case.stdin,  # type: ignore[union-attr]
        first_case=run.first_case,
        time_limit=run.time_limit,
        budget=run.budget,
        memory_mb=task.memory_limit_mb,
    )


def judge_programs(
    sandbox: Sandbox,
    programs: Sequence[tuple[str, CodeTask]],
    *,
    all_or_nothing: bool = False,
    program_time_limit: float = DEFAULT_PROGRAM_TIME_LIMIT,
    judge_seconds: float = JUDGE_SECONDS,
) -> list[ProgramResult]:
    """Run every ``(program, task)`` in the sandbox and judge it; one :class:`ProgramResult` each.

    ``judge_seconds`` bounds reading one program's results (hostile data); past it the case is WA.

    Raises:
        SandboxUnavailableError: the sandbox cannot start here (the caller decides: ``None`` scores).
    """
    if not math.isfinite(program_time_limit) or program_time_limit <= 0:
        raise ValueError(f"program_time_limit must be a finite number > 0, got {program_time_limit!r}")
    plans = [ProgramCases(task, program_time_limit) for _, task in programs]
    stdio_count = sum(task.mode == "stdio" for _, task in programs) or 1
    parallel = max(1, math.ceil(sandbox.config.slots / stdio_count))
    jobs: list[Job] = []
    owners: list[tuple[int, CaseRun]] = []  # per job: its program and run, in job order

    def start(index: int) -> list[Job]:
        program, task = programs[index]
        started = []
        for run in plans[index].runs(parallel):
            owners.append((index, run))
            started.append(job_for(program, task, run))
        return started

    for index in range(len(programs)):
        jobs += start(index)

    def on_result(job_index: int, result: RunResult) -> list[Job]:
        index, run = owners[job_index]
        plans[index].record(run, result)
        return start(index)

    sandbox.run(jobs, on_result)
    out = []
    for plan in plans:
        try:
            cases = plan.finish(JudgeBudget(seconds=judge_seconds))
            out.append(ProgramResult(tuple(cases), verdict_of(cases, all_or_nothing)))
        except Exception as exc:  # a judge bug must cost one item, never the batch
            out.append(ProgramResult((), Verdict.unjudged(f"judge error: {describe_exception(exc, 300)}")))
    return out
