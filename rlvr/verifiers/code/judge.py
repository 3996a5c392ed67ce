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
from typing import Literal, overload

from rlvr.verifiers.code.cases import CallCase, CaseResult, CaseStatus, CodeTask, StdioCase
from rlvr.verifiers.code.checkers import Checker
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
    """One run to make: ``count`` cases from ``first_case``, ``time_limit`` per case, ``budget`` in all;
    ``kind="check"``: the checker program on case ``first_case``'s output."""

    first_case: int
    count: int
    time_limit: float
    budget: float
    kind: Literal["cases", "check"] = "cases"


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


@overload
def judge_run_stdio(case: StdioCase, result: RunResult) -> CaseResult: ...
@overload
def judge_run_stdio(case: StdioCase, result: RunResult, checker: Checker) -> CaseResult | None: ...
def judge_run_stdio(case: StdioCase, result: RunResult, checker: Checker | None = None) -> CaseResult | None:
    """The status of one stdin/stdout run under ``checker`` (default: exact); ``None`` when the run ended
    cleanly and a checker program must decide.

    Example:
        >>> judge_run_stdio(StdioCase("", "4"), RunResult(exit_code=0, stdout=b"4\\n")).status.value
        'OK'
        >>> judge_run_stdio(StdioCase("", "4\\n5"), RunResult(exit_code=0, stdout=b"4\\n")).status.value
        'WA'
        >>> run = RunResult(exit_code=0, stdout=b"4\\n5")
        >>> judge_run_stdio(StdioCase("", "4 5"), run, Checker("tokens")).status.value
        'OK'
    """
    if result.setup_error is not None or result.killed is not None or result.exit_code != 0 or result.oom:
        return _ended(result, "")  # an OOM kill in the run is MLE even if the program answered
    checker = checker or Checker()
    if checker.is_program:
        return None
    actual = result.stdout.decode("utf-8", "replace")
    if checker.matches(actual, case.stdout):
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

    ran: bool = False
    result: CaseResult | None = None  # decided now (stdio, failures) ...
    payload: bytes | None = None  # ... or a record, judged at the end
    output: bytes | None = None  # ... or the output a checker program still has to judge
    checking: bool = False  # its checker run has been handed out
    took: float = 0.0  # seconds it ran
    limit: float = 0.0  # the time limit it ran under
    cut: bool = False  # stopped at that limit


#: testlib's exit statuses that mean "not accepted" (wrong answer, presentation error, extra output,
#: unexpected end of file); 3 is the checker's own failure.
CHECKER_REJECTS = (1, 2, 4, 8)


def judge_check(result: RunResult) -> CaseResult:
    """The status of a case from its checker program's run (testlib-style: exit status 0 accepts).

    A checker that crashes, hangs, reports its own failure or cannot run makes the item unjudged
    (``SANDBOX_ERROR``): never a pass, never the program's fault.

    Example:
        >>> judge_check(RunResult(exit_code=0)).status.value, judge_check(RunResult(exit_code=1)).status.value
        ('OK', 'WA')
        >>> judge_check(RunResult(exit_code=3, stderr_tail="FAIL bad answer file")).status.value
        'SANDBOX_ERROR'
    """
    message = _tail(result.stderr_tail or result.stdout.decode("utf-8", "replace"))
    if result.setup_error is not None:
        return CaseResult(CaseStatus.SANDBOX_ERROR, f"checker: {result.setup_error[:_DETAIL_CHARS]}")
    if result.killed is None and not result.oom and result.signal is None:
        if result.exit_code == 0:
            return CaseResult(CaseStatus.OK)
        if result.exit_code in CHECKER_REJECTS:
            return CaseResult(CaseStatus.WA, f"checker: {message}" if message else "rejected by the checker")
    why = result.killed or ("memory" if result.oom else f"status {result.exit_code}, signal {result.signal}")
    return CaseResult(CaseStatus.SANDBOX_ERROR, f"the checker failed ({why}): {message}"[:_DETAIL_CHARS])


