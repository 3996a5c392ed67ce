"""The strongest probes again, with the scorer as an unprivileged user (uid 65534): no root, no cgroups.

The test starts a scorer as uid 65534 (``setpriv``, the system Python) that runs a batch of hostile
programs beside honest ones and prints what each scored; the checks are made here. It skips, with the
reason, where that user cannot read this checkout (a checkout in a 0700 directory) or the machine lacks
``setpriv`` or a system Python.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(400)
ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3.11", "/usr/bin/python3") if os.path.exists(p)), None)
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root to start a scorer as uid 65534"
    if shutil.which("setpriv") is None or SYSTEM_PYTHON is None:
        return "needs setpriv and a system Python"
    probe = subprocess.run(
        [*NOBODY, SYSTEM_PYTHON, "-c", f"import os; os.listdir({str(ROOT / 'rlvr')!r})"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd="/",
    )
    if probe.returncode != 0:
        return f"uid 65534 cannot read this checkout ({ROOT}): {probe.stderr.strip().splitlines()[-1:]}"
    return None


WHY_NOT = _why_not()
pytestmark = [pytestmark, pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")]

SCORER = """
import json, sys
sys.path.insert(0, {root!r})
from rlvr.rewards import CodeExecutionReward
from rlvr.sandbox import SandboxUnavailableError
probes = json.load(open({probes!r}))
reward = CodeExecutionReward(workers=2, program_time_limit=10.0)
try:
    isolation = reward.sandbox.isolation
except SandboxUnavailableError as exc:
    print(json.dumps({{"unavailable": str(exc)}}))
    sys.exit(0)
names = list(probes)
verdicts = reward.judge(None, [probes[n]["program"] for n in names],
                        verification_info=[probes[n]["info"] for n in names])
reward.close()
print(json.dumps({{"isolation": isolation,
                   "results": {{n: [v.score, v.reason] for n, v in zip(names, verdicts)}}}}))
"""

CALL1 = {"entry_point": "f", "cases": [{"args": [3], "expected": 6}], "time_limit": 1.0}
HONEST = "def f(x):\n    return x * 2\n"
# Ten processes of 50 MB each under a 64 MB limit: each alone is within its address-space limit.
TEN_CHILDREN = """
import os, time
def f(x):
    for _ in range(10):
        if os.fork() == 0:
            hoard = bytearray(50 << 20)
            for i in range(0, len(hoard), 4096):
                hoard[i] = 1
            time.sleep(3)
            os._exit(0)
    time.sleep(2)
    return x * 2
"""
TEN_CHILDREN_INFO = {**CALL1, "memory_limit_mb": 64, "time_limit": 4.0}
FRAMED = """
            import os, struct, json
            def forge(index, value):
                body = struct.pack(">I", index) + json.dumps({"v": value}).encode()
                return struct.pack(">I", len(body)) + body
