r"""Hypothesis strategies of (gold, answer) pairs whose truth is known by construction.

Every pair is built from exact values (``Fraction``, integers, digit strings) and spelled in ways that
are equal, or unequal, by construction: no verifier decides the truth of a generated pair.

The categories, each with examples of its rewrites / near misses:

- ``integer``: ``007``, ``+7``, ``7,425,000``, ``14{,}916``, ``10,\!000``, ``7.0``, ``$7$`` /
  n+k, -n, 10n, last digit dropped.
- ``decimal``: trailing zeros, ``.5``, the exact fraction, ``25\times10^{-2}`` / last digit changed,
  decimal point shifted, rounded to fewer digits (always outside the gold's half-unit precision).
- ``fraction``: ``\dfrac``, ``\tfrac34``, ``3/4``, unreduced, ``\frac{-3}{4}``, ``\frac{3}{-4}``, the
  terminating decimal / reciprocal, sign, numerator or denominator off by one, a decimal approximation.
- ``big_integer``: 30 to 60 digits, with separators / plus or minus one, two digits swapped,
  ``1.234\times10^{40}``.
- ``tiny``: ``2^{-80}`` = ``\frac{1}{2^{80}}`` = ``\left(\frac{1}{2}\right)^{80}`` = the denominator
  written out; fractions below 1e-8 / ``\frac{1}{2^{81}}``, denominator plus one, ``0``.
- ``percent``: ``50\%`` = ``50`` = ``50%`` = ``50\text{ percent}`` = ``50 pct`` / ``0.5`` for ``50\%``,
  ``5000``, ``51``.
- ``units``: ``\$6``, ``6 \text{ dollars}``, ``100\text{ square units}``, ``12 cm``, ``200 GB``,
  ``5 jars of jam``, ``3\textnormal{ km}`` / another amount.
- ``scientific``: ``3\times10^{5}``, ``3e5``, ``3\cdot10^5``, ``30\times10^{4}``, ``300000`` / exponent
  off by one or negated, mantissa changed.
- ``mixed_number``: ``7\frac{3}{4}``, ``7\frac34``, ``\frac{31}{4}``, ``7.75`` / ``\frac{21}{4}`` (the
  product reading), the whole or fractional part alone.
- ``root``: ``2\sqrt{3}`` = ``\sqrt{12}`` = ``\frac{6}{\sqrt{3}}``; ``\frac{\sqrt{3}}{3}`` =
  ``\frac{1}{\sqrt{3}}`` / ``\sqrt{13}``, ``3\sqrt{3}``, ``6``, ``3.4641016``.
- ``pi``: ``2\pi`` = ``\pi \cdot 2``; ``\frac{3\pi}{4}`` = ``\frac{3}{4}\pi`` = ``0.75\pi`` / a decimal
  approximation, pi dropped, pi squared.
- ``set``: reordered, ``\left\{``, ``\lbrace``, a bare list; ``\emptyset`` = ``\varnothing`` = ``∅`` /
  the tuple ``(1,2)``, an element missing, extra or changed, the interval ``[1,2]``.
- ``tuple``: ``\left(``, coordinates respelled / two coordinates swapped, one changed, missing or extra,
  the set.
- ``interval``: ``\left[``, ``+\infty``, ``∞``, endpoints respelled / a bracket flipped, an endpoint moved,
  the set of the endpoints.
- ``union``: pieces reordered, ``∪``, spaces / a bracket flipped, a piece missing, one spanning interval.
- ``choice``: ``B``, ``(B)``, ``\text{(B)}``, ``\textbf{(B)}`` / another letter.
- ``text``: ``\text{Evelyn}``, ``Evelyn``, ``\mathrm{Evelyn}``, ``Evelyn.`` / another word, truncated.
- ``equation``: ``x=5`` = ``5`` = ``x = 5`` / another value, sign flipped.
- ``degrees``: ``30^\circ`` = ``30`` = ``30°`` = ``30 degrees`` / one more, ten times, the supplement.
- ``spacing``: ``\,``, ``\!``, ``\ ``, ``\quad``, ``\displaystyle``, ``\left( \right)`` / the same
  spacing around another value.
- ``unicode``: ``√3``, ``√12``, ``π``, ``−5``, ``∞``, ``×``, ``·``, ``°``, no-break spaces / another root,
  the sign lost, another multiple of π.
- ``off_by_one``: n above 10^4 with separators; ``\frac{n}{n+1}`` respelled / n plus or minus one, ``1``
  for ``\frac{n}{n+1}`` (a relative tolerance passes them).
- ``base``: ``204_5`` = ``204_{5}`` / ``54``, ``204_6``, ``205_5``, ``402_5``.
- ``repeating_decimal``: ``\frac{5}{6}`` = ``0.8\overline{3}`` = ``0.8333\ldots`` / another repeating
  block, the decimal cut off (an approximation: policy), the block written once.
- ``number_words``: ``21`` = ``twenty-one`` = ``twenty one`` = ``\text{twenty-one}`` / one more in words,
  ``two hundred`` or ``two dozen`` for ``2``, ``5 million`` for ``5``.

Three kinds of near miss follow a grading policy rather than arithmetic alone; their ``note`` says
"policy": a decimal approximation of an exact answer is not the answer (``3.4641016`` for
``2\sqrt{3}``); percentages compare as written (``50\%`` is ``50``, not ``0.5``); a base-subscript
answer is digits in that base (``204_5``, not its value ``54``).

Generated values are bounded (at most 60 digits, exponents at most 100) so that a judgement stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from rlvr.testing import _forms, _groups, _numbers
from rlvr.testing._core import Builder, MathPair

#: The categories of pairs.
CATEGORIES: tuple[str, ...] = (
    "integer",
    "decimal",
    "fraction",
    "big_integer",
    "tiny",
    "percent",
    "units",
    "scientific",
    "mixed_number",
    "root",
    "pi",
    "set",
    "tuple",
    "interval",
    "union",
    "choice",
    "text",
    "equation",
    "degrees",
    "spacing",
    "unicode",
    "off_by_one",
    "base",
    "repeating_decimal",
    "number_words",
)

#: Categories whose pairs a symbolic engine (sympy) usually decides: slower to verify.
SYMBOLIC_CATEGORIES: tuple[str, ...] = ("tiny", "root", "pi", "unicode")

_BUILDERS: dict[str, Builder] = {**_numbers.BUILDERS, **_groups.BUILDERS, **_forms.BUILDERS}
assert set(_BUILDERS) == set(CATEGORIES), "every category has one builder"


def _selected(categories: Iterable[str] | None) -> tuple[str, ...]:
    if categories is None:
        return CATEGORIES
    if isinstance(categories, str):
        categories = (categories,)
    chosen = tuple(dict.fromkeys(categories))
    unknown = [c for c in chosen if c not in _BUILDERS]
    if unknown:
        raise ValueError(f"unknown categories {unknown}; choose from {', '.join(CATEGORIES)}")
    if not chosen:
        raise ValueError("categories is empty; pass None for all categories")
    return chosen


def _pairs(categories: Iterable[str] | None, equivalent: bool) -> SearchStrategy[MathPair]:
    chosen = _selected(categories)
    return st.one_of(*(st.composite(_BUILDERS[name])(equivalent) for name in chosen))


def equivalent_pairs(categories: Iterable[str] | None = None) -> SearchStrategy[MathPair]:
    """Pairs whose answer is a rewrite of the gold: a correct verifier accepts every one.

    Args:
        categories: names from :data:`CATEGORIES` (a single name works too); ``None`` for all.

    Raises:
        ValueError: for an unknown category or an empty selection.

    Example:
        >>> from hypothesis import find
        >>> strategy = equivalent_pairs(categories=["integer"])
        >>> isinstance(strategy, SearchStrategy)
        True
        >>> pair = find(equivalent_pairs(["fraction"]), lambda p: "unreduced" in p.note)
        >>> pair.category, pair.equivalent
        ('fraction', True)
    """
    return _pairs(categories, True)


def near_miss_pairs(categories: Iterable[str] | None = None) -> SearchStrategy[MathPair]:
    """Pairs whose answer differs from the gold: a correct verifier rejects every one.

    Args:
        categories: names from :data:`CATEGORIES` (a single name works too); ``None`` for all.

    Raises:
        ValueError: for an unknown category or an empty selection.

    Example:
        >>> from hypothesis import find
        >>> pair = find(near_miss_pairs("interval"), lambda p: p.note == "right bracket flipped")
        >>> pair.gold[-1] != pair.answer[-1], pair.equivalent
        (True, False)
    """
    return _pairs(categories, False)


__all__ = ["CATEGORIES", "SYMBOLIC_CATEGORIES", "MathPair", "equivalent_pairs", "near_miss_pairs"]
