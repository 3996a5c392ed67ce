"""Symbolic and written forms: roots, multiples of pi, choices, text, equations, degrees, spacing,
Unicode."""

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
    small_rational,
    spelled,
)
from rlvr.testing._groups import FLIP
from rlvr.testing._numbers import fraction_value
from rlvr.verifiers.math.spellings import (
    Spelling,
    decimal_text,
    group_digits,
    latex_number,
    terminating_places,
    value_spellings,
)

_SQUAREFREE = (2, 3, 5, 6, 7, 10, 11, 13, 14, 15, 17, 19, 21, 22, 23)


def _coefficient(a: int, body: str) -> str:
    return body if a == 1 else f"{a}{body}"


def _approximation(value: float) -> str:
    return f"{value:.7f}"


def _root(draw: Draw, equivalent: bool) -> MathPair:
    a = draw(st.integers(1, 9))
    b = draw(st.sampled_from(_SQUAREFREE))
    if draw(st.booleans()):
        return _root_in_denominator(draw, equivalent, a, b)
    sqrt_b = f"\\sqrt{{{b}}}"
    simplified = _coefficient(a, sqrt_b)
    golds = [("simplified", simplified), ("single root", f"\\sqrt{{{a * a * b}}}")]
    if equivalent:
        spellings = [
            *golds,
            ("factor under one root", f"\\sqrt{{{a * a * b}}}"),
            ("unrationalised", f"\\frac{{{a * b}}}{{\\sqrt{{{b}}}}}"),
            ("unreduced", f"\\frac{{{2 * a}\\sqrt{{{b}}}}}{{2}}"),
        ]
        if a > 1:
            spellings += [
                ("space", f"{a} \\sqrt{{{b}}}"),
                ("\\cdot", f"{a}\\cdot\\sqrt{{{b}}}"),
                ("root first", f"\\sqrt{{{b}}}\\cdot {a}"),
            ]
        if b < 10:
            spellings.append(("unbraced root", _coefficient(a, f"\\sqrt {b}")))
        return equivalent_pair(draw, "root", golds, spellings)
    value = a * math.sqrt(b)
    misses: list[tuple[str, Sequence[Spelling]]] = [
        ("radicand plus one", [("", f"\\sqrt{{{a * a * b + 1}}}")]),
        ("radicand minus one", [("", f"\\sqrt{{{a * a * b - 1}}}")]),
        ("coefficient plus one", [("", f"{a + 1}\\sqrt{{{b}}}")]),
        ("root dropped", [("", str(a * b))]),
        ("sign flipped", [("", f"-{simplified}")]),
        ("decimal approximation of an exact root (policy)", [("", _approximation(value))]),
    ]
    if a > 1:
        misses.append(("coefficient moved under the root", [("", f"\\sqrt{{{a * b}}}")]))
    return near_miss_pair(draw, "root", golds, misses)


def _root_in_denominator(draw: Draw, equivalent: bool, a: int, b: int) -> MathPair:
    """a/sqrt(b) and its rationalised form a*sqrt(b)/b."""
    divisor = math.gcd(a, b)
    top, bottom = a // divisor, b // divisor  # a*sqrt(b)/b reduced
    root = _coefficient(top, f"\\sqrt{{{b}}}")
    rationalised = f"\\frac{{{root}}}{{{bottom}}}" if bottom > 1 else root
    golds = [("rationalised", rationalised), ("root in the denominator", f"\\frac{{{a}}}{{\\sqrt{{{b}}}}}")]
    if equivalent:
        spellings = [
            *golds,
            ("root of a fraction", f"\\sqrt{{\\frac{{{a * a}}}{{{b}}}}}"),
            ("\\dfrac", f"\\dfrac{{{a}}}{{\\sqrt{{{b}}}}}"),
        ]
        if bottom > 1:
            spellings.append(("coefficient as a fraction", f"\\frac{{{top}}}{{{bottom}}}\\sqrt{{{b}}}"))
        return equivalent_pair(draw, "root", golds, spellings)
    value = a / math.sqrt(b)
    misses = [
        ("root dropped", value_spellings(Fraction(a, b))),
        ("reciprocal", [("", f"\\frac{{\\sqrt{{{b}}}}}{{{a}}}")]),
        ("radicand plus one", [("", f"\\frac{{{a}}}{{\\sqrt{{{b + 1}}}}}")]),
        ("decimal approximation of an exact root (policy)", [("", _approximation(value))]),
    ]
    return near_miss_pair(draw, "root", golds, misses)


