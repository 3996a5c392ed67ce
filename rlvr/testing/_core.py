"""The pair type and the pieces every category module shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from rlvr.verifiers.math.spellings import Spelling, value_spellings


@dataclass(frozen=True)
class MathPair:
    """A gold answer and a predicted answer whose equivalence is known by construction.

    Attributes:
        gold: the gold answer, as a dataset would state it (``\\frac{3}{4}``, ``[2,5)``, ``\\text{(B)}``).
        answer: the predicted final answer (already extracted from a completion).
        category: one of :data:`CATEGORIES`.
        equivalent: True when ``answer`` is a rewrite of ``gold``, False for a near miss.
        note: what was rewritten or changed, in a few words.

    Example:
        >>> MathPair("\\\\frac{1}{2}", "0.5", "fraction", True, "terminating decimal").equivalent
        True
    """

    gold: str
    answer: str
    category: str
    equivalent: bool
    note: str


#: The ``draw`` function hypothesis passes to a composite strategy.
Draw = Callable[[SearchStrategy[Any]], Any]
#: A category's pair builder: ``builder(draw, equivalent)`` (wrapped with ``st.composite``).
Builder = Callable[[Draw, bool], MathPair]


def pick(draw: Draw, options: Sequence[Spelling]) -> Spelling:
    """One of ``options`` (shrinks towards the first, the canonical spelling)."""
    return draw(st.sampled_from(list(options)))


def equivalent_pair(
    draw: Draw, category: str, golds: Sequence[Spelling], answers: Sequence[Spelling]
) -> MathPair:
    """A gold spelling and a different spelling of the same answer."""
    gold_note, gold = pick(draw, golds)
    note, answer = pick(draw, [s for s in answers if s[1] != gold] or list(answers))
    if gold_note != golds[0][0]:
        note = f"{note}; gold {gold_note}"
    return MathPair(gold, answer, category, True, note)


def near_miss_pair(
    draw: Draw, category: str, golds: Sequence[Spelling], misses: Sequence[tuple[str, Sequence[Spelling]]]
) -> MathPair:
    """A gold spelling and a spelling of one of the different answers in ``misses``."""
    _, gold = pick(draw, golds)
    miss, spellings = draw(st.sampled_from(list(misses)))
    spelling_note, answer = pick(draw, spellings)
    note = miss if spelling_note == spellings[0][0] else f"{miss} ({spelling_note})"
    return MathPair(gold, answer, category, False, note)


def spelled(draw: Draw, value: Fraction, *, in_group: bool = False) -> str:
    """Any spelling of ``value``."""
    scale = draw(st.integers(2, 9))
    return pick(draw, value_spellings(value, scale=scale, in_group=in_group))[1]


def nonzero(low: int, high: int) -> SearchStrategy[int]:
    """A nonzero integer in [low, high] (``high`` > 0)."""
    return st.integers(low, high).map(lambda k: k if k != 0 else high)


def signed(draw: Draw, magnitude: int) -> int:
    return magnitude if draw(st.booleans()) else -magnitude


def small_rational(draw: Draw, *, bound: int = 20, max_denominator: int = 9) -> Fraction:
    """A small rational: usually an integer, sometimes a fraction."""
    whole = draw(st.integers(-bound, bound))
    if draw(st.integers(0, 3)) > 0:
        return Fraction(whole)
    denominator = draw(st.integers(2, max_denominator))
    return whole + Fraction(draw(st.integers(1, denominator - 1)), denominator)
