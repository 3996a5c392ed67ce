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

from rlvr.verifiers.math.arithmetic import chain_states_one_value
from rlvr.verifiers.math.words import MAGNITUDE_WORDS

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
# "infinity" in words is the symbol: "(-infinity, 5)", "negative infinity".
_INFINITY_WORD = re.compile(r"(?i)(negative\s+|minus\s+)?\binfinity\b")
_REALS = re.compile(r"\\mathbb\s*\{?\s*R\s*\}?|\\R(?![a-zA-Z])")
_ARRAY = re.compile(r"[\[(]?\s*\\begin\{array\}\s*\{[^{}]*\}(.*?)\\end\{array\}\s*[\])]?", re.DOTALL)
_BRACKETED_MATRIX = re.compile(r"[\[(]\s*(\\begin\{[pb]?matrix\}.*?\\end\{[pb]?matrix\})\s*[\])]", re.DOTALL)
_PERCENT_WORD = re.compile(r"(\d)\s*(?:per ?cent(?:age)?|pct)\b\.?", re.IGNORECASE)
_LIST_WORD = re.compile(
    r",?\s*\\text\{\s*,?\s*(?:and|or)\s*\}\s*|,?\s*\\quad\s*(?:and|or)\s*\\quad\s*", re.IGNORECASE
)
_SPACE_NOT_BETWEEN_LETTERS = re.compile(r"(?<![a-zA-Z]) | (?![a-zA-Z])")
_MEMBERSHIP = re.compile(r"^[a-zA-Z]\\in(?![a-zA-Z])")  # "x \\in [-2, 7]" is the interval
_ASSIGNMENT = re.compile(r"^(?:[a-zA-Z](?:_\{?[a-zA-Z0-9]{1,3}\}?)?|[A-Z]{2,3})=(?![=<>])")
_ITEM_NAME = re.compile(r"^([a-zA-Z])(?:_\{?[a-zA-Z0-9]{1,3}\}?)?=(?![=<>])")
_NAMED_TUPLE = re.compile(
    r"^\((?:[a-zA-Z](?:_\{?[a-zA-Z0-9]{1,3}\}?)?[,\x01]){1,8}[a-zA-Z](?:_\{?[a-zA-Z0-9]{1,3}\}?)?\)="
)
# A trailing unit after a value: "\text{ cm}" (any words) after anything, or words after a number.
# A bare letter glued to a number ("4t", "3i") is algebra, never a unit.
_NUMBER = r"-?(?:\\frac(?:\{\d+\}|\d)(?:\{\d+\}|\d)|(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:/\d+)?%?)"
_UNIT_TEXT = re.compile(r"\\text\{[a-zA-Z .'/-]{1,40}\}(?:\^\{?[23]\}?)?$")
_UNIT_WORD = re.compile(r"(?:[a-zA-Z]{2,}\.?|[a-zA-Z]{1,3}/[a-zA-Z]{1,6})(?:\^\{?[23]\}?)?$")
_VALUE = re.compile(_NUMBER + r"$")
# Digits separated by single spaces: a thin-space thousands grouping ("1 000 000") is one number; any
# other grouping ("4 5 0", "5 6") is several numbers, a list.
_SPACED_DIGITS = re.compile(r"(?<![\d.])\d+(?: \d+)+(?![\d.])")
_GROUPED_BY_SPACES = re.compile(r"^\d{1,3}(?: \d{3})+$")
_THOUSANDS_AFTER = re.compile(r"\d{3}(?!\d)")
_VALUE_CHARS = frozenset("0123456789.,{}^_+-*/()% ")


def _is_value(prefix: str) -> bool:
    """A number, or a number times ``\\pi`` / a root with no letters: what a unit word may follow."""
    if _VALUE.match(prefix):
        return True
    bare = prefix.replace("\\pi", "").replace("\\sqrt", "").replace("\\frac", "")
    return any(c.isdigit() for c in bare) and set(bare) <= _VALUE_CHARS


def _strip_unit(s: str) -> str:
    """``s`` without a trailing unit: ``\\text{ cm}`` after any value, or up to six unit words after a
    number (``200 GB``, ``5 jars of jam``). A letter glued to a number (``4t``) is algebra, not a unit."""
    for _ in range(2):
        start = s.rfind("\\text{")
        unit_words = s[start + 6 :].lower().replace("}", " ").split() if start > 0 else []
        if start > 0 and _UNIT_TEXT.match(s, start) and not MAGNITUDE_WORDS.intersection(unit_words):
            prefix = s[:start].rstrip()
            if prefix and prefix[-1] not in "+-*/=^_{(,":
                s = prefix
                continue
        words = s.rsplit(" ", 6)
        cut = len(words)
        while cut > 1 and _UNIT_WORD.match(words[cut - 1]) and words[cut - 1].lower() not in MAGNITUDE_WORDS:
            cut -= 1
        if cut < len(words) and _is_value(" ".join(words[:cut]).strip()):
            s = " ".join(words[:cut]).strip()
            continue
        break
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