"""


@pytest.fixture(scope="module")
def outcome() -> Iterator[dict[str, object]]:
    folder = Path(tempfile.mkdtemp(prefix="rlvr-unprivileged-"))
    folder.chmod(0o755)
    secret = folder / "secret.txt"
    secret.write_text("rlvr-host-secret-41")
    secret.chmod(0o644)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    eight = {
        "entry_point": "f",
        "cases": [{"args": [i], "expected": 2 * i} for i in range(8)],
        "time_limit": 1.0,
    }
    add_key = {"x86_64": 248, "aarch64": 217}.get(os.uname().machine, -1)
    probes = {  # the first two run at the same time (two workers)
        "inotify hog": (
            """
            import ctypes, os, time
            libc = ctypes.CDLL(None, use_errno=True)
            def f(x):
                for _ in range(5):
                    if os.fork() == 0:
                        while libc.inotify_init() >= 0:
                            pass
                        time.sleep(2.5)
                        os._exit(0)
                while libc.inotify_init() >= 0:
                    pass
                time.sleep(2.5)
                return -1
            """,
            {**CALL1, "time_limit": 4.0},
        ),
        "inotify victim": (
            """
            import ctypes, time
            def f(x):
                time.sleep(0.8)
                return 6 if ctypes.CDLL(None).inotify_init() >= 0 else -1
            """,
            {**CALL1, "time_limit": 4.0},
        ),
        "network": (
            f"""
            import socket
            def f(x):
                try:
                    socket.create_connection(("127.0.0.1", {port}), 0.5)
                    return 6
                except OSError:
                    return -1
            """,
            CALL1,
        ),
        "host file": (
            f"""
            def f(x):
                try:
                    return 6 if "secret" in open({str(secret)!r}).read() else -1
                except OSError:
                    return -1
            """,
            CALL1,
        ),
        "fork bomb": (
            """
            import os
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
            """,
            {"cases": [{"stdin": "", "stdout": "6"}], "time_limit": 1.0},
        ),
        "ten children over the memory limit": (TEN_CHILDREN, TEN_CHILDREN_INFO),
        "keyring": (
            f"""
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            def f(x):
                made = libc.syscall({add_key}, b"user", b"k", b"v", 1, ctypes.c_long(-4))
                return 6 if made > 0 else -1
            """,
            CALL1,
        ),
        "vsock": (
            """
            import socket
            def f(x):
                try:
                    socket.socket(40, socket.SOCK_STREAM)
                    return 6
                except OSError:
                    return -1
            """,
            CALL1,
        ),
        "new user namespace": (
            """
            import ctypes
            def f(x):
                return 6 if ctypes.CDLL(None).unshare(0x10000000) == 0 else -1
            """,
            CALL1,
        ),
        "answers written ahead": (
            FRAMED
            + """
            import time
            def f(x):
                if x == 4:
                    for later in range(5, 8):
                        os.write(3, forge(later, later * 2))
                    time.sleep(30)
                return x * 2 if x < 4 else -1
            """,
            eight,
        ),
        "kept alive by writing": (
            FRAMED
            + """
            import threading, time
            def beat():
                while True:
                    os.write(3, forge(99, 0))
                    time.sleep(0.1)
            threading.Thread(target=beat, daemon=True).start()
            def f(x):
                time.sleep(2.5)
                return x * 2
            """,
            CALL1,
        ),
        "honest": (HONEST, CALL1),
    }
    encoded = {
        name: {"program": f"```python\n{textwrap.dedent(program)}\n```", "info": info}
        for name, (program, info) in probes.items()
    }
    (folder / "probes.json").write_text(json.dumps(encoded))
    script = folder / "scorer.py"
    script.write_text(textwrap.dedent(SCORER.format(root=str(ROOT), probes=str(folder / "probes.json"))))
    for path in folder.iterdir():
        path.chmod(0o644)
    try:
        done = subprocess.run(
            [*NOBODY, SYSTEM_PYTHON, str(script)], capture_output=True, text=True, timeout=300, cwd="/"
        )
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever connected
        yield result
    finally:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_the_sandbox_works_unprivileged_or_refuses_clearly(outcome: dict[str, object]) -> None:
    if "unavailable" in outcome:  # a kernel without unprivileged user namespaces: a clear refusal
        assert "namespaces" in str(outcome["unavailable"])
        pytest.skip(f"no unprivileged sandbox here: {outcome['unavailable']}")
    isolation = outcome["isolation"]
    assert isinstance(isolation, dict) and not isolation["privileged"]
    assert "user namespace" in isolation["isolation"] and "seccomp" in isolation["isolation"]
    if isolation["cgroups"] is None:  # said loudly, at start
        assert any("no memory cgroup" in w for w in isolation["warnings"])


@pytest.mark.parametrize(
    "name",
    [
        "network",
        "host file",
        "fork bomb",
        "ten children over the memory limit",
        "keyring",
        "vsock",
        "new user namespace",
        "kept alive by writing",
    ],
)
def test_hostile_programs_score_nothing(outcome: dict[str, object], name: str) -> None:
    if "unavailable" in outcome:
        pytest.skip("no unprivileged sandbox here")
    results = outcome["results"]
    assert isinstance(results, dict)
    assert results[name][0] == 0.0, results[name]
    assert results["honest"] == [1.0, ""]


def test_memory_across_processes_is_capped_without_cgroups(outcome: dict[str, object]) -> None:
    if "unavailable" in outcome:
        pytest.skip("no unprivileged sandbox here")
    score, reason = outcome["results"]["ten children over the memory limit"]  # type: ignore[index]
    assert score == 0.0 and "MLE" in reason, reason


def test_a_sample_cannot_starve_a_concurrent_one_of_per_user_counts(outcome: dict[str, object]) -> None:
    if "unavailable" in outcome:
        pytest.skip("no unprivileged sandbox here")
    assert outcome["results"]["inotify victim"] == [1.0, ""]  # type: ignore[index]


def test_answers_written_ahead_count_for_nothing(outcome: dict[str, object]) -> None:
    if "unavailable" in outcome:
        pytest.skip("no unprivileged sandbox here")
    assert outcome["results"]["answers written ahead"][0] == 0.5  # type: ignore[index]


SMOKE = """
import sys
sys.path.insert(0, {root!r})
from rlvr.sandbox import Job, Sandbox, SandboxUnavailableError
try:
    with Sandbox(workers=1) as box:
        result = box.run([Job("stdio", "import os; print(os.getuid(), 6 * 7)")])[0]
        print("ISOLATION", box.isolation["isolation"])
        print("OUTPUT", result.stdout.decode().strip(), result.setup_error)
except SandboxUnavailableError as exc:
    print("UNAVAILABLE", exc)
"""

NO_USERNS = """
import os, sys
sys.path.insert(0, {root!r})
from rlvr.sandbox import linux
r, w = os.pipe()
r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    linux.unshare(linux.CLONE_NEWUSER)
    os.write(w2, b"x")
    os.read(r, 1)
    with open("/proc/sys/user/max_user_namespaces", "w") as stream:
        stream.write("0")
    os.setgroups([])
    os.setresgid(65534, 65534, 65534)
    os.setresuid(65534, 65534, 65534)
    os.execv(sys.argv[1], sys.argv[1:])
