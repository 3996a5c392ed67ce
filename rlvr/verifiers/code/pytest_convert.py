"""Turn pytest-style tests (KodCode's ``test`` field) into function-call cases, statically.

KodCode's tests are a pytest module that imports the candidate from ``solution`` and asserts on its
results::

    from solution import longest_subsequence

    def test_basic():
        assert longest_subsequence([1, 2, 3]) == 3

    @pytest.mark.parametrize("nums, expected", [([1], 1), ([], 0)])
    def test_table(nums, expected):
        result = longest_subsequence(nums)
        assert result == expected

Running that module in the candidate's process would let the candidate decide its own verdict (an object
whose ``__eq__`` is always true, a patched ``pytest``, ``os._exit(0)``), so the module is read with
:mod:`ast`, never run: each check becomes a case with the same rules as the HumanEval converter
(:mod:`rlvr.verifiers.code.convert`: ``==``, ``is True/False/None``, truthiness, ``abs(...) < tol``,
``math.isclose``, ``for`` loops over literals, pure constants), plus:

- the candidate imported as ``from solution import f`` (or ``as g``), or called as ``solution.f(...)``
  after ``import solution``;
- ``test_*`` functions at module level and ``test_*`` methods of ``Test*`` classes (without setup
  methods), each read with its own local names;
- ``@pytest.mark.parametrize`` (one or several names, stacked decorators, ``pytest.param(...)`` without
  marks): the function is read once per parameter set;
- a result bound to a name before it is checked (``result = f(x)`` then ``assert result == 3``).

Refused, with the line and the reason: fixtures and other decorators, ``pytest.raises`` and other ``with``
blocks, checks of objects' methods (stateful classes), a candidate that mutates its argument
(``f(arr); assert arr == ...``), calls of helper functions, random inputs, several functions under test.
By default one refused check refuses the whole test (``allow_partial`` keeps the rest). Comparisons are
type-strict, as in the HumanEval converter: stricter than pytest's ``==`` (``f(x) == 2`` needs the int).

Example:
    >>> test = "from solution import add\\n\\ndef test_add():\\n    r = add(1, 2)\\n    assert r == 3\\n"
    >>> read = convert_pytest(test)
    >>> read.entry_point, [(c.args, c.expected) for c in read.conversion.cases]
    ('add', [((1, 2), 3)])
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from typing import Any, NamedTuple

from rlvr.verifiers.code.convert import (
    MAX_LOOP,
    Conversion,
    ConversionError,
    _NotPure,
    _Reader,
)


class PytestTests(NamedTuple):
    """What a pytest module converts to: the function under test and its cases."""

    entry_point: str
    conversion: Conversion


def _is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__": ...`` (how a module runs pytest on itself)."""
    test = node.test if isinstance(node, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _dotted(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except (ValueError, TypeError, RecursionError):
        return type(node).__name__


class _Module:
    """The imports of a test module: where the candidate comes from."""

    def __init__(self, tree: ast.Module, module: str) -> None:
        self.imported: dict[str, str] = {}  # local name -> name in `module`
        self.modules: set[str] = set()  # local names of `module` itself
        self.star = False
        self.math_name: str | None = None
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module == module and not node.level:
                for alias in node.names:
                    if alias.name == "*":
                        self.star = True
                    else:
                        self.imported[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == module:
                        self.modules.add(alias.asname or module)
                    elif alias.name == "math":
                        self.math_name = alias.asname or "math"

    def entry_point(self, wanted: str | None, module: str) -> tuple[str, str]:
        """``(entry point, its local name)``; ``ConversionError`` when it cannot be told which function."""
        names = sorted(set(self.imported.values()))
        if wanted is None:
            if len(names) == 1 and not self.star:
                wanted = names[0]
            elif not names and not self.star and self.modules:
                raise ConversionError(f"the tests use `import {module}`: name the function under test")
            elif self.star or not names:
                raise ConversionError(f"the tests import no function by name from {module!r}")
            else:
                several = ", ".join(names)
                raise ConversionError(f"the tests import several functions from {module!r} ({several})")
        local = next((loc for loc, real in self.imported.items() if real == wanted), None)
        if local is not None:
            return wanted, local
        if self.star or not (self.imported or self.modules):
            return wanted, wanted  # `from solution import *`, or tests appended to the solution itself
        if self.modules:
            return wanted, ""  # called as `solution.f(...)` only
        raise ConversionError(f"the tests do not import {wanted!r} from {module!r}")


def _parametrize(reader: _Reader, decorator: ast.expr) -> list[dict[str, Any]]:
    """The parameter sets of one ``@pytest.mark.parametrize(names, values)`` decorator."""
    if not (
        isinstance(decorator, ast.Call)
        and _dotted(decorator.func) in ("pytest.mark.parametrize", "mark.parametrize")
        and len(decorator.args) == 2
    ):
        raise _NotPure(f"decorator @{_dotted(decorator)[:60]}")
    if any(k.arg == "indirect" for k in decorator.keywords):
        raise _NotPure("indirect parametrization")
    names_value = reader.evaluate(decorator.args[0])
    if isinstance(names_value, str):
        names = [name.strip() for name in names_value.split(",") if name.strip()]
    elif isinstance(names_value, (list, tuple)) and all(isinstance(n, str) for n in names_value):
        names = list(names_value)
    else:
        raise _NotPure("parametrize names")
    values_node = decorator.args[1]
    rows: list[Any] = []
    if isinstance(values_node, (ast.List, ast.Tuple)):
        for element in values_node.elts:
            if isinstance(element, ast.Call) and _dotted(element.func) == "pytest.param":
                if any(k.arg == "marks" for k in element.keywords):
                    raise _NotPure("pytest.param with marks")
                row = [reader.evaluate(arg) for arg in element.args]
                rows.append(row[0] if len(names) == 1 and len(row) == 1 else tuple(row))
            else:
                rows.append(reader.evaluate(element))
    else:
        rows = list(reader.evaluate(values_node))
    if len(rows) > MAX_LOOP:
        raise _NotPure(f"more than {MAX_LOOP} parameter sets")
    out = []
    for row in rows:
        if len(names) == 1:
            out.append({names[0]: row})
            continue
        items = list(row) if isinstance(row, (list, tuple)) else None
        if items is None or len(items) != len(names):
            raise _NotPure(f"a parameter set that does not match the names {', '.join(names)}")
        out.append(dict(zip(names, items, strict=True)))
    return out


def _parameter_sets(reader: _Reader, function: ast.FunctionDef, method: bool) -> list[dict[str, Any]]:
    sets: list[dict[str, Any]] = [{}]
    for decorator in function.decorator_list:
        table = _parametrize(reader, decorator)
        sets = [{**a, **b} for a, b in itertools.product(sets, table)]
        if len(sets) > MAX_LOOP:
            raise _NotPure(f"more than {MAX_LOOP} parameter sets")
    arguments = function.args
    names = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
    if method:
        names = names[1:]
    if arguments.vararg or arguments.kwarg:
        raise _NotPure("*args or **kwargs")
    missing = [n for n in names if n not in sets[0]]
    if missing:
        raise _NotPure(f"uses fixtures ({', '.join(missing)})")
    return sets


def _test_functions(tree: ast.Module) -> Iterator[tuple[ast.stmt, bool]]:
    """``(test function, is a method)`` in file order; a refused node is yielded as ``(node, False)``."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield node, False
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            setups = [
                n.name
                for n in node.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("test")
            ]
            if setups or node.decorator_list or node.bases:
                yield node, False  # refused as a whole
                continue
            for member in node.body:
                is_function = isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef))
                if is_function and member.name.startswith("test"):  # type: ignore[union-attr]
                    yield member, True


def _refuse(reader: _Reader, node: ast.stmt, why: str) -> None:
    head = _dotted(node).split("\n")
    source = next((line for line in head if not line.startswith("@")), head[0])
    reader.refused.append(f"line {node.lineno}: {source[:100]} ({why})")


def _read_test(reader: _Reader, node: ast.stmt, method: bool) -> None:
    if isinstance(node, ast.ClassDef):
        _refuse(reader, node, "a test class with setup methods, bases or decorators")
        return
    if not isinstance(node, ast.FunctionDef):
        _refuse(reader, node, "an async test")
        return
    try:
        sets = _parameter_sets(reader, node, method)
    except (_NotPure, ArithmeticError, TypeError, ValueError, IndexError, KeyError, RecursionError) as exc:
        _refuse(reader, node, str(exc))
        return
    module_env, module_pending = dict(reader.env), dict(reader.pending)
    for parameters in sets:
        reader.env = {**module_env, **parameters}
        reader.pending = dict(module_pending)
        reader.statements(node.body)
    reader.env, reader.pending = module_env, module_pending


def convert_pytest(
    test_source: str, entry_point: str | None = None, *, module: str = "solution", allow_partial: bool = False
) -> PytestTests:
    """Read a pytest module's checks of ``entry_point`` (default: the one function imported from ``module``).

    Raises:
        ConversionError: the module does not parse, the function under test cannot be told, no check
            converts, or (without ``allow_partial``) a check or test cannot be converted.

    Example:
        >>> test = "import pytest\\nfrom solution import f\\n\\ndef test_f():\\n"
        >>> convert_pytest(test + "    with pytest.raises(ValueError):\\n        f(-1)\\n").entry_point
        Traceback (most recent call last):
        ...
        rlvr.verifiers.code.convert.ConversionError: no convertible check: line 5: with \
pytest.raises(ValueError): (a with block (an expected exception or a context is no value a case checks))
    """
    try:
        tree = ast.parse(test_source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # MemoryError: too deeply nested
        raise ConversionError(f"the test does not parse: {exc or type(exc).__name__}") from None
    imports = _Module(tree, module)
    name, local = imports.entry_point(entry_point, module)
    reader = _Reader(
        local,
        imports.math_name,
        {},
        [],
        [],
        modules=frozenset(imports.modules),
        function=name,
        bind_calls=True,
    )
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or _is_main_guard(node):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue  # tests are read below; helpers and fixtures only matter where a test uses them
        reader.statement(node, 0)
    for node, method in _test_functions(tree):
        _read_test(reader, node, method)
    refused = tuple(dict.fromkeys(reader.refused))
    if not reader.cases:
        raise ConversionError("no convertible check" + (f": {refused[0]}" if refused else ""))
    if refused and not allow_partial:
        raise ConversionError("; ".join(refused))
    return PytestTests(name, Conversion(tuple(reader.cases), refused))
