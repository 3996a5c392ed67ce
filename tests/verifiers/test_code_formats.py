"""Datasets' test formats read into native ``verification_info``: real rows (tests/verifiers/data/code_rows,
see PROVENANCE.md), malformed rows refused with the shape named, pickles read without unpickling, pytest
modules converted by parsing, open-r1's checker contract, and the real ``code_execution`` reward on the
rows."""

from __future__ import annotations

import base64
import json
import pickle
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rlvr.rewards import CodeExecutionReward
from rlvr.verifiers.code.cases import InvalidTaskError, parse_task
from rlvr.verifiers.code.convert import ConversionError
from rlvr.verifiers.code.formats import native_info
from rlvr.verifiers.code.openr1_checker import checker_program
from rlvr.verifiers.code.pickled import UnsafePickleError, compressed_pickled_string, pickled_string
from rlvr.verifiers.code.pytest_convert import convert_pytest

pytestmark = pytest.mark.timeout(240)

ROWS = Path(__file__).parent / "data" / "code_rows"


def row(name: str) -> Any:
    return json.loads((ROWS / name).read_text(encoding="utf-8"))


# -- every real row converts ----------------------------------------------------------------------------

#: file -> (mode, entry point, cases, checker kind, time limit, language)
CONVERTED = {
    "livecodebench_1873A_stdin.json": ("stdio", None, 5, "lines", 6.0, "python"),
    "livecodebench_2798_functional_constructed.json": (
        "call",
        "Solution.numberOfEmployeesWhoMetTarget",
        4,
        "exact",
        6.0,
        "python",
    ),
    "livecodebench_2798_deepcoder_list.json": (
        "call",
        "Solution.numberOfEmployeesWhoMetTarget",
        1,
        "exact",
        6.0,
        "python",
    ),
    "taco_is_anagram_call.json": ("call", "is_anagram", 6, "exact", 4.0, "python"),
    "taco_total_call.json": ("call", "total", 9, "exact", 4.0, "python"),
    "apps_242C_stdin.json": ("stdio", None, 11, "tokens", 4.0, "python"),
    "openr1_verifiable_1259D.json": ("stdio", None, 1, "exact", 5.0, "python"),
    "codeforces_1998A_checker_constructed.json": ("stdio", None, 2, "program", 1.0, "python"),
    "deepcoder_leetcode_3044.json": ("call", "Solution.minOperations", 3, "exact", 2.0, "python"),
    "kodcode_longest_subsequence.json": ("call", "longest_subsequence", 6, "exact", 2.0, "python"),
    "kodcode_leetcode_max_distinct.json": (
        "call",
        "max_distinct_elements_in_subarray",
        8,
        "exact",
        2.0,
        "python",
    ),
    "kodcode_prefill_is_valid_double.json": ("call", "is_valid_double", 19, "exact", 2.0, "python"),
}
REFUSED = {
    "kodcode_prefill_raises.json": "KodCode/pytest row: line 17: with pytest.raises(ValueError)",
    "kodcode_leetcode_circular_queue.json": "KodCode/pytest row: the tests import no function by name",
}


def test_every_fixture_is_listed() -> None:
    assert {p.name for p in ROWS.glob("*.json")} == set(CONVERTED) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(CONVERTED))
def test_real_rows_convert(name: str) -> None:
    raw = row(name)
    task = parse_task(raw)
    checker = task.checker.kind
    assert (
        task.mode,
        task.entry_point,
        len(task.cases),
        checker,
        task.time_limit,
        task.language,
    ) == CONVERTED[name]
    assert parse_task(json.dumps(raw)) == task  # the same row as JSON text
    assert parse_task(native_info(raw)) == task  # native is a fixed point


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_rows_that_cannot_be_converted_say_why(name: str) -> None:
    with pytest.raises(InvalidTaskError, match=REFUSED[name].replace("(", r"\(").replace(")", r"\)")):
        parse_task(row(name))


def test_columns_of_other_schemas_left_empty_do_not_decide_the_shape() -> None:
    merged = {"input_output": None, "official_tests": None, "test_cases": None, "test": None}
    task = parse_task({**merged, **row("livecodebench_1873A_stdin.json")})
    assert (task.mode, len(task.cases), task.checker.kind) == ("stdio", 5, "lines")


