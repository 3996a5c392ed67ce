"""The ``<think>…</think>`` output format of reasoning models (DeepSeek-R1 and its successors).

Parsing uses plain substring search, never a backtracking regex, so every check is linear in the length
of the text: a hostile completion cannot make it slow.

Two templates are known:

- ``"think"``: ``<think> reasoning </think> answer`` (R1, R1-distill, Qwen3).
- ``"think_answer"``: ``<think> reasoning </think> <answer> answer </answer>`` (the R1-Zero template).

Chat templates of R1-distill and Qwen3 models put the opening ``<think>`` into the prompt; the
completion then starts inside the block. Pass ``think_opened_by_prompt=True`` (or let the reward detect
it from the prompt with :func:`prompt_opens_think`): the completion must then hold exactly one
``</think>`` and no ``<think>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rlvr.verifiers.verdict import Verdict

ThinkTemplate = Literal["think", "think_answer"]
THINK_TEMPLATES: tuple[str, ...] = ("think", "think_answer")

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
ANSWER_OPEN = "<answer>"
ANSWER_CLOSE = "</answer>"


def prompt_opens_think(prompt_text: str) -> bool:
    """True when a rendered prompt ends inside an open ``<think>`` block.

    Example:
        >>> prompt_opens_think("<|Assistant|><think>\\n")
        True
        >>> prompt_opens_think("<think>old</think> Question?")
        False
    """
    last_open = prompt_text.rfind(THINK_OPEN)
    if last_open < 0:
        return False
    return (
        prompt_text.find(THINK_CLOSE, last_open) < 0
        and not prompt_text[last_open + len(THINK_OPEN) :].strip()
    )


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where the blocks of a completion are, as far as the counts allow."""

    think_opens: int
    think_closes: int
    answer_opens: int
    answer_closes: int
    reasoning: str | None  # text inside the think block, when there is exactly one block
    after_think: str | None  # text after the single </think>


def _layout(text: str, think_opened_by_prompt: bool) -> _Layout:
    think_opens = text.count(THINK_OPEN)
    think_closes = text.count(THINK_CLOSE)
    reasoning = after = None
    if think_closes == 1:
        close = text.index(THINK_CLOSE)
        after = text[close + len(THINK_CLOSE) :]
        if think_opened_by_prompt and think_opens == 0:
            reasoning = text[:close]
        elif not think_opened_by_prompt and think_opens == 1:
            open_ = text.index(THINK_OPEN)
            if open_ < close:
                reasoning = text[open_ + len(THINK_OPEN) : close]
    return _Layout(
        think_opens, think_closes, text.count(ANSWER_OPEN), text.count(ANSWER_CLOSE), reasoning, after
    )


def _think_structure_problem(text: str, lay: _Layout, think_opened_by_prompt: bool) -> str | None:
    """The first reason the think block is malformed, or None."""
    if think_opened_by_prompt:
        if lay.think_opens:
            return "<think> repeated although the prompt already opened it"
    else:
        if lay.think_opens == 0:
            return "no <think> block"
        if lay.think_opens > 1:
            return f"{lay.think_opens} <think> tags (duplicated or nested blocks)"
        if not text.startswith(THINK_OPEN):
            return "text before <think>"
    if lay.think_closes == 0:
        return "no </think>"
    if lay.think_closes > 1:
        return f"{lay.think_closes} </think> tags (duplicated blocks)"
    if not lay.reasoning or not lay.reasoning.strip():
        return "empty think block"
    return None


def _answer_block_problem(after: str, lay: _Layout) -> str | None:
    """For the think_answer template: the first reason the <answer> block is malformed, or None."""
    if lay.answer_opens != 1 or lay.answer_closes != 1:
        return f"expected one <answer> and one </answer>, found {lay.answer_opens} and {lay.answer_closes}"
    open_ = after.find(ANSWER_OPEN)
    close = after.find(ANSWER_CLOSE)
    if open_ < 0 or close < open_:
        return "<answer> block not after </think> or closed before it opens"
    if after[:open_].strip():
        return "text between </think> and <answer>"
    if after[close + len(ANSWER_CLOSE) :].strip():
        return "text after </answer>"
    if not after[open_ + len(ANSWER_OPEN) : close].strip():
        return "empty answer block"
    return None


def _check_separate_reasoning(text: str, reasoning: str, template: str) -> Verdict:
    """The reasoning arrived apart from the content (``reasoning_content``)."""
    if not reasoning.strip():
        return Verdict(0.0, "empty reasoning")
    if THINK_OPEN in text or THINK_CLOSE in text:
        return Verdict(0.0, "think tags in the answer although the reasoning came separately")
    if template == "think_answer":
        lay = _layout(text, think_opened_by_prompt=False)
        problem = _answer_block_problem(text, lay)
        return Verdict(0.0, problem) if problem else Verdict(1.0)
    if not text.strip():
        return Verdict(0.0, "empty answer")
    return Verdict(1.0)


