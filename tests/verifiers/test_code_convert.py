"""HumanEval/MBPP assert tests to function-call cases, statically; what cannot be converted is refused."""

from __future__ import annotations

import re

import pytest

from rlvr.verifiers.code.convert import (
    ConversionError,
    convert_tests,
    evaluate_pure,
    humaneval_verification_info,
)


def cases(test: str, entry_point: str = "f", **kwargs: bool) -> list[tuple[object, ...]]:
    conversion = convert_tests(test, entry_point, **kwargs)
    return [(c.args, dict(c.kwargs), c.expected, c.abs_tol) for c in conversion.cases]


def test_humaneval_check_function() -> None:
    test = """
METADATA = {'author': 'jt'}

def check(candidate):
    assert candidate([1, 2], 0.5) == True
    assert candidate('a' * 3) == 'aaa', "message"
    assert candidate(x=2) == (1, 2.0)
    assert -1 == candidate(-1)
    assert candidate(2.0 / 4.0)
    assert not candidate({1: [2]})
    assert candidate(None) is None
    assert True, "This prints if this assert fails"
    print
"""
    assert cases(test) == [
        (([1, 2], 0.5), {}, True, None),
        (("aaa",), {}, "aaa", None),
        ((), {"x": 2}, (1, 2.0), None),
        ((-1,), {}, -1, None),
        ((0.5,), {}, True, None),
        (({1: [2]},), {}, False, None),
        ((None,), {}, None, None),
    ]


def test_tolerance_and_wrappers() -> None:
    test = """
import math
def check(candidate):
    assert abs(candidate(1.33) - 0.33) < 1e-6
    assert abs(2.0 / 3.0 - candidate(3)) <= 1e-6
    assert math.isclose(candidate(2), 0.5, rel_tol=1e-3)
    assert tuple(candidate([3, 1])) == tuple([1, 3])
"""
    got = convert_tests(test, "f").cases
    assert [(c.args, c.expected) for c in got] == [
        ((1.33,), 0.33),
        ((3,), 2.0 / 3.0),
        ((2,), 0.5),
        (([3, 1],), [1, 3]),
    ]
    assert got[0].abs_tol == 1e-6 and got[0].rel_tol == 0.0 and got[2].rel_tol == 1e-3


def test_loops_and_assignments_are_unrolled() -> None:
    test = """
def check(candidate):
    lst = list(range(-3, 4, 2))
    total = sum([i ** 2 for i in lst if i > 0])
    assert candidate(lst) == total
    for x in range(2, 4):
        assert candidate(x, x + 1) == str(x)
"""
    assert cases(test) == [
        (([-3, -1, 1, 3],), {}, 10, None),
        ((2, 3), {}, "2", None),
        ((3, 4), {}, "3", None),
    ]


def test_mbpp_module_level_asserts() -> None:
    test = 'assert remove_Occ("hello","l") == "heo"\nassert remove_Occ("abcda","a") == "bcd"\n'
    assert [c.args for c in convert_tests(test, "remove_Occ").cases] == [("hello", "l"), ("abcda", "a")]


@pytest.mark.parametrize(
    ("test", "reason"),
    [
        (
            "def check(c):\n    import random\n    assert c(random.randint(0, 9)) == 1\n",
            "call of random.randint",
        ),
        ("def check(c):\n    assert c(1) == helper(1)\n", "call of helper"),
        ("def check(c):\n    assert set(c([1])) == {1}\n", "not a supported check"),
        ("def check(c):\n    x = c(1)\n    assert x == 1\n", "assert x == 1 (not a supported check)"),
        ("def check(c):\n    assert c(open('/etc/passwd').read()) == 1\n", "call of open"),
        ("def check(c):\n    assert c('a' * 10**9) == 1\n", "too large"),
        ("def check(c):\n    assert c(2 ** 10**8) == 1\n", "too large"),
        ("def check(c):\n    assert c(__import__('os')) == 1\n", "call of __import__"),
        ("def check(c):\n    assert c(1) == (lambda: 1)()\n", "call of lambda"),
        ("def check(c):\n    assert c(1) > 0\n", "not a supported check"),
    ],
)
def test_refusals_say_why(test: str, reason: str) -> None:
    with pytest.raises(ConversionError, match=re.escape(reason)):
        convert_tests(test, "f")


def test_partial_conversion_lists_what_was_dropped() -> None:
    test = "def check(c):\n    assert c(1) == 2\n    assert c(2) == helper(2)\n"
    conversion = convert_tests(test, "f", allow_partial=True)
    assert len(conversion.cases) == 1 and not conversion.complete
    assert conversion.refused == ("line 3: assert c(2) == helper(2) (call of helper)",)


def test_nothing_convertible_is_an_error() -> None:
    with pytest.raises(ConversionError, match="no convertible check"):
        convert_tests("def check(c):\n    pass\n", "f")
    with pytest.raises(ConversionError, match="does not parse"):
        convert_tests("def check(c:\n", "f")


def test_pure_evaluator_is_closed() -> None:
    assert evaluate_pure("[x * 2 for x in (1, 2)] + sorted({3, 1})") == [2, 4, 1, 3]
    assert evaluate_pure("f'{1 + 1}-{\"a\"!r}'") == "2-'a'"
    for source in ("().__class__", "[].append(1)", "print(1)", "(1).__add__(2)", "getattr(1, 'real')"):
        with pytest.raises(ValueError, match="not a pure expression"):
            evaluate_pure(source)


def test_verification_info_round_trips_through_the_task_reader() -> None:
    from rlvr.verifiers.code import parse_task

    problem = {"entry_point": "f", "test": "def check(c):\n    assert c((1, 2), {3}) == {'a': (1,)}\n"}
    task = parse_task(humaneval_verification_info(problem))
    case = task.cases[0]
    assert case.args == ((1, 2), {3}) and case.matches({"a": (1,)}) and not case.matches({"a": [1]})
