"""Reading the text after an answer marker: a math answer as written, or one value out of a sentence.

What follows "The answer is", "Answer:", ``# Answer`` or a box is either math (``\\frac{1}{2}``,
``$28\\%$``, ``(2, 3)``, ``x = 5``), kept as written for the normaliser and the value reader, or a sentence
(``Dana covers 18 miles during her training session``, ``200 GB``, ``60 miles - 20 miles = 40 miles``).
A sentence is reduced to its single value only when that is unambiguous:

1. nothing unsure or alternative anywhere (``or``, ``either``, ``maybe``, ``probably``, ``could``, ``≈``,
   ``I think``, …): otherwise there is no answer;
2. a chain of equalities keeps what follows its last ``=`` (``60 - 20 = 40 miles`` is 40);
3. a subject before ``is``/``are``/``equals`` that holds no value is dropped (``the largest $n$ is 34``,
   ``the number of girls not in the club is 40``);
4. no negation, approximation or bound on what is left (``not``, ``except``, ``approximately``,
   ``about``, ``at least``, ``more than``, ``between 4 and 5``): otherwise there is no answer;
5. exactly one value must remain: a number (``$90``, ``35%``, ``7,425,000``, ``3:00``), a math segment
   (``$\\frac{1}{2}$``; a bare variable such as ``$n$`` is a name, not a value) or number words
   (``twenty-one``; not a compound modifier such as ``six-hour``); words after it are units. A value in
   a context phrase (``for 16 glasses``, ``in the next 4 days``, ``after 10 years``) restates the question:
   when exactly one value is outside such phrases, that one is the answer;
6. a magnitude word after the value (``5 million``, ``two dozen``) makes it no answer.

When the gold answer has several parts (``1, -2``, ``\\{3, 5\\}``), a sentence may list them: its pieces
(split at ``,``, ``;``, ``and``, ``or``) each reduce to one value and are joined into one list, which is
then compared exactly with the gold (a list never equals a single value, so this cannot pass a hedge
for a one-part gold). All scanning is linear in the length of the text, which the caller bounds.

Example:
    >>> reduce_tail("Dana covers 18 miles during her six-hour training session.").answer
    '18'
    >>> reduce_tail("3 or 4").reason
    "hedged or alternative answer ('or')"
    >>> reduce_tail("x = 2 or x = -3", parts=2).answer
    '2, -3'
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from rlvr.verifiers.math.arithmetic import arithmetic_value, chain_states_one_value
from rlvr.verifiers.math.normalize import named_in_order
from rlvr.verifiers.math.surds import ELEMENTARY_FUNCTIONS
from rlvr.verifiers.math.words import (
    BOUND_BEFORE,
    BOUND_PHRASES,
    CONTEXT_FILLERS,
    CONTEXT_PREPOSITIONS,
    DISOWNING_WORDS,
    HEDGE_SYMBOLS,
    MAGNITUDE_WORDS,
    NUMBER_WORDS,
    PARENTHETICAL_QUALIFIERS,
    QUALIFIER_PHRASES,
    QUALIFIER_WORDS,
    RANGE_WORDS,
    SUBORDINATORS,
    UNSURE_PHRASES,
    UNSURE_WORDS,
    number_words,
)

GoldKind = Literal["value", "text", "choice"]

#: Longest text after a marker that is read; the rest is cut off (a runaway sentence is not an answer).
MAX_TAIL_CHARS = 600
#: The longest bracketed group outside math read as one value.
MAX_GROUP_CHARS = 200

_TEXT_COMMANDS = frozenset(
    {"text", "textbf", "textit", "textrm", "textnormal", "textsf", "texttt", "mathrm", "mbox", "operatorname"}
)
_COPULAS = frozenset({"is", "are", "was", "were", "be", "equals", "equal", "becomes", "totals"})
_LIST_WORDS = frozenset({"and", "or"})
_MODALS = frozenset({"could", "might", "may"})
_RELATIVE_PRONOUNS = frozenset({"that", "which", "who", "whom"})
_APPROXIMATE = ("\\approx", "≈", "\\sim", "~")
_DETERMINERS = frozenset(
    {"each", "every", "the", "any", "no", "which", "that", "this", "a", "only", "another"}
)
_ORDINAL = re.compile(r"(?:st|nd|rd|th)$")
_PERCENT_WORD = re.compile(r"(\d)\s*(?:\\%|%)?\s*(?:per ?cent(?:age)?|pct)\b", re.IGNORECASE)
_BARE_VARIABLE = re.compile(r"^\s*(?:[A-Za-z]|\\[a-z]+)(?:_\{?[A-Za-z0-9]+\}?)?(?:'|\^\{?\\prime\}?)*\s*$")
_DIGIT = re.compile(r"\d")
_LATEX_SPACE = re.compile(r"(?<!\\)\\ ")  # "\ ", not the row break "\\"
_PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d,]*(?:\.\d+)?$")
_PROSE_PUNCTUATION = frozenset(".,;:!?'\"()")
_FUNCTION_NAMES = ELEMENTARY_FUNCTIONS | frozenset(
    ["lg", "max", "min", "gcd", "lcm", "det", "mod", "deg", "lim", "sup", "inf", "arg", "dim", "ker"]
)
_TWO_LETTER_WORDS = frozenset(
    [
        "is",
        "of",
        "to",
        "in",
        "an",
        "or",
        "as",
        "at",
        "by",
        "be",
        "it",
        "on",
        "so",
        "no",
        "we",
        "my",
        "me",
        "he",
        "if",
        "do",
        "up",
        "us",
        "am",
        "pm",
        "cm",
        "km",
        "mm",
        "kg",
        "mg",
        "gb",
        "mb",
        "kb",
        "tb",
        "ml",
        "ft",
        "mi",
        "hr",
        "yd",
        "oz",
        "lb",
        "ms",
        "ns",
    ]
)
_WRAPPERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"), ("**", "**"), ("*", "*"))

TokenKind = Literal["math", "number", "word", "text", "eq", "sep", "other"]


@dataclass(frozen=True, slots=True)
class GoldHint:
    """What the gold answer looks like, as far as reading a completion needs to know.

    Attributes:
        parts: how many parts the gold has (``1, -2`` has two; a tuple, an interval or a matrix is one).
        kind: ``"value"``, ``"text"`` (words, compared as words) or ``"choice"`` (an option letter).
        relation: the gold is an equation or inequality (an ``=`` in the answer is part of it).
        words: the lower-case words of a ``"text"`` gold; none of them makes an answer unsure (a gold
            ``neither`` is read, while ``maybe neither`` is still refused).

    Example:
        >>> GoldHint().parts
        1
    """

    parts: int = 1
    kind: GoldKind = "value"
    relation: bool = False
    words: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Token:
    """One piece of a tail: ``kind`` and its text (math without its delimiters)."""

    kind: TokenKind
    text: str


@dataclass(frozen=True, slots=True)
class Reduced:
    """The answer read from a tail, or why there is none.

    Example:
        >>> reduce_tail("200 GB.")
        Reduced(answer='200', reason='')
    """

    answer: str | None
    reason: str = ""


def strip_wrappers(text: str) -> str:
    """``text`` without surrounding math delimiters, markdown bold and trailing punctuation.

    Example:
        >>> strip_wrappers(" $\\\\frac{1}{2}$. ")
        '\\\\frac{1}{2}'
        >>> strip_wrappers("**120**.")
        '120'
    """
    text = text.strip()
    if text and text[0] not in "$\\*" and text[-1] not in "$])*.,;:!":
        return text  # no wrapper can apply (the common case, fast)
    for _ in range(4):
        before = text
        if text.endswith("...") and not text.endswith("...."):
            pass  # an ellipsis: "0.555..." is a repeating decimal
        elif text[-1:] in ".,;:!" and text[-2:-1] != "\\":  # "\\," is LaTeX spacing
            text = text[:-1].rstrip()
        if text.startswith("**") and text.count("**") == 1:
            text = text[2:].lstrip()  # "**Answer:** 9": the label's bold
        if text.endswith("**") and text.count("**") == 1:
            text = text[:-2].rstrip()
        for left, right in _WRAPPERS:
            if text.startswith(left) and text.endswith(right) and len(text) >= len(left) + len(right):
                inner = text[len(left) : len(text) - len(right)]
                if left in ("$", "*") and (left in inner):
                    continue  # "$2$ and $3$" is two segments, not one wrapped in dollars
                text = inner.strip()
        if text == before:
            break
    return text


def _math_end(text: str, start: int) -> tuple[int, int] | None:
    """(content end, segment end) of the delimited math segment opening at ``start``, if it closes."""
    for left, right in (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")):
        if text.startswith(left, start):
            end = text.find(right, start + len(left))
            if end < 0:
                return None
            return end, end + len(right)
    return None


def _is_currency(text: str, start: int, content_end: int) -> bool:
    """A ``$`` before a digit whose would-be math segment holds prose is a dollar sign: "$90 and $30"."""
    if start + 1 >= len(text) or not text[start + 1].isdigit():
        return False
    return re.search(r"\s[A-Za-z]{2,}", text[start + 1 : content_end]) is not None


def _brace_matches(text: str) -> dict[int, int]:
    """Index of each unescaped ``{`` mapped to the index after its ``}`` (one pass, linear)."""
    matches: dict[int, int] = {}
    stack: list[int] = []
    for i, char in enumerate(text):
        if char in "{}" and i > 0 and text[i - 1] == "\\":
            continue
        if char == "{":
            stack.append(i)
        elif char == "}" and stack:
            matches[stack.pop()] = i + 1
    return matches


def _bracket_matches(text: str) -> dict[int, int]:
    """Index of each ``(`` or ``[`` mapped to the index after the ``)`` or ``]`` that closes it (one pass,
    linear; an interval closes ``[2, 5)`` with the other kind)."""
    matches: dict[int, int] = {}
    stack: list[int] = []
    for i, char in enumerate(text):
        if char in "([":
            stack.append(i)
        elif char in ")]" and stack:
            matches[stack.pop()] = i + 1
    return matches


# A group written outside math: numbers, single-letter variables, LaTeX commands and operators, with a
# comma that is no thousands separator ("(3, 4)", "[2, 5)", "(-\\infty, 1]").
_GROUP_CHARS = re.compile(r"[\w\s.,+\-−*/^{}\\()\[\]√π∞']+")
_GROUP_COMMA = re.compile(r",(?!\d{3}(?!\d))")


def _group_end(text: str, start: int, brackets: dict[int, int]) -> int | None:
    """End of the bracketed group (a tuple, an interval, a point) opening at ``start``, if it is one."""
    end = brackets.get(start)
    if end is None or end - start > MAX_GROUP_CHARS:
        return None
    inner = text[start + 1 : end - 1]
    if not _GROUP_CHARS.fullmatch(inner) or not _GROUP_COMMA.search(inner):
        return None
    if re.search(r"[A-Za-z]{2,}", re.sub(r"\\[A-Za-z]+", "", inner)) or not re.search(r"\w", inner):
        return None  # words: a parenthetical remark, not a group
    return end


def _number_end(text: str, i: int, braces: dict[int, int]) -> int:
    """End of the number (or LaTeX run) starting at ``i``: digits, decimals, grouped thousands, ``a/b``,
    ``h:mm``, ``%``, and LaTeX commands and braces glued to it (``12\\pi``, ``\\frac{1}{2}``)."""
    n = len(text)
    j = i
    if text[j] in "-−+":
        j += 1
    while j < n:
        c = text[j]
        if (
            c.isdigit()
            or (c == "." and j + 1 < n and text[j + 1].isdigit())
            or (c == "," and text[j + 1 : j + 4].isdigit() and (j + 4 >= n or not text[j + 4].isdigit()))
            or (c in "/:" and j + 1 < n and text[j + 1].isdigit() and j > i and text[j - 1].isdigit())
            or c == "%"
        ):
            j += 1
        elif c == "\\":
            k = j + 1
            while k < n and text[k].isalpha():
                k += 1
            name = text[j + 1 : k]
            if name in _TEXT_COMMANDS:
                break
            if k == j + 1:
                if k >= n or text[k] not in "%$,!;: ":
                    break  # "\}" after "5": an escape, not part of the number
                k += 1  # "\%", "\$", "\,": part of the run
            j = k
        elif c == "{":
            end = braces.get(j, -1)
            if end < 0:
                break
            j = end
        elif c in "^_":
            j += 1
        else:
            break
    return j


def tokenize(text: str) -> list[Token]:
    """Split a tail into math segments, numbers, words, ``\\text{}`` contents, ``=`` and separators.

    Example:
        >>> [(t.kind, t.text) for t in tokenize("x equals $\\\\frac{1}{2}$, 35% of 7,425 people")]
        [('word', 'x'), ('word', 'equals'), ('math', '\\\\frac{1}{2}'), ('sep', ','), ('number', '35%'), \
('word', 'of'), ('number', '7,425'), ('word', 'people')]
    """
    tokens: list[Token] = []
    braces = _brace_matches(text)
    brackets: dict[int, int] | None = None
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "$" or text.startswith("\\[", i) or text.startswith("\\(", i):
            ends = _math_end(text, i)
            if c == "$" and (ends is None or _is_currency(text, i, ends[0])):
                i += 1  # a dollar sign
                continue
            if ends is not None:
                width = 2 if (text.startswith("$$", i) or c == "\\") else 1
                tokens.append(Token("math", text[i + width : ends[0]].strip()))
                i = ends[1]
                continue
        if c == "\\":
            k = i + 1
            while k < n and text[k].isalpha():
                k += 1
            name = text[i + 1 : k]
            rest = k
            while rest < n and text[rest] == " ":
                rest += 1
            if name in _TEXT_COMMANDS and rest < n and text[rest] == "{":
                end = braces.get(rest, -1)
                if end > 0:
                    tokens.append(Token("text", text[rest + 1 : end - 1]))
                    i = end
                    continue
        if c in "([":
            brackets = _bracket_matches(text) if brackets is None else brackets
            end = _group_end(text, i, brackets)
            if end is not None:
                tokens.append(Token("math", text[i:end]))
                i = end
                continue
        if c == "\\" and not (i + 1 < n and text[i + 1].isalpha()):
            i += 1  # an escape that is no command (\\", a stray backslash): no value, no word
            continue
        if (
            c.isdigit()
            or c == "\\"
            or c == "{"
            or (
                c in "-−"
                and i + 1 < n
                and (text[i + 1].isdigit() or text[i + 1] == "\\")
                and (i == 0 or text[i - 1] in " (\t")
            )
            or (c == "." and i + 1 < n and text[i + 1].isdigit())
        ):
            end = _number_end(text, i, braces)
            if end > i:
                tokens.append(Token("number", text[i:end]))
                i = end
                continue
        if c.isalpha():
            j = i
            while j < n:
                if text[j].isalpha() or (text[j] in "'’" and j + 1 < n and text[j + 1].isalpha()):
                    j += 1
                elif (
                    text[j] == "-"
                    and j - i >= 2
                    and text[j + 1 : j + 3].isalpha()
                    and len(text[j + 1 : j + 3]) == 2
                ):
                    j += 1  # "six-hour", "twenty-one"; "p-q" is algebra
                else:
                    break
            tokens.append(Token("word", text[i:j]))
            i = j
            continue
        if c == "=":
            tokens.append(Token("eq", c))
        elif c in ",;":
            tokens.append(Token("sep", c))
        else:
            tokens.append(Token("other", c))
        i += 1
    return tokens


def _words(tokens: list[Token]) -> list[str]:
    """The lower-case words of the tokens, ``\\text{}`` contents included."""
    words: list[str] = []
    for token in tokens:
        if token.kind == "word":
            words.append(token.text.lower())
        elif token.kind == "text":
            words.extend(w.lower() for w in re.findall(r"[A-Za-z']+", token.text))
    return words


def _unsure(
    text: str, tokens: list[Token], *, lists: bool, allowed: frozenset[str] = frozenset()
) -> str | None:
    """The word, phrase or symbol that makes the whole sentence unsure or one of several, if any; words in
    ``allowed`` (the gold's own words) are none."""
    words = _words(tokens)
    raw = [t.text for t in tokens if t.kind == "word"]
    for index, word in enumerate(words):
        if word in _MODALS and index > 0 and words[index - 1] in _RELATIVE_PRONOUNS:
            continue  # "the number of points that could be in the domain is 19": describes the subject
        if word == "may" and index < len(raw) and raw[index][:1] == "M" and index > 0:
            continue  # the month
        if word in UNSURE_WORDS and not (lists and word in _LIST_WORDS) and word not in allowed:
            return word
    joined = " " + " ".join(words) + " "
    for phrase in UNSURE_PHRASES:
        if f" {phrase} " in joined:
            return phrase
    for symbol in HEDGE_SYMBOLS:
        if symbol in text:
            return symbol.strip()
    return None


def unsure_reason(text: str, *, lists: bool = False) -> str | None:
    """The word, phrase or symbol that makes ``text`` unsure or one of several (``maybe``, ``or``,
    ``I think``, ``≈``, ``?``), or ``None``.

    Example:
        >>> unsure_reason("Perhaps the "), unsure_reason("So the ")
        ('perhaps', None)
    """
    return _unsure(text, tokenize(text), lists=lists)


def hedge_reason(text: str) -> str | None:
    """What makes a sentence's value unsure, negated, approximate or bounded, or ``None``.

    Example:
        >>> hedge_reason("so it could be 2"), hedge_reason("about 40 apples"), hedge_reason("It has 40")
        ('could', 'about', None)
    """
    tokens = tokenize(text)
    return _unsure(text, tokens, lists=False) or _qualified(tokens)


def _parenthetical(tokens: list[Token]) -> str | None:
    """A word in parentheses that makes the value approximate, conditional or disowned, if any."""
    depth = 0
    for token in tokens:
        if token.kind == "other" and token.text in "()":
            depth = depth + 1 if token.text == "(" else max(0, depth - 1)
        elif depth and token.kind in ("word", "text"):
            for word in re.findall(r"[a-z]+", token.text.lower()):
                if word in PARENTHETICAL_QUALIFIERS:
                    return word
    return None


_NEGATIONS = frozenset({"not", "never", "cannot"})


def _negates_later(tokens: list[Token], index: int, value_at: int | None) -> bool:
    """False for a negation after the stated value that only describes its subject ("120 pounds will not
    be used", "21 watermelons were not ready"); True otherwise."""
    following = [t for t in tokens[index + 1 : index + 5] if t.kind != "other"]
    if value_at is None or index <= value_at or not following:
        return True  # "it is not 5", "5 was not."
    return any(_is_numeric(t) or (t.kind == "word" and t.text.lower() in DISOWNING_WORDS) for t in following)


def _qualified(tokens: list[Token], value_at: int | None = None) -> str | None:
    """The negation, approximation or bound that qualifies the stated value (at ``value_at`` when known),
    if any."""
    words = [
        (i, word.lower())
        for i, t in enumerate(tokens)
        if t.kind in ("word", "text")
        for word in (t.text.split() if t.kind == "text" else [t.text])
    ]
    for index, word in words:
        if word in _NEGATIONS or word.endswith("n't"):
            if _negates_later(tokens, index, value_at):
                return word
            continue
        if word in QUALIFIER_WORDS:
            return word
        if word in RANGE_WORDS and any(_is_numeric(t) for t in tokens[index + 1 : index + 4]):
            return word
    for position, (_, word) in enumerate(words[:-1]):
        phrase = f"{word} {words[position + 1][1]}"
        if phrase in QUALIFIER_PHRASES:
            follows = tokens[words[position + 1][0] + 1 : words[position + 1][0] + 3]
            if phrase in BOUND_PHRASES or any(_is_numeric(t) for t in follows):
                return phrase  # "at least 9", "more than 5"; not "$1 more than Becky"
    return None


def _is_value_math(text: str) -> bool:
    return bool(text) and not _BARE_VARIABLE.match(text)


def _is_numeric(token: Token) -> bool:
    """A token that states a value with no variable in it (used to tell a subject from a value)."""
    if token.kind == "number":
        return True
    if token.kind == "math":
        stripped = re.sub(r"\\[a-zA-Z]+", "", token.text)
        return bool(_DIGIT.search(stripped)) and not re.search(r"[A-Za-z]", stripped)
    return token.kind == "word" and _number_word_token(token.text)


def _number_word_token(word: str) -> bool:
    parts = word.lower().split("-")
    return all(p in NUMBER_WORDS for p in parts)


@dataclass
class _Candidate:
    text: str
    index: int  # token index


def _candidates(tokens: list[Token]) -> tuple[list[_Candidate], str | None]:
    """The values in the tokens, and the magnitude word that spoils one, if any."""
    found: list[_Candidate] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1].text.lower() if i + 1 < len(tokens) and tokens[i + 1].kind == "word" else ""
        if token.kind == "number":
            text = token.text
            if text.startswith("+") or (text[:1] in "-−" and len(text) == 1):
                i += 1
                continue
            if following in MAGNITUDE_WORDS:
                return found, following
            found.append(_Candidate(text, i))
        elif token.kind == "math":
            if _is_value_math(token.text):
                if following in MAGNITUDE_WORDS:
                    return found, following
                found.append(_Candidate(token.text, i))
        elif token.kind == "word" and token.text.lower() == "infinity":
            negative = (
                i > 0 and tokens[i - 1].kind == "word" and tokens[i - 1].text.lower() in ("negative", "minus")
            )
            found.append(_Candidate("-\\infty" if negative else "\\infty", i))
        elif token.kind == "word":
            word = token.text.lower()
            previous = tokens[i - 1].text.lower() if i > 0 and tokens[i - 1].kind == "word" else ""
            if _number_word_token(word) and not (
                (word == "one" and (previous in _DETERMINERS or following == "of"))
                or previous in ("a", "an")  # "a zero matrix": an adjective, not a value
            ):
                j = i + 1
                words = [word]
                while j < len(tokens) and tokens[j].kind == "word":
                    nxt = tokens[j].text.lower()
                    if (
                        _number_word_token(nxt)
                        or nxt in ("hundred", "thousand")
                        or (nxt == "and" and j + 1 < len(tokens) and _number_word_token(tokens[j + 1].text))
                    ):
                        words.append(nxt)
                        j += 1
                    else:
                        break
                after = tokens[j].text.lower() if j < len(tokens) and tokens[j].kind == "word" else ""
                if after in MAGNITUDE_WORDS:
                    return found, after
                phrase = " ".join(words)
                if number_words(phrase) is not None:
                    found.append(_Candidate(phrase, i))
                i = j
                continue
            if "-" in word and word.split("-")[0] in NUMBER_WORDS:
                pass  # "six-hour": a compound modifier, not a value
        i += 1
    return found, None


