"""The answer normaliser: one canonical spelling for the many ways an answer is written.

Both the gold and the predicted answer go through :func:`normalize_answer` before any comparison.
It only rewrites spelling, never value: spacing commands, ``\\left``/``\\right``, ``\\dfrac``/``\\tfrac``,
Unicode symbols (√ π ∞ × · −), thousands separators written ``{,}`` or ``,\\!``, degree signs, dollar
signs, trailing units in ``\\text{…}``, and a leading single-variable assignment (``x = 5``). The
percent sign is kept as a marker (``%``), never turned into a factor of 100.
"""

from __future__ import annotations

import re

_UNICODE = {
    "√": "\\sqrt",
    "π": "\\pi",
    "∞": "\\infty",
    "×": "\\times",
    "·": "\\cdot",
    "−": "-",
    "–": "-",
    "—": "-",
    "≤": "\\le",
    "≥": "\\ge",
    "≠": "\\ne",
    "∅": "\\emptyset",
    "∪": "\\cup",
    "∩": "\\cap",
    "°": "^\\circ",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
}
_COMMAND_ALIASES = (
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\cfrac", "\\frac"),
    ("\\dbinom", "\\binom"),
    ("\\tbinom", "\\binom"),
    ("\\varnothing", "\\emptyset"),
    ("\\leq", "\\le"),
    ("\\geq", "\\ge"),
    ("\\neq", "\\ne"),
    ("\\lbrace", "\\{"),
    ("\\rbrace", "\\}"),
    ("\\lvert", "|"),
    ("\\rvert", "|"),
    ("\\mbox{", "\\text{"),
    ("\\textrm{", "\\text{"),
    ("\\textbf{", "\\text{"),
    ("\\textit{", "\\text{"),
    ("\\mathrm{", "\\text{"),
    ("\\mathbf{", "\\text{"),
    ("\\operatorname{", "\\text{"),
)
# Removed outright: presentation only.
_DROP = (
    "\\displaystyle",
    "\\textstyle",
    "\\left",
    "\\right",
    "\\bigl",
    "\\bigr",
    "\\Bigl",
    "\\Bigr",
    "\\big",
    "\\Big",
    "\\!",
    "\\,",
    "\\;",
    "\\:",
    "\\qquad",
    "\\quad",
    "\\ ",
    "\\$",
    "$",
)
_ROW_BREAK = "\x00ROW\x00"  # NUL never survives to here: it is removed first
# "√12" is the root of 12 (in LaTeX "\\sqrt12" would be \\sqrt{1}2): brace the digits it applies to.
_UNICODE_ROOT = re.compile(r"√(\d+(?:\.\d+)?)")
_DEGREE = ("^{\\circ}", "^\\circ", "\\circ", "\\degree")
_THOUSANDS = ("{,}", ",\\!")
_SPACE_NOT_BETWEEN_LETTERS = re.compile(r"(?<![a-zA-Z]) | (?![a-zA-Z])")
_MEMBERSHIP = re.compile(r"^[a-zA-Z]\\in(?![a-zA-Z])")  # "x \\in [-2, 7]" is the interval
_ASSIGNMENT = re.compile(r"^[a-zA-Z](?:_\{?[a-zA-Z0-9]\}?)?=(?![=<>])")
# A trailing unit after a number: "\text{ cm}" (any words), or a known unit word after a space.
# A bare letter glued to a number ("4t", "3i") is algebra, never a unit.
# A number, or a fraction of integers: "\frac{270}7\text{ degrees}" is a MATH-500 gold.
_NUMBER = r"-?(?:\\frac(?:\{\d+\}|\d)(?:\{\d+\}|\d)|(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:/\d+)?%?)"
_TEXT_UNIT = re.compile(r"^(" + _NUMBER + r")\s*\\text\{[a-zA-Z .]{1,40}\}(?:\^\{?[23]\}?)?$")
_UNIT_WORDS = (
    "square units|square feet|square inches|square meters|square centimeters|cubic units|cubic feet|"
    "units?|cm|centimeters?|meters?|km|kilometers?|mm|millimeters?|inch(?:es)?|feet|foot|ft|yards?|miles?|"
    "mph|dollars?|cents?|degrees?|hours?|minutes?|seconds?|days?|weeks?|months?|years?|pounds?|lbs?|"
    "ounces?|grams?|kg|kilograms?|liters?|ml|gallons?|people|students|cookies|marbles|apples|coins|"
    "books|cars|boxes|pages|points|ways|times|steps|cups|eggs"
)
_WORD_UNIT = re.compile(r"^(" + _NUMBER + r")\s+(?:" + _UNIT_WORDS + r")(?:\^\{?[23]\}?)?$", re.IGNORECASE)


def _strip_unit(s: str) -> str:
    for pattern in (_TEXT_UNIT, _WORD_UNIT):
        match = pattern.match(s)
        if match:
            return match.group(1)
    return s


def normalize_answer(answer: str) -> str:
    """Canonical spelling of an answer (see the module docstring).

    Example:
        >>> normalize_answer("\\\\dfrac{1}{2}")
        '\\\\frac{1}{2}'
        >>> normalize_answer("$900,\\\\!000$ \\\\text{ dollars}")
        '900,000'
        >>> normalize_answer("x = \\\\left( 3, \\\\frac{\\\\pi}{2} \\\\right)")
        '(3,\\\\frac{\\\\pi}{2})'
        >>> normalize_answer("30^\\\\circ")
        '30'
        >>> normalize_answer("50\\\\%")
        '50%'
    """
    s = "".join(ch for ch in answer if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF)
    if "√" in s:
        s = _UNICODE_ROOT.sub(r"\\sqrt{\1}", s)
    for symbol, replacement in _UNICODE.items():
        if symbol in s:
            s = s.replace(symbol, replacement)
    for old, new in _COMMAND_ALIASES:
        if old in s:
            s = s.replace(old, new)
    for mark in _THOUSANDS:
        if mark in s:
            s = s.replace(mark, ",")
    s = s.replace("\\\\", _ROW_BREAK)  # protect "\\\\" (matrix rows) from the "\\ " rule below
    for token in _DROP:
        if token in s:
            s = s.replace(token, " " if token == "\\ " else "")
    s = s.replace(_ROW_BREAK, "\\\\")
    for mark in _DEGREE:
        if mark in s:
            s = s.replace(mark, "")
    s = s.replace("\\%", "%")
    text_only = s.strip()
    if text_only.startswith("\\text{") and text_only.endswith("}") and text_only.count("{") == 1:
        inner = " ".join(text_only[len("\\text{") : -1].split())
        return inner.lower()
    s = _strip_unit(" ".join(s.split()).rstrip(". "))
    # LaTeX math: spaces carry no meaning, except between letters ("\\cdot x", "a b").
    s = _SPACE_NOT_BETWEEN_LETTERS.sub("", s)
    s = _ASSIGNMENT.sub("", s, count=1)
    s = _MEMBERSHIP.sub("", s, count=1)
    return s