def test_livecodebench_private_tests_are_decompressed() -> None:
    cases = native_info(row("livecodebench_1873A_stdin.json"))["cases"]
    assert cases[0] == {
        "stdin": "6\nabc\nacb\nbac\nbca\ncab\ncba\n",
        "stdout": "YES\nYES\nYES\nNO\nNO\nYES\n",
    }
    assert cases[1:3] == [
        {"stdin": "1\nabc\n", "stdout": "YES\n"},
        {"stdin": "3\nabc\nabc\nabc\n", "stdout": "YES\nYES\nYES\n"},
    ]


def test_livecodebench_functional_arguments_are_json_lines() -> None:
    task = parse_task(row("livecodebench_2798_functional_constructed.json"))
    assert [(c.args, c.expected) for c in task.cases] == [
        (([0, 1, 2, 3, 4], 2), 3),
        (([5, 1, 4, 2, 2], 6), 0),
        (([5, 3, 10, 8, 2], 5), 3),
        (([98], 5), 1),
    ]
    case = task.cases[0]
    assert case.matches(3) and case.matches(3.0) and not case.matches("3")  # `==` after JSON, as LCB judges
    tuple_case = parse_task(
        {
            "public_test_cases": [{"input": "1", "output": "[1, 2]", "testtype": "functional"}],
            "metadata": {"func_name": "f"},
        }
    ).cases[0]
    assert tuple_case.matches((1, 2)) and tuple_case.matches([1, 2]) and not tuple_case.matches([2, 1])


def test_taco_call_conventions() -> None:
    """APPS/TACO ``run_test``: ``method(*inputs)``; the output as given or, when a non-empty list, its first
    element; a returned tuple is a list; dict keys that are all integer text become ints."""
    task = parse_task(row("taco_is_anagram_call.json"))
    case = task.cases[0]
    assert case.args == ("foefet", "toffee")
    assert (
        case.matches(True) and case.matches([True]) and not case.matches(False) and not case.matches(1 == 2)
    )
    keyed = parse_task(
        {"fn_name": "f", "inputs": [[{"1": "a", "2": "b"}], [{"x": 1}]], "outputs": [{"3": 4}, [[1, 2]]]}
    )
    assert keyed.cases[0].args == ({1: "a", 2: "b"},)
    assert keyed.cases[0].matches({3: 4}) and not keyed.cases[0].matches({"3": 4})
    assert keyed.cases[1].args == ({"x": 1},)  # a key that is no integer text: the dict is left as it is
    strings = parse_task({"fn_name": "f", "inputs": [[{"1": 1}, 2]], "outputs": [{"k": 1}]}).cases[0]
    assert strings.args == ({1: 1}, 2)  # the other arguments are kept
    assert strings.matches({"k": 1}) and not strings.matches([{"k": 1}])  # APPS wraps only a converted dict
    assert (
        keyed.cases[1].matches((1, 2)) and keyed.cases[1].matches([[1, 2]]) and not keyed.cases[1].matches(1)
    )
    solution = native_info(
        {
            "input_output": json.dumps({"fn_name": "f", "inputs": [[1]], "outputs": [1]}),
            "starter_code": "class Solution:\n    def f(self, x):\n",
        }
    )
    assert solution["entry_point"] == "Solution.f"


def test_taco_stdin_lines_are_joined() -> None:
    task = parse_task({"inputs": [["1 2", "3"]], "outputs": [["4", "5"]]})
    assert (task.cases[0].stdin, task.cases[0].stdout, task.checker.kind) == ("1 2\n3", "4\n5", "tokens")


def test_codeforces_row_limits_and_checker() -> None:
    raw = row("codeforces_1998A_checker_constructed.json")
    task = parse_task({**raw, "memory_limit": 255.5, "language": "cpp"})
    assert (task.memory_limit_mb, task.language, task.checker.language) == (256, "cpp", "python")
    plain = parse_task({**raw, "generated_checker": None})
    assert plain.checker.kind == "tokens"


# -- malformed rows: a reason that names the shape, never a crash ---------------------------------------


