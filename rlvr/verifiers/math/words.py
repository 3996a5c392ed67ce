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
        "bn",
    }
)

#: Words (lower case) that make a whole answer sentence unsure or one of several, wherever they are: no
#: answer. ("or" lists the parts of a gold of several parts instead.)
UNSURE_WORDS: frozenset[str] = frozenset(
    {
        "or",
        "either",
        "neither",
        "nor",
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
        "guessing",
        "estimated",
        "estimate",
        "unsure",
        "uncertain",
        "unclear",
        "unknown",
        "undetermined",
        "ambiguous",
        "otherwise",
        "else",
        "alternatively",
        "whichever",
    }
)
#: Words that negate, approximate or bound the value they stand with: no answer when they are in the
#: part of the sentence that states the value ("it is not 5", "about 5"), not when they describe its
#: subject ("the number of girls not in the club is 40").
QUALIFIER_WORDS: frozenset[str] = frozenset(
    {
        "not",
        "no",
        "never",
        "except",
        "unless",
        "but",
        "instead",
        "approximately",
        "approx",
        "about",
        "around",
        "roughly",
        "nearly",
        "almost",
        "circa",
        "cannot",
        "undefined",
    }
)
#: Qualifiers that bound a value only when a value follows them: "between 4 and 5" is a range,
#: "the distance between the stops is 25" is not.
RANGE_WORDS: frozenset[str] = frozenset({"between", "from"})
#: Phrases (lower case, single spaces) that qualify the value they stand with, like QUALIFIER_WORDS.
QUALIFIER_PHRASES: frozenset[str] = frozenset(
    {
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
    }
)
#: Qualifier phrases that bound a value wherever they stand ("at least 9 points"); the comparisons among
#: QUALIFIER_PHRASES bound a value only when one follows them ("more than 5", not "$1 more than Becky").
BOUND_PHRASES: frozenset[str] = frozenset({"at least", "at most", "up to"})
#: After the stated value, these open a clause that gives context: "… 250 minutes left if this month has
#: 30 days", "… 5600 pounds after the termites ate 30% of its wood".
SUBORDINATORS: frozenset[str] = frozenset(
    {
        "if",
        "when",
        "after",
        "before",
        "since",
        "until",
        "while",
        "because",
        "whereas",
        "once",
        "which",
        "that",
        "who",
    }
)
#: Phrases that make a whole sentence unsure, like UNSURE_WORDS.
UNSURE_PHRASES: tuple[str, ...] = (
    "in the range",
    "somewhere",
    "one of",
    "i think",
    "i believe",
    "something like",
    "on the order of",
    "ballpark",
    "is wrong",
    "is incorrect",
    "be wrong",
    "be incorrect",
    "not sure",
    "not certain",
    "not confident",
    "no idea",
    "don't know",
    "do not know",
)
#: After a negation that follows the stated value, these make the sentence disown the value ("5 is not the
#: answer", "5 does not work"); other negations there describe its subject ("120 pounds will not be used").
DISOWNING_WORDS: frozenset[str] = frozenset(
    {
        "answer",
        "answers",
        "correct",
        "right",
        "true",
        "valid",
        "possible",
        "solution",
        "solutions",
        "it",
        "this",
        "that",
        "work",
        "works",
        "enough",
        "sufficient",
        "case",
        "what",
        "how",
        "accurate",
        "exact",
        "result",
        "value",
        "number",
        "final",
        "one",
        "choice",
        "option",
        "sure",
        "certain",
        "likely",
    }
)
#: In parentheses after a value, these make it approximate, conditional or disowned: "5 (approx.)",
#: "5 (if we count zero)", "5 (6 if counting zero)", "5 (wrong)". A parenthesis that only restates context
#: ("30 apples (10 for Jenna and 20 for her mom)") or rules a value out ("5 (not 6)") is none of these.
PARENTHETICAL_QUALIFIERS: frozenset[str] = frozenset(
    {
        "approximately",
        "approx",
        "about",
        "around",
        "roughly",
        "nearly",
        "almost",
        "circa",
        "est",
        "estimated",
        "if",
        "unless",
        "assuming",
        "provided",
        "wrong",
        "incorrect",
        "though",
        "although",
        "maybe",
        "perhaps",
        "possibly",
        "probably",
        "alternatively",
        "otherwise",
    }
)
#: Directly before the one value of an answer, these bound it: "Answer: under 5", "over 20".
BOUND_BEFORE: frozenset[str] = frozenset(
    {"under", "below", "above", "over", "beyond", "within", "exceeding", "upwards", "nearly", "almost"}
)
#: Symbols of an approximate or alternative value.
HEDGE_SYMBOLS: tuple[str, ...] = ("\\approx", "\\sim", "≈", "~", "\\lor", "\\vee", "?")
#: A value after one of these (within a few words: "in the next 4 days", "for 16 glasses") restates the
#: question's context, not the answer; the value that is not in such a phrase is the answer.
CONTEXT_PREPOSITIONS: frozenset[str] = frozenset(
    {
        "for",
        "in",
        "over",
        "after",
        "per",
        "during",
        "within",
        "from",
        "at",
        "on",
        "since",
        "before",
        "until",
        "by",
    }
)
#: Words that may stand between a context preposition and its value ("in the next 4 days").
CONTEXT_FILLERS: frozenset[str] = frozenset(
    {
        "the",
        "a",
        "an",
        "next",
        "first",
        "last",
        "each",
        "every",
        "all",
        "these",
        "those",
        "his",
        "her",
        "their",
        "its",
    }
)

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
