"""Fuzzing the math verifier with random LaTeX-like text: it never raises, never hangs, and scores only
0.0, 1.0 or None.

The in-process fast path (extraction, normalisation, the value reader, the fast judgement) runs in the
caller's process on every completion, so it must be quick on any input: each example runs under a
2 s hypothesis deadline. The full reward sends what the fast path cannot decide to worker processes
with a hard deadline; a batch of fuzzed items goes through it once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlvr.rewards import MathAccuracyReward
from rlvr.verifiers.math import MathPolicy, extract_answer, gold_answer, normalize_answer
from rlvr.verifiers.math.compare import gold_choice, is_text_answer, is_unevaluated_arithmetic
from rlvr.verifiers.math.judge import fast_judgement, make_answer
from rlvr.verifiers.math.symbolic import answer_shape
from rlvr.verifiers.math.values import parse_choice, parse_value
from rlvr.verifiers.verdict import NOT_HANDLED, Verdict

TOKENS = (
    *(
        "\\frac{",
        "\\dfrac",
        "\\tfrac",
        "}",
        "{",
        "\\sqrt",
        "\\sqrt{",
        "^",
        "^{",
        "_",
        "_{5}",
        "\\left(",
        "\\right)",
    ),
    *("\\left\\{", "\\right\\}", "\\{", "\\}", "\\boxed{", "\\boxed ", "\\fbox{", "\\text{", "\\mathrm{"),
    *(
        "\\phantom{",
        "\\begin{pmatrix}",
        "\\end{pmatrix}",
        "&",
        "\\\\",
        "\\infty",
        "-\\infty",
        "\\pi",
        "\\cup",
    ),
    *("\\pm", "\\cdot", "\\times", "\\div", "\\le", "<", "=", "x=", "\\!", "\\,", "\\ ", "\\quad", " ", "\n"),
    *(",", ".", "-", "+", "/", "%", "\\%", "\\$", "$", "(", ")", "[", "]", "^\\circ", "\\circ", "e5", "E-3"),
    *("0", "1", "7", "12", "007", "1,000", "{,}", ",\\!", "10^", "3.14", ".5", "x", "y", "a", "B", "(B)"),
    *(
        "\\text{ cm}",
        " dollars",
        "Evelyn",
        "#### ",
        "**",
        "Answer:",
        "The final answer is ",
        "the answer is ",
    ),
    *("<think>", "</think>", "<answer>", "</answer>", "```output\n", "```"),
    *(
        "√",
        "π",
        "∞",
        "−",
        "×",
        "·",
        "°",
        "∅",
        "½",
        "\u00a0",
        "\u202f",
        "\x00",
        "\ud800",
        "\udfff",
        "\U0001f600",
    ),
)

#: Random LaTeX-like text: mostly tokens, some arbitrary characters (lone surrogates included).
latexish = st.lists(
    st.one_of(st.sampled_from(TOKENS), st.text(max_size=3), st.characters()), max_size=40
).map("".join)
#: Deep nesting and long runs, which break recursive or backtracking parsers.
pathological = st.builds(
    lambda token, count, middle: token * count + middle + "}" * count,
    st.sampled_from(("\\frac{", "{", "\\sqrt{", "5^{", "\\boxed{", "(", "\\left(", "\\{")),
    st.integers(50, 3000),
    st.sampled_from(("1", "", "}{2", "9" * 500)),
)
texts = st.one_of(latexish, latexish, pathological)
golds = st.one_of(
    texts,
    st.sampled_from(
        ("72", "\\frac{1}{2}", "[2,5)", "\\{1,2\\}", "\\text{(B)}", "2\\sqrt{3}", "204_5", "50\\%")
    ),
)


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(completion=texts, answer=texts, gold=golds)
def test_fast_path_never_raises(completion: str, answer: str, gold: str) -> None:
    extraction = extract_answer(completion)
    assert all(isinstance(c, str) for c in extraction.candidates)
    assert extract_answer(completion, fallback="last_number").found in (True, False)
    for text in (answer, completion, gold, *extraction.candidates):
        normalised = normalize_answer(text)
        assert isinstance(normalised, str)
        parse_value(normalised)
        parse_value(normalised, scalar_expected=False)
        parse_choice(normalised)
        is_unevaluated_arithmetic(normalised)
        answer_shape(normalised)
        gold_choice(text)
        is_text_answer(text)
    gold_text = gold_answer(gold)
    if gold_text is None:
        return
    candidates = tuple(make_answer(c) for c in (answer, *extraction.candidates))
    for given_candidates in (candidates[:1], candidates):
        verdict = fast_judgement(make_answer(gold_text), given_candidates, MathPolicy())
        assert verdict is NOT_HANDLED or (isinstance(verdict, Verdict) and verdict.score in (0.0, 1.0, None))


@pytest.fixture(scope="module")
def reward() -> Iterator[MathAccuracyReward]:
    reward = MathAccuracyReward(timeout=2.0)
    yield reward
    reward.close()


completions = st.one_of(
    texts, texts.map(lambda t: f"\\boxed{{{t}}}"), texts.map(lambda t: f"</think> $\\boxed{{{t}}}$")
)


def test_reward_scores_fuzzed_batches(reward: MathAccuracyReward) -> None:
    @settings(max_examples=2, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(completions, golds), min_size=15, max_size=15))
    def run(batch: list[tuple[str, str]]) -> None:
        scores = reward(completions=[c for c, _ in batch], answer=[g for _, g in batch])
        assert len(scores) == len(batch)
        assert all(score in (0.0, 1.0, None) for score in scores), scores

    run()
