"""Composition: several rewards as one, with weights, gating, scaling and clipping.

``combine`` builds a single TRL reward from components. Per item::

    total = scale * sum(weight_c * value_c)      then clipped to ``clip`` when given

where a gated component counts only when its gate component scored at least ``gate_threshold`` (else it
adds 0). A component that is ``None`` (cannot be judged) and not gated out makes the total ``None`` by
default (``on_none="none"``); ``"zero"`` counts it as 0.

Components run concurrently, each in its own thread: those that judge in worker processes (math, code)
overlap instead of queueing. Each component's mean raw value is logged through TRL's ``log_metric`` as
``rewards/<name>/<component>``, with the share of ``None`` as ``rewards/<name>/<component>/unjudged_frac``.

The alternative is TRL's own list: ``GRPOTrainer(reward_funcs=[think_format, accuracy],
args=GRPOConfig(reward_weights=[0.2, 1.0]))`` — a weighted sum where a ``None`` is skipped (NaN-sum),
logged per function. Use ``combine`` when you need gating, clipping, or ``None`` to mean "unjudged".
"""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from rlvr.rewards.base import LogExtra, LogMetric

RewardFunc = Callable[..., Any]
NonePolicy = Literal["none", "zero"]


@dataclass(frozen=True)
class CombineConfig:
    """How components are combined (see the module docstring).

    Example:
        >>> CombineConfig(weights={"format": 0.2}, gates={"accuracy": "format"}).gate_threshold
        1.0
    """

    weights: Mapping[str, float] = field(default_factory=dict)
    gates: Mapping[str, str] = field(default_factory=dict)
    gate_threshold: float = 1.0
    scale: float = 1.0
    clip: tuple[float, float] | None = None
    on_none: NonePolicy = "none"

    def __post_init__(self) -> None:
        for name, weight in self.weights.items():
            if not isinstance(weight, (int, float)) or not math.isfinite(weight):
                raise ValueError(f"weight of {name!r} must be a finite number, got {weight!r}")
        if not math.isfinite(self.scale):
            raise ValueError(f"scale must be finite, got {self.scale!r}")
        if self.clip is not None and not (len(self.clip) == 2 and self.clip[0] <= self.clip[1]):
            raise ValueError(f"clip must be (low, high) with low <= high, got {self.clip!r}")
        if self.on_none not in ("none", "zero"):
            raise ValueError(f"on_none must be 'none' or 'zero', got {self.on_none!r}")
        for name, weight in self.weights.items():
            if isinstance(weight, bool):
                raise ValueError(f"weight of {name!r} must be a number, got {weight!r}")
        if not isinstance(self.gate_threshold, (int, float)) or not math.isfinite(self.gate_threshold):
            raise ValueError(f"gate_threshold must be a finite number, got {self.gate_threshold!r}")
        for gated in self.gates:
            seen = [gated]
            gate = self.gates[gated]
            while gate is not None:  # follow the chain of gates: a cycle would gate nothing sensibly
                if gate in seen:
                    raise ValueError(f"gates form a cycle: {' -> '.join([*seen, gate])}")
                seen.append(gate)
                gate = self.gates.get(gate)


class _Recorder:
    """Collects a component's log calls in its thread; replayed in the caller's thread afterwards."""

    def __init__(self) -> None:
        self.metrics: list[tuple[str, float]] = []
        self.extras: list[tuple[str, list[Any]]] = []

    def log_metric(self, name: str, value: float) -> None:
        self.metrics.append((name, value))

    def log_extra(self, column: str, values: list[Any]) -> None:
        self.extras.append((column, values))


