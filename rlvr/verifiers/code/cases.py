"""Code tasks and their test cases: the native ``verification_info`` form, per-case statuses.

Native ``verification_info`` (a dict, or the same as a JSON string) — every dataset form rlvr reads is
converted to this one::

    {"language": "python",        # or "cpp" (stdin/stdout only); aliases: python3, py, c++, cpp17, ...
     "entry_point": "f",          # present: function-call mode ("f" or "Solution.f"); absent: stdin/stdout
     "cases": [...],
     "time_limit": 2.0,           # seconds per case (optional)
     "memory_limit_mb": 512,      # optional
     "checker": "exact",          # stdin/stdout: exact | tokens | {"type": "float" or "program", ...}
     "equality": "strict",        # function calls: strict (type-strict) | loose (list = tuple, 1 = 1.0)
     "prelude": ""}               # Python run before the program (a dataset harness's imports)

stdin/stdout cases are ``{"stdin": "...", "stdout": "..."}`` (see :mod:`rlvr.verifiers.code.checkers` for
how output is compared); function-call cases are ``{"args": [...], "kwargs": {...}, "expected": ...}``
(or ``"expected_any": [...]``, any one of several values) with optional float tolerances ``"abs_tol"`` and
``"rel_tol"`` (see :mod:`rlvr.verifiers.code.values` for the ``$`` tags of tuples, sets and the like).
``"Solution.f"`` calls method ``f`` of a new ``Solution()`` for each case (LeetCode style).

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

from rlvr.verifiers.code.checkers import (
    Checker,
    InvalidCheckerError,
    exact_match,
    normal_language,
    parse_checker,
)
from rlvr.verifiers.code.values import (
    DEFAULT_ABS_TOL,
    DEFAULT_REL_TOL,
    Canonical,
    JudgeBudget,
    canonical_equal,
    canonical_value,
    from_plain,
    to_plain,
)

Mode = Literal["stdio", "call"]
Language = Literal["python", "cpp"]
DEFAULT_TIME_LIMIT = 2.0
DEFAULT_MEMORY_LIMIT_MB = 512
LANGUAGES = ("python", "cpp")
MAX_PRELUDE_CHARS = 1 << 16


class InvalidTaskError(ValueError):
    """``verification_info`` that cannot be read; the item is not judged (``None``) with this reason."""


class CaseStatus(str, enum.Enum):
    """What happened to one test case."""

    OK = "OK"
    WA = "WA"  # wrong answer (also: output limit exceeded, a result that is not a plain value)
    TLE = "TLE"  # time limit exceeded (also: not run after an earlier case timed out)
    MLE = "MLE"  # memory limit exceeded
    RE = "RE"  # runtime error: an exception, a crash, an exit before answering
    CE = "CE"  # compilation error (also: the compiler's time or memory limit)
    SANDBOX_ERROR = "SANDBOX_ERROR"  # the sandbox failed, not the program: the item is not judged


@dataclass(frozen=True)
class StdioCase:
    """A stdin/stdout case: the program reads ``stdin`` and must print ``stdout``."""

    stdin: str
    stdout: str


@dataclass(frozen=True)
class CallCase:
    """A function-call case: ``entry_point(*args, **kwargs)`` must equal ``expected`` — or one of
    ``alternatives`` — type-strictly (``loose``: a list for a tuple, an int for a float of equal value)."""

    args: tuple[Any, ...]
    expected: Any
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    rel_tol: float = DEFAULT_REL_TOL
    abs_tol: float | None = DEFAULT_ABS_TOL
    alternatives: tuple[Any, ...] = ()
    loose: bool = False

    def matches(self, actual: Any) -> bool:
        """Whether a returned plain value passes this case.

        Example:
            >>> CallCase((1,), 2).matches(2), CallCase((1,), 2).matches(2.0)
            (True, False)
        """
        try:
            return self.matches_canonical(canonical_value(actual))
        except (TypeError, ValueError):
            return False

    @cached_property
    def expected_canonical(self) -> Canonical:
        """The expected value's canonical form (built once)."""
        return canonical_value(self.expected)

    @cached_property
    def accepted_canonical(self) -> tuple[Canonical, ...]:
        """Every acceptable value's canonical form: ``expected``, then the ``alternatives``."""
        return (self.expected_canonical, *(canonical_value(v) for v in self.alternatives))

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
        return any(
            canonical_equal(
                actual, accepted, rel_tol=self.rel_tol, abs_tol=self.abs_tol, loose=self.loose, budget=budget
            )
            for accepted in self.accepted_canonical
        )


@dataclass(frozen=True)
class CodeTask:
    """A program's task: its mode, cases, limits, language and (stdin/stdout) checker."""

    mode: Mode
    cases: tuple[StdioCase, ...] | tuple[CallCase, ...]
    entry_point: str | None = None
    time_limit: float = DEFAULT_TIME_LIMIT
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB
    language: Language = "python"
    checker: Checker = field(default_factory=Checker)
    prelude: str = ""


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


