"""Code tasks and their test cases: reading ``verification_info``, per-case statuses, stdout comparison.

``verification_info`` (a dict, or the same as a JSON string)::

    {"language": "python",
     "entry_point": "f",          # present: function-call mode; absent: stdin/stdout mode
     "cases": [...],
     "time_limit": 2.0,           # seconds per case (optional)
     "memory_limit_mb": 512}      # optional

stdin/stdout cases are ``{"stdin": "...", "stdout": "..."}``; function-call cases are
``{"args": [...], "kwargs": {...}, "expected": ...}`` with optional float tolerances ``"abs_tol"`` and
``"rel_tol"`` (see :mod:`rlvr.verifiers.code.values` for the ``$`` tags of tuples, sets and the like).

Example:
    >>> task = parse_task({"entry_point": "add", "cases": [{"args": [1, 2], "expected": 3}]})
    >>> task.mode, task.cases[0].args, task.time_limit
    ('call', (1, 2), 2.0)
    >>> stdout_matches("1 2  \\n3\\n\\n", "1 2\\n3")
    True
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from rlvr.verifiers.code.values import (
    DEFAULT_ABS_TOL,
    DEFAULT_REL_TOL,
    Canonical,
    JudgeBudget,
    canonical_equal,
    canonical_value,
    from_plain,
    strict_equal,
    to_plain,
)

Mode = Literal["stdio", "call"]
DEFAULT_TIME_LIMIT = 2.0
DEFAULT_MEMORY_LIMIT_MB = 512
LANGUAGES = ("python", "python3", "py")


class InvalidTaskError(ValueError):
    """``verification_info`` that cannot be read; the item is not judged (``None``) with this reason."""


class CaseStatus(str, enum.Enum):
    """What happened to one test case."""

    OK = "OK"
    WA = "WA"  # wrong answer (also: output limit exceeded, a result that is not a plain value)
    TLE = "TLE"  # time limit exceeded (also: not run after an earlier case timed out)
    MLE = "MLE"  # memory limit exceeded
    RE = "RE"  # runtime error: an exception, a crash, an exit before answering
    SANDBOX_ERROR = "SANDBOX_ERROR"  # the sandbox failed, not the program: the item is not judged


@dataclass(frozen=True)
class StdioCase:
    """A stdin/stdout case: the program reads ``stdin`` and must print ``stdout``."""

    stdin: str
    stdout: str


@dataclass(frozen=True)
class CallCase:
    """A function-call case: ``entry_point(*args, **kwargs)`` must equal ``expected`` (type-strict)."""

    args: tuple[Any, ...]
    expected: Any
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    rel_tol: float = DEFAULT_REL_TOL
    abs_tol: float = DEFAULT_ABS_TOL

    def matches(self, actual: Any) -> bool:
        """Whether a returned plain value passes this case.

        Example:
            >>> CallCase((1,), 2).matches(2), CallCase((1,), 2).matches(2.0)
            (True, False)
        """
        return strict_equal(actual, self.expected, rel_tol=self.rel_tol, abs_tol=self.abs_tol)

    @cached_property
    def expected_canonical(self) -> Canonical:
        """The expected value's canonical form (built once)."""
        return canonical_value(self.expected)

    @cached_property
    def call_json(self) -> str:
        """The JSON text of ``[args, kwargs]`` the sandbox sends when this case starts.

        Example:
            >>> CallCase((1, (2,)), 3).call_json
            '[[1, {"$tuple": [2]}], {}]'
        """
        return json.dumps(to_plain([list(self.args), dict(self.kwargs)]), allow_nan=False)

    def matches_canonical(self, actual: Canonical, budget: JudgeBudget | None = None) -> bool:
        """Whether a returned value, in canonical form (read from a record), passes this case.

        Example:
            >>> case = CallCase((1,), (1, 2))
            >>> case.matches_canonical(canonical_value((1, 2)))
            True
            >>> case.matches_canonical(canonical_value([1, 2]))
            False
        """
        return canonical_equal(
            actual, self.expected_canonical, rel_tol=self.rel_tol, abs_tol=self.abs_tol, budget=budget
        )


@dataclass(frozen=True)
class CodeTask:
    """A program's task: its mode, cases and limits."""

    mode: Mode
    cases: tuple[StdioCase, ...] | tuple[CallCase, ...]
    entry_point: str | None = None
    time_limit: float = DEFAULT_TIME_LIMIT
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case; ``detail`` says why when it is not OK, ``stderr`` is the output's tail."""

    status: CaseStatus
    detail: str = ""
    stderr: str = ""

    @property
    def passed(self) -> bool:
        return self.status is CaseStatus.OK