def _malicious_compressed() -> str:
    return base64.b64encode(zlib.compress(b"cbuiltins\nexec\n(Vprint(1)\ntR.")).decode()


MALFORMED = [
    ({"inputs": ["1"], "outputs": []}, "TACO/APPS input_output: 1 inputs for 0 outputs"),
    ({"inputs": [], "outputs": []}, "TACO/APPS input_output: no test cases"),
    ({"input_output": "{bad"}, "TACO/APPS row: input_output is not valid JSON"),
    ({"input_output": "[1]"}, "TACO/APPS row: input_output must be an object"),
    (
        {"fn_name": "f", "inputs": ["1 2"], "outputs": [3]},
        "TACO/APPS input_output: input 0 is not valid JSON",
    ),
    ({"fn_name": "f", "inputs": [5], "outputs": [3]}, "input 0 must be the list of arguments"),
    ({"fn_name": "1f", "inputs": [[1]], "outputs": [3]}, "fn_name must be a Python name"),
    ({"inputs": [5], "outputs": ["3"]}, "input 0 must be text or a list of lines"),
    (
        {
            "input_output": {"inputs": ["n = 5"], "outputs": ["1"]},
            "starter_code": "class Solution:\n    def f(self):",
        },
        "GeeksforGeeks",
    ),
    ({"public_test_cases": "[", "metadata": "{}"}, "LiveCodeBench row: public_test_cases is not valid JSON"),
    (
        {"public_test_cases": [], "private_test_cases": "abc"},
        "LiveCodeBench row: private_test_cases is neither JSON",
    ),
    ({"public_test_cases": [], "private_test_cases": _malicious_compressed()}, "uses GLOBAL"),
    ({"public_test_cases": [], "private_test_cases": []}, "LiveCodeBench row: no test cases"),
    (
        {"public_test_cases": [{"input": "1", "output": "1", "testtype": "functional"}], "metadata": "{}"},
        "functional tests need metadata.func_name",
    ),
    (
        {
            "public_test_cases": [
                {"input": "1", "output": "1", "testtype": "functional"},
                {"input": "1", "output": "1", "testtype": "stdin"},
            ],
            "metadata": {"func_name": "f"},
        },
        "stdin and functional tests mixed",
    ),
    (
        {
            "public_test_cases": [{"input": "1\n", "output": "1", "testtype": "functional"}],
            "metadata": {"func_name": "f"},
        },
        "test 0 input line 2 is not JSON",
    ),
    (
        {"public_test_cases": [{"input": 1, "output": "1", "testtype": "stdin"}]},
        "test 0 needs string 'input'",
    ),
    ({"public_test_cases": [{"input": "1", "output": "1"}], "metadata": "[1]"}, "metadata must be an object"),
    ([{"input": "1", "output": "1", "testtype": "weird"}], "LiveCodeBench test list: unknown testtype"),
    (
        {"language": "rust", "test_cases": [{"input": "", "output": ""}]},
        "language 'rust' is not one rlvr runs",
    ),
    (
        {
            "test_cases": [
                {"input": "", "output": "", "type": "stdin_stdout"},
                {"input": [], "output": 1, "type": "function_call"},
            ]
        },
        "open-r1 verifiable-coding row: test types",
    ),
    ({"test_cases": []}, "open-r1 verifiable-coding row: test_cases must be a non-empty list"),
    ({"official_tests": [{"input": "1", "output": "1"}], "input_mode": "file"}, "input_mode 'file'"),
    ({"official_tests": [{"input": "1", "output": "1"}], "interaction_format": "Interact."}, "interactive"),
    ({"official_tests": [{"input": "1", "output": "1"}], "executable": False}, "not executable"),
    ({"official_tests": []}, "open-r1 Codeforces row: no official tests"),
    ({"official_tests": [{"input": "1", "output": "1"}], "time_limit": -1}, "time_limit must be a positive"),
    (
        {"official_tests": [{"input": "1", "output": "1"}], "generated_checker": 7},
        "generated_checker must be text",
    ),
    ({"test": "from solution import f, g\n\ndef test_f():\n    assert f(1) == g(1)\n"}, "several functions"),
    ({"test": "from solution import f\n\ndef test_f():\n    assert f(1) > 0\n"}, "not a supported check"),
    (
        {"test": "def check(candidate):\n    assert candidate(random()) == 1\n", "entry_point": "f"},
        "HumanEval row",
    ),
    (
        {"functional": "def check(candidate):\n    assert candidate(1) == 2\n"},
        "no check(Solution().method) call",
    ),
    ({"test": "x = " + "-" * 100_000 + "1"}, "KodCode/pytest row: the test does not parse"),
    ({"functional": "x = " + "-" * 100_000 + "1"}, "'functional' is not Python source"),
    ({"problem": "add"}, "no known shape (an object with keys problem)"),
    ([1, 2], "must be an object or a list of tests"),
    (7, "must be an object"),
]


