"""The rewards ``rlvr score``, ``rlvr serve`` and the trainer adapters know, by name, and the one way to
build one from command-line settings (:func:`build_reward`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from rlvr.executor import ExecutorConfig
from rlvr.rewards.base import Reward
from rlvr.rewards.code_reward import CodeExecutionReward
from rlvr.rewards.cosine_length import CosineScaledReward
from rlvr.rewards.format_reward import TagCountReward, ThinkFormatReward
from rlvr.rewards.language import LanguageConsistencyReward
from rlvr.rewards.math_reward import MathAccuracyReward
from rlvr.rewards.overlong import SoftOverlongReward
from rlvr.rewards.repetition import RepetitionPenaltyReward


@dataclass(frozen=True)
class RewardSpec:
    """A named reward: its class, the options that make this variant, and what it reads."""

    name: str
    reward_class: type[Reward]
    summary: str
    columns: str
    preset: Mapping[str, str] = field(default_factory=dict)
    #: a file in ``rlvr/data`` that ``rlvr score NAME --example`` scores
    example: str | None = None

    def create(
        self, options: Mapping[str, str] | None = None, executor: ExecutorConfig | None = None
    ) -> Reward:
        """Build the reward with the preset overlaid by ``options`` (string values).

        Example:
            >>> REWARDS["think_answer_format"].create().config.template
            'think_answer'
        """
        merged = {**self.preset, **(options or {})}
        return self.reward_class.from_options(merged, name=self.name, executor=executor)


_LANGUAGE = RewardSpec(
    "language_consistency",
    LanguageConsistencyReward,
    "share of the reasoning's words in the target language (DeepSeek-R1); null when too short",
    "language (optional ISO 639-1; else the language option, else detected from the prompt)",
    example="language_example.jsonl",
)

REWARDS: Mapping[str, RewardSpec] = MappingProxyType(
    {
        "math": RewardSpec(
            "math_accuracy",
            MathAccuracyReward,
            "1.0 when the final answer equals the gold answer, 0.0 when not, null when it cannot be judged",
            "answer (gold; or set gold_column), else solution (its last \\boxed{})",
            example="math_example.jsonl",
        ),
        "code": RewardSpec(
            "code_execution",
            CodeExecutionReward,
            "fraction of test cases the completion's Python program passes, run in an isolated sandbox; "
            "null when it cannot be judged",
            "verification_info (entry_point + call cases, or stdin/stdout cases; dict or JSON)",
            example="code_example.jsonl",
        ),
        "think_format": RewardSpec(
            "think_format",
            ThinkFormatReward,
            "1.0 for one non-empty <think> block followed by a non-empty answer, else 0.0",
            "none (reads the prompt to detect a template that opens <think>)",
            example="format_example.jsonl",
        ),
        "think_answer_format": RewardSpec(
            "think_answer_format",
            ThinkFormatReward,
            "1.0 for <think>…</think><answer>…</answer> (the R1-Zero template), else 0.0",
            "none (reads the prompt to detect a template that opens <think>)",
            preset={"template": "think_answer"},
            example="format_example.jsonl",
        ),
        "tag_count": RewardSpec(
            "tag_count",
            TagCountReward,
            "0.25 per structural check of the think format passed (partial credit)",
            "none (reads the prompt to detect a template that opens <think>)",
            example="format_example.jsonl",
        ),
        "language": _LANGUAGE,  # a short name for the same reward, logged under its own
        "language_consistency": _LANGUAGE,
        "soft_overlong": RewardSpec(
            "soft_overlong",
            SoftOverlongReward,
            "DAPO's soft overlong punishment: 0 up to max_completion_len - buffer, then down to -1",
            "completion_ids (token ids, as TRL passes them) or completion_length; needs max_completion_len",
        ),
        "cosine_scaled": RewardSpec(
            "cosine_scaled",
            CosineScaledReward,
            "correctness (math by default) scaled by length on a cosine schedule: short right answers win",
            "completion_ids or completion_length, plus the accuracy reward's columns; needs max_len",
        ),
        "repetition_penalty": RewardSpec(
            "repetition_penalty",
            RepetitionPenaltyReward,
            "n-gram repetition penalty: 0 without repeats, down to max_penalty (-1) for all repetition",
            "completion_ids (unit=tokens, the default) or none (unit=words)",
        ),
    }
)


def get_reward_spec(name: str) -> RewardSpec:
    """The spec registered under ``name``; a clear error listing the known names otherwise.

    Example:
        >>> get_reward_spec("tag_count").reward_class.__name__
        'TagCountReward'
    """
    if name in REWARDS:
        return REWARDS[name]
    for spec in REWARDS.values():  # the reward's own name works too ("math_accuracy" for "math")
        if spec.name == name:
            return spec
    raise KeyError(f"unknown reward {name!r}; known: {', '.join(sorted(REWARDS))}")


def build_reward(
    name: str,
    options: Mapping[str, str] | None = None,
    *,
    workers: int | None = None,
    timeout: float | None = None,
    ray_address: str | None = None,
) -> Reward:
    """A registered reward built from command-line settings: ``options`` as ``--set KEY=VALUE`` gives
    them, and ``--workers``, ``--timeout`` and ``--ray`` only when given (``None`` leaves the reward's
    own default). A flag the reward takes as one of its options (its ``command_line_options``: the code
    reward's program time limit, math's judgement deadline) never overrides that option set explicitly;
    the other flags go to the reward's executor.

    Raises:
        KeyError: no reward has this name (the message lists the known ones).
        ValueError: an option is unknown or out of range (the message names it).

    Example:
        >>> build_reward("math", {"timeout": "30"}, timeout=2.0).config.timeout  # --set wins over --timeout
        30.0
        >>> build_reward("math", timeout=2.0).config.timeout
        2.0
        >>> build_reward("language").__name__
        'language_consistency'
    """
    spec = get_reward_spec(name)
    chosen = dict(options or {})
    executor_settings: dict[str, object] = {}
    given = {"workers": workers, "timeout": timeout, "ray": ray_address}
    for flag, value in given.items():
        if value is None:
            continue
        option = spec.reward_class.command_line_options.get(flag)
        if option is None:
            executor_settings[flag] = value
        elif option not in chosen:
            chosen[option] = str(value)
    executor: ExecutorConfig | None = None
    if executor_settings:
        ray = executor_settings.get("ray")
        executor = ExecutorConfig(
            max_workers=workers if "workers" in executor_settings else None,
            **({"timeout": float(timeout)} if "timeout" in executor_settings and timeout is not None else {}),
            **({"backend": "ray", "ray_address": str(ray)} if ray is not None else {}),
        )
    return spec.create(chosen, executor=executor)
