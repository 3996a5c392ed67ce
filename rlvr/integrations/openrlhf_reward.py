"""The engine behind :mod:`rlvr.integrations.openrlhf` (and ``rlvr serve``'s ``/get_reward``): OpenRLHF
queries, prompts and labels judged by an rlvr reward, answered in OpenRLHF's format.

Kept apart from the file OpenRLHF loads by path, which only builds ``reward_func`` from it: a module run
from a path is not importable by name, so the classes live here.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rlvr.integrations.queries import STOP_TOKENS, QueryError, response_of
from rlvr.rewards.base import Reward
from rlvr.rewards.registry import build_reward, get_reward_spec
from rlvr.verifiers.verdict import Verdict

logger = logging.getLogger("rlvr.integrations")

OpenRLHFResult = dict[str, Any]


@dataclass(frozen=True)
class OpenRLHFConfig:
    """Options of :class:`OpenRLHFReward` (and of ``rlvr serve``'s ``/get_reward``).

    Attributes:
        reward: the registered rlvr reward (``math``, ``code``, ``think_format``, ...).
        options: that reward's options, as ``rlvr score --set`` takes them (strings).
        label_column: the column ``labels`` fill; default: the reward's own (math: its gold column; code:
            its tests column; else ``label``).
        unjudged_reward: the reward of an item rlvr cannot judge.
        stop_tokens: where a response ends.
        workers: the reward's worker processes (default: one per usable CPU).
        timeout: seconds one judgement may take (default: the reward's own).

    Example:
        >>> OpenRLHFConfig(reward="code").reward
        'code'
        >>> OpenRLHFConfig(unjudged_reward=math.inf)
        Traceback (most recent call last):
        ...
        ValueError: unjudged_reward must be a finite number, got inf
    """

    reward: str = "math"
    options: Mapping[str, str] = field(default_factory=dict)
    label_column: str | None = None
    unjudged_reward: float = 0.0
    stop_tokens: tuple[str, ...] = STOP_TOKENS
    workers: int | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        get_reward_spec(self.reward)  # an unknown name fails here, listing the known ones
        value = self.unjudged_reward
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"unjudged_reward must be a finite number, got {value!r}")
        if self.label_column is not None and (
            not isinstance(self.label_column, str) or not self.label_column
        ):
            raise ValueError(f"label_column must be a column name, got {self.label_column!r}")
        object.__setattr__(self, "stop_tokens", tuple(self.stop_tokens))
        if not all(isinstance(t, str) and t for t in self.stop_tokens):
            raise ValueError("stop_tokens must be non-empty strings")
        object.__setattr__(self, "options", {str(k): str(v) for k, v in dict(self.options).items()})
        if self.workers is not None and (
            isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1
        ):
            raise ValueError(f"workers must be an int >= 1, got {self.workers!r}")
        if self.timeout is not None and (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, (int, float))
            or not self.timeout > 0
        ):
            raise ValueError(f"timeout must be a number > 0, got {self.timeout!r}")


def label_column_of(reward: Reward) -> str:
    """The column a reward reads its reference from (what OpenRLHF's ``labels`` are).

    Example:
        >>> from rlvr.rewards import math_accuracy, code_execution, think_format
        >>> label_column_of(math_accuracy), label_column_of(code_execution), label_column_of(think_format)
        ('answer', 'verification_info', 'label')
    """
    config = getattr(reward, "config", None)
    for attribute in ("gold_column", "info_column"):
        column = getattr(config, attribute, None)
        if isinstance(column, str):
            return column
    accuracy = getattr(reward, "accuracy", None)  # cosine_scaled: its accuracy reward's column
    if isinstance(accuracy, Reward) and accuracy is not reward:
        return label_column_of(accuracy)
    return "label"


def judge_queries(
    reward: Reward,
    queries: Sequence[str],
    prompts: Sequence[str] | None,
    labels: Sequence[object] | None,
    *,
    label_column: str | None = None,
    stop_tokens: Sequence[str] = STOP_TOKENS,
) -> list[Verdict]:
    """One verdict per query: the response cut out of it, judged by ``reward`` against its label.

    Raises:
        ValueError: ``prompts`` or ``labels`` differ in length from ``queries``.

    Example:
        >>> from rlvr.rewards import math_accuracy
        >>> judge_queries(math_accuracy, ["Q: 1+1? A: \\\\boxed{2}"], ["Q: 1+1? A:"], ["2"])
        [Verdict(score=1.0, reason='')]
    """
    size = len(queries)
    for name, values in (("prompts", prompts), ("labels", labels)):
        if values is not None and len(values) != size:
            raise ValueError(f"{len(values)} {name} for {size} queries")
    column = label_column or label_column_of(reward)
    verdicts: list[Verdict | None] = [None] * size
    responses, kept_prompts, kept_labels, positions = [], [], [], []
    for index, query in enumerate(queries):
        prompt = prompts[index] if prompts is not None else None
        try:
            response = response_of(query, prompt, stop_tokens)
        except QueryError as exc:
            verdicts[index] = Verdict.unjudged(f"unreadable query: {exc}")
            continue
        if labels is not None:
            kept_labels.append(labels[index])  # code: tests in any dataset shape the code reward reads
        responses.append(response)
        kept_prompts.append(prompt if isinstance(prompt, str) else None)
        positions.append(index)
    if positions:
        columns = {column: kept_labels} if labels is not None else {}
        has_prompts = any(p is not None for p in kept_prompts)
        judged = reward.judge(kept_prompts if has_prompts else None, responses, **columns)
        for index, verdict in zip(positions, judged, strict=True):
            verdicts[index] = verdict
    return verdicts  # type: ignore[return-value]


def openrlhf_result(
    verdicts: Sequence[Verdict], name: str, unjudged_reward: float = 0.0, *, as_tensors: bool = True
) -> OpenRLHFResult:
    """Verdicts in OpenRLHF's format (tensors, or lists for JSON; see the module docstring).

    Example:
        >>> openrlhf_result([Verdict(1.0), Verdict.unjudged("timeout")], "math_accuracy", as_tensors=False)
        {'rewards': [1.0, 0.0], 'scores': [1.0, 0.0], 'extra_logs': {'math_accuracy': [1.0, 0.0], \
'rlvr_unjudged': [0.0, 1.0]}}
    """
    rewards = [float(v.score) if v.score is not None else float(unjudged_reward) for v in verdicts]
    scores = [min(max(r, 0.0), 1.0) for r in rewards]
    unjudged = [0.0 if v.score is not None else 1.0 for v in verdicts]
    result: OpenRLHFResult = {
        "rewards": rewards,
        "scores": scores,
        "extra_logs": {name: [float(v.score or 0.0) for v in verdicts], "rlvr_unjudged": unjudged},
    }
    if as_tensors:
        import torch

        result = {
            "rewards": torch.tensor(rewards, dtype=torch.float32),
            "scores": torch.tensor(scores, dtype=torch.float32),
            "extra_logs": {k: torch.tensor(v, dtype=torch.float32) for k, v in result["extra_logs"].items()},
        }
    return result


class OpenRLHFReward:
    """OpenRLHF's ``reward_func``: ``(queries, prompts, labels, **kwargs)`` → rewards, scores, extra_logs.

    Thread-safe (OpenRLHF calls it from ``asyncio.to_thread``); the reward's workers start on first use and
    are shared by every call. Options: :class:`OpenRLHFConfig`.
    """

    def __init__(
        self, config: OpenRLHFConfig | None = None, /, *, as_tensors: bool = True, **options: Any
    ) -> None:
        if config is None:
            config = OpenRLHFConfig(**options)
        elif options:
            raise TypeError("OpenRLHFReward: pass either an OpenRLHFConfig or keyword options, not both")
        self.config = config
        self.as_tensors = as_tensors
        self.reward = build_reward(
            config.reward, config.options, workers=config.workers, timeout=config.timeout
        )

    def __repr__(self) -> str:
        return f"OpenRLHFReward({self.config!r})"

    def __call__(
        self,
        queries: Sequence[str],
        prompts: Sequence[str] | None = None,
        labels: Sequence[object] | None = None,
        **kwargs: object,
    ) -> OpenRLHFResult:
        """Score a batch as OpenRLHF calls it (extra keywords are accepted and ignored)."""
        verdicts = judge_queries(
            self.reward,
            queries,
            prompts,
            labels,
            label_column=self.config.label_column,
            stop_tokens=self.config.stop_tokens,
        )
        for index, verdict in enumerate(verdicts):
            if verdict.score is None:
                logger.info("%s: query %d not judged: %s", self.reward.__name__, index, verdict.reason)
        return openrlhf_result(
            verdicts, self.reward.__name__, self.config.unjudged_reward, as_tensors=self.as_tensors
        )

    def close(self) -> None:
        """Stop the reward's worker processes (they start again on next use)."""
        self.reward.close()
