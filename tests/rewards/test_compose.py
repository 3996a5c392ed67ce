"""Tests of ``combine``: weights, gates, scale, clip, None policies, concurrency, logging, pickling."""

from __future__ import annotations

import asyncio
import math
import pickle
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from rlvr.rewards import CombineConfig, CombinedReward, combine, tag_count, think_answer_format, think_format

RewardFunc = Callable[..., list[Any]]


def fixed(*values: Any) -> RewardFunc:
    """A TRL reward function that returns ``values`` (and checks it got one completion per value)."""

    def reward(prompts: Any = None, completions: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
        assert completions is not None and len(completions) == len(values)
        return list(values)

    return reward


def run(reward: CombinedReward, size: int, **kwargs: Any) -> list[float | None]:
    """Call ``reward`` on a batch of ``size`` dummy completions."""
    return reward(prompts=["Q?"] * size, completions=["x"] * size, **kwargs)


class Logs:
    """Collects ``log_metric`` and ``log_extra`` calls, and the threads they came from."""

    def __init__(self) -> None:
        self.metrics: dict[str, float] = {}
        self.extras: dict[str, list[Any]] = {}
        self.threads: set[int] = set()

    def log_metric(self, name: str, value: float) -> None:
        assert name not in self.metrics, name
        self.metrics[name] = value
        self.threads.add(threading.get_ident())

    def log_extra(self, column: str, values: list[Any]) -> None:
        assert column not in self.extras, column
        self.extras[column] = values
        self.threads.add(threading.get_ident())

    def kwargs(self) -> dict[str, Any]:
        """The logging keywords to pass to a reward."""
        return {"log_metric": self.log_metric, "log_extra": self.log_extra}


# --- the combination rule -----------------------------------------------------------------------------------


def test_default_is_plain_sum() -> None:
    assert run(combine({"a": fixed(1.0, 0.0, 0.5), "b": fixed(1.0, 1.0, 0.25)}), 3) == [2.0, 1.0, 0.75]


def test_weights() -> None:
    reward = combine(
        {"a": fixed(1.0, 0.0), "b": fixed(1.0, 1.0), "c": fixed(2.0, 2.0)}, weights={"a": 0.5, "c": -1}
    )
    assert run(reward, 2) == [0.5 + 1.0 - 2.0, 1.0 - 2.0]


def test_single_component() -> None:
    assert run(combine({"a": fixed(1.0, None, 0.0)}, weights={"a": 2.0}), 3) == [2.0, None, 0.0]


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        pytest.param(1.0, 0.2 + 1.0, id="gate-passes"),
        pytest.param(0.0, 0.0, id="gate-fails"),
        pytest.param(0.99, 0.2 * 0.99, id="gate-just-below-threshold"),
    ],
)
def test_gating(gate: float, expected: float) -> None:
    reward = combine(
        {"format": fixed(gate), "accuracy": fixed(1.0)}, weights={"format": 0.2}, gates={"accuracy": "format"}
    )
    assert run(reward, 1) == [pytest.approx(expected)]


@pytest.mark.parametrize(
    ("on_none", "expected"),
    [
        pytest.param("none", [None, None], id="none"),
        pytest.param("zero", [0.0, 0.0], id="zero"),
    ],
)
def test_gate_none(on_none: str, expected: list[float | None]) -> None:
    """An unjudged gate shuts its gated component out; the gate itself follows the None policy."""
    reward = combine(
        {"format": fixed(None, None), "accuracy": fixed(1.0, None)},
        gates={"accuracy": "format"},
        on_none=on_none,
    )
    assert run(reward, 2) == expected


def test_gated_out_none_does_not_make_the_total_none() -> None:
    reward = combine({"format": fixed(0.0, 1.0), "accuracy": fixed(None, None)}, gates={"accuracy": "format"})
    assert run(reward, 2) == [0.0, None]


def test_gate_threshold() -> None:
    reward = combine(
        {"tags": fixed(0.5, 0.49, 0.75), "accuracy": fixed(1.0, 1.0, 1.0)},
        weights={"tags": 0.0},
        gates={"accuracy": "tags"},
        gate_threshold=0.5,
    )
    assert run(reward, 3) == [1.0, 0.0, 1.0]


