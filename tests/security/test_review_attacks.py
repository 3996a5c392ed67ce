"""The nine classes of attack an outside review found in the first sandbox, and the seccomp filter.

Each test runs the attack with an honest neighbour in the same batch: the attack earns nothing it could
not earn honestly, the neighbour still scores 1.0, and the batch completes. Every test here fails on the
sandbox before the review's fixes (the attack there scored, stalled or crashed the scorer).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rlvr.rewards import CodeExecutionReward

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]

HONEST_CALL = "def f(x):\n    return x * 2\n"
HONEST_INFO = {"entry_point": "f", "cases": [{"args": [3], "expected": 6}], "time_limit": 1.0}
FRAMING = '''
import os, struct, json
def frame(index, payload):
    body = struct.pack(">I", index) + payload
    return struct.pack(">I", len(body)) + body
def forge(index, value):
    """A forged record in the format a runner uses: framed (FORMAT = "framed"), or the first sandbox's
    JSON lines (FORMAT = "lines")."""
    if FORMAT == "lines":
        return (json.dumps({"i": index, "v": value}) + "\\n").encode()
    return frame(index, json.dumps({"v": value}).encode())
'''
FORMATS = ["framed", "lines"]


def forging(fmt: str, program: str) -> str:
    return f"FORMAT = {fmt!r}\n" + FRAMING + program


@pytest.fixture(scope="module")
def reward() -> Iterator[CodeExecutionReward]:
    reward = CodeExecutionReward(workers=2, program_time_limit=10.0)
    yield reward
    reward.close()


def call_info(expected: list[object], time_limit: float = 1.0) -> dict[str, object]:
    cases = [{"args": [i], "expected": value} for i, value in enumerate(expected)]
    return {"entry_point": "f", "cases": cases, "time_limit": time_limit}


def judge(
    reward: CodeExecutionReward, programs: list[str], infos: list[object]
) -> list[tuple[float | None, str]]:
    verdicts = reward.judge(None, [f"```python\n{p}\n```" for p in programs], verification_info=infos)
    return [(v.score, v.reason or "") for v in verdicts]


def scores(reward: CodeExecutionReward, programs: list[str], infos: list[object]) -> list[float | None]:
    return [score for score, _ in judge(reward, programs, infos)]


# -- 1. a returned value that crashed the judge --------------------------------------------------------------


def test_huge_returned_integers_are_judged_not_raised(reward: CodeExecutionReward) -> None:
    big = {"entry_point": "f", "cases": [{"args": [0], "expected": {"$int": hex(10**5000 + 1)}}]}
    off_by_one = "def f(x):\n    return 10**5000\n"
    exact = "def f(x):\n    return 10**5000 + 1\n"
    giant_str = "def f(x):\n    return 'x' * (2 << 20)\n"  # over the result cap
    results = judge(reward, [off_by_one, exact, giant_str, HONEST_CALL], [big, big, big, HONEST_INFO])
    assert [score for score, _ in results] == [0.0, 1.0, 0.0, 1.0]
    assert "returned <int of 16610 bits>" in results[0][1] and len(results[0][1]) < 400
    assert "output limit exceeded" in results[2][1]


# -- 2. forged records that stalled the scorer ---------------------------------------------------------------


def test_forged_records_cannot_stall_the_scorer(reward: CodeExecutionReward) -> None:
    # A set of ints with equal hashes costs a hash table quadratic time to build; the judge never hashes a
    # program's values. Behind two such records, a program that sleeps past its limit must still be TLE.
    forger = """
collide = [k * ((1 << 61) - 1) for k in range(1, 36_000)]  # under the 1 MB cap
def f(x):
    os.write(3, forge(0, {"$set": collide}))
    return x * 2
"""
    sleeper = "import time\ndef f(x):\n    time.sleep(3)\n    return x * 2\n"
    programs = [forging("lines", forger), forging("framed", forger), sleeper, HONEST_CALL]
    started = time.monotonic()
    assert scores(reward, programs, [HONEST_INFO] * 4) == [0.0, 0.0, 0.0, 1.0]
    assert time.monotonic() - started < 60  # liveness, not speed


# -- 3. a case's deadline kept alive by writing --------------------------------------------------------------


@pytest.mark.parametrize("noise", ["bytes", "records for other cases"])
def test_writing_does_not_keep_a_case_alive(reward: CodeExecutionReward, noise: str) -> None:
    # Case 0 sleeps 2.5 s against a 1 s limit while a thread writes to the result channel every 0.1 s.
    data = 'b" "' if noise == "bytes" else "frame(99, b'{\"v\": 0}')"
    keep_alive = FRAMING + textwrap.dedent(
        f"""
        import threading, time
        def beat():
            while True:
                try:
                    os.write(3, {data})
                except OSError:
                    return
                time.sleep(0.1)
        threading.Thread(target=beat, daemon=True).start()
        def f(x):
            if x == 0:
                time.sleep(2.5)
            return x * 2
        """
    )
    info = call_info([0, 2, 4, 6])
    started = time.monotonic()
    (kept, reason), honest = judge(reward, [keep_alive, HONEST_CALL], [info, HONEST_INFO])
    assert honest == (1.0, "")
    assert "cases passed; case 1: " in reason, reason  # case 0 (reported 1-based) did not pass
    if noise == "records for other cases":  # well-formed noise is ignored: the other cases pass
        assert kept == 0.75, reason  # (garbage bytes break the program's own channel, case after case)
    assert time.monotonic() - started < 60


# -- 4. answers written ahead, arguments read ahead ----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_answers_written_ahead_do_not_count(reward: CodeExecutionReward, fmt: str) -> None:
    ahead = """