def check_think_format(
    text: str,
    *,
    reasoning: str | None = None,
    template: ThinkTemplate = "think",
    think_opened_by_prompt: bool = False,
) -> Verdict:
    """Score 1.0 when ``text`` is exactly one non-empty think block followed by a non-empty answer.

    Leading whitespace is ignored. Rejected with 0.0 and a reason: no block, duplicated or nested
    blocks, an empty block, text before ``<think>``, nothing after ``</think>``; for the
    ``"think_answer"`` template also a missing, duplicated or empty ``<answer>`` block and any text
    around it. ``reasoning`` is the separately delivered reasoning (a chat message's
    ``reasoning_content``); then ``text`` is the answer alone and must carry no think tags. An empty
    ``reasoning`` counts as absent: ``text`` must then hold the think block itself.

    Example:
        >>> check_think_format("\\n<think>\\n2+2=4\\n</think>\\nThe answer is 4.")
        Verdict(score=1.0, reason='')
        >>> check_think_format("<think></think>4")
        Verdict(score=0.0, reason='empty think block')
        >>> check_think_format("2+2=4\\n</think>\\n4", think_opened_by_prompt=True).score
        1.0
        >>> check_think_format("<think>a</think><answer>4</answer>", template="think_answer").score
        1.0
    """
    _validate_template(template)
    if reasoning is not None and reasoning.strip():
        return _check_separate_reasoning(text, reasoning, template)
    text = text.lstrip()
    lay = _layout(text, think_opened_by_prompt)
    problem = _think_structure_problem(text, lay, think_opened_by_prompt)
    if problem:
        return Verdict(0.0, problem)
    assert lay.after_think is not None  # a valid think block has exactly one </think>
    if template == "think_answer":
        problem = _answer_block_problem(lay.after_think, lay)
        return Verdict(0.0, problem) if problem else Verdict(1.0)
    if not lay.after_think.strip():
        return Verdict(0.0, "nothing after </think>")
    return Verdict(1.0)


def check_tag_count(
    text: str,
    *,
    reasoning: str | None = None,
    template: ThinkTemplate = "think",
    think_opened_by_prompt: bool = False,
) -> Verdict:
    """Partial credit: the fraction of four structural checks that pass, in steps of 0.25.

    ``"think"`` template: one ``<think>`` (none when the prompt opened it), one ``</think>``, a non-empty
    reasoning, a non-empty answer. ``"think_answer"`` template: exactly one each of ``<think>`` (none
    when the prompt opened it), ``</think>``, ``<answer>``, ``</answer>``. The reason lists the checks
    that failed. A dense shaping signal for the first steps of training; use
    :func:`check_think_format` for the strict gate.

    Example:
        >>> check_tag_count("<think>a</think>b").score
        1.0
        >>> check_tag_count("<think>a</think>").score
        0.75
        >>> check_tag_count("<think>a</think><answer>b", template="think_answer")
        Verdict(score=0.75, reason='missing: one </answer>')
    """
    _validate_template(template)
    if reasoning is not None and reasoning.strip():
        no_tags = THINK_OPEN not in text and THINK_CLOSE not in text
        checks = {
            "no <think> in the answer": no_tags,
            "no </think> in the answer": no_tags,
            "non-empty reasoning": bool(reasoning.strip()),
        }
        if template == "think_answer":
            lay = _layout(text, think_opened_by_prompt=False)
            checks["one <answer> block"] = lay.answer_opens == 1 and lay.answer_closes == 1
        else:
            checks["non-empty answer"] = bool(text.strip())
    else:
        text = text.lstrip()
        lay = _layout(text, think_opened_by_prompt)
        expected_opens = 0 if think_opened_by_prompt else 1
        open_label = "no <think>" if think_opened_by_prompt else "one <think>"
        checks = {open_label: lay.think_opens == expected_opens, "one </think>": lay.think_closes == 1}
        if template == "think_answer":
            checks["one <answer>"] = lay.answer_opens == 1
            checks["one </answer>"] = lay.answer_closes == 1
        else:
            checks["non-empty reasoning"] = bool(lay.reasoning and lay.reasoning.strip())
            checks["non-empty answer"] = bool(lay.after_think and lay.after_think.strip())
    failed = [name for name, ok in checks.items() if not ok]
    score = (len(checks) - len(failed)) / len(checks)
    return Verdict(score, "missing: " + ", ".join(failed) if failed else "")


def _validate_template(template: str) -> None:
    if template not in THINK_TEMPLATES:
        raise ValueError(f"unknown think template {template!r}; expected one of {THINK_TEMPLATES}")
