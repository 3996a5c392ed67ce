"""Plain values, type-strict equality, verification_info, stdout comparison, program extraction, verdicts."""

from __future__ import annotations

import math
import time

import pytest

from rlvr.verifiers.code.cases import CaseStatus, InvalidTaskError, parse_task, stdout_matches
from rlvr.verifiers.code.judge import ProgramCases, judge_record, judge_run_stdio
from rlvr.verifiers.code.program import extract_program
from rlvr.verifiers.code.runs import RunResult
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
        ({"language": "rust", "cases": [{}]}, "not supported"),
        ({"language": "cpp", "entry_point": "f", "cases": [{"args": [], "expected": 1}]}, "need a Python"),
        ({"cases": [{"stdin": "", "stdout": ""}], "checker": "diff"}, "unknown checker"),
        ({"cases": [{"stdin": "", "stdout": ""}], "checker": {"type": "program"}}, "needs its 'source'"),
        ({"entry_point": "f", "cases": [{"args": [], "expected_any": []}]}, "expected_any"),
        ({"entry_point": "a.b.c", "cases": [{"args": [], "expected": 1}]}, "Class.method"),
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


def _statuses(results: list) -> list[str]:  # type: ignore[type-arg]
    return [r.status.value for r in results]


def test_call_verdicts_from_raw_records() -> None:
    task = parse_task({"entry_point": "f", "cases": [{"args": [i], "expected": i} for i in range(4)]})
    plan = ProgramCases(task, program_time_limit=10.0)
    (run,) = plan.runs(parallel=4)
    assert (run.first_case, run.count) == (0, 4)
    records = (b'{"v": 0}', b'{"e": "ValueError: x", "kind": "error"}', b'{"v": 2.0}', b"garbage")
    plan.record(run, RunResult(records=records, case_walls=(0.01,) * 4))
    assert plan.runs(parallel=4) == []
    assert _statuses(plan.finish()) == ["OK", "RE", "WA", "WA"]


def test_a_timed_out_call_case_does_not_stop_the_next_ones() -> None:
    task = parse_task(
        {"entry_point": "f", "cases": [{"args": [i], "expected": i} for i in range(4)], "time_limit": 1.0}
    )
    plan = ProgramCases(task, program_time_limit=10.0)
    (first,) = plan.runs(parallel=1)
    plan.record(
        first, RunResult(killed="timeout", records=(b'{"v": 0}',), case_walls=(0.1,), open_case_wall=1.0)
    )
    (second,) = plan.runs(parallel=1)
    assert (second.first_case, second.count) == (2, 2) and second.budget == pytest.approx(4.0 - 1.1)
    plan.record(second, RunResult(records=(b'{"v": 2}', b'{"v": 3}'), case_walls=(0.1, 0.1)))
    assert _statuses(plan.finish()) == ["OK", "TLE", "OK", "OK"]


def test_an_oom_kill_during_a_call_run_is_mle_for_its_cases() -> None:
    task = parse_task({"entry_point": "f", "cases": [{"args": [i], "expected": i} for i in range(2)]})
    plan = ProgramCases(task, 10.0)
    plan.record(
        plan.runs(1)[0], RunResult(oom=True, records=(b'{"v": 0}', b'{"v": 1}'), case_walls=(0.1, 0.1))
    )
    assert _statuses(plan.finish()) == ["MLE", "MLE"]


def test_call_budget_and_failures() -> None:
    task = parse_task({"entry_point": "f", "cases": [{"args": [i], "expected": i} for i in range(4)]})
    broken = ProgramCases(task, 10.0)
    broken.record(broken.runs(1)[0], RunResult(setup_error="clone failed"))
    assert set(_statuses(broken.finish())) == {"SANDBOX_ERROR"}
    fatal = ProgramCases(task, 10.0)
    fatal.record(fatal.runs(1)[0], RunResult(fatal=b'{"e": "SyntaxError: x", "kind": "error"}'))
    assert fatal.runs(1) == [] and _statuses(fatal.finish()) == ["RE"] * 4
    spent = ProgramCases(task, 3.0)  # budget min(4 x 2 s, 3 s) = 3 s: used up during case 1
    spent.record(spent.runs(1)[0], RunResult(killed="budget", records=(b'{"v": 0}',), case_walls=(1.5,)))
    assert spent.runs(1) == []
    result = spent.finish()
    assert _statuses(result) == ["OK", "TLE", "TLE", "TLE"]
    assert result[1].detail == "program time limit exceeded" and result[2].detail.startswith("not run")


