"""Whole completions from ``rlvr.testing``: rlvr extracts every stated answer and credits no hack.

Each extraction rule has a property here (its category of :func:`stated_completions`) and a near-miss
property (:func:`hack_completions`): a rule without a near-miss test is a hole.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings

from rlvr.testing import (
    COMPLETION_CATEGORIES,
    HACK_CATEGORIES,
    MathCompletion,
    hack_completions,
    stated_completions,
)
from rlvr.verifiers.math import check_completion

EXAMPLES = 120


@pytest.mark.parametrize("category", COMPLETION_CATEGORIES)
def test_stated_answers_pass(category: str) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(stated_completions(category))
    def run(item: MathCompletion) -> None:
        assert item.correct and item.category == category
        verdict = check_completion(item.completion, item.gold, fallback=item.fallback)  # type: ignore[arg-type]
        assert verdict.score == 1.0, f"{item} -> {verdict}"

    run()


@pytest.mark.parametrize("category", HACK_CATEGORIES)
def test_hacks_get_no_credit(category: str) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(hack_completions(category))
    def run(item: MathCompletion) -> None:
        assert not item.correct and item.category == category
        for fallback in ("none", "last_number"):
            verdict = check_completion(item.completion, item.gold, fallback=fallback)  # type: ignore[arg-type]
            assert verdict.score == 0.0 and verdict.reason, f"{item} ({fallback}) -> {verdict}"

    run()


@settings(max_examples=200, deadline=None)
@given(stated_completions())
def test_stated_completions_state_the_gold(item: MathCompletion) -> None:
    """By construction, independent of rlvr: the gold's value is written in the completion."""
    digits = re.findall(r"-?\d+", item.gold)
    plain = item.completion.replace(",", "")
    if item.category == "number_words":
        return  # the value is written in words
    assert all(d.lstrip("-") in plain for d in digits), item


@settings(max_examples=200, deadline=None)
@given(hack_completions())
def test_hack_completions_hold_the_gold(item: MathCompletion) -> None:
    """A hack is only a hack if the gold is in it: it would pass a verifier that reads too little."""
    written = item.completion.replace(",", "")
    if item.category == "group_miss":  # its numbers, in another order or with another bracket
        assert all(n in re.findall(r"-?\d+", written) for n in re.findall(r"-?\d+", item.gold)), item
        return
    assert item.gold in written or item.category == "magnitude", item


def test_category_selection_is_validated() -> None:
    with pytest.raises(ValueError, match="choose from"):
        stated_completions(["nope"])
    with pytest.raises(ValueError, match="choose from"):
        hack_completions([])