@pytest.mark.parametrize(("raw", "message"), MALFORMED, ids=[m[:40] for _, m in MALFORMED])
def test_malformed_rows_name_their_shape(raw: object, message: str) -> None:
    with pytest.raises(InvalidTaskError) as caught:
        parse_task(raw)  # type: ignore[arg-type]
    assert message in str(caught.value)


JUNK: list[object] = [None, 0, -1, 1.5, "", "x", "{", [], [None], [1], {}, {"a": 1}, [[]], True]


@pytest.mark.parametrize("name", sorted(set(CONVERTED) | set(REFUSED)))
def test_damaged_real_rows_never_crash(name: str) -> None:
    """Every key of every real row (and of its tests) replaced by junk: a task or an InvalidTaskError."""
    raw = row(name)
    variants: list[object] = []
    if isinstance(raw, dict):
        for key in raw:
            variants += [{**raw, key: junk} for junk in JUNK]
            variants.append({k: v for k, v in raw.items() if k != key})
        for key, value in raw.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                for inner in value[0]:
                    variants += [{**raw, key: [{**value[0], inner: junk}, *value[1:]]} for junk in JUNK]
    elif isinstance(raw, list):
        for inner in raw[0]:
            variants += [[{**raw[0], inner: junk}, *raw[1:]] for junk in JUNK]
    else:
        variants += [raw[: len(raw) // 2], raw + "]", raw.replace('"inputs"', '"input"')]
    refused = 0
    for variant in variants:
        try:
            parse_task(variant)  # type: ignore[arg-type]
        except InvalidTaskError:
            refused += 1
    assert 0 < refused <= len(variants)


# -- pickles are read, never unpickled ------------------------------------------------------------------


class _Sneaky:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def test_a_pickle_that_would_call_anything_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    attempts = {
        "STACK_GLOBAL": pickle.dumps(_Sneaky(marker)),
        "GLOBAL": pickle.dumps(_Sneaky(marker), protocol=0),
        "PERSID": b"Pmarker\n.",
        "EMPTY_LIST": pickle.dumps(["a", "b"]),
        "BININT1": pickle.dumps(5),
    }
    for opcode, data in attempts.items():
        with pytest.raises(UnsafePickleError, match=f"uses {opcode}"):
            pickled_string(data)
        text = base64.b64encode(zlib.compress(data)).decode()
        with pytest.raises(InvalidTaskError, match=f"LiveCodeBench row: private_test_cases.*uses {opcode}"):
            parse_task({"public_test_cases": [], "private_test_cases": text})
    assert not marker.exists()
    assert pickle.loads(attempts["STACK_GLOBAL"]) is None and marker.exists()  # the pickle was live: it runs


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pickle.dumps("a") + b"x", "1 bytes after the pickle's end"),
        (pickle.dumps("a")[:-1], "exhausted before seeing STOP"),
        (b"\xff\xfe", "not a readable pickle"),
        (pickle.dumps(("a", "b")), "uses"),
    ],
)
def test_malformed_pickles_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(UnsafePickleError, match=message):
        pickled_string(data)


def test_compressed_size_is_bounded() -> None:
    bomb = base64.b64encode(zlib.compress(pickle.dumps("x" * 100_000))).decode()
    assert len(compressed_pickled_string(bomb)) == 100_000
    with pytest.raises(UnsafePickleError, match="more than 1000 bytes"):
        compressed_pickled_string(bomb, max_bytes=1000)
    with pytest.raises(UnsafePickleError, match="truncated"):
        compressed_pickled_string(base64.b64encode(zlib.compress(pickle.dumps("abc"))[:-4]).decode())


