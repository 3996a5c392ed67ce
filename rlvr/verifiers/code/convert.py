"""Turn HumanEval/MBPP-style assert tests into function-call cases, statically (by parsing, never running).

Running ``assert candidate(x) == y`` inside the candidate's process lets the candidate win by returning an
object whose ``__eq__`` is always true, by walking frames to the harness, or by disabling asserts. So the
tests are read with :mod:`ast` and each check becomes a case — the arguments go into the sandbox, the
expected value stays outside and is compared type-strictly (:mod:`rlvr.verifiers.code.values`).

Converted (``f`` is the candidate: HumanEval's ``check(candidate)`` argument, or the entry point's own name
in MBPP's module-level asserts):

- ``assert f(a, k=b) == e`` and ``e == f(...)``; ``assert f(...)`` (expected ``True``); ``assert not f(...)``
  (``False``); ``f(...) is True|False|None``;
- ``assert abs(f(...) - e) < tol`` (or ``<=``) and ``math.isclose(f(...), e, rel_tol=..., abs_tol=...)``:
  a float case with that tolerance;
- ``tuple(f(...)) == tuple(e)`` and ``list(f(...)) == list(e)``: compared as ``f(...) == e``;
- ``for x in <literal iterable>:`` loops around such asserts (unrolled, at most 1,000 iterations), and
  names assigned from such expressions before use.

Arguments and expected values must be *pure expressions of literals*: literals, arithmetic, comparisons,
comprehensions and a short list of pure builtins (``range``, ``len``, ``sum``, ``sorted``, ``str``...) on
them, evaluated here by a small interpreter with size limits — never ``eval``. Anything else (random
inputs, calls to helpers defined by the prompt, properties such as ``poly(coeffs, f(...)) < 1e-4``,
``set(f(...))`` comparisons) is refused with a reason rather than run in the candidate's process.

Type-strictness makes a converted test stricter than Python's ``==``: ``f(...) == 1`` needs the int ``1``,
not ``1.0`` or ``True``.

Example:
    >>> conversion = convert_tests("def check(candidate):\\n    assert candidate(2, 3) == 5\\n", "add")
    >>> [(c.args, c.expected) for c in conversion.cases]
    [((2, 3), 5)]
    >>> convert_tests("assert add(1, 1) == 2\\nassert add(*rand()) > 0\\n", "add", allow_partial=True).refused
    ('line 2: assert add(*rand()) > 0 (not a supported check)',)
"""

from __future__ import annotations

import ast
import contextlib
import math
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rlvr.verifiers.code.cases import CallCase
from rlvr.verifiers.code.values import DEFAULT_ABS_TOL, DEFAULT_REL_TOL, to_plain

MAX_ITEMS = 1_000_000
MAX_INT_BITS = 1_000_000
MAX_LOOP = 1_000
MAX_CASES = 10_000


class ConversionError(ValueError):
    """Tests that cannot be converted; the message says which check and why."""


class _NotPure(Exception):
    """An expression this converter will not evaluate."""


