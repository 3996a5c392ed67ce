"""Plain values, type-strict equality, verification_info, stdout comparison, program extraction, verdicts."""

from __future__ import annotations

import math

import pytest

from rlvr.verifiers.code.cases import CaseStatus, InvalidTaskError, parse_task, stdout_matches
from rlvr.verifiers.code.judge import judge_run_calls, judge_run_stdio
from rlvr.verifiers.code.program import extract_program
from rlvr.verifiers.code.sandbox import RunResult
from rlvr.verifiers.code.values import NotPlainError, dumps, loads, strict_equal, to_plain

ROUND_TRIP = [
    None,
    True,
    0,
    -(10**5000),
    1.5,
    float("inf"),
    "é\n",
    b"\x00\xff",
    1 + 2j,
    [1, [2.0, "3"]],
    (1, (2,)),
    {1, 2},
    frozenset({"a"}),
    {"a": 1},
    {1: "a", (1, 2): None},
    {"$tuple": 1},
    [],
    (),
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=lambda v: type(v).__name__)
def test_round_trip_keeps_types(value: object) -> None:
    back = loads(dumps(value))
    assert type(back) is type(value) and strict_equal(back, value)


def test_nan_round_trip() -> None:
    assert math.isnan(loads(dumps(float("nan"))))


@pytest.mark.parametrize(
    "value",
    [
        object(),
        type("I", (int,), {})(1),
        type("S", (str,), {})("a"),
        [lambda: 1],
        {[]: 1} if False else {1: object()},
    ],
    ids=["object", "int subclass", "str subclass", "function", "dict value"],
)
def test_not_plain_values_are_refused(value: object) -> None:
    with pytest.raises(NotPlainError):
        to_plain(value)


def test_cycles_and_depth_are_refused() -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(NotPlainError, match="deeper"):
        to_plain(cycle)
    with pytest.raises(ValueError):
        loads("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    ("actual", "expected", "equal"),
    [
        (1, 1, True),
        (1, 1.0, False),
        (True, 1, False),
        (0, False, False),
        ("1", 1, False),
        ([1, 2], (1, 2), False),
        ([1, [2]], [1, [2]], True),
        ({1: "a"}, {1.0: "a"}, False),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ({1, 2}, {2, 1}, True),
        ({1, 2}, {1.0, 2}, False),
        (0.1 + 0.2, 0.3, True),
        (1.0, 1.001, False),
        (float("inf"), float("inf"), True),
        (float("inf"), 1e308, False),
        (None, None, True),
        (b"a", "a", False),
    ],
)
def test_strict_equal(actual: object, expected: object, equal: bool) -> None:
    assert strict_equal(actual, expected) is equal


def test_tolerances() -> None:
    assert strict_equal(0.33, 0.330000001, abs_tol=1e-6, rel_tol=0.0)
    assert not strict_equal(0.33, 0.331, abs_tol=1e-6, rel_tol=0.0)


@pytest.mark.parametrize(
    ("actual", "expected", "equal"),
    [
        ("1\n2\n", "1\n2", True),
        ("1  \n2\t\n\n\n", "1\n2", True),
        ("1\r\n2\r\n", "1\n2", True),
        ("1\n", "1\n2", False),  # open-r1's zip() bug: the first line only is wrong
        ("1\n2\n3", "1\n2", False),
        (" 1", "1", False),
        ("", "", True),
        ("\n\n", "", True),
        ("1\n\n2", "1\n2", False),
    ],
)
def test_stdout_matches(actual: str, expected: str, equal: bool) -> None:
    assert stdout_matches(actual, expected) is equal