import time
def f(x):
    if x == 4:  # cannot finish this one: answer the later cases first, then hang
        for later in range(5, 8):
            os.write(3, forge(later, later * 2))
        time.sleep(30)
    return x * 2 if x < 4 else -1
"""
    info = call_info([2 * i for i in range(8)])
    honest_partial = "def f(x):\n    return x * 2 if x < 4 else -1\n"
    programs = [forging(fmt, ahead), honest_partial, HONEST_CALL]
    assert scores(reward, programs, [info, info, info]) == [0.5, 0.5, 1.0]


def test_later_cases_arguments_are_not_in_the_process(reward: CodeExecutionReward) -> None:
    # A program that could see every case's arguments could answer from them; it only ever sees the
    # running case's.
    seer = """
import gc, re, sys
def f(x):
    seen = set()
    for obj in gc.get_objects():
        if isinstance(obj, (str, bytes)):
            text = obj if isinstance(obj, str) else obj.decode("latin-1")
            seen.update(re.findall(r"secret-[0-9]+", text))
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, (str, bytes)):
                text = value if isinstance(value, str) else value.decode("latin-1")
                seen.update(re.findall(r"secret-[0-9]+", text))
        frame = frame.f_back
    seen.discard("secret-" + "[0-9]+")
    return sorted(seen)
"""
    secrets = [f"secret-{i}" for i in range(6)]
    info = {
        "entry_point": "f",
        "cases": [{"args": [s], "expected": secrets} for s in secrets],
        "time_limit": 2.0,
    }
    (score,) = scores(reward, [seer], [info])
    assert score == pytest.approx(1 / 6)  # only the last case, once every argument has been given


# -- 5. partial credit that depended on workers and company --------------------------------------------------


STDIO_HOPELESS = "x = int(input())\nif x == 4:\n    while True:\n        pass\nprint(x)\n"
CALL_HOPELESS = "def f(x):\n    while x == 4:\n        pass\n    return x\n"


def test_partial_credit_is_the_same_for_any_workers_and_company() -> None:
    stdio = {"cases": [{"stdin": f"{i}\n", "stdout": f"{i}"} for i in range(8)], "time_limit": 0.5}
    call = call_info(list(range(8)), time_limit=0.5)
    fillers = ["print(int(input()))\n", "import time\ntime.sleep(0.3)\nprint(int(input()))\n"]
    seen = []
    for workers in (1, 2, 3):
        reward = CodeExecutionReward(workers=workers, program_time_limit=10.0)
        try:
            alone = scores(reward, [STDIO_HOPELESS, CALL_HOPELESS], [stdio, call])
            crowd = scores(reward, [*fillers, STDIO_HOPELESS + "# in company\n"], [stdio] * 3)
            seen.append((workers, alone, crowd[-1]))
        finally:
            reward.close()
    assert all(alone == [0.875, 0.875] and crowded == 0.875 for _, alone, crowded in seen), seen


# -- 6. kernel keyrings --------------------------------------------------------------------------------------

KEYRING = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ADD_KEY, REQUEST_KEY, KEYCTL = {numbers}
def add_key(description, data, keyring):
    return libc.syscall(ADD_KEY, b"user", description, data, len(data), ctypes.c_long(keyring))
def find(description, keyring):
    return libc.syscall(KEYCTL, 10, ctypes.c_long(keyring), b"user", description, 0)  # KEYCTL_SEARCH
def read(key):
    buffer = ctypes.create_string_buffer(256)
    size = libc.syscall(KEYCTL, 11, ctypes.c_long(key), buffer, 256)  # KEYCTL_READ
    return buffer.raw[:size].decode() if size > 0 else None
"""
_KEY_NUMBERS = {"x86_64": (248, 249, 250), "aarch64": (217, 218, 219)}


