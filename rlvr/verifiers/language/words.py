"""Split a chain of thought into natural-language words, grouped in runs of one script per sentence.

Two steps, each linear in the length of the text (no regex here can backtrack more than once over a
word, and block delimiters are matched with ``str.find``, so a hostile completion cannot make them slow):

1. :func:`strip_non_words` blanks out markup that is not natural language: fenced and inline code,
   LaTeX (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``, math environments, commands), URLs and
   chat-template tags.
2. :func:`split_runs` cuts the rest into sentences and, within a sentence, into maximal runs of words of
   one script, skipping numbers, identifiers (``x_1``, ``3x``, ``np.array``, ``f(``) and Latin tokens
   that are symbols: single ASCII letters (math variables), tokens with a capital after the first letter
   (``ABC``, ``GCD``, ``getValue``), math function names (``cos``, ``gcd``), units after a number; lone
   letters of other alphabets (``π``, ``θ``) too. Space-delimited scripts (Latin, Cyrillic, Arabic,
   Devanagari, Hangul, …) give one word per token of letters. Han, kana and the other scripts written
   without spaces count one word per character: a segmenter would need a dictionary per language and
   would still disagree with others on word boundaries, while characters are what a reader of a mixed
   text can count by hand.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rlvr.verifiers.language import scripts as sc

# -- 1. what is not natural language --------------------------------------------------------------------

_FENCES = ("```", "~~~")
# Asymmetric delimiters, matched with str.find (a lazy regex would rescan to the end from every unclosed
# opener: quadratic on a run of "\\(").
_DELIMITED = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"))
_ENVIRONMENTS = frozenset(
    f"{name}{star}"
    for name in (
        "equation", "align", "alignat", "flalign", "gather", "multline", "eqnarray", "math", "displaymath",
        "array", "matrix", "pmatrix", "bmatrix", "vmatrix", "Bmatrix", "Vmatrix", "smallmatrix", "cases",
        "split", "aligned", "gathered", "tabular", "verbatim", "lstlisting", "minted", "tikzpicture",
    )
    for star in ("", "*")
)  # fmt: skip
_BEGIN_RE = re.compile(r"\\begin\{([A-Za-z]+\*?)\}")

_L = sc.LATIN_LETTERS
#: Latin-script tokens that are math, not words: function names, and units when they follow a number.
#: A Latin run is cut after this many words, so a sentence that never ends is judged in pieces (and the
#: detector's cache keys stay short).
MAX_LATIN_RUN_WORDS = 20
# fmt: off
MATH_WORDS = frozenset((
    "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "cos", "tan", "cot", "sec", "csc", "log",
    "ln", "lg", "exp", "sqrt", "max", "min", "gcd", "lcm", "mod", "lim", "det", "arg", "deg", "dim",
    "ker", "sup", "inf", "dx", "dy", "dz", "dt", "iff", "qed",
))
UNITS = frozenset((
    "cm", "mm", "km", "dm", "nm", "kg", "mg", "ml", "mL", "kW", "kWh", "mph", "rpm", "Hz", "kHz", "MHz",
    "GHz", "ms", "ns", "cal", "kcal", "mol", "lb", "lbs", "oz", "ft", "yd", "hr",
))
# fmt: on
# Each alternative starts with a literal, so the regex engine skips ahead to those characters.
_MARKUP_RE = re.compile(
    "|".join(
        (
            r"`[^`\n]*`",  # inline code
            r"\$(?=\S)[^$]*?(?<=\S)\$(?!\d)",  # inline math (pandoc's rule: "$5 and $10" is not math)
            r"</?[A-Za-z][\w-]*>|<\|[^|>\n]{0,64}\|>|<｜[^｜>\n]{0,64}｜>",  # tags, chat-template tokens
            r"\\[A-Za-z]+\*?|\\.",  # LaTeX commands and escapes
        )
    )
)
_MARKUP_CHARS = ("`", "$", "<", "\\")
_URL_RE = re.compile(r"(?:https?|ftp)://\S+|www\.\S+")
# A "sin" is the sine before a bracket, a power, a command or a lone variable, else Spanish "without".
_SINE_RE = re.compile(r"\s*(?:[(^{\\]|[A-Za-z0-9](?![A-Za-z]))")


def _drop_fenced(text: str, fence: str) -> str:
    """Blank fenced blocks; an unclosed fence runs to the end (a truncated code block)."""
    parts: list[str] = []
    pos = 0
    while (start := text.find(fence, pos)) >= 0:
        parts.append(text[pos:start])
        parts.append("\n")
        end = text.find(fence, start + len(fence))
        if end < 0:
            pos = len(text)
            break
        pos = end + len(fence)
    parts.append(text[pos:])
    return "".join(parts)


def _drop_delimited(text: str, opener: str, closer: str) -> str:
    """Blank ``opener … closer`` spans; an opener without a closer is left (and ends the search)."""
    parts: list[str] = []
    pos = 0
    while (start := text.find(opener, pos)) >= 0:
        end = text.find(closer, start + len(opener))
        if end < 0:
            break  # no closer after this opener, so none after any later one
        parts.append(text[pos:start])
        parts.append(" ")
        pos = end + len(closer)
    parts.append(text[pos:])
    return "".join(parts)


def _drop_environments(text: str) -> str:
    """Blank known math and code environments; other environments keep their (prose) content."""
    parts: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # names with no \\end after the current position (it only moves forward)
    for match in _BEGIN_RE.finditer(text):
        name = match.group(1)
        if match.start() < pos or name not in _ENVIRONMENTS or name in unclosed:
            continue
        end = text.find(f"\\end{{{name}}}", match.end())
        if end < 0:
            unclosed.add(name)
            continue
        parts.append(text[pos : match.start()])
        parts.append(" ")
        pos = end + len(name) + 6
    parts.append(text[pos:])
    return "".join(parts)


def strip_non_words(text: str) -> str:
    """``text`` with markup that is not natural language blanked out (code, LaTeX, URLs, tags).

    The text is NFKC-normalised first (full-width letters and digits, ligatures, superscripts).
    Blocks (code, display math) become a line break or a space, so the prose around them stays in one
    sentence; see the module docstring for the full list.

    Example:
        >>> strip_non_words("So $x^2 = 4$, hence `f(x)` works: see https://a.b/c \\\\cite{k}.").split()
        ['So', ',', 'hence', 'works:', 'see', '{k}.']
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    for fence in _FENCES:
        if fence in text:
            text = _drop_fenced(text, fence)
    for opener, closer in _DELIMITED:
        if opener in text:
            text = _drop_delimited(text, opener, closer)
    if "\\begin{" in text:
        text = _drop_environments(text)
    if any(char in text for char in _MARKUP_CHARS):
        text = _MARKUP_RE.sub(" ", text)
    if "://" in text or "www." in text:
        text = _URL_RE.sub(" ", text)
    return text


