"""rlvr's math verifier property-tested with ``rlvr.testing``'s strategies, and the strategies themselves.

The verifier must accept every equivalent pair (score 1.0) and reject every near miss (score 0.0);
``None`` would mean a generated gold did not parse, which is a failure too. The strategies are checked
against small oracles written here (``fractions.Fraction``, sympy through latex2sympy2_extended), which
share no code with rlvr's verifier.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from latex2sympy2_extended import latex2sympy

from rlvr.testing import CATEGORIES, SYMBOLIC_CATEGORIES, MathPair, equivalent_pairs, near_miss_pairs
from rlvr.verifiers.math import check_answer

# In-process judgements: the fast path costs microseconds, the symbolic path (sympy) 5-100 ms.
FAST_EXAMPLES = 200
SYMBOLIC_EXAMPLES = 40


#: Categories with near misses that follow a grading policy (decimal approximations, percentages, bases).
_POLICY_CATEGORIES = ("fraction", "percent", "root", "pi", "base", "repeating_decimal")


def _examples(category: str) -> int:
    return SYMBOLIC_EXAMPLES if category in SYMBOLIC_CATEGORIES else FAST_EXAMPLES


def _run(strategy: SearchStrategy[MathPair], check: Callable[[MathPair], None], examples: int) -> None:
    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def run(pair: MathPair) -> None:
        check(pair)

    run()


# ---------------------------------------------------------------------------------------------------
# rlvr's verifier


@pytest.mark.parametrize("category", CATEGORIES)
def test_verifier_accepts_equivalent_rewrites(category: str) -> None:
    def check(pair: MathPair) -> None:
        assert (pair.category, pair.equivalent) == (category, True)
        verdict = check_answer(pair.gold, pair.answer)
        assert verdict.score == 1.0, f"{pair} -> {verdict}"

    _run(equivalent_pairs([category]), check, _examples(category))


@pytest.mark.parametrize("category", CATEGORIES)
def test_verifier_rejects_near_misses(category: str) -> None:
    def check(pair: MathPair) -> None:
        assert (pair.category, pair.equivalent) == (category, False)
        verdict = check_answer(pair.gold, pair.answer)
        assert verdict.score == 0.0, f"{pair} -> {verdict}"

    _run(near_miss_pairs([category]), check, _examples(category))


@pytest.mark.parametrize(
    ("gold", "answer", "expected"),
    [
        # One example of each verifier bug these strategies found (fixed in rlvr.verifiers.math).
        ("\\frac{31}{4}", "7\\frac34", 1.0),  # short mixed number
        ("\\frac{3}{4}", "\\left(\\frac{3}{4}\\right)", 1.0),  # parenthesised value
        ("-2614", "\\left(-2614\\right)", 1.0),
        ("2\\sqrt{3}", "√12", 1.0),  # Unicode root over several digits
        ("-\\frac{5\\pi}{4}", "-1.25\\pi", 1.0),  # exact decimal coefficient
        ("204_5", "204_6", 0.0),  # another base
        ("\\frac{1}{2^{80}}", "\\frac{1}{1208925819614629174706177}", 0.0),  # tiny values, 1e-49 apart
    ],
)
def test_regressions_found_by_the_strategies(gold: str, answer: str, expected: float) -> None:
    assert check_answer(gold, answer).score == expected


# ---------------------------------------------------------------------------------------------------
# The strategies: shape


@settings(max_examples=300, deadline=None)
@given(st.one_of(equivalent_pairs(), near_miss_pairs()))
def test_pairs_are_well_formed_and_bounded(pair: MathPair) -> None:
    assert pair.category in CATEGORIES
    assert all(isinstance(field, str) for field in (pair.gold, pair.answer, pair.note))
    assert pair.gold and pair.answer and pair.note
    assert pair.gold != pair.answer, "a pair must rewrite or change something"
    assert len(pair.gold) <= 200 and len(pair.answer) <= 200
    if "policy" in pair.note:
        assert pair.category in _POLICY_CATEGORIES and not pair.equivalent


def test_category_selection_is_validated() -> None:
    with pytest.raises(ValueError, match="unknown categories"):
        equivalent_pairs(["integer", "nonsense"])
    with pytest.raises(ValueError, match="empty"):
        near_miss_pairs([])
    assert isinstance(near_miss_pairs("percent"), SearchStrategy)


@pytest.mark.parametrize("category", _POLICY_CATEGORIES)
def test_policy_near_misses_say_so(category: str) -> None:
    # The near misses that follow a grading policy rather than arithmetic alone are marked in the note.
    quick = settings(max_examples=2000, database=None)
    pair = find(near_miss_pairs(category), lambda p: "policy" in p.note, settings=quick)
    assert pair.category == category and not pair.equivalent


def test_import_without_hypothesis_names_the_fix() -> None:
    code = "import sys; sys.modules['hypothesis'] = None\nimport rlvr.testing"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "pip install hypothesis" in result.stderr


# ---------------------------------------------------------------------------------------------------
# The strategies: truth, checked by independent oracles

_UNIT_WORDS = re.compile(r"\s*(?:\\(?:text|mbox|textnormal)\{[^{}]*\}(?:\^\{?2\}?)?|\s[A-Za-z][A-Za-z /]*)$")
_SPELLING = (
    ("\\left", ""),
    ("\\right", ""),
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\displaystyle", ""),
    ("−", "-"),
    ("π", "\\pi"),
    ("×", "\\times"),
    ("·", "\\cdot"),
)


def _despace(text: str) -> str:
    for command in ("\\quad", "\\,", "\\!", "\\;", "\\ "):
        text = text.replace(command, " ")
    return text


_ONE_TO_NINETEEN = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
)
_TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety"
_WORD_VALUES = {
    **{word: value for value, word in enumerate(_ONE_TO_NINETEEN.split(" "))},
    **{word: 10 * (index + 2) for index, word in enumerate(_TENS_WORDS.split(" "))},
}


def _oracle_words(text: str) -> int | None:
    """English number words (an independent reader: totals of groups, scaled by hundred and thousand)."""
    words = re.sub(r"\\text\{([^{}]*)\}", r"\1", text).lower().replace("-", " ").split()
    if not words or any(w not in _WORD_VALUES and w not in ("hundred", "thousand", "and") for w in words):
        return None
    total, group = 0, 0
    for word in words:
        if word == "hundred":
            group *= 100
        elif word == "thousand":
            total, group = total + group * 1000, 0
        elif word != "and":
            group += _WORD_VALUES[word]
    return total + group


def _oracle_repeating(text: str) -> Any:
    """0.<fixed><block repeating> written with \\overline, or with an ellipsis after repeated digits."""
    over = re.fullmatch(r"0\.(\d*)\\overline\{(\d+)\}", text)
    dots = re.fullmatch(r"0\.(\d+)(?:\\ldots|\.\.\.)", text)
    if over:
        fixed, block = over.groups()
    elif dots:
        digits = dots.group(1)
        period = next(p for p in range(1, len(digits)) if digits[-p:] == digits[-2 * p : -p])
        fixed, block = digits[:-period], digits[-period:]
    else:
        return None
    shift = sympy.Integer(10) ** len(fixed)
    return sympy.Rational(int(fixed or "0"), shift) + sympy.Rational(
        int(block), shift * (10 ** len(block) - 1)
    )


_MAGNITUDES = {"hundred": 100, "thousand": 1000, "million": 10**6, "dozen": 12}


def _oracle_scalar(text: str) -> Any:
    """The exact value a scalar answer denotes (sympy), read independently of rlvr."""
    scaled = re.fullmatch(r"(.+?)\s+(hundred|thousand|million|dozen)", text)
    if scaled and _oracle_words(text) is None:
        return _oracle_scalar(scaled.group(1)) * _MAGNITUDES[scaled.group(2)]
    words = _oracle_words(text)
    if words is not None:
        return sympy.Integer(words)
    repeating = _oracle_repeating(text)
    if repeating is not None:
        return repeating
    t = text
    if re.fullmatch(r"-?\d{1,3}(?:\\,\d{3})+", t):  # thin-space thousands separators
        t = t.replace("\\,", "")
    t = _despace(t).strip()
    t = re.sub(r"^[a-z]\s*=\s*", "", t)  # "x = 5"
    t = t.replace("\\$", "").replace("$", "")
    t = _UNIT_WORDS.sub("", t)
    for mark in ("^{\\circ}", "^\\circ", "°", "\\degree", "\\%", "%"):
        t = t.replace(mark, "")
    for old, new in _SPELLING:
        t = t.replace(old, new)
    for separator in ("{,}", ",\\!", ",", "\u00a0", "\u2009", "\u202f", " "):
        t = t.replace(separator, "")
    t = re.sub(r"\\frac(\d)(\d)", r"\\frac{\1}{\2}", t)
    t = re.sub(r"\\sqrt ?(\d)", r"\\sqrt{\1}", t)
    t = re.sub(r"√(\d+)", r"\\sqrt{\1}", t).replace("√", "\\sqrt").strip()
    mixed = re.fullmatch(r"(-?)(\d+)\s*\\frac\{(\d+)\}\{(\d+)\}", t)
    if mixed:
        sign = -1 if mixed.group(1) else 1
        return sympy.Rational(
            sign * (int(mixed.group(2)) + Fraction(int(mixed.group(3)), int(mixed.group(4))))
        )
    scientific = re.fullmatch(r"(-?[\d.]+)\s*\\(?:times|cdot)\s*10\^\{?(-?\d+)\}?", t)
    if scientific:
        return sympy.Rational(Fraction(scientific.group(1)) * Fraction(10) ** int(scientific.group(2)))
    try:
        return sympy.Rational(Fraction(t))  # "007", "+7", ".5", "3e5", "3/4"
    except ValueError:
        return latex2sympy(t)


def _same_value(a: Any, b: Any) -> bool:
    a, b = sympy.nsimplify(a, rational=True), sympy.nsimplify(b, rational=True)
    return bool(sympy.simplify(a - b) == 0)


def _oracle_group(text: str) -> Any:
    """A set, interval, tuple or union as a comparable value (sets as frozensets)."""
    t = (
        _despace(text)
        .replace("\\left", "")
        .replace("\\right", "")
        .replace("\\lbrace", "\\{")
        .replace("\\rbrace", "\\}")
    )
    t = t.replace("∪", "\\cup").replace(" ", "")
    if t in ("\\emptyset", "\\varnothing", "\\{\\}", "∅"):
        return ("set", frozenset())
    if "\\cup" in t:
        return ("union", frozenset(_oracle_group(piece) for piece in t.split("\\cup")))
    if t.startswith("\\{"):
        return ("set", frozenset(_items(t[2:-2])))
    if t[0] in "([" and t[-1] in ")]":
        return (t[0] + t[-1], tuple(_items(t[1:-1])))
    if "," in t:
        return ("set", frozenset(_items(t)))  # a bare list is read as the set of its items
    return ("scalar", sympy.nsimplify(_oracle_scalar(t), rational=True))


def _items(text: str) -> list[Any]:
    values = []
    for item in text.split(","):
        item = item.replace("∞", "\\infty").replace("−", "-").replace("+\\infty", "\\infty")
        if item in ("\\infty", "-\\infty"):
            values.append(sympy.oo if item == "\\infty" else -sympy.oo)
        else:
            values.append(sympy.nsimplify(_oracle_scalar(item), rational=True))
    return values


def _oracle_label(pair: MathPair, text: str) -> Any:
    """Choices, words and base-subscript numbers: what the answer names."""
    if pair.category == "base":
        match = re.fullmatch(r"(\d+)_\{?\s*(\d+)\s*\}?", text)
        return (match.group(1), int(match.group(2))) if match else text
    t = re.sub(r"\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}", r"\1", text)
    return t.strip().strip(".").strip("()").strip().lower()


def _truth(pair: MathPair) -> bool:
    """Whether the oracles read gold and answer as the same answer."""
    if pair.category in ("choice", "text", "base"):
        return _oracle_label(pair, pair.gold) == _oracle_label(pair, pair.answer)
    if pair.category in ("set", "tuple", "interval", "union") or (
        pair.category in ("spacing", "unicode") and re.search(r"[\[(]-?[\\\w−]", pair.gold)
    ):
        return _oracle_group(pair.gold) == _oracle_group(pair.answer)
    if pair.category == "percent" and ("%" in pair.gold) != ("%" in pair.answer) and "policy" in pair.note:
        return False  # a percentage against its fraction: different as written
    return _same_value(_oracle_scalar(pair.gold), _oracle_scalar(pair.answer))


@pytest.mark.parametrize("category", CATEGORIES)
def test_strategies_agree_with_independent_oracles(category: str) -> None:
    def check(pair: MathPair) -> None:
        assert _truth(pair) == pair.equivalent, pair

    examples = 15 if category in SYMBOLIC_CATEGORIES else 40
    _run(equivalent_pairs([category]), check, examples)
    _run(near_miss_pairs([category]), check, examples)


def test_scalar_oracle_reads_the_forms_it_must() -> None:
    assert _oracle_scalar("7{,}425{,}000") == 7425000
    assert _oracle_scalar("-\\tfrac34") == sympy.Rational(-3, 4)
    assert _oracle_scalar("7\\frac{3}{4}") == sympy.Rational(31, 4)
    assert _oracle_scalar("2.5\\times10^{-3}") == sympy.Rational(1, 400)
    assert _oracle_scalar("\\$1,250 \\text{ dollars}") == 1250
    assert _same_value(_oracle_scalar("√12"), _oracle_scalar("2\\sqrt{3}"))
    assert not _same_value(_oracle_scalar("3.4641016"), _oracle_scalar("2\\sqrt{3}"))