def _in_context_phrase(tokens: list[Token], index: int) -> bool:
    """True when the value at ``index`` follows a context preposition ("for 16 glasses", "in the next 4
    days", "by buying 18 flowers", "each of the three friends"): it restates the question, it is not what
    the sentence answers."""
    i = index - 1
    while i >= 0 and tokens[i].kind == "word" and tokens[i].text.lower() in CONTEXT_FILLERS:
        i -= 1
    word = tokens[i].text.lower() if i >= 0 and tokens[i].kind == "word" else ""
    if word == "of" and i < index - 1:
        return True  # "each of the three friends"; not "a total of 30 apples"
    if i > 0 and word.endswith("ing") and word not in CONTEXT_PREPOSITIONS:
        i -= 1  # "by buying 18 flowers", "after selling 5 cups"
    return i >= 0 and tokens[i].kind == "word" and tokens[i].text.lower() in CONTEXT_PREPOSITIONS


def _clean_number(text: str) -> str:
    text = text.replace("−", "-")
    return text[:-1] + "\\%" if text.endswith("%") and not text.endswith("\\%") else text


def _contradictory_chain(tokens: list[Token], cuts: list[int]) -> bool:
    """True when a chain of equalities contradicts itself (see :func:`chain_states_one_value`); words
    (units, a subject) are left out of its sides."""
    sides = []
    for start, end in zip([-1, *cuts], [*cuts, len(tokens)], strict=True):
        side = [t for t in tokens[start + 1 : end] if t.kind != "word"]
        plain = len(side) == 1 and side[0].kind == "number" and _PLAIN_NUMBER.match(side[0].text)
        sides.append(side[0].text.replace(",", "") if plain else " ".join(t.text for t in side))
    return not chain_states_one_value(sides[1:] if len(sides) > 2 and not sides[0] else sides)


