"""Batched rewards with TRL's reward-function signature.

Every reward is a picklable callable ``reward(prompts, completions, **columns) -> list[float | None]``
with a stable ``__name__``; ``None`` means the item cannot be judged. The plain names are the default
configurations; the classes take options.

Example:
    >>> from rlvr.rewards import think_format
    >>> think_format(prompts=["2+2?"], completions=[[{"role": "assistant", "content": "<think>4</think>4"}]])
    [1.0]
"""

from rlvr.rewards.base import Item, Reward
from rlvr.rewards.code_reward import CodeExecutionConfig, CodeExecutionReward, code_execution
from rlvr.rewards.compose import CombineConfig, CombinedReward, combine
from rlvr.rewards.cosine_length import CosineScaledConfig, CosineScaledReward, cosine_scaled
from rlvr.rewards.format_reward import (
    TagCountReward,
    ThinkFormatConfig,
    ThinkFormatReward,
    tag_count,
    think_answer_format,
    think_format,
)
from rlvr.rewards.inputs import Completion, MalformedInputError, MissingColumnError, Prompt
from rlvr.rewards.language import LanguageConsistencyConfig, LanguageConsistencyReward, language_consistency
from rlvr.rewards.math_reward import MathAccuracyConfig, MathAccuracyReward, math_accuracy
from rlvr.rewards.overlong import SoftOverlongConfig, SoftOverlongReward, soft_overlong
from rlvr.rewards.registry import REWARDS, RewardSpec, get_reward_spec
from rlvr.rewards.repetition import RepetitionPenaltyConfig, RepetitionPenaltyReward, repetition_penalty

__all__ = [
    "REWARDS",
    "CodeExecutionConfig",
    "CodeExecutionReward",
    "CombineConfig",
    "CombinedReward",
    "Completion",
    "CosineScaledConfig",
    "CosineScaledReward",
    "Item",
    "LanguageConsistencyConfig",
    "LanguageConsistencyReward",
    "MalformedInputError",
    "MathAccuracyConfig",
    "MathAccuracyReward",
    "MissingColumnError",
    "Prompt",
    "RepetitionPenaltyConfig",
    "RepetitionPenaltyReward",
    "Reward",
    "RewardSpec",
    "SoftOverlongConfig",
    "SoftOverlongReward",
    "TagCountReward",
    "ThinkFormatConfig",
    "ThinkFormatReward",
    "code_execution",
    "combine",
    "cosine_scaled",
    "get_reward_spec",
    "language_consistency",
    "math_accuracy",
    "repetition_penalty",
    "soft_overlong",
    "tag_count",
    "think_answer_format",
    "think_format",
]
