"""C++ programs, checkers and the judge rules, through the real ``code_execution`` reward and sandbox."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from rlvr.rewards import CodeExecutionReward

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++ (the C++ compiler)"),
]

SUM = {
    "language": "cpp",
    "cases": [{"stdin": "2 3\n", "stdout": "5"}, {"stdin": "10 -4\n", "stdout": "6"}],
    "time_limit": 1.0,
    "memory_limit_mb": 64,
}
GOOD = (
    "#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a + b << '\\n'; }\n"
)
SECRET = "rlvr-host-secret-7c1d"


def cpp(source: str) -> str:
    return f"Here is my solution.\n```cpp\n{source}```\n"


@pytest.fixture(scope="module")
def reward() -> Iterator[CodeExecutionReward]:
    reward = CodeExecutionReward(workers=2, cache_size=0)
    yield reward
    reward.close()


def judge(
    reward: CodeExecutionReward, completions: list[str], infos: list[object]
) -> list[tuple[object, str]]:
    return [(v.score, v.reason or "") for v in reward.judge(None, completions, verification_info=infos)]


def test_cpp_verdicts(reward: CodeExecutionReward) -> None:
    programs = {
        "correct": GOOD,
        "wrong": GOOD.replace("a + b", "a - b"),
        "compile error": "int main( {\n",
        "time limit": "int main() { volatile unsigned long x = 0; for (;;) x++; }\n",
        "memory limit": (
            "#include <vector>\n#include <cstdio>\nint main() { std::vector<char*> v;\n"
            "  for (;;) { char* p = new char[1 << 20]; for (int i = 0; i < (1 << 20); i += 4096) p[i] = 1;"
            " v.push_back(p); } }\n"
        ),
        "runtime error": "#include <cstdlib>\nint main() { int* p = nullptr; return *p + std::abs(1); }\n",
        "fork bomb": "#include <unistd.h>\nint main() { for (;;) fork(); }\n",
    }
    verdicts = judge(reward, [cpp(p) for p in programs.values()], [SUM] * len(programs))
    results = dict(zip(programs, verdicts, strict=True))
    assert results["correct"] == (1.0, "")
    assert results["wrong"][0] == 0.0 and "WA" in results["wrong"][1]
    assert results["compile error"][0] == 0.0 and "CE" in results["compile error"][1]
    assert "error" in results["compile error"][1] and "program.cpp" in results["compile error"][1]
    assert results["time limit"][0] == 0.0 and "TLE" in results["time limit"][1]
    assert results["memory limit"][0] == 0.0 and "MLE" in results["memory limit"][1], results["memory limit"]
    assert results["runtime error"][0] == 0.0 and "RE" in results["runtime error"][1]
    assert results["fork bomb"][0] == 0.0


def test_cpp_cannot_read_host_files_while_compiling_or_running(reward: CodeExecutionReward, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    secret.chmod(0o644)
    sneaky_include = f'#include "{secret}"\n#include "/etc/shadow"\nint main() {{ return 0; }}\n'
    sneaky_run = (
        "#include <cstdio>\n#include <iostream>\n"
        f'int main() {{ const char* paths[] = {{"{secret}", "/etc/shadow", "/proc/self/environ"}};\n'
        '  for (const char* p : paths) { FILE* f = std::fopen(p, "r"); if (f) { int c;'
        " while ((c = std::fgetc(f)) != EOF) std::putchar(c); } }\n"
        "  long long a, b; std::cin >> a >> b; std::cout << a + b << '\\n'; }\n"
    )
    (compiled, reason), (ran, run_reason) = judge(reward, [cpp(sneaky_include), cpp(sneaky_run)], [SUM, SUM])
    assert compiled == 0.0 and "CE" in reason and SECRET not in reason
    assert ran == 1.0 and SECRET not in run_reason  # it found nothing to print, so its answer stands
    assert os.path.exists(secret)


def test_a_program_is_compiled_once_per_batch(reward: CodeExecutionReward) -> None:
    from rlvr.sandbox.programs import Builds

    builds = Builds()
    reward._builds = builds  # a fresh cache to count what was compiled
    infos = [SUM, {**SUM, "cases": SUM["cases"][:1]}, SUM]
    assert [s for s, _ in judge(reward, [cpp(GOOD)] * 3, infos)] == [1.0, 1.0, 1.0]
    assert len(builds.entries) == 1


CHECKER_PY = """
import sys
given, expected = open(sys.argv[2]).read().split(), open(sys.argv[3]).read().split()
# any order of the numbers is accepted: several valid answers
sys.exit(0 if sorted(given) == sorted(expected) else 1)
"""
CHECKER_CPP = r"""
#include <fstream>
#include <algorithm>
#include <vector>
#include <string>
int main(int argc, char** argv) {
  std::ifstream out(argv[2]), ans(argv[3]);
  std::vector<std::string> a, b; std::string t;
  while (out >> t) a.push_back(t);
  while (ans >> t) b.push_back(t);
  std::sort(a.begin(), a.end()); std::sort(b.begin(), b.end());
  return a == b ? 0 : 1;
}
"""


@pytest.mark.parametrize("language", ["python", "cpp"])
def test_checker_programs_accept_any_valid_answer(reward: CodeExecutionReward, language: str) -> None:
    source = CHECKER_PY if language == "python" else CHECKER_CPP
    info = {
        "cases": [{"stdin": "3\n", "stdout": "1 2 3"}, {"stdin": "2\n", "stdout": "1 2"}],
        "checker": {"type": "program", "language": language, "source": source},
        "time_limit": 1.0,
    }
    forwards = "n = int(input())\nprint(*range(1, n + 1))\n"
    backwards = "n = int(input())\nprint(*range(n, 0, -1))\n"
    wrong = "n = int(input())\nprint(*range(n))\n"
    crash = "raise SystemExit(3)\n"
    results = judge(reward, [f"```python\n{p}```" for p in (forwards, backwards, wrong, crash)], [info] * 4)
    assert [score for score, _ in results] == [1.0, 1.0, 0.0, 0.0]
    assert "rejected by the checker" in results[2][1] and "RE" in results[3][1]


def test_a_broken_checker_never_passes(reward: CodeExecutionReward) -> None:
    program = "```python\nprint(1)\n```"
    infos = [
        {"cases": [{"stdin": "", "stdout": "1"}], "checker": {"type": "program", "source": body}}
        for body in ("raise SystemExit(3)  # testlib's FAIL", "import time\ntime.sleep(60)", "1/0")
    ]
    infos.append(
        {
            "cases": [{"stdin": "", "stdout": "1"}],
            "checker": {"type": "program", "language": "cpp", "source": "x"},
        }
    )
    results = judge(reward, [program] * len(infos), infos)
    assert all(score is None for score, _ in results), results
    assert "checker" in results[0][1] and "does not compile" in results[3][1]


def test_token_and_float_checkers(reward: CodeExecutionReward) -> None:
    tokens = {"cases": [{"stdin": "", "stdout": "1 2\n3"}], "checker": "tokens"}
    floats = {"cases": [{"stdin": "", "stdout": "0.333333 2"}], "checker": {"type": "float", "abs_tol": 1e-6}}
    programs = ["print('1\\n2 3  ')", "print('1 2 4')", "print(1/3, 2)", "print(0.3334, 2)", "print('nan 2')"]
    infos = [tokens, tokens, floats, floats, floats]
    assert [s for s, _ in judge(reward, [f"```python\n{p}\n```" for p in programs], infos)] == [
        1.0,
        0.0,
        1.0,
        0.0,
        0.0,
    ]


def test_judge_rules_for_values(reward: CodeExecutionReward) -> None:
    def call(expected: object) -> dict[str, object]:
        return {"entry_point": "f", "cases": [{"args": [], "expected": expected}]}

    programs_and_infos = [
        ("def f():\n    return 0.0", call(1e-12)),  # relative tolerance: 0.0 is not 1e-12
        ("def f():\n    return 1e-12 * (1 + 1e-12)", call(1e-12)),
        ("def f():\n    return 1e-15", call(0.0)),  # an exact zero has an absolute tolerance
        ("def f():\n    return {0.1 + 0.2}", call({"$set": [0.3]})),  # set members compare exactly
        ("def f():\n    x = []\n    for _ in range(150):\n        x = [x]\n    return x", call([])),
        ("def f():\n    return (1, 2)", {**call([1, 2]), "equality": "loose"}),
        ("def f():\n    return [3]", {"entry_point": "f", "cases": [{"args": [], "expected_any": [[3], 3]}]}),
    ]
    programs = [f"```python\n{p}\n```" for p, _ in programs_and_infos]
    scores = [s for s, _ in judge(reward, programs, [i for _, i in programs_and_infos])]
    assert scores == [0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]


def test_class_method_entry_points_get_a_fresh_instance_per_case(reward: CodeExecutionReward) -> None:
    program = (
        "class Solution:\n    calls = 0\n    def __init__(self):\n        self.mine = 0\n"
        "    def twice(self, x):\n        self.mine += 1\n        return 2 * x * self.mine\n"
    )
    info = {"entry_point": "Solution.twice", "cases": [{"args": [i], "expected": 2 * i} for i in range(4)]}
    assert judge(reward, [f"```python\n{program}```"], [info]) == [(1.0, "")]


def test_verdicts_are_remembered_across_calls() -> None:
    reward = CodeExecutionReward(workers=1)
    try:
        loop = "```python\nwhile True:\n    pass\n```"
        info = {"cases": [{"stdin": "", "stdout": "1"}], "time_limit": 0.5}
        assert reward(completions=[loop], verification_info=[info]) == [0.0]
        reward.close()  # no sandbox any more: a repeat must come from the cache
        reward._sandbox = _NoSandbox()
        assert reward(completions=[loop], verification_info=[info]) == [0.0]
    finally:
        reward._sandbox = None
        reward.close()


class _NoSandbox:
    """Stands in for the sandbox after the first call: any use of it fails the test."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the sandbox was used again ({name})")

    def close(self) -> None:
        pass


def test_entry_points_fall_back_as_the_datasets_harnesses_do(reward: CodeExecutionReward) -> None:
    cases = [{"args": [i], "expected": 2 * i} for i in range(3)]
    function = "def twice(x):\n    return 2 * x\n"
    method = "class Solution:\n    def twice(self, x):\n        return 2 * x\n"
    neither = "def thrice(x):\n    return 3 * x\n"
    infos = [{"entry_point": name, "cases": cases} for name in ("Solution.twice", "twice", "twice")]
    results = judge(reward, [f"```python\n{p}```" for p in (function, method, neither)], infos)
    assert [score for score, _ in results] == [1.0, 1.0, 0.0]
    assert "defines no function 'twice'" in results[2][1]