def _context_mask(tokens: list[Token]) -> list[bool]:
    """For each token, whether it belongs to the sentence's context rather than to what it states: a
    parenthetical remark, a subordinate clause after the stated value ("… if this month has 30 days",
    "… after the termites ate 30%"), a purpose clause after it ("… to serve 20 people"), or a context
    phrase ("for 16 glasses", "in the next 4 days")."""
    mask = [False] * len(tokens)
    depth = 0
    seen_value = False
    rest = False
    for index, token in enumerate(tokens):
        word = token.text.lower() if token.kind == "word" else ""
        if token.kind == "other" and token.text == "(":
            depth += 1
        elif token.kind == "other" and token.text == ")":
            depth = max(0, depth - 1)
        elif seen_value and word in SUBORDINATORS:
            rest = True
        elif (
            seen_value
            and word == "to"
            and index + 1 < len(tokens)
            and tokens[index + 1].kind == "word"
            and not _is_numeric(tokens[index + 1])
        ):
            rest = True  # "… 23 pounds of stuffing to make 4 beds"
        mask[index] = rest or depth > 0 or (_is_numeric(token) and _in_context_phrase(tokens, index))
        if _is_numeric(token) and not mask[index]:
            seen_value = True
    return mask


_PARTICIPLES = frozenset(
    {
        "left",
        "made",
        "sold",
        "built",
        "taken",
        "given",
        "spent",
        "paid",
        "eaten",
        "bought",
        "won",
        "lost",
        "done",
        "seen",
        "put",
        "cut",
        "set",
        "kept",
        "held",
        "found",
        "read",
        "sent",
        "written",
        "driven",
    }
)