def _digit_groups(match: re.Match[str]) -> str:
    """Digits separated by spaces: one number when grouped in thousands, else a list of numbers."""
    return match[0] if _GROUPED_BY_SPACES.match(match[0]) else match[0].replace(" ", ", ")


def _balanced(s: str) -> bool:
    """Whether every bracket in ``s`` closes one opened before it, and all are closed."""
    depth = 0
    for char in s:
        depth += 1 if char in "{([" else -1 if char in "})]" else 0
        if depth < 0:
            return False
    return depth == 0


def _per_item_units(s: str) -> str:
    """Units stripped from every item of a list (``35 cm, 4``; ``35 cm,4``: a comma before other than
    three digits separates items, never thousands), also inside one pair of brackets around the whole list
    (``(3 cm, 4 cm)``, ``\\{3 cm, 4\\}``)."""
    left = 2 if s.startswith("\\{") and s.endswith("\\}") else 1 if s[:1] in "([" and s[-1:] in ")]" else 0
    body = s[left : len(s) - left]
    if left and not _balanced(body):
        left, body = 0, s
    cuts = sorted(
        _top_level_positions(body, _LIST_COMMA)
        + [p for p in _top_level_positions(body, ",") if not _THOUSANDS_AFTER.match(body, p + 1)]
    )
    if not cuts:
        return s
    items = [body[a + 1 : b].strip() for a, b in zip([-1, *cuts], [*cuts, len(body)], strict=True)]
    stripped = [_strip_unit(item) for item in items]
    if stripped == items:
        return s
    return s[:left] + _LIST_COMMA.join(stripped) + s[len(s) - left :]


def _per_item_names(s: str) -> str:
    """The assignments of one variable dropped from a list (``x=2, x=-3``, ``x_1=2,x_2=-3``): the values
    are the answer. Assignments to different names (``k=45, n=2``) stay."""
    cuts = sorted(_top_level_positions(s, _LIST_COMMA) + _top_level_positions(s, ","))
    pieces, start = [], 0
    for cut in cuts:
        pieces.append((s[start:cut], s[cut]))
        start = cut + 1
    pieces.append((s[start:], ""))
    names = [_ITEM_NAME.match(piece) for piece, _ in pieces]
    if len(pieces) < 2 or not all(names) or len({m.group(1) for m in names if m}) != 1:
        return s
    return "".join(piece[m.end() :] + sep for (piece, sep), m in zip(pieces, names, strict=True) if m)


_NAMED = re.compile(r"\s*([A-Za-z])\s*=\s*([^=]+)")


def named_in_order(pieces: list[str]) -> bool:
    """Whether each piece assigns one value to a one-letter name, the names in alphabetical order: together
    they state an ordered pair or triple (``a = 0``, ``b = 1``).

    Example:
        >>> named_in_order(["a = 0", "b = 1"]), named_in_order(["b=1", "a=0"]), named_in_order(["x=1", "y"])
        (True, False, False)
    """
    names = [m.group(1) if (m := _NAMED.fullmatch(piece)) else "" for piece in pieces]
    return all(names) and names == sorted(set(names))


def _named_values(s: str) -> str:
    """Values assigned to one-letter names in alphabetical order (:func:`named_in_order`), as the tuple of
    the values: ``x=1,y=2`` -> ``(1,2)``; anything else unchanged.

    Example:
        >>> _named_values("x=1,y=2"), _named_values("a=3,b=-1,c=0"), _named_values("y=2,x=1")
        ('(1,2)', '(3,-1,0)', 'y=2,x=1')
    """
    cuts = sorted(_top_level_positions(s, _LIST_COMMA) + _top_level_positions(s, ","))
    pieces = [s[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(s)], strict=True)]
    if len(pieces) < 2 or not named_in_order(pieces):
        return s
    return "(" + ",".join(m.group(2).strip() for piece in pieces if (m := _NAMED.fullmatch(piece))) + ")"


_GROUP_ASSIGNMENT = re.compile(r"\s*([a-zA-Z](?:_\{?[a-zA-Z0-9]{1,3}\}?)?)\s*=\s*([^=,;]+?)\s*")


def _assignment_groups(s: str) -> str:
    """Solutions written as groups of assignments to the same names, ``;`` between groups, as tuples:
    ``p=5,q=2;p=7,q=2`` -> ``(5,2),(7,2)``; anything else unchanged.

    Example:
        >>> _assignment_groups("p=5,q=2;p=7,q=2"), _assignment_groups("x=1;y=2")
        ('(5,2),(7,2)', 'x=1;y=2')
    """
    groups = []
    for group in s.split(";"):
        pairs = [_GROUP_ASSIGNMENT.fullmatch(piece) for piece in group.split(",")]
        if len(pairs) < 2 or not all(pairs):
            return s
        groups.append([(m.group(1), m.group(2)) for m in pairs if m])
    names = [name for name, _ in groups[0]]
    if len(set(names)) != len(names) or any([name for name, _ in g] != names for g in groups):
        return s
    return ",".join("(" + ",".join(value for _, value in g) + ")" for g in groups)


