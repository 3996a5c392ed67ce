"""Judge programs against their test cases: runs through the sandbox, verdicts by the pure judge.

:func:`judge_programs` asks each program's :class:`rlvr.verifiers.code.judge.ProgramCases` what to run,
runs it in the :class:`~rlvr.sandbox.client.Sandbox`, hands every raw result back (cheap: no value is read
while the fork server's pipe waits), and once every run is over judges each program on its own — one that
cannot be judged gets ``None`` with the reason, never takes the batch down.

C++ programs (and C++ checker programs) are compiled inside the sandbox first, once per distinct source
in a batch — and once per :class:`Builds` across batches, when the caller keeps one — then their binaries
run the cases. Compilation has its own time and memory limits and never counts against the program's
budget; a compile error makes every case CE.

Example:
    >>> from rlvr.verifiers.code.cases import parse_task
    >>> task = parse_task({"entry_point": "f", "cases": [{"args": [1], "expected": 1}]})
    >>> job_for("def f(x): return x", task, CaseRun(0, 1, 2.0, 2.0)).calls
    ('[[1], {}]',)
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rlvr.processes import describe_exception
from rlvr.sandbox.client import Job, Sandbox
from rlvr.verifiers.code.cases import CaseResult, CaseStatus, CodeTask, StdioCase
from rlvr.verifiers.code.judge import (
    DEFAULT_PROGRAM_TIME_LIMIT,
    JUDGE_SECONDS,
    CaseRun,
    ProgramCases,
    ProgramResult,
    compile_outcome,
    verdict_of,
)
from rlvr.verifiers.code.runs import RunResult
from rlvr.verifiers.code.values import JudgeBudget
from rlvr.verifiers.verdict import Verdict

CHECKER_ARGV = ("checker", "input.txt", "output.txt", "answer.txt")
CHECKER_CRASH_STATUS = 3  # a Python checker that dies of an exception failed (testlib's FAIL), not rejected


@dataclass(frozen=True)
class BuildLimits:
    """Limits of compiling one program, and of running a checker program on one case.

    Example:
        >>> BuildLimits().compile_time_limit
        30.0
    """

    compile_time_limit: float = 30.0
    compile_memory_mb: int = 2048
    max_binary_bytes: int = 64 << 20
    checker_time_limit: float = 10.0
    checker_memory_mb: int = 1024


Build = tuple[bytes | None, CaseResult | None]  # (binary, or the status every case gets)


@dataclass
class Builds:
    """Compiled programs, by the hash of their source (least recently used dropped past ``size``).

    Example:
        >>> builds = Builds(size=1)
        >>> builds.put("a", (b"ELF", None)); builds.put("b", (b"ELF2", None))
        >>> builds.get("a") is None, builds.get("b")
        (True, (b'ELF2', None))
    """

    size: int = 256
    entries: OrderedDict[str, Build] = field(default_factory=OrderedDict)

    def get(self, key: str) -> Build | None:
        build = self.entries.get(key)
        if build is not None:
            self.entries.move_to_end(key)
        return build

    def put(self, key: str, build: Build) -> None:
        if build[1] is not None and build[1].status is CaseStatus.SANDBOX_ERROR:
            return  # a failure of the sandbox is not the program's: try again next time
        self.entries[key] = build
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


def source_key(language: str, source: str) -> str:
    """The cache key of a program's build.

    Example:
        >>> source_key("cpp", "int main(){}") == source_key("cpp", "int main(){}")
        True
    """
    return hashlib.sha256(f"{language}\0{source}".encode("utf-8", "surrogateescape")).hexdigest()


def job_for(program: str, task: CodeTask, run: CaseRun, binary: bytes | None = None) -> Job:
    """The sandbox job for one run of ``program`` (or its compiled ``binary``) on ``task``'s cases."""
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
            prelude=task.prelude,
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
        binary=binary,
        prelude=task.prelude,
    )


def check_job(task: CodeTask, index: int, output: bytes, binary: bytes | None, limits: BuildLimits) -> Job:
    """The sandbox job that runs ``task``'s checker program on case ``index``'s ``output``."""
    case: StdioCase = task.cases[index]  # type: ignore[assignment]
    checker = task.checker
    return Job(
        "stdio",
        checker.source or "" if checker.language == "python" else "",
        binary=binary if checker.language == "cpp" else None,
        argv=CHECKER_ARGV,
        files={
            "input.txt": case.stdin,
            "output.txt": output.decode("utf-8", "surrogateescape"),
            "answer.txt": case.stdout,
        },
        first_case=index,
        time_limit=limits.checker_time_limit,
        memory_mb=limits.checker_memory_mb,
        crash_status=CHECKER_CRASH_STATUS,
    )


def compile_job(source: str, limits: BuildLimits) -> Job:
    """The sandbox job that compiles C++ ``source``."""
    return Job(
        "compile",
        source,
        time_limit=limits.compile_time_limit,
        memory_mb=limits.compile_memory_mb,
        output_limit=limits.max_binary_bytes,
    )