def _tolerance(raw: Mapping[str, Any], key: str, default: float | None) -> float | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise InvalidTaskError(f"case {key} must be a number >= 0, got {value!r}")
    return float(value)


def _call_case(raw: Mapping[str, Any], loose: bool) -> CallCase:
    if "expected" in raw:
        accepted = [raw["expected"]]
    elif isinstance(raw.get("expected_any"), list) and raw["expected_any"]:
        accepted = list(raw["expected_any"])
    else:
        raise InvalidTaskError("a function-call case needs 'expected' (or a non-empty 'expected_any')")
    args, kwargs = raw.get("args", []), raw.get("kwargs", {})
    if not isinstance(args, list):
        raise InvalidTaskError(f"case args must be a list, got {type(args).__name__}")
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        raise InvalidTaskError("case kwargs must be an object with string keys")
    try:
        case = CallCase(
            args=tuple(from_plain(a) for a in args),
            expected=from_plain(accepted[0]),
            kwargs={k: from_plain(v) for k, v in kwargs.items()},
            rel_tol=_tolerance(raw, "rel_tol", DEFAULT_REL_TOL) or 0.0,
            abs_tol=_tolerance(raw, "abs_tol", DEFAULT_ABS_TOL),
            alternatives=tuple(from_plain(v) for v in accepted[1:]),
            loose=loose,
        )
        case.accepted_canonical  # noqa: B018 - every expected value must be a plain value, read once here
        case.call_json  # noqa: B018
        return case
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidTaskError(f"case value: {str(exc)[:200]}") from None


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
        >>> parse_task({"language": "rust", "cases": []})
        Traceback (most recent call last):
        ...
        rlvr.verifiers.code.cases.InvalidTaskError: language 'rust' is not supported (python, cpp)
    """
    if isinstance(info, (str, bytes)):
        try:
            info = json.loads(info)
        except (ValueError, RecursionError) as exc:
            raise InvalidTaskError(f"verification_info is not valid JSON: {exc}") from None
    if not isinstance(info, Mapping) or "cases" not in info:
        from rlvr.verifiers.code.formats import native_info  # datasets' own shapes (that module imports this)

        info = native_info(info)
    language = normal_language(info.get("language", "python"))
    if language not in LANGUAGES:
        raise InvalidTaskError(f"language {str(info.get('language'))[:40]!r} is not supported (python, cpp)")
    raw_cases = info.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise InvalidTaskError("verification_info has no cases")
    if not all(isinstance(c, Mapping) for c in raw_cases):
        raise InvalidTaskError("every case must be an object")
    entry_point = info.get("entry_point")
    if entry_point is not None and not (
        isinstance(entry_point, str)
        and 1 <= len(parts := entry_point.split(".")) <= 2
        and all(part.isidentifier() for part in parts)
    ):
        raise InvalidTaskError(f"entry_point must be a Python name or Class.method, got {entry_point!r}")
    time_limit = _number(info, "time_limit", default_time_limit)
    memory = _number(info, "memory_limit_mb", default_memory_limit_mb)
    equality = info.get("equality", "strict")
    if equality not in ("strict", "loose"):
        raise InvalidTaskError(f"equality must be 'strict' or 'loose', got {str(equality)[:40]!r}")
    try:
        checker = parse_checker(info.get("checker"))
    except InvalidCheckerError as exc:
        raise InvalidTaskError(str(exc)) from None
    prelude = info.get("prelude", "")
    if not isinstance(prelude, str) or len(prelude) > MAX_PRELUDE_CHARS:
        raise InvalidTaskError(f"prelude must be Python source of at most {MAX_PRELUDE_CHARS} characters")
    if prelude and language != "python":
        raise InvalidTaskError("a prelude is Python source: only for Python programs")
    if entry_point:
        if language != "python":
            raise InvalidTaskError(f"function-call cases need a Python program, not {language}")
        cases: tuple[Any, ...] = tuple(_call_case(c, equality == "loose") for c in raw_cases)
        mode: Mode = "call"
    else:
        cases = tuple(_stdio_case(c) for c in raw_cases)
        mode = "stdio"
    return CodeTask(
        mode,
        cases,
        entry_point or None,
        time_limit,
        max(16, int(memory)),
        language,  # type: ignore[arg-type]
        checker,
        prelude,
    )


def stdout_matches(actual: str, expected: str) -> bool:
    """The ``"exact"`` checker (:func:`rlvr.verifiers.code.checkers.exact_match`).

    Example:
        >>> stdout_matches("1\\r\\n2\\n", "1\\n2"), stdout_matches("1\\n", "1\\n2"), stdout_matches(" 1", "1")
        (True, False, False)
    """
    return exact_match(actual, expected)
