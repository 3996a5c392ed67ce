"""Final-answer extraction: markers, priorities, think blocks, caps and hostile shapes."""

from __future__ import annotations

import pytest

from rlvr.verifiers.math.extract import MAX_ANSWER_CHARS, extract_answer, find_boxed
from rlvr.verifiers.math.judge import gold_answer

# (id, completion, fallback, expected candidates)
CASES: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("boxed", "so $\\boxed{42}$.", "none", ("42",)),
    ("boxed-nested", "\\boxed{\\frac{1}{\\sqrt{2}}}", "none", ("\\frac{1}{\\sqrt{2}}",)),
    ("boxed-escaped-braces", "\\boxed{\\{1,2\\}}", "none", ("\\{1,2\\}",)),
    ("fbox", "\\fbox{7}", "none", ("7",)),
    ("boxed-space-token", "\\boxed 5 is it", "none", ("5",)),
    ("boxed-repeated-same", "first \\boxed{3}, again \\boxed{3}", "none", ("3",)),
    ("boxed-different", "\\boxed{3} or \\boxed{4}", "none", ("3", "4")),
    ("boxed-unclosed", "\\boxed{4", "none", ()),
    ("boxed-empty", "\\boxed{}", "none", ()),
    ("boxed-phantom-blank", "fill in $\\boxed{\\phantom{2}}$ ... \\boxed{4}", "none", ("4",)),
    ("boxed-beats-phrase", "The answer is 3. \\boxed{4}", "none", ("4",)),
    ("after-think-only", "<think>\\boxed{1}</think> so \\boxed{2}", "none", ("2",)),
    ("unclosed-think", "<think>\\boxed{1}", "none", ()),
    ("answer-tag", "<think>x</think><answer> 12 </answer>", "none", ("12",)),
    ("final-answer-phrase", "Thus the final answer is $\\frac{1}{2}$.", "none", ("\\frac{1}{2}",)),
    ("the-answer-is", "So the answer is 17. Done.", "none", ("17",)),
    ("answer-label", "Answer: 9", "none", ("9",)),
    ("answer-label-bold", "**Answer:** 9", "none", ("9",)),
    ("answer-label-bold-inside", "**Final Answer:** $-3$", "none", ("-3",)),
    ("gsm8k", "She sold 72.\n#### 72", "none", ("72",)),
    ("bold", "The total is **18**", "none", ("18",)),
    ("no-marker", "I think 18", "none", ()),
    ("last-number", "She has 18 now, and 19 tomorrow", "last_number", ("19",)),
    ("last-number-hedged", "I think 18 or so, maybe 19", "last_number", ()),
    ("last-number-negative-decimal", "it drops to -3.5", "last_number", ("-3.5",)),
    ("last-number-thousands", "costs 7,425,000 dollars", "last_number", ("7,425,000",)),
    ("last-number-output-block", "```output\n16.0\n```\n16 people, horse #12", "last_number", ("16.0",)),
    ("last-number-none", "no digits here", "last_number", ()),
]


@pytest.mark.parametrize(
    ("completion", "fallback", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_extraction(completion: str, fallback: str, expected: tuple[str, ...]) -> None:
    extraction = extract_answer(completion, fallback=fallback)  # type: ignore[arg-type]
    assert extraction.candidates == expected
    if not expected:
        assert extraction.reason


def test_only_the_tail_is_searched() -> None:
    early = "\\boxed{1}" + "x" * (MAX_ANSWER_CHARS + 10)
    assert not extract_answer(early).found
    assert extract_answer("x" * 1_000_000 + "\\boxed{2}").candidates == ("2",)


def test_too_many_candidates_is_no_answer() -> None:
    spray = " ".join(f"\\boxed{{{n}}}" for n in range(20))
    extraction = extract_answer(spray)
    assert not extraction.found and "different boxed answers" in extraction.reason


def test_find_boxed_is_linear_on_hostile_shapes() -> None:
    assert find_boxed("\\boxed{" * 20_000) == ([], 1)
    assert find_boxed("\\boxed{" + "{" * 50_000 + "}" * 50_000 + "}")[0][0].startswith("{{")


def test_bad_fallback_is_an_error() -> None:
    with pytest.raises(ValueError, match="fallback"):
        extract_answer("1", fallback="first_number")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("72", "72"),
        ("\\frac{1}{2}", "\\frac{1}{2}"),
        ("[2,5)", "[2,5)"),
        ("\\text{(B)}", "\\text{(B)}"),
        ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", "72"),
        ("Hence $\\boxed{3}$ is not it; the area is $\\boxed{\\frac{9}{2}}$.", "\\frac{9}{2}"),
        ("$\\sqrt{2}$", "\\sqrt{2}"),
        (27.0, "27"),
        (204, "204"),
        ("", None),
        (None, None),
        (["4"], None),
    ],
)
def test_gold_answer(raw: object, expected: str | None) -> None:
    assert gold_answer(raw) == expected