def _passive(tokens: list[Token], index: int) -> bool:
    """True when the copula at ``index`` is an auxiliary ("3 trucks are needed to …", "5 were sold"): the
    value is in its subject, not after it."""
    if index + 1 >= len(tokens) or tokens[index + 1].kind != "word":
        return False
    word = tokens[index + 1].text.lower()
    if word in ("not", "still", "also", "then", "all") and index + 2 < len(tokens):
        word = tokens[index + 2].text.lower() if tokens[index + 2].kind == "word" else ""
    return len(word) > 3 and (word.endswith("ed") or word in _PARTICIPLES)


def _single(tokens: list[Token]) -> Reduced:
    """Reduce one clause (no top-level list) to its single value."""
    if not tokens:
        return Reduced(None, "no value in the answer")
    # 2. a chain of equalities: what follows the last "=" (or "equals"); plain numbers that differ along
    #    the chain ("1 = 2 = 3") contradict each other
    cuts = [
        i
        for i, t in enumerate(tokens)
        if t.kind == "eq" or (t.kind == "word" and t.text.lower() in ("equals", "equal"))
    ]
    if cuts and cuts[-1] + 1 < len(tokens):
        if _contradictory_chain(tokens, cuts):
            return Reduced(None, "a chain of different values")
        tokens = tokens[cuts[-1] + 1 :]
    # 3. the subject before a copula: dropped when the clause has one copula, or holds no value
    copulas = [
        i
        for i, t in enumerate(tokens)
        if t.kind == "word" and t.text.lower() in _COPULAS and not _passive(tokens, i)
    ]
    if copulas and copulas[-1] + 1 < len(tokens):
        last = copulas[-1]
        predicate = tokens[last + 1 :]
        if (len(copulas) == 1 and _candidates(predicate)[0]) or not any(
            _is_numeric(t) for t in tokens[:last]
        ):
            tokens = predicate
    mask = _context_mask(tokens)
    found, magnitude = _candidates(tokens)
    kept = [i for i, context in enumerate(mask) if not context]
    stated = [c for c in found if not mask[c.index]]
    value_at = kept.index(stated[0].index) if len(stated) == 1 else None
    qualifier = _qualified([tokens[i] for i in kept], value_at)
    if qualifier is not None:
        return Reduced(None, f"hedged or alternative answer ({qualifier!r})")
    if magnitude is not None:
        return Reduced(None, f"a magnitude word after the value ({magnitude!r})")
    if not found:
        return Reduced(None, "no value in the answer")
    if len(stated) == 1:
        found = stated
    elif len({_clean_number(c.text) for c in found}) == 1:
        found = found[-1:]  # the same value for each ("Nick: 6 guns, Richard: 6 guns")
    if len(found) > 1:
        return Reduced(None, f"several values in the answer ({len(found)})")
    candidate = found[0]
    before = tokens[candidate.index - 1] if candidate.index > 0 else None
    if before is not None and before.kind == "word" and before.text.lower() in BOUND_BEFORE:
        return Reduced(None, f"a bound, not a value ({before.text.lower()!r})")
    if tokens[candidate.index].kind == "number":
        return Reduced(_clean_number(candidate.text))
    return Reduced(candidate.text)