def _number(info: Mapping[str, Any], key: str, default: float) -> float:
    value = info.get(key)
    if value is None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidTaskError(f"{key} must be a positive number, got {value!r}")
    return float(value)


def _tolerance(raw: Mapping[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise InvalidTaskError(f"case {key} must be a number >= 0, got {value!r}")
    return float(value)


def _call_case(raw: Mapping[str, Any]) -> CallCase:
    if "expected" not in raw:
        raise InvalidTaskError("a function-call case needs 'expected'")
    args, kwargs = raw.get("args", []), raw.get("kwargs", {})
    if not isinstance(args, list):
        raise InvalidTaskError(f"case args must be a list, got {type(args).__name__}")
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        raise InvalidTaskError("case kwargs must be an object with string keys")
    try:
        return CallCase(
            args=tuple(from_plain(a) for a in args),
            expected=from_plain(raw["expected"]),
            kwargs={k: from_plain(v) for k, v in kwargs.items()},
            rel_tol=_tolerance(raw, "rel_tol", DEFAULT_REL_TOL),
            abs_tol=_tolerance(raw, "abs_tol", DEFAULT_ABS_TOL),
        )
    except ValueError as exc:
        raise InvalidTaskError(f"case value: {exc}") from None


def _stdio_case(raw: Mapping[str, Any]) -> StdioCase:
    stdin, stdout = raw.get("stdin", raw.get("input")), raw.get("stdout", raw.get("output"))
    if not isinstance(stdin, str) or not isinstance(stdout, str):
        raise InvalidTaskError("a stdin/stdout case needs string 'stdin' and 'stdout'")
    return StdioCase(stdin, stdout)


def parse_task(
    info: Mapping[str, Any] | str,
    *,
    default_time_limit: float = DEFAULT_TIME_LIMIT,
    default_memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
) -> CodeTask:
    """Read ``verification_info`` (a dict or its JSON text) into a :class:`CodeTask`.

    Raises:
        InvalidTaskError: the info is malformed, names another language, or has no cases.

    Example:
        >>> parse_task('{"cases": [{"stdin": "2\\\\n", "stdout": "4"}], "time_limit": 1}').mode
        'stdio'
        >>> parse_task({"language": "cpp", "cases": []})
        Traceback (most recent call last):
        ...
        rlvr.verifiers.code.cases.InvalidTaskError: language 'cpp' is not supported (only python)
    """
    if isinstance(info, (str, bytes)):
        try:
            info = json.loads(info)
        except (ValueError, RecursionError) as exc:
            raise InvalidTaskError(f"verification_info is not valid JSON: {exc}") from None
    if not isinstance(info, Mapping):
        raise InvalidTaskError(f"verification_info must be an object, got {type(info).__name__}")
    language = info.get("language", "python")
    if not isinstance(language, str) or language.lower() not in LANGUAGES:
        raise InvalidTaskError(f"language {language!r} is not supported (only python)")
    raw_cases = info.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise InvalidTaskError("verification_info has no cases")
    if not all(isinstance(c, Mapping) for c in raw_cases):
        raise InvalidTaskError("every case must be an object")
    entry_point = info.get("entry_point")
    if entry_point is not None and (not isinstance(entry_point, str) or not entry_point.isidentifier()):
        raise InvalidTaskError(f"entry_point must be a Python name, got {entry_point!r}")
    time_limit = _number(info, "time_limit", default_time_limit)
    memory = _number(info, "memory_limit_mb", default_memory_limit_mb)
    if entry_point:
        cases: tuple[Any, ...] = tuple(_call_case(c) for c in raw_cases)
        mode: Mode = "call"
    else:
        cases = tuple(_stdio_case(c) for c in raw_cases)
        mode = "stdio"
    return CodeTask(mode, cases, entry_point or None, time_limit, max(16, int(memory)))


def _normal_lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def stdout_matches(actual: str, expected: str) -> bool:
    """Line-by-line comparison: trailing whitespace of each line and trailing blank lines are ignored,
    and both must have the same number of lines (printing only the first expected line is wrong).

    Example:
        >>> stdout_matches("1\\r\\n2\\n", "1\\n2"), stdout_matches("1\\n", "1\\n2"), stdout_matches(" 1", "1")
        (True, False, False)
    """
    return _normal_lines(actual) == _normal_lines(expected)
