"""Exact plain-Python reading of answers built from rationals, square roots, π, i and variables.

Most symbolic answers are rational combinations of a few basis elements: ``2\\sqrt{3}``,
``\\frac{\\sqrt{21}}{5}``, ``1-\\sqrt{2}``, ``288\\pi``, ``\\frac{3\\pi}{4}``, ``6-5i``, ``8n^2+4n+1``,
``\\frac{11+9a}{20}``, ``(a+5)(b+2)``. Each has exactly one canonical form

    Σ q · √s · π^p · i^k · x₁^e₁ · x₂^e₂ …

with rational ``q``, square-free ``s``, integer ``p``, ``k`` in {0, 1} and single-letter variables
``xⱼ`` with integer powers (square roots of distinct square-free integers are linearly independent over
the rationals, π is transcendental, monomials in free variables are independent), so two answers are
equal exactly when their canonical forms are. Functions of a variable (``\\cot x``, ``\\sin^2(2x)``)
are read as opaque factors: equal forms are equal, but different forms may still be equal by an
identity (``\\sin^2 x + \\cos^2 x``), which only sympy can tell. Reading them here keeps them out of
sympy: microseconds instead of milliseconds, and exact.

``i`` is the imaginary unit, as in contest answers; ``e`` is left to sympy (constant or variable?).
Anything outside this small grammar — a denominator that is a sum, a nested or cube root, decimals,
a function of a constant, relations — is ``None`` and goes to the symbolic path. Sizes are capped so that
no input is slow: radicands up to ``MAX_RADICAND``, exponents up to ``MAX_POWER``, terms up to ``MAX_TERMS``,
input up to ``MAX_CHARS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

MAX_CHARS = 300
MAX_RADICAND = 10**10
MAX_POWER = 12
MAX_DIGITS = 40
MAX_TERMS = 64

# A monomial in the variables: ((letter, power), ...) sorted by letter, no zero powers.
Monomial = tuple[tuple[str, int], ...]
# A basis element: (square-free radicand, power of pi, power of i in {0, 1}, monomial).
Basis = tuple[int, int, int, Monomial]
_ONE: Basis = (1, 0, 0, ())
_VARIABLES = frozenset("abcdfghjklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")  # not e, not i
ELEMENTARY_FUNCTIONS = frozenset(  # function names written with a backslash or bare: \\sin x, ln x
    [
        "sin",
        "cos",
        "tan",
        "cot",
        "sec",
        "csc",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "ln",
        "log",
        "exp",
    ]
)


@dataclass(frozen=True, slots=True)
class Surd:
    """An exact value ``Σ coefficient · basis`` in canonical form (terms sorted, none zero).

    Example:
        >>> parse_surd("\\\\sqrt{12}") == parse_surd("2\\\\sqrt{3}")
        True
        >>> parse_surd("\\\\frac{1}{\\\\sqrt{2}}").terms
        (((2, 0, 0, ()), Fraction(1, 2)),)
    """

    terms: tuple[tuple[Basis, Fraction], ...]

    @property
    def is_rational(self) -> bool:
        return all(basis == _ONE for basis, _ in self.terms)

    @property
    def has_variables(self) -> bool:
        return any(basis[3] for basis, _ in self.terms)

    @property
    def has_functions(self) -> bool:
        """True when a term holds a function (``\\cot x``): different forms may be equal (identities)."""
        return any(name.startswith("\\") for basis, _ in self.terms for name, _ in basis[3])

    def minus(self, other: Surd) -> Surd:
        """The exact difference ``self - other``.

        Example:
            >>> len(parse_surd("-\\\\cot x").minus(parse_surd("\\\\cot x")).terms)
            1
        """
        return Surd(tuple(sorted(_plus(dict(self.terms), dict(other.terms), -1).items())))

    def rational_value(self) -> Fraction:
        """The value of a rational surd.

        Raises:
            ValueError: the value is not rational.

        Example:
            >>> parse_surd("\\\\frac{6}{4}").rational_value()
            Fraction(3, 2)
        """
        if not self.is_rational:
            raise ValueError("not a rational value")
        return self.terms[0][1] if self.terms else Fraction(0)

    def approximate(self) -> complex:
        """The value in floating point (for the decimal-approximation policy only, never for equality).

        Raises:
            ValueError: the value has variables.

        Example:
            >>> round(parse_surd("2\\\\sqrt{2}").approximate().real, 6)
            2.828427
        """
        if self.has_variables:
            raise ValueError("a value with variables has no numeric approximation")
        total = 0j
        for (radicand, pi_power, i_power, _), coefficient in self.terms:
            term = float(coefficient) * math.sqrt(radicand) * math.pi**pi_power
            total += term * (1j if i_power else 1)
        return total


_Poly = dict[Basis, Fraction]


def _square_free(n: int) -> tuple[int, int]:
    """``n = outside² · inside`` with ``inside`` square-free; ``n`` small enough to trial-divide."""
    outside, inside = 1, n
    factor = 2
    while factor * factor <= inside:
        square = factor * factor
        while inside % square == 0:
            inside //= square
            outside *= factor
        factor += 1 if factor == 2 else 2
    return outside, inside


def _merge(a: Monomial, b: Monomial) -> Monomial | None:
    powers = dict(a)
    for letter, power in b:
        powers[letter] = powers.get(letter, 0) + power
    if any(abs(power) > MAX_POWER for power in powers.values()):
        return None
    return tuple(sorted((letter, power) for letter, power in powers.items() if power))


def _times(a: _Poly, b: _Poly) -> _Poly | None:
    if len(a) * len(b) > MAX_TERMS * MAX_TERMS:
        return None
    out: _Poly = {}
    for (s1, p1, k1, m1), q1 in a.items():
        for (s2, p2, k2, m2), q2 in b.items():
            if s1 * s2 > MAX_RADICAND:
                return None
            outside, inside = _square_free(s1 * s2) if s1 != 1 and s2 != 1 else (1, s1 * s2)
            monomial = _merge(m1, m2)
            if monomial is None:
                return None
            coefficient = q1 * q2 * outside
            k = k1 + k2
            if k == 2:
                coefficient, k = -coefficient, 0
            key = (inside, p1 + p2, k, monomial)
            out[key] = out.get(key, Fraction(0)) + coefficient
    result = {key: value for key, value in out.items() if value}
    return result if len(result) <= MAX_TERMS else None


def _plus(a: _Poly, b: _Poly, sign: int = 1) -> _Poly:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, Fraction(0)) + sign * value
    return {key: value for key, value in out.items() if value}


def _inverse(a: _Poly) -> _Poly | None:
    """1/a for a single term (a monomial); sums in a denominator are left to sympy."""
    if len(a) != 1:
        return None
    (((s, p, k, monomial), q),) = a.items()
    if q == 0:
        return None  # division by zero: not a value
    # 1/(q √s π^p i^k m) = (1/(q s)) √s π^-p i^-k m^-1, and 1/i = -i.
    coefficient = 1 / (q * s)
    if k == 1:
        coefficient = -coefficient
    return {(s, -p, k, tuple((letter, -power) for letter, power in monomial)): coefficient}


def _power(a: _Poly, exponent: int) -> _Poly | None:
    if abs(exponent) > MAX_POWER:
        return None
    if exponent < 0:
        inverse = _inverse(a)
        return _power(inverse, -exponent) if inverse is not None else None
    result: _Poly | None = {_ONE: Fraction(1)}
    for _ in range(exponent):
        result = _times(result, a) if result is not None else None
    return result


def _rational(value: _Poly | None) -> Fraction | None:
    if value is None or list(value) not in ([_ONE], []):
        return None
    return value.get(_ONE, Fraction(0))


class _Reader:
    """Recursive descent over a normalised answer; every method returns None to give up."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def take(self, token: str) -> bool:
        if self.peek(token):
            self.pos += len(token)
            return True
        return False

    def group(self) -> _Poly | None:
        """``{expr}``, or a single digit or letter (``\\frac34``, ``\\sqrt2``, ``x^2``)."""
        if self.take("{"):
            value = self.expression()
            return value if value is not None and self.take("}") else None
        if self.pos < len(self.text):
            char = self.text[self.pos]
            if "0" <= char <= "9":
                self.pos += 1
                return {_ONE: Fraction(int(char))}
            if char in _VARIABLES:
                self.pos += 1
                return {(1, 0, 0, ((char, 1),)): Fraction(1)}
        return None

    def expression(self) -> _Poly | None:
        total: _Poly = {}
        sign = 1
        if self.take("-"):
            sign = -1
        else:
            self.take("+")
        while True:
            term = self.product()
            if term is None:
                return None
            total = _plus(total, term, sign)
            if len(total) > MAX_TERMS:
                return None
            if self.take("+"):
                sign = 1
            elif self.take("-"):
                sign = -1
            else:
                return total

    def product(self) -> _Poly | None:
        value: _Poly | None = None
        while self.pos < len(self.text) and self.text[self.pos] not in "+-}),":
            divide = value is not None and self.take("/")
            if not divide and not self.take("\\cdot"):
                self.take("\\times")
            factor = self.factor()
            if factor is not None and divide:
                factor = _inverse(factor)
            if factor is None:
                return None
            value = factor if value is None else _times(value, factor)
            if value is None:
                return None
        return value

    def factor(self) -> _Poly | None:
        base = self.atom()
        if base is None:
            return None
        if self.take("^"):
            exponent = _rational(self.group())
            if exponent is None or exponent.denominator != 1:
                return None
            return _power(base, int(exponent))
        return base

    def function(self) -> _Poly | None:
        """``\\cot x``, ``\\sin^2(2x)``, ``\\log{(x+1)}``: an opaque factor, keyed by the function, its power
        and the canonical form of its argument, which must hold a variable (``\\sin \\pi`` is a number:
        sympy's business)."""
        start = self.pos + 1
        end = start
        while end < len(self.text) and self.text[end].isalpha():
            end += 1
        name = self.text[start:end]
        if name not in ELEMENTARY_FUNCTIONS:
            return None
        self.pos = end
        power = 1
        if self.take("^"):
            exponent = _rational(self.group())
            if exponent is None or exponent.denominator != 1 or not 1 <= exponent <= MAX_POWER:
                return None
            power = int(exponent)
        while self.take(" "):
            pass
        argument = self.argument()
        if argument is None or not any(basis[3] for basis in argument):
            return None
        key = f"\\{name}({sorted(argument.items())!r})"
        return {(1, 0, 0, ((key, power),)): Fraction(1)}

    def argument(self) -> _Poly | None:
        """A function's argument: ``(…)``, ``{…}``, or digits and one variable (``2x``), not followed by
        ``^`` (``\\sin x^2`` is ambiguous on paper)."""
        if self.take("("):
            value = self.expression()
            return value if value is not None and self.take(")") else None
        if self.peek("{"):
            return self.group()
        start = self.pos
        while self.pos < len(self.text) and "0" <= self.text[self.pos] <= "9":
            self.pos += 1
        if self.pos >= len(self.text) or self.text[self.pos] not in _VARIABLES:
            return None
        letter = self.text[self.pos]
        self.pos += 1
        if self.pos < len(self.text) and (self.text[self.pos] == "^" or self.text[self.pos].isalpha()):
            return None
        coefficient = Fraction(int(self.text[start : self.pos - 1])) if self.pos - 1 > start else Fraction(1)
        return {(1, 0, 0, ((letter, 1),)): coefficient}

    def atom(self) -> _Poly | None:
        text, pos = self.text, self.pos
        if pos >= len(text):
            return None
        char = text[pos]
        if "0" <= char <= "9":  # ASCII only: str.isdigit() also takes "²"
            end = pos
            while end < len(text) and "0" <= text[end] <= "9":
                end += 1
            if end - pos > MAX_DIGITS or (end < len(text) and text[end] == "."):
                return None  # decimals are the fast path's business (precision policies)
            self.pos = end
            return {_ONE: Fraction(int(text[pos:end]))}
        if self.take("\\frac"):
            top, bottom = self.group(), self.group()
            if top is None or bottom is None:
                return None
            inverse = _inverse(bottom)
            return _times(top, inverse) if inverse is not None else None
        if self.take("\\sqrt"):
            if self.peek("["):
                return None  # higher roots: sympy
            radicand = _rational(self.group())
            if radicand is None or radicand < 0 or radicand.numerator * radicand.denominator > MAX_RADICAND:
                return None
            # √(a/b) = √(ab)/b
            outside, inside = _square_free(radicand.numerator * radicand.denominator)
            if inside == 0:
                return {}
            return {(inside, 0, 0, ()): Fraction(outside, radicand.denominator)}
        if self.take("\\pi"):
            return {(1, 1, 0, ()): Fraction(1)}
        if char == "\\":
            return self.function()
        if char == "i" and (pos + 1 == len(text) or not text[pos + 1].isalpha()):
            self.pos += 1
            return {(1, 0, 1, ()): Fraction(1)}
        if char in _VARIABLES and not (pos + 1 < len(text) and text[pos + 1] == "_"):
            self.pos += 1
            return {(1, 0, 0, ((char, 1),)): Fraction(1)}
        if self.take("("):
            value = self.expression()
            return value if value is not None and self.take(")") else None
        return None


