"""Rewards for the ``<think>…</think>`` output format.

Columns: none. The prompt is read only to detect a chat template that already opened ``<think>``.

- ``think_format``: 1.0 for exactly one non-empty think block followed by a non-empty answer, else 0.0.
- ``think_answer_format``: the same for the R1-Zero template ``<think>…</think><answer>…</answer>``.
- ``tag_count``: partial credit in steps of 0.25 (see :func:`rlvr.verifiers.think.check_tag_count`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rlvr.rewards.base import Item, Reward
from rlvr.verifiers.think import (
    THINK_TEMPLATES,
    ThinkTemplate,
    check_tag_count,
    check_think_format,
    prompt_opens_think,
)
from rlvr.verifiers.verdict import Verdict


@dataclass(frozen=True)
class ThinkFormatConfig:
    """Options of the think-format rewards.

    Attributes:
        template: ``"think"`` (``<think>…</think> answer``) or ``"think_answer"``
            (``<think>…</think><answer>…</answer>``).
        think_opened_by_prompt: ``True`` when the chat template puts the opening ``<think>`` into the
            prompt (R1-distill, Qwen3 with thinking on), ``False`` when it never does, ``None`` to detect
            it per item: a prompt given as text that ends inside an open ``<think>``, or a chat prompt
            whose last (assistant, prefilled) message does. Chat prompts are rendered by the trainer after
            the reward sees them, so with a template that inserts ``<think>`` set this to ``True``.

    Example:
        >>> ThinkFormatConfig(template="think_answer").template
        'think_answer'
    """

    template: ThinkTemplate = "think"
    think_opened_by_prompt: bool | None = None

    def __post_init__(self) -> None:
        if self.template not in THINK_TEMPLATES:
            raise ValueError(f"template must be one of {THINK_TEMPLATES}, got {self.template!r}")
        if self.think_opened_by_prompt not in (True, False, None):
            raise ValueError(
                f"think_opened_by_prompt must be a bool or None, got {self.think_opened_by_prompt!r}"
            )


class ThinkFormatReward(Reward[ThinkFormatConfig]):
    """1.0 when the completion is one non-empty think block and a non-empty answer, else 0.0.

    Example:
        >>> from rlvr.rewards import think_format
        >>> think_format(prompts=["Q?", "Q?"], completions=["<think>\\nhmm\\n</think>\\n42", "42"])
        [1.0, 0.0]
        >>> strict_r1_zero = ThinkFormatReward(template="think_answer", name="r1_zero_format")
        >>> strict_r1_zero(completions=["<think>a</think> <answer>b</answer>"])
        [1.0]
    """

    default_name: ClassVar[str] = "think_format"
    config_class: ClassVar[type[Any]] = ThinkFormatConfig

    def _opened_by_prompt(self, item: Item) -> bool:
        if self.config.think_opened_by_prompt is not None:
            return self.config.think_opened_by_prompt
        prompt = item.prompt
        if prompt is None or (prompt.is_chat and prompt.last_role != "assistant"):
            return False
        return prompt_opens_think(prompt.text)

    def judge_one(self, item: Item) -> Verdict:
        return check_think_format(
            item.completion.text,
            reasoning=item.completion.reasoning,
            template=self.config.template,
            think_opened_by_prompt=self._opened_by_prompt(item),
        )


class TagCountReward(ThinkFormatReward):
    """Partial credit for the format: 0.25 per structural check passed (four checks).

    Example:
        >>> from rlvr.rewards import tag_count
        >>> tag_count(completions=["<think>a</think>b", "<think>a", "plain"])
        [1.0, 0.25, 0.0]
    """

    default_name: ClassVar[str] = "tag_count"

    def judge_one(self, item: Item) -> Verdict:
        return check_tag_count(
            item.completion.text,
            reasoning=item.completion.reasoning,
            template=self.config.template,
            think_opened_by_prompt=self._opened_by_prompt(item),
        )


think_format = ThinkFormatReward()
think_answer_format = ThinkFormatReward(template="think_answer", name="think_answer_format")
tag_count = TagCountReward()
