"""Spellings of exact numbers, each denoting exactly its value: the digits grouped by thousands, a decimal
with a given number of places, ``\\frac{a}{b}``, the integer 0 to 9999 in English words, and the lists of
every way an answer may write an integer, a fraction or any rational.

Pure functions of exact values (``int`` and ``Fraction``), with no hypothesis: shared by the property-test
strategies of :mod:`rlvr.testing` (which build answers from exact values through them, so the truth of a
pair is known by construction, never from a verifier) and the gold rewrites of the benchmarks. A spelling
is a ``(note, text)`` pair; the first spelling of each list is the canonical one.

Example:
    >>> [text for _, text in value_spellings(Fraction(3, 4))][:2]
    ['\\\\frac{3}{4}', '\\\\dfrac{3}{4}']
    >>> english(1234), group_digits("1234", ",")
    ('one thousand two hundred thirty-four', '1,234')
"""

from __future__ import annotations

from fractions import Fraction

#: ``(note, text)``: how an answer is written, and the text.
Spelling = tuple[str, str]

THOUSANDS_SEPARATORS: tuple[tuple[str, str], ...] = (
    (",", "comma"),
    ("{,}", "{,}"),
    (",\\!", ",\\!"),
    ("\\,", "thin space \\,"),
)


def group_digits(digits: str, separator: str) -> str:
    """Digits in groups of three from the right.

    Example:
        >>> group_digits("7425000", "{,}")
        '7{,}425{,}000'
    """
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(groups)


def decimal_text(value: Fraction, places: int) -> str:
    """``value`` written with exactly ``places`` decimals; ``value * 10**places`` must be an integer.

    Example:
        >>> decimal_text(Fraction(-1, 40), 4)
        '-0.0250'
    """
    scaled = value * 10**places
    if scaled.denominator != 1:
        raise ValueError(f"{value} has more than {places} decimals")
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def terminating_places(value: Fraction) -> int | None:
    """How many decimals write ``value`` exactly, or ``None`` when its decimal expansion never ends.

    Example:
        >>> terminating_places(Fraction(3, 8)), terminating_places(Fraction(1, 3))
        (3, None)
    """
    rest = value.denominator
    twos = fives = 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    return max(twos, fives) if rest == 1 else None


def latex_number(value: Fraction) -> str:
    """The canonical spelling: an integer, or ``\\frac{a}{b}`` with the sign in front.

    Example:
        >>> latex_number(Fraction(-3, 4)), latex_number(Fraction(6, 3))
        ('-\\\\frac{3}{4}', '2')
    """
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def integer_spellings(n: int, *, in_group: bool = False) -> list[Spelling]:
    """Spellings of the integer ``n``; ``in_group`` leaves out what does not belong inside a tuple or set.

    Example:
        >>> [text for _, text in integer_spellings(14916)][:4]
        ['14916', '14,916', '14{,}916', '14,\\\\!916']
    """
    sign = "-" if n < 0 else ""
    digits = str(abs(n))
    spellings: list[Spelling] = [("plain", str(n))]
    if in_group:
        return [*spellings, ("trailing .0", f"{n}.0")]
    if abs(n) >= 1000:
        spellings += [
            (f"thousands separator {name}", sign + group_digits(digits, separator))
            for separator, name in THOUSANDS_SEPARATORS
        ]
    spellings.append(("leading zeros", f"{sign}00{digits}"))
    if n > 0:
        spellings.append(("explicit plus sign", f"+{digits}"))
    spellings += [("trailing .0", f"{n}.0"), ("math delimiters $...$", f"${n}$")]
    return spellings


def fraction_spellings(value: Fraction, *, scale: int = 2, in_group: bool = False) -> list[Spelling]:
    """Spellings of a non-integer rational; ``scale`` (>= 2) multiplies the unreduced forms.

    Example:
        >>> [text for _, text in fraction_spellings(Fraction(-3, 4))][:4]
        ['-\\\\frac{3}{4}', '-\\\\dfrac{3}{4}', '-\\\\tfrac{3}{4}', '-\\\\frac34']
    """
    if value.denominator == 1:
        raise ValueError("fraction_spellings needs a non-integer value")
    top, bottom = abs(value.numerator), value.denominator
    sign = "-" if value < 0 else ""
    spellings: list[Spelling] = [
        ("\\frac", f"{sign}\\frac{{{top}}}{{{bottom}}}"),
        ("\\dfrac", f"{sign}\\dfrac{{{top}}}{{{bottom}}}"),
        ("\\tfrac", f"{sign}\\tfrac{{{top}}}{{{bottom}}}"),
    ]
    if top < 10 and bottom < 10:
        spellings += [
            ("short \\frac34 form", f"{sign}\\frac{top}{bottom}"),
            ("short \\tfrac34 form", f"{sign}\\tfrac{top}{bottom}"),
        ]
    spellings.append(("slash a/b", f"{sign}{top}/{bottom}"))
    if sign:
        spellings += [
            ("minus sign in the numerator", f"\\frac{{-{top}}}{{{bottom}}}"),
            ("minus sign in the denominator", f"\\frac{{{top}}}{{-{bottom}}}"),
        ]
    spellings += [
        ("unreduced fraction", f"{sign}\\frac{{{scale * top}}}{{{scale * bottom}}}"),
        ("unreduced slash fraction", f"{sign}{scale * top}/{scale * bottom}"),
    ]
    places = terminating_places(value)
    if places is not None:
        text = decimal_text(value, places)
        spellings.append(("terminating decimal", text))
        if abs(value) < 1:
            spellings.append(("decimal without leading zero", text.replace("0.", ".", 1)))
        if not in_group:
            spellings.append(("decimal with trailing zeros", text + "00"))
    return spellings


def value_spellings(value: Fraction, *, scale: int = 2, in_group: bool = False) -> list[Spelling]:
    """Spellings of any rational value (integer or not).

    Example:
        >>> value_spellings(Fraction(1, 2))[-3:]
        [('terminating decimal', '0.5'), ('decimal without leading zero', '.5'), \
('decimal with trailing zeros', '0.500')]
    """
    if value.denominator == 1:
        return integer_spellings(value.numerator, in_group=in_group)
    return fraction_spellings(value, scale=scale, in_group=in_group)


_ONES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_TENS = ("_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def english(n: int, *, hyphen: str = "-", with_and: bool = False) -> str:
    """``n`` (0 to 9999) in English words.

    Example:
        >>> english(105, with_and=True), english(21), english(2020)
        ('one hundred and five', 'twenty-one', 'two thousand twenty')
    """
    if not 0 <= n <= 9999:
        raise ValueError("english() writes 0 to 9999")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (hyphen + _ONES[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{_ONES[hundreds]} hundred"
        return head + ((" and " if with_and else " ") + english(rest, hyphen=hyphen) if rest else "")
    thousands, rest = divmod(n, 1000)
    head = f"{_ONES[thousands]} thousand"
    return head + (" " + english(rest, hyphen=hyphen, with_and=with_and) if rest else "")
