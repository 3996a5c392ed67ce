"""``rlvr bench code --language cpp``: C++ programs compiled and run in the sandbox, against a plain
``subprocess`` + ``g++`` harness with no isolation at all, in the same run.

Each side compiles the same distinct C++ programs (``g++ -O2 -std=c++17``) and runs their stdin/stdout
cases, with the same number of workers, alternately, several times; the report gives medians for the two
phases apart — compiles per second and case executions per second — and their ratios. The peer writes the
source to a temporary directory, compiles it with ``subprocess.run`` and runs the binary once per case
with a timeout, comparing stdout: what a script without a sandbox does.

Example:
    >>> CppBenchConfig(programs=0)
    Traceback (most recent call last):
    ...
    ValueError: --items must be an integer >= 1, got 0
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from rlvr.bench.base import (
    BenchReport,
    alternate,
    check_counts,
    headline,
    load_average,
    machine_description,
    stopwatch,
    today,
    worker_count,
)
from rlvr.sandbox import Sandbox, SandboxConfig
from rlvr.sandbox.programs import BuildLimits, Builds, compile_job, judge_programs, source_key
from rlvr.verifiers.code.cases import CodeTask, parse_task
from rlvr.verifiers.code.judge import compile_outcome

_PROGRAM = """#include <bits/stdc++.h>
using namespace std;
int main() {{
    int n; if (!(cin >> n)) return 0;
    vector<long long> a(n);
    for (auto& x : a) cin >> x;
    sort(a.begin(), a.end());
    long long total = 0;
    for (int i = 0; i < n; ++i) total += a[i] * (i % {k} + 1);
    cout << total << "\\n";
}}
"""


@dataclass(frozen=True)
class CppBenchConfig:
    """Sizes of the C++ benchmark: ``programs`` distinct programs (``--items``) of ``cases`` cases each."""

    programs: int = 24
    cases: int = 6
    repeats: int = 3
    workers: int | None = None

    def __post_init__(self) -> None:
        minimums = {"programs": 1, "cases": 1, "repeats": 1, "workers": 1}
        check_counts(self, minimums, optional=["workers"], flags={"programs": "--items", "cases": "cases"})


@dataclass
class CppBenchReport(BenchReport):
    """The figures of one run of the C++ benchmark."""

    programs: int
    cases: int
    repeats: int
    workers: int
    machine: str
    date: str
    load_average: float = 0.0
    compiles_per_s: dict[str, float] = field(default_factory=dict)
    runs_per_s: dict[str, float] = field(default_factory=dict)
    passed: dict[str, int] = field(default_factory=dict)

    def markdown(self) -> str:
        """The report as a Markdown table."""
        c, r = self.compiles_per_s, self.runs_per_s
        command = f"rlvr bench code --language cpp --items {self.programs} --repeats {self.repeats}"
        details = (
            f"load average {self.load_average:.1f} at start; medians of {self.repeats} alternating runs; "
            f"{self.programs} distinct C++ programs x {self.cases} cases, {self.workers} workers each side."
        )
        head = headline(command, self.machine, self.date, details) + "\n\n"
        rows = [
            ("compiles/s", c.get("rlvr", 0.0), c.get("peer", 0.0)),
            ("case executions/s (binaries at hand)", r.get("rlvr", 0.0), r.get("peer", 0.0)),
        ]
        table = "| measure | rlvr sandbox | subprocess + g++, no isolation | ratio |\n|---|---|---|---|\n"
        table += "\n".join(
            f"| {name} | {ours:,.1f} | {theirs:,.1f} | {ours / theirs if theirs else float('nan'):.2f}x |"
            for name, ours, theirs in rows
        )
        table += f"\n\nCases passed: rlvr {self.passed.get('rlvr', 0)}, peer {self.passed.get('peer', 0)}."
        return head + table


def _work(config: CppBenchConfig) -> list[tuple[str, CodeTask]]:
    work = []
    for number in range(config.programs):
        k = number + 2  # a distinct program each: none is compiled twice
        cases = []
        for case in range(config.cases):
            values = [(case * 37 + i * 11) % 101 - 50 for i in range(20 + case)]
            ordered = sorted(values)
            expected = sum(x * (i % k + 1) for i, x in enumerate(ordered))
            cases.append({"stdin": f"{len(values)}\n{' '.join(map(str, values))}\n", "stdout": str(expected)})
        work.append(
            (_PROGRAM.format(k=k), parse_task({"language": "cpp", "cases": cases, "time_limit": 2.0}))
        )
    return work


def _peer_compile(source: str, folder: str) -> str | None:
    path = os.path.join(folder, "main.cpp")
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(source)
    binary = os.path.join(folder, "main")
    done = subprocess.run(
        ["g++", "-O2", "-std=c++17", "-s", "-o", binary, path], capture_output=True, timeout=60, check=False
    )
    return binary if done.returncode == 0 else None


def _peer_run(binary: str, stdin: str, expected: str) -> bool:
    try:
        done = subprocess.run([binary], input=stdin.encode(), capture_output=True, timeout=2.0, check=False)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and done.stdout.decode().split() == expected.split()


def run_cpp_bench(config: CppBenchConfig) -> CppBenchReport:
    """Run the C++ benchmark (needs ``g++``).

    Example:
        >>> run_cpp_bench(CppBenchConfig(programs=2, cases=2, repeats=1)).passed  # doctest: +SKIP
        {'rlvr': 4, 'peer': 4}
    """
    if shutil.which("g++") is None:
        raise RuntimeError("rlvr bench code --language cpp needs g++")
    workers = worker_count(config.workers)
    work = _work(config)
    report = CppBenchReport(
        programs=config.programs,
        cases=config.cases,
        repeats=config.repeats,
        workers=workers,
        machine=machine_description(),
        date=today(),
        load_average=load_average(),
    )
    total_cases = config.programs * config.cases
    limits = BuildLimits()
    with Sandbox(SandboxConfig(workers=workers)) as sandbox, ThreadPoolExecutor(max_workers=workers) as pool:
        sandbox.run([compile_job("int main() {}", limits)])  # warm: the fork server is up

        def ours() -> tuple[float, float]:
            builds = Builds()
            compile_s, compiled = stopwatch(lambda: sandbox.run([compile_job(s, limits) for s, _ in work]))
            for (source, _task), result in zip(work, compiled, strict=True):
                builds.put(source_key("cpp", source), compile_outcome(result))
            run_s, results = stopwatch(lambda: judge_programs(sandbox, work, builds=builds))
            report.passed["rlvr"] = sum(r.passed for r in results)
            return compile_s, run_s

        def theirs() -> tuple[float, float]:
            with tempfile.TemporaryDirectory() as root:
                folders = [tempfile.mkdtemp(dir=root) for _ in work]
                compile_s, binaries = stopwatch(
                    lambda: list(pool.map(_peer_compile, [s for s, _ in work], folders))
                )
                runs = [
                    (binary, case.stdin, case.stdout)  # type: ignore[union-attr]
                    for binary, (_, task) in zip(binaries, work, strict=True)
                    for case in task.cases
                    if binary is not None
                ]
                run_s, passed = stopwatch(lambda: list(pool.map(lambda r: _peer_run(*r), runs)))
                report.passed["peer"] = sum(passed)
            return compile_s, run_s

        phases = alternate({"rlvr": ours, "peer": theirs}, config.repeats)
    for side, rounds in phases.items():
        report.compiles_per_s[side] = config.programs / statistics.median(c for c, _ in rounds)
        report.runs_per_s[side] = total_cases / statistics.median(r for _, r in rounds)
    return report