# What follows the last box: (id, completion, expected candidates, a word of the reason when none)
AFTER_THE_BOX: list[tuple[str, str, tuple[str, ...], str]] = [
    ("alternative-in-parentheses", "Adding them: $\\boxed{5}$ (or 6).", ("5", "6"), ""),
    ("alternative-clause", "So it is \\boxed{5}, or possibly \\(6\\).", (), "followed by another"),
    ("conditional-alternative", "Thus $\\boxed{5}$ (if the die is fair; if not, 6).", (), "qualified"),
    ("conditional-alternative-clause", "Thus $\\boxed{5}$; if not, 6.", ("5", "6"), ""),
    ("assumption", "\\boxed{5} (assuming x > 0)", (), "qualified"),
    ("approximation-restated", "\\boxed{\\frac{5}{12}} (about 41.7%)", ("\\frac{5}{12}",), ""),
    ("doubt-in-sentence", "The answer is \\boxed{5}, but I'm not confident.", (), "doubted"),
    ("confidence", "\\boxed{5}\n\nConfidence: 40%", (), "doubted"),
    ("disowned-next-line", "\\boxed{5}\n\nThat is incorrect.", (), "doubted"),
    ("guess-label", "My guess: \\boxed{5}", (), "hedged"),
    ("guess-noun", "The average guess is $\\boxed{80}$.", ("80",), ""),
    ("restated-equivalently", "So \\boxed{\\frac12}, or equivalently $0.5$.", ("\\frac12", "0.5"), ""),
    ("same-value-again", "She has \\boxed{12} (or 12 apples).", ("12",), ""),
    ("or-inside-context", "There are $\\boxed{3}$ solutions (for x = 1, 2 or 4).", ("3",), ""),
    ("values-ruled-out", "so $n = \\boxed{7}$ is the smallest, not 8 or 9.", ("7",), ""),
    ("disowned", "A first count gives \\boxed{10} is wrong. The answer is 12.", (), "disowned"),
    ("disowned-which", "An estimate is $\\boxed{10}$, which would be incorrect", (), "disowned"),
    ("another-real-answer", "\\boxed{10} is a naive count, but the real answer is 12.", (), "differ"),
    ("negated", "The answer is not \\boxed{5}.", (), "negated"),
    ("negated-contraction", "It isn't $\\boxed{5}$.", (), "negated"),
    ("taken-back-next-line", "\\boxed{5}\nWait, actually it is 6.", (), "taken back"),
    ("taken-back-next-paragraph", "\\boxed{5}.\n\nBut wait, I erred; redoing it gives 6.", (), "taken back"),
    ("doubt-next-line", "\\boxed{5}\n\nHmm, or maybe 7?", (), "taken back"),
    ("verified-next-line", "$\\boxed{5}$\n\nWait, let me double-check: 2 + 3 = 5. Yes.", ("5",), ""),
    ("marker-taken-back-next-line", "The answer is 5\n\nWait, actually it is 6.", (), "revised"),
    ("marker-alternative-in-parentheses", "The answer is 5 (though 6 is also possible).", (), "though"),
    ("alternative-later", "So \\boxed{12}.\n\n(Alternatively 13.)", (), "alternatively 13"),
    ("could-also-be-later", "\\boxed{12}\n\nNote: the answer could also be 13.", (), "could also be 13"),
    ("also-correct-later", "The answer is 12.\n\nNote that 13 is also correct.", (), "13 is also correct"),
    ("other-method", "So \\boxed{10}.\n\nAlternatively, each multiple of 6 is one of 3.", ("10",), ""),
    ("same-value-later", "\\boxed{12}\n\nNote: this could also be written as 12.0.", ("12",), ""),
    ("alternative-in-footnote", "\\boxed{5}\\footnote{or 6}", ("5", "6"), ""),
]


@pytest.mark.parametrize(
    ("completion", "expected", "reason"), [c[1:] for c in AFTER_THE_BOX], ids=[c[0] for c in AFTER_THE_BOX]
)
def test_what_follows_the_answer_counts(completion: str, expected: tuple[str, ...], reason: str) -> None:
    extraction = extract_answer(completion)
    assert extraction.candidates == expected, extraction
    assert reason in extraction.reason
