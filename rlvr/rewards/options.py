"""Build a reward's config dataclass from string options (``--set KEY=VALUE`` on the command line)."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_NONE = {"none", "null"}


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """Split ``["key=value", ...]`` into a dict.

    Example:
        >>> parse_assignments(["fallback=last_number", "weight=0.5"])
        {'fallback': 'last_number', 'weight': '0.5'}
    """
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"option {pair!r} is not KEY=VALUE")
        options[key.strip()] = value
    return options


def _convert(text: str, annotation: Any, field_name: str) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = get_args(annotation)
        if type(None) in members and text.strip().lower() in _NONE:
            return None
        errors = []
        for member in members:
            if member is type(None):
                continue
            try:
                return _convert(text, member, field_name)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors))
    if origin is Literal:
        choices = get_args(annotation)
        for choice in choices:
            if str(choice) == text:
                return choice
        raise ValueError(f"{field_name} must be one of {', '.join(map(str, choices))}; got {text!r}")
    if annotation is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{field_name} must be true or false; got {text!r}")
    if annotation is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{field_name} must be an integer; got {text!r}") from None
    if annotation is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{field_name} must be a number; got {text!r}") from None
    if annotation is str:
        return text
    raise ValueError(f"{field_name} cannot be set from the command line (type {annotation})")


def build_config(config_class: type, options: Mapping[str, str]) -> Any:
    """Instantiate ``config_class`` from string values, converted by each field's type hint.

    Unknown keys are an error that lists the known ones; the dataclass validates the values.

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True)
        ... class Demo:
        ...     strict: bool = True
        ...     weight: float = 1.0
        ...     mode: Literal["a", "b"] = "a"
        >>> build_config(Demo, {"strict": "no", "mode": "b"})
        Demo(strict=False, weight=1.0, mode='b')
    """
    hints = typing.get_type_hints(config_class)
    fields = {f.name: f for f in dataclasses.fields(config_class) if f.init}
    values: dict[str, Any] = {}
    for key, text in options.items():
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise ValueError(f"unknown option {key!r} for {config_class.__name__} (known: {known})")
        values[key] = _convert(text, hints[key], key)
    return config_class(**values)
