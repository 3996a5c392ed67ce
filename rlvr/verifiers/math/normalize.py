"""The answer normaliser: one canonical spelling for the many ways an answer is written.

Both the gold and the predicted answer go through :func:`normalize_answer` before any comparison.
It only rewrites spelling, never value: spacing commands, ``\\left``/``\\right``, ``\\dfrac``/``\\tfrac``,
Unicode symbols (√ π ∞ × · −), thousands separators written ``{,}`` or ``,\\!``, degree signs, dollar
signs, ``percent``/``pct`` as ``%``, units after a value (``\\text{ km}``, ``200 GB``, ``5 jars of jam``),
``\\mathbb{R}`` as ``(-\\infty,\\infty)``, ``array`` matrices as ``pmatrix``, list words (``\\text{ and }``,
``;``) as commas, a leading assignment (``x = 5``, ``(x, y) = (5, 8)``), a chain of equalities to its last
side (``5+5+1 = 11``), and an exact value before ``\\approx`` (``\\frac{1}{3} \\approx 0.33``). The percent
sign is kept as a marker (``%``), never turned into a factor of 100.

Spaces carry no meaning in LaTeX math and are removed, with two exceptions: between letters (``a b``), and
after a comma — ``32, 349`` is a list of two numbers, ``32,349`` one number — so a comma followed by
white space is written ``", "``.
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
    "≈": "\\approx",
    "∅": "\\emptyset",
    "∪": "\\cup",
    "∩": "\\cap",
    "°": "^\\circ",
    "…": "\\ldots",
    "ℝ": "\\mathbb{R}",
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
    ("\\cdots", "\\ldots"),
    ("\\dots", "\\ldots"),
    ("...", "\\ldots"),
    ("\\bar{", "\\overline{"),
    ("\\dot{", "\\overline{"),
    ("\\mbox{", "\\text{"),
    ("\\textrm{", "\\text{"),
    ("\\textbf{", "\\text{"),
    ("\\textit{", "\\text{"),
    ("\\textnormal{", "\\text{"),
    ("\\textsf{", "\\text{"),
    ("\\texttt{", "\\text{"),
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
_LIST_COMMA = "\x01"  # a comma followed by white space, while spaces are removed
# "√12" is the root of 12 (in LaTeX "\\sqrt12" would be \\sqrt{1}2): brace the digits it applies to.
_UNICODE_ROOT = re.compile(r"√(\d+(?:\.\d+)?)")
_DEGREE = ("^{\\circ}", "^\\circ", "\\circ", "\\degree")
_THOUSANDS_MARK = re.compile(r"\s*(?:\{\s*,\s*\}|,\\!)\s*")
_REALS = re.compile(r"\\mathbb\s*\{?\s*R\s*\}?|\\R(?![a-zA-Z])")
_ARRAY = re.compile(r"[\[(]?\s*\\begin\{array\}\s*\{[^{}]*\}(.*?)\\end\{array\}\s*[\])]?", re.DOTALL)
_BRACKETED_MATRIX = re.compile(r"[\[(]\s*(\\begin\{[pb]?matrix\}.*?\\end\{[pb]?matrix\})\s*[\])]", re.DOTALL)
_PERCENT_WORD = re.compile(r"(\d)\s*(?:per ?cent(?:age)?|pct)\b\.?", re.IGNORECASE)
_LIST_WORD = re.compile(r"\s*\\text\{\s*(?:and|or)\s*\}\s*|\s*\\quad\s*(?:and|or)\s*\\quad\s*", re.IGNORECASE)
_SPACE_NOT_BETWEEN_LETTERS = re.compile(r"(?<![a-zA-Z]) | (?![a-zA-Z])")
_MEMBERSHIP = re.compile(r"^[a-zA-Z]\\in(?![a-zA-Z])")  # "x \\in [-2, 7]" is the interval
_ASSIGNMENT = re.compile(r"^[a-zA-Z](?:_\{?[a-zA-Z0-9]{1,3}\}?)?=(?![=<>])")
_NAMED_TUPLE = re.compile(
    r"^\((?:[a-zA-Z](?:_\{?[a-zA-Z0-9]{1,3}\}?)?[,\x01]){1,8}[a-zA-Z](?:_\{?[a-zA-Z0-9]{1,3}\}?)?\)="
)
# A trailing unit after a value: "\text{ cm}" (any words) after anything, or words after a number.
# A bare letter glued to a number ("4t", "3i") is algebra, never a unit.
_NUMBER = r"-?(?:\\frac(?:\{\d+\}|\d)(?:\{\d+\}|\d)|(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:/\d+)?%?)"
_TEXT_UNIT = re.compile(r"^(.*?[^\s+\-*/=^_{(,])\s*\\text\{[a-zA-Z .'/-]{1,40}\}(?:\^\{?[23]\}?)?$")
_UNIT_WORD = r"(?:[a-zA-Z]{2,}\.?|[a-zA-Z]{1,3}/[a-zA-Z]{1,6})"
_WORD_UNIT = re.compile(
    r"^(" + _NUMBER + r"|[^a-zA-Z]*?\d[^a-zA-Z]*?\\pi)\s+" + _UNIT_WORD + r"(?:\s+" + _UNIT_WORD + r"){0,5}"
    r"(?:\^\{?[23]\}?)?$"
)


def _strip_unit(s: str) -> str:
    for _ in range(2):
        match = _TEXT_UNIT.match(s) or _WORD_UNIT.match(s)
        if not match:
            break
        s = match.group(1).rstrip()
    return s


def _top_level_positions(s: str, token: str) -> list[int]:
    """Where ``token`` occurs outside braces, brackets and parentheses."""
    positions = []
    depth = 0
    i = 0
    while i < len(s):
        char = s[i]
        if char in "{([":
            depth += 1
        elif char in "})]":
            depth -= 1
        elif depth == 0 and s.startswith(token, i):
            positions.append(i)
            i += len(token)
            continue
        i += 1
    return positions


def _cut_chain(s: str) -> str:
    """``a = b ≈ c`` to ``b``: the exact value before ``\\approx``, the last side of a chain of ``=``."""
    approx = _top_level_positions(s, "\\approx")
    if approx and approx[0] > 0 and s[: approx[0]].strip():
        s = s[: approx[0]]
    equals = [p for p in _top_level_positions(s, "=") if not (p > 0 and s[p - 1] in "<>!\\")]
    if len(equals) >= 2 and s[equals[-1] + 1 :].strip():
        s = s[equals[-1] + 1 :]
    return s


def normalize_answer(answer: str) -> str:
    """Canonical spelling of an answer (see the module docstring).

    Example:
        >>> normalize_answer("\\\\dfrac{1}{2}")
        '\\\\frac{1}{2}'
        >>> normalize_answer("$900,\\\\!000$ \\\\text{ dollars}")
        '900,000'
        >>> normalize_answer("x = \\\\left( 3, \\\\frac{\\\\pi}{2} \\\\right)")
        '(3, \\\\frac{\\\\pi}{2})'
        >>> normalize_answer("30^\\\\circ")
        '30'
        >>> normalize_answer("50\\\\%"), normalize_answer("28 percent"), normalize_answer("200 GB")
        ('50%', '28%', '200')
        >>> normalize_answer("32, 349"), normalize_answer("14 {, }916")
        ('32, 349', '14,916')
    """
    s = "".join(ch for ch in answer if ch != "\x00" and ch != _LIST_COMMA and not 0xD800 <= ord(ch) <= 0xDFFF)
    if "√" in s:
        s = _UNICODE_ROOT.sub(r"\\sqrt{\1}", s)
    for symbol, replacement in _UNICODE.items():
        if symbol in s:
            s = s.replace(symbol, replacement)
    for old, new in _COMMAND_ALIASES:
        if old in s:
            s = s.replace(old, new)
    if "," in s:
        s = _THOUSANDS_MARK.sub(",", s)
    if "R" in s:
        s = _REALS.sub("(-\\\\infty,\\\\infty)", s)
    s = s.replace("\\\\", _ROW_BREAK)  # protect "\\\\" (matrix rows) from the "\\ " rule below
    for token in _DROP:
        if token in s:
            s = s.replace(token, " " if token == "\\ " else "")
    s = s.replace(_ROW_BREAK, "\\\\")
    if "\\begin{array}" in s:
        s = _ARRAY.sub(r"\\begin{pmatrix}\1\\end{pmatrix}", s)
    if "matrix}" in s:
        s = _BRACKETED_MATRIX.sub(r"\1", s)
    for mark in _DEGREE:
        if mark in s:
            s = s.replace(mark, "")
    s = s.replace("\\%", "%")
    if "per" in s or "pct" in s or "PER" in s:
        s = _PERCENT_WORD.sub(r"\1%", s)
    text_only = s.strip()
    if text_only.startswith("\\text{") and text_only.endswith("}") and text_only.count("{") == 1:
        inner = " ".join(text_only[len("\\text{") : -1].split())
        return inner.lower()
    if "and" in s or "or" in s:
        s = _LIST_WORD.sub(", ", s)
    if ";" in s:
        s = s.replace(";", ", ")
    s = _strip_unit(" ".join(s.split()).rstrip(". "))
    s = re.sub(r",\s+", _LIST_COMMA, s)
    # LaTeX math: spaces carry no meaning, except between letters ("\\cdot x", "a b").
    s = _SPACE_NOT_BETWEEN_LETTERS.sub("", s)
    s = _cut_chain(s)
    s = _NAMED_TUPLE.sub("", s, count=1)
    s = _ASSIGNMENT.sub("", s, count=1)
    s = _MEMBERSHIP.sub("", s, count=1)
    return s.replace(_LIST_COMMA, ", ")
