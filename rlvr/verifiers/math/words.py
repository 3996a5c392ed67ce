"""The words of answers written in English: number words, and the words that make a stated answer unsure.

Number words are read only as a whole answer (``five``, ``twenty-one``, ``one hundred and five``): inside a
sentence they are one candidate value among others (see :mod:`rlvr.verifiers.math.prose`). Hedges,
negations and alternatives (``or``, ``maybe``, ``not``, ``approximately``) make a sentence no answer at
all, and a magnitude word after a number (``5 million``, ``two dozen``) makes the number not the value.

Example:
    >>> number_words("twenty-one"), number_words("one hundred and five"), number_words("a lot")
    (21, 105, None)
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
#: Words that read as a number on their own.
NUMBER_WORDS: frozenset[str] = frozenset((*_UNITS, *_TENS))
_SCALES = {"hundred": 100, "thousand": 1000}

#: A magnitude word after a number changes its value: "5 million" is not 5, "two dozen" is not 2.
MAGNITUDE_WORDS: frozenset[str] = frozenset(
    {
        "hundred",
        "hundreds",
        "thousand",
        "thousands",
        "million",
        "millions",
        "billion",
        "billions",
        "trillion",
        "trillions",
        "dozen",
        "dozens",
        "score",
        "gross",
        "lakh",
        "crore",
        "k",
        "m",
        "bn",
        "mn",
    }
)

#: Words (lower case) that make a stated answer unsure, negated, or one of several: no answer.
HEDGE_WORDS: frozenset[str] = frozenset(
    {
        "or",
        "either",
        "neither",
        "nor",
        "between",
        "not",
        "no",
        "never",
        "except",
        "unless",
        "but",
        "maybe",
        "perhaps",
        "possibly",
        "probably",
        "likely",
        "unlikely",
        "might",
        "may",
        "could",
        "guess",
        "approximately",
        "approx",
        "about",
        "around",
        "roughly",
        "nearly",
        "almost",
        "circa",
        "estimated",
        "estimate",
        "unsure",
        "uncertain",
        "unknown",
        "undefined",
        "isn't",
        "aren't",
        "wasn't",
        "doesn't",
        "don't",
        "can't",
        "cannot",
        "won't",
    }
)
#: Phrases (lower case, single spaces) with the same effect as a hedge word.
HEDGE_PHRASES: tuple[str, ...] = (
    "at least",
    "at most",
    "up to",
    "more than",
    "less than",
    "fewer than",
    "greater than",
    "bigger than",
    "smaller than",
    "close to",
    "in the range",
    "somewhere",
    "one of",
)
#: Symbols with the same effect as a hedge word.
HEDGE_SYMBOLS: tuple[str, ...] = ("\\approx", "\\sim", "≈", "~", "\\neq", "\\ne ", "≠", "\\lor", "\\vee")

_WORD = re.compile(r"[a-z]+")


def number_words(text: str) -> int | None:
    """The value of a whole answer written in English number words, or ``None``.

    Reads ``zero`` to ``nineteen``, tens with or without a hyphen (``twenty-one``, ``forty two``), and
    hundreds and thousands (``one hundred and five``, ``two thousand twenty``). Anything else — a word
    that is not a number word, ``million``, ``dozen``, a digit — is not read.

    Example:
        >>> number_words("Five"), number_words("forty two"), number_words("two thousand and twenty")
        (5, 42, 2020)
        >>> number_words("two dozen"), number_words("5"), number_words("and")
        (None, None, None)
    """
    words = text.lower().replace("-", " ").split()
    if not words or len(words) > 12 or any(not _WORD.fullmatch(w) for w in words):
        return None
    words = [w for w in words if w != "and"] if words[0] != "and" and words[-1] != "and" else []
    if not words:
        return None
    total = 0
    current: int | None = None
    last_kind = ""
    for word in words:
        if word in _UNITS:
            if last_kind in ("unit",) or (last_kind == "tens" and _UNITS[word] >= 10):
                return None
            current = (current or 0) + _UNITS[word]
            last_kind = "unit"
        elif word in _TENS:
            if last_kind in ("unit", "tens"):
                return None
            current = (current or 0) + _TENS[word]
            last_kind = "tens"
        elif word in _SCALES:
            if current is None or current == 0:
                return None
            if word == "hundred":
                if current >= 10 or last_kind == "hundred":
                    return None
                current *= 100
                last_kind = "hundred"
            else:
                if total:
                    return None
                total = current * 1000
                current = None
                last_kind = "thousand"
        else:
            return None
    if current is None and last_kind != "thousand":
        return None
    return total + (current or 0)