@dataclass(frozen=True)
class Conversion:
    """The cases read from a test, and the checks refused (``line N: source (why)``)."""

    cases: tuple[CallCase, ...]
    refused: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every check of the test became a case."""
        return bool(self.cases) and not self.refused

    def to_json(self) -> list[dict[str, Any]]:
        """The cases as ``verification_info["cases"]`` entries (plain-value JSON).

        Example:
            >>> convert_tests("assert f((1, 2)) == [1]", "f").to_json()
            [{'args': [{'$tuple': [1, 2]}], 'expected': [1]}]
        """
        out = []
        for case in self.cases:
            entry: dict[str, Any] = {
                "args": [to_plain(a) for a in case.args],
                "expected": to_plain(case.expected),
            }
            if case.kwargs:
                entry["kwargs"] = {k: to_plain(v) for k, v in case.kwargs.items()}
            if case.abs_tol != DEFAULT_ABS_TOL:
                entry["abs_tol"] = case.abs_tol
            if case.rel_tol != DEFAULT_REL_TOL:
                entry["rel_tol"] = case.rel_tol
            out.append(entry)
        return out


# -- a tiny interpreter for pure expressions of literals ----------------------------------------------


def _checked(value: Any) -> Any:
    if isinstance(value, (str, bytes, list, tuple, set, frozenset, dict)) and len(value) > MAX_ITEMS:
        raise _NotPure("value too large")
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        raise _NotPure("integer too large")
    return value


def _safe_mult(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, bytes, list, tuple)) and type(n) is int and len(seq) * max(n, 0) > MAX_ITEMS:
            raise _NotPure("sequence repetition too large")
    if type(a) is int and type(b) is int and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise _NotPure("integer too large")
    return a * b


def _safe_pow(a: Any, b: Any, mod: Any = None) -> Any:
    if mod is None and type(a) is int and type(b) is int and b > 0 and a.bit_length() * b > MAX_INT_BITS:
        raise _NotPure("power too large")
    return pow(a, b) if mod is None else pow(a, b, mod)


def _safe_shift(a: Any, b: Any) -> Any:
    if type(b) is int and b > MAX_INT_BITS:
        raise _NotPure("shift too large")
    return a << b


def _safe_range(*args: Any) -> range:
    result = range(*args)
    if len(result) > MAX_ITEMS:
        raise _NotPure("range too large")
    return result


_BINARY: Mapping[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: _safe_mult,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _safe_pow,
    ast.LShift: _safe_shift,
    ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}
_UNARY: Mapping[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}
_COMPARE: Mapping[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_BUILTINS: Mapping[str, Callable[..., Any]] = {
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "chr": chr,
    "dict": dict,
    "divmod": divmod,
    "enumerate": enumerate,
    "float": float,
    "frozenset": frozenset,
    "int": int,
    "len": len,
    "list": list,
    "max": max,
    "min": min,
    "ord": ord,
    "pow": _safe_pow,
    "range": _safe_range,
    "reversed": reversed,
    "round": round,
    "set": set,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "zip": zip,
}
_MATH: Mapping[str, Any] = {
    name: getattr(math, name)
    for name in (
        "pi",
        "e",
        "inf",
        "sqrt",
        "floor",
        "ceil",
        "fabs",
        "log",
        "log2",
        "log10",
        "exp",
        "gcd",
        "isqrt",
    )
}
_PLAIN_TYPES = (type(None), bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset, range)


class _Evaluator:
    """Evaluates pure expressions over an environment of already-evaluated names."""

    def __init__(self, env: Mapping[str, Any], math_name: str | None) -> None:
        self.env = dict(env)
        self.math_name = math_name
        self.steps = 0

    def __call__(self, node: ast.AST) -> Any:
        self.steps += 1
        if self.steps > MAX_ITEMS:
            raise _NotPure("expression too costly")
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise _NotPure(f"{type(node).__name__} is not a pure expression of literals")
        value = _checked(method(node))
        if not isinstance(value, _PLAIN_TYPES) and not isinstance(value, (map, zip, enumerate, reversed)):
            raise _NotPure(f"{type(value).__name__} value")
        return value

    def _Constant(self, node: ast.Constant) -> Any:
        if node.value is Ellipsis:
            raise _NotPure("...")
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in self.env:
            return self.env[node.id]
        raise _NotPure(f"unknown name {node.id!r}")

    def _List(self, node: ast.List) -> Any:
        return [self(e) for e in node.elts]

    def _Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self(e) for e in node.elts)

    def _Set(self, node: ast.Set) -> Any:
        return {self(e) for e in node.elts}

    def _Dict(self, node: ast.Dict) -> Any:
        if any(k is None for k in node.keys):
            raise _NotPure("dict unpacking")
        return {self(k): self(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self(node.operand))

    def _BinOp(self, node: ast.BinOp) -> Any:
        op = _BINARY.get(type(node.op))
        if op is None:
            raise _NotPure("operator")
        return op(self(node.left), self(node.right))

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value = None
        for operand in node.values:
            value = self(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _Compare(self, node: ast.Compare) -> Any:
        left = self(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self(node.body) if self(node.test) else self(node.orelse)

    def _Subscript(self, node: ast.Subscript) -> Any:
        return self(node.value)[self(node.slice)]

    def _Slice(self, node: ast.Slice) -> Any:
        part = [None if n is None else self(n) for n in (node.lower, node.upper, node.step)]
        return slice(*part)

    def _Attribute(self, node: ast.Attribute) -> Any:
        if isinstance(node.value, ast.Name) and node.value.id == self.math_name and node.attr in _MATH:
            return _MATH[node.attr]
        raise _NotPure(f"attribute .{node.attr}")

    def _Call(self, node: ast.Call) -> Any:
        function: Callable[..., Any] | None = None
        if isinstance(node.func, ast.Name) and node.func.id in _BUILTINS and node.func.id not in self.env:
            function = _BUILTINS[node.func.id]
        elif (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == self.math_name
            and node.func.attr in _MATH
        ):
            function = _MATH[node.func.attr]
        if function is None:
            raise _NotPure(f"call of {ast.unparse(node.func)}")
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(self(arg.value))
            else:
                args.append(self(arg))
        if any(k.arg is None for k in node.keywords):
            raise _NotPure("** arguments")
        kwargs = {k.arg: self(k.value) for k in node.keywords if k.arg is not None}
        return function(*args, **kwargs)

    def _comprehension(self, generators: list[ast.comprehension], emit: Callable[[], None]) -> None:
        if not generators:
            emit()
            return
        first, rest = generators[0], generators[1:]
        if first.is_async:
            raise _NotPure("async comprehension")
        for item in self(first.iter):
            self.steps += 1
            if self.steps > MAX_ITEMS:
                raise _NotPure("comprehension too costly")
            self._bind(first.target, item)
            if all(self(condition) for condition in first.ifs):
                self._comprehension(rest, emit)

    def _bind(self, target: ast.AST, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = list(value)
            if len(items) != len(target.elts):
                raise _NotPure("unpacking mismatch")
            for sub, item in zip(target.elts, items, strict=True):
                self._bind(sub, item)
        else:
            raise _NotPure("assignment target")

    def _scoped(self, node: ast.AST, build: Callable[[list[Any]], Any], element: Callable[[], Any]) -> Any:
        saved = dict(self.env)
        out: list[Any] = []
        try:
            self._comprehension(node.generators, lambda: out.append(element()))  # type: ignore[attr-defined]
        finally:
            self.env = saved
        return build(out)

    def _ListComp(self, node: ast.ListComp) -> Any:
        return self._scoped(node, list, lambda: self(node.elt))

    def _GeneratorExp(self, node: ast.GeneratorExp) -> Any:
        return self._scoped(node, list, lambda: self(node.elt))

    def _SetComp(self, node: ast.SetComp) -> Any:
        return self._scoped(node, set, lambda: self(node.elt))

    def _DictComp(self, node: ast.DictComp) -> Any:
        return self._scoped(node, dict, lambda: (self(node.key), self(node.value)))

    def _JoinedStr(self, node: ast.JoinedStr) -> Any:
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.format_spec is not None:
                    raise _NotPure("format spec")
                converted = self(value.value)
                parts.append(repr(converted) if value.conversion == ord("r") else str(converted))
            else:
                parts.append(self(value))
        return "".join(parts)


def evaluate_pure(source: str, env: Mapping[str, Any] | None = None) -> Any:
    """Evaluate a pure expression of literals (see the module docstring); ``ValueError`` otherwise.

    Example:
        >>> evaluate_pure("sum([i ** 2 for i in range(-3, 4, 2) if i > 0])")
        10
        >>> evaluate_pure("open('/etc/passwd')")
        Traceback (most recent call last):
        ...
        ValueError: not a pure expression of literals: call of open
    """
    try:
        value = _Evaluator(env or {}, "math")(ast.parse(source, mode="eval").body)
    except _NotPure as exc:
        raise ValueError(f"not a pure expression of literals: {exc}") from None
    return _materialise(value)


def _materialise(value: Any) -> Any:
    if isinstance(value, (map, zip, enumerate, reversed, range)):
        return list(value)
    return value


# -- reading the checks --------------------------------------------------------------------------------


Arguments = tuple[tuple[Any, ...], dict[str, Any]]


@dataclass
class _Reader:
    """Reads checks of calls to the candidate: ``candidate(...)`` by name, ``module.function(...)`` for a
    name in ``modules`` (``import solution``), and, with ``bind_calls``, names bound to such a call
    (``r = f(x)``; ``pending`` keeps the call's arguments, evaluated where the call was made)."""

    candidate: str
    math_name: str | None
    env: dict[str, Any]
    cases: list[CallCase]
    refused: list[str]
    modules: frozenset[str] = frozenset()
    function: str | None = None
    bind_calls: bool = False
    pending: dict[str, Arguments] = field(default_factory=dict)

    def evaluate(self, node: ast.AST) -> Any:
        value = _materialise(_Evaluator(self.env, self.math_name)(node))
        to_plain(value)  # raises for what cannot cross the sandbox boundary
        return value

    def is_candidate_call(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.pending
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Name):
            return func.id == self.candidate
        return (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in self.modules
            and func.attr == self.function
        )

    def arguments(self, call: ast.Call) -> Arguments:
        args: list[Any] = []
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                args.extend(self.evaluate(arg.value))
            else:
                args.append(self.evaluate(arg))
        if any(k.arg is None for k in call.keywords):
            raise _NotPure("** arguments")
        return tuple(args), {k.arg: self.evaluate(k.value) for k in call.keywords if k.arg is not None}

    def call_case(
        self,
        call: ast.AST,
        expected: Any,
        *,
        abs_tol: float = DEFAULT_ABS_TOL,
        rel_tol: float = DEFAULT_REL_TOL,
    ) -> CallCase:
        if isinstance(call, ast.Name):
            args, kwargs = self.pending[call.id]
        else:
            args, kwargs = self.arguments(call)  # type: ignore[arg-type]
        to_plain(expected)
        return CallCase(args, expected, kwargs, rel_tol=rel_tol, abs_tol=abs_tol)

    def _unwrap_pair(self, left: ast.AST, right: ast.AST) -> tuple[ast.AST, ast.AST] | None:
        """``tuple(f(x)) == tuple(e)`` -> ``(f(x), e)``; the candidate call first."""
        for a, b in ((left, right), (right, left)):
            if self.is_candidate_call(a):
                return a, b
            if (
                isinstance(a, ast.Call)
                and isinstance(a.func, ast.Name)
                and a.func.id in ("tuple", "list")
                and len(a.args) == 1
                and not a.keywords
                and self.is_candidate_call(a.args[0])
                and isinstance(b, ast.Call)
                and isinstance(b.func, ast.Name)
                and b.func.id == a.func.id
                and len(b.args) == 1
                and not b.keywords
            ):
                return a.args[0], b.args[0]
        return None

    def check(self, test: ast.AST) -> CallCase:
        if self.is_candidate_call(test):
            return self.call_case(test, True)  # type: ignore[arg-type]
        if (
            isinstance(test, ast.UnaryOp)
            and isinstance(test.op, ast.Not)
            and self.is_candidate_call(test.operand)
        ):
            return self.call_case(test.operand, False)  # type: ignore[arg-type]
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, left, right = test.ops[0], test.left, test.comparators[0]
            if isinstance(op, ast.Eq):
                pair = self._unwrap_pair(left, right)
                if pair is not None:
                    return self.call_case(pair[0], self.evaluate(pair[1]))  # type: ignore[arg-type]
            if (
                isinstance(op, ast.Is)
                and self.is_candidate_call(left)
                and isinstance(right, ast.Constant)
                and right.value in (True, False, None)
            ):
                return self.call_case(left, right.value)  # type: ignore[arg-type]
            if isinstance(op, (ast.Lt, ast.LtE)):
                close = self._abs_difference(left)
                if close is not None:
                    call, expected = close
                    tolerance = float(self.evaluate(right))
                    return self.call_case(call, float(expected), abs_tol=tolerance, rel_tol=0.0)
        if (
            isinstance(test, ast.Call)
            and isinstance(test.func, ast.Attribute)
            and test.func.attr == "isclose"
            and isinstance(test.func.value, ast.Name)
            and test.func.value.id == self.math_name
            and len(test.args) == 2
        ):
            pair = self._unwrap_pair(*test.args)
            if pair is not None:
                tolerances = {k.arg: float(self.evaluate(k.value)) for k in test.keywords}
                return self.call_case(
                    pair[0],  # type: ignore[arg-type]
                    float(self.evaluate(pair[1])),
                    rel_tol=tolerances.get("rel_tol", 1e-9),
                    abs_tol=tolerances.get("abs_tol", 0.0),
                )
        raise _NotPure("not a supported check")

    def _abs_difference(self, node: ast.AST) -> tuple[ast.Call, Any] | None:
        """``abs(f(x) - e)`` (or ``abs(e - f(x))``, ``math.fabs``) -> ``(f(x), e)``."""
        is_abs = isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords
        if is_abs:
            func = node.func  # type: ignore[attr-defined]
            is_abs = (isinstance(func, ast.Name) and func.id == "abs") or (
                isinstance(func, ast.Attribute)
                and func.attr == "fabs"
                and isinstance(func.value, ast.Name)
                and func.value.id == self.math_name
            )
        if not is_abs:
            return None
        inner = node.args[0]  # type: ignore[attr-defined]
        if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub):
            if self.is_candidate_call(inner.left):
                return inner.left, self.evaluate(inner.right)  # type: ignore[return-value]
            if self.is_candidate_call(inner.right):
                return inner.right, self.evaluate(inner.left)  # type: ignore[return-value]
        return None

    def statements(self, body: list[ast.stmt], depth: int = 0) -> None:
        for statement in body:
            self.statement(statement, depth)

    def statement(self, node: ast.stmt, depth: int) -> None:
        if len(self.cases) > MAX_CASES:
            raise ConversionError(f"more than {MAX_CASES} cases")
        if isinstance(node, ast.Pass) or (
            isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.Name))
        ):
            return  # docstrings, comments-as-strings, a bare `print`
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if isinstance(node, ast.Import) and alias.name == "math":
                    self.math_name = alias.asname or "math"
            return
        try:
            if isinstance(node, ast.Assert):
                if isinstance(node.test, ast.Constant) and node.test.value:
                    return  # `assert True, "..."`
                self.cases.append(self.check(node.test))
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                self._forget(target)
                if (
                    self.bind_calls
                    and isinstance(target, ast.Name)
                    and isinstance(node.value, ast.Call)
                    and self.is_candidate_call(node.value)
                ):
                    # arguments that are not pure leave the name unbound: a check of it is refused
                    with contextlib.suppress(_NotPure, ArithmeticError, TypeError, ValueError, LookupError):
                        self.pending[target.id] = self.arguments(node.value)
                    return
                try:
                    value = self.evaluate(node.value)
                except (_NotPure, ArithmeticError, TypeError, ValueError, IndexError, KeyError):
                    return
                self.env.update(self._bound(target, value))
            elif isinstance(node, ast.For) and not node.orelse and depth < 2:
                items = list(self.evaluate(node.iter))
                if len(items) > MAX_LOOP:
                    raise _NotPure(f"a loop of more than {MAX_LOOP} iterations")
                saved, saved_pending = dict(self.env), dict(self.pending)
                for item in items:
                    self._forget(node.target)
                    self.env.update(self._bound(node.target, item))
                    self.statements(node.body, depth + 1)
                self.env, self.pending = saved, saved_pending
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                raise _NotPure("a with block (an expected exception or a context is no value a case checks)")
            else:
                raise _NotPure("not a supported check")
        except (
            _NotPure,
            ArithmeticError,
            TypeError,
            ValueError,
            IndexError,
            KeyError,
            RecursionError,
        ) as exc:
            if isinstance(exc, ConversionError):
                raise
            source = ast.unparse(node).split("\n")[0]
            source = source if len(source) <= 100 else source[:97] + "..."
            self.refused.append(f"line {node.lineno}: {source} ({exc})")

    def _bound(self, target: ast.AST, value: Any) -> dict[str, Any]:
        scratch = _Evaluator({}, self.math_name)
        scratch._bind(target, value)
        return scratch.env

    def _forget(self, target: ast.AST) -> None:
        for name in ast.walk(target):
            if isinstance(name, ast.Name):
                self.env.pop(name.id, None)
                self.pending.pop(name.id, None)