class _Batch:
    """One call of :func:`judge_programs`: what each job is for, and what waits for a build."""

    def __init__(
        self,
        programs: Sequence[tuple[str, CodeTask]],
        program_time_limit: float,
        parallel: int,
        limits: BuildLimits,
        builds: Builds,
    ) -> None:
        self.programs = programs
        self.plans = [ProgramCases(task, program_time_limit) for _, task in programs]
        self.parallel = parallel
        self.limits = limits
        self.builds = builds
        self.owners: list[tuple[str, object]] = []  # per job: ("case", (program, run)) or ("build", key)
        self.waiting: dict[str, list[tuple[int, str]]] = {}  # build key -> (program, "program"/"checker")
        self.binaries: dict[int, bytes | None] = {}  # program -> its binary (C++)
        self.checker_binaries: dict[int, bytes | None] = {}
        self.compiling: set[str] = set()

    def first_jobs(self) -> list[Job]:
        jobs: list[Job] = []
        for index, (program, task) in enumerate(self.programs):
            if task.language == "cpp":
                self._need_build(index, "program", program, jobs)
            if task.checker.is_program and task.checker.language == "cpp":
                self._need_build(index, "checker", task.checker.source or "", jobs)
            if self._program_ready(index):
                jobs += self.start(index)
        return jobs

    def _need_build(self, index: int, role: str, source: str, jobs: list[Job]) -> None:
        """Use the build when at hand; else ask for it (once per source in the batch) and wait."""
        key = source_key("cpp", source)
        build = self.builds.get(key)
        if build is not None:
            self._built(index, role, build)
            return
        self.waiting.setdefault(key, []).append((index, role))
        if key not in self.compiling:
            self.compiling.add(key)
            self.owners.append(("build", key))
            jobs.append(compile_job(source, self.limits))

    def _built(self, index: int, role: str, build: Build) -> None:
        binary, failure = build
        plan = self.plans[index]
        if role == "program":
            self.binaries[index] = binary
            if failure is not None:
                plan.stop(failure)
        else:
            self.checker_binaries[index] = binary
            if failure is not None:  # the dataset's checker, not the program: the item is not judged
                why = f"the checker program does not compile: {failure.detail}"
                plan.stop(CaseResult(CaseStatus.SANDBOX_ERROR, why[:300]))
            else:
                plan.checks_ready = True

    def _program_ready(self, index: int) -> bool:
        return self.programs[index][1].language != "cpp" or self.binaries.get(index) is not None

    def start(self, index: int) -> list[Job]:
        program, task = self.programs[index]
        jobs = []
        for run in self.plans[index].runs(self.parallel):
            self.owners.append(("case", (index, run)))
            if run.kind == "check":
                output = self.plans[index].cases[run.first_case].output or b""
                jobs.append(
                    check_job(task, run.first_case, output, self.checker_binaries.get(index), self.limits)
                )
            else:
                jobs.append(job_for(program, task, run, self.binaries.get(index)))
        return jobs

    def on_result(self, job_index: int, result: RunResult) -> list[Job]:
        kind, what = self.owners[job_index]
        if kind == "case":
            index, run = what  # type: ignore[misc]
            self.plans[index].record(run, result)
            return self.start(index)
        key: str = what  # type: ignore[assignment]
        build = compile_outcome(result)
        self.builds.put(key, build)
        jobs: list[Job] = []
        for index, role in self.waiting.pop(key, []):
            self._built(index, role, build)
            if self._program_ready(index):  # its case runs, or the checks waiting for this checker
                jobs += self.start(index)
        return jobs


def judge_programs(
    sandbox: Sandbox,
    programs: Sequence[tuple[str, CodeTask]],
    *,
    all_or_nothing: bool = False,
    program_time_limit: float = DEFAULT_PROGRAM_TIME_LIMIT,
    judge_seconds: float = JUDGE_SECONDS,
    limits: BuildLimits | None = None,
    builds: Builds | None = None,
) -> list[ProgramResult]:
    """Run every ``(program, task)`` in the sandbox and judge it; one :class:`ProgramResult` each.

    ``judge_seconds`` bounds reading one program's results (hostile data); past it the case is WA.
    ``builds`` keeps compiled programs across calls (default: this call only).

    Raises:
        SandboxUnavailableError: the sandbox cannot start here (the caller decides: ``None`` scores).
    """
    if not math.isfinite(program_time_limit) or program_time_limit <= 0:
        raise ValueError(f"program_time_limit must be a finite number > 0, got {program_time_limit!r}")
    stdio_count = sum(task.mode == "stdio" for _, task in programs) or 1
    parallel = max(1, math.ceil(sandbox.config.slots / stdio_count))
    batch = _Batch(programs, program_time_limit, parallel, limits or BuildLimits(), builds or Builds())
    sandbox.run(batch.first_jobs(), batch.on_result)
    out = []
    for plan in batch.plans:
        try:
            cases = plan.finish(JudgeBudget(seconds=judge_seconds))
            out.append(ProgramResult(tuple(cases), verdict_of(cases, all_or_nothing)))
        except Exception as exc:  # a judge bug must cost one item, never the batch
            out.append(ProgramResult((), Verdict.unjudged(f"judge error: {describe_exception(exc, 300)}")))
    return out