# -- 2. runs of words -------------------------------------------------------------------------------------

_KINDS = (
    sc.LATIN,
    sc.HAN,
    sc.KANA,
    sc.HANGUL,
    sc.CYRILLIC,
    sc.ARABIC,
    sc.DEVANAGARI,
    sc.UNSEGMENTED,
    sc.OTHER,
)
_LW = f"[{_L}][{_L}{sc.LATIN_MARKS}]*"  # a Latin word without apostrophes
_LI = f"[{_L}0-9_]"  # a character of an identifier
# One group per script of _KINDS (group i + 1 for _KINDS[i], Latin first: the most frequent), then
# numbers and identifiers (skipped), then sentence ends.
_TOKEN_ALTERNATIVES = (
    # a Latin word, unless an identifier goes on after it (x_1, x2, f(, np.array)
    rf"({_LW}(?:['’]{_LW})*(?![{_L}{sc.LATIN_MARKS}0-9_(]|\.[A-Za-z_]))",
    rf"([{sc.HAN_CHARS}]+)",
    rf"([{sc.KANA_CHARS}]+)",
    rf"([{sc.HANGUL_CHARS}]+)",
    rf"([{sc.CYRILLIC_LETTERS}][{sc.CYRILLIC_LETTERS}{sc.CYRILLIC_MARKS}]*)",
    rf"([{sc.ARABIC_LETTERS}][{sc.ARABIC_LETTERS}{sc.ARABIC_MARKS}]*)",
    rf"([{sc.DEVANAGARI_LETTERS}][{sc.DEVANAGARI_LETTERS}{sc.DEVANAGARI_MARKS}]*)",
    rf"([{sc.UNSEGMENTED_CHARS}]+)",
    # numbers and identifiers: each alternative takes the whole chunk or fails at its start, so
    # no match ever starts inside a word
    rf"({_LI}*[0-9_]{_LI}*(?:\.{_LI}+)*|[{_L}_]{_LI}*(?:\.[{_L}_]{_LI}*)+|[{_L}_]{_LI}*(?=\())",
    r"([^\W\d_]+)",
    r"([.!?;。！？؟۔।॥\n]+)",  # sentence ends (NFKC has turned ！？； into !?;)
)