def _pi_spellings(value: Fraction, scale: int) -> list[Spelling]:
    k, m = abs(value.numerator), value.denominator
    sign = "-" if value < 0 else ""
    k_pi = _coefficient(k, "\\pi")
    if m == 1:
        spellings = [
            ("coefficient times \\pi", f"{sign}{k_pi}"),
            ("unreduced", f"{sign}\\frac{{{scale * k}\\pi}}{{{scale}}}"),
        ]
        if k > 1:
            spellings += [
                ("\\pi first", f"{sign}\\pi \\cdot {k}"),
                ("space", f"{sign}{k} \\pi"),
                ("\\cdot", f"{sign}{k}\\cdot\\pi"),
            ]
    else:
        spellings = [
            ("\\frac{k\\pi}{m}", f"{sign}\\frac{{{k_pi}}}{{{m}}}"),
            ("fraction times \\pi", f"{sign}\\frac{{{k}}}{{{m}}}\\pi"),
            ("fraction \\cdot \\pi", f"{sign}\\frac{{{k}}}{{{m}}}\\cdot\\pi"),
            ("\\dfrac", f"{sign}\\dfrac{{{k_pi}}}{{{m}}}"),
            ("slash", f"{sign}{k_pi}/{m}"),
            ("unreduced", f"{sign}\\frac{{{scale * k}\\pi}}{{{scale * m}}}"),
        ]
    places = terminating_places(value)
    if places is not None and m > 1:
        spellings.append(("exact decimal coefficient", f"{decimal_text(value, places)}\\pi"))
    return spellings


def _pi(draw: Draw, equivalent: bool) -> MathPair:
    value = Fraction(draw(st.integers(1, 12)), draw(st.integers(1, 12))) * draw(st.sampled_from((1, 1, -1)))
    spellings = _pi_spellings(value, draw(st.integers(2, 4)))
    golds = spellings[:1]
    if equivalent:
        return equivalent_pair(draw, "pi", golds, spellings)
    k, m = value.numerator, value.denominator
    misses: list[tuple[str, Sequence[Spelling]]] = [
        (
            "decimal approximation of a multiple of \\pi (policy)",
            [("", _approximation(float(value) * math.pi))],
        ),
        ("denominator plus one", _pi_spellings(Fraction(k, m + 1), 2)),
        ("coefficient plus one", _pi_spellings(value + 1 if value + 1 != 0 else value + 2, 2)),
        ("\\pi dropped", value_spellings(value)),
        ("\\pi in the denominator", [("", f"\\frac{{{k}}}{{{m}\\pi}}")]),
        ("\\pi squared", [("", f"\\frac{{{k}\\pi^{{2}}}}{{{m}}}")]),
    ]
    return near_miss_pair(draw, "pi", golds, misses)


# ---------------------------------------------------------------------------------------------------
# Choices, text, equations, degrees


def _choice_spellings(letter: str) -> list[Spelling]:
    return [
        ("letter", letter),
        ("parenthesised", f"({letter})"),
        ("\\text{(B)}", f"\\text{{({letter})}}"),
        ("\\textbf{(B)}", f"\\textbf{{({letter})}}"),
        ("\\text{B}", f"\\text{{{letter}}}"),
        ("\\mathrm{(B)}", f"\\mathrm{{({letter})}}"),
    ]