def test_several_components_gated_by_one() -> None:
    reward = combine(
        {"f": fixed(1.0, 0.0), "a": fixed(1.0, 1.0), "b": fixed(2.0, 2.0)}, gates={"a": "f", "b": "f"}
    )
    assert run(reward, 2) == [4.0, 0.0]


def test_scale_and_clip() -> None:
    values = (-3.0, -0.25, 0.0, 0.4, 2.0)
    assert run(combine({"a": fixed(*values)}, scale=2.0), 5) == [-6.0, -0.5, 0.0, 0.8, 4.0]
    assert run(combine({"a": fixed(*values)}, clip=(-1.0, 1.0)), 5) == [-1.0, -0.25, 0.0, 0.4, 1.0]
    # The scale applies before the clip.
    assert run(combine({"a": fixed(*values)}, scale=2.0, clip=(-1.0, 1.0)), 5) == [-1.0, -0.5, 0.0, 0.8, 1.0]
    assert run(combine({"a": fixed(*values)}, clip=(0.5, 0.5)), 5) == [0.5] * 5


@pytest.mark.parametrize(
    ("on_none", "expected"),
    [
        pytest.param("none", [None, 3.0, None], id="none"),
        pytest.param("zero", [2.0, 3.0, 0.0], id="zero"),
    ],
)
def test_on_none_policies(on_none: str, expected: list[float | None]) -> None:
    reward = combine(
        {"a": fixed(None, 1.0, None), "b": fixed(1.0, 1.0, None)}, weights={"b": 2.0}, on_none=on_none
    )
    logs = Logs()
    assert run(reward, 3, **logs.kwargs()) == expected
    reasons = logs.extras["combined/reason"]
    if on_none == "none":
        assert reasons == ["a not judged", "", "a not judged"]
    else:
        assert reasons == ["", "", ""]


def test_on_none_with_clip_and_scale() -> None:
    reward = combine({"a": fixed(None, 4.0)}, scale=0.5, clip=(0.0, 1.0), on_none="zero")
    assert run(reward, 2) == [0.0, 1.0]
    assert run(combine({"a": fixed(None, 4.0)}, scale=0.5, clip=(0.0, 1.0)), 2) == [None, 1.0]


@pytest.mark.parametrize(
    "nan", [math.nan, float("nan"), np.float64("nan"), np.float32("nan")], ids=["math", "float", "f64", "f32"]
)
def test_nan_from_a_component_is_none(nan: Any) -> None:
    reward = combine({"a": fixed(nan, 1.0), "b": fixed(1.0, 1.0)})
    assert run(reward, 2) == [None, 2.0]
    assert reward.component_scores(None, ["x", "y"]) == {"a": [None, 1.0], "b": [1.0, 1.0]}
    assert run(combine({"a": fixed(nan, 1.0), "b": fixed(1.0, 1.0)}, on_none="zero"), 2) == [1.0, 2.0]


def test_numeric_component_values_become_floats() -> None:
    reward = combine({"a": fixed(1, np.float32(0.5), True), "b": fixed(0, 0, 0)})
    scores = reward.component_scores(None, ["x"] * 3)
    assert scores["a"] == [1.0, 0.5, 1.0]
    assert all(type(v) is float for v in scores["a"])
    assert all(type(v) is float for v in run(reward, 3))


def test_columns_and_trl_keywords_reach_components() -> None:
    seen: dict[str, Any] = {}

    def spy(prompts: Any = None, completions: Any = None, **kwargs: Any) -> list[float]:
        seen.update(kwargs, prompts=prompts)
        return [1.0] * len(completions)

    state = object()
    reward = combine({"spy": spy, "other": fixed(0.0)})
    reward(prompts=["Q?"], completions=["x"], completion_ids=[[1]], trainer_state=state, answer=["4"])
    assert seen["prompts"] == ["Q?"]
    assert seen["completion_ids"] == [[1]]
    assert seen["trainer_state"] is state
    assert seen["answer"] == ["4"]
    assert callable(seen["log_metric"]) and callable(seen["log_extra"])