@lru_cache(maxsize=1)
def _token_re() -> re.Pattern[str]:
    """The tokenizer, compiled on first use (a few milliseconds kept out of ``import rlvr.rewards``)."""
    return re.compile("|".join(_TOKEN_ALTERNATIVES))


_LATIN_GROUP, _SKIP, _OTHER_GROUP, _STOP = 1, len(_KINDS), len(_KINDS) + 1, len(_KINDS) + 2
_GROUP_KIND = (None, *_KINDS[:-1], None, sc.OTHER, None)  # group number -> script
_PER_CHARACTER_GROUPS = frozenset(
    group for group, kind in enumerate(_GROUP_KIND) if kind in sc.PER_CHARACTER_SCRIPTS
)


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive words of one script within one sentence.

    Attributes:
        script: the script's name (see :mod:`rlvr.verifiers.language.scripts`).
        text: the words, joined by single spaces.
        words: how many words the run counts (characters for scripts written without spaces).
        sentence: the index of the sentence the run is in.
    """

    script: str
    text: str
    words: int
    sentence: int


def _is_latin_word(token: str, text: str, start: int, end: int) -> bool:
    """Whether a Latin-script token is a word, not a symbol (``x``, ``ABC``, ``getValue``, ``cos``)."""
    if len(token) == 1:
        return token > "\x7f"  # "x" is a variable; "à", "è", "é" are words
    if not token[1:].islower():
        return False  # ABC, GCD, OK, getValue, LaTeX: symbols and identifiers
    if token in MATH_WORDS:
        return False
    if token == "sin":
        return _SINE_RE.match(text, end) is None
    if token in UNITS:
        before = text[max(0, start - 2) : start]
        return not (before[-1:].isdigit() or (before[-1:] == " " and before[:1].isdigit()))
    return True


def split_runs(text: str) -> list[Run]:
    """The runs of natural-language words in ``text`` (already passed through :func:`strip_non_words`).

    Numbers and identifiers (``x_1``, ``3x``, ``np.array``, ``print(``) are skipped without ending a
    run, and so are Latin tokens that are symbols: single ASCII letters, tokens with a capital after the
    first letter (``ABC``, ``getValue``), math function names, units after a number. A Latin run also
    ends after :data:`MAX_LATIN_RUN_WORDS` words.

    Example:
        >>> [(r.script, r.text, r.words) for r in split_runs("We use 二分查找 on x_1. Fine")]
        [('latin', 'We use', 2), ('han', '二分查找', 4), ('latin', 'on', 1), ('latin', 'Fine', 1)]
    """
    runs: list[Run] = []
    sentence = 0
    kind = 0
    parts: list[str] = []
    count = 0
    for match in _token_re().finditer(text):
        group = match.lastindex
        if group == _SKIP:
            continue
        if group == _STOP:
            if parts:
                runs.append(Run(_GROUP_KIND[kind], " ".join(parts), count, sentence))
                parts = []
                count = 0
            sentence += 1
            continue
        token = match.group(group)
        if group == _LATIN_GROUP:
            if (len(token) < 5 or not token[1:].islower() or token in MATH_WORDS) and not _is_latin_word(
                token, text, match.start(), match.end()
            ):
                continue
        elif group == _OTHER_GROUP and len(token) == 1:
            continue  # a lone Greek or other letter: a symbol (π, θ)
        if group != kind:
            if parts:
                runs.append(Run(_GROUP_KIND[kind], " ".join(parts), count, sentence))
                parts = []
                count = 0
            kind = group
        parts.append(token)
        count += len(token) if group in _PER_CHARACTER_GROUPS else 1
        if group == _LATIN_GROUP and count == MAX_LATIN_RUN_WORDS:  # judged in pieces: bounded work
            runs.append(Run(sc.LATIN, " ".join(parts), count, sentence))
            parts = []
            count = 0
            kind = 0
    if parts:
        runs.append(Run(_GROUP_KIND[kind], " ".join(parts), count, sentence))
    return runs