def _choice(draw: Draw, equivalent: bool) -> MathPair:
    letter = draw(st.sampled_from("ABCDE"))
    spellings = _choice_spellings(letter)
    golds = spellings[:4]
    if equivalent:
        return equivalent_pair(draw, "choice", golds, spellings)
    other = draw(st.sampled_from([c for c in "ABCDE" if c != letter]))
    return near_miss_pair(draw, "choice", golds, [("another option", _choice_spellings(other))])


_WORDS = (
    "Evelyn",
    "Alice",
    "Bartholomew",
    "Monday",
    "Saturday",
    "Paris",
    "Jupiter",
    "New York",
    "Emily",
    "Carlos",
    "December",
    "Tuesday",
)


def _text_spellings(word: str) -> list[Spelling]:
    return [
        ("\\text{}", f"\\text{{{word}}}"),
        ("bare", word),
        ("\\textbf{}", f"\\textbf{{{word}}}"),
        ("\\mathrm{}", f"\\mathrm{{{word}}}"),
        ("\\mbox{}", f"\\mbox{{{word}}}"),
        ("spaces inside \\text{}", f"\\text{{ {word} }}"),
        ("full stop", f"{word}."),
    ]


def _text(draw: Draw, equivalent: bool) -> MathPair:
    word = draw(st.sampled_from(_WORDS))
    spellings = _text_spellings(word)
    golds = spellings[:2]
    if equivalent:
        return equivalent_pair(draw, "text", golds, spellings)
    other = draw(st.sampled_from([w for w in _WORDS if w != word]))
    misses = [("another word", _text_spellings(other)), ("truncated", _text_spellings(word[:3]))]
    return near_miss_pair(draw, "text", golds, misses)


def _equation(draw: Draw, equivalent: bool) -> MathPair:
    variable = draw(st.sampled_from("xynkta"))
    value = small_rational(draw, bound=50)
    number = latex_number(value)
    golds = [("bare value", number), ("equation", f"{variable}={number}")]
    if equivalent:
        spellings = [
            *golds,
            ("equation with spaces", f"{variable} = {spelled(draw, value)}"),
            ("equation, value respelled", f"{variable}={spelled(draw, value)}"),
        ]
        return equivalent_pair(draw, "equation", golds, spellings)
    other = value + draw(nonzero(-5, 5))
    misses = [
        ("another value", [("", f"{variable}={latex_number(other)}"), ("bare", latex_number(other))]),
    ]
    if value != 0:
        misses.append(
            ("sign flipped", [("", f"{variable}={latex_number(-value)}"), ("bare", latex_number(-value))])
        )
    return near_miss_pair(draw, "equation", golds, misses)


def _degree_spellings(number: str) -> list[Spelling]:
    return [
        ("^\\circ", f"{number}^\\circ"),
        ("bare number", number),
        ("^{\\circ}", f"{number}^{{\\circ}}"),
        ("°", f"{number}°"),
        ("\\degree", f"{number}\\degree"),
        ("\\text{ degrees}", f"{number} \\text{{ degrees}}"),
        ("the word degrees", f"{number} degrees"),
    ]


def _degrees(draw: Draw, equivalent: bool) -> MathPair:
    places = draw(st.sampled_from((0, 0, 1)))
    value = Fraction(draw(st.integers(1, 3599 if places else 359)), 10**places)
    if places and value.denominator == 1:
        value += Fraction(1, 10)
    number = decimal_text(value, places)
    spellings = _degree_spellings(number)
    golds = spellings[:2]
    if equivalent:
        return equivalent_pair(draw, "degrees", golds, spellings)
    misses = [
        ("one degree more", _degree_spellings(decimal_text(value + 1, places))),
        ("ten times the angle", _degree_spellings(decimal_text(value * 10, places))),
    ]
    if value != 90:
        misses.append(("supplementary angle", _degree_spellings(decimal_text(180 - value, places))))
    if value != 45:
        misses.append(("complementary angle", _degree_spellings(decimal_text(90 - value, places))))
    return near_miss_pair(draw, "degrees", golds, misses)


# ---------------------------------------------------------------------------------------------------
# Spacing and Unicode