# -- pytest modules --------------------------------------------------------------------------------------


def _cases(test: str, entry: str | None = None, **options: bool) -> list[tuple[Any, ...]]:
    return [
        (c.args, dict(c.kwargs), c.expected) for c in convert_pytest(test, entry, **options).conversion.cases
    ]


def test_pytest_parametrize_classes_and_bound_results() -> None:
    test = """
import math
import pytest
import solution as sol
from solution import area as f

LIMIT = 3

@pytest.mark.parametrize("x, expected", [(1, 1), pytest.param(2, 4, id="two"), (LIMIT, 9)])
def test_table(x, expected):
    result = f(x)
    assert result == expected

@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("s", ["a"])
def test_product(s, k):
    assert f(s, k=k) == s * k

class TestArea:
    def test_module_call(self):
        assert sol.area(10) == 100
        assert abs(f(0.5) - 0.25) < 1e-9

def helper():
    return 1

if __name__ == "__main__":
    pytest.main()
"""
    assert _cases(test) == [
        ((1,), {}, 1),
        ((2,), {}, 4),
        ((3,), {}, 9),
        (("a",), {"k": 0}, ""),
        (("a",), {"k": 1}, "a"),
        ((10,), {}, 100),
        ((0.5,), {}, 0.25),
    ]


@pytest.mark.parametrize(
    ("test", "reason"),
    [
        (
            "from solution import f\n\ndef test_a(tmp_path):\n    assert f(1) == 1\n",
            "uses fixtures (tmp_path)",
        ),
        (
            "from solution import f\n\n@pytest.fixture\ndef test_a():\n    assert f(1) == 1\n",
            "decorator @pytest.fixture",
        ),
        (
            "from solution import f\n\ndef test_a():\n    a = [2, 1]\n    f(a)\n    assert a == [1, 2]\n",
            "line 5: f(a)",
        ),
        (
            "from solution import f\n\ndef test_a():\n    r = f(1)\n    r.append(2)\n    assert r == [2]\n",
            "r.append(2)",
        ),
        ("from solution import f\n\ndef test_a():\n    assert f(helper()) == 1\n", "call of helper"),
        (
            "from solution import f\n\nclass TestA:\n    def setup_method(self):\n        pass\n",
            "setup methods",
        ),
        ("from solution import f\n\nasync def test_a():\n    assert f(1) == 1\n", "an async test"),
        (
            "from solution import f\n\ndef test_a():\n    r = f(g(1))\n    assert r == 1\n",
            "line 5: assert r == 1",
        ),
        ("import solution\n\ndef test_a():\n    assert solution.f(1) == 1\n", "name the function under test"),
        ("from solution import f\ndef test_a(:\n", "does not parse"),
    ],
)
def test_pytest_refusals_say_why(test: str, reason: str) -> None:
    with pytest.raises(ConversionError) as caught:
        convert_pytest(test)
    assert reason in str(caught.value)


def test_pytest_partial_and_named_entry_points() -> None:
    test = "from solution import f, g\n\ndef test_a():\n    assert f(1) == 2\n    assert g(1) == 3\n"
    read = convert_pytest(test, "f", allow_partial=True)
    assert [(c.args, c.expected) for c in read.conversion.cases] == [((1,), 2)]
    assert read.conversion.refused == ("line 5: assert g(1) == 3 (not a supported check)",)
    appended = (
        "def test_a():\n    assert f(2) == 4\n"  # KodCode's "complete" style: the tests follow the solution
    )
    assert _cases(appended, "f") == [((2,), {}, 4)]
    assert _cases("import solution\n\ndef test_a():\n    assert solution.f(2) is None\n", "f") == [
        ((2,), {}, None)
    ]


# -- open-r1's checker contract on rlvr's ------------------------------------------------------------------