def _unbrace(s: str) -> str:
    """``{1, 2, 3}`` (braces without a backslash group in LaTeX, they draw nothing) as ``1, 2, 3``."""
    layers = 0
    stack: list[int] = []
    closing_of: dict[int, int] = {}
    for i, char in enumerate(s):
        if char in "{}" and i > 0 and s[i - 1] == "\\":
            continue
        if char == "{":
            stack.append(i)
        elif char == "}" and stack:
            closing_of[stack.pop()] = i
    while layers < len(s) // 2 and closing_of.get(layers) == len(s) - 1 - layers:
        layers += 1
    return s[layers : len(s) - layers].strip() if layers else s


def _cut_chain(s: str) -> str:
    """``a = b ≈ c`` to ``b``: the exact value before ``\\approx``, the last side of a chain of ``=``."""
    approx = _top_level_positions(s, "\\approx")
    if approx and approx[0] > 0 and s[: approx[0]].strip():
        s = s[: approx[0]]
    equals = [p for p in _top_level_positions(s, "=") if not (p > 0 and s[p - 1] in "<>!\\")]
    numeric = bool(equals) and not any(c.isalpha() for c in s.replace("\\frac", "").replace("\\sqrt", ""))
    chain = len(equals) >= 2 or numeric  # "2+3=5" states 5; "7=11a+c" is an equation
    if chain and s[equals[-1] + 1 :].strip() and not _top_level_positions(s, _LIST_COMMA):
        sides = [s[a + 1 : b].strip() for a, b in zip([-1, *equals], [*equals, len(s)], strict=True)]
        if not chain_states_one_value(sides):
            return s  # "1=2=3": sides that contradict each other are no value
        s = s[equals[-1] + 1 :]
    return s


_PLAIN_NUMERAL = re.compile(r"-?\d{1,40}(?:\.\d{1,40})?")
# NUL and zero-width characters: invisible, so never part of an answer ("1\u200b0" is 10).
_INVISIBLE = frozenset("\x00\u200b\u200c\u200d\u2060\ufeff")


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
    if _PLAIN_NUMERAL.fullmatch(answer):
        return answer  # already canonical: "18", "-2.50" (the common case, fast)
    if answer.isascii() and "\x00" not in answer and _LIST_COMMA not in answer:
        s = answer  # nothing invisible, no Unicode symbol to spell in LaTeX (the common case, fast)
    else:
        s = "".join(
            ch
            for ch in answer
            if ch not in _INVISIBLE and ch != _LIST_COMMA and not 0xD800 <= ord(ch) <= 0xDFFF
        )
        if "√" in s:
            s = _UNICODE_ROOT.sub(r"\\sqrt{\1}", s)
        for symbol, replacement in _UNICODE.items():
            if symbol in s:
                s = s.replace(symbol, replacement)
    latex = "\\" in s
    if latex or "..." in s:
        for old, new in _COMMAND_ALIASES:
            if old in s:
                s = s.replace(old, new)
    if "," in s:
        s = _THOUSANDS_MARK.sub(",", s)
    if "R" in s:
        s = _REALS.sub("(-\\\\infty,\\\\infty)", s)
    if "nfinity" in s:
        s = _INFINITY_WORD.sub(lambda m: "-\\infty" if m.group(1) else "\\infty", s)
    latex = "\\" in s
    if latex or "$" in s:
        s = s.replace("\\\\", _ROW_BREAK)  # protect "\\\\" (matrix rows) from the "\\ " rule below
        for token in _DROP:
            if token in s:
                s = s.replace(token, " " if token == "\\ " else "")
        s = s.replace(_ROW_BREAK, "\\\\")
    if latex:
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
        s = _assignment_groups(s).replace(";", ", ")
    s = " ".join(s.split()).rstrip(". ")
    if " " in s or "\\text{" in s:
        s = _strip_unit(s)
    if s[:1] == "{":
        s = _unbrace(s)
    if " " in s:
        s = _SPACED_DIGITS.sub(_digit_groups, s)
    if "," in s:
        s = _per_item_units(re.sub(r",\s+", _LIST_COMMA, s))
    # LaTeX math: spaces carry no meaning, except between letters ("\\cdot x", "a b").
    if " " in s:
        s = _SPACE_NOT_BETWEEN_LETTERS.sub("", s)
    listed = ("," in s or _LIST_COMMA in s) and bool(
        _top_level_positions(s, _LIST_COMMA) or _top_level_positions(s, ",")
    )
    if listed:
        s = _per_item_names(s)
        s = _named_values(s)
        if len(_top_level_positions(s, "=")) == 1:
            s = _ASSIGNMENT.sub("", s, count=1)  # "x = 1,000"
    elif "=" in s:
        s = _cut_chain(s)
        s = _NAMED_TUPLE.sub("", s, count=1)
        s = _ASSIGNMENT.sub("", s, count=1)
    if "\\in" in s:
        s = _MEMBERSHIP.sub("", s, count=1)
    return s.replace(_LIST_COMMA, ", ")