_SPACES = ("\\,", "\\!", "\\ ", "\\;", "\\quad ", " ")


def _spaced_scalar(draw: Draw, value: Fraction) -> list[Spelling]:
    text = latex_number(value)
    space = draw(st.sampled_from(_SPACES))
    spellings = [
        (f"{space.strip() or 'space'} after", f"{text}{space}"),
        (f"{space.strip() or 'space'} before", f"{space}{text}"),
        ("\\displaystyle", f"\\displaystyle {text}"),
        ("\\left( \\right)", f"\\left({text}\\right)"),
    ]
    if value.denominator == 1 and abs(value) >= 1000:
        sign = "-" if value < 0 else ""
        spellings.append(
            ("thin-space thousands separator", sign + group_digits(str(abs(value.numerator)), "\\,"))
        )
    if value.denominator > 1:
        sign = "-" if value < 0 else ""
        top, bottom = abs(value.numerator), value.denominator
        spellings += [
            ("spaces around the braces", f"{sign}\\frac {{{top}}} {{{bottom}}}"),
            ("spaces inside the braces", f"{sign}\\frac{{ {top} }}{{ {bottom} }}"),
        ]
    return spellings


def _spaced_pair(draw: Draw, values: Sequence[Fraction], left: str = "(", right: str = ")") -> list[Spelling]:
    inner = [latex_number(v) for v in values]
    space = draw(st.sampled_from(_SPACES))
    return [
        (f"{space.strip() or 'space'} after the comma", f"{left}{f',{space}'.join(inner)}{right}"),
        ("\\left \\right", f"\\left{left} {', '.join(inner)} \\right{right}"),
        ("spaces everywhere", f"{left} {' , '.join(inner)} {right}"),
    ]


def _spacing(draw: Draw, equivalent: bool) -> MathPair:
    kind = draw(st.sampled_from(("integer", "fraction", "tuple", "interval")))
    if kind in ("integer", "fraction"):
        value = Fraction(draw(st.integers(-(10**6), 10**6))) if kind == "integer" else fraction_value(draw)
        golds = [("", latex_number(value))]
        if equivalent:
            return equivalent_pair(draw, "spacing", golds, _spaced_scalar(draw, value))
        other = value + draw(nonzero(-3, 3))
        return near_miss_pair(
            draw, "spacing", golds, [("another number, spaced", _spaced_scalar(draw, other))]
        )
    values = [small_rational(draw), small_rational(draw)]
    if values[0] == values[1]:
        values[1] += 1
    left, right = ("(", ")")
    if kind == "interval":
        values.sort()
        left, right = draw(st.sampled_from("([")), draw(st.sampled_from(")]"))
    golds = [("", f"{left}{latex_number(values[0])},{latex_number(values[1])}{right}")]
    if equivalent:
        return equivalent_pair(draw, "spacing", golds, _spaced_pair(draw, values, left, right))
    if kind == "tuple":
        misses = [("coordinates swapped, spaced", _spaced_pair(draw, values[::-1]))]
    else:
        misses = [("bracket flipped, spaced", _spaced_pair(draw, values, FLIP[left], right))]
    return near_miss_pair(draw, "spacing", golds, misses)


def _unicode_root(draw: Draw, equivalent: bool) -> MathPair:
    a, b = draw(st.integers(1, 9)), draw(st.sampled_from(_SQUAREFREE))
    golds = [("", _coefficient(a, f"\\sqrt{{{b}}}"))]
    if equivalent:
        spellings = [
            ("√", _coefficient(a, f"√{b}")),
            ("√{}", _coefficient(a, f"√{{{b}}}")),
            ("√ of the product", f"√{a * a * b}"),
        ]
        return equivalent_pair(draw, "unicode", golds, spellings)
    others = [("", f"√{a * a * b + 1}"), ("", _coefficient(a + 1, f"√{b}"))]
    return near_miss_pair(draw, "unicode", golds, [("another root", others)])


