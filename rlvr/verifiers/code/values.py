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
tuple, and set members and dict keys compare with their types. Floats compare with a tolerance:
``math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)`` by default (a case may set its own);
NaN equals NaN; an infinity equals only itself.

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
from typing import Any

DEFAULT_REL_TOL = 1e-9
DEFAULT_ABS_TOL = 1e-9
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


def _typed_key(value: Any) -> Any:
    """A hashable key that keeps types apart (``1``, ``1.0``, ``True`` differ): set members, dict keys."""
    kind = type(value)
    if kind is tuple:
        return (kind, tuple(_typed_key(v) for v in value))
    if kind is frozenset:
        return (kind, frozenset(_typed_key(v) for v in value))
    if kind is float or kind is complex:
        return (kind, repr(value))
    return (kind, value)


def strict_equal(
    actual: Any, expected: Any, *, rel_tol: float = DEFAULT_REL_TOL, abs_tol: float = DEFAULT_ABS_TOL
) -> bool:
    """Type-strict equality of two plain values, with a tolerance for floats (see the module docstring).

    Example:
        >>> strict_equal((1, "a"), (1, "a")), strict_equal((1, "a"), [1, "a"])
        (True, False)
        >>> strict_equal({1: "x"}, {True: "x"}), strict_equal({1.0}, {1})
        (False, False)
        >>> strict_equal(2.0, 2.0000001, abs_tol=1e-6), strict_equal(float("nan"), float("nan"))
        (True, True)
    """
    kind = type(actual)
    if kind is not type(expected):
        return False
    if kind is float:
        if math.isnan(actual) or math.isnan(expected):
            return math.isnan(actual) and math.isnan(expected)
        return math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=abs_tol)
    if kind is complex:
        return strict_equal(actual.real, expected.real, rel_tol=rel_tol, abs_tol=abs_tol) and strict_equal(
            actual.imag, expected.imag, rel_tol=rel_tol, abs_tol=abs_tol
        )
    if kind is list or kind is tuple:
        return len(actual) == len(expected) and all(
            strict_equal(a, e, rel_tol=rel_tol, abs_tol=abs_tol)
            for a, e in zip(actual, expected, strict=True)
        )
    if kind is dict:
        if len(actual) != len(expected):
            return False
        mine = {_typed_key(k): v for k, v in actual.items()}
        for key, value in expected.items():
            typed = _typed_key(key)
            if typed not in mine or not strict_equal(mine[typed], value, rel_tol=rel_tol, abs_tol=abs_tol):
                return False
        return True
    if kind is set or kind is frozenset:
        return {_typed_key(v) for v in actual} == {_typed_key(v) for v in expected}
    return bool(actual == expected)  # None, bool, int, str, bytes: exact builtin types, exact equality
