"""The code sandbox: runs, limits, statuses, isolation report, the unprivileged path and failing closed."""

from __future__ import annotations

import logging
import os
import pickle
import resource
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from rlvr.sandbox import Job, Sandbox, SandboxConfig, SandboxUnavailableError, judge_programs
from rlvr.verifiers.code import CaseStatus, parse_task
from rlvr.verifiers.code.cases import CallCase

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3.11" if os.path.exists("/usr/bin/python3.11") else shutil.which("python3")


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox(workers=2) as sandbox:
        yield sandbox


def calls(*args_lists: list[object]) -> tuple[str, ...]:
    return tuple(CallCase(tuple(args), None).call_json for args in args_lists)


def statuses(sandbox: Sandbox, program: str, info: dict[str, object]) -> list[str]:
    result = judge_programs(sandbox, [(program, parse_task(info))])[0]
    return [case.status.value for case in result.cases]


def test_stdio_and_call_jobs(box: Sandbox) -> None:
    stdio, call = box.run(
        [
            Job("stdio", "print(int(input()) * 2)", stdin="21"),
            Job(
                "call",
                "def f(a, b):\n    return (a + b, [a])",
                entry_point="f",
                calls=calls([1, 2], ["a", "b"]),
            ),
        ]
    )
    assert stdio.stdout == b"42\n" and stdio.exit_code == 0 and not stdio.sandbox_error
    assert call.records == (b'{"v": {"$tuple": [3, [1]]}}', b'{"v": {"$tuple": ["ab", ["a"]]}}')


def test_large_stdin_and_unicode(box: Sandbox) -> None:
    data = "é" * 300_000 + "\n"
    (result,) = box.run([Job("stdio", "import sys\nprint(len(sys.stdin.read()))", stdin=data)])
    assert result.stdout == b"300001\n"


def test_environment_and_identity(box: Sandbox) -> None:
    shown = "dict(os.environ), os.getcwd(), os.getpid(), os.getuid() != 0, sorted(os.listdir('/'))"
    program = f"import os\nprint({shown})"
    (result,) = box.run([Job("stdio", program)])
    text = result.stdout.decode()
    assert text.startswith("{} /tmp 1 True"), text
    assert "proc" not in text and "home" not in text and "work" not in text


def test_statuses(box: Sandbox) -> None:
    info = {"entry_point": "f", "cases": [{"args": [i], "expected": i} for i in range(4)], "time_limit": 0.5}
    program = textwrap.dedent(
        """
        def f(x):
            if x == 1:
                return x + 1
            if x == 2:
                raise ValueError("boom")
            if x == 3:
                while True:
                    pass
            return x
        """
    )
    assert statuses(box, program, info) == ["OK", "WA", "RE", "TLE"]
    assert (
        statuses(box, "def f(x):\n    return bytearray(1 << 33)", {**info, "memory_limit_mb": 64})
        == ["MLE"] * 4
    )
    assert statuses(box, "def f(x:\n", info) == ["RE"] * 4
    assert statuses(box, "def g(x):\n    return x", info) == ["RE"] * 4


def test_stdio_statuses_every_case_runs_while_the_budget_lasts(box: Sandbox) -> None:
    cases = [{"stdin": f"{i}\n", "stdout": f"{i}"} for i in range(6)]
    program = (
        "x = int(input())\nif x == 1:\n    print(5)\n"
        "elif x in (2, 3):\n    while True: pass\nelse:\n    print(x)"
    )
    task = parse_task({"cases": cases, "time_limit": 0.5})
    result = judge_programs(box, [(program, task)])[0]
    assert [case.status.value for case in result.cases] == ["OK", "WA", "TLE", "TLE", "OK", "OK"]
    assert result.cases[2].detail == "time limit exceeded"
    short = judge_programs(box, [(program, task)], program_time_limit=1.0)[0]  # budget: 1 s in all
    assert [case.status.value for case in short.cases] == ["OK", "WA", "TLE", "TLE", "TLE", "TLE"]
    assert short.cases[3].detail == "program time limit exceeded" and short.cases[4].detail.startswith(
        "not run"
    )
    assert statuses(box, "import sys\nprint(0)\nsys.exit(3)", {"cases": cases[:1]}) == ["RE"]


