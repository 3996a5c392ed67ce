"""How a stdin/stdout case's output is compared with the expected answer: the checker.

``"checker"`` in ``verification_info`` (default ``"exact"``):

================================  ===================================================================
``"exact"``                        line by line; trailing whitespace of each line and trailing blank lines
                                   ignored; the same number of lines (:func:`exact_match`)
``"tokens"``                       the whitespace-separated tokens, in order (Codeforces' default);
``{"type": "tokens",               ... where the words listed (lower case) match in any case (``YES``
"any_case": ["yes", "no"]}``       for ``yes``), as open-r1's Codeforces judge does
``"lines"``                        LiveCodeBench's rule: the stripped output's lines, as many as expected,
                                   each equal once stripped or its tokens equal as exact decimals
                                   (``1.50`` for ``1.5``)
``{"type": "float",                tokens; where both tokens are numbers, they match when the absolute *or*
"abs_tol": 1e-6,                   the relative error is within its tolerance (the contest rule "absolute
"rel_tol": 1e-6}``                 or relative error at most 1e-6"); other tokens exactly
``{"type": "program",              a checker program run in the sandbox, testlib-style: ``argv`` is the
"language": "python"|"cpp",        input file, the contestant's output file and the expected answer
"source": "..."}``                 file; exit status 0 accepts, anything else rejects; a checker that
                                   crashes, hangs or cannot be built makes the item ``None``, never a pass
================================  ===================================================================

The candidate's process never sees a checker, and a checker program never sees the candidate's process:
it reads files.

Example:
    >>> parse_checker("tokens").matches("1  2\\n3\\n", "1 2 3")
    True
    >>> parse_checker({"type": "float", "abs_tol": 1e-6}).matches("0.3333333", "0.33333333")
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

CheckerKind = Literal["exact", "tokens", "lines", "float", "program"]
DEFAULT_FLOAT_TOL = 1e-6
CHECKER_LANGUAGES = ("python", "cpp")


class InvalidCheckerError(ValueError):
    """A checker that cannot be read."""


def _normal_lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def exact_match(actual: str, expected: str) -> bool:
    """Line-by-line comparison: trailing whitespace of each line and trailing blank lines are ignored,
    and both must have the same number of lines (printing only the first expected line is wrong).

    Example:
        >>> exact_match("1\\r\\n2\\n", "1\\n2"), exact_match("1\\n", "1\\n2"), exact_match(" 1", "1")
        (True, False, False)
    """
    return _normal_lines(actual) == _normal_lines(expected)


def _number(token: str) -> float | None:
    if not token or token[0] not in "+-.0123456789" or len(token) > 400:
        return None  # words like "nan", "inf", "infinity" are compared as words
    try:
        return float(token)
    except ValueError:
        return None


def numbers_match(actual: float, expected: float, abs_tol: float, rel_tol: float) -> bool:
    """The contest rule: within ``abs_tol`` absolutely or within ``rel_tol`` relatively.

    Example:
        >>> numbers_match(1000000.5, 1000000.0, 1e-6, 1e-6), numbers_match(0.0, 1e-12, 0.0, 1e-9)
        (True, False)
    """
    if math.isnan(actual) or math.isnan(expected):
        return False
    if math.isinf(actual) or math.isinf(expected):
        return actual == expected
    difference = abs(actual - expected)
    return difference <= abs_tol or difference <= rel_tol * abs(expected)


def _decimal(token: str) -> Decimal | None:
    if len(token) > 400:
        return None
    try:
        value = Decimal(token)
    except InvalidOperation:
        return None
    return None if value.is_nan() else value


def lines_match(actual: str, expected: str) -> bool:
    """LiveCodeBench's comparison: the stripped outputs have as many lines, and each line is equal once
    stripped, or its tokens are equal as exact decimals.

    Example:
        >>> lines_match(" 1.50 2\\n3 \\n", "1.5 2\\n3"), lines_match("1 2", "1\\n2")
        (True, False)
    """
    mine, theirs = actual.strip().split("\n"), expected.strip().split("\n")
    if len(mine) != len(theirs):
        return False
    for a, e in zip(mine, theirs, strict=True):
        a, e = a.strip(), e.strip()
        if a == e:
            continue
        left, right = a.split(), e.split()
        if len(left) != len(right):
            return False
        for x, y in zip(left, right, strict=True):
            dx, dy = _decimal(x), _decimal(y)
            if dx is None or dy is None or dx != dy:
                return False
    return True


@dataclass(frozen=True)
class Checker:
    """One checker (see the module docstring); ``source`` is a checker program's code; ``any_case`` the
    words a ``"tokens"`` checker matches in any case."""

    kind: CheckerKind = "exact"
    abs_tol: float = DEFAULT_FLOAT_TOL
    rel_tol: float = DEFAULT_FLOAT_TOL
    language: str | None = None
    source: str | None = None
    any_case: frozenset[str] = frozenset()

    @property
    def is_program(self) -> bool:
        return self.kind == "program"

    def matches(self, actual: str, expected: str) -> bool:
        """Whether ``actual`` output passes against ``expected`` (not for checker programs).

        Example:
            >>> Checker("float", abs_tol=0.0, rel_tol=1e-9).matches("3.0", "3")
            True
        """
        if self.kind == "exact":
            return exact_match(actual, expected)
        if self.kind == "lines":
            return lines_match(actual, expected)
        mine, theirs = actual.split(), expected.split()
        if len(mine) != len(theirs):
            return False
        if self.kind == "tokens":
            return all(
                a == e or (self.any_case and e.lower() in self.any_case and a.lower() == e.lower())
                for a, e in zip(mine, theirs, strict=True)
            )
        if self.kind == "float":
            for a, e in zip(mine, theirs, strict=True):
                if a == e:
                    continue
                x, y = _number(a), _number(e)
                if x is None or y is None or not numbers_match(x, y, self.abs_tol, self.rel_tol):
                    return False
            return True
        raise ValueError("a checker program is run in the sandbox, not compared here")


def _tolerance(raw: Mapping[str, object], key: str) -> float:
    value = raw.get(key, DEFAULT_FLOAT_TOL)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise InvalidCheckerError(f"checker {key} must be a number >= 0, got {value!r}")
    return float(value)


def parse_checker(raw: object) -> Checker:
    """Read a ``"checker"`` value (see the module docstring).

    Raises:
        InvalidCheckerError: an unknown kind, a bad tolerance, a program without source or language.

    Example:
        >>> parse_checker({"type": "program", "language": "cpp", "source": "int main(){}"}).is_program
        True
        >>> parse_checker("diff")
        Traceback (most recent call last):
        ...
        rlvr.verifiers.code.checkers.InvalidCheckerError: unknown checker 'diff' (exact, tokens, ...)
    """
    if raw is None:
        return Checker()
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, Mapping):
        raise InvalidCheckerError(f"checker must be a name or an object, got {type(raw).__name__}")
    kind = raw.get("type")
    if kind in ("exact", "lines"):
        return Checker(kind)  # type: ignore[arg-type]
    if kind == "tokens":
        words = raw.get("any_case", [])
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise InvalidCheckerError("checker any_case must be a list of words")
        return Checker("tokens", any_case=frozenset(w.lower() for w in words))
    if kind == "float":
        return Checker("float", abs_tol=_tolerance(raw, "abs_tol"), rel_tol=_tolerance(raw, "rel_tol"))
    if kind == "program":
        source, language = raw.get("source"), raw.get("language", "python")
        if not isinstance(source, str) or not source.strip():
            raise InvalidCheckerError("a checker program needs its 'source'")
        language = normal_language(language)
        if language not in CHECKER_LANGUAGES:
            raise InvalidCheckerError(f"checker language {raw.get('language')!r} is not supported")
        return Checker("program", language=language, source=source)
    raise InvalidCheckerError(f"unknown checker {str(kind)[:40]!r} (exact, tokens, lines, float or program)")


_LANGUAGE_NAMES = {
    "python": "python",
    "python3": "python",
    "py": "python",
    "py3": "python",
    "cpp": "cpp",
    "c++": "cpp",
    "cxx": "cpp",
    "cpp11": "cpp",
    "cpp14": "cpp",
    "cpp17": "cpp",
    "cpp20": "cpp",
    "c++11": "cpp",
    "c++14": "cpp",
    "c++17": "cpp",
    "c++20": "cpp",
    "gnu c++17": "cpp",
}


def normal_language(name: object) -> str | None:
    """The language a name means (``"python"``, ``"cpp"``), or ``None`` for one rlvr does not run.

    Example:
        >>> normal_language("Python3"), normal_language("C++17"), normal_language("rust")
        ('python', 'cpp', None)
    """
    if not isinstance(name, str):
        return None
    return _LANGUAGE_NAMES.get(name.strip().lower())
