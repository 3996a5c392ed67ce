"""DeepSeek-R1's language-consistency reward: share of the reasoning's words in the target language.

Columns: ``language`` (optional, ISO 639-1 such as ``"fr"``; also ``"pt-BR"``, ``"zh-Hans"``, ``"French"``).
The target is, in order: the row's ``language`` value; the ``language`` option; the language most of
the words of the prompt's last user message are in (detected like the chain of thought's words). With
none of them the item is not judged (``None``).

The chain of thought is the ``<think>`` block when there is one, or the chat message's
``reasoning_content``, else the whole completion (see
:func:`rlvr.verifiers.language.split_reasoning`); ``include_answer=True`` scores the answer too. The
score is in [0, 1]; ``None`` when fewer than ``min_words`` countable words remain once code, math,
numbers and identifiers are dropped. See :mod:`rlvr.verifiers.language` for how words are counted.

Latin-script targets (en, fr, de, es, pt, it) and prompt detection need ``py3langid``, a dependency of
rlvr imported on first use; without it the reward raises :class:`LanguageDetectorMissingError` rather
than score wrongly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rlvr.rewards.base import Item, Reward
from rlvr.verifiers.language import (
    MIN_WORDS,
    SUPPORTED_LANGUAGES,
    LanguageDetectorMissingError,
    detect_language,
    normalize_language,
    split_reasoning,
)
from rlvr.verifiers.language import language_consistency as check_language_consistency
from rlvr.verifiers.verdict import Verdict


@dataclass(frozen=True)
class LanguageConsistencyConfig:
    """Options of the language-consistency reward.

    Attributes:
        language: the target for rows without a ``language`` value (ISO 639-1), or ``None`` to detect
            it from the prompt.
        include_answer: also count the words of the answer (the part after ``</think>``).
        min_words: fewer countable words than this and the item is not judged (``None``).
        detect_from_prompt: detect the target from the prompt when neither the row nor ``language``
            gives it; when ``False`` such items are not judged.

    Example:
        >>> LanguageConsistencyConfig(language="pt-BR").language
        'pt'
        >>> LanguageConsistencyConfig(min_words=0)
        Traceback (most recent call last):
        ...
        ValueError: min_words must be >= 1, got 0
    """

    language: str | None = None
    include_answer: bool = False
    min_words: int = MIN_WORDS
    detect_from_prompt: bool = True

    def __post_init__(self) -> None:
        if self.language is not None:
            object.__setattr__(self, "language", normalize_language(self.language))
        if not isinstance(self.include_answer, bool):
            raise ValueError(f"include_answer must be a bool, got {self.include_answer!r}")
        if not isinstance(self.detect_from_prompt, bool):
            raise ValueError(f"detect_from_prompt must be a bool, got {self.detect_from_prompt!r}")
        if isinstance(self.min_words, bool) or not isinstance(self.min_words, int) or self.min_words < 1:
            raise ValueError(f"min_words must be >= 1, got {self.min_words!r}")


class LanguageConsistencyReward(Reward[LanguageConsistencyConfig]):
    """The share of the chain of thought's words that are in the target language (DeepSeek-R1).

    Example:
        >>> from rlvr.rewards import language_consistency
        >>> language_consistency(
        ...     completions=["<think>先计算总和，再 check the result again.</think>答案是 10。"],
        ...     language=["zh"],
        ... )
        [0.6]
        >>> language_consistency(prompts=["Combien font 2 + 2 ?"], completions=["2+2=4"])
        [None]
    """

    default_name: ClassVar[str] = "language_consistency"
    config_class: ClassVar[type[Any]] = LanguageConsistencyConfig
    optional_columns: ClassVar[tuple[str, ...]] = ("language",)

    def _target(self, item: Item, detected: dict[str, str | None]) -> str | Verdict:
        """The item's target language, or the verdict that it has none."""
        value = item.row.get("language")
        if value is not None and value != "":
            try:
                return normalize_language(value)
            except ValueError as exc:
                return Verdict.unjudged(f"language column: {exc}")
        if self.config.language is not None:
            return self.config.language
        if not self.config.detect_from_prompt or item.prompt is None:
            return Verdict.unjudged("no target language: no 'language' column, option or prompt")
        question = item.prompt.user_text or item.prompt.text
        if question not in detected:
            detected[question] = detect_language(question)
        language = detected[question]
        if language is None:
            return Verdict.unjudged("no target language: the prompt has no words to detect it from")
        if language not in SUPPORTED_LANGUAGES:
            return Verdict.unjudged(f"the prompt's language ({language}) is not supported")
        return language

    def _judge(self, item: Item, detected: dict[str, str | None]) -> Verdict:
        target = self._target(item, detected)
        if isinstance(target, Verdict):
            return target
        reasoning, answer = split_reasoning(item.completion.text, item.completion.reasoning)
        text = f"{reasoning}\n{answer}" if self.config.include_answer else reasoning
        return check_language_consistency(text, target, min_words=self.config.min_words)

    def judge_batch(self, items: Sequence[Item]) -> list[Verdict]:
        """Judge in-process (linear-time text scans); a missing detector library is raised, not hidden."""
        detected: dict[str, str | None] = {}  # prompt -> language: a group shares its prompt
        verdicts = []
        for item in items:
            try:
                verdicts.append(self._judge(item, detected))
            except LanguageDetectorMissingError:
                raise
            except Exception as exc:
                verdicts.append(Verdict.unjudged(f"{type(exc).__name__}: {exc}"))
        return verdicts


language_consistency = LanguageConsistencyReward()