os.read(r2, 1)
for name in ("uid_map", "gid_map"):
    with open(f"/proc/{{pid}}/{{name}}", "w") as stream:
        stream.write("0 0 65536\\n")
os.write(w, b"x")
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory uid 65534 can read (pytest's own tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="rlvr-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_smallest_run_as_an_unprivileged_user(shared_dir: Path) -> None:
    script = shared_dir / "smoke.py"
    script.write_text(SMOKE.format(root=str(ROOT)))
    script.chmod(0o644)
    result = subprocess.run(
        [*NOBODY, SYSTEM_PYTHON, str(script)], capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert result.returncode == 0, result.stderr
    if "UNAVAILABLE" in result.stdout:  # a kernel without unprivileged user namespaces: a clear refusal
        assert "namespaces" in result.stdout
    else:
        assert "OUTPUT 65534 42 None" in result.stdout, result.stdout + result.stderr
        assert "user namespace" in result.stdout


def test_refused_namespaces_fail_closed_naming_what_is_missing(shared_dir: Path) -> None:
    smoke, wrapper = shared_dir / "smoke.py", shared_dir / "no_userns.py"
    smoke.write_text(SMOKE.format(root=str(ROOT)))
    wrapper.write_text(NO_USERNS.format(root=str(ROOT)))
    for path in (smoke, wrapper):
        path.chmod(0o644)
    result = subprocess.run(
        [sys.executable, str(wrapper), SYSTEM_PYTHON, str(smoke)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr
    assert "UNAVAILABLE" in result.stdout, result.stdout
    assert "refused new namespaces (user+mount)" in result.stdout and "unsafe=True" in result.stdout


DELEGATED = """
import json, sys
sys.path.insert(0, {root!r})
from rlvr.rewards import CodeExecutionReward
reward = CodeExecutionReward(workers=1)
hog, info = {hog!r}, {info!r}
verdicts = reward.judge(None, [hog, "def f(x):\\n    return x * 2\\n"], verification_info=[info, info])
isolation = reward.sandbox.isolation
reward.close()
print(json.dumps({{"isolation": isolation, "results": [[v.score, v.reason] for v in verdicts]}}))
"""


def _v1_hierarchies() -> dict[str, str]:
    """The cgroup v1 mount point and this process's path, per controller (pids, memory, cpu)."""
    points = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields = right.split()
        if len(fields) >= 3 and fields[0] == "cgroup":
            for controller in ("pids", "memory", "cpu"):
                if controller in fields[2].split(",") and controller not in points:
                    points[controller] = left.split()[4]
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            own[controller] = path
    return {c: os.path.join(point, own[c].lstrip("/")) for c, point in points.items() if c in own}


def test_a_delegated_cgroup_gives_unprivileged_samples_a_real_memory_cap(shared_dir: Path) -> None:
    # As an administrator delegates a cgroup to a user: directories owned by uid 65534, the scorer started
    # inside them. The sandbox then makes its cells there, and the memory cap is the kernel's, not the
    # watchdog's (on cgroup v2 machines the same works through a delegated v2 subtree; see README).
    hierarchies = _v1_hierarchies()
    if not {"pids", "memory"} <= set(hierarchies):
        pytest.skip("no cgroup v1 pids and memory hierarchies here to delegate")
    made = []
    try:
        for parent in hierarchies.values():
            folder = os.path.join(parent, f"rlvr-delegated-test-{os.getpid()}")
            os.mkdir(folder)
            made.append(folder)
            for entry in [folder, *(os.path.join(folder, f) for f in os.listdir(folder))]:
                os.chown(entry, 65534, 65534)
        script = shared_dir / "delegated.py"
        script.write_text(DELEGATED.format(root=str(ROOT), hog=TEN_CHILDREN, info=TEN_CHILDREN_INFO))
        script.chmod(0o644)

        def enter() -> None:  # runs in the child before it becomes uid 65534
            for folder in made:
                Path(folder, "cgroup.procs").write_text(str(os.getpid()))

        done = subprocess.run(
            [*NOBODY, SYSTEM_PYTHON, str(script)],
            capture_output=True,
            text=True,
            timeout=180,
            cwd="/",
            preexec_fn=enter,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout.strip().splitlines()[-1])
        isolation = report["isolation"]
        assert isolation["cgroups"] == 1 and not isolation["privileged"], isolation
        assert not any("no memory cgroup" in w for w in isolation["warnings"]), isolation["warnings"]
        (hog, hog_reason), honest = report["results"]
        assert hog == 0.0 and "MLE" in hog_reason and "killed" in hog_reason, hog_reason
        assert honest == [1.0, ""]
    finally:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                os.rmdir(folder)
