"""Deterministic rewrites of a gold answer: equivalent spellings that must pass, near misses that must fail.

Used by ``rlvr bench math-agreement`` (rewrite acceptance and near-miss rejection), ``rlvr bench math``
(the MATH-500 pair mix) and ``rlvr bench eval`` (realistic samples).

Example:
    >>> any(r.text == "0.5" and r.equivalent for r in math_rewrites("\\\\frac{1}{2}"))
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from rlvr.verifiers.math.spellings import decimal_text, group_digits, latex_number, terminating_places
from rlvr.verifiers.math.values import split_top_level

# -- rewrites of a gold ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rewrite:
    """Another spelling of a gold answer: ``equivalent`` ones must pass, near-misses must fail.

    Example:
        >>> Rewrite("slash", "1/2", True).equivalent
        True
    """

    kind: str
    text: str
    equivalent: bool


_INT = re.compile(r"^-?\d+$")
_GROUPED_INT = re.compile(r"^-?\d{1,3}(?:,\d{3})+$")
_DECIMAL = re.compile(r"^-?\d*\.\d+$")
_FRAC = re.compile(r"^(-?)\\([dt]?)frac\s*(?:\{(\d+)\}|(\d))\s*(?:\{(\d+)\}|(\d))$")
_MIXED = re.compile(r"^(\d+)\s*\\[dt]?frac\{(\d+)\}\{(\d+)\}$")
_DEGREES = re.compile(r"^(-?\d+)\^\\circ$")
_UNIT = re.compile(r"^(.+?)\s*\\(?:text|mbox)\{\s*[a-zA-Z][a-zA-Z ]*\}(?:\^2)?$")
_BASE = re.compile(r"^(\d+)_(\{\d+\}|\d)$")
_CHOICE = re.compile(r"^\\text\{\(([A-E])\)\}$")
_TEXT = re.compile(r"^\\text\{([A-Za-z][A-Za-z ]*)\}$")
_LAST_INT = re.compile(r"\d+(?!.*\d)", re.DOTALL)
_SQRT_DIGIT = re.compile(r"\\sqrt(\d)")


def _clean_money(text: str) -> str:
    text = text.replace("\\$", "").replace(",\\!", ",").replace("{,}", ",")
    return "".join(text.split())


def _as_integer(text: str) -> int | None:
    cleaned = _clean_money(text)
    if _INT.match(cleaned) or _GROUPED_INT.match(cleaned):
        return int(cleaned.replace(",", ""))
    return None


def _exact_decimal(value: Fraction) -> str | None:
    """The terminating decimal of ``value`` (``None`` when it repeats), e.g. 5/4 -> '1.25', 2 -> '2'."""
    places = terminating_places(value)
    return None if places is None else decimal_text(value, places)


def _frac(value: Fraction) -> str:
    """``value`` as a ``\\frac``, even an integer (``\\frac{5}{1}``: the fraction rewrite of ``5.0``)."""
    if value.denominator != 1:
        return latex_number(value)
    return f"{'-' if value < 0 else ''}\\frac{{{abs(value.numerator)}}}{{1}}"


def _split_top(text: str) -> list[str] | None:
    """Top-level comma-separated parts, stripped (``None`` when brackets are unbalanced)."""
    parts = split_top_level(text)
    return None if parts is None else [part.strip() for part in parts]


def _terms(text: str) -> list[str]:
    """Top-level signed terms of a sum: ``x^3+3x-6`` -> ['x^3', '+3x', '-6']."""
    terms, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "{([":
            depth += 1
        elif char in "})]":
            depth -= 1
        elif depth == 0 and char in "+-" and text[:i].strip() and text[:i].rstrip()[-1] not in "^_{(+-=,":
            terms.append(text[start:i].strip())
            start = i
    terms.append(text[start:].strip())
    return [t for t in terms if t]


def _signed(term: str) -> str:
    return term[0] + term[1:].strip() if term[0] in "+-" else "+" + term


def _join_terms(terms: list[str]) -> str:
    text = "".join(_signed(t) for t in terms)
    return text[1:] if text.startswith("+") else text


def _flip_sign(term: str) -> str:
    term = _signed(term)
    return ("-" if term[0] == "+" else "+") + term[1:]


def _bump_last_int(text: str) -> str | None:
    match = _LAST_INT.search(text)
    if match is None:
        return None
    return text[: match.start()] + str(int(match.group()) + 1) + text[match.end() :]


def _respace(text: str) -> str | None:
    """Remove optional spaces (keeping those between letters), or add some where there are none."""
    if " " in text:
        out = re.sub(r"(?<![A-Za-z]) +| +(?![A-Za-z])", "", text)
    else:
        out = re.sub(r"(?<=[^\s^_{(+\-=,])([+\-=])(?=\S)", r" \1 ", text)
    return out if out != text else None


def _integer_rewrites(value: int, gold: str) -> list[Rewrite]:
    out = []
    plain = str(value)
    if gold != plain:
        out.append(Rewrite("plain_integer", plain, True))
    elif abs(value) >= 1000:
        grouped = ("-" if value < 0 else "") + group_digits(str(abs(value)), ",")
        out.append(Rewrite("thousands_separator", grouped, True))
    out += [
        Rewrite("text_units", f"{value}\\text{{ units}}", True),
        Rewrite("assignment", f"x = {value}", True),
        Rewrite("trailing_zero", f"{value}.0", True),
        Rewrite("plus_one", str(value + 1), False),
    ]
    return out


def integer_rewrites(gold: str) -> list[Rewrite]:
    """Rewrites of a GSM8K-style integer gold.

    Example:
        >>> [(r.kind, r.text) for r in integer_rewrites("1234")][:3]
        [('thousands_separator', '1,234'), ('text_units', '1234\\\\text{ units}'), ('assignment', 'x = 1234')]
    """
    value = _as_integer(gold)
    if value is None:
        raise ValueError(f"not an integer gold: {gold!r}")
    out = _integer_rewrites(value, gold)
    out.append(Rewrite("dollar_sign", f"\\${value}", True))
    if value != 0:
        out.append(Rewrite("times_ten", str(value * 10), False))
    return out


def _interval_rewrites(gold: str, prefix: str, body: str) -> list[Rewrite]:
    out = []
    pieces = [p.strip() for p in body.split("\\cup")]
    spaced = []
    for piece in pieces:
        inner = piece.replace("\\left", "").replace("\\right", "").strip()
        parts = _split_top(inner[1:-1])
        if parts is None:
            return []
        spaced.append(f"\\left{inner[0]} {', '.join(parts)} \\right{inner[-1]}")
    respaced = prefix + " \\cup ".join(spaced)
    if "\\left" in gold:
        respaced = prefix + "\\cup".join(
            p.replace("\\left", "").replace("\\right", "").replace(" ", "") for p in pieces
        )
    out.append(Rewrite("left_right_spacing", respaced, True))
    flipped = None
    for i, piece in enumerate(pieces):
        inner = piece.replace("\\left", "").replace("\\right", "").strip()
        parts = _split_top(inner[1:-1]) or []
        if len(parts) == 2 and "\\infty" not in parts[0]:
            swap = {"(": "[", "[": "("}[inner[0]]
            flipped = [*pieces[:i], swap + inner[1:], *pieces[i + 1 :]]
            break
        if len(parts) == 2 and "\\infty" not in parts[1]:
            swap = {")": "]", "]": ")"}[inner[-1]]
            flipped = [*pieces[:i], inner[:-1] + swap, *pieces[i + 1 :]]
            break
    if flipped is not None:
        out.append(Rewrite("flipped_bracket", prefix + " \\cup ".join(flipped), False))
    if len(pieces) == 1 and not prefix:
        inner = pieces[0].replace("\\left", "").replace("\\right", "").strip()
        low, high = _split_top(inner[1:-1]) or ["", ""]
        greater, less = (">", "<") if inner[0] == "(" else ("\\ge", "\\le")
        if high == "\\infty" and "\\infty" not in low:
            out.append(Rewrite("inequality", f"x {greater} {low}", True))
            out.append(Rewrite("inequality_reversed", f"x {less} {low}", False))
        elif low == "-\\infty" and "\\infty" not in high:
            less, greater = ("<", ">") if inner[-1] == ")" else ("\\le", "\\ge")
            out.append(Rewrite("inequality", f"x {less} {high}", True))
            out.append(Rewrite("inequality_reversed", f"x {greater} {high}", False))
    return out


def _brace_group(text: str, start: int) -> int:
    """Index just past the brace group opening at ``start`` (-1 if there is none)."""
    if start >= len(text) or text[start] != "{":
        return -1
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    return -1


def _whole_fraction(text: str) -> tuple[str, str, str] | None:
    """(sign, numerator, denominator) when ``text`` is one ``\\frac{..}{..}``, else ``None``."""
    sign = "-" if text.startswith("-") else ""
    body = text[len(sign) :]
    if not body.startswith("\\frac{"):
        return None
    top_end = _brace_group(body, len("\\frac"))
    bottom_end = _brace_group(body, top_end) if top_end > 0 else -1
    if bottom_end != len(body):
        return None
    return sign, body[len("\\frac") + 1 : top_end - 1], body[top_end + 1 : bottom_end - 1]


def _operand(text: str) -> str:
    return f"({text})" if any(c in text for c in "+-") or " " in text.strip() else text


def _symbolic_rewrites(gold: str) -> list[Rewrite]:
    out = []
    if "\\frac" in gold and "\\dfrac" not in gold:
        out.append(Rewrite("dfrac", gold.replace("\\frac", "\\dfrac"), True))
    fraction = _whole_fraction(gold)
    if fraction is not None:
        sign, top, bottom = fraction
        out.append(Rewrite("slash", f"{sign}{_operand(top)}/{_operand(bottom)}", True))
        root = re.fullmatch(r"\\sqrt\{(\d+)\}", top)
        if root and root.group(1) == bottom:
            out.append(Rewrite("unrationalised", f"{sign}\\frac{{1}}{{\\sqrt{{{bottom}}}}}", True))
    absorbed = re.fullmatch(r"(-?)(\d+)\s*\\sqrt\{?(\d+)\}?", gold)
    if absorbed and int(absorbed.group(2)) > 1:
        sign, factor, radicand = absorbed.group(1), int(absorbed.group(2)), int(absorbed.group(3))
        out.append(Rewrite("sqrt_absorbed", f"{sign}\\sqrt{{{factor * factor * radicand}}}", True))
    if _SQRT_DIGIT.search(gold):
        out.append(Rewrite("braced_sqrt", _SQRT_DIGIT.sub(r"\\sqrt{\1}", gold), True))
    respaced = _respace(gold)
    if respaced is not None:
        out.append(Rewrite("spacing", respaced, True))
    terms = _terms(gold) if "=" not in gold and "," not in gold else []
    if len(terms) >= 2:
        out.append(Rewrite("commuted_sum", _join_terms(terms[::-1]), True))
        out.append(Rewrite("sign_flipped", _join_terms([*terms[:-1], _flip_sign(terms[-1])]), False))
    bumped = _bump_last_int(gold)
    if bumped is not None:
        out.append(Rewrite("last_number_plus_one", bumped, False))
    elif len(terms) < 2 and "=" not in gold:
        out.append(Rewrite("negated", gold[1:] if gold.startswith("-") else "-" + gold, False))
    return out


def math_rewrites(gold: str) -> list[Rewrite]:
    """Equivalent spellings and near-miss corruptions of a MATH-style gold, generated deterministically.

    Example:
        >>> for r in math_rewrites("\\\\frac{3}{4}"):
        ...     print(r.kind, r.text, r.equivalent)
        dfrac \\dfrac{3}{4} True
        slash 3/4 True
        decimal 0.75 True
        unreduced \\frac{6}{8} True
        other_fraction \\frac{3}{5} False
        >>> [(r.kind, r.text) for r in math_rewrites("(3,4]")]
        [('left_right_spacing', '\\\\left( 3, 4 \\\\right]'), ('flipped_bracket', '[3,4]')]
        >>> [(r.kind, r.text) for r in math_rewrites("1,-2")]
        [('reordered', '-2, 1'), ('dropped_element', '1')]
    """
    gold = gold.strip()
    out: list[Rewrite] = []
    value = _as_integer(gold)
    match_frac = _FRAC.match(gold)
    match_mixed = _MIXED.match(gold)
    match_unit = _UNIT.match(gold)
    match_base = _BASE.match(gold)
    match_choice = _CHOICE.match(gold)
    match_text = _TEXT.match(gold)
    match_degrees = _DEGREES.match(gold)
    cleaned = _clean_money(gold)
    if value is not None:
        out = _integer_rewrites(value, gold)
    elif _DECIMAL.match(cleaned):
        exact = Fraction(cleaned)
        last = int(cleaned[-1])
        out = [
            Rewrite("fraction", _frac(exact), True),
            Rewrite("trailing_zero", cleaned + "0", True),
            Rewrite("last_digit_changed", cleaned[:-1] + str(last + 1 if last < 9 else 8), False),
        ]
    elif match_frac:
        sign, style, a1, a2, b1, b2 = match_frac.groups()
        top, bottom = int(a1 or a2), int(b1 or b2)
        exact = Fraction(top, bottom) * (-1 if sign else 1)
        out = [
            Rewrite("dfrac", f"{sign}\\{'' if style else 'd'}frac{{{top}}}{{{bottom}}}", True),
            Rewrite("slash", f"{sign}{top}/{bottom}", True),
        ]
        decimal = _exact_decimal(exact)
        if decimal is not None:
            out.append(Rewrite("decimal", decimal, True))
        out.append(Rewrite("unreduced", f"{sign}\\frac{{{2 * top}}}{{{2 * bottom}}}", True))
        if top != 0:
            out.append(Rewrite("other_fraction", f"{sign}\\frac{{{top}}}{{{bottom + 1}}}", False))
    elif match_mixed:
        whole, top, bottom = (int(g) for g in match_mixed.groups())
        exact = whole + Fraction(top, bottom)
        out = [Rewrite("improper_fraction", _frac(exact), True)]
        decimal = _exact_decimal(exact)
        if decimal is not None:
            out.append(Rewrite("decimal", decimal, True))
        out.append(
            Rewrite("other_fraction", f"\\frac{{{exact.numerator + 1}}}{{{exact.denominator}}}", False)
        )
    elif match_degrees:
        number = int(match_degrees.group(1))
        out = [
            Rewrite("degrees_dropped", str(number), True),
            Rewrite("degrees_in_words", f"{number}\\text{{ degrees}}", True),
            Rewrite("plus_one", f"{number + 1}^\\circ", False),
        ]
    elif match_unit:
        number = match_unit.group(1).strip()
        out = [Rewrite("units_dropped", number, True)]
        bumped = _bump_last_int(number)
        if bumped is not None:
            out.append(Rewrite("last_number_plus_one", bumped, False))
    elif match_base:
        digits, base_text = match_base.groups()
        base = int(base_text.strip("{}"))
        braced = f"{digits}_{{{base}}}" if not base_text.startswith("{") else f"{digits}_{base}"
        changed = digits[:-1] + str((int(digits[-1]) + 1) % base)
        out = [
            Rewrite("base_subscript_braces", braced, True),
            Rewrite("other_digit", f"{changed}_{base_text}", False),
        ]
    elif match_choice:
        letter = match_choice.group(1)
        other = "ABCDEA"["ABCDE".index(letter) + 1]
        out = [
            Rewrite("bare_letter", letter, True),
            Rewrite("parenthesised_letter", f"({letter})", True),
            Rewrite("other_letter", f"\\text{{({other})}}", False),
        ]
    elif match_text:
        out = [Rewrite("text_unwrapped", match_text.group(1), True)]
    elif "\\pm" in gold and "," not in gold and "\\{" not in gold:
        left, _, right = gold.partition("\\pm")
        left, right = left.strip(), right.strip()
        out = [
            Rewrite("pm_expanded", f"{left} + {right}, {left} - {right}", True),
            Rewrite("pm_one_root", f"{left} + {right}", False),
        ]
    elif "\\begin{pmatrix}" in gold:
        out = [Rewrite("bmatrix", gold.replace("pmatrix", "bmatrix"), True)]
        bumped = _bump_last_int(gold)
        if bumped is not None:
            out.append(Rewrite("last_number_plus_one", bumped, False))
    else:
        out = _structured_rewrites(gold)
    unique: dict[str, Rewrite] = {}
    for rewrite in out:
        if rewrite.text.strip() and rewrite.text != gold and rewrite.text not in unique:
            unique[rewrite.text] = rewrite
    return list(unique.values())


def _structured_rewrites(gold: str) -> list[Rewrite]:
    prefix = ""
    body = gold
    if body.startswith("x \\in"):
        prefix, body = "x \\in ", body[len("x \\in") :].strip()
    bare = body.replace("\\left", "").replace("\\right", "").strip()
    is_interval = "\\cup" in bare or (
        bare[:1] in "(["
        and bare[-1:] in ")]"
        and ("\\infty" in bare or bare[0] + bare[-1] in ("(]", "[)", "[]"))
    )
    if is_interval and (_split_top(bare) or ["", ""])[0] == bare:
        return _interval_rewrites(gold, prefix, body)
    if bare.startswith("(") and bare.endswith(")") and _split_top(bare) == [bare]:
        parts = _split_top(bare[1:-1])
        if parts and len(parts) >= 2:
            out = []
            if "\\left" in gold:
                out.append(Rewrite("left_right_spacing", "(" + ",".join(parts) + ")", True))
            else:
                out.append(Rewrite("left_right_spacing", "\\left( " + ", ".join(parts) + " \\right)", True))
            if parts[0] != parts[1]:
                swapped = [parts[1], parts[0], *parts[2:]]
                out.append(Rewrite("swapped_tuple", "(" + ",".join(swapped) + ")", False))
            out.append(Rewrite("tuple_as_set", "\\{" + ", ".join(parts) + "\\}", False))
            return out
    set_body = bare[2:-2] if bare.startswith("\\{") and bare.endswith("\\}") else None
    parts = _split_top(set_body if set_body is not None else bare)
    if parts is not None and len(parts) >= 2 and "=" not in bare:
        wrap = ("\\{", "\\}") if set_body is not None else ("", "")
        return [
            Rewrite("reordered", wrap[0] + ", ".join(parts[::-1]) + wrap[1], True),
            Rewrite("dropped_element", wrap[0] + ", ".join(parts[:-1]) + wrap[1], False),
        ]
    lhs, equals, rhs = gold.partition("=")
    if equals and re.fullmatch(r"\s*[a-z]\s*", lhs):
        value = _as_integer(rhs)
        out = [Rewrite("value_only", rhs.strip(), True)] if value is not None else []
        terms = _terms(rhs.strip())
        if len(terms) >= 2:
            out.append(Rewrite("commuted_sum", f"{lhs.strip()} = {_join_terms(terms[::-1])}", True))
        bumped = _bump_last_int(gold)
        if bumped is not None:
            out.append(Rewrite("last_number_plus_one", bumped, False))
        return out
    return _symbolic_rewrites(gold)
