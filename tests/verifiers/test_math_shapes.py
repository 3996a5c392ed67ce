"""The shapes of real model output that issue 12 found rlvr missing or mis-scoring, one table per kind.

The rows expected to pass (and the gold readings) failed before the fix (checked against the commit before
it), except the guards that keep a new refusal off real outputs (``box-context-*``, ``answer-tags-agree``,
``context-over``, ``paren-context``, ``paren-rules-out``, ``confirmed``, the last-box gold readings); the
rows expected to fail are the near misses and hacks that guard each rule. Each rule also has a hypothesis
property in ``tests/testing`` (stated answers and hacks).
"""

from __future__ import annotations

import pytest

from rlvr.verifiers.math import check_answer, check_completion, gold_answer
from rlvr.verifiers.math.judge import prepare_answer, read_gold

# (id, completion, gold, fallback, expected score)
MARKERS = [
    (
        "heading-answer",
        "Steps.\n\nSo the side is found.\n\n# Answer\n\n5\\sqrt{2}",
        "5\\sqrt{2}",
        "none",
        1.0,
    ),
    ("heading-final-answer", "Adding up.\n\n## Final Answer\n\n17", "17", "none", 1.0),
    ("heading-math", "Steps.\n\n### Answer\n$\\frac{2}{7}$", "\\frac{2}{7}", "none", 1.0),
    ("bold-number", "So the total is 64, and the answer is **64**.", "64", "none", 1.0),
    ("bold-name", "Carlos won, so the answer is **Carlos**.", "\\text{Carlos}", "none", 1.0),
    ("bold-label", "Counting them all gives twelve.\n\n**Answer:** 12", "12", "none", 1.0),
    ("textbf-label", "Counting them all.\n\n\\textbf{Answer:} 12", "12", "none", 1.0),
    ("textbf-heading", "Work.\n\n\\textbf{Final Answer}\n\n$\\frac{2}{5}$", "\\frac{2}{5}", "none", 1.0),
    ("textbf-label-hedged", "\\textbf{Answer:} probably 12", "12", "none", 0.0),
    ("heading-wrong", "Steps.\n\n# Answer\n\n5\\sqrt{3}", "5\\sqrt{2}", "none", 0.0),
    ("box-leaves-math", "It lies between $\\boxed{12 $ and $13}$.", "12 \\text{ and } 13", "none", 1.0),
    ("box-leaves-math-one", "It lies between $\\boxed{12 $ and $13}$.", "12", "none", 0.0),
    (
        "article-number-word",
        "Here is a zero matrix: $\\begin{pmatrix}0\\\\0\\end{pmatrix}$",
        "\\begin{pmatrix}0\\\\0\\end{pmatrix}",
        "none",
        1.0,
    ),
    ("box-hedged-before", "It is probably $\\boxed{5}$.", "5", "none", 0.0),
    ("box-question", "Is it $\\boxed{5}$?", "5", "none", 0.0),
    ("box-then-alternative", "Hence $\\boxed{5}$. Or maybe $6$.", "5", "none", 0.0),
    (
        "box-context-condition",
        "Jen will earn $\\boxed{34}$ dollars if she sells everything.",
        "34",
        "none",
        1.0,
    ),
    ("box-context-could", "Polly could stand $\\boxed{200}$ feet away.", "200", "none", 1.0),
    ("box-context-or", "The count of factors of 34 or multiples of 7 is \\(\\boxed{6}\\).", "6", "none", 1.0),
    ("answer-tags-differ", "<answer>6</answer>\n<answer>5</answer>", "5", "none", 0.0),
    ("answer-tags-agree", "<answer>5</answer> Check: <answer>$5$</answer>", "5", "none", 1.0),
    ("last-number-ends-list", "The candidates are 3, 4, 5", "5", "last_number", 0.0),
    ("last-number-after-or", "It has to be 4 or 5", "5", "last_number", 0.0),
    ("gold-word-neither", "So $f$ is \\boxed{\\text{neither}}.", "\\text{neither}", "none", 1.0),
    ("gold-word-hedged", "The answer is maybe neither.", "\\text{neither}", "none", 0.0),
    ("gold-word-either", "The answer is even or neither.", "\\text{neither}", "none", 0.0),
]
SENTENCES = [
    ("units-mb", "The answer is 350 MB.", "350", "last_number", 1.0),
    ("units-kittens", "The answer is 14 kittens.", "14", "last_number", 1.0),
    ("whole-sentence", "The answer is Omar walks 6 miles during his two-hour hike.", "6", "last_number", 1.0),
    ("possessive", "Answer: Lena's savings are $45", "45", "last_number", 1.0),
    ("chain", "The answer is 90 cm - 30 cm = 60 cm.", "60", "last_number", 1.0),
    ("equals-word", "So the answer is: y equals 12", "12", "none", 1.0),
    ("value-of", "The answer is that the value of n is 8.", "8", "none", 1.0),
    ("named-subject", "Final Answer: The smallest $k$ is 7.", "7", "none", 1.0),
    ("alternative", "The answer is 5 or 6 apples.", "5", "last_number", 0.0),
    ("approximately", "The answer is approximately 12.", "12", "last_number", 0.0),
    ("million", "The answer is 3 million.", "3", "last_number", 0.0),
    ("dozen", "The answer is three dozen.", "3", "last_number", 0.0),
    ("negation", "The answer is not 4.", "4", "last_number", 0.0),
    ("range", "The answer is between 2 and 3.", "2", "last_number", 0.0),
    ("two-values", "The answer is 4 apples and 5 pears.", "4", "last_number", 0.0),
    ("bound-before", "Answer: under 5", "5", "last_number", 0.0),
    ("bound-over", "Answer: over 20", "20", "last_number", 0.0),
    ("context-over", "Answer: She ran 10 miles over 5 days.", "10", "last_number", 1.0),
    ("something-like", "Answer: something like 5", "5", "last_number", 0.0),
    ("paren-approx", "Answer: 5 (approx.)", "5", "last_number", 0.0),
    ("paren-condition", "The answer is 5 (6 if we count zero).", "5", "last_number", 0.0),
    ("paren-context", "The answer is 30 apples (10 for Jenna and 20 for her mom).", "30", "none", 1.0),
    ("paren-rules-out", "The answer is $5$ (not 6).", "5", "none", 1.0),
    ("disowned", "The answer is 2. Wait, that is wrong.", "2", "none", 0.0),
    ("disowned-with-value", "The answer is 2. Wait, that is wrong: it is 3.", "2", "none", 0.0),
    ("confirmed", "The answer is 2. Wait, no: 2 is correct.", "2", "none", 1.0),
    ("infinity-word", "The answer is negative infinity.", "-\\infty", "none", 1.0),
    ("infinity-negated", "The answer is not infinity.", "\\infty", "none", 0.0),
    ("choice-with-text", "The answer is B. 5 apples.", "\\text{(B)}", "none", 1.0),
    ("choice-with-paren", "Answer: B) 5", "B", "none", 1.0),
    ("choice-two-options", "Answer: B) 5 C) 6", "B", "none", 0.0),
    ("chat-token-after-marker", "The answer is 5.<|im_end|>", "5", "none", 1.0),
    ("deepseek-eos", "So the answer is $5$.<｜end▁of▁sentence｜>", "5", "none", 1.0),
    ("padded-sentence", "Maybe 7" + " " * 1000 + "5", "5", "none", 0.0),
    ("padded-list-end", "1," + " " * 7000 + "and 5", "5", "last_number", 0.0),
    ("abbreviation", "Answer:\nMr. Tan's net proceeds from the sale are $118,000.", "118000", "none", 1.0),
    ("passive-subject", "Answer: 3 trucks are needed to move 80 flagstones.", "3", "last_number", 1.0),
    ("gerund-context", "Answer: Vincent saves $6 by buying 18 flowers.", "6", "last_number", 1.0),
    ("of-the-context", "Answer: Each of the three friends paid $34.00.", "34", "last_number", 1.0),
    ("negation-of-subject", "Answer: 120 pounds of carrots will not be used.", "120", "last_number", 1.0),
    ("negation-disowns", "Answer: 5 will not be the result.", "5", "last_number", 0.0),
    ("same-value-each", "Answer:\nNick: 6 guns\nRichard: 6 guns", "6", "last_number", 1.0),
    ("no-then-value", "The answer is 5. No. 6 is right.", "5", "none", 0.0),
    ("doubt-after", "The answer is 5. I am not sure, though.", "5", "none", 0.0),
    ("doubt-after-box", "The answer is $\\boxed{5}$. I could be wrong.", "5", "none", 0.0),
    ("choice-option-phrase", "The correct option is C.", "C", "none", 1.0),
    ("choice-option-word", "The correct answer is option C.", "\\text{(C)}", "none", 1.0),
    ("choice-i-choose", "I choose B.", "B", "none", 1.0),
    ("conclusion-clause", "He is 32 now, so he will be 36 years old in 4 years.", "36", "last_number", 1.0),
    ("conclusion-clause-hedged", "It is 5, so maybe 6.", "6", "last_number", 0.0),
    ("work-in-parentheses", "She earns 9 * 2 = 18 dollars.\nSo the answer is 18 (9 * 2).", "18", "none", 1.0),
    ("work-in-parentheses-thousands", "The answer is 1,200 (400 \\times 3).", "1200", "none", 1.0),
    ("work-in-parentheses-differs", "So the answer is 18 (9 * 3).", "18", "none", 0.0),
    ("chain-slip-sentence", "The total is 3 + 4 + 5 = 13 = 12 apples.", "12", "none", 1.0),
    ("chain-enumerated", "The answer is 6 = 7 = 8.", "8", "none", 0.0),
    ("choice-leading", "A. Because B is not valid.", "A", "none", 1.0),
    ("choice-options-listed", "A. yes\nB. no\nC. maybe", "A", "none", 0.0),
    ("choice-two-phrases", "The correct option is C. I choose D.", "C", "none", 0.0),
    ("zero-width", "The ans\u200bwer is $1\u200b0$.", "10", "none", 1.0),
]
LISTS = [
    ("text-and", "\\boxed{4 \\text{ and } -1}", "4,-1", "none", 1.0),
    ("x-or-x", "The solutions are x = 4 or x = -1.", "4,-1", "none", 1.0),
    ("semicolons", "\\boxed{-3; -2}", "-3,-2", "none", 1.0),
    ("named-tuple", "\\boxed{(a, b) = (2, 9)}", "(2,9)", "none", 1.0),
    ("boxed-parts", "The points are \\boxed{(1,3)} and \\boxed{(5,3)}.", "(1,3),(5,3)", "none", 1.0),
    ("point-in-prose", "The answer is the point (3, -4).", "(3,-4)", "none", 1.0),
    ("interval-in-prose", "So the answer is the interval [2, 5).", "[2,5)", "none", 1.0),
    ("points-in-prose", "The solutions are (1, 2) and (3, 4).", "(1,2),(3,4)", "none", 1.0),
    ("interval-wrong-bracket", "So the answer is the interval [2, 5].", "[2,5)", "none", 0.0),
    ("point-and-number", "The answer is 6 (3, 4).", "(3,4)", "none", 0.0),
    ("hedge-for-one", "It is \\boxed{4} or \\boxed{-1}.", "4", "none", 0.0),
    ("list-for-one", "x = 4 or x = -1", "4", "none", 0.0),
    ("named-values", "\\boxed{x=4, y=-1}", "(4,-1)", "none", 1.0),
    ("named-values-three", "So $\\boxed{a=2, b=3, c=5}$.", "(2,3,5)", "none", 1.0),
    ("named-values-swapped", "\\boxed{x=-1, y=4}", "(4,-1)", "none", 0.0),
    ("named-values-out-of-order", "\\boxed{y=-1, x=4}", "(4,-1)", "none", 0.0),
]
VALUES = [
    ("overline", "0.\\overline{6}", "\\frac{2}{3}", 1.0),
    ("overline-after-digit", "0.1\\overline{6}", "\\frac{1}{6}", 1.0),
    ("ellipsis", "0.777\\ldots", "\\frac{7}{9}", 1.0),
    ("truncated-is-not-exact", "0.777", "\\frac{7}{9}", 0.0),
    ("number-word", "seven", "7", 1.0),
    ("number-words-hyphen", "thirty-two", "32", 1.0),
    ("percent-word", "45 percent", "45\\%", 1.0),
    ("pct", "45 pct", "45\\%", 1.0),
    ("unit-gb", "3 GB", "3", 1.0),
    ("unit-phrase", "12 boxes of cereal", "12", 1.0),
    ("textnormal-unit", "8\\textnormal{ m}", "8", 1.0),
    ("reals", "\\mathbb{R}", "(-\\infty,\\infty)", 1.0),
    (
        "array-matrix",
        "\\left[\\begin{array}{cc}1 & 0 \\\\ 2 & 5\\end{array}\\right]",
        "\\begin{pmatrix}1&0\\\\2&5\\end{pmatrix}",
        1.0,
    ),
    (
        "scalar-matrix",
        "\\frac{1}{2}\\begin{pmatrix}2\\\\4\\end{pmatrix}",
        "\\begin{pmatrix}1\\\\2\\end{pmatrix}",
        1.0,
    ),
    (
        "negated-matrix",
        "-\\begin{pmatrix}1\\\\-2\\end{pmatrix}",
        "\\begin{pmatrix}-1\\\\2\\end{pmatrix}",
        1.0,
    ),
    (
        "scalar-matrix-wrong",
        "2\\begin{pmatrix}1\\\\2\\end{pmatrix}",
        "\\begin{pmatrix}1\\\\2\\end{pmatrix}",
        0.0,
    ),
    ("pi-with-unit", "6\\pi \\text{ meters per second}", "6\\pi", 1.0),
    ("line-two-ways", "2x - y + 1 = 0", "y = 2x+1", 1.0),
    ("line-other", "2x - y + 2 = 0", "y = 2x+1", 0.0),
    ("unsolved-for-value", "2x = 10", "x = 5", 0.0),
    ("chain-slip-forgiven", "y = 4+4+2 = 9 = 10", "10", 1.0),
    ("chain-slip-product", "3 \\cdot (2+5) = 20 = 21", "21", 1.0),
    ("chain-slip-not-the-middle", "y = 4+4+2 = 9 = 10", "9", 0.0),
    ("chain-without-work", "y = 9 = 10", "10", 0.0),
    ("chain-from-a-number", "10 = 9 = 10", "10", 0.0),
    ("chain-work-disagrees", "2+3 = 4 = 6", "6", 0.0),
    ("units-comma-no-space", "\\{12 cm,5\\}", "12, 5", 1.0),
    ("units-comma-braces", "{12 cm,5}", "12, 5", 1.0),
    ("units-thousands-kept", "1,200 cm", "1200", 1.0),
    ("units-in-a-tuple", "(3\\text{ cm}, 4\\text{ cm})", "(3,4)", 1.0),
    ("units-in-a-set", "\\{3\\text{ cm}, 4\\text{ cm}\\}", "3, 4", 1.0),
    ("units-in-a-tuple-swapped", "(4\\text{ cm}, 3\\text{ cm})", "(3,4)", 0.0),
]
BUGS = [
    ("times-differ", "5:00", "2:00", 0.0),
    ("division-by-zero", "\\frac{2}{0}", "\\frac{7}{0}", 0.0),
    ("leading-zero-group", "0,250", "250", 0.0),
    ("comma-then-space", "41, 207", "41207", 0.0),
    ("braced-comma-spaced", "27 {, }480", "27480", 1.0),
]