def test_cell_memory_cap_gives_mle_every_time(box: Sandbox) -> None:
    # Under its own address-space limit, but over the cell's memory cap with its tmpfs files: the kernel's
    # OOM killer ends it, and the cell's counter (re-read after every run) says so, run after run.
    if box.isolation.get("cgroups") is None:
        pytest.skip("no writable cgroups here: the memory cap is RLIMIT_AS only")
    program = (
        "def f(x):\n"
        "    for name in 'abc':\n"
        "        with open(f'/tmp/{name}', 'wb') as stream:\n"
        "            stream.write(b'x' * (12 << 20))\n"
        "    hoard = bytearray(30 << 20)\n"
        "    for i in range(0, len(hoard), 4096):\n"
        "        hoard[i] = 1\n"
        "    return x\n"
    )
    info = {"entry_point": "f", "cases": [{"args": [1], "expected": 1}], "memory_limit_mb": 40}
    for i in range(4):
        assert statuses(box, f"{program}# {i}\n", info) == ["MLE"]
    assert statuses(box, "def f(x):\n    return x\n", info) == ["OK"]


def test_a_full_tmpfs_never_counts_against_the_next_sample() -> None:
    # Each dead sample's mount namespace (with its tmpfs, charged to the cell) is held past its exit and
    # dropped by the cell's next sample while it prepares: before that one runs, never after.
    fill = (
        "def f(x):\n"
        "    for i in range(3):\n"
        "        with open(f'/tmp/{i}', 'wb') as stream:\n"
        "            stream.write(b'x' * (12 << 20))\n"
        "    return x\n"
    )
    use = (
        "def f(x):\n"
        "    hoard = bytearray(48 << 20)\n"
        "    for i in range(0, len(hoard), 4096):\n"
        "        hoard[i] = 1\n"
        "    return x\n"
    )
    info = {"entry_point": "f", "cases": [{"args": [1], "expected": 1}], "memory_limit_mb": 64}
    with Sandbox(workers=1) as sandbox:
        if sandbox.isolation.get("cgroups") is None:
            pytest.skip("no writable cgroups here: no memory cap shared by a sample and its tmpfs")
        for i in range(8):  # the cells take turns: each is reused several times
            program = fill if i % 2 == 0 else use
            assert statuses(sandbox, f"{program}# {i}\n", info) == ["OK"], i


def test_per_case_clock_resets_between_calls(box: Sandbox) -> None:
    info = {"entry_point": "f", "cases": [{"args": [i], "expected": i} for i in range(3)], "time_limit": 0.6}
    assert statuses(box, "import time\ndef f(x):\n    time.sleep(0.35)\n    return x", info) == ["OK"] * 3


def test_stderr_tail_is_kept(box: Sandbox) -> None:
    (result,) = box.run(
        [Job("stdio", "import sys\nsys.stderr.write('a' * 10000 + 'END')\nraise SystemExit(2)")]
    )
    assert result.exit_code == 2 and result.stderr_tail.endswith("END") and len(result.stderr_tail) <= 2048


def test_isolation_report(box: Sandbox) -> None:
    report = box.isolation
    assert "net" in report["isolation"] and "pid" in report["isolation"] and "mount" in report["isolation"]
    if os.geteuid() == 0 and os.access("/sys/fs/cgroup/pids", os.W_OK):
        assert report["cgroups"] in (1, 2) and "pids.max=32" in report["limits"]


def test_never_more_programs_at_once_than_workers(box: Sandbox) -> None:
    # Samples are armed with their job ahead of need; only `workers` of them may run at a time. Each reports
    # when its program ran (one clock for all: no time namespace); no instant may see three at once.
    program = "import time\nstart = time.time()\ntime.sleep(0.15)\nprint(start, time.time())"
    results = box.run([Job("stdio", f"{program}  # {i}") for i in range(8)])
    spans = [tuple(map(float, r.stdout.split())) for r in results]
    assert len(spans) == 8
    for start, _ in spans:
        running = sum(1 for s, e in spans if s <= start < e)
        assert running <= 2, spans


def test_losing_the_spawner_fails_closed_then_recovers() -> None:
    with Sandbox(workers=2) as sandbox:
        spawners = sandbox.isolation["spawner_pids"]
        assert len(spawners) == 6 and all(isinstance(pid, int) and pid > 0 for pid in spawners)
        spawner = spawners[0]
        os.kill(spawner, 9)
        results = sandbox.run([Job("stdio", f"print({i} * 2)") for i in range(6)])
        for i, result in enumerate(results):  # a sandbox error (None upstream) or the right answer, no other
            assert result.sandbox_error or result.stdout == f"{i * 2}\n".encode(), result
        again = sandbox.run([Job("stdio", f"print({i} * 3)") for i in range(6)])
        assert [r.stdout for r in again] == [f"{i * 3}\n".encode() for i in range(6)]
        assert spawner not in sandbox.isolation["spawner_pids"]


