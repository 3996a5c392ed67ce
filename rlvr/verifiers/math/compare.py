"""Answer equivalence: the in-process fast path and its policies.

:func:`compare_fast` decides in plain Python, in microseconds, everything the value reader understands:
numbers, groups of numbers, multiple-choice letters, text answers and identical spellings. It returns
:data:`~rlvr.verifiers.verdict.NOT_HANDLED` for the rest (symbolic answers), which the symbolic path
decides in a worker process under the executor's deadline. Prose never goes there: an answer that is
words rather than math is 0.0 here, and so is a division by zero.

Policies (documented in the README):

- Integers and fractions compare exactly: 10001 is not 10000, ``1/2^{99}`` is not ``1/2^{98}``.
- A decimal gold states its precision: a prediction within half a unit of its last digit passes
  (gold ``0.33`` accepts ``1/3`` and ``0.333``; gold ``3.5`` rejects ``3.6``).
- An exact gold is not matched by a decimal approximation (gold ``1/3`` rejects ``0.333``) unless the
  ``allow_decimal_approximation`` option is on; a decimal that is exactly equal (``0.5`` for ``1/2``)
  passes.
- Percentages compare as written: ``50\\%`` equals ``50``; ``0.5`` never equals ``50\\%``.
- Sets and bare lists are order-free, tuples ordered, interval brackets exact; a set never equals a tuple.
- A base-subscript gold (``204_5``) is digits in that base: ``204_{5}`` and ``204`` pass, ``204_6`` and the
  decimal value ``54`` do not.
- Unevaluated arithmetic (``14+0``, ``2\\cdot7``, ``2^{10}``, ``\\sqrt{4}``) in place of a numeric gold
  gets no credit: the answer must be the value.
- A ratio or clock time (``7:32``, ``3:00``) equals only the same pair of numbers: ``4:00`` is not
  ``3:00``, and a division by zero (``\\frac{1}{0}``) is never a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rlvr.verifiers.math.equations import linear_variables, same_linear_equation, stated_equations
from rlvr.verifiers.math.prose import is_prose
from rlvr.verifiers.math.surds import Surd, parse_surd
from rlvr.verifiers.math.values import Group, Infinity, Num, Value, parse_choice, parse_value
from rlvr.verifiers.verdict import NOT_HANDLED, Verdict

_ARITHMETIC_COMMANDS = re.compile(r"\\(?:frac|cdot|times|div|sqrt)")
_ARITHMETIC_CHARS = frozenset("0123456789.+-*/^(){}[] ")
_OPERATORS = frozenset("+-*/^")
_WORD = re.compile(r"^[A-Za-z][a-z]{2,}(?: [A-Za-z][a-z]*)*$")
_TEXT_WRAPPER = re.compile(r"^\\(?:text|textbf|mathrm|mbox|textrm)\{(.*)\}$", re.DOTALL)
_OPTION_WORD = re.compile(r"^(?:option|choice)\s+", re.IGNORECASE)  # "option C"
# An option letter before the option's text: "(B) 5", "B) 5", "B. 5", "B: 5".
_CHOICE_PREFIX = re.compile(r"^(?:\(([A-Ea-e])\)|([A-E])[).:](?=\s|$))")
_OTHER_CHOICE = re.compile(r"\([A-E]\)|(?<![A-Za-z])[A-E](?![A-Za-z])")
# "204_5", "204_{5}" (normalised): digits in a base. Math-Verify drops the subscript (204_5 = 204_6 there).
_BASE_SUBSCRIPT = re.compile(r"^([0-9A-Z]{1,64})_(?:\{(\d{1,2})\}|(\d))$")
_BASE_DIGITS = re.compile(r"^[0-9A-Z]{1,64}$")
# A zero denominator: "\frac{1}{0}", "\frac50", "5/0", "3:00" read as a division.
_DIVISION_BY_ZERO = re.compile(
    r"\\frac(?:\{[^{}]*\}|\d)\{[+-]?0+(?:\.0*)?\}|\\frac\d0(?!\d)|/[+-]?0+(?![\d.])"
)


@dataclass(frozen=True)
class MathPolicy:
    """Options of answer equivalence.

    Attributes:
        allow_decimal_approximation: accept a decimal for an exact gold when it is within half a unit of
            its own last digit (``0.333`` for ``1/3``). Off by default: an approximation is not the answer.

    Example:
        >>> MathPolicy().allow_decimal_approximation
        False
    """

    allow_decimal_approximation: bool = False


def _unwrap_text(raw: str) -> str:
    text = raw.strip().strip("$").strip()
    match = _TEXT_WRAPPER.match(text)
    return match.group(1).strip() if match else text


def gold_choice(raw_gold: str) -> str | None:
    """The option letter when the gold is a multiple-choice answer (``B``, ``(B)``, ``\\text{(B)}``).

    Lower-case single letters are variables, not options.

    Example:
        >>> gold_choice("\\\\text{(C)}"), gold_choice("C"), gold_choice("c")
        ('C', 'C', None)
    """
    text = _unwrap_text(raw_gold)
    if len(text) == 1 and not text.isupper():
        return None
    return parse_choice(text)


def _pred_choice(raw_pred: str) -> str | None:
    text = _OPTION_WORD.sub("", _unwrap_text(raw_pred))
    choice = parse_choice(text)
    if choice is not None and (len(text) > 1 or text.isupper()):
        return choice
    match = _CHOICE_PREFIX.match(text)
    if match is None or _OTHER_CHOICE.search(text, match.end()):
        return None  # "(B) (C)": two options are no answer
    return (match.group(1) or match.group(2)).upper()


def is_text_answer(raw_gold: str) -> bool:
    """True when the gold is words (``\\text{Evelyn}``, ``Monday``), compared as text.

    Example:
        >>> is_text_answer("\\\\text{Evelyn}"), is_text_answer("p - q"), is_text_answer("\\\\text{(B)}")
        (True, False, False)
    """
    text = _unwrap_text(raw_gold)
    if text != raw_gold.strip().strip("$").strip():
        return any(c.isalpha() for c in text) and gold_choice(raw_gold) is None and "\\" not in text
    return bool(_WORD.match(text)) and not text.startswith("\\")


def _text_key(raw: str) -> str:
    return " ".join(_unwrap_text(raw).lower().replace("\\", " ").split()).strip(". ")


def base_number(text: str) -> tuple[str, int] | None:
    """(digits, base) of a normalised ``204_5`` or ``204_{5}`` with digits valid in the base, else ``None``.

    Example:
        >>> base_number("0204_{5}"), base_number("204_3"), base_number("x_1")
        (('204', 5), None, None)
    """
    match = _BASE_SUBSCRIPT.match(text)
    if match is None:
        return None
    digits, base = match.group(1), int(match.group(2) or match.group(3))
    if not 2 <= base <= 36 or any(int(d, 36) >= base for d in digits):
        return None
    return digits.lstrip("0") or "0", base


def _compare_base(gold: tuple[str, int], pred: str) -> Verdict | None:
    """A base-subscript gold: the same digits in the same base pass; the subscript may be left out."""
    based = base_number(pred)
    if based is not None:
        if based == gold:
            return Verdict(1.0)
        return Verdict(0.0, "different base" if based[0] == gold[0] else "different digits")
    if _BASE_DIGITS.match(pred):
        same = (pred.lstrip("0") or "0") == gold[0]
        return Verdict(1.0) if same else Verdict(0.0, f"expected the digits {gold[0]} in base {gold[1]}")
    return None


def is_unevaluated_arithmetic(pred: str) -> bool:
    """True for a numeric expression left unevaluated (normalised input).

    Example:
        >>> [is_unevaluated_arithmetic(s) for s in ("14+0", "2\\\\cdot7", "x+1")]
        [True, True, False]
    """
    stripped = _ARITHMETIC_COMMANDS.sub(" ", pred)
    if not set(stripped) <= _ARITHMETIC_CHARS or not any(c.isdigit() for c in stripped):
        return False
    body = stripped.lstrip("+- ")
    return stripped != pred or any(c in _OPERATORS for c in body)


def numbers_equal(gold: Num, pred: Num, policy: MathPolicy) -> tuple[bool, str]:
    """Compare two numbers under the policies of the module docstring; returns (equal, reason).

    Example:
        >>> from fractions import Fraction as F
        >>> numbers_equal(Num(F(1, 3)), Num(F(333, 1000), 3), MathPolicy())
        (False, 'decimal approximation of an exact answer')
        >>> numbers_equal(Num(F(33, 100), 2), Num(F(1, 3)), MathPolicy())
        (True, '')
    """
    if gold.decimals is not None:
        tolerance = Fraction(1, 2 * 10**gold.decimals)
        if abs(pred.value - gold.value) <= tolerance:
            return True, ""
        return False, "different number"
    if pred.value == gold.value:
        return True, ""
    if pred.decimals is not None:
        close = abs(pred.value - gold.value) <= Fraction(1, 2 * 10**pred.decimals)
        if close and policy.allow_decimal_approximation:
            return True, ""
        if close:
            return False, "decimal approximation of an exact answer"
    return False, "different number"


def _scalars_equal(gold: Any, pred: Any, policy: MathPolicy) -> tuple[bool, str]:
    if isinstance(gold, Infinity) or isinstance(pred, Infinity):
        same = isinstance(gold, Infinity) and isinstance(pred, Infinity) and gold.sign == pred.sign
        return same, "" if same else "different value"
    if isinstance(gold, Group) or isinstance(pred, Group):
        return values_equal(gold, pred, policy)
    if isinstance(gold, Surd) or isinstance(pred, Surd):
        return _surds_equal(gold, pred, policy)
    return numbers_equal(gold, pred, policy)


def _as_surd(value: Surd | Num) -> Surd | None:
    """An exact number as a surd (a decimal is not exact: ``None``)."""
    if isinstance(value, Surd):
        return value
    if value.decimals is not None or value.percent:
        return None
    return Surd((((1, 0, 0, ()), value.value),) if value.value else ())


def _functions_equal(gold: Surd | Num, pred: Surd | Num) -> tuple[bool, str]:
    """Answers with functions (``\\cot x``): the same canonical form is equal; a difference of one term
    (``-\\cot x`` for ``\\cot x``, ``2\\sin x`` for ``\\sin x``) is not, since a function of a variable is
    not identically zero; anything else may be an identity and is left to sympy."""
    left, right = _as_surd(gold), _as_surd(pred)
    if left is None or right is None:
        raise _Undecided
    if left == right:
        return True, ""
    if len(left.minus(right).terms) == 1:
        return False, "different value"
    raise _Undecided


class _Undecided(Exception):
    """Raised inside a comparison that only sympy can settle (functions that may obey an identity)."""


def _surds_equal(gold: Surd | Num, pred: Surd | Num, policy: MathPolicy) -> tuple[bool, str]:
    """Exact comparison where at least one side is irrational (canonical forms are unique)."""
    if (isinstance(gold, Surd) and gold.has_functions) or (isinstance(pred, Surd) and pred.has_functions):
        return _functions_equal(gold, pred)
    if isinstance(gold, Surd) and isinstance(pred, Surd):
        same = gold == pred
        return same, "" if same else "different value"
    surd, number = (gold, pred) if isinstance(gold, Surd) else (pred, gold)
    assert isinstance(surd, Surd) and isinstance(number, Num)
    if number is pred and number.decimals is not None and not surd.has_variables:  # approximating a gold
        close = abs(surd.approximate() - float(number.value)) <= 0.5 * 10.0**-number.decimals
        if close and policy.allow_decimal_approximation:
            return True, ""
        if close:
            return False, "decimal approximation of an exact answer"
    return False, "different value"


def _distinct(items: tuple[Any, ...]) -> tuple[Any, ...]:
    """The items without repeats (``(3,17)`` listed twice is one solution)."""
    kept: list[Any] = []
    for item in items:
        if not any(item == other for other in kept):
            kept.append(item)
    return tuple(kept)


def _unordered_equal(gold: tuple[Any, ...], pred: tuple[Any, ...], policy: MathPolicy) -> bool:
    gold, pred = _distinct(gold), _distinct(pred)
    if len(gold) != len(pred):
        return False
    unused = list(pred)
    for item in gold:
        for index, candidate in enumerate(unused):
            if _scalars_equal(item, candidate, policy)[0]:
                del unused[index]
                break
        else:
            return False
    return True


_UNORDERED = ("set", "list")


def values_equal(gold: Value, pred: Value, policy: MathPolicy) -> tuple[bool, str]:
    """Compare two read values (numbers or groups); returns (equal, reason).

    Example:
        >>> values_equal(parse_value("\\\\{1,2\\\\}"), parse_value("(1,2)"), MathPolicy())
        (False, 'a set is not a tuple')
        >>> values_equal(parse_value("1,-2"), parse_value("\\\\{-2,1\\\\}"), MathPolicy())
        (True, '')
    """
    if not isinstance(gold, Group):
        if isinstance(pred, Group):
            return False, f"expected one value, got {len(pred.items)}"
        return _scalars_equal(gold, pred, policy)
    if not isinstance(pred, Group):
        return False, f"expected {len(gold.items)} values, got one"
    if gold.kind == "ratio" or pred.kind == "ratio":
        if gold.kind != pred.kind:
            return False, "a ratio or time is not a " + (pred.kind if gold.kind == "ratio" else gold.kind)
        same = gold.items == pred.items
        return same, "" if same else "different ratio or time"
    if (gold.kind == "matrix") != (pred.kind == "matrix"):
        other = pred.kind if gold.kind == "matrix" else gold.kind
        return False, f"a matrix is not a{'n' if other[0] in 'aeiou' else ''} {other}"
    if gold.kind in _UNORDERED or pred.kind in _UNORDERED:
        if gold.kind in _UNORDERED and pred.kind in _UNORDERED:
            same = _unordered_equal(gold.items, pred.items, policy)
            return same, "" if same else "different values"
        if gold.kind == "set" or pred.kind == "set":
            other = pred.kind if gold.kind == "set" else gold.kind
            return False, f"a set is not a{'n' if other == 'interval' else ''} {other}"
        if {gold.kind, pred.kind} != {"list", "tuple"}:
            return False, f"a list is not a{'n' if 'interval' in (gold.kind, pred.kind) else ''} interval"
    elif gold.kind == "union" or pred.kind == "union":
        if gold.kind != pred.kind:
            return False, "a union of intervals is not a single interval"
        same = _unordered_equal(gold.items, pred.items, policy)
        return same, "" if same else "different intervals"
    elif gold.brackets != pred.brackets:
        return False, f"brackets {pred.brackets} instead of {gold.brackets}"
    if len(gold.items) != len(pred.items):
        return False, f"expected {len(gold.items)} values, got {len(pred.items)}"
    for g, p in zip(gold.items, pred.items, strict=True):
        same, reason = _scalars_equal(g, p, policy)
        if not same:
            return False, reason or "different values"
    return True, ""


_INTEGER = re.compile(r"-?\d{1,40}")


def _equations(raw_gold: str, gold: str, pred_raw: str, pred: str) -> Verdict | None:
    """Linear equations decided exactly (:mod:`rlvr.verifiers.math.equations`); a line or plane answered
    with a number is no answer (its right side is not the answer). ``None``: for the other paths."""
    gold_equation, pred_equation = stated_equations(raw_gold, gold, pred_raw, pred)
    equal = same_linear_equation(gold_equation, pred_equation)
    if equal is not None:
        return Verdict(1.0) if equal else Verdict(0.0, "a different equation")
    if "=" in gold_equation and "=" not in pred_equation and (linear_variables(gold_equation) or 0) >= 2:
        value = parse_surd(pred_equation)
        if value is not None and not value.has_variables:
            return Verdict(0.0, "expected an equation, got a value")
    return None


def compare_fast(raw_gold: str, gold: str, pred_raw: str, pred: str, policy: MathPolicy) -> Verdict | Any:
    """Decide one (gold, prediction) pair in-process, or return ``NOT_HANDLED``.

    ``gold`` and ``pred`` are normalised; the raw strings keep what normalisation drops (text
    wrappers, case) for multiple-choice and text answers.

    Example:
        >>> compare_fast("\\\\frac{1}{2}", "\\\\frac{1}{2}", "0.5", "0.5", MathPolicy())
        Verdict(score=1.0, reason='')
        >>> compare_fast("10000", "10000", "10001", "10001", MathPolicy()).score
        0.0
        >>> compare_fast("2\\\\sqrt{3}", "2\\\\sqrt{3}", "\\\\sqrt{12}", "\\\\sqrt{12}", MathPolicy())
        Verdict(score=1.0, reason='')
        >>> compare_fast("x^2-1", "x^2-1", "(x-1)(x+1)", "(x-1)(x+1)", MathPolicy())
        Verdict(score=1.0, reason='')
        >>> compare_fast("\\\\cot x", "\\\\cot x", "\\\\tan x", "\\\\tan x", MathPolicy())
        NOT_HANDLED
    """
    if raw_gold == gold and _INTEGER.fullmatch(gold) and _INTEGER.fullmatch(pred):
        # two integers (GSM8K's every answer): equal or not, nothing else to weigh (fast)
        return Verdict(1.0) if int(gold) == int(pred) else Verdict(0.0, "different number")
    choice = gold_choice(raw_gold)
    if choice is not None:
        got = _pred_choice(pred_raw)
        if got is None:
            return Verdict(0.0, f"expected an option letter ({choice})")
        return Verdict(1.0) if got == choice else Verdict(0.0, f"option {got}, not {choice}")
    if is_text_answer(raw_gold):
        same = _text_key(raw_gold) == _text_key(pred_raw)
        return Verdict(1.0) if same else Verdict(0.0, "different text")
    if gold == pred:
        return Verdict(1.0)
    gold_base = base_number(gold)
    if gold_base is not None:
        verdict = _compare_base(gold_base, pred)
        if verdict is not None:
            return verdict
    if _DIVISION_BY_ZERO.search(pred):
        return Verdict(0.0, "division by zero")
    if "=" in raw_gold or "=" in pred_raw or "=" in gold or "=" in pred:
        verdict = _equations(raw_gold, gold, pred_raw, pred)
        if verdict is not None:
            return verdict
    if "=" in pred and "=" not in gold and not any(op in pred for op in ("\\le", "\\ge", "<", ">")):
        left = pred.split("=", 1)[0].replace("\\frac", "")
        if pred.count("=") >= 2 or not any(c.isalpha() for c in left):
            # the normaliser keeps only chains whose sides contradict each other ("3=2", "1=2=3") and
            # assignments it cannot read as an ordered pair ("y=2, x=1")
            return Verdict(0.0, "several equations" if "," in pred else "a chain of different values")
    gold_value = parse_value(gold)
    if gold_value is None:
        if is_prose(pred):
            return Verdict(0.0, "the answer is words, not math")
        return NOT_HANDLED
    scalar = not isinstance(gold_value, Group)
    pred_value = parse_value(pred, scalar_expected=scalar)
    if pred_value is None:
        if not isinstance(gold_value, Surd) and is_unevaluated_arithmetic(pred):
            return Verdict(0.0, "unevaluated arithmetic: the answer must be the value")
        if isinstance(gold_value, Surd):
            pred_surd = parse_surd(pred)
            if pred_surd is not None and pred_surd.is_rational:  # a rational is never an irrational
                return Verdict(0.0, "different value")
        if is_prose(pred):
            return Verdict(0.0, "the answer is words, not math")
        if pred.startswith("\\approx") or pred.startswith("~"):
            return Verdict(0.0, "an approximate answer")
        return NOT_HANDLED
    try:
        same, reason = values_equal(gold_value, pred_value, policy)
    except _Undecided:
        return NOT_HANDLED
    return Verdict(1.0) if same else Verdict(0.0, reason)