def _walk_unique_lines(refused: list[str]) -> Iterator[str]:
    seen = set()
    for line in refused:
        if line not in seen:
            seen.add(line)
            yield line


def convert_tests(test_source: str, entry_point: str, *, allow_partial: bool = False) -> Conversion:
    """Read the checks of a HumanEval ``check(candidate)`` test or MBPP-style module-level asserts.

    Args:
        test_source: the test code (HumanEval's ``test`` field, or MBPP's ``test_list`` joined by newlines).
        entry_point: the function under test (MBPP asserts call it by this name).
        allow_partial: keep the convertible checks when some are refused (they are listed in
            ``refused``); by default any refused check refuses the whole test.

    Raises:
        ConversionError: the test does not parse, has no convertible check, or (without
            ``allow_partial``) has a check that cannot be converted.

    Example:
        >>> convert_tests("def check(c):\\n    assert abs(c(1.5) - 0.5) < 1e-6\\n", "frac").cases[0].abs_tol
        1e-06
        >>> convert_tests("def check(c):\\n    import random\\n    assert c(random.random()) == 1\\n", "f")
        Traceback (most recent call last):
        ...
        rlvr.verifiers.code.convert.ConversionError: no convertible check: line 3: \
assert c(random.random()) == 1 (call of random.random)
    """
    try:
        tree = ast.parse(test_source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # MemoryError: too deeply nested
        raise ConversionError(f"the test does not parse: {exc or type(exc).__name__}") from None
    check = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    reader = _Reader(entry_point, None, {}, [], [])
    for node in tree.body:  # module level: imports, constants (METADATA), MBPP's asserts
        if node is check or isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            continue
        reader.statement(node, 0)
    if check is not None:
        arguments = check.args.args
        if len(arguments) != 1:
            raise ConversionError("check() must take exactly one argument (the candidate)")
        reader.candidate = arguments[0].arg
        reader.statements(check.body)
    refused = tuple(_walk_unique_lines(reader.refused))
    if not reader.cases:
        raise ConversionError("no convertible check" + (f": {refused[0]}" if refused else ""))
    if refused and not allow_partial:
        raise ConversionError("; ".join(refused))
    return Conversion(tuple(reader.cases), refused)


def humaneval_verification_info(
    problem: Mapping[str, Any], *, allow_partial: bool = False, time_limit: float = 2.0
) -> dict[str, Any]:
    """``verification_info`` for a HumanEval problem (``test``, ``entry_point`` fields).

    The prompt is not part of it: a completion must define the function itself (prepend the prompt to the
    completion for HumanEval's completion-only format).

    Example:
        >>> problem = {"entry_point": "inc", "test": "def check(f):\\n    assert f(1) == 2"}
        >>> info = humaneval_verification_info(problem)
        >>> info["entry_point"], info["cases"]
        ('inc', [{'args': [1], 'expected': 2}])
    """
    conversion = convert_tests(problem["test"], problem["entry_point"], allow_partial=allow_partial)
    return {
        "language": "python",
        "entry_point": problem["entry_point"],
        "cases": conversion.to_json(),
        "time_limit": time_limit,
    }
