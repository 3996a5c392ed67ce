"""Verdicts for programs: run them in the sandbox, decide every case here, outside the program's process.

Scheduling keeps a batch's time bounded whatever the programs do: a stdin/stdout program runs its cases
one after another (different programs in parallel), a function-call program runs all its calls in one
sandboxed process; after a case times out, the program's remaining cases are not run (they count as
TLE), and a program's runs never take longer than ``program_time_limit`` seconds in all. A batch of
``P`` programs on ``W`` workers therefore ends within about ``ceil(P / W) * program_time_limit`` seconds
plus the sandbox's own cost (a few milliseconds per run).

Example:
    >>> from rlvr.verifiers.code.cases import parse_task
    >>> task = parse_task({"entry_point": "sq", "cases": [{"args": [3], "expected": 9}]})
    >>> result = judge_run_calls(task, RunResult(results=b'{"i": 0, "v": 9}\\n'))
    >>> [c.status.value for c in result]
    ['OK']
"""

from __future__ import annotations

import json
import math
import signal
from collections.abc import Sequence
from dataclasses import dataclass

from rlvr.verifiers.code.cases import CallCase, CaseResult, CaseStatus, CodeTask, StdioCase, stdout_matches
from rlvr.verifiers.code.sandbox import Job, RunResult, Sandbox
from rlvr.verifiers.code.values import from_plain, to_plain
from rlvr.verifiers.verdict import Verdict

DEFAULT_PROGRAM_TIME_LIMIT = 10.0
_TAIL_IN_REASON = 300


@dataclass(frozen=True)
class ProgramResult:
    """Every case's result and the program's verdict (``None`` score on a sandbox error: fail closed)."""

    cases: tuple[CaseResult, ...]
    verdict: Verdict

    @property
    def passed(self) -> int:
        return sum(case.passed for case in self.cases)


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _TAIL_IN_REASON else "..." + text[-_TAIL_IN_REASON:]


def _ended(result: RunResult, what: str) -> CaseResult:
    """Why a run ended without answering (the run's own fault, except a sandbox error)."""
    tail = result.stderr_tail
    if result.setup_error is not None:
        return CaseResult(CaseStatus.SANDBOX_ERROR, result.setup_error, tail)
    if result.killed in ("timeout", "budget"):
        why = "time limit exceeded" if result.killed == "timeout" else "program time limit exceeded"
        return CaseResult(CaseStatus.TLE, why, tail)
    if result.killed == "output":
        return CaseResult(CaseStatus.WA, "output limit exceeded", tail)
    if result.killed is not None:
        return CaseResult(CaseStatus.SANDBOX_ERROR, f"stopped by the sandbox ({result.killed})", tail)
    if result.oom:
        return CaseResult(CaseStatus.MLE, "memory limit exceeded (killed)", tail)
    if result.signal == signal.SIGXCPU:
        return CaseResult(CaseStatus.TLE, "CPU time limit exceeded", tail)
    if "MemoryError" in tail[-200:]:
        return CaseResult(CaseStatus.MLE, "MemoryError", tail)
    suffix = f" {what}" if what else ""
    if result.signal is not None:
        return CaseResult(CaseStatus.RE, f"killed by signal {result.signal}{suffix}", tail)
    return CaseResult(CaseStatus.RE, f"exited with status {result.exit_code}{suffix}", tail)


def judge_run_stdio(case: StdioCase, result: RunResult) -> CaseResult:
    """The status of one stdin/stdout run.

    Example:
        >>> judge_run_stdio(StdioCase("", "4"), RunResult(exit_code=0, stdout=b"4\\n")).status.value
        'OK'
        >>> judge_run_stdio(StdioCase("", "4\\n5"), RunResult(exit_code=0, stdout=b"4\\n")).status.value
        'WA'
    """
    if result.setup_error is not None or result.killed is not None or result.exit_code != 0:
        return _ended(result, "")
    actual = result.stdout.decode("utf-8", "replace")
    if stdout_matches(actual, case.stdout):
        return CaseResult(CaseStatus.OK)
    return CaseResult(CaseStatus.WA, "wrong output", result.stderr_tail)


def _records(raw: bytes, count: int) -> tuple[dict[int, dict[str, object]], dict[str, object] | None]:
    """The first record per case index, and a fatal record if any; garbage lines are ignored."""
    records: dict[int, dict[str, object]] = {}
    fatal = None
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        if "fatal" in record and fatal is None and not records:
            fatal = record
            continue
        index = record.get("i")
        if type(index) is int and 0 <= index < count and index not in records:
            records[index] = record
    return records, fatal


def _call_status(case: CallCase, record: dict[str, object]) -> CaseResult:
    if "v" in record:
        try:
            value = from_plain(record["v"])
        except (ValueError, RecursionError) as exc:
            return CaseResult(CaseStatus.WA, f"malformed result: {exc}")
        if case.matches(value):
            return CaseResult(CaseStatus.OK)
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        return CaseResult(CaseStatus.WA, f"returned {shown}")
    error = str(record.get("e", "no result"))[:300]
    if record.get("mle"):
        return CaseResult(CaseStatus.MLE, error)
    if record.get("plain") is False:
        return CaseResult(CaseStatus.WA, error)
    return CaseResult(CaseStatus.RE, error)