def _split_list(tokens: list[Token]) -> list[list[Token]]:
    """Pieces of a tail at top-level separators: commas, semicolons, ``and``, ``or``."""
    pieces: list[list[Token]] = [[]]
    for token in tokens:
        is_separator = token.kind == "sep" or (
            token.kind in ("word", "text") and token.text.strip().lower() in _LIST_WORDS
        )
        if is_separator:
            if pieces[-1]:
                pieces.append([])
        else:
            pieces[-1].append(token)
    return [piece for piece in pieces if piece]


def _free_standing_words(text: str) -> list[str]:
    """Words outside math and ``\\text{}`` that stand apart (white space or punctuation on both sides):
    ``ab`` in ``ab+2a`` is algebra, ``GB`` in ``200 GB`` is a word."""
    words = []
    position = 0
    for token in tokenize(text):
        if token.kind != "word":
            continue
        start = text.find(token.text, position)
        if start < 0:
            continue
        end = start + len(token.text)
        position = end
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        if (before.isspace() or before in _PROSE_PUNCTUATION) and (
            after.isspace() or after in _PROSE_PUNCTUATION
        ):
            words.append(token.text)
    return words


def _before_approximation(text: str) -> str:
    """``x = \\frac{1}{3} \\approx 0.33`` states the exact value first: keep it. An approximation with no
    exact value before it (``\\approx 11``, ``about 5``) is left in place, and refused as a hedge."""
    cut = min((i for i in (text.find(symbol) for symbol in _APPROXIMATE) if i >= 0), default=-1)
    if cut <= 0:
        return text
    before = text[:cut]
    if before.count("$") % 2 == 1:
        before += "$"  # the approximation was inside a math segment: close it
    if any(_is_numeric(t) for t in tokenize(before)):
        return before
    return text