def compile_outcome(result: RunResult) -> tuple[bytes | None, CaseResult | None]:
    """``(binary, None)`` from a successful compile run, else ``(None, the status every case gets)``:
    CE with the compiler's first messages, or a sandbox error when the compiler could not run at all.

    Example:
        >>> compile_outcome(RunResult(exit_code=0, stdout=b"ELF"))
        (b'ELF', None)
        >>> compile_outcome(RunResult(exit_code=1, stderr_tail="x.cpp:1: error: ..."))[1].status.value
        'CE'
    """
    messages = result.stderr_tail.strip()
    if result.setup_error is not None:
        return None, CaseResult(CaseStatus.SANDBOX_ERROR, result.setup_error[:_DETAIL_CHARS])
    if result.exit_code == 127 and messages.startswith("no C++ compiler"):
        return None, CaseResult(CaseStatus.SANDBOX_ERROR, messages[:_DETAIL_CHARS])
    if result.killed in ("timeout", "budget"):
        return None, CaseResult(CaseStatus.CE, "compilation time limit exceeded")
    if result.killed == "output":
        return None, CaseResult(CaseStatus.CE, "the compiled program is too large")
    if result.oom or result.killed == "memory":
        return None, CaseResult(CaseStatus.CE, "compilation memory limit exceeded")
    if result.exit_code == 0 and result.stdout:
        return result.stdout, None
    first = messages[:_DETAIL_CHARS] or f"the compiler exited with status {result.exit_code}"
    return None, CaseResult(CaseStatus.CE, first)


class ProgramCases:
    """One program's way through its cases under the rule in the module docstring.

    :meth:`runs` says what to start now — case runs, and checker runs for cases a checker program judges;
    :meth:`record` takes a finished run's raw result (cheap: no value is read); :meth:`finish` does the
    in-order accounting and judges the records. :meth:`stop` ends a program that cannot run at all (a
    compile error, a checker that does not compile).
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
        # a C++ checker program must be compiled before it can judge a case
        self.checks_ready = not (task.checker.is_program and task.checker.language == "cpp")

    def stop(self, result: CaseResult) -> None:
        """Every case gets ``result`` (the program or its checker could not be built)."""
        self.stopped = result
        for case in self.cases:
            case.ran, case.result, case.payload, case.output = False, None, None, None

    # -- what to run ---------------------------------------------------------------------------------------

    def _spent_before(self, index: int) -> float:
        """A lower bound of the budget used before case ``index``: the cases before it that finished."""
        return sum(min(c.took, c.limit) for c in self.cases[:index] if c.ran)

    def runs(self, parallel: int) -> list[CaseRun]:
        """The runs to start now (at most ``parallel`` of this program's at once)."""
        out: list[CaseRun] = []
        count = len(self.cases)
        limit = self.task.time_limit
        if self.stopped is not None:
            return out
        if self.checks_ready:
            for index, case in enumerate(self.cases):
                if self.in_flight >= parallel:
                    return out
                if case.output is not None and not case.checking:
                    case.checking = True
                    out.append(CaseRun(index, 1, 0.0, 0.0, kind="check"))
                    self.in_flight += 1
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
        if self.stopped is not None:
            return
        if run.kind == "check":
            case = self.cases[run.first_case]
            case.result, case.output = judge_check(result), None
            if case.result.status is CaseStatus.SANDBOX_ERROR:
                self.stopped = case.result
            return
        if self.task.mode == "call":
            self._record_calls(run, result)
            return
        case = self.cases[run.first_case]
        case.ran = True
        case.limit = run.time_limit
        case.cut = result.killed in ("timeout", "budget")
        case.took = run.time_limit if case.cut else result.wall_s
        outcome = judge_run_stdio(self.task.cases[run.first_case], result, self.task.checker)  # type: ignore[arg-type]
        if outcome is None:  # ran cleanly: its checker program decides
            case.output = result.stdout
        else:
            case.result = outcome
            if outcome.status is CaseStatus.SANDBOX_ERROR:
                self.stopped = outcome

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
            case.ran = True
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
        case.ran = True
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
        if self.stopped is not None and self.stopped.status in (CaseStatus.SANDBOX_ERROR, CaseStatus.CE):
            return [self.stopped] * len(self.cases)
        limit = self.task.time_limit
        out: list[CaseResult] = []
        spent = 0.0
        for index, case in enumerate(self.cases):
            allowed = min(limit, self.budget - spent)
            if not case.ran or allowed <= 0:
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
            elif case.result is not None:
                out.append(case.result)
            else:  # its checker never ran: not judged (never a pass)
                out.append(CaseResult(CaseStatus.SANDBOX_ERROR, "the case's checker did not run"))
        return out