def test_fork_server_descriptors_stay_bounded(box: Sandbox) -> None:
    box.run([Job("stdio", f"print({i})") for i in range(12)])
    server = box.server_pid
    assert server is not None
    before = len(os.listdir(f"/proc/{server}/fd"))
    for _ in range(3):
        box.run([Job("stdio", f"print({i})") for i in range(40)])
    after = len(os.listdir(f"/proc/{server}/fd"))
    assert after <= before + 4, (before, after)  # held mount namespaces are bounded by the cells


def test_site_packages_without_running_pth_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import site

    from rlvr.sandbox.boot import add_site_packages

    packages, extra = tmp_path / "site-packages", tmp_path / "extra"
    packages.mkdir()
    extra.mkdir()
    marker = tmp_path / "ran"
    (packages / "a.pth").write_text(f"# a comment\n{extra}\nimport os; open({str(marker)!r}, 'w')\nmissing\n")
    monkeypatch.setattr(site, "getsitepackages", lambda: [str(packages), str(tmp_path / "absent")])
    monkeypatch.setattr(sys, "path", list(sys.path))
    add_site_packages()
    assert str(packages) in sys.path and str(extra) in sys.path
    assert str(tmp_path / "absent") not in sys.path and str(packages / "missing") not in sys.path
    assert not marker.exists()


def test_many_workers_under_a_low_descriptor_limit() -> None:
    # 240 cells (each with a spawner, a network namespace, counters and a sample's pipes) need more than
    # the common soft limit of 1024 descriptors: the fork server lifts its own to the hard limit.
    script = textwrap.dedent(
        """
        import resource, sys
        sys.path.insert(0, sys.argv[1])
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
        from rlvr.sandbox import Job, Sandbox
        with Sandbox(workers=80) as box:
            results = box.run([Job("stdio", f"print({i})") for i in range(120)])
        print(sum(r.stdout == f"{i}\\n".encode() for i, r in enumerate(results)))
        """
    )
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        pytest.skip(f"the hard descriptor limit here ({hard}) is too low for 80 workers")
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT)], capture_output=True, text=True, timeout=180, check=False
    )
    assert done.stdout.strip() == "120", done.stdout + done.stderr[-2000:]


def test_network_namespace_per_sample_on_request() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    program = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {listener.getsockname()[1]}), timeout=0.5)\n"
        "    print('reached')\n"
        "except OSError:\n"
        "    print('cut off')\n"
    )
    try:
        with Sandbox(workers=1, network_per_sample=True) as sandbox:
            isolation = sandbox.isolation["isolation"]
            if os.geteuid() == 0:
                assert (
                    "+net+" in isolation.split(" per sample")[0]
                    and "net: an empty one per cell" not in isolation
                )
            assert [r.stdout for r in sandbox.run([Job("stdio", program)] * 2)] == [b"cut off\n"] * 2
    finally:
        listener.close()


def test_pickle_carries_only_the_config(box: Sandbox) -> None:
    copy = pickle.loads(pickle.dumps(box))
    assert copy.config == box.config and copy.server_pid is None


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="workers"):
        SandboxConfig(workers=0)
    with pytest.raises(ValueError, match="ro_paths"):
        SandboxConfig(ro_paths=("/proc",))
    with pytest.raises(ValueError, match="absolute"):
        SandboxConfig(python="python3")


def test_missing_interpreter_fails_closed() -> None:
    sandbox = Sandbox(python="/nonexistent/python3")
    with pytest.raises(SandboxUnavailableError, match="not executable"):
        sandbox.run([Job("stdio", "print(1)")])


def test_unsafe_mode_warns_on_every_use(caplog: pytest.LogCaptureFixture) -> None:
    with Sandbox(workers=1, unsafe=True) as sandbox, caplog.at_level(logging.WARNING, "rlvr.verifiers.code"):
        for _ in range(2):
            (result,) = sandbox.run([Job("stdio", "print(6 * 7)")])
            assert result.stdout == b"42\n"
    assert sum("UNSAFE code sandbox" in r.message for r in caplog.records) >= 2


def test_status_values_are_the_documented_ones() -> None:
    assert [s.value for s in CaseStatus] == ["OK", "WA", "TLE", "MLE", "RE", "CE", "SANDBOX_ERROR"]