def is_prose(text: str) -> bool:
    """True when ``text`` holds words outside math, ``\\text{}`` and LaTeX commands: a free-standing word of
    three letters or more that is not a function name (``sin``, ``log``), or a common two-letter word or
    unit (``is``, ``of``, ``GB``, ``km``).

    Example:
        >>> is_prose("\\\\frac{1}{2}\\\\text{ cm}"), is_prose("28 pets"), is_prose("x = 5"), is_prose("ab+2a")
        (False, True, False, False)
    """
    for word in _free_standing_words(text):
        lower = word.lower()
        if lower in _FUNCTION_NAMES:
            continue
        if len(word) >= 3 or lower in _TWO_LETTER_WORDS:
            return True
    return False


# Math with no word in it (letters only in LaTeX command names) and no math delimiter: read as written.
_PURE_MATH = re.compile(r"(?:\\[A-Za-z]+|[^A-Za-z$?~≈\\]|\\[^A-Za-z])*")
# Algebra: letters that stand alone (x = 5, 1+3i, 5r^5), no brackets (a bracket may hold a value of its own
# that the reading takes apart): no word, no parenthetical, so it too is read as written.
_ALGEBRA = re.compile(
    r"(?:\\[A-Za-z]+|(?<![A-Za-z\\])[A-Za-z](?![A-Za-z])|[^A-Za-z$?~≈\\(\[]|\\[^A-Za-z(\[])*"
)