@pytest.mark.parametrize(
    ("completion", "gold", "fallback", "expected"),
    [row[1:] for row in MARKERS + SENTENCES + LISTS],
    ids=[row[0] for row in MARKERS + SENTENCES + LISTS],
)
def test_completion_shapes(completion: str, gold: str, fallback: str, expected: float) -> None:
    verdict = check_completion(completion, gold, fallback=fallback)  # type: ignore[arg-type]
    assert verdict.score == expected, verdict
    if expected == 0.0:
        assert verdict.reason


@pytest.mark.parametrize(
    ("answer", "gold", "expected"), [row[1:] for row in VALUES + BUGS], ids=[row[0] for row in VALUES + BUGS]
)
def test_answer_shapes(answer: str, gold: str, expected: float) -> None:
    assert check_answer(gold, answer).score == expected
    assert check_completion(f"So \\boxed{{{answer}}}.", gold).score == expected


def test_a_sentence_without_a_value_is_no_answer_not_a_hedge() -> None:
    assert check_completion("I am not sure.", "5").reason == "no final answer found"
    assert (
        check_completion("x = 5. Thus it might be the larger one.", "5", fallback="last_number").score == 0.0
    )


def test_prose_never_reaches_sympy() -> None:
    prepared = prepare_answer(read_gold("\\cot x"), "the cotangent of the angle between the two lines")
    assert prepared.job is None and prepared.verdict is not None and prepared.verdict.score == 0.0


