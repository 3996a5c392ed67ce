"""A plain-Python reading of the common answer forms into exact values, with no sympy.

Numbers become :class:`Num` (an exact ``Fraction`` plus the precision a decimal was written with):
integers with signs, leading zeros and thousands separators (a comma followed by exactly three digits,
after a first group without a leading zero: ``0,111`` is not one hundred and eleven, and ``32, 349`` is a
list); decimals, with a decimal comma after a zero (``0,5``); repeating decimals (``0.\\overline{3}``,
``0.8\\overline{3}``, ``0.555\\ldots``: exact); ``\\frac{a}{b}`` and ``a/b`` (unreduced too); mixed numbers
``7\\frac{3}{4}``; scientific notation ``3\\times10^{5}``, ``3e5``; whole-answer number words (``five``,
``twenty-one``); percentages (kept as written: ``50%`` is 50 with a percent mark, never 0.5). Tuples,
sets, bare lists (of numbers or of tuples), intervals, unions of intervals, matrices (times a scalar:
``\\frac{1}{3}\\begin{pmatrix}…``) and ratios or clock times (``7:32``, ``3:00``) become :class:`Group`.
Anything else is ``None``: the symbolic path (sympy, in a worker under a deadline) decides it.

Input is a normalised answer (see :mod:`rlvr.verifiers.math.normalize`). Sizes are capped so that no
input makes this slow: numbers of more than ``MAX_DIGITS`` digits and exponents beyond ``MAX_EXPONENT``
are left to the symbolic path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from rlvr.verifiers.math.surds import Surd, multiply, parse_surd
from rlvr.verifiers.math.words import number_words

MAX_DIGITS = 2_000
MAX_EXPONENT = 400
MAX_ITEMS = 64

GroupKind = Literal["tuple", "set", "list", "interval", "union", "matrix", "ratio"]

_PLAIN = re.compile(r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^([+-]?)([1-9]\d{0,2}(?:,\d{3})+)(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^([+-]?)0,(\d+)$")
_REPEATING = re.compile(r"^([+-]?)(\d*)\.(\d*)(?:\\overline\{(\d{1,12})\}|\\overline(\d))$")
_ELLIPSIS = re.compile(r"^([+-]?)(\d*)\.(\d{2,40})\\ldots$")
_RATIO = re.compile(r"^(\d{1,12}):(\d{1,12})$")
_SIGNED_PLAIN = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_SCI_E = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))[eE]([+-]?\d+)$")
_SCI_TIMES = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:\\times|\\cdot)10\^(?:\{([+-]?\d+)\}|(\d))$")
_POWER_OF_TEN = re.compile(r"^10\^(?:\{([+-]?\d+)\}|(\d))$")
_SLASH = re.compile(r"^([+-]?\d+)/([+-]?\d+)$")
_FRAC = re.compile(r"^([+-]?)\\frac(?:\{([^{}]+)\}|(\d))(?:\{([^{}]+)\}|(\d))$")
_MIXED = re.compile(r"^([+-]?)(\d+)\\frac(?:\{(\d+)\}\{(\d+)\}|(\d)(\d))$")
_MC = re.compile(r"^\(?([a-eA-E])\)?$")


@dataclass(frozen=True, slots=True)
class Num:
    """An exact number as written.

    Attributes:
        value: the exact value.
        decimals: digits written after the decimal point, or ``None`` for an exact form (integer,
            fraction); the precision a decimal gold states.
        percent: written with a percent sign.

    Example:
        >>> parse_number("12.50")
        Num(value=Fraction(25, 2), decimals=2, percent=False)
    """

    value: Fraction
    decimals: int | None = None
    percent: bool = False


@dataclass(frozen=True, slots=True)
class Infinity:
    """``\\infty`` or ``-\\infty`` (interval endpoints)."""

    sign: int = 1


Scalar = Num | Infinity | Surd


@dataclass(frozen=True, slots=True)
class Group:
    """Several values: a tuple (ordered), a set or bare list (unordered), an interval, a union.

    Example:
        >>> parse_value("[2,5)")
        Group(kind='interval', items=(Num(value=Fraction(2, 1), decimals=None, percent=False), \
Num(value=Fraction(5, 1), decimals=None, percent=False)), brackets='[)')
    """

    kind: GroupKind
    items: tuple[Scalar | Group, ...]
    brackets: str = ""


Value = Num | Infinity | Surd | Group


def _decimal(sign: str, digits: str) -> Num | None:
    if len(digits) > MAX_DIGITS:
        return None
    whole, point, fraction = digits.partition(".")
    scale = 10 ** len(fraction)  # one exact division, no Fraction arithmetic (slow): 2.50 = 250/100
    numerator = int(whole or "0") * scale + (int(fraction) if fraction else 0)
    value = Fraction(-numerator if sign == "-" else numerator, scale)
    return Num(value, len(fraction) if point else None)


def _exact_or_decimal(text: str) -> Num | None:
    match = _PLAIN.match(text)
    return _decimal(match.group(1), match.group(2)) if match else None


def parse_number(text: str, *, thousands: bool = True) -> Num | None:
    """Read one number (see the module docstring); ``None`` when ``text`` is not one of the forms.

    Args:
        text: a normalised answer.
        thousands: read ``7,425,000`` as one number (commas in groups of three).

    Example:
        >>> parse_number("-\\\\frac{6}{8}").value
        Fraction(-3, 4)
        >>> parse_number("7\\\\frac{3}{4}").value
        Fraction(31, 4)
        >>> parse_number("3\\\\times10^{5}").value
        Fraction(300000, 1)
        >>> parse_number("1,000", thousands=False) is None
        True
    """
    if not text or len(text) > MAX_DIGITS + 40:
        return None
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    number = _parse_unsigned_forms(text, thousands)
    if number is None:
        return None
    return Num(number.value, number.decimals, percent) if percent else number


def _parse_unsigned_forms(text: str, thousands: bool) -> Num | None:
    number = _exact_or_decimal(text)
    if number is not None:
        return number
    if thousands:
        match = _GROUPED.match(text)
        if match:
            return _decimal(match.group(1), match.group(2).replace(",", "") + (match.group(3) or ""))
        match = _DECIMAL_COMMA.match(text)
        if match:
            return _decimal(match.group(1), "0." + match.group(2))
    if "\\overline" in text or "\\ldots" in text:
        return _repeating(text)
    if text and text[0].isalpha():
        words = number_words(text)
        return Num(Fraction(words)) if words is not None else None
    match = _SLASH.match(text)
    if match:
        return _ratio(Num(Fraction(int(match.group(1)))), Num(Fraction(int(match.group(2)))))
    match = _FRAC.match(text)
    if match:
        sign, top_braced, top_digit, bottom_braced, bottom_digit = match.groups()
        top, bottom = top_braced or top_digit, bottom_braced or bottom_digit
        numerator, denominator = _exact_or_decimal(top), _exact_or_decimal(bottom)
        if numerator is None or denominator is None:
            return None
        result = _ratio(numerator, denominator)
        if result is not None and sign == "-":
            result = Num(-result.value, result.decimals)
        return result
    match = _MIXED.match(text)
    if match:
        sign, whole = match.group(1), match.group(2)
        top, bottom = match.group(3) or match.group(5), match.group(4) or match.group(6)
        if int(bottom) == 0 or int(top) >= int(bottom):
            return None
        value = int(whole) + Fraction(int(top), int(bottom))
        return Num(-value if sign == "-" else value)
    match = _SCI_E.match(text) or _SCI_TIMES.match(text)
    if match:
        mantissa = _exact_or_decimal(match.group(1))
        exponent_text = next(g for g in match.groups()[1:] if g is not None)
        return _scaled(mantissa, int(exponent_text))
    match = _POWER_OF_TEN.match(text)
    if match:
        return _scaled(Num(Fraction(1)), int(match.group(1) or match.group(2)))
    return None


def _repeating(text: str) -> Num | None:
    """``0.\\overline{3}``, ``0.8\\overline{3}``, ``1.\\overline{27}``, ``0.555\\ldots`` as exact fractions.

    With an ellipsis the repeating block is the shortest one written at least twice at the end
    (``0.1666\\ldots`` is 1/6, ``0.142857142857\\ldots`` is 1/7); ``0.12\\ldots`` shows no repetition and is
    not read.
    """
    match = _REPEATING.match(text)
    if match:
        sign, whole, fixed, block = (
            match.group(1),
            match.group(2),
            match.group(3),
            match.group(4) or match.group(5),
        )
    else:
        match = _ELLIPSIS.match(text)
        if not match:
            return None
        sign, whole, digits = match.groups()
        for period in range(1, len(digits) // 2 + 1):
            if digits[-period:] == digits[-2 * period : -period]:
                fixed, block = digits[:-period], digits[-period:]
                break
        else:
            return None
    shift = 10 ** len(fixed)
    fraction = Fraction(int(fixed or "0"), shift) + Fraction(int(block), shift * (10 ** len(block) - 1))
    value = int(whole or "0") + fraction
    return Num(-value if sign == "-" else value)


def _ratio(numerator: Num, denominator: Num) -> Num | None:
    if denominator.value == 0:
        return None
    exact = numerator.decimals is None and denominator.decimals is None
    return Num(
        numerator.value / denominator.value, None if exact else _combined_decimals(numerator, denominator)
    )


def _combined_decimals(*numbers: Num) -> int:
    return max(n.decimals or 0 for n in numbers)


def _scaled(mantissa: Num | None, exponent: int) -> Num | None:
    if mantissa is None or abs(exponent) > MAX_EXPONENT:
        return None
    value = mantissa.value * Fraction(10) ** exponent
    decimals = None if mantissa.decimals is None else max(0, mantissa.decimals - exponent)
    if decimals is None and exponent < 0:
        decimals = -exponent
    return Num(value, decimals)


def split_top_level(text: str, separator: str = ",") -> list[str] | None:
    """Split at separators outside braces, brackets and parentheses; ``None`` if unbalanced.

    Example:
        >>> split_top_level("\\\\frac{1}{2},(3,4),5")
        ['\\\\frac{1}{2}', '(3,4)', '5']
    """
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char in "{([":
            depth += 1
        elif char in "})]":
            depth -= 1
            if depth < 0:
                return None
        elif depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            i += len(separator)
            start = i
            continue
        i += 1
    if depth != 0:
        return None
    parts.append(text[start:])
    return parts


def _scalar(text: str) -> Scalar | None:
    if text in ("\\infty", "+\\infty", "infty", "inf"):
        return Infinity(1)
    if text in ("-\\infty", "-infty", "-inf"):
        return Infinity(-1)
    number = parse_number(text, thousands=False)
    if number is not None:
        return number
    # An irrational surd (2\sqrt{3}, 3\pi/4, 6-5i). A *rational* one written as arithmetic ("3+3") is not
    # a number literal: it stays unread, so the unevaluated-arithmetic policy applies to it.
    surd = parse_surd(text)
    return surd if surd is not None and not surd.is_rational else None


def _plus_minus(text: str) -> list[str] | None:
    """``a\\pm b`` as ``[a+b, a-b]`` (one top-level ``\\pm`` and a single-term ``b``), else ``None``."""
    pieces = split_top_level(text, "\\pm")
    if pieces is None or len(pieces) != 2:
        return None
    left, right = pieces
    if not right or split_top_level(right, "+") != [right] or split_top_level(right[1:], "-") != [right[1:]]:
        return None
    return [f"{left}+{right}", f"{left}-{right}"] if left else [right, f"-{right}"]


def _tuple_item(text: str) -> Group | None:
    """A tuple or interval inside a list: ``(2,2)`` in ``(2,2), (6,2)``."""
    if len(text) < 5 or text[0] not in "([" or text[-1] not in ")]":
        return None
    parts = split_top_level(text[1:-1])
    if parts is None or len(parts) < 2:
        return None
    items = _items(parts, nested=False)
    if items is None:
        return None
    brackets = text[0] + text[-1]
    kind: GroupKind = (
        "tuple" if brackets in ("()", "[]") and (brackets == "()" or len(items) != 2) else "interval"
    )
    return Group(kind, items, brackets)


def _items(texts: list[str], *, nested: bool = True) -> tuple[Scalar | Group, ...] | None:
    if len(texts) > MAX_ITEMS:
        return None
    items: list[Scalar | Group] = []
    for raw in texts:
        text = raw.strip()
        expanded = _plus_minus(text) if "\\pm" in text else None
        for piece in expanded or [text]:
            item: Scalar | Group | None = _scalar(piece)
            if item is None and nested:
                item = _tuple_item(piece)
            if item is None:
                return None
            items.append(item)
    return tuple(items)


_MATRIX = re.compile(r"^(.{0,80}?)\\begin\{([pb]?matrix)\}(.*)\\end\{\2\}$", re.DOTALL)


def _scale(item: Scalar | Group, factor: Num | Surd) -> Scalar | None:
    """``factor`` times one matrix entry (exact), or ``None`` when that is not a plain value."""
    if isinstance(item, Num) and isinstance(factor, Num):
        decimals = (
            None if item.decimals is None and factor.decimals is None else _combined_decimals(item, factor)
        )
        return Num(item.value * factor.value, decimals)
    if isinstance(item, (Num, Surd)) and not (isinstance(item, Num) and item.decimals is not None):
        product = multiply(
            item if isinstance(item, Surd) else item.value,
            factor if isinstance(factor, Surd) else factor.value,
        )
        if product is None:
            return None
        if product.is_rational:
            return Num(product.rational_value())
        return product
    return None


def _matrix(text: str) -> Group | None:
    """``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}`` (or bmatrix, matrix) as rows of values; a
    scalar written before it (``-``, ``\\frac{1}{3}``, ``2\\sqrt{2}``) multiplies every entry."""
    match = _MATRIX.match(text)
    if not match:
        return None
    prefix = match.group(1).strip()
    for operator in ("\\cdot", "\\times", "*"):
        if prefix.endswith(operator):
            prefix = prefix[: -len(operator)].strip()
    factor: Num | Surd | None = Num(Fraction(1))
    if prefix in ("-", "+"):
        factor = Num(Fraction(-1 if prefix == "-" else 1))
    elif prefix:
        factor = parse_number(prefix, thousands=False) or parse_surd(prefix)
        if factor is None or "\\begin" in prefix:
            return None
    rows = []
    for row in match.group(3).split("\\\\"):
        if not row.strip():
            continue
        items = _items(row.split("&"), nested=False)
        if items is None:
            return None
        if prefix and factor is not None:
            scaled = [_scale(item, factor) for item in items]
            if any(item is None for item in scaled):
                return None
            items = tuple(scaled)  # type: ignore[arg-type]
        rows.append(Group("tuple", items, "()"))
    if not rows or len({len(r.items) for r in rows}) != 1:
        return None
    return Group("matrix", tuple(rows))


_RELATION = re.compile(r"^(?:(.+?)(<|\\le))?([a-zA-Z])(<|>|\\le|\\ge)(.+)$")


def _relation(text: str) -> Group | None:
    """A one-variable inequality with value bounds as the interval it describes (``x>3``, ``-1\\le x<2``)."""
    text = text.replace("\\lt", "<").replace("\\gt", ">")
    match = _RELATION.match(text)
    if not match:
        return None
    low_text, low_op, _, op, bound_text = match.groups()
    bound = _scalar(bound_text)
    if bound is None or isinstance(bound, Infinity):
        return None
    if low_text is None:
        if op in ("<", "\\le"):
            return Group("interval", (Infinity(-1), bound), "(" + (")" if op == "<" else "]"))
        return Group("interval", (bound, Infinity(1)), ("(" if op == ">" else "[") + ")")
    low = _scalar(low_text)
    if low is None or isinstance(low, Infinity) or op not in ("<", "\\le"):
        return None
    return Group("interval", (low, bound), ("(" if low_op == "<" else "[") + (")" if op == "<" else "]"))


def _interval(text: str) -> Group | None:
    if len(text) < 5 or text[0] not in "([" or text[-1] not in ")]":
        return None
    parts = split_top_level(text[1:-1])
    if parts is None or len(parts) != 2:
        return None
    items = _items(parts, nested=False)
    if items is None:
        return None
    brackets = text[0] + text[-1]
    kind: GroupKind = "tuple" if brackets == "()" else "interval"
    return Group(kind, items, brackets)


def parse_value(text: str, *, scalar_expected: bool = True) -> Value | None:
    """Read a normalised answer as a number or a group of numbers; ``None`` for anything else.

    Args:
        text: a normalised answer.
        scalar_expected: the gold is a single number, so ``1,000`` is one thousand rather than a list.

    Example:
        >>> parse_value("\\\\{3,1\\\\}").kind
        'set'
        >>> parse_value("1,-2").kind
        'list'
        >>> parse_value("7,425,000").value
        Fraction(7425000, 1)
        >>> parse_value("(-\\\\infty,0)\\\\cup(1,\\\\infty)").kind
        'union'
    """
    if not text:
        return None
    if text in ("\\emptyset", "\\{\\}"):
        return Group("set", ())
    if scalar_expected:
        number = parse_number(text, thousands=True)
        if (
            number is None
            and text[0] == "("
            and text[-1] == ")"
            and split_top_level(text[1:-1]) == [text[1:-1]]
        ):
            number = parse_number(text[1:-1], thousands=True)  # "(-5)", "\\left(\\frac{3}{4}\\right)"
        if number is not None:
            return number
    if "\\cup" in text:
        pieces = split_top_level(text, "\\cup")
        if pieces is None or len(pieces) > MAX_ITEMS:
            return None
        intervals = [_interval(piece) for piece in pieces]
        if any(piece is None for piece in intervals):
            return None
        return Group("union", tuple(intervals))  # type: ignore[arg-type]
    if text.startswith("\\{") and text.endswith("\\}"):
        parts = split_top_level(text[2:-2])
        items = _items(parts) if parts is not None else None
        return Group("set", items) if items is not None else None
    if "\\begin{" in text and text.endswith("matrix}"):
        return _matrix(text)
    ratio = _RATIO.match(text)
    if ratio:
        return Group("ratio", (Num(Fraction(int(ratio.group(1)))), Num(Fraction(int(ratio.group(2))))))
    if text[0] in "([" and text[-1] in ")]":
        group = _interval(text)
        if group is not None:
            return group
        parts = split_top_level(text[1:-1])
        if parts is not None and len(parts) >= 2 and text[0] + text[-1] in ("()", "[]"):
            items = _items(parts)
            return Group("tuple", items, text[0] + text[-1]) if items is not None else None
        # not a group after all: "(a+5)(b+2)" is one value
    parts = split_top_level(text)
    if parts is not None and len(parts) >= 2:
        items = _items(parts)
        return Group("list", items) if items is not None else None
    if "\\pm" in text:
        items = _items([text])
        return Group("list", items) if items is not None else None
    if any(op in text for op in ("<", ">", "\\le", "\\ge", "\\lt", "\\gt")):
        return _relation(text)
    return _scalar(text)


def parse_choice(text: str) -> str | None:
    """A multiple-choice letter A–E written as ``B``, ``(B)``, ``\\text{(B)}`` (normalised), or ``None``.

    Example:
        >>> parse_choice("(b)"), parse_choice("E"), parse_choice("F")
        ('B', 'E', None)
    """
    match = _MC.match(text)
    return match.group(1).upper() if match else None


def is_plain_number(text: str) -> bool:
    """True for a bare signed integer or decimal.

    Example:
        >>> is_plain_number("-12.5"), is_plain_number("12a")
        (True, False)
    """
    return bool(_SIGNED_PLAIN.match(text))