def test_stdio_accounting_is_the_same_in_parallel_and_in_order() -> None:
    cases = [{"stdin": f"{i}", "stdout": f"{i}"} for i in range(5)]
    task = parse_task({"cases": cases, "time_limit": 1.0})
    outcomes = {i: RunResult(exit_code=0, stdout=f"{i}".encode(), wall_s=0.1) for i in range(5)}
    outcomes[2] = RunResult(killed="timeout", wall_s=1.0)
    verdicts = []
    for parallel in (1, 2, 5):
        plan = ProgramCases(task, program_time_limit=2.0)  # budget 2 s: case 2 costs 1 s of it
        pending = plan.runs(parallel)
        while pending:
            run = pending.pop(0)
            plan.record(run, outcomes[run.first_case])
            pending += plan.runs(parallel)
        verdicts.append(_statuses(plan.finish()))
    assert verdicts[0] == verdicts[1] == verdicts[2] == ["OK", "OK", "TLE", "OK", "OK"]


def test_records_are_read_as_hostile_data() -> None:
    case = parse_task({"entry_point": "f", "cases": [{"args": [], "expected": 1}]}).cases[0]
    huge = b'{"v": {"$int": "0x' + b"f" * 5000 + b'"}}'
    assert judge_record(case, huge).detail.startswith("returned <int of 20000 bits>")
    collisions = ", ".join(str(k * ((1 << 61) - 1)) for k in range(1, 40_000))
    started = time.monotonic()
    result = judge_record(case, f'{{"v": {{"$set": [{collisions}]}}}}'.encode())
    assert result.status is CaseStatus.WA and time.monotonic() - started < 30  # liveness, not speed
    deep = b'{"v": ' + b"[" * 150 + b"]" * 150 + b"}"
    assert judge_record(case, deep).detail.startswith("malformed result")
    assert judge_record(case, b'{"v": {"$set": [[1]]}}').detail.startswith("malformed result")
    assert judge_record(case, b'{"v": {"$dict": [[1, 2], [1, 3]]}}').detail.startswith("malformed result")
    assert judge_record(case, b"[1, 2]").status is CaseStatus.WA


def test_stdio_verdicts_from_raw_results() -> None:
    case = parse_task({"cases": [{"stdin": "", "stdout": "4"}]}).cases[0]
    assert judge_run_stdio(case, RunResult(exit_code=0, stdout=b"4\n")).status is CaseStatus.OK
    assert judge_run_stdio(case, RunResult(exit_code=1, stdout=b"4\n")).status is CaseStatus.RE
    assert judge_run_stdio(case, RunResult(killed="output")).status is CaseStatus.WA
    assert judge_run_stdio(case, RunResult(signal=9, oom=True)).status is CaseStatus.MLE
    # a process of the run was killed over the memory cap: MLE, even if the program still answered
    assert judge_run_stdio(case, RunResult(exit_code=0, stdout=b"4\n", oom=True)).status is CaseStatus.MLE
    assert judge_run_stdio(case, RunResult(signal=24)).status is CaseStatus.TLE
    assert judge_run_stdio(case, RunResult(setup_error="x")).status is CaseStatus.SANDBOX_ERROR


@pytest.mark.parametrize(
    ("checker", "actual", "expected", "passes"),
    [
        ("lines", " 1.50 2 \n3\n", "1.5 2\n3", True),  # LiveCodeBench: decimals equal, lines stripped
        ("lines", "1 2", "1\n2", False),  # the same number of lines
        ("lines", "1e2", "100", True),
        ("lines", "nan", "nan", True),  # equal text
        ("lines", "NaN", "nan", False),  # not equal as decimals either
        ({"type": "tokens", "any_case": ["yes", "no"]}, "YES\nNo", "yes no", True),
        ({"type": "tokens", "any_case": ["yes", "no"]}, "Maybe", "maybe", False),
        ("tokens", "YES", "yes", False),
        ({"type": "float", "abs_tol": 0, "rel_tol": 1e-9}, "0", "1e-12", False),
    ],
)
def test_checkers(checker: object, actual: str, expected: str, passes: bool) -> None:
    from rlvr.verifiers.code.checkers import parse_checker

    assert parse_checker(checker).matches(actual, expected) is passes


def test_a_prelude_is_python_only_and_bounded() -> None:
    stdio = {"cases": [{"stdin": "", "stdout": ""}]}
    assert parse_task({**stdio, "prelude": "from math import *"}).prelude == "from math import *"
    with pytest.raises(InvalidTaskError, match="only for Python"):
        parse_task({**stdio, "language": "cpp", "prelude": "import os"})
    with pytest.raises(InvalidTaskError, match="at most"):
        parse_task({**stdio, "prelude": "#" * 70_000})
