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
    ValueError: programs must be >= 1, got 0
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from rlvr.processes import usable_cpus
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
    """Sizes of the C++ benchmark: ``programs`` distinct programs of ``cases`` cases each."""

    programs: int = 24
    cases: int = 6
    repeats: int = 3
    workers: int | None = None

    def __post_init__(self) -> None:
        for name in ("programs", "cases", "repeats"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")


@dataclass
class CppBenchReport:
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
        c, r = self.compiles_per_s, self.runs_per_s
        head = (
            f"`rlvr bench code --language cpp --items {self.programs} --repeats {self.repeats}` — "
            f"{self.machine}, {self.date}; load average {self.load_average:.1f} at start; medians of "
            f"{self.repeats} alternating runs; {self.programs} distinct C++ programs x {self.cases} cases, "
            f"{self.workers} workers each side.\n\n"
        )
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

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


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
    workers = config.workers or usable_cpus()
    work = _work(config)
    report = CppBenchReport(
        programs=config.programs,
        cases=config.cases,
        repeats=config.repeats,
        workers=workers,
        machine=f"{platform.machine()}, {usable_cpus()} usable CPUs, Python {platform.python_version()}",
        date=time.strftime("%Y-%m-%d"),
        load_average=os.getloadavg()[0],
    )
    total_cases = config.programs * config.cases
    times: dict[str, dict[str, list[float]]] = {side: {"compile": [], "run": []} for side in ("rlvr", "peer")}
    limits = BuildLimits()
    with Sandbox(SandboxConfig(workers=workers)) as sandbox, ThreadPoolExecutor(max_workers=workers) as pool:
        sandbox.run([compile_job("int main() {}", limits)])  # warm: the fork server is up
        for _ in range(config.repeats):
            builds = Builds()
            start = time.perf_counter()
            compiled = sandbox.run([compile_job(source, limits) for source, _ in work])
            times["rlvr"]["compile"].append(time.perf_counter() - start)
            for (source, _task), result in zip(work, compiled, strict=True):
                builds.put(source_key("cpp", source), compile_outcome(result))
            start = time.perf_counter()
            results = judge_programs(sandbox, work, builds=builds)
            times["rlvr"]["run"].append(time.perf_counter() - start)
            report.passed["rlvr"] = sum(r.passed for r in results)

            with tempfile.TemporaryDirectory() as root:
                folders = [tempfile.mkdtemp(dir=root) for _ in work]
                start = time.perf_counter()
                binaries = list(pool.map(_peer_compile, [s for s, _ in work], folders))
                times["peer"]["compile"].append(time.perf_counter() - start)
                runs = [
                    (binary, case.stdin, case.stdout)  # type: ignore[union-attr]
                    for binary, (_, task) in zip(binaries, work, strict=True)
                    for case in task.cases
                    if binary is not None
                ]
                start = time.perf_counter()
                passed = list(pool.map(lambda r: _peer_run(*r), runs))
                times["peer"]["run"].append(time.perf_counter() - start)
                report.passed["peer"] = sum(passed)
    for side in ("rlvr", "peer"):
        report.compiles_per_s[side] = config.programs / statistics.median(times[side]["compile"])
        report.runs_per_s[side] = total_cases / statistics.median(times[side]["run"])
    return report
