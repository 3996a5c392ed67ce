"""What a reward receives from a trainer, normalised: completions, prompts and dataset columns.

TRL passes ``completions`` as strings (standard datasets) or as lists of chat messages (conversational
datasets), and ``prompts`` likewise. A completion's text is the content of its last assistant message;
when that message carries ``reasoning_content`` (servers that split the reasoning out), the reasoning
travels separately.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Keyword arguments TRL passes that are not dataset columns.
TRAINER_KEYWORDS = frozenset({"completion_ids", "trainer_state", "log_metric", "log_extra", "environments"})


class MalformedInputError(ValueError):
    """One item cannot be read; the reward gives it ``None`` with this message as the reason."""


class MissingColumnError(KeyError):
    """A reward needs a dataset column the batch does not have."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "missing column"


@dataclass(frozen=True, slots=True)
class Completion:
    """A completion as a reward sees it.

    Attributes:
        text: the completion (for chat completions: the last assistant message's content).
        reasoning: the reasoning delivered apart from the content (``reasoning_content``), or ``None``.

    Example:
        >>> read_completion([{"role": "assistant", "content": "4", "reasoning_content": "2+2"}])
        Completion(text='4', reasoning='2+2')
    """

    text: str
    reasoning: str | None = None


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt as a reward sees it.

    Attributes:
        text: the rendered prompt for a standard dataset; for a chat prompt, the content of its last
            message.
        is_chat: whether the prompt was a list of chat messages.
        last_role: the role of the last chat message (``None`` for a standard prompt).
        user_text: the content of the last user message (the whole text for a standard prompt).

    Example:
        >>> read_prompt([{"role": "user", "content": "2+2?"}]).user_text
        '2+2?'
    """

    text: str
    is_chat: bool = False
    last_role: str | None = None
    user_text: str = ""


def _content_text(content: Any, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = []
        for part in content:  # multimodal content: [{"type": "text", "text": ...}, ...]
            if isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, str):
                parts.append(part)
        return "".join(parts)
    raise MalformedInputError(f"{where} content is a {type(content).__name__}, not text")


def read_completion(raw: Any) -> Completion:
    """Normalise one completion as TRL passes it.

    Raises:
        MalformedInputError: it is neither a string nor a list of chat messages with an assistant turn.

    Example:
        >>> read_completion("<think>a</think>b")
        Completion(text='<think>a</think>b', reasoning=None)
    """
    if isinstance(raw, str):
        return Completion(raw)
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, Sequence) or isinstance(raw, (bytes, bytearray)):
        raise MalformedInputError(
            f"completion has type {type(raw).__name__}, expected a string or chat messages"
        )
    for message in reversed(raw):
        if not isinstance(message, Mapping):
            raise MalformedInputError(f"chat message is a {type(message).__name__}, not a mapping")
        if message.get("role") == "assistant":
            reasoning = message.get("reasoning_content")
            if reasoning is not None:
                reasoning = _content_text(reasoning, "reasoning")
            return Completion(_content_text(message.get("content"), "assistant message"), reasoning)
    raise MalformedInputError("chat completion has no assistant message")


def read_prompt(raw: Any) -> Prompt:
    """Normalise one prompt as TRL passes it (a string or chat messages).

    Example:
        >>> read_prompt("Q: 2+2?\\nA: <think>").text[-7:]
        '<think>'
    """
    if isinstance(raw, str):
        return Prompt(raw, user_text=raw)
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, Sequence) or not raw:
        raise MalformedInputError(f"prompt has type {type(raw).__name__}, expected a string or chat messages")
    user_text = ""
    for message in reversed(raw):
        if isinstance(message, Mapping) and message.get("role") == "user":
            user_text = _content_text(message.get("content"), "user message")
            break
    last = raw[-1]
    if not isinstance(last, Mapping):
        raise MalformedInputError(f"chat message is a {type(last).__name__}, not a mapping")
    return Prompt(
        _content_text(last.get("content"), "prompt message"),
        is_chat=True,
        last_role=last.get("role"),
        user_text=user_text,
    )


def check_column_lengths(
    reward_name: str, columns_needed: Sequence[str], columns: Mapping[str, Any], size: int
) -> None:
    """Raise ``ValueError`` when a needed column does not hold one value per completion.

    Example:
        >>> check_column_lengths("math_accuracy", ["answer"], {"answer": ["1", "2"]}, 3)
        Traceback (most recent call last):
        ...
        ValueError: reward 'math_accuracy': column 'answer' must hold one value per completion (3), got 2
    """
    for name in columns_needed:
        values = columns[name]
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) != size:
            got = len(values) if isinstance(values, Sequence) else type(values).__name__
            raise ValueError(
                f"reward {reward_name!r}: column {name!r} must hold one value per completion ({size}), "
                f"got {got}"
            )