def parse_surd(text: str) -> Surd | None:
    """Read a normalised answer as an exact value (see the module docstring), or ``None``.

    Example:
        >>> parse_surd("\\\\frac{\\\\sqrt{21}}{5}") == parse_surd("\\\\sqrt{\\\\frac{21}{25}}")
        True
        >>> parse_surd("6-5i") == parse_surd("-5i+6")
        True
        >>> parse_surd("\\\\frac{3\\\\pi}{4}") == parse_surd("\\\\frac{3}{4}\\\\pi")
        True
        >>> parse_surd("(a+5)(b+2)") == parse_surd("ab+2a+5b+10")
        True
        >>> parse_surd("\\\\sin \\\\pi") is None, parse_surd("1.5\\\\sqrt{2}") is None
        (True, True)
        >>> parse_surd("\\\\cot x").has_functions
        True
    """
    if not text or len(text) > MAX_CHARS:
        return None
    reader = _Reader(text)
    value = reader.expression()
    if value is None or reader.pos != len(text):
        return None
    return Surd(tuple(sorted(value.items())))


def multiply(a: Surd | Fraction, b: Surd | Fraction) -> Surd | None:
    """The exact product of two values (``None`` when it grows past the size caps).

    Example:
        >>> multiply(parse_surd("\\\\sqrt{2}"), parse_surd("3\\\\sqrt{2}")) == parse_surd("6")
        True
        >>> multiply(Fraction(1, 3), parse_surd("\\\\sqrt{3}")) == parse_surd("\\\\frac{\\\\sqrt{3}}{3}")
        True
    """
    left = dict(a.terms) if isinstance(a, Surd) else ({_ONE: a} if a else {})
    right = dict(b.terms) if isinstance(b, Surd) else ({_ONE: b} if b else {})
    product = _times(left, right)
    return Surd(tuple(sorted(product.items()))) if product is not None else None
