"""Split a chain of thought into natural-language words, grouped in runs of one script per sentence.

Two steps, each linear in the length of the text (no regex here can backtrack more than once over a
word, and block delimiters are matched with ``str.find``, so a hostile completion cannot make them slow):

1. :func:`strip_non_words` blanks out what is not natural language: fenced and inline code, LaTeX
   (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``, math environments, commands), URLs and e-mail
   addresses, chat-template tags, numbers, identifiers (``x_1``, ``camelCase``, ``np.array``, ``f(``),
   all-capital tokens (``ABC``, ``GCD``), math function names and units after a number.
2. :func:`split_runs` cuts the rest into sentences and, within a sentence, into maximal runs of words of
   one script. Space-delimited scripts (Latin, Cyrillic, Arabic, Devanagari, Hangul, …) give one word
   per token of letters; ASCII single letters (math variables) and lone letters of other alphabets
   (Greek symbols) are dropped. Han, kana and the other scripts written without spaces count one word
   per character: a segmenter would need a dictionary per language, and the per-character count is
   what a reader of a mixed text counts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
_MATH_NAMES = (
    "arcsin|arccos|arctan|sinh|cosh|tanh|cos|tan|cot|sec|csc|log|ln|lg|exp|sqrt|max|min|gcd|lcm|mod|lim|det|"
    "arg|deg|dim|ker|sup|inf|dx|dy|dz|dt|iff|qed|mathbb|mathrm|frac"
)
_UNITS = "cm|mm|km|dm|nm|kg|mg|ml|mL|kW|kWh|mph|rpm|Hz|kHz|MHz|GHz|ms|ns|cal|kcal|mol|lb|lbs|oz|ft|yd|hr|hrs"
_INLINE_RE = re.compile(
    "|".join(
        (
            r"`[^`\n]*`",  # inline code
            r"\$(?=\S)[^$]*?(?<=\S)\$(?!\d)",  # inline math (pandoc's rule: "$5 and $10" is not math)
            r"(?:https?|ftp)://\S+|www\.\S+",  # URLs
            r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail addresses
            r"</?[A-Za-z][\w-]*>|<\|[^|>\n]{0,64}\|>|<｜[^｜>\n]{0,64}｜>",  # tags, chat-template tokens
            r"\\[A-Za-z]+\*?|\\.",  # LaTeX commands and escapes
            r"[\u2100-\u214f\U0001d400-\U0001d7ff]+",  # letterlike and math-alphanumeric symbols
            r"(?<![A-Za-z0-9_])[a-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+",  # dotted names: np.array
            r"(?<![A-Za-z0-9_])[A-Za-z]*[0-9_][A-Za-z0-9_]*(?:[.,][0-9]+)*",  # numbers, x_1, x2, 3x
            r"\d+",  # digits of other scripts
            r"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]*(?=\()",  # function calls: f(, print(
            r"(?<![A-Za-z])[a-z]+[A-Z][A-Za-z]*",  # camelCase
            rf"(?<![{_L}])[A-Z]{{2,}}(?![{_L}])",  # all-capital tokens: ABC, GCD, OK
            rf"(?<![{_L}])(?:{_MATH_NAMES})(?![{_L}])",  # math functions (not "sin": Spanish "without")
            r"(?<![A-Za-z])sin(?=\s*(?:[(^{\\]|[A-Za-z0-9](?![A-Za-z])))",  # sin x, sin(, sin^2
            rf"(?<=\d)(?:{_UNITS})(?![{_L}])|(?<=\d )(?:{_UNITS})(?![{_L}])",  # units after a number
        )
    )
)


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
    """``text`` with everything that is not natural-language words blanked out.

    The text is NFKC-normalised first (full-width letters and digits, ligatures, superscripts).
    Blocks (code, display math) become a line break or a space, so the prose around them stays in one
    sentence; see the module docstring for the full list.

    Example:
        >>> strip_non_words("So $x^2 = 4$, hence x_1 = 2 and `f(x)` works: see https://a.b/c.").split()
        ['So', ',', 'hence', '=', 'and', 'works:', 'see']
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
    return _INLINE_RE.sub(" ", text)


# -- 2. runs of words -------------------------------------------------------------------------------------

# Group numbers are the indices of _KINDS (1-based, as Match.lastindex gives them).
_KINDS = (sc.LATIN, sc.HAN, sc.KANA, sc.HANGUL, sc.CYRILLIC, sc.ARABIC, sc.DEVANAGARI, sc.UNSEGMENTED, sc.OTHER)
_STOP = len(_KINDS) + 1
_TOKEN_RE = re.compile(
    "|".join(
        (
            rf"([{_L}][{_L}{sc.LATIN_MARKS}]*(?:['’][{_L}][{_L}{sc.LATIN_MARKS}]*)*)",
            rf"([{sc.HAN_CHARS}]+)",
            rf"([{sc.KANA_CHARS}]+)",
            rf"([{sc.HANGUL_CHARS}]+)",
            rf"([{sc.CYRILLIC_LETTERS}][{sc.CYRILLIC_LETTERS}{sc.CYRILLIC_MARKS}]*)",
            rf"([{sc.ARABIC_LETTERS}][{sc.ARABIC_LETTERS}{sc.ARABIC_MARKS}]*)",
            rf"([{sc.DEVANAGARI_LETTERS}][{sc.DEVANAGARI_LETTERS}{sc.DEVANAGARI_MARKS}]*)",
            rf"([{sc.UNSEGMENTED_CHARS}]+)",
            r"([^\W\d_]+)",
            r"([.!?;。！？؟۔।॥\n]+)",  # sentence ends (NFKC has turned ！？； into !?;)
        )
    )
)
_LATIN_GROUP, _OTHER_GROUP = 1, _KINDS.index(sc.OTHER) + 1
_PER_CHARACTER_GROUPS = frozenset(i + 1 for i, kind in enumerate(_KINDS) if kind in sc.PER_CHARACTER_SCRIPTS)


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


def split_runs(text: str) -> list[Run]:
    """The runs of natural-language words in ``text`` (already passed through :func:`strip_non_words`).

    Example:
        >>> [(r.script, r.text, r.words) for r in split_runs("We use 二分查找 here. Fine")]
        [('latin', 'We use', 2), ('han', '二分查找', 4), ('latin', 'here', 1), ('latin', 'Fine', 1)]
    """
    runs: list[Run] = []
    sentence = 0
    kind = 0
    parts: list[str] = []
    count = 0
    for match in _TOKEN_RE.finditer(text):
        group = match.lastindex
        if group == _STOP:
            if parts:
                runs.append(Run(_KINDS[kind - 1], " ".join(parts), count, sentence))
                parts = []
                count = 0
            sentence += 1
            continue
        token = match.group(group)
        if len(token) == 1 and ((group == _LATIN_GROUP and token < "\x80") or group == _OTHER_GROUP):
            continue  # a math variable (x, n) or a lone Greek/other letter (π, θ)
        if group != kind:
            if parts:
                runs.append(Run(_KINDS[kind - 1], " ".join(parts), count, sentence))
                parts = []
                count = 0
            kind = group
        parts.append(token)
        count += len(token) if group in _PER_CHARACTER_GROUPS else 1
    if parts:
        runs.append(Run(_KINDS[kind - 1], " ".join(parts), count, sentence))
    return runs
