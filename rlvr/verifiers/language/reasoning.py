"""Which part of a completion is the chain of thought.

Tolerant on purpose: the format is another reward's business (:mod:`rlvr.verifiers.think`), so a
missing, unclosed or duplicated block still yields the text a reader would call the reasoning.
"""

from __future__ import annotations

from rlvr.verifiers.think import THINK_CLOSE, THINK_OPEN


def split_reasoning(text: str, reasoning: str | None = None) -> tuple[str, str]:
    """``(chain_of_thought, answer)`` of a completion.

    - ``reasoning`` given (a chat message's ``reasoning_content``): that is the chain of thought and
      ``text`` the answer;
    - a ``</think>`` in ``text``: the chain of thought runs from the first ``<think>`` (or the start,
      when the chat template opened the block) to the last ``</think>``; the rest is the answer;
    - an unclosed ``<think>`` (a truncated completion): everything after it;
    - no think tags: the whole completion is the chain of thought and the answer is empty.

    Example:
        >>> split_reasoning("<think>2+2 is 4</think> The answer is 4.")
        ('2+2 is 4', ' The answer is 4.')
        >>> split_reasoning("2+2 is 4\\n</think>\\n4")
        ('2+2 is 4\\n', '\\n4')
        >>> split_reasoning("4", reasoning="2+2 is 4")
        ('2+2 is 4', '4')
    """
    if reasoning is not None:
        return reasoning, text
    open_ = text.find(THINK_OPEN)
    close = text.rfind(THINK_CLOSE)
    if close >= 0:
        start = open_ + len(THINK_OPEN) if 0 <= open_ < close else 0
        before = text[:open_] if 0 <= open_ < close else ""
        return text[start:close], before + text[close + len(THINK_CLOSE) :]
    if open_ >= 0:
        return text[open_ + len(THINK_OPEN) :], text[:open_]
    return text, ""
