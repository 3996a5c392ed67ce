"""Tests of the ``<think>`` format verifiers and the :class:`Verdict` type."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlvr.verifiers.think import check_tag_count, check_think_format, prompt_opens_think
from rlvr.verifiers.verdict import Verdict

OPENED = {"think_opened_by_prompt": True}
TA = {"template": "think_answer"}
TA_OPENED = {"template": "think_answer", "think_opened_by_prompt": True}

# A completion of exactly 1,000,000 characters: one long but valid think block.
_ANSWER = "The answer is 42."
BIG_VALID = "<think>" + "x" * (1_000_000 - len("<think></think>") - len(_ANSWER)) + "</think>" + _ANSWER
# 1,000,000 characters of repeated tags: many duplicated blocks, must fail fast.
BIG_DUPLICATED = ("<think>a</think>" * (1_000_000 // 16))[:1_000_000]
# A huge completion that opens a block and never closes it.
BIG_UNCLOSED = "<think>" + "y" * (1_000_000 - len("<think>"))
assert len(BIG_VALID) == len(BIG_DUPLICATED) == len(BIG_UNCLOSED) == 1_000_000

# (id, completion, kwargs, expected score, substring of the reason)
THINK_FORMAT_CASES: list[tuple[str, str, dict[str, Any], float, str]] = [
    # --- "think" template: honest outputs that must pass ---------------------------------------------
    ("plain", "<think>reasoning</think>answer", {}, 1.0, ""),
    ("leading-newline", "\n<think>r</think>a", {}, 1.0, ""),
    ("leading-spaces", "   <think>r</think>a", {}, 1.0, ""),
    ("leading-tab", "\t<think>r</think>a", {}, 1.0, ""),
    ("leading-mixed-whitespace", "\n\t \r\n <think>r</think>a", {}, 1.0, ""),
    (
        "multi-line-block",
        "<think>\nFirst, 2+2.\n\nThat is 4.\n  Check: 4-2=2.\n</think>\n\nThe answer is 4.",
        {},
        1.0,
        "",
    ),
    ("unicode-content", "<think>思考：2+2=4 ✓ 🤔 naïve Ω</think>答案是 4 ✅", {}, 1.0, ""),
    ("crlf-line-endings", "\r\n<think>\r\nstep 1\r\nstep 2\r\n</think>\r\nanswer\r\n", {}, 1.0, ""),
    ("whitespace-around-answer", "<think>r</think>   42   \n", {}, 1.0, ""),
    ("answer-tags-allowed-in-think-template", "<think>r</think><answer>4</answer>", {}, 1.0, ""),
    ("uppercase-tag-inside-is-content", "<think>I write <THINK> literally</think>a", {}, 1.0, ""),
    ("single-char-block-and-answer", "<think>.</think>.", {}, 1.0, ""),
    ("think-word-in-text", "<think>I think so</think>think", {}, 1.0, ""),
    ("million-chars-valid", BIG_VALID, {}, 1.0, ""),
    # --- "think" template: malformed outputs -------------------------------------------------------
    ("no-tags", "just an answer", {}, 0.0, "no <think> block"),
    ("empty-string", "", {}, 0.0, "no <think> block"),
    ("whitespace-only", "  \n\t ", {}, 0.0, "no <think> block"),
    ("duplicated-blocks", "<think>a</think><think>b</think>c", {}, 0.0, "2 <think> tags"),
    ("nested-think", "<think>a<think>b</think>c</think>d", {}, 0.0, "2 <think> tags"),
    ("second-open-in-answer", "<think>a</think>b<think>", {}, 0.0, "2 <think> tags"),
    ("empty-think", "<think></think>answer", {}, 0.0, "empty think block"),
    ("whitespace-only-think", "<think> \n\t\r\n </think>answer", {}, 0.0, "empty think block"),
    ("text-before-think", "Sure! <think>a</think>b", {}, 0.0, "text before <think>"),
    ("newline-text-before-think", "\nOK\n<think>a</think>b", {}, 0.0, "text before <think>"),
    ("nothing-after-close", "<think>a</think>", {}, 0.0, "nothing after </think>"),
    ("only-whitespace-after-close", "<think>a</think>\n\n \t\r\n", {}, 0.0, "nothing after </think>"),
    ("close-before-open", "</think>a<think>b", {}, 0.0, "text before <think>"),
    ("missing-close", "<think>a b c and the answer", {}, 0.0, "no </think>"),
    ("only-open-tag", "<think>", {}, 0.0, "no </think>"),
    ("duplicated-close", "<think>a</think>b</think>c", {}, 0.0, "2 </think> tags"),
    ("missing-open", "reasoning</think>answer", {}, 0.0, "no <think> block"),
    ("uppercase-tags", "<THINK>a</THINK>b", {}, 0.0, "no <think> block"),
    ("capitalised-tags", "<Think>a</Think>b", {}, 0.0, "no <think> block"),
    ("tag-with-space", "<think >a</think >b", {}, 0.0, "no <think> block"),
    ("million-chars-duplicated", BIG_DUPLICATED, {}, 0.0, "<think> tags"),
    ("million-chars-unclosed", BIG_UNCLOSED, {}, 0.0, "no </think>"),
    # --- the chat template pre-inserted <think> ----------------------------------------------------
    ("opened-pass", "reasoning\n</think>\nanswer", OPENED, 1.0, ""),
    ("opened-pass-leading-newline", "\nreasoning</think>answer", OPENED, 1.0, ""),
    ("opened-pass-multiline", "step 1\nstep 2\n\n</think>\n\n**4**", OPENED, 1.0, ""),
    ("opened-repeated-open", "<think>r</think>a", OPENED, 0.0, "<think> repeated"),
    ("opened-no-close", "reasoning only, never closed", OPENED, 0.0, "no </think>"),
    ("opened-empty-reasoning", "</think>answer", OPENED, 0.0, "empty think block"),
    ("opened-whitespace-reasoning", "  \n</think>answer", OPENED, 0.0, "empty think block"),
    ("opened-nothing-after", "reasoning</think>", OPENED, 0.0, "nothing after </think>"),
    ("opened-two-closes", "r</think>a</think>b", OPENED, 0.0, "2 </think> tags"),
    ("opened-think-answer-pass", "r</think><answer>4</answer>", TA_OPENED, 1.0, ""),
    ("opened-think-answer-no-answer", "r</think>4", TA_OPENED, 0.0, "found 0 and 0"),
    # --- "think_answer" template (R1-Zero) ---------------------------------------------------------
    ("ta-pass", "<think>r</think><answer>4</answer>", TA, 1.0, ""),
    ("ta-pass-whitespace", "\n<think>\nr\n</think>\n<answer>\n4\n</answer>\n", TA, 1.0, ""),
    ("ta-pass-multiline-answer", "<think>r</think> <answer>line 1\nline 2</answer>", TA, 1.0, ""),
    ("ta-missing-answer", "<think>r</think>4", TA, 0.0, "found 0 and 0"),
    ("ta-nothing-after-think", "<think>r</think>", TA, 0.0, "found 0 and 0"),
    ("ta-empty-answer", "<think>r</think><answer></answer>", TA, 0.0, "empty answer block"),
    ("ta-whitespace-answer", "<think>r</think><answer> \n </answer>", TA, 0.0, "empty answer block"),
    (
        "ta-duplicated-answer",
        "<think>r</think><answer>1</answer><answer>2</answer>",
        TA,
        0.0,
        "found 2 and 2",
    ),
    ("ta-unclosed-answer", "<think>r</think><answer>4", TA, 0.0, "found 1 and 0"),
    ("ta-trailing-junk", "<think>r</think><answer>4</answer> and more", TA, 0.0, "text after </answer>"),
    ("ta-trailing-tag", "<think>r</think><answer>4</answer><eos>", TA, 0.0, "text after </answer>"),
    (
        "ta-text-between",
        "<think>r</think> so: <answer>4</answer>",
        TA,
        0.0,
        "text between </think> and <answer>",
    ),
    ("ta-answer-before-think", "<answer>4</answer><think>r</think>", TA, 0.0, "text before <think>"),
    ("ta-answer-inside-think", "<think>r<answer>4</answer></think>", TA, 0.0, "<answer> block not after"),
    ("ta-answer-closed-before-open", "<think>r</think></answer>4<answer>", TA, 0.0, "closed before it opens"),
    ("ta-empty-think", "<think></think><answer>4</answer>", TA, 0.0, "empty think block"),
    ("ta-duplicated-think", "<think>a</think><think>b</think><answer>4</answer>", TA, 0.0, "2 <think> tags"),
    ("ta-text-before-think", "Answer: <think>r</think><answer>4</answer>", TA, 0.0, "text before <think>"),
    # --- reasoning delivered separately (reasoning_content) ----------------------------------------
    ("rc-pass", "4", {"reasoning": "2+2=4"}, 1.0, ""),
    ("rc-pass-multiline", "\nThe answer is 4.\n", {"reasoning": "step 1\nstep 2"}, 1.0, ""),
    # an empty reasoning_content counts as absent: the content must then hold the think block
    ("rc-empty-reasoning-falls-back", "4", {"reasoning": ""}, 0.0, "no <think> block"),
    ("rc-whitespace-reasoning-falls-back", "4", {"reasoning": " \n\t"}, 0.0, "no <think> block"),
    ("rc-empty-reasoning-block-in-content", "<think>r</think>4", {"reasoning": ""}, 1.0, ""),
    ("rc-empty-answer", "", {"reasoning": "r"}, 0.0, "empty answer"),
    ("rc-whitespace-answer", "  \n", {"reasoning": "r"}, 0.0, "empty answer"),
    ("rc-tags-in-answer", "<think>r</think>4", {"reasoning": "r"}, 0.0, "think tags in the answer"),
    ("rc-close-tag-in-answer", "r</think>4", {"reasoning": "r"}, 0.0, "think tags in the answer"),
    ("rc-opened-flag-ignored", "4", {"reasoning": "r", "think_opened_by_prompt": True}, 1.0, ""),
    ("rc-ta-pass", "<answer>4</answer>", {"reasoning": "r", **TA}, 1.0, ""),
    ("rc-ta-pass-whitespace", "\n<answer>4</answer>\n", {"reasoning": "r", **TA}, 1.0, ""),
    ("rc-ta-missing-answer", "4", {"reasoning": "r", **TA}, 0.0, "found 0 and 0"),
    ("rc-ta-trailing-junk", "<answer>4</answer> junk", {"reasoning": "r", **TA}, 0.0, "text after </answer>"),
    ("rc-ta-text-before", "so <answer>4</answer>", {"reasoning": "r", **TA}, 0.0, "text between"),
    ("rc-ta-empty-answer", "<answer> </answer>", {"reasoning": "r", **TA}, 0.0, "empty answer block"),
]


@pytest.mark.parametrize(
    ("completion", "kwargs", "expected", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in THINK_FORMAT_CASES],
)
def test_check_think_format(completion: str, kwargs: dict[str, Any], expected: float, reason: str) -> None:
    verdict = check_think_format(completion, **kwargs)
    assert verdict.score == expected
    if expected == 1.0:
        assert verdict.reason == ""
    else:
        assert reason and reason in verdict.reason


def test_think_format_cases_are_many_and_unique() -> None:
    ids = [case[0] for case in THINK_FORMAT_CASES]
    assert len(ids) >= 40
    assert len(ids) == len(set(ids))


def test_million_char_inputs_are_fast() -> None:
    """Linear-time parsing: even 1M-character hostile inputs take well under a second."""
    start = time.perf_counter()
    for text in (BIG_VALID, BIG_DUPLICATED, BIG_UNCLOSED, "<" * 1_000_000, "<think>" + "</" * 500_000):
        for kwargs in ({}, OPENED, TA):
            check_think_format(text, **kwargs)
            check_tag_count(text, **kwargs)
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize("check", [check_think_format, check_tag_count])
def test_unknown_template_is_rejected(check: Any) -> None:
    with pytest.raises(ValueError, match="unknown think template 'xml'"):
        check("<think>a</think>b", template="xml")


# (id, completion, kwargs, expected score, substrings of the reason)
TAG_COUNT_CASES: list[tuple[str, str, dict[str, Any], float, tuple[str, ...]]] = [
    # "think" template
    ("think-1.0", "<think>a</think>b", {}, 1.0, ()),
    ("think-1.0-leading-newline", "\n<think>a</think>b", {}, 1.0, ()),
    ("think-0.75-no-answer", "<think>a</think>", {}, 0.75, ("non-empty answer",)),
    ("think-0.5-empty", "<think></think>", {}, 0.5, ("non-empty reasoning", "non-empty answer")),
    ("think-0.5-no-open", "</think>b", {}, 0.5, ("one <think>", "non-empty reasoning")),
    ("think-0.25-unclosed", "<think>a", {}, 0.25, ("one </think>", "non-empty answer")),
    ("think-0.25-two-closes", "<think>a</think>b</think>", {}, 0.25, ("one </think>",)),
    ("think-0.0-plain", "plain", {}, 0.0, ("one <think>", "one </think>")),
    ("think-0.0-uppercase", "<THINK>a</THINK>b", {}, 0.0, ("one <think>",)),
    ("think-opened-1.0", "r</think>a", OPENED, 1.0, ()),
    ("think-opened-0.5-repeated-open", "<think>r</think>a", OPENED, 0.5, ("no <think>",)),
    ("think-opened-0.25-unclosed", "r", OPENED, 0.25, ("one </think>",)),
    # "think_answer" template
    ("ta-1.0", "<think>a</think><answer>b</answer>", TA, 1.0, ()),
    ("ta-0.75", "<think>a</think><answer>b", TA, 0.75, ("one </answer>",)),
    ("ta-0.5", "<think>a</think>", TA, 0.5, ("one <answer>", "one </answer>")),
    ("ta-0.5-answer-only", "<answer>b</answer>", TA, 0.5, ("one <think>", "one </think>")),
    ("ta-0.25", "<think>a", TA, 0.25, ("one </think>", "one <answer>", "one </answer>")),
    ("ta-0.0", "x", TA, 0.0, ("one <think>",)),
    ("ta-opened-1.0", "r</think><answer>b</answer>", TA_OPENED, 1.0, ()),
    # reasoning delivered separately
    ("rc-think-1.0", "a", {"reasoning": "r"}, 1.0, ()),
    ("rc-think-empty-reasoning-falls-back-0.0", "a", {"reasoning": ""}, 0.0, ("one <think>",)),
    ("rc-think-0.75-empty-answer", "", {"reasoning": "r"}, 0.75, ("non-empty answer",)),
    (
        "rc-think-blank-reasoning-falls-back",
        "",
        {"reasoning": " "},
        0.0,
        ("one </think>", "non-empty answer"),
    ),
    ("rc-think-0.5-tags", "<think></think>", {"reasoning": "r"}, 0.5, ("no <think> in the answer",)),
    ("rc-empty-falls-back-0.5", "<think></think>", {"reasoning": ""}, 0.5, ("non-empty reasoning",)),
    ("rc-ta-1.0", "<answer>b</answer>", {"reasoning": "r", **TA}, 1.0, ()),
    ("rc-ta-0.75", "b", {"reasoning": "r", **TA}, 0.75, ("one <answer> block",)),
    ("rc-ta-0.25", "<think>b", {"reasoning": "r", **TA}, 0.25, ("no </think> in the answer",)),
    ("rc-ta-empty-falls-back-0.0", "b", {"reasoning": "", **TA}, 0.0, ("one <think>",)),
    ("rc-ta-empty-falls-back-0.25", "<think>b", {"reasoning": "", **TA}, 0.25, ("one </think>",)),
]


@pytest.mark.parametrize(
    ("completion", "kwargs", "expected", "reasons"),
    [pytest.param(*case[1:], id=case[0]) for case in TAG_COUNT_CASES],
)
def test_check_tag_count(
    completion: str, kwargs: dict[str, Any], expected: float, reasons: tuple[str, ...]
) -> None:
    verdict = check_tag_count(completion, **kwargs)
    assert verdict.score == expected
    if expected == 1.0:
        assert verdict.reason == ""
    else:
        assert verdict.reason.startswith("missing: ")
        for reason in reasons:
            assert reason in verdict.reason


def test_tag_count_covers_every_step_for_both_templates() -> None:
    for template in ("think", "think_answer"):
        scores = {
            case[3]
            for case in TAG_COUNT_CASES
            if case[2].get("template", "think") == template and "reasoning" not in case[2]
        }
        assert scores == {0.0, 0.25, 0.5, 0.75, 1.0}, template


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        pytest.param("<|Assistant|><think>\n", True, id="r1-distill"),
        pytest.param("<|im_start|>assistant\n<think>\n", True, id="qwen3-thinking"),
        pytest.param("<think>", True, id="bare-open"),
        pytest.param("Q?<think>  \n\t", True, id="trailing-whitespace"),
        pytest.param("<think>old</think>\nQ?\n<think>\n", True, id="closed-then-reopened"),
        pytest.param("", False, id="empty"),
        pytest.param("Question: 2+2?", False, id="no-tag"),
        pytest.param("<think>old</think> Question?", False, id="closed-block"),
        pytest.param("<|im_start|>assistant\n<think>\n\n</think>\n\n", False, id="qwen3-thinking-off"),
        pytest.param("Use <think> tags. Question?", False, id="tag-mentioned-mid-prompt"),
        pytest.param("<think>partial prefilled reasoning", False, id="text-after-open"),
        pytest.param("<THINK>\n", False, id="uppercase"),
        pytest.param("</think>", False, id="close-only"),
    ],
)
def test_prompt_opens_think(prompt: str, expected: bool) -> None:
    assert prompt_opens_think(prompt) is expected


# --- Verdict ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "error"),
    [
        pytest.param(True, TypeError, id="bool-true"),
        pytest.param(False, TypeError, id="bool-false"),
        pytest.param("1.0", TypeError, id="str"),
        pytest.param([1.0], TypeError, id="list"),
        pytest.param(math.nan, ValueError, id="nan"),
        pytest.param(math.inf, ValueError, id="inf"),
        pytest.param(-math.inf, ValueError, id="-inf"),
    ],
)
def test_verdict_rejects_bad_scores(score: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"Verdict\.score"):
        Verdict(score)


@pytest.mark.parametrize(
    ("score", "judged", "passed"),
    [
        pytest.param(1.0, True, True, id="one"),
        pytest.param(0.25, True, True, id="partial"),
        pytest.param(0.0, True, False, id="zero"),
        pytest.param(-1.0, True, False, id="negative"),
        pytest.param(None, False, False, id="none"),
    ],
)
def test_verdict_properties(score: float | None, judged: bool, passed: bool) -> None:
    verdict = Verdict(score, "some reason")
    assert verdict.judged is judged
    assert verdict.passed is passed


def test_verdict_int_score_becomes_float() -> None:
    verdict = Verdict(1)
    assert verdict.score == 1.0
    assert type(verdict.score) is float


def test_verdict_reason_must_be_str() -> None:
    with pytest.raises(TypeError, match=r"Verdict\.reason"):
        Verdict(1.0, 3)  # type: ignore[arg-type]


def test_verdict_unjudged_needs_reason() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        Verdict.unjudged("")
    verdict = Verdict.unjudged("timeout")
    assert verdict == Verdict(None, "timeout")
    assert not verdict.judged and not verdict.passed


def test_verdict_is_frozen() -> None:
    verdict = Verdict(1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.score = 0.0  # type: ignore[misc]


# --- properties ---------------------------------------------------------------------------------------

_TAGS = ("<think>", "</think>")
# Text biased towards the characters the tags are made of, so near-miss tags show up often.
_text = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from(list("<>/think \n\t\r"))),
    max_size=40,
)
_content = _text.filter(lambda s: s.strip() != "" and not any(tag in s for tag in _TAGS))


@settings(max_examples=200, deadline=None)
@given(reasoning=_content, answer=_content, leading=st.sampled_from(["", " ", "\n", "\r\n\t "]))
def test_property_one_block_and_answer_passes(reasoning: str, answer: str, leading: str) -> None:
    text = leading + "<think>" + reasoning + "</think>" + answer
    assert check_think_format(text) == Verdict(1.0)
    assert check_tag_count(text).score == 1.0
    # The same completion after a template that opened the block itself.
    assert check_think_format(reasoning + "</think>" + answer, think_opened_by_prompt=True).score == 1.0


@settings(max_examples=200, deadline=None)
@given(
    parts=st.tuples(_text, _text, _text),
    template=st.sampled_from(["think", "think_answer"]),
    opened=st.booleans(),
    separate=st.one_of(st.none(), _text),
)
def test_property_two_think_tags_fail(
    parts: tuple[str, str, str], template: Any, opened: bool, separate: str | None
) -> None:
    text = parts[0] + "<think>" + parts[1] + "<think>" + parts[2]
    verdict = check_think_format(text, template=template, think_opened_by_prompt=opened, reasoning=separate)
    assert verdict.score == 0.0
    assert verdict.reason