def _call_component(func: RewardFunc, kwargs: dict[str, Any], recorder: _Recorder) -> list[Any]:
    result = func(**kwargs, log_metric=recorder.log_metric, log_extra=recorder.log_extra)
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    return list(result)


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _as_score(value: Any) -> float | None:
    """A component's value as a float, or ``None`` for ``None`` and NaN (of any float-like type)."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


class CombinedReward:
    """Several rewards as one TRL reward (built by :func:`combine`)."""

    def __init__(self, components: Mapping[str, RewardFunc], config: CombineConfig, name: str) -> None:
        if not components:
            raise ValueError("combine needs at least one component")
        for label in (*config.weights, *config.gates, *config.gates.values()):
            if label not in components:
                raise ValueError(f"unknown component {label!r}; components: {', '.join(components)}")
        if not name.isidentifier():
            raise ValueError(f"reward name must be an identifier, got {name!r}")
        self.components = dict(components)
        self.config = config
        self.__name__ = name

    def __repr__(self) -> str:
        return f"CombinedReward({list(self.components)}, {self.config!r}, name={self.__name__!r})"

    def component_scores(
        self, prompts: Sequence[Any] | None, completions: Sequence[Any], **columns: Any
    ) -> dict[str, list[float | None]]:
        """Every component's scores for the batch, components run concurrently."""
        scores, _ = self._run_components(prompts, completions, columns)
        return scores

    def _run_components(
        self, prompts: Sequence[Any] | None, completions: Sequence[Any], columns: dict[str, Any]
    ) -> tuple[dict[str, list[float | None]], dict[str, _Recorder]]:
        kwargs = {"prompts": prompts, "completions": completions, **columns}
        recorders = {label: _Recorder() for label in self.components}
        # Always in worker threads, even for one component: an async component then gets its own event
        # loop, whatever loop the caller's thread is running.
        with ThreadPoolExecutor(max_workers=len(self.components), thread_name_prefix="rlvr-combine") as pool:
            futures = {
                label: pool.submit(_call_component, func, kwargs, recorders[label])
                for label, func in self.components.items()
            }
            outputs = {label: future.result() for label, future in futures.items()}
        for label, values in outputs.items():
            if len(values) != len(completions):
                raise ValueError(
                    f"component {label!r} of {self.__name__!r} returned {len(values)} rewards "
                    f"for {len(completions)} completions"
                )
        scores = {label: [_as_score(v) for v in values] for label, values in outputs.items()}
        return scores, recorders

    def _total(self, row: Mapping[str, float | None]) -> tuple[float | None, str]:
        cfg = self.config
        total = 0.0
        for label, value in row.items():
            gate = cfg.gates.get(label)
            if gate is not None:
                gate_value = row[gate]
                if gate_value is None or gate_value < cfg.gate_threshold:
                    continue
            if value is None:
                if cfg.on_none == "none":
                    return None, f"{label} not judged"
                value = 0.0
            total += cfg.weights.get(label, 1.0) * value
        total *= cfg.scale
        if cfg.clip is not None:
            total = min(max(total, cfg.clip[0]), cfg.clip[1])
        return total, ""

    def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] | None = None,
        *,
        log_metric: LogMetric | None = None,
        log_extra: LogExtra | None = None,
        **columns: Any,
    ) -> list[float | None]:
        """Score a batch (TRL's reward-function signature)."""
        if completions is None:
            raise TypeError(f"reward {self.__name__!r} needs completions")
        scores, recorders = self._run_components(prompts, completions, columns)
        totals: list[float | None] = []
        reasons: list[str] = []
        for index in range(len(completions)):
            total, reason = self._total({label: values[index] for label, values in scores.items()})
            totals.append(total)
            reasons.append(reason)
        for recorder in recorders.values():
            for metric in recorder.metrics:
                if log_metric is not None:
                    log_metric(*metric)
            for extra in recorder.extras:
                if log_extra is not None:
                    log_extra(*extra)
        if log_metric is not None and completions:
            for label, values in scores.items():
                judged = [v for v in values if v is not None]
                if judged:
                    log_metric(f"rewards/{self.__name__}/{label}", sum(judged) / len(judged))
                log_metric(f"rewards/{self.__name__}/{label}/unjudged_frac", 1 - len(judged) / len(values))
        if log_extra is not None:
            log_extra(f"{self.__name__}/reason", reasons)
        return totals


def combine(
    components: Mapping[str, RewardFunc],
    *,
    weights: Mapping[str, float] | None = None,
    gates: Mapping[str, str] | None = None,
    gate_threshold: float = 1.0,
    scale: float = 1.0,
    clip: tuple[float, float] | None = None,
    on_none: NonePolicy = "none",
    name: str = "combined",
) -> CombinedReward:
    """Combine rewards into one TRL reward; see the module docstring for the rule.

    Args:
        components: label -> reward (any TRL reward callable, rlvr's or your own, sync or async).
        weights: label -> weight (default 1.0 each).
        gates: gated label -> gate label: the gated component counts only when the gate scored at least
            ``gate_threshold``.
        scale: multiplies the weighted sum.
        clip: (low, high) bounds applied last.
        on_none: what a ``None`` component does to the total: ``"none"`` (the total is None) or ``"zero"``.
        name: the combined reward's ``__name__``.

    Example:
        >>> from rlvr.rewards import combine, tag_count, think_format
        >>> r1 = combine({"format": think_format, "tags": tag_count}, weights={"tags": 0.5},
        ...              gates={"tags": "format"}, name="r1_format")
        >>> r1(completions=["<think>a</think>b", "<think>a</think>"])
        [1.5, 0.0]
    """
    config = CombineConfig(
        weights=dict(weights or {}),
        gates=dict(gates or {}),
        gate_threshold=gate_threshold,
        scale=scale,
        clip=clip,
        on_none=on_none,
    )
    return CombinedReward(components, config, name)
