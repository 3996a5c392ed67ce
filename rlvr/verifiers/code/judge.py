"""Verdicts for programs, decided outside their process from raw run results (pure: no processes here).

**The rule.** A program's cases are judged as if run one after another, in order: every case runs under
its own time limit ``t`` while the program's budget ``B = min(cases × t, max(program_time_limit, t))``
lasts; each case uses up the time it took (at most ``t``); a case that would go past the budget is TLE
("program time limit exceeded"), and cases the budget does not reach are TLE ("not run"). A case that
fails in any way (WA, TLE, RE, MLE) does not stop the cases after it; a run in which the memory cap
killed any process is MLE for the cases it answered, whatever it printed. The score is the fraction of
cases passed. The verdict is the same for any number of workers, any order and any company in a batch — only
the program's own running times decide it.

How it is run does not change that: stdin/stdout cases are separate runs and may run at once (each under
``min(t, budget not yet known to be spent)``; the in-order accounting above then decides); a function-call
program runs its cases in one process, one at a time, its arguments sent only when a case starts; after a
case that timed out or crashed its process, the next run starts at the next case with what is left of the
budget. So ``P`` programs on ``W`` workers end within about ``ceil(P / W) × B``, however hostile.

Every result a program sends is hostile data: records are read without building any dict or set from
program-chosen values (:mod:`rlvr.verifiers.code.values`), with caps on elements and a deadline, and every
message shown in a reason is bounded.

Example:
    >>> from rlvr.verifiers.code.cases import parse_task
    >>> task = parse_task({"entry_point": "sq", "cases": [{"args": [3], "expected": 9}]})
    >>> plan = ProgramCases(task, program_time_limit=10.0)
    >>> (run,) = plan.runs(parallel=1)
    >>> plan.record(run, RunResult(records=(b'{"v": 9}',), case_walls=(0.01,)))
    >>> [c.status.value for c in plan.finish()]
    ['OK']
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass

from rlvr.verifiers.code.cases import CallCase, CaseResult, CaseStatus, CodeTask, StdioCase, stdout_matches
from rlvr.verifiers.code.runs import RunResult
from rlvr.verifiers.code.values import JudgeBudget, Malformed, TooCostly, canonical, describe, parse_json
from rlvr.verifiers.verdict import Verdict

DEFAULT_PROGRAM_TIME_LIMIT = 10.0
JUDGE_SECONDS = 5.0
_TAIL_IN_REASON = 300
_DETAIL_CHARS = 300
_CLOCK_SLACK = 1e-6  # seconds: the same clock readings summed in another order


@dataclass(frozen=True)
class ProgramResult:
    """Every case's result and the program's verdict (``None`` score on a sandbox error: fail closed)."""

    cases: tuple[CaseResult, ...]
    verdict: Verdict

    @property
    def passed(self) -> int:
        return sum(case.passed for case in self.cases)


@dataclass(frozen=True)
class CaseRun:
    """One run to make: ``count`` cases from ``first_case``, ``time_limit`` per case, ``budget`` in all."""

    first_case: int
    count: int
    time_limit: float
    budget: float


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _TAIL_IN_REASON else "..." + text[-_TAIL_IN_REASON:]


def _ended(result: RunResult, what: str) -> CaseResult:
    """Why a run ended without answering (the run's own fault, except a sandbox error)."""
    tail = result.stderr_tail
    if result.setup_error is not None:
        return CaseResult(CaseStatus.SANDBOX_ERROR, result.setup_error[:_DETAIL_CHARS], tail)
    if result.killed in ("timeout", "budget"):
        why = "time limit exceeded" if result.killed == "timeout" else "program time limit exceeded"
        return CaseResult(CaseStatus.TLE, why, tail)
    if result.killed == "output":
        return CaseResult(CaseStatus.WA, "output limit exceeded", tail)
    if result.killed == "memory":
        return CaseResult(CaseStatus.MLE, "memory limit exceeded (its processes together)", tail)
    if result.killed is not None:
        return CaseResult(CaseStatus.SANDBOX_ERROR, f"stopped by the sandbox ({result.killed})", tail)
    if result.oom:
        return CaseResult(CaseStatus.MLE, "memory limit exceeded (a process was killed)", tail)
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
    if result.setup_error is not None or result.killed is not None or result.exit_code != 0 or result.oom:
        return _ended(result, "")  # an OOM kill in the run is MLE even if the program answered
    actual = result.stdout.decode("utf-8", "replace")
    if stdout_matches(actual, case.stdout):
        return CaseResult(CaseStatus.OK)
    return CaseResult(CaseStatus.WA, "wrong output", result.stderr_tail)


def _field(record: list[tuple[str, object]], name: str) -> object:
    for key, value in record:
        if key == name:
            return value
    return None


def judge_record(case: CallCase, payload: bytes, budget: JudgeBudget | None = None) -> CaseResult:
    """The status of one function-call case from its record (hostile data, read under ``budget``).

    Example:
        >>> case = CallCase((3,), 9)
        >>> judge_record(case, b'{"v": 9}').status.value, judge_record(case, b'{"v": 9.0}').detail
        ('OK', 'returned 9.0')
        >>> judge_record(case, b'{"e": "ValueError: no", "kind": "error"}').status.value
        'RE'
    """
    budget = budget or JudgeBudget()
    try:
        record = parse_json(payload)
        if not isinstance(record, list) or not all(type(p) is tuple for p in record):
            raise Malformed("a record must be a JSON object")
        keys = [key for key, _ in record]
        if "v" in keys:
            value = canonical(_field(record, "v"), budget)
            if case.matches_canonical(value, budget):
                return CaseResult(CaseStatus.OK)
            return CaseResult(CaseStatus.WA, f"returned {describe(value)}")
    except Malformed as exc:
        return CaseResult(CaseStatus.WA, f"malformed result: {str(exc)[:100]}")
    except TooCostly as exc:
        return CaseResult(CaseStatus.WA, f"result too large to judge: {exc}")
    error = _field(record, "e")
    text = (error if isinstance(error, str) else "no result")[:_DETAIL_CHARS]
    kind = _field(record, "kind")
    if kind == "memory":
        return CaseResult(CaseStatus.MLE, text)
    if kind == "not_plain":
        return CaseResult(CaseStatus.WA, text)
    return CaseResult(CaseStatus.RE, text)


def verdict_of(cases: Sequence[CaseResult], all_or_nothing: bool) -> Verdict:
    """The program's verdict from its cases: the fraction passed (or 1/0), ``None`` on a sandbox error.

    Example:
        >>> verdict_of([CaseResult(CaseStatus.OK), CaseResult(CaseStatus.WA, "x")], False).score
        0.5
    """
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


@dataclass
class _Case:
    """One case's raw outcome before the in-order accounting."""

    result: CaseResult | None = None  # decided now (stdio, failures) ...
    payload: bytes | None = None  # ... or a record, judged at the end
    took: float = 0.0  # seconds it ran
    limit: float = 0.0  # the time limit it ran under
    cut: bool = False  # stopped at that limit


class ProgramCases:
    """One program's way through its cases under the rule in the module docstring.

    :meth:`runs` says what to start now; :meth:`record` takes a finished run's raw result (cheap: no value
    is read); :meth:`finish` does the in-order accounting and judges the records.
    """

    def __init__(self, task: CodeTask, program_time_limit: float) -> None:
        self.task = task
        count = len(task.cases)
        limit = task.time_limit
        self.budget = min(count * limit, max(program_time_limit, limit))
        self.cases = [_Case() for _ in range(count)]
        self.next_case = 0
        self.in_flight = 0
        self.spent = 0.0  # function-call mode: the budget used so far (runs are sequential)
        self.stopped: CaseResult | None = None  # what every case not reached gets

    # -- what to run ---------------------------------------------------------------------------------------

    def _spent_before(self, index: int) -> float:
        """A lower bound of the budget used before case ``index``: the cases before it that finished."""
        return sum(
            min(c.took, c.limit) for c in self.cases[:index] if c.result is not None or c.payload is not None
        )

    def runs(self, parallel: int) -> list[CaseRun]:
        """The runs to start now (at most ``parallel`` of this program's at once)."""
        out: list[CaseRun] = []
        count = len(self.cases)
        limit = self.task.time_limit
        if self.stopped is not None:
            return out
        if self.task.mode == "call":
            if self.in_flight == 0 and self.next_case < count and self.spent < self.budget:
                remaining = self.budget - self.spent
                out.append(CaseRun(self.next_case, count - self.next_case, limit, remaining))
                self.in_flight = 1
            return out
        while self.in_flight < parallel and self.next_case < count:
            remaining = self.budget - self._spent_before(self.next_case)
            if remaining <= 0:
                break
            case_limit = min(limit, remaining)
            out.append(CaseRun(self.next_case, 1, case_limit, case_limit))
            self.next_case += 1
            self.in_flight += 1
        return out

    # -- what came back ------------------------------------------------------------------------------------

    def record(self, run: CaseRun, result: RunResult) -> None:
        """Take a finished run's raw result."""
        self.in_flight -= 1
        if self.task.mode == "call":
            self._record_calls(run, result)
            return
        case = self.cases[run.first_case]
        case.limit = run.time_limit
        case.cut = result.killed in ("timeout", "budget")
        case.took = run.time_limit if case.cut else result.wall_s
        case.result = judge_run_stdio(self.task.cases[run.first_case], result)  # type: ignore[arg-type]
        if case.result.status is CaseStatus.SANDBOX_ERROR:
            self.stopped = case.result

    def _record_calls(self, run: CaseRun, result: RunResult) -> None:
        limit = self.task.time_limit
        if result.setup_error is not None:
            self.stopped = _ended(result, "")
            return
        if result.fatal is not None:
            self.stopped = judge_record(CallCase((), None), result.fatal)
            return
        accepted = result.records[: run.count]
        over_memory = _ended(result, "") if result.oom else None  # the cap was hit during this run
        for offset, payload in enumerate(accepted):
            case = self.cases[run.first_case + offset]
            if over_memory is not None:
                case.result = over_memory
            else:
                case.payload = payload
            case.limit = limit
            case.took = result.case_walls[offset] if offset < len(result.case_walls) else 0.0
            self.spent += min(case.took, limit)
        self.next_case = run.first_case + len(accepted)
        if len(accepted) == run.count:
            return
        case = self.cases[self.next_case]
        case.result = _ended(result, "before returning")
        case.limit = run.time_limit
        case.cut = result.killed in ("timeout", "budget")
        case.took = run.time_limit if case.cut else min(result.open_case_wall, run.time_limit)
        self.spent += case.took
        if result.killed == "budget":
            self.spent = self.budget
        self.next_case += 1

    # -- the verdict ----------------------------------------------------------------------------------------

    def finish(self, budget: JudgeBudget | None = None) -> list[CaseResult]:
        """Every case's result: the in-order accounting of the module docstring, then the records judged."""
        budget = budget or JudgeBudget()
        if self.stopped is not None and self.stopped.status is CaseStatus.SANDBOX_ERROR:
            return [self.stopped] * len(self.cases)
        limit = self.task.time_limit
        out: list[CaseResult] = []
        spent = 0.0
        for index, case in enumerate(self.cases):
            ran = case.result is not None or case.payload is not None
            allowed = min(limit, self.budget - spent)
            if not ran or allowed <= 0:
                out.append(self.stopped or CaseResult(CaseStatus.TLE, "not run: program time limit exceeded"))
                continue
            if case.took > allowed + _CLOCK_SLACK or (case.cut and case.limit >= allowed):
                why = "time limit exceeded" if allowed >= limit else "program time limit exceeded"
                out.append(CaseResult(CaseStatus.TLE, why, case.result.stderr if case.result else ""))
                spent += allowed
                continue
            spent += case.took
            if case.payload is not None:
                out.append(judge_record(self.task.cases[index], case.payload, budget))  # type: ignore[arg-type]
            else:
                assert case.result is not None
                out.append(case.result)
        return out
