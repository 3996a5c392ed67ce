"""Tests of string options (``--set KEY=VALUE``): ``parse_assignments`` and ``build_config``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

import pytest

from rlvr.rewards import ThinkFormatConfig
from rlvr.rewards.options import build_config, parse_assignments


@dataclass(frozen=True)
class Demo:
    """A config with one field of each supported kind."""

    flag: bool = False
    count: int = 1
    ratio: float = 0.5
    label: str = "default"
    mode: Literal["fast", "exact"] = "fast"
    level: Literal[1, 2, 3] = 1
    limit: int | None = None
    note: Optional[str] = None  # noqa: UP045 -- typing.Optional must work too
    switch: bool | None = None
    items: tuple[int, ...] = ()
    derived: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError(f"count must be >= 0, got {self.count}")


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        pytest.param([], {}, id="empty"),
        pytest.param(["a=1", "b=x"], {"a": "1", "b": "x"}, id="basic"),
        pytest.param(["expr=a=b"], {"expr": "a=b"}, id="equals-in-value"),
        pytest.param(["a="], {"a": ""}, id="empty-value"),
        pytest.param([" a =  v "], {"a": "  v "}, id="key-stripped-value-kept"),
        pytest.param(["a=1", "a=2"], {"a": "2"}, id="last-wins"),
        pytest.param(["text=héllo wörld"], {"text": "héllo wörld"}, id="unicode"),
    ],
)
def test_parse_assignments(pairs: list[str], expected: dict[str, str]) -> None:
    assert parse_assignments(pairs) == expected


@pytest.mark.parametrize("pair", ["novalue", "=x", "  =x", ""])
def test_parse_assignments_errors(pair: str) -> None:
    with pytest.raises(ValueError, match=r"is not KEY=VALUE"):
        parse_assignments(["ok=1", pair])


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        *(
            pytest.param("flag", t, True, id=f"bool-{t!r}")
            for t in ["1", "true", "True", "YES", "on", " true "]
        ),
        *(pytest.param("flag", t, False, id=f"bool-{t!r}") for t in ["0", "false", "FALSE", "no", "Off"]),
        pytest.param("count", "3", 3, id="int"),
        pytest.param("count", " 7 ", 7, id="int-spaces"),
        pytest.param("ratio", "0.25", 0.25, id="float"),
        pytest.param("ratio", "1e-3", 0.001, id="float-exponent"),
        pytest.param("ratio", "3", 3.0, id="float-from-int"),
        pytest.param("label", "  some text = ok ", "  some text = ok ", id="str-verbatim"),
        pytest.param("label", "", "", id="str-empty"),
        pytest.param("mode", "exact", "exact", id="literal-str"),
        pytest.param("level", "2", 2, id="literal-int"),
        pytest.param("limit", "5", 5, id="optional-int"),
        pytest.param("limit", "none", None, id="optional-int-none"),
        pytest.param("limit", "None", None, id="optional-int-None"),
        pytest.param("limit", "null", None, id="optional-int-null"),
        pytest.param("note", "hello", "hello", id="typing-optional-str"),
        pytest.param("note", "none", None, id="typing-optional-str-none"),
        pytest.param("switch", "yes", True, id="optional-bool"),
        pytest.param("switch", "NULL", None, id="optional-bool-null"),
    ],
)
def test_build_config_converts(key: str, text: str, expected: Any) -> None:
    config = build_config(Demo, {key: text})
    value = getattr(config, key)
    assert value == expected
    assert type(value) is type(expected)


def test_build_config_defaults_and_several_options() -> None:
    assert build_config(Demo, {}) == Demo()
    config = build_config(Demo, {"flag": "on", "count": "4", "mode": "exact", "limit": "10"})
    assert config == Demo(flag=True, count=4, mode="exact", limit=10)


def test_build_config_special_floats() -> None:
    """Non-finite numbers parse; validating them is the config dataclass's job."""
    assert math.isinf(build_config(Demo, {"ratio": "inf"}).ratio)
    assert math.isnan(build_config(Demo, {"ratio": "nan"}).ratio)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        pytest.param({"flag": "maybe"}, "flag must be true or false; got 'maybe'", id="bad-bool"),
        pytest.param({"flag": ""}, "flag must be true or false", id="empty-bool"),
        pytest.param({"count": "3.5"}, "count must be an integer; got '3.5'", id="float-for-int"),
        pytest.param({"count": "three"}, "count must be an integer", id="word-for-int"),
        pytest.param({"count": ""}, "count must be an integer", id="empty-int"),
        pytest.param({"ratio": "half"}, "ratio must be a number; got 'half'", id="bad-float"),
        pytest.param({"mode": "slow"}, "mode must be one of fast, exact; got 'slow'", id="bad-literal"),
        pytest.param({"mode": "FAST"}, "mode must be one of", id="literal-is-case-sensitive"),
        pytest.param({"level": "4"}, "level must be one of 1, 2, 3", id="bad-int-literal"),
        pytest.param({"limit": "many"}, "limit must be an integer", id="bad-optional-int"),
        pytest.param({"switch": "2"}, "switch must be true or false", id="bad-optional-bool"),
        pytest.param({"items": "1,2"}, "items cannot be set from the command line", id="unsupported-type"),
        pytest.param({"count": "-1"}, "count must be >= 0, got -1", id="dataclass-validation"),
        pytest.param(
            {"cuont": "1"},
            r"unknown option 'cuont' for Demo \(known: count, flag, items, label, level, limit, mode, note, "
            r"ratio, switch\)",
            id="unknown-key",
        ),
        pytest.param({"derived": "1"}, "unknown option 'derived'", id="non-init-field"),
    ],
)
def test_build_config_errors(options: dict[str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_config(Demo, options)


def test_build_config_think_format_config() -> None:
    config = build_config(ThinkFormatConfig, {"template": "think_answer", "think_opened_by_prompt": "true"})
    assert config == ThinkFormatConfig(template="think_answer", think_opened_by_prompt=True)
    with pytest.raises(ValueError, match="unknown option 'x' for ThinkFormatConfig"):
        build_config(ThinkFormatConfig, {"x": "1"})


def test_parse_then_build() -> None:
    options = parse_assignments(["count=2", "mode=exact", "note=a=b"])
    assert build_config(Demo, options) == Demo(count=2, mode="exact", note="a=b")