# --- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"weights": {"c": 1.0}}, "unknown component 'c'; components: a, b", id="unknown-weight"),
        pytest.param({"gates": {"c": "a"}}, "unknown component 'c'", id="unknown-gated"),
        pytest.param({"gates": {"a": "c"}}, "unknown component 'c'", id="unknown-gate"),
        pytest.param({"gates": {"a": "a"}}, "gates form a cycle: a -> a", id="self-gate"),
        pytest.param({"gates": {"a": "b", "b": "a"}}, "gates form a cycle", id="gate-cycle"),
        pytest.param(
            {"gate_threshold": math.nan}, "gate_threshold must be a finite number", id="nan-threshold"
        ),
        pytest.param({"weights": {"a": True}}, "weight of 'a' must be a number", id="bool-weight"),
        pytest.param({"clip": (1.0, 0.0)}, "clip must be", id="clip-reversed"),
        pytest.param({"clip": (0.0,)}, "clip must be", id="clip-one-value"),
        pytest.param({"clip": (0.0, 1.0, 2.0)}, "clip must be", id="clip-three-values"),
        pytest.param({"clip": (math.nan, 1.0)}, "clip must be", id="clip-nan"),
        pytest.param({"weights": {"a": math.nan}}, "weight of 'a' must be a finite number", id="nan-weight"),
        pytest.param({"weights": {"a": math.inf}}, "weight of 'a' must be a finite number", id="inf-weight"),
        pytest.param({"weights": {"a": "1"}}, "weight of 'a' must be a finite number", id="str-weight"),
        pytest.param({"scale": math.inf}, "scale must be finite", id="inf-scale"),
        pytest.param({"scale": math.nan}, "scale must be finite", id="nan-scale"),
        pytest.param({"on_none": "drop"}, "on_none must be", id="bad-on-none"),
        pytest.param({"name": "my reward"}, "identifier", id="bad-name"),
    ],
)
def test_validation_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        combine({"a": fixed(1.0), "b": fixed(1.0)}, **kwargs)


def test_more_validation_errors() -> None:
    with pytest.raises(ValueError, match="at least one component"):
        combine({})
    with pytest.raises(ValueError, match="cycle"):
        CombineConfig(gates={"x": "x"})
    with pytest.raises(TypeError, match="needs completions"):
        combine({"a": fixed(1.0)})(prompts=["Q?"])


@pytest.mark.parametrize("size", [0, 3])
def test_wrong_length_from_a_component_raises(size: int) -> None:
    def short(prompts: Any = None, completions: Any = None, **kwargs: Any) -> list[float]:
        return [1.0] * (len(completions) + 1)

    reward = combine({"ok": think_format, "short": short}, name="mix")
    with pytest.raises(
        ValueError, match=rf"component 'short' of 'mix' returned {size + 1} rewards for {size}"
    ):
        reward(completions=["x"] * size)


def test_component_exception_propagates() -> None:
    def broken(**kwargs: Any) -> list[float]:
        raise RuntimeError("component failed")

    with pytest.raises(RuntimeError, match="component failed"):
        run(combine({"ok": fixed(1.0), "broken": broken}), 1)


def test_empty_batch() -> None:
    logs = Logs()
    reward = combine({"format": think_format, "tags": tag_count})
    assert reward(prompts=[], completions=[], **logs.kwargs()) == []
    assert logs.extras["combined/reason"] == []
    assert not any(name.startswith("rewards/combined/") for name in logs.metrics)


# --- async and concurrency ----------------------------------------------------------------------------------


async def async_reward(prompts: Any = None, completions: Any = None, **kwargs: Any) -> list[float | None]:
    """An async TRL reward: 1.0 for completions that contain a digit."""
    await asyncio.sleep(0.01)
    return [1.0 if any(c.isdigit() for c in text) else 0.0 for text in completions]


def test_async_component() -> None:
    completions = ["<think>a</think>4", "<think>a</think>x"]
    assert combine({"digit": async_reward})(completions=completions) == [1.0, 0.0]
    reward = combine({"digit": async_reward, "format": think_format}, weights={"digit": 2.0})
    assert reward(completions=completions) == [3.0, 1.0]


