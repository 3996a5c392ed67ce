"""Property-test a math verifier: hypothesis strategies of (gold, answer) pairs with known truth.

:func:`equivalent_pairs` draws a gold answer and a rewrite of it (``\\frac{3}{4}`` and ``0.75``,
``\\{1,2\\}`` and ``\\{2, 1\\}``, ``7,425,000`` and ``7425000``); :func:`near_miss_pairs` draws a gold
answer and an answer that differs from it, often only just (``[2,5)`` and ``[2,5]``, ``\\frac{1}{2^{40}}``
and ``\\frac{1}{2^{41}}``, ``10001`` and ``10002``). The truth of every pair is fixed by construction
from exact values, never by a verifier, so the strategies test any verifier: rlvr's own, math-verify,
or yours. Each :class:`MathPair` says its ``category`` (one of :data:`CATEGORIES`) and, in ``note``,
what was rewritten or changed.

These strategies need hypothesis (``pip install hypothesis``, or the ``dev`` extra of rlvr).

How to test your own verifier (``my_verify(gold, answer) -> bool``), with pytest::

    from hypothesis import given, settings
    from rlvr.testing import equivalent_pairs, near_miss_pairs

    @settings(max_examples=500, deadline=None)
    @given(equivalent_pairs())
    def test_accepts_rewrites(pair):
        assert my_verify(pair.gold, pair.answer), pair.note

    @settings(max_examples=500, deadline=None)
    @given(near_miss_pairs())
    def test_rejects_near_misses(pair):
        assert not my_verify(pair.gold, pair.answer), pair.note

Select categories to test one behaviour at a time, or to leave out what your verifier does not claim
to handle: ``equivalent_pairs(["fraction", "set", "interval"])``. Hypothesis shrinks a failure to a
small pair and prints it, with the note.

Whole completions test extraction too: :func:`stated_completions` writes the gold the way models state
a final answer (a ``# Answer`` heading, ``the answer is **120**``, a sentence with units and context, a
chain ``… = 25 miles``, a list for a gold of several parts), and :func:`hack_completions` writes it into
a completion that must get no credit (a hedge or alternative, a magnitude word, a second value, a
revision). Each :class:`MathCompletion` says whether it is ``correct`` and which ``fallback`` it is for.

Three kinds of near miss follow a grading policy rather than arithmetic alone (their notes say
"policy"): a decimal approximation of an exact answer (``3.4641016`` for ``2\\sqrt{3}``), a
percentage against its fraction (``0.5`` for ``50\\%``), and a base-subscript answer against its
decimal value (``54`` for ``204_5``). Leave those categories out, or filter with
``near_miss_pairs().filter(lambda p: "policy" not in p.note)``, if your grader decides otherwise.

Example:
    >>> from hypothesis import find
    >>> pair = find(near_miss_pairs(["interval"]), lambda p: "bracket flipped" in p.note)
    >>> pair.gold[1:-1] == pair.answer[1:-1], pair.gold == pair.answer
    (True, False)
    >>> "integer" in CATEGORIES and "interval" in CATEGORIES
    True
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "rlvr.testing needs hypothesis, which rlvr does not install by default: "
        "pip install hypothesis (or '.[dev]' in rlvr's checkout)"
    ) from error

from rlvr.testing._completions import (
    COMPLETION_CATEGORIES,
    HACK_CATEGORIES,
    MathCompletion,
    hack_completions,
    stated_completions,
)
from rlvr.testing.math_pairs import (
    CATEGORIES,
    SYMBOLIC_CATEGORIES,
    MathPair,
    equivalent_pairs,
    near_miss_pairs,
)

__all__ = [
    "CATEGORIES",
    "COMPLETION_CATEGORIES",
    "HACK_CATEGORIES",
    "SYMBOLIC_CATEGORIES",
    "MathCompletion",
    "MathPair",
    "equivalent_pairs",
    "hack_completions",
    "near_miss_pairs",
    "stated_completions",
]