def test_parse_task_modes_and_limits() -> None:
    call = parse_task(
        {
            "entry_point": "f",
            "cases": [{"args": [{"$tuple": [1]}], "kwargs": {"k": 2}, "expected": [1], "abs_tol": 0.1}],
        }
    )
    assert call.mode == "call" and call.cases[0].args == ((1,),) and call.cases[0].kwargs == {"k": 2}
    assert call.cases[0].abs_tol == 0.1
    stdio = parse_task('{"cases": [{"stdin": "1", "stdout": "2"}], "time_limit": 3, "memory_limit_mb": 256}')
    assert (stdio.mode, stdio.time_limit, stdio.memory_limit_mb) == ("stdio", 3.0, 256)


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ("{not json", "not valid JSON"),
        ([], "must be an object"),
        ({"cases": []}, "no cases"),
        ({"language": "cpp", "cases": [{}]}, "not supported"),
        ({"cases": [{"stdin": 1, "stdout": "x"}]}, "string 'stdin'"),
        ({"entry_point": "f", "cases": [{"args": [1]}]}, "needs 'expected'"),
        ({"entry_point": "f(", "cases": [{"args": [], "expected": 1}]}, "Python name"),
        ({"entry_point": "f", "cases": [{"args": {}, "expected": 1}]}, "args must be a list"),
        ({"cases": [{"stdin": "", "stdout": ""}], "time_limit": -1}, "positive number"),
        ({"entry_point": "f", "cases": [{"args": [], "expected": {"$nope": 1}}]}, "unknown tagged"),
    ],
)
def test_parse_task_errors(info: object, message: str) -> None:
    with pytest.raises(InvalidTaskError, match=message):
        parse_task(info)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("completion", "program"),
    [
        ("```python\nx = 1\n```", "x = 1\n"),
        ("a\n```python\nx = 1\n```\nb\n```python\nx = 2\n```\n", "x = 2\n"),
        ("```py\nx = 3\n```", "x = 3\n"),
        ("```Python3\nx = 4\n```", "x = 4\n"),
        ("x = 5", "x = 5"),
        ("<think>```python\nx = 1\n```</think>\n```python\nx = 6\n```", "x = 6\n"),
        ("```python\nx = 7", "x = 7"),
        ("```\nx = 8\n```", "```\nx = 8\n```"),  # an untagged block is not a python block
    ],
)
def test_extract_program(completion: str, program: str) -> None:
    assert extract_program(completion) == program


def test_call_verdicts_from_raw_results() -> None:
    task = parse_task({"entry_point": "f", "cases": [{"args": [i], "expected": i} for i in range(4)]})
    raw = (
        b'{"i": 0, "v": 0}\n{"i": 0, "v": 99}\ngarbage\n{"i": 1, "e": "ValueError: x"}\n{"i": 2, "v": 2.0}\n'
    )
    results = judge_run_calls(task, RunResult(exit_code=0, results=raw))
    assert [r.status for r in results] == [CaseStatus.OK, CaseStatus.RE, CaseStatus.WA, CaseStatus.RE]
    timed_out = judge_run_calls(task, RunResult(killed="timeout", results=b'{"i": 0, "v": 0}\n'))
    assert [r.status for r in timed_out] == [CaseStatus.OK, CaseStatus.TLE, CaseStatus.TLE, CaseStatus.TLE]
    assert timed_out[2].detail.startswith("not run")
    broken = judge_run_calls(task, RunResult(setup_error="clone failed"))
    assert {r.status for r in broken} == {CaseStatus.SANDBOX_ERROR}
    fatal = judge_run_calls(task, RunResult(results=b'{"fatal": "SyntaxError: x"}\n'))
    assert {r.status for r in fatal} == {CaseStatus.RE}


def test_stdio_verdicts_from_raw_results() -> None:
    case = parse_task({"cases": [{"stdin": "", "stdout": "4"}]}).cases[0]
    assert judge_run_stdio(case, RunResult(exit_code=0, stdout=b"4\n")).status is CaseStatus.OK
    assert judge_run_stdio(case, RunResult(exit_code=1, stdout=b"4\n")).status is CaseStatus.RE
    assert judge_run_stdio(case, RunResult(killed="output")).status is CaseStatus.WA
    assert judge_run_stdio(case, RunResult(signal=9, oom=True)).status is CaseStatus.MLE
    assert judge_run_stdio(case, RunResult(signal=24)).status is CaseStatus.TLE
    assert judge_run_stdio(case, RunResult(setup_error="x")).status is CaseStatus.SANDBOX_ERROR