def _keyring_program(body: str) -> str:
    numbers = _KEY_NUMBERS.get(os.uname().machine)
    if numbers is None:
        pytest.skip(f"no keyring syscall numbers for {os.uname().machine}")
    return KEYRING.format(numbers=numbers) + body


def test_a_key_stored_in_one_run_is_not_found_by_the_next() -> None:
    writer = _keyring_program(
        "def f(x):\n"
        "    made = [add_key(b'rlvr-checkpoint', b'case-7-done', ring) for ring in (-4, -5, -3)]\n"
        "    return [m > 0 for m in made] + [ctypes.get_errno()]\n"
    )
    reader = _keyring_program(
        "def f(x):\n"
        "    found = [find(b'rlvr-checkpoint', ring) for ring in (-4, -5, -3)]\n"
        "    return [read(k) if k > 0 else None for k in found]\n"
    )
    info = {"entry_point": "f", "cases": [{"args": [0], "expected": "unreachable"}]}
    for seccomp in (True, False):  # the filter refuses keyctl; without it the keyrings are still fresh
        outcomes = []
        for program in (writer, reader):
            reward = CodeExecutionReward(workers=1, seccomp=seccomp)
            try:
                outcomes.append(judge(reward, [program, HONEST_CALL], [info, HONEST_INFO]))
            finally:
                reward.close()
        (_, wrote), (_, read_back) = outcomes[0][0], outcomes[1][0]
        assert [o[1][0] for o in outcomes] == [1.0, 1.0]
        if seccomp:
            assert wrote.endswith("returned [False, False, False, 1])"), wrote  # EPERM
        assert read_back.endswith("returned [None, None, None])"), (seccomp, wrote, read_back)


def test_the_scorers_session_keyring_is_out_of_reach(tmp_path: Path) -> None:
    numbers = _KEY_NUMBERS.get(os.uname().machine)
    if numbers is None:
        pytest.skip(f"no keyring syscall numbers for {os.uname().machine}")
    reader = _keyring_program(
        "def f(x):\n"
        "    key = find(b'scorer-secret', -3)\n"
        "    planted = add_key(b'planted', b'by-the-sample', -3)\n"
        "    return [read(key) if key > 0 else None, planted > 0]\n"
    )
    script = tmp_path / "scorer.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import ctypes, json, sys
            sys.path.insert(0, {str(ROOT)!r})
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            add_key, _, keyctl = {numbers!r}
            assert libc.syscall(keyctl, 1, None) > 0  # a session keyring of its own, as under pam_keyinit
            assert libc.syscall(add_key, b"user", b"scorer-secret", b"token", 5, ctypes.c_long(-3)) > 0
            from rlvr.rewards import CodeExecutionReward
            info = {{"entry_point": "f", "cases": [{{"args": [0], "expected": "x"}}]}}
            out = []
            for seccomp in (True, False):
                reward = CodeExecutionReward(workers=1, seccomp=seccomp)
                out.append([v.reason for v in reward.judge(None, [{reader!r}], verification_info=[info])])
                reward.close()
            found = libc.syscall(keyctl, 10, ctypes.c_long(-3), b"user", b"planted", 0)
            print(json.dumps({{"reasons": out, "planted_found": found > 0}}))
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not report["planted_found"]  # nothing it did reached the scorer's keyring
    (with_filter,), (without_filter,) = report["reasons"]
    assert with_filter.endswith("returned [None, False])"), report  # keyctl refused outright
    assert "returned [None, " in without_filter, report  # its own empty keyring: the secret is not in it


# -- 7. socket families that cross network namespaces --------------------------------------------------------


def test_only_unix_and_ip_sockets_can_be_made(reward: CodeExecutionReward) -> None:
    probe = """
import socket
def f(x):
    made = {}
    for name, family, kind in [("vsock", 40, socket.SOCK_STREAM), ("netlink", 16, socket.SOCK_RAW),
                               ("packet", 17, socket.SOCK_RAW), ("alg", 38, socket.SOCK_SEQPACKET),
                               ("bluetooth", 31, socket.SOCK_STREAM), ("unix", 1, socket.SOCK_STREAM),
                               ("inet", 2, socket.SOCK_STREAM), ("inet6", 10, socket.SOCK_STREAM)]:
        try:
            socket.socket(family, kind).close()
            made[name] = "made"
        except OSError as exc:
            made[name] = exc.errno
    try:
        a, b = socket.socketpair(40, socket.SOCK_STREAM)
        made["vsock pair"] = "made"
    except OSError as exc:
        made["vsock pair"] = exc.errno
    a, b = socket.socketpair()
    a.sendall(b"ok")
    made["unix pair"] = b.recv(2).decode()
    return made
"""
    expected = {"vsock": 1, "netlink": 1, "packet": 1, "alg": 1, "bluetooth": 1, "vsock pair": 1}
    expected |= {"unix": "made", "inet": "made", "inet6": "made", "unix pair": "ok"}
    info = {"entry_point": "f", "cases": [{"args": [0], "expected": expected}]}
    assert judge(reward, [probe, HONEST_CALL], [info, HONEST_INFO]) == [(1.0, ""), (1.0, "")]