def judge_run_calls(task: CodeTask, result: RunResult) -> list[CaseResult]:
    """The status of every case of a function-call run (see the module docstring for the rules)."""
    cases: Sequence[CallCase] = task.cases  # type: ignore[assignment]
    if result.setup_error is not None:
        return [_ended(result, "")] * len(cases)
    records, fatal = _records(result.results, len(cases))
    if fatal is not None:
        status = CaseStatus.MLE if fatal.get("mle") else CaseStatus.RE
        return [CaseResult(status, str(fatal.get("fatal"))[:300], result.stderr_tail)] * len(cases)
    out: list[CaseResult] = []
    missing_seen = False
    for index, case in enumerate(cases):
        if index in records:
            out.append(_call_status(case, records[index]))
            continue
        if not missing_seen:
            first = _ended(result, "before returning")
            missing_seen = True
            out.append(first)
        else:
            out.append(CaseResult(first.status, f"not run: {first.detail} at an earlier case"))
    return out


def _verdict(cases: Sequence[CaseResult], all_or_nothing: bool) -> Verdict:
    broken = next((c for c in cases if c.status is CaseStatus.SANDBOX_ERROR), None)
    if broken is not None:
        return Verdict.unjudged(f"sandbox error: {broken.detail}")
    passed = sum(c.passed for c in cases)
    total = len(cases)
    if passed == total:
        return Verdict(1.0)
    score = 0.0 if all_or_nothing else passed / total
    index, first = next((i, c) for i, c in enumerate(cases) if not c.passed)
    reason = f"{passed}/{total} cases passed; case {index + 1}: {first.status.value}"
    if first.detail:
        reason += f" ({first.detail})"
    if first.stderr.strip():
        reason += f"; stderr: {_tail(first.stderr)}"
    return Verdict(score, reason)


class _StdioProgram:
    """A stdin/stdout program's progress through its cases."""

    def __init__(self, program: str, task: CodeTask, program_time_limit: float) -> None:
        self.program = program
        self.task = task
        self.results: list[CaseResult | None] = [None] * len(task.cases)
        self.next_case = 0
        self.spent = 0.0
        self.limit = program_time_limit
        self.stop: CaseResult | None = None

    def next_job(self) -> Job | None:
        if self.next_case >= len(self.task.cases) or self.stop is not None:
            return None
        remaining = self.limit - self.spent
        if remaining <= 0:
            return None
        case: StdioCase = self.task.cases[self.next_case]  # type: ignore[assignment]
        self.next_case += 1
        limit = min(self.task.time_limit, remaining)
        return Job(
            "stdio", self.program, stdin=case.stdin, time_limit=limit, memory_mb=self.task.memory_limit_mb
        )

    def record(self, case_index: int, result: RunResult) -> None:
        case: StdioCase = self.task.cases[case_index]  # type: ignore[assignment]
        outcome = judge_run_stdio(case, result)
        self.results[case_index] = outcome
        self.spent += result.wall_s
        if outcome.status is CaseStatus.TLE and self.stop is None:
            self.stop = CaseResult(CaseStatus.TLE, "not run: an earlier case timed out")

    def finish(self) -> list[CaseResult]:
        fill = self.stop or CaseResult(CaseStatus.TLE, "not run: program time limit exceeded")
        return [r if r is not None else fill for r in self.results]


def judge_programs(
    sandbox: Sandbox,
    programs: Sequence[tuple[str, CodeTask]],
    *,
    all_or_nothing: bool = False,
    program_time_limit: float = DEFAULT_PROGRAM_TIME_LIMIT,
) -> list[ProgramResult]:
    """Run every ``(program, task)`` in the sandbox and judge it; one :class:`ProgramResult` each.

    Raises:
        SandboxUnavailableError: the sandbox cannot start here (the caller decides: ``None`` scores).
    """
    if not math.isfinite(program_time_limit) or program_time_limit <= 0:
        raise ValueError(f"program_time_limit must be a finite number > 0, got {program_time_limit!r}")
    jobs: list[Job] = []
    owners: list[tuple[int, int]] = []  # per job: (program index, case index or -1 for a call run)
    stdio: dict[int, _StdioProgram] = {}
    call_results: dict[int, list[CaseResult]] = {}
    stdio_count = sum(task.mode == "stdio" for _, task in programs) or 1
    per_program = max(1, math.ceil(sandbox.config.slots / stdio_count))
    for index, (program, task) in enumerate(programs):
        if task.mode == "call":
            calls = tuple(to_plain([list(c.args), dict(c.kwargs)]) for c in task.cases)  # type: ignore[union-attr]
            budget = min(len(task.cases) * task.time_limit, max(program_time_limit, task.time_limit))
            jobs.append(
                Job(
                    "call",
                    program,
                    entry_point=task.entry_point,
                    calls=calls,
                    time_limit=task.time_limit,
                    budget=budget,
                    memory_mb=task.memory_limit_mb,
                )
            )
            owners.append((index, -1))
            continue
        state = _StdioProgram(program, task, max(program_time_limit, task.time_limit))
        stdio[index] = state
        for _ in range(per_program):
            case_index = state.next_case
            job = state.next_job()
            if job is None:
                break
            jobs.append(job)
            owners.append((index, case_index))

    def on_result(job_index: int, result: RunResult) -> list[Job]:
        program_index, case_index = owners[job_index]
        if case_index < 0:
            call_results[program_index] = judge_run_calls(programs[program_index][1], result)
            return []
        state = stdio[program_index]
        state.record(case_index, result)
        next_index = state.next_case
        job = state.next_job()
        if job is None:
            return []
        owners.append((program_index, next_index))
        return [job]

    sandbox.run(jobs, on_result)
    out = []
    for index in range(len(programs)):
        cases = call_results[index] if index in call_results else stdio[index].finish()
        out.append(ProgramResult(tuple(cases), _verdict(cases, all_or_nothing)))
    return out