def test_components_run_concurrently() -> None:
    """Each component waits for the other at a barrier: run one after another, the barrier breaks."""
    barrier = threading.Barrier(3, timeout=10)
    threads: dict[str, int] = {}

    def waiting(label: str) -> RewardFunc:
        def reward(prompts: Any = None, completions: Any = None, **kwargs: Any) -> list[float]:
            threads[label] = threading.get_ident()
            barrier.wait()
            return [1.0] * len(completions)

        return reward

    async def async_waiting(prompts: Any = None, completions: Any = None, **kwargs: Any) -> list[float]:
        threads["async"] = threading.get_ident()
        barrier.wait()  # blocks this component's own event loop, not the others
        return [1.0] * len(completions)

    reward = combine({"a": waiting("a"), "b": waiting("b"), "async": async_waiting})
    assert run(reward, 2) == [3.0, 3.0]
    assert len(set(threads.values())) == 3
    assert not barrier.broken


def test_logs_are_replayed_in_the_callers_thread() -> None:
    logs = Logs()
    reward = combine({"format": think_format, "tags": tag_count}, weights={"tags": 0.5}, name="r1")
    completions = ["<think>a</think>b", "<think>a</think>", [], "b"]
    assert reward(completions=completions, **logs.kwargs()) == [1.5, 0.375, None, 0.0]
    assert logs.threads == {threading.get_ident()}
    # The components' own logs, forwarded.
    assert logs.extras["think_format/reason"][0] == ""
    assert logs.extras["tag_count/reason"][1] == "missing: non-empty answer"
    assert logs.metrics["rewards/think_format/unjudged_frac"] == 0.25
    assert logs.metrics["rewards/tag_count/unjudged_frac"] == 0.25
    # The combination's metrics: mean raw value and unjudged share per component.
    assert logs.metrics["rewards/r1/format"] == pytest.approx(1 / 3)
    assert logs.metrics["rewards/r1/tags"] == pytest.approx((1.0 + 0.75 + 0.0) / 3)
    assert logs.metrics["rewards/r1/format/unjudged_frac"] == pytest.approx(0.25)
    assert logs.metrics["rewards/r1/tags/unjudged_frac"] == pytest.approx(0.25)
    assert logs.extras["r1/reason"] == ["", "", "format not judged", ""]
    assert all(len(values) == len(completions) for values in logs.extras.values())


def test_all_unjudged_component_metrics() -> None:
    logs = Logs()
    run(combine({"a": fixed(None, None), "b": fixed(1.0, 0.0)}, on_none="zero"), 2, **logs.kwargs())
    assert "rewards/combined/a" not in logs.metrics
    assert logs.metrics["rewards/combined/a/unjudged_frac"] == 1.0
    assert logs.metrics["rewards/combined/b"] == 0.5
    assert logs.metrics["rewards/combined/b/unjudged_frac"] == 0.0


def test_combined_reward_as_a_component() -> None:
    inner = combine({"format": think_format, "tags": tag_count}, name="inner")
    outer = combine({"inner": inner, "ta": think_answer_format}, name="outer")
    logs = Logs()
    assert outer(completions=["<think>a</think><answer>b</answer>"], **logs.kwargs()) == [3.0]
    assert logs.metrics["rewards/outer/inner"] == 2.0
    assert "inner/reason" in logs.extras and "outer/reason" in logs.extras


# --- pickling -----------------------------------------------------------------------------------------------


def test_pickle_combined_reward() -> None:
    reward = combine(
        {"format": think_format, "tags": tag_count, "ta": think_answer_format},
        weights={"tags": 0.5},
        gates={"tags": "format"},
        gate_threshold=0.5,
        scale=2.0,
        clip=(0.0, 3.0),
        on_none="zero",
        name="r1_format",
    )
    clone = pickle.loads(pickle.dumps(reward))
    assert isinstance(clone, CombinedReward)
    assert clone.__name__ == "r1_format"
    assert clone.config == reward.config
    assert list(clone.components) == ["format", "tags", "ta"]
    completions = ["<think>a</think>b", "<think>a</think><answer>b</answer>", "<think>a", [], "x"]
    assert clone(completions=completions) == reward(completions=completions)
    assert reward(completions=completions) == [3.0, 3.0, 0.0, 0.0, 0.0]