@pytest.mark.parametrize(
    ("solution", "gold"),
    [
        ("Factoring, $x = \\boxed{3}$ or $x = \\boxed{-5}$.", "3, -5"),
        ("So $y=\\boxed{2}$, and the only solution is $\\boxed{2}$.", "2"),
        ("First $\\boxed{\\frac{1}{2}}$ as a check. Thus the sum is $\\boxed{9}$.", "9"),
        ("Either point works: $\\boxed{(1,2)}$ and $\\boxed{(3,4)}$ are both accepted.", "(3,4)"),
        ("Thus \\boxed{x = 1 \\text{ and } x = -1", "x = 1 \\text{ and } x = -1"),
        ("We need \\boxed{1} paper and \\boxed{2} bins.", "1, 2"),
        ("The area is \\boxed{6}, so the perimeter is \\boxed{12}.", "12"),
        ("$(11,7)or(7,11)$", "(11,7), (7,11)"),
        (
            "It loses 10% and then 20% of what is left, 28% of the start. " * 2
            + "The final answer is $28\\%$.",
            "28\\%",
        ),
    ],
)
def test_golds_box_several_answers(solution: str, gold: str) -> None:
    assert gold_answer(solution) == gold


def test_multi_box_gold_is_compared_exactly() -> None:
    solution = "Factoring, $x = \\boxed{3}$ or $x = \\boxed{-5}$."
    assert check_completion("\\boxed{-5, 3}", solution).score == 1.0
    assert check_completion("The roots are \\boxed{3} and \\boxed{-5}.", solution).score == 1.0
    assert check_completion("\\boxed{3}", solution).score == 0.0