def _unicode_pi(draw: Draw, equivalent: bool) -> MathPair:
    value = Fraction(draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    k, m = value.numerator, value.denominator
    golds = [("", _pi_spellings(value, 2)[0][1])]
    k_pi = _coefficient(k, "π")
    if equivalent:
        spellings = [("π", k_pi if m == 1 else f"\\frac{{{k_pi}}}{{{m}}}")]
        if m > 1:
            spellings.append(("π with a slash", f"{k_pi}/{m}"))
        return equivalent_pair(draw, "unicode", golds, spellings)
    return near_miss_pair(draw, "unicode", golds, [("another multiple of π", [("", f"{k_pi}/{m + 1}")])])


def _unicode_minus(draw: Draw, equivalent: bool) -> MathPair:
    magnitude = abs(small_rational(draw, bound=100)) + 1
    golds = [("", latex_number(-magnitude))]
    if equivalent:
        return equivalent_pair(draw, "unicode", golds, [("− (U+2212)", "−" + latex_number(magnitude))])
    misses = [
        ("sign lost", [("", latex_number(magnitude))]),
        ("another number", [("", "−" + latex_number(magnitude + 1))]),
    ]
    return near_miss_pair(draw, "unicode", golds, misses)


def _unicode_infinity(draw: Draw, equivalent: bool) -> MathPair:
    bound = draw(st.integers(-20, 20))
    if draw(st.booleans()):
        gold, same, other = f"(-\\infty,{bound})", f"(−∞, {bound})", f"(−∞, {bound}]"
    else:
        gold, same, other = f"[{bound},\\infty)", f"[{bound}, ∞)", f"({bound}, ∞)"
    if equivalent:
        return MathPair(gold, same, "unicode", True, "∞ and − (U+2212)")
    return MathPair(gold, other, "unicode", False, "bracket flipped, with ∞")


def _unicode_times(draw: Draw, equivalent: bool) -> MathPair:
    m, e = draw(st.integers(1, 9)), draw(st.integers(3, 12))
    golds = [("", f"{m}\\times10^{{{e}}}"), ("", str(m * 10**e))]
    if equivalent:
        return equivalent_pair(draw, "unicode", golds, [("×", f"{m}×10^{{{e}}}"), ("·", f"{m}·10^{{{e}}}")])
    others = [("×", f"{m}×10^{{{e + 1}}}"), ("·", f"{m}·10^{{{e + 1}}}")]
    return near_miss_pair(draw, "unicode", golds, [("exponent plus one", others)])


def _unicode_spaces(draw: Draw, equivalent: bool) -> MathPair:
    n = draw(st.integers(1000, 10**9))
    space = draw(st.sampled_from(("\u00a0", "\u2009", "\u202f")))
    name = f"U+{ord(space):04X} thousands separator"
    golds = [("", str(n))]
    if equivalent:
        return equivalent_pair(draw, "unicode", golds, [(name, group_digits(str(n), space))])
    return near_miss_pair(draw, "unicode", golds, [("plus one", [(name, group_digits(str(n + 1), space))])])


def _unicode_degrees(draw: Draw, equivalent: bool) -> MathPair:
    angle = draw(st.integers(1, 359))
    golds = [("", f"{angle}^\\circ"), ("", str(angle))]
    if equivalent:
        return equivalent_pair(draw, "unicode", golds, [("°", f"{angle}°")])
    return near_miss_pair(draw, "unicode", golds, [("another angle", [("°", f"{angle + 1}°")])])


_UNICODE_KINDS = (
    _unicode_root,
    _unicode_pi,
    _unicode_minus,
    _unicode_infinity,
    _unicode_times,
    _unicode_spaces,
    _unicode_degrees,
)


def _unicode(draw: Draw, equivalent: bool) -> MathPair:
    return draw(st.sampled_from(_UNICODE_KINDS))(draw, equivalent)


BUILDERS: dict[str, Builder] = {
    "root": _root,
    "pi": _pi,
    "choice": _choice,
    "text": _text,
    "equation": _equation,
    "degrees": _degrees,
    "spacing": _spacing,
    "unicode": _unicode,
}