# A number followed by the arithmetic that gives it: "18 (9 * 2)", "25 (60 - 20 - 15)".
_RESTATED_WORK = re.compile(r"(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d{1,40}(?:\.\d{1,40})?)\s*\(([^()]{1,80})\)")


def reduce_tail(text: str, hint: GoldHint | None = None, *, parts: int = 1) -> Reduced:
    """The answer written in ``text`` (what follows a marker), or why there is none (module docstring).

    Args:
        text: the text after the marker, up to the end of its sentence or line.
        hint: what the gold looks like (:class:`GoldHint`): a list may be stated only for a gold of
            several parts; ``"text"`` and ``"choice"`` golds keep the text as written; for an equation
            or inequality gold an ``=`` is part of the answer.
        parts: shorthand for ``GoldHint(parts=parts)`` when no hint is given.

    Example:
        >>> reduce_tail("$\\\\frac{3}{4}$ cup").answer
        '\\\\frac{3}{4}'
        >>> reduce_tail("The largest $n$ is 34").answer
        '34'
        >>> reduce_tail("60 miles - 20 miles - 15 miles = 25 miles.").answer
        '25'
        >>> reduce_tail("5 million").reason
        "a magnitude word after the value ('million')"
        >>> reduce_tail("twenty-one").answer
        'twenty-one'
    """
    hint = hint or GoldHint(parts=parts)
    parts, kind, relation = hint.parts, hint.kind, hint.relation
    text = strip_wrappers(_LATEX_SPACE.sub(" ", text[:MAX_TAIL_CHARS]))
    if not text:
        return Reduced(None, "empty final answer")
    if text[-1] == ")" and (restated := _RESTATED_WORK.fullmatch(text)) is not None:
        value, work = restated.groups()
        if arithmetic_value(work) == Fraction(value.replace(",", "")):
            text = value  # "18 (9 * 2)": the work that gives the value, in parentheses after it
    if kind in ("text", "choice"):
        unsure = _unsure(text, tokenize(text), lists=False, allowed=hint.words)
        if unsure is not None:
            return Reduced(None, f"hedged or alternative answer ({unsure!r})")
        return Reduced(text)
    if (_PURE_MATH.fullmatch(text) or _ALGEBRA.fullmatch(text)) and not any(s in text for s in HEDGE_SYMBOLS):
        return Reduced(text)  # no word, no math delimiter, no sign of doubt: math as written (fast)
    text = _PERCENT_WORD.sub(r"\1\\%", text)
    text = _before_approximation(text)
    tokens = tokenize(text)
    hedge = _unsure(text, tokens, lists=parts > 1) or _parenthetical(tokens)
    if hedge is not None:
        return Reduced(None, f"hedged or alternative answer ({hedge!r})")
    if not is_prose(text):
        qualifier = _qualified(tokens)  # in \\text{}: "5 \\text{ approximately}", "\\text{at least } 5"
        if qualifier is not None:
            return Reduced(None, f"hedged or alternative answer ({qualifier!r})")
        for previous, token in itertools.pairwise(tokens):
            words = token.text.lower().split() if token.kind in ("text", "word") else []
            if words and words[0] in MAGNITUDE_WORDS and _is_numeric(previous):
                return Reduced(None, f"a magnitude word after the value ({words[0]!r})")
        if len(tokens) == 1 and tokens[0].kind == "math":
            return Reduced(tokens[0].text)
        if any(t.kind == "math" for t in tokens) and all(
            t.kind in ("math", "sep", "text", "word") for t in tokens
        ):
            pieces = [t.text for t in tokens if t.kind == "math"]
            if len(pieces) > 1:
                if parts > 1 or named_in_order(pieces):  # "$a = 0$ and $b = 1$": the pair (0, 1)
                    return Reduced(", ".join(pieces))
                return Reduced(None, f"several values in the answer ({len(pieces)})")
            return Reduced(pieces[0])
        return Reduced(text)  # math as written: the normaliser and the value reader take it from here
    if relation:  # an equation or inequality is math: the sentence must hold exactly one math segment
        segments = [t.text for t in tokens if t.kind == "math" and _is_value_math(t.text)]
        if len(segments) == 1:
            return Reduced(segments[0])
        return Reduced(None, f"{len(segments)} equations or inequalities in the answer")
    if parts > 1:
        pieces = _split_list(tokens)
        if len(pieces) > 1:
            values = []
            for piece in pieces:
                reduced = _single(piece)
                if reduced.answer is None:
                    return reduced
                values.append(reduced.answer)
            return Reduced(", ".join(values))
    pieces = [t.text for t in tokens if t.kind == "math"]
    if len(pieces) > 1 and named_in_order(pieces) and all(_joins_pair(t) for t in tokens):
        return Reduced(", ".join(pieces))  # "$a = 0$ and $b = 1$": the ordered pair (0, 1)
    return _single(tokens)


def _joins_pair(token: Token) -> bool:
    return token.kind == "math" or token.text == "," or (token.kind == "word" and token.text.lower() == "and")