def _check(tmp_path: Path, checker: str, output: bytes, answer: str = "1\r\n2\r\n\r\n") -> tuple[int, str]:
    """Run the wrapped checker as the sandbox does: argv = input, contestant output, expected answer."""
    files = {"checker.py": checker_program(checker).encode(), "input.txt": b"2\r\n", "output.txt": output}
    files["answer.txt"] = answer.encode()
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    done = subprocess.run(
        [sys.executable, "checker.py", "input.txt", "output.txt", "answer.txt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stderr


STRICT_CHECKER = """import sys
expected = open(sys.argv[2]).read()
got = open(sys.argv[3]).read()
given = open(sys.argv[1]).read()
print(1 if (got, given) == (expected, "2\\n") else 0)
"""


@pytest.mark.parametrize(
    ("checker", "output", "status"),
    [
        (STRICT_CHECKER, b"1\n\n2\n", 0),  # empty lines dropped, CRs dropped, open-r1's argv order
        (STRICT_CHECKER, b"1\n3\n", 1),
        (STRICT_CHECKER, b"1\n\xff\n", 1),  # not UTF-8: replacement characters, a rejection
        ("print(100)", b"", 0),
        ("import sys\nprint(1)\nsys.exit(2)", b"", 1),  # open-r1 needs status 0 as well
        ("raise ValueError('bad output')", b"", 1),  # a checker that raises rejects, as in open-r1
        ("import os\nos._exit(0)", b"", 1),  # leaving without a verdict is no acceptance
        ("def broken(:", b"", 3),  # a checker that does not compile is the checker's failure
    ],
)
def test_openr1_checker_contract(tmp_path: Path, checker: str, output: bytes, status: int) -> None:
    assert _check(tmp_path, checker, output)[0] == status


# -- the real reward on the real rows ---------------------------------------------------------------------

#: file -> (an accepted program, a mutated one), written for these tests (see PROVENANCE.md)
PROGRAMS: dict[str, tuple[str, str]] = {
    "livecodebench_1873A_stdin.json": (
        "t = int(input())\nfor _ in range(t):\n    s = input().strip()\n"
        "    print('YES' if sum(a != b for a, b in zip(s, 'abc')) in (0, 2) else 'NO')\n",
        "t = int(input())\nfor _ in range(t):\n    s = input().strip()\n"
        "    print('NO' if sum(a != b for a, b in zip(s, 'abc')) in (0, 2) else 'YES')\n",
    ),
    "livecodebench_2798_functional_constructed.json": (
        "class Solution:\n    def numberOfEmployeesWhoMetTarget(self, hours, target):\n"
        "        return sum(1 for h in hours if h >= target)\n",
        "class Solution:\n    def numberOfEmployeesWhoMetTarget(self, hours, target):\n"
        "        return len(hours) - sum(1 for h in hours if h >= target)\n",
    ),
    "livecodebench_2798_deepcoder_list.json": (
        "class Solution:\n    def numberOfEmployeesWhoMetTarget(self, hours, target):\n"
        "        return len([h for h in hours if h >= target])\n",
        "def numberOfEmployeesWhoMetTarget(hours, target):\n    return sum(h > target for h in hours)\n",
    ),
    "taco_is_anagram_call.json": (
        "def is_anagram(test, original):\n    return sorted(test.lower()) == sorted(original.lower())\n",
        "def is_anagram(test, original):\n    return [sorted(test.lower()) != sorted(original.lower())]\n",
    ),
    "taco_total_call.json": (
        "from math import comb\n\ndef total(arr):\n"
        "    return sum(comb(len(arr) - 1, i) * x for i, x in enumerate(arr))\n",
        "def total(arr):\n    return (sum(arr) + 1,)\n",
    ),
    "apps_242C_stdin.json": (
        """import sys
from collections import deque
data = sys.stdin.buffer.read().split()
x0, y0, x1, y1, n = (int(v) for v in data[:5])
cells = set()
for r, a, b in zip(*[iter(int(v) for v in data[5:5 + 3 * n])] * 3):
    cells.update((r, c) for c in range(a, b + 1))
steps = {(x0, y0): 0}
queue = deque([(x0, y0)])
while queue:
    x, y = queue.popleft()
    for nxt in ((x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)):
        if nxt in cells and nxt not in steps:
            steps[nxt] = steps[(x, y)] + 1
            queue.append(nxt)
print(steps.get((x1, y1), -1))
""",
        "print(0)\n",
    ),
    "openr1_verifiable_1259D.json": (
        """def solve():
    words = [input().strip() for _ in range(int(input()))]
    present = set(words)
    kinds = {"00": [], "11": [], "01": [], "10": []}
    for i, w in enumerate(words, 1):
        kinds[w[0] + w[-1]].append(i)
    c01, c10 = len(kinds["01"]), len(kinds["10"])
    if c01 + c10 == 0 and kinds["00"] and kinds["11"]:
        print(-1)
        return
    chosen = [i for i in kinds["01" if c01 > c10 else "10"] if words[i - 1][::-1] not in present]
    chosen = chosen[: abs(c01 - c10) // 2]
    print(len(chosen))
    print(*chosen)

for _ in range(int(input())):
    solve()
""",
        "for _ in range(int(input())):\n    words = [input() for _ in range(int(input()))]\n"
        "    print(0)\n    print()\n",
    ),
    "codeforces_1998A_checker_constructed.json": (  # another valid answer than the row's expected output
        "for _ in range(int(input())):\n    xc, yc, k = map(int, input().split())\n    if k % 2:\n"
        "        print(xc, yc)\n    for i in range(1, k // 2 + 1):\n        print(xc + i, yc)\n"
        "        print(xc - i, yc)\n",
        "for _ in range(int(input())):\n    xc, yc, k = map(int, input().split())\n"
        "    for _ in range(k):\n        print(xc, yc)\n",
    ),
    "deepcoder_leetcode_3044.json": (
        "class Solution:\n    def minOperations(self, nums, k):\n        seen = set()\n"
        "        for taken, value in enumerate(reversed(nums), 1):\n            if value <= k:\n"
        "                seen.add(value)\n            if len(seen) == k:\n                return taken\n"
        "        return len(nums)\n",
        "class Solution:\n    def minOperations(self, nums, k):\n        return len(nums) + k\n",
    ),
    "kodcode_longest_subsequence.json": (
        "def longest_subsequence(nums):\n    best = run = 0\n    for i, value in enumerate(nums):\n"
        "        run = run + 1 if i and abs(value - nums[i - 1]) == 1 else 1\n        best = max(best, run)\n"
        "    return best\n",
        "def longest_subsequence(nums):\n    return -1\n",
    ),
    "kodcode_leetcode_max_distinct.json": (
        "def max_distinct_elements_in_subarray(nums, k):\n    if k <= 0 or k > len(nums):\n        return 0\n"
        "    return max(len(set(nums[i:i + k])) for i in range(len(nums) - k + 1))\n",
        "def max_distinct_elements_in_subarray(nums, k):\n    return float(len(set(nums)) + 9)\n",
    ),
    "kodcode_prefill_is_valid_double.json": (
        "import re\n\ndef is_valid_double(s):\n"
        "    return re.fullmatch(r'[+-]?(\\d+\\.\\d*|\\.\\d+)([eE][+-]?\\d+)?', s) is not None\n",
        "def is_valid_double(s):\n    return int('.' not in s or s == '.')\n",
    ),
}


@pytest.fixture(scope="module")
def reward() -> Iterator[CodeExecutionReward]:
    reward = CodeExecutionReward(workers=2)
    yield reward
    reward.close()


def test_programs_cover_every_converted_row() -> None:
    assert set(PROGRAMS) == set(CONVERTED)


def test_accepted_programs_score_one_and_mutated_ones_zero(reward: CodeExecutionReward) -> None:
    names = sorted(PROGRAMS)
    completions = [f"```python\n{program}```" for name in names for program in PROGRAMS[name]]
    infos = [row(name) for name in names for _ in range(2)]
    scores = reward(completions=completions, verification_info=infos)
    assert dict(zip(names, zip(scores[::2], scores[1::2], strict=True), strict=True)) == {
        name: (1.0, 0.0) for name in names
    }


def test_livecodebench_starter_annotations_get_the_harness_imports(reward: CodeExecutionReward) -> None:
    program = (
        "class Solution:\n"
        "    def numberOfEmployeesWhoMetTarget(self, hours: List[int], target: int) -> int:\n"
        "        return sum(h >= target for h in hours)\n"
    )
    info = row("livecodebench_2798_functional_constructed.json")
    assert reward(completions=[f"```python\n{program}```"], verification_info=[info]) == [1.0]


def test_unreadable_rows_are_unjudged_with_the_reason(reward: CodeExecutionReward) -> None:
    infos = [row("kodcode_prefill_raises.json"), {"public_test_cases": [], "private_test_cases": "%%"}]
    logged: dict[str, list[Any]] = {}
    scores = reward(
        completions=["print(1)"] * 2,
        verification_info=infos,
        log_extra=lambda key, values: logged.__setitem__(key, values),
    )
    reasons = logged["code_execution/reason"]
    assert scores == [None, None]
    assert "KodCode/pytest row: line 17: with pytest.raises" in reasons[0]
    assert "LiveCodeBench row: private_test_cases is neither JSON nor compressed" in reasons[1]


# -- C++ rows (the sandbox's C++ support is checked first; skipped with the reason where it is missing) ----

CPP_POINTS = """#include <cstdio>
int main() {
    int t; std::scanf("%d", &t);
    while (t--) {
        long long x, y; int k; std::scanf("%lld %lld %d", &x, &y, &k);
        if (k % 2) std::printf("%lld %lld\\n", x, y);
        for (int i = 1; i <= k / 2; i++) std::printf("%lld %lld\\n%lld %lld\\n", x + i, y, x - i, y);
    }
}
"""
CPP_POINTS_MUTATED = CPP_POINTS.replace("x + i, y, x - i, y", "x, y, x, y")


def _cpp_missing(reward: CodeExecutionReward) -> str | None:
    info = {"language": "cpp", "cases": [{"stdin": "", "stdout": "7"}]}
    try:
        parse_task(info)
    except InvalidTaskError as exc:
        return f"parse_task refuses C++: {exc}"
    program = '```cpp\n#include <cstdio>\nint main() { std::puts("7"); }\n```'
    scores = reward(completions=[program], verification_info=[info])
    return None if scores == [1.0] else f"the sandbox does not run C++ here (score {scores[0]})"


def _checker_missing(reward: CodeExecutionReward) -> str | None:
    checker = {"type": "program", "language": "python", "source": "import sys\nsys.exit(0)\n"}
    info = {"cases": [{"stdin": "", "stdout": "expected"}], "checker": checker}
    scores = reward(completions=["```python\nprint('other')\n```"], verification_info=[info])
    return None if scores == [1.0] else f"the sandbox does not run checker programs here (score {scores[0]})"


def test_cpp_rows(reward: CodeExecutionReward) -> None:
    for missing in (_cpp_missing(reward), _checker_missing(reward)):
        if missing:
            pytest.skip(missing)
    raw = row("codeforces_1998A_checker_constructed.json")
    cpp_row = {**raw, "language": "cpp"}
    plain_row = {**cpp_row, "generated_checker": None}  # its expected output, compared as tokens
    completions = [
        f"```cpp\n{source}```" for source in (CPP_POINTS, CPP_POINTS_MUTATED, CPP_POINTS, "int main(")
    ]
    scores = reward(completions=completions, verification_info=[cpp_row, cpp_row, plain_row, cpp_row])
    assert scores[:3] == [1.0, 0.0, 0.0]  # another valid answer needs the checker
    assert scores[3] == 0.0  # a compile error


def test_checker_rows_judge_by_the_checker(reward: CodeExecutionReward) -> None:
    missing = _checker_missing(reward)
    if missing:
        pytest.skip(missing)
    raw = row("codeforces_1998A_checker_constructed.json")
    broken = {**raw, "generated_checker": "def main(:\n"}
    garbage = "```python\nprint('not numbers')\n```"
    accepted = f"```python\n{PROGRAMS['codeforces_1998A_checker_constructed.json'][0]}```"
    scores = reward(completions=[garbage, accepted], verification_info=[raw, broken])
    assert scores == [
        0.0,
        None,
    ]  # a checker that raises on garbage rejects; one that cannot compile judges nothing
