"""Plain values: what crosses the sandbox boundary, and type-strict equality between them.

A *plain value* is ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``, ``complex``, or a ``list``,
``tuple``, ``dict``, ``set`` or ``frozenset`` of plain values — exactly those types, never a subclass.
On the wire it is JSON: JSON's own values stand for themselves; the rest are one-key objects with a ``$``
tag, so types survive the trip:

=================  =============================================
``(1, 2)``          ``{"$tuple": [1, 2]}``
``{1, 2}``          ``{"$set": [1, 2]}`` (``$frozenset`` alike)
``b"ab"``           ``{"$bytes": "YWI="}`` (base64)
``float("nan")``    ``{"$float": "nan"}`` (``inf``, ``-inf``)
``1+2j``            ``{"$complex": [1.0, 2.0]}``
``{1: "a"}``        ``{"$dict": [[1, "a"]]}`` (keys that are not all strings, or one ``$`` key)
huge ``int``        ``{"$int": "0x…"}`` (beyond 3,900 digits)
=================  =============================================

Expected values in a dataset may use the same tags (``"expected": {"$tuple": [1, 2]}``).

Equality (:func:`strict_equal`) is type-strict: ``1``, ``1.0`` and ``True`` differ, a list is not a
tuple, and set members and dict keys compare with their types (exactly: ``{0.1 + 0.2} != {0.3}``).
Floats elsewhere compare with a *relative* tolerance (``rel_tol=1e-9``): an expected ``1e-12`` is not
matched by ``0.0``. An absolute tolerance applies only where the expected value is exactly zero (``1e-9``),
unless a case sets ``abs_tol`` itself (then within ``abs_tol`` or ``rel_tol``, as ``math.isclose``). NaN
equals NaN; an infinity equals only itself. Nesting deeper than 100 levels is no plain value (WA).
*Loose* equality (a task's ``"equality": "loose"``, for datasets whose own judge compares with Python's
``==`` after JSON) also takes a list for a tuple and an int for a float of the same value.

Example:
    >>> dumps((1, 2.0, {"a": None}))
    '{"$tuple": [1, 2.0, {"a": null}]}'
    >>> loads(dumps({1, 2})) == {1, 2}
    True
    >>> strict_equal(1, 1.0), strict_equal(True, 1), strict_equal([0.1 + 0.2], [0.3])
    (False, False, True)
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from typing import Any

DEFAULT_REL_TOL = 1e-9
ZERO_ABS_TOL = 1e-9  # the absolute tolerance around an expected exact zero
DEFAULT_ABS_TOL: float | None = None  # no absolute tolerance except at zero, unless a case sets one
MAX_DEPTH = 100
_BIG_INT_BITS = 13_000  # about 3,900 decimal digits: under CPython's 4,300-digit str() limit
_SEQUENCE_TAGS = {"$tuple": tuple, "$set": set, "$frozenset": frozenset}


class NotPlainError(TypeError):
    """A value that is not a plain value (a subclass, an object, a function, too deep...)."""


def to_plain(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data with ``$`` tags; raises :class:`NotPlainError` for anything else.

    Only exact builtin types pass: an ``int`` subclass or an object with a custom ``__eq__`` is refused
    without calling any of its methods.

    Example:
        >>> to_plain([1, (2, 3)])
        [1, {'$tuple': [2, 3]}]
        >>> class Sneaky(int):
        ...     def __eq__(self, other): return True
        >>> to_plain(Sneaky(1))
        Traceback (most recent call last):
        ...
        rlvr.verifiers.code.values.NotPlainError: not a plain value: Sneaky
    """
    if depth > MAX_DEPTH:
        raise NotPlainError(f"nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        if value.bit_length() > _BIG_INT_BITS:
            return {"$int": hex(value)}
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if kind is list:
        return [to_plain(item, depth + 1) for item in value]
    if kind is tuple:
        return {"$tuple": [to_plain(item, depth + 1) for item in value]}
    if kind is set or kind is frozenset:
        tag = "$set" if kind is set else "$frozenset"
        return {tag: [to_plain(item, depth + 1) for item in value]}
    if kind is dict:
        keys = list(value)
        if all(type(k) is str for k in keys) and not (len(keys) == 1 and keys[0].startswith("$")):
            return {k: to_plain(v, depth + 1) for k, v in value.items()}
        return {"$dict": [[to_plain(k, depth + 1), to_plain(v, depth + 1)] for k, v in value.items()]}
    if kind is bytes:
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if kind is complex:
        return {"$complex": [to_plain(value.real, depth + 1), to_plain(value.imag, depth + 1)]}
    raise NotPlainError(f"not a plain value: {kind.__name__}")


def from_plain(data: Any, depth: int = 0) -> Any:
    """Rebuild a plain value from :func:`to_plain` data (or from JSON with ``$`` tags).

    Raises:
        ValueError: an unknown tag, a malformed tagged value, or nesting past the depth limit.

    Example:
        >>> from_plain({"$tuple": [1, {"$set": ["a"]}]})
        (1, {'a'})
    """
    if depth > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    kind = type(data)
    if data is None or kind in (bool, int, float, str):
        return data
    if kind is list:
        return [from_plain(item, depth + 1) for item in data]
    if kind is not dict:
        raise ValueError(f"not JSON data: {kind.__name__}")
    if len(data) == 1:
        ((tag, body),) = data.items()
        if tag.startswith("$"):
            return _from_tagged(tag, body, depth)
    return {k: from_plain(v, depth + 1) for k, v in data.items()}


def _from_tagged(tag: str, body: Any, depth: int) -> Any:
    if tag in _SEQUENCE_TAGS:
        if type(body) is not list:
            raise ValueError(f"{tag} needs a list")
        items = [from_plain(item, depth + 1) for item in body]
        try:
            return _SEQUENCE_TAGS[tag](items)
        except TypeError as exc:  # an unhashable member of a set
            raise ValueError(f"{tag}: {exc}") from None
    if tag == "$dict":
        if type(body) is not list or not all(type(p) is list and len(p) == 2 for p in body):
            raise ValueError("$dict needs a list of [key, value] pairs")
        try:
            return {from_plain(k, depth + 1): from_plain(v, depth + 1) for k, v in body}
        except TypeError as exc:
            raise ValueError(f"$dict: {exc}") from None
    if tag == "$float" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "$int" and type(body) is str:
        return int(body, 16)
    if tag == "$bytes" and type(body) is str:
        return base64.b64decode(body.encode("ascii"), validate=True)
    if tag == "$complex" and type(body) is list and len(body) == 2:
        real, imag = (from_plain(part, depth + 1) for part in body)
        if type(real) is float and type(imag) is float:
            return complex(real, imag)
    raise ValueError(f"malformed or unknown tagged value {tag!r}")


def dumps(value: Any) -> str:
    """A plain value as tagged JSON text.

    Example:
        >>> dumps(float("inf"))
        '{"$float": "inf"}'
    """
    return json.dumps(to_plain(value), allow_nan=False, ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    """Tagged JSON text back to a plain value; ``ValueError`` for anything malformed (also too deep).

    Example:
        >>> loads('{"$tuple": [1, 2]}')
        (1, 2)
    """
    try:
        return from_plain(json.loads(text))
    except RecursionError:
        raise ValueError("nested too deeply") from None


class Malformed(ValueError):
    """Tagged data that no plain value encodes to (a forged or corrupted result)."""


class TooCostly(ValueError):
    """Data that would take more than the judge's budget to compare."""


class JudgeBudget:
    """The work one comparison may do: node visits, and a wall-clock deadline checked as it goes.

    Every value the judge reads from a program is hostile; this bounds what any of them can cost.

    Example:
        >>> budget = JudgeBudget(max_nodes=3)
        >>> budget.spend(); budget.spend(); budget.spend()
        >>> budget.spend()
        Traceback (most recent call last):
        ...
        rlvr.verifiers.code.values.TooCostly: more than 3 elements to compare
    """

    def __init__(self, max_nodes: int = 2_000_000, seconds: float | None = None) -> None:
        self.max_nodes = max_nodes
        self.nodes = 0
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def spend(self, nodes: int = 1) -> None:
        before = self.nodes
        self.nodes += nodes
        if self.nodes > self.max_nodes:
            raise TooCostly(f"more than {self.max_nodes} elements to compare")
        if (
            self.deadline is not None
            and (self.nodes >> 12) != (before >> 12)
            and time.monotonic() > self.deadline
        ):
            raise TooCostly("comparing it took longer than the judge's deadline")


class _Object(list):  # type: ignore[type-arg]
    """A JSON object as its list of (key, value) pairs: no dict is built from program-chosen keys."""


#: A canonical value: a tag and its payload. Tags: "N" None, "b" bool, "i" int, "f" float, "s" str,
#: "y" bytes, "c" complex, "l" list, "t" tuple, "S" set, "F" frozenset, "d" dict. Set members and dict
#: keys are held as (key string, canonical value) pairs sorted by the key string (:func:`_key`), so
#: comparing them never hashes a value the program chose.
Canonical = tuple[Any, ...]
_HASHABLE = frozenset("Nbifsyct F".replace(" ", ""))


def parse_json(text: str | bytes) -> Any:
    """JSON without dicts: objects come back as lists of (key, value) pairs.

    Raises:
        Malformed: not JSON (also: nested too deeply, an integer of more than 4,300 digits).

    Example:
        >>> parse_json('{"$tuple": [1, 2]}')
        [('$tuple', [1, 2])]
    """
    try:
        return json.loads(text, object_pairs_hook=_Object)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise Malformed(f"not JSON: {str(exc)[:100]}") from None


def canonical(data: Any, budget: JudgeBudget | None = None, depth: int = 0) -> Canonical:
    """The canonical form of tagged plain-value data (as :func:`parse_json` returns it).

    Raises:
        Malformed: data that no plain value encodes to (unknown tag, unhashable set member, duplicate
            key, nesting past :data:`MAX_DEPTH`).
        TooCostly: past the budget.

    Example:
        >>> canonical(parse_json('{"$set": [2, 1]}'))
        ('S', (('i0x1', ('i', 1)), ('i0x2', ('i', 2))))
    """
    if budget is not None:
        budget.spend()
    if depth > MAX_DEPTH:
        raise Malformed(f"nested deeper than {MAX_DEPTH} levels")
    kind = type(data)
    if data is None:
        return ("N",)
    if kind is bool:
        return ("b", data)
    if kind is int:
        return ("i", data)
    if kind is float:
        return ("f", data)
    if kind is str:
        return ("s", data)
    if kind is list:
        return ("l", tuple(canonical(item, budget, depth + 1) for item in data))
    if kind is not _Object:
        raise Malformed(f"not plain-value data: {kind.__name__}")
    if len(data) == 1 and data[0][0].startswith("$"):
        return _canonical_tagged(data[0][0], data[0][1], budget, depth)
    pairs = [(("s", key), canonical(value, budget, depth + 1)) for key, value in data]
    return ("d", _keyed_pairs(pairs, budget))


def _keyed(
    items: list[Canonical], budget: JudgeBudget | None, what: str
) -> tuple[tuple[str, Canonical], ...]:
    keyed = {}
    for item in items:
        if item[0] not in _HASHABLE:
            raise Malformed(f"a {what} cannot hold an unhashable value")
        keyed.setdefault(_key(item, budget), item)
    return tuple(sorted(keyed.items()))


def _keyed_pairs(
    pairs: list[tuple[Canonical, Canonical]], budget: JudgeBudget | None
) -> tuple[tuple[str, Canonical, Canonical], ...]:
    out = {}
    for key, value in pairs:
        if key[0] not in _HASHABLE:
            raise Malformed("a dict key cannot be unhashable")
        text = _key(key, budget)
        if text in out:
            raise Malformed("a dict with a repeated key")
        out[text] = (text, key, value)
    return tuple(out[text] for text in sorted(out))


def _canonical_tagged(tag: str, body: Any, budget: JudgeBudget | None, depth: int) -> Canonical:
    if tag in ("$tuple", "$set", "$frozenset"):
        if type(body) is not list:
            raise Malformed(f"{tag} needs a list")
        items = [canonical(item, budget, depth + 1) for item in body]
        if tag == "$tuple":
            return ("t", tuple(items))
        return ("S" if tag == "$set" else "F", _keyed(items, budget, "set"))
    if tag == "$dict":
        if type(body) is not list or not all(type(p) is list and len(p) == 2 for p in body):
            raise Malformed("$dict needs a list of [key, value] pairs")
        pairs = [(canonical(k, budget, depth + 1), canonical(v, budget, depth + 1)) for k, v in body]
        return ("d", _keyed_pairs(pairs, budget))
    if tag == "$float" and body in ("nan", "inf", "-inf"):
        return ("f", float(body))
    if tag == "$int" and type(body) is str and _HEX.fullmatch(body):
        if budget is not None:
            budget.spend(len(body) >> 6)
        return ("i", int(body, 16))
    if tag == "$bytes" and type(body) is str:
        if budget is not None:
            budget.spend(len(body) >> 6)
        try:
            return ("y", base64.b64decode(body.encode("ascii"), validate=True))
        except (ValueError, UnicodeEncodeError):
            raise Malformed("$bytes is not base64") from None
    if tag == "$complex" and type(body) is list and len(body) == 2:
        real, imag = (canonical(part, budget, depth + 1) for part in body)
        if real[0] == "f" and imag[0] == "f":
            return ("c", real[1], imag[1])
    raise Malformed(f"malformed or unknown tagged value {tag[:40]!r}")


_HEX = re.compile(r"-?0x[0-9a-f]+")


def _key(value: Canonical, budget: JudgeBudget | None = None) -> str:
    """An injective text of a hashable canonical value: equal texts for equal values, nothing else."""
    if budget is not None:
        budget.spend()
    tag = value[0]
    if tag == "N":
        return "N"
    if tag == "b":
        return "b1" if value[1] else "b0"
    if tag == "i":
        return "i" + hex(value[1])
    if tag == "f":
        return "f" + repr(value[1] + 0.0)  # -0.0 and 0.0 are one set member, as in Python
    if tag == "s":
        return "s" + json.dumps(value[1])
    if tag == "y":
        return "y" + base64.b64encode(value[1]).decode("ascii")
    if tag == "c":
        return f"c{value[1] + 0.0!r};{value[2] + 0.0!r}"
    if tag == "t":
        return "t(" + ",".join(_key(item, budget) for item in value[1]) + ")"
    return "F{" + ",".join(key for key, _ in value[1]) + "}"  # a frozenset: members already keyed


def canonical_value(value: Any) -> Canonical:
    """The canonical form of a plain Python value (through its tagged JSON, one code path for both).

    Raises:
        NotPlainError: ``value`` is not a plain value.

    Example:
        >>> canonical_value((1, "a"))
        ('t', (('i', 1), ('s', 'a')))
    """
    return canonical(parse_json(json.dumps(to_plain(value), allow_nan=False)))


def canonical_equal(
    actual: Canonical,
    expected: Canonical,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    abs_tol: float | None = DEFAULT_ABS_TOL,
    loose: bool = False,
    budget: JudgeBudget | None = None,
) -> bool:
    """Equality of canonical values: type-strict (or loose), floats within tolerance outside sets and
    dict keys (see the module docstring).

    Example:
        >>> canonical_equal(canonical_value([0.1 + 0.2]), canonical_value([0.3]))
        True
        >>> canonical_equal(canonical_value({0.1 + 0.2}), canonical_value({0.3}))  # set members: exact
        False
        >>> canonical_equal(canonical_value(0.0), canonical_value(1e-12))  # relative, not absolute
        False
        >>> canonical_equal(canonical_value((1, 2.0)), canonical_value([1.0, 2]), loose=True)
        True
    """
    if budget is not None:
        budget.spend()
    tag, other = actual[0], expected[0]
    if tag != other:
        if not loose:
            return False
        if {tag, other} <= {"l", "t"}:
            tag = other = "l"
        elif {tag, other} == {"i", "f"}:
            try:
                return _floats_close(float(actual[1]), float(expected[1]), rel_tol, abs_tol)
            except OverflowError:
                return False
        else:
            return False
    if tag == "f":
        return _floats_close(actual[1], expected[1], rel_tol, abs_tol)
    if tag == "c":
        return _floats_close(actual[1], expected[1], rel_tol, abs_tol) and _floats_close(
            actual[2], expected[2], rel_tol, abs_tol
        )
    if tag in ("l", "t"):
        return len(actual[1]) == len(expected[1]) and all(
            canonical_equal(a, e, rel_tol=rel_tol, abs_tol=abs_tol, loose=loose, budget=budget)
            for a, e in zip(actual[1], expected[1], strict=True)
        )
    if tag in ("S", "F"):
        return [key for key, _ in actual[1]] == [key for key, _ in expected[1]]
    if tag == "d":
        return [k for k, _, _ in actual[1]] == [k for k, _, _ in expected[1]] and all(
            canonical_equal(a[2], e[2], rel_tol=rel_tol, abs_tol=abs_tol, loose=loose, budget=budget)
            for a, e in zip(actual[1], expected[1], strict=True)
        )
    return bool(actual[1:] == expected[1:])  # None, bool, int, str, bytes: exact


def _floats_close(actual: float, expected: float, rel_tol: float, abs_tol: float | None) -> bool:
    if math.isnan(actual) or math.isnan(expected):
        return math.isnan(actual) and math.isnan(expected)
    if abs_tol is None:
        abs_tol = ZERO_ABS_TOL if expected == 0 else 0.0
    return math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=abs_tol)


def describe(value: Canonical, limit: int = 80) -> str:
    """A short, safe rendering of a canonical value for a reason (never prints a huge integer in full).

    Example:
        >>> describe(canonical_value([10**5000, "x"]))
        "[<int of 16610 bits>, 'x']"
    """
    parts: list[str] = []
    _describe(value, parts, limit)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: Canonical, out: list[str], limit: int) -> None:
    if sum(map(len, out)) > limit:
        return
    tag = value[0]
    if tag == "i":
        number = value[1]
        out.append(str(number) if number.bit_length() <= 128 else f"<int of {number.bit_length()} bits>")
    elif tag in ("b", "f", "s", "y"):
        text = repr(value[1])
        out.append(text if len(text) <= limit else text[:limit])
    elif tag == "N":
        out.append("None")
    elif tag == "c":
        out.append(repr(complex(value[1], value[2])))
    else:
        opening, closing = {"l": "[]", "t": "()", "S": "{}", "F": "{}", "d": "{}"}[tag]
        out.append(("frozenset(" if tag == "F" else "") + opening)
        for number, item in enumerate(value[1]):
            if number:
                out.append(", ")
            if sum(map(len, out)) > limit:
                out.append("...")
                break
            if tag == "d":
                _describe(item[1], out, limit)
                out.append(": ")
                _describe(item[2], out, limit)
            elif tag in ("S", "F"):
                _describe(item[1], out, limit)
            else:
                _describe(item, out, limit)
        if tag == "t" and len(value[1]) == 1:
            out.append(",")
        out.append(closing + (")" if tag == "F" else ""))


def strict_equal(
    actual: Any, expected: Any, *, rel_tol: float = DEFAULT_REL_TOL, abs_tol: float | None = DEFAULT_ABS_TOL
) -> bool:
    """Type-strict equality of two plain values, with a tolerance for floats (see the module docstring).

    Anything that is not a plain value equals nothing.

    Example:
        >>> strict_equal((1, "a"), (1, "a")), strict_equal((1, "a"), [1, "a"])
        (True, False)
        >>> strict_equal({1: "x"}, {True: "x"}), strict_equal({1.0}, {1})
        (False, False)
        >>> strict_equal(2.0, 2.0000001, abs_tol=1e-6), strict_equal(float("nan"), float("nan"))
        (True, True)
    """
    try:
        return canonical_equal(
            canonical_value(actual), canonical_value(expected), rel_tol=rel_tol, abs_tol=abs_tol
        )
    except (NotPlainError, Malformed):
        return False