# -- 8. per-user kernel counts shared by every sample --------------------------------------------------------


def test_a_sample_cannot_starve_a_concurrent_one_of_inotify(reward: CodeExecutionReward) -> None:
    hog = """
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
def f(x):
    for _ in range(5):
        if os.fork() == 0:
            while libc.inotify_init() >= 0:
                pass
            time.sleep(2.5)
            os._exit(0)
    time.sleep(0.2)
    while libc.inotify_init() >= 0:
        pass
    time.sleep(2.5)
    return os.getuid()
"""
    victim = """
import ctypes, os, time
def f(x):
    time.sleep(0.8)  # the hog has taken what it can by now
    libc = ctypes.CDLL(None, use_errno=True)
    return [libc.inotify_init() >= 0, os.getuid()]
"""
    info = {"entry_point": "f", "cases": [{"args": [0], "expected": "shown"}], "time_limit": 4.0}
    results = judge(reward, [hog, victim], [info, info])
    assert "returned [True, " in results[1][1], results  # the victim still got its inotify instance
    hog_uid = int(results[0][1].rsplit("returned ", 1)[1].rstrip(")"))
    victim_uid = int(results[1][1].rsplit(", ", 1)[1].rstrip("])"))
    if os.geteuid() == 0:
        assert hog_uid != victim_uid  # each cell has its own uid


# -- the seccomp filter --------------------------------------------------------------------------------------


SECCOMP_PROBE = """
import ctypes, errno, os, socket, subprocess, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(number, *args):
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(number), *(ctypes.c_long(a) for a in args))
    return "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())
def f(x):
    n = {numbers}
    seen = {{name: call(number, *args) for name, (number, args) in n.items()}}
    done = []
    thread = threading.Thread(target=done.append, args=(1,))
    thread.start(); thread.join()
    seen["thread"] = "ok" if done else "failed"
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    seen["fork"] = "ok" if os.waitpid(pid, 0)[1] == 0 else "failed"
    seen["subprocess"] = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True,
                                        text=True).stdout.strip()
    return seen
"""
_SYSCALLS = {  # name: (x86_64, aarch64, arguments)
    "keyctl": (250, 219, (0, 0)),
    "bpf": (321, 280, (0, 0, 0)),
    "perf_event_open": (298, 241, (0, 0, -1, -1, 0)),
    "userfaultfd": (323, 282, (0,)),
    "io_uring_setup": (425, 425, (1, 0)),
    "ptrace": (101, 117, (0, 0, 0, 0)),
    "process_vm_readv": (310, 270, (1, 0, 0, 0, 0, 0)),
    "unshare_user": (272, 97, (0x10000000,)),
    "setns": (308, 268, (0, 0)),
    "mount": (165, 40, (0, 0, 0, 0, 0)),
    "clone_newuser": (56, 220, (0x10000000 | 17, 0, 0, 0, 0)),
    "clone3": (435, 435, (0, 0)),
    "open_by_handle_at": (304, 265, (0, 0, 0)),
    "newer_than_the_table": (470, 470, ()),
    "x32_abi": (0x40000000 + 39, None, ()),
}


def test_seccomp_denies_what_programs_never_need(reward: CodeExecutionReward) -> None:
    machine = os.uname().machine
    if machine not in ("x86_64", "aarch64"):
        pytest.skip(f"no syscall numbers for {machine}")
    column = 0 if machine == "x86_64" else 1
    numbers = {name: (row[column], row[2]) for name, row in _SYSCALLS.items() if row[column] is not None}
    program = SECCOMP_PROBE.format(numbers=numbers)
    expected: dict[str, str] = {name: "EPERM" for name in numbers}
    expected |= {"clone3": "ENOSYS", "newer_than_the_table": "ENOSYS", "x32_abi": "ENOSYS"}
    expected = {k: v for k, v in expected.items() if k in numbers}
    expected |= {"thread": "ok", "fork": "ok", "subprocess": "42"}
    info = {"entry_point": "f", "cases": [{"args": [0], "expected": expected}], "time_limit": 5.0}
    results = judge(reward, [program, HONEST_CALL], [info, HONEST_INFO])
    assert results == [(1.0, ""), (1.0, "")], results
