"""Number categories: integers, decimals, fractions, big and tiny values, percentages, units,
scientific notation, mixed numbers, large values off by one, base subscripts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from hypothesis import strategies as st

from rlvr.testing._core import (
    Builder,
    Draw,
    MathPair,
    equivalent_pair,
    near_miss_pair,
    nonzero,
    signed,
)
from rlvr.verifiers.math.spellings import (
    Spelling,
    decimal_text,
    english,
    group_digits,
    integer_spellings,
    latex_number,
    terminating_places,
    value_spellings,
)


def _integer(draw: Draw, equivalent: bool) -> MathPair:
    digits = draw(st.integers(1, 9))
    n = signed(draw, draw(st.integers(0, 10**digits - 1)))
    spellings = integer_spellings(n)
    golds = [s for s in spellings if s[0] in ("plain", "thousands separator comma")]
    if equivalent:
        return equivalent_pair(draw, "integer", golds, spellings)
    changed = n + draw(nonzero(-9, 9))
    misses = [
        ("another integer", integer_spellings(changed)),
        ("ten times the value", integer_spellings(10 * n if n else 10)),
    ]
    if n != 0:
        misses.append(("sign flipped", integer_spellings(-n)))
    if abs(n) >= 10:
        misses.append(("last digit dropped", integer_spellings(int(str(n)[:-1]))))
    return near_miss_pair(draw, "integer", golds, misses)


def _decimal_spellings(value: Fraction, places: int, extra_zeros: int) -> list[Spelling]:
    text = decimal_text(value, places)
    spellings = [("decimal", text), ("trailing zeros", decimal_text(value, places + extra_zeros))]
    if abs(value) < 1:
        spellings.append(("no leading zero", text.replace("0.", ".", 1)))
    mantissa = value * 10**places
    spellings += [
        ("exact fraction", latex_number(value)),
        ("slash fraction", f"{value.numerator}/{value.denominator}"),
        ("scientific notation", f"{mantissa}\\times10^{{-{places}}}"),
    ]
    return spellings


def _decimal(draw: Draw, equivalent: bool) -> MathPair:
    places = draw(st.integers(1, 4))
    mantissa = draw(st.integers(1, 10**6).map(lambda m: m if m % 10 else m + 1))
    value = Fraction(signed(draw, mantissa), 10**places)
    zeros = draw(st.integers(1, 2))
    spellings = _decimal_spellings(value, places, zeros)
    golds = spellings[:2]
    if equivalent:
        return equivalent_pair(draw, "decimal", golds, spellings)
    unit = Fraction(1, 10**places)
    misses = [
        ("last digit changed", value + draw(nonzero(-3, 3)) * unit),
        ("sign flipped", -value),
        ("decimal point shifted right", value * 10),
        ("decimal point shifted left", value / 10),
        ("rounded to fewer digits", Fraction(round(value, places - 1))),
    ]
    # Every miss differs from the gold by at least one unit of its last digit: more than the
    # half-unit tolerance a decimal gold states.
    return near_miss_pair(
        draw,
        "decimal",
        golds,
        [(note, value_spellings(v, scale=draw(st.integers(2, 5)))) for note, v in misses],
    )


def fraction_value(draw: Draw) -> Fraction:
    denominator = draw(st.integers(2, 60))
    numerator = draw(st.integers(0, 3)) * denominator + draw(st.integers(1, denominator - 1))
    return Fraction(signed(draw, numerator), denominator)  # never an integer


def _fraction(draw: Draw, equivalent: bool) -> MathPair:
    value = fraction_value(draw)
    spellings = value_spellings(value, scale=draw(st.integers(2, 9)))
    golds = [s for s in spellings if s[0] in ("\\frac", "\\dfrac", "short \\frac34 form", "slash a/b")]
    if equivalent:
        return equivalent_pair(draw, "fraction", golds, spellings)
    top, bottom = abs(value.numerator), value.denominator
    misses: list[tuple[str, Sequence[Spelling]]] = [
        ("reciprocal", value_spellings(1 / value)),
        ("sign flipped", value_spellings(-value)),
        ("numerator off by one", value_spellings(Fraction(value.numerator + 1, bottom))),
        ("denominator off by one", value_spellings(Fraction(value.numerator, bottom + 1))),
    ]
    if value < 0:
        misses.append(("double minus sign", [("double minus sign", f"-\\frac{{-{top}}}{{{bottom}}}")]))
    else:
        misses.append(("minus sign in the denominator", [("minus sign", f"\\frac{{{top}}}{{-{bottom}}}")]))
    if terminating_places(value) is None:
        places = draw(st.integers(2, 6))
        rounded = decimal_text(Fraction(round(value, places)), places)
        misses.append(("decimal approximation of a fraction (policy: not the exact answer)", [("", rounded)]))
    return near_miss_pair(draw, "fraction", golds, misses)


def _big_integer(draw: Draw, equivalent: bool) -> MathPair:
    digits = draw(st.integers(30, 60))
    n = signed(draw, draw(st.integers(10 ** (digits - 1), 10**digits - 1)))
    spellings = integer_spellings(n)
    golds = spellings[:2]
    if equivalent:
        return equivalent_pair(draw, "big_integer", golds, spellings)
    text = str(abs(n))
    swap = next((i for i in range(len(text) - 2, -1, -1) if text[i] != text[i + 1]), None)
    misses = [
        ("plus one", integer_spellings(n + 1)),
        ("minus one", integer_spellings(n - 1)),
        ("last digit dropped", integer_spellings(n // 10 if n > 0 else -(abs(n) // 10))),
    ]
    if swap is not None:
        swapped = text[:swap] + text[swap + 1] + text[swap] + text[swap + 2 :]
        misses.append(("two digits swapped", integer_spellings(int(swapped) * (1 if n > 0 else -1))))
    approximation = f"{'-' if n < 0 else ''}{text[0]}.{text[1:4]}\\times10^{{{len(text) - 1}}}"
    if Fraction(int(text[:4]) * 10 ** (len(text) - 4)) != abs(n):
        misses.append(("scientific approximation", [("", approximation)]))
    return near_miss_pair(draw, "big_integer", golds, misses)


def _tiny_power(draw: Draw, equivalent: bool) -> MathPair:
    k = draw(st.integers(20, 100))
    power = 2**k
    golds = [("\\frac{1}{2^{k}}", f"\\frac{{1}}{{2^{{{k}}}}}"), ("2^{-k}", f"2^{{-{k}}}")]
    if equivalent:
        spellings = [
            *golds,
            ("\\dfrac", f"\\dfrac{{1}}{{2^{{{k}}}}}"),
            ("power of a half", f"\\left(\\frac{{1}}{{2}}\\right)^{{{k}}}"),
            ("denominator written out", f"\\frac{{1}}{{{power}}}"),
            ("unreduced", f"\\frac{{2}}{{2^{{{k + 1}}}}}"),
        ]
        return equivalent_pair(draw, "tiny", golds, spellings)
    misses = [
        ("half the value", [("", f"\\frac{{1}}{{2^{{{k + 1}}}}}"), ("negative power", f"2^{{-{k + 1}}}")]),
        ("twice the value", [("", f"\\frac{{1}}{{2^{{{k - 1}}}}}"), ("negative power", f"2^{{-{k - 1}}}")]),
        ("denominator plus one", [("", f"\\frac{{1}}{{{power + 1}}}")]),
        ("zero", [("", "0")]),
        ("exponent sign lost", [("", f"2^{{{k}}}")]),
    ]
    return near_miss_pair(draw, "tiny", golds, misses)


def _tiny_fraction(draw: Draw, equivalent: bool) -> MathPair:
    denominator = draw(st.integers(10**9, 10**15))
    value = Fraction(draw(st.integers(1, 9)), denominator)  # below 1e-8, never an integer
    spellings = value_spellings(value, scale=draw(st.integers(2, 9)))
    golds = spellings[:1]
    if equivalent:
        return equivalent_pair(draw, "tiny", golds, spellings)
    top, bottom = value.numerator, value.denominator
    misses = [
        ("denominator plus one", value_spellings(Fraction(top, bottom + 1))),
        ("denominator minus one", value_spellings(Fraction(top, bottom - 1))),
        ("numerator plus one", value_spellings(Fraction(top + 1, bottom))),
    ]
    return near_miss_pair(draw, "tiny", golds, misses)


def _tiny(draw: Draw, equivalent: bool) -> MathPair:
    return draw(st.sampled_from((_tiny_power, _tiny_fraction)))(draw, equivalent)


def _scientific_spellings(mantissa: Fraction, mantissa_places: int, exponent: int) -> list[Spelling]:
    m = decimal_text(mantissa, mantissa_places)
    e = f"{{{exponent}}}"
    value = mantissa * Fraction(10) ** exponent
    plain_places = max(0, mantissa_places - exponent)
    plain = decimal_text(value, plain_places)
    spellings = [
        ("\\times10^{e}", f"{m}\\times10^{e}"),
        ("plain number", plain),
        ("spaces", f"{m} \\times 10^{e}"),
        ("\\cdot", f"{m}\\cdot10^{e}"),
        ("e notation", f"{m}e{exponent}"),
        ("E notation", f"{m}E{exponent}"),
        (
            "shifted mantissa",
            f"{decimal_text(mantissa * 10, max(0, mantissa_places - 1))}\\times10^{{{exponent - 1}}}",
        ),
    ]
    if 0 <= exponent <= 9:
        spellings.append(("unbraced exponent", f"{m}\\times10^{exponent}"))
    if exponent > 0:
        spellings.append(("e+ notation", f"{m}e+{exponent}"))
    if mantissa_places == 0:
        spellings.append(("mantissa with .0", f"{m}.0\\times10^{e}"))
    if plain_places == 0 and abs(value) >= 1000:
        spellings.append(("plain number with separators", group_digits(plain, ",")))
    return spellings


def _scientific(draw: Draw, equivalent: bool) -> MathPair:
    places = draw(st.integers(0, 1))
    if places:
        mantissa = Fraction(draw(st.integers(11, 99).map(lambda m: m if m % 10 else m + 1)), 10)
    else:
        mantissa = Fraction(draw(st.integers(1, 9)))
    exponent = draw(st.integers(3, 12)) if draw(st.booleans()) else -draw(st.integers(1, 8))
    spellings = _scientific_spellings(mantissa, places, exponent)
    golds = spellings[:2]
    if equivalent:
        return equivalent_pair(draw, "scientific", golds, spellings)
    unit = Fraction(1, 10**places)
    bumped = mantissa + unit if mantissa + unit < 10 else mantissa - unit
    misses = [
        ("exponent plus one", _scientific_spellings(mantissa, places, exponent + 1)),
        ("exponent minus one", _scientific_spellings(mantissa, places, exponent - 1)),
        ("exponent sign flipped", _scientific_spellings(mantissa, places, -exponent)),
        ("mantissa changed", _scientific_spellings(bumped, places, exponent)),
        ("mantissa only", [("", decimal_text(mantissa, places))]),
    ]
    return near_miss_pair(draw, "scientific", golds, misses)


def _percent(draw: Draw, equivalent: bool) -> MathPair:
    places = draw(st.integers(0, 1))
    value = Fraction(draw(st.integers(1, 100)))
    if places:
        value = Fraction(draw(st.integers(10, 999).map(lambda m: m if m % 10 else m + 1)), 10)
    v = decimal_text(value, places)
    golds = [("percent sign", f"{v}\\%"), ("bare number", v)]
    if equivalent:
        spellings = [
            *golds,
            ("unescaped %", f"{v}%"),
            ("space before \\%", f"{v} \\%"),
            ("the word percent", f"{v}\\text{{ percent}}"),
            ("percent as a word", f"{v} percent"),
            ("pct", f"{v} pct"),
        ]
        return equivalent_pair(draw, "percent", golds, spellings)
    if draw(st.integers(0, 3)) == 0:
        # The gold is the fraction, the answer the percentage of it.
        fraction_gold = [("", decimal_text(value / 100, places + 2))]
        return near_miss_pair(
            draw, "percent", fraction_gold, [("percentage for a fraction (policy)", [("", f"{v}\\%")])]
        )
    unit = Fraction(1, 10**places)
    hundredth = value / 100
    misses = [
        ("percentage divided by 100 (policy: compared as written)", value_spellings(hundredth)),
        (
            "percentage multiplied by 100",
            [("", f"{decimal_text(value * 100, 0)}\\%"), ("bare", decimal_text(value * 100, 0))],
        ),
        (
            "another percentage",
            [("", f"{decimal_text(value + unit, places)}\\%"), ("bare", decimal_text(value + unit, places))],
        ),
    ]
    return near_miss_pair(draw, "percent", golds, misses)


_UNITS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dollars", ("\\${n}", "\\$ {n}", "{n} dollars", "{n} \\text{{ dollars}}", "{n}\\text{{dollars}}")),
    ("cm", ("{n}\\text{{ cm}}", "{n} \\text{{cm}}", "{n} cm")),
    ("square units", ("{n}\\text{{ square units}}", "{n} square units")),
    ("cm^2", ("{n}\\text{{ cm}}^2", "{n} \\text{{ cm}}^{{2}}")),
    ("hours", ("{n}\\text{{ hours}}", "{n} hours", "{n}\\mbox{{ hours}}")),
    ("meters", ("{n}\\text{{ meters}}", "{n} meters")),
    ("miles per hour", ("{n}\\text{{ mph}}", "{n} mph")),
    ("megabytes", ("{n} MB", "{n}\\text{{ MB}}")),
    ("gigabytes", ("{n} GB", "{n} \\text{{GB}}")),
    ("jars of jam", ("{n} jars of jam", "{n}\\text{{ jars of jam}}")),
    ("km", ("{n}\\textnormal{{ km}}", "{n} km")),
    ("inches per second", ("{n}\\text{{ inches per second}}", "{n} inches per second")),
    ("km/h", ("{n} km/h",)),
)


def _unit_spellings(unit: tuple[str, tuple[str, ...]], number: str) -> list[Spelling]:
    name, templates = unit
    return [(f"unit {name}", template.format(n=number)) for template in templates] + [("bare number", number)]


def _units(draw: Draw, equivalent: bool) -> MathPair:
    unit = draw(st.sampled_from(_UNITS))
    places = draw(st.sampled_from((0, 0, 2)))
    value = Fraction(draw(st.integers(1, 10**6)), 10**places)
    number = decimal_text(value, places)
    if places == 0 and value >= 1000 and draw(st.booleans()):
        number = group_digits(number, ",")
    spellings = _unit_spellings(unit, number)
    golds = [spellings[0], spellings[-1]]
    if equivalent:
        if places:
            spellings += _unit_spellings(unit, decimal_text(value, 1)) if value * 10 % 1 == 0 else []
        else:
            spellings += [
                (f"{note} with .00", text) for note, text in _unit_spellings(unit, f"{number}.00")[:1]
            ]
        return equivalent_pair(draw, "units", golds, spellings)
    unit_step = Fraction(1, 10**places)
    misses = [
        (
            "another amount, same unit",
            _unit_spellings(unit, decimal_text(value + draw(st.integers(1, 5)) * unit_step, places)),
        ),
        ("ten times the amount", _unit_spellings(unit, decimal_text(value * 10, places))),
    ]
    return near_miss_pair(draw, "units", golds, misses)


def _mixed_spellings(whole: int, top: int, bottom: int, sign: str, scale: int) -> list[Spelling]:
    value = Fraction(whole * bottom + top, bottom) * (-1 if sign else 1)
    spellings = [
        ("mixed number", f"{sign}{whole}\\frac{{{top}}}{{{bottom}}}"),
        ("improper fraction", latex_number(value)),
        ("space before the fraction", f"{sign}{whole} \\frac{{{top}}}{{{bottom}}}"),
        ("\\dfrac", f"{sign}{whole}\\dfrac{{{top}}}{{{bottom}}}"),
        ("\\tfrac", f"{sign}{whole}\\tfrac{{{top}}}{{{bottom}}}"),
        ("unreduced fractional part", f"{sign}{whole}\\frac{{{scale * top}}}{{{scale * bottom}}}"),
        ("improper slash fraction", f"{value.numerator}/{value.denominator}"),
    ]
    if top < 10 and bottom < 10:
        spellings.append(("short mixed number 7\\frac34", f"{sign}{whole}\\frac{top}{bottom}"))
    places = terminating_places(value)
    if places is not None:
        spellings.append(("terminating decimal", decimal_text(value, places)))
    return spellings


def _mixed_number(draw: Draw, equivalent: bool) -> MathPair:
    whole = draw(st.integers(1, 20))
    bottom = draw(st.integers(2, 12))
    top = draw(st.integers(1, bottom - 1))
    divisor = math.gcd(top, bottom)
    top, bottom = top // divisor, bottom // divisor
    sign = draw(st.sampled_from(("", "", "-")))
    spellings = _mixed_spellings(whole, top, bottom, sign, draw(st.integers(2, 5)))
    golds = spellings[:2]
    if equivalent:
        return equivalent_pair(draw, "mixed_number", golds, spellings)
    negative = -1 if sign else 1
    product = Fraction(whole * top, bottom) * negative  # never equal: w*p/q < w + p/q
    other = bottom - top
    misses = [
        ("mixed number read as a product", value_spellings(product)),
        ("whole part only", value_spellings(Fraction(whole * negative))),
        ("fractional part only", value_spellings(Fraction(top, bottom) * negative)),
        ("whole part plus one", _mixed_spellings(whole + 1, top, bottom, sign, 2)),
        ("sign flipped", _mixed_spellings(whole, top, bottom, "" if sign else "-", 2)),
    ]
    if other != top:
        misses.append(("fractional part changed", _mixed_spellings(whole, other, bottom, sign, 2)))
    return near_miss_pair(draw, "mixed_number", golds, misses)


# ---------------------------------------------------------------------------------------------------
# Large values off by one, base subscripts


def _off_by_one(draw: Draw, equivalent: bool) -> MathPair:
    n = draw(st.integers(10**4 + 1, 10**9))
    if draw(st.integers(0, 3)) == 0:
        # A fraction within 1e-4 of 1: a relative tolerance rounds it to 1.
        value = Fraction(n, n + 1)
        golds = [("", latex_number(value))]
        if equivalent:
            return equivalent_pair(
                draw, "off_by_one", golds, value_spellings(value, scale=draw(st.integers(2, 9)))[1:]
            )
        misses = [("one", [("", "1")]), ("next fraction", value_spellings(Fraction(n + 1, n + 2)))]
        return near_miss_pair(draw, "off_by_one", golds, misses)
    spellings = integer_spellings(n)
    golds = spellings[:2]
    if equivalent:
        return equivalent_pair(draw, "off_by_one", golds, spellings)
    misses = [("plus one", integer_spellings(n + 1)), ("minus one", integer_spellings(n - 1))]
    return near_miss_pair(draw, "off_by_one", golds, misses)


def _base_spellings(digits: str, base: int) -> list[Spelling]:
    spellings = [("braced base", f"{digits}_{{{base}}}")]
    if base < 10:  # "204_10" is 204_1 followed by 0
        spellings.append(("unbraced base", f"{digits}_{base}"))
    return spellings


def _base(draw: Draw, equivalent: bool) -> MathPair:
    base = draw(st.integers(2, 9))
    length = draw(st.integers(2, 5))
    digits = str(draw(st.integers(1, base - 1))) + "".join(
        str(draw(st.integers(0, base - 1))) for _ in range(length - 1)
    )
    spellings = _base_spellings(digits, base)
    golds = spellings
    if equivalent:
        spellings = [*spellings, ("spaces in the subscript", f"{digits}_{{ {base} }}")]
        return equivalent_pair(draw, "base", golds, spellings)
    top = max(int(d) for d in digits)
    others = [b for b in range(top + 1, 11) if b != base]
    last = (int(digits[-1]) + 1) % base
    misses: list[tuple[str, Sequence[Spelling]]] = [
        ("decimal value instead of base digits (policy)", [("", str(int(digits, base)))]),
        ("last digit changed", _base_spellings(digits[:-1] + str(last), base)),
    ]
    if others:
        misses.append(("another base", _base_spellings(digits, draw(st.sampled_from(others)))))
    if digits[::-1] != digits and digits[-1] != "0":
        misses.append(("digits reversed", _base_spellings(digits[::-1], base)))
    return near_miss_pair(draw, "base", golds, misses)


def _repeating_spellings(fixed: str, block: str) -> list[Spelling]:
    """Spellings of 0.<fixed><block><block>… : an overline over the block, over two copies of it, and an
    ellipsis after three copies when the digits show that block and no shorter one repeating."""
    spellings: list[Spelling] = [
        ("\\overline", f"0.{fixed}\\overline{{{block}}}"),
        ("\\overline over two periods", f"0.{fixed}\\overline{{{block * 2}}}"),
    ]
    digits = fixed + block * 3
    shortest = next(
        (p for p in range(1, len(digits) // 2 + 1) if digits[-p:] == digits[-2 * p : -p]), len(block)
    )
    if shortest == len(block) or block == block[0] * len(block):
        spellings.append(("ellipsis", f"0.{digits}\\ldots"))
        spellings.append(("three dots", f"0.{digits}..."))
    return spellings


def _repeating_value(fixed: str, block: str) -> Fraction:
    shift = 10 ** len(fixed)
    return Fraction(int(fixed or "0"), shift) + Fraction(int(block), shift * (10 ** len(block) - 1))


def _repeating_decimal(draw: Draw, equivalent: bool) -> MathPair:
    fixed = draw(st.sampled_from(("", "", "1", "8", "25")))
    block = draw(st.sampled_from(("3", "6", "1", "5", "12", "27", "142857", "09", "45")))
    value = _repeating_value(fixed, block)
    golds = [("fraction", latex_number(value)), ("\\overline", f"0.{fixed}\\overline{{{block}}}")]
    if equivalent:
        spellings = [*_repeating_spellings(fixed, block), ("fraction", latex_number(value))]
        return equivalent_pair(draw, "repeating_decimal", golds[:1], spellings)
    other_block = str((int(block[-1]) + draw(st.integers(1, 7))) % 10)
    other_block = block[:-1] + other_block if block[:-1] + other_block != block else block[:-1] + "0"
    if set(other_block) == {"9"}:
        other_block = block[:-1] + "2"
    truncated = f"0.{fixed}{block * 2}"
    misses: list[tuple[str, Sequence[Spelling]]] = [
        ("another repeating block", _repeating_spellings(fixed, other_block)),
        ("the decimal cut off: an approximation (policy)", [("", truncated)]),
        ("the block written once, not repeating", [("", f"0.{fixed}{block}")]),
    ]
    return near_miss_pair(draw, "repeating_decimal", golds[:1], misses)


def _number_word_spellings(n: int) -> list[Spelling]:
    words = english(n)
    spellings = [
        ("words", words),
        ("\\text{} words", f"\\text{{{words}}}"),
        ("capitalised", words.capitalize()),
    ]
    if "-" in words:
        spellings.append(("space for the hyphen", english(n, hyphen=" ")))
    if n > 100 and n % 100:
        spellings.append(("with and", english(n, with_and=True)))
    return spellings


def _number_words(draw: Draw, equivalent: bool) -> MathPair:
    n = draw(st.one_of(st.integers(0, 99), st.integers(100, 9999)))
    golds = [("digits", str(n))]
    if equivalent:
        return equivalent_pair(draw, "number_words", golds, _number_word_spellings(n))
    misses: list[tuple[str, Sequence[Spelling]]] = [
        ("one more, in words", _number_word_spellings(n + 1 if n < 9999 else n - 1)),
    ]
    if 1 <= n <= 9:
        misses += [
            ("a magnitude word after it", [("", f"{english(n)} hundred"), ("", f"{english(n)} dozen")]),
            ("a magnitude word after the digits", [("", f"{n} million"), ("", f"{n} thousand")]),
        ]
    return near_miss_pair(draw, "number_words", golds, misses)


BUILDERS: dict[str, Builder] = {
    "integer": _integer,
    "decimal": _decimal,
    "fraction": _fraction,
    "big_integer": _big_integer,
    "tiny": _tiny,
    "percent": _percent,
    "units": _units,
    "scientific": _scientific,
    "mixed_number": _mixed_number,
    "off_by_one": _off_by_one,
    "base": _base,
    "repeating_decimal": _repeating_decimal,
    "number_words": _number_words,
}
