"""Math answer equivalence, category by category (GUIDE.md §1), with rlvr's documented policies."""

from __future__ import annotations

import pytest

from rlvr.verifiers.math import MathPolicy, check_answer

# (id, gold, answer, expected score)
CASES: list[tuple[str, str, str, float]] = [
    # integers, signs, leading zeros, exactness
    ("int-same", "72", "72", 1.0),
    ("int-leading-zeros", "25", "025", 1.0),
    ("int-plus-sign", "5", "+5", 1.0),
    ("int-negative", "-9", "-9", 1.0),
    ("int-sign-flip", "-9", "9", 0.0),
    ("int-off-by-one-large", "10001", "10000", 0.0),
    ("int-off-by-one-huge", "123456789012345678901234567890", "123456789012345678901234567891", 0.0),
    ("int-big-exact", "123456789012345678901234567890", "123456789012345678901234567890", 1.0),
    ("int-as-decimal", "10", "10.0", 1.0),
    # thousands separators
    ("thousands-commas", "7425000", "7,425,000", 1.0),
    ("thousands-brace-comma", "14916", "14{,}916", 1.0),
    ("thousands-neg-space", "10000", "10,\\!000", 1.0),
    ("thousands-gold-side", "900,\\!000,\\!000", "900000000", 1.0),
    ("thousands-wrong-grouping", "1000", "10,00", 0.0),
    # decimals and trailing zeros, precision stated by the gold
    ("decimal-trailing-zero", "3.5", "3.50", 1.0),
    ("decimal-leading-dot", "0.35625", ".35625", 1.0),
    ("decimal-gold-precision-fraction", "0.33", "\\frac{1}{3}", 1.0),
    ("decimal-gold-precision-miss", "3.5", "3.6", 0.0),
    ("decimal-tiny-gold", ".0000672", "6.72\\times10^{-5}", 1.0),
    # fraction <-> decimal, fractions in every spelling
    ("frac-decimal", "\\frac{1}{2}", "0.5", 1.0),
    ("frac-dfrac", "\\frac{3}{4}", "\\dfrac{3}{4}", 1.0),
    ("frac-tfrac-short", "\\frac{3}{4}", "\\tfrac34", 1.0),
    ("frac-slash", "\\frac{3}{4}", "3/4", 1.0),
    ("frac-unreduced", "\\frac{1}{2}", "\\frac{14}{28}", 1.0),
    ("frac-negative-placement", "-\\frac{3}{4}", "\\frac{-3}{4}", 1.0),
    ("frac-exact-vs-approx", "\\frac{1}{3}", "0.333", 0.0),
    ("frac-wrong", "\\frac{3}{8}", "\\frac{1}{4}", 0.0),
    # tiny values: exact, never rounded together
    ("tiny-distinct", "\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}", 0.0),
    ("tiny-same", "\\frac{1}{2^{99}}", "2^{-99}", 1.0),
    # percentages without x100 tricks
    ("percent-sign-dropped", "50\\%", "50", 1.0),
    ("percent-sign-added", "50", "50\\%", 1.0),
    ("percent-x100-trick", "50\\%", "0.5", 0.0),
    ("percent-div100-trick", "0.5", "50\\%", 0.0),
    # units and currency
    ("units-text", "100", "100\\text{ square units}", 1.0),
    ("units-dollar-gold", "\\$6", "6", 1.0),
    ("units-dollar-pred", "6", "\\$6.00", 1.0),
    ("units-word", "28", "28 meters", 1.0),
    ("units-not-algebra", "4t", "4", 0.0),
    # scientific notation
    ("sci-times", "300000", "3\\times10^{5}", 1.0),
    ("sci-e", "300000", "3e5", 1.0),
    ("sci-cdot", "300000", "3\\cdot 10^5", 1.0),
    # mixed numbers
    ("mixed", "\\frac{31}{4}", "7\\frac{3}{4}", 1.0),
    ("mixed-wrong", "\\frac{31}{4}", "7\\frac{1}{4}", 0.0),
    # roots and rationalised forms
    ("root-rewrite", "2\\sqrt{3}", "\\sqrt{12}", 1.0),
    ("root-rationalised", "\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", 1.0),
    ("root-wrong", "2\\sqrt{3}", "\\sqrt{13}", 0.0),
    ("root-approximation", "\\sqrt{2}", "1.41421356", 0.0),
    # pi: no decimal approximations
    ("pi-rewrite", "288\\pi", "288 \\pi", 1.0),
    ("pi-approximation", "\\pi", "3.14159265", 0.0),
    ("pi-fraction", "\\frac{\\pi}{2}", "\\frac{1}{2}\\pi", 1.0),
    # intervals and unions: bracket types matter
    ("interval-same", "[2,5)", "[2, 5)", 1.0),
    ("interval-bracket", "[2,5)", "[2,5]", 0.0),
    ("interval-infinity", "(-\\infty,0]", "(-\\infty, 0]", 1.0),
    ("interval-union", "(-\\infty,1)\\cup(2,\\infty)", "(2,\\infty)\\cup(-\\infty,1)", 1.0),
    ("interval-union-wrong", "(-\\infty,1)\\cup(2,\\infty)", "(-\\infty,1]\\cup(2,\\infty)", 0.0),
    ("interval-symbolic", "(-\\sqrt{3}, \\sqrt{3})", "\\left(-\\sqrt{3},\\sqrt{3}\\right)", 1.0),
    # sets order-free, tuples ordered, set != tuple
    ("set-order-free", "\\{1,2\\}", "\\{2,1\\}", 1.0),
    ("set-vs-tuple", "\\{1,2\\}", "(1,2)", 0.0),
    ("set-missing", "\\{1,2,3\\}", "\\{1,2\\}", 0.0),
    ("list-order-free", "1,-2", "-2, 1", 1.0),
    ("list-vs-set", "1,-2", "\\{-2,1\\}", 1.0),
    ("tuple-ordered", "(6,31,-1)", "(6, 31, -1)", 1.0),
    ("tuple-swapped", "(6,31,-1)", "(31,6,-1)", 0.0),
    ("tuple-symbolic", "\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)", 1.0),
    ("empty-set", "\\emptyset", "\\varnothing", 1.0),
    # matrices and vectors
    ("matrix-same", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{bmatrix}1\\\\2\\end{bmatrix}", 1.0),
    ("matrix-wrong", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix}2\\\\1\\end{pmatrix}", 0.0),
    # equations and inequalities
    ("equation-assignment", "5", "x = 5", 1.0),
    ("equation-both-sides", "y=2x+3", "y = 3 + 2x", 1.0),
    ("inequality-interval", "x>3", "(3,\\infty)", 1.0),
    # multiple choice
    ("choice-letter", "\\text{(B)}", "B", 1.0),
    ("choice-parens", "B", "(B)", 1.0),
    ("choice-textbf", "(C)", "\\textbf{(C)}", 1.0),
    ("choice-wrong", "\\text{(B)}", "C", 0.0),
    ("choice-value-instead", "\\text{(B)}", "42", 0.0),
    # text answers
    ("text-same", "\\text{Evelyn}", "Evelyn", 1.0),
    ("text-case", "\\text{Monday}", "\\text{monday}", 1.0),
    ("text-different", "\\text{Evelyn}", "Emily", 0.0),
    # degrees
    ("degrees-circ", "30", "30^\\circ", 1.0),
    ("degrees-unicode", "30^\\circ", "30°", 1.0),
    # infinity
    ("infinity", "\\infty", "∞", 1.0),
    # complex numbers
    ("complex-same", "6-5i", "6 - 5i", 1.0),
    ("complex-reordered", "6-5i", "-5i+6", 1.0),
    ("complex-wrong", "6-5i", "6+5i", 0.0),
    # multiple answers and \pm
    ("pm", "1\\pm\\sqrt{2}", "1+\\sqrt{2}, 1-\\sqrt{2}", 1.0),
    # symbolic expressions
    ("symbolic-commuted", "p - q", "-q + p", 1.0),
    ("symbolic-wrong", "p - q", "q - p", 0.0),
    ("symbolic-factored", "x^2-1", "(x-1)(x+1)", 1.0),
    # polynomials in single-letter variables, read exactly without sympy
    ("poly-commuted", "8n^2+4n+1", "1+4n+8n^2", 1.0),
    ("poly-wrong", "8n^2+4n+1", "8n^2+4n+2", 0.0),
    ("poly-product", "(a+5)(b+2)", "ab+2a+5b+10", 1.0),
    ("poly-fraction", "\\frac{11+9a}{20}", "(11+9a)/20", 1.0),
    ("irrational-vs-rational-arithmetic", "16\\sqrt{3}", "16\\sqrt{4}", 0.0),
    ("membership-interval", "x\\in[-2,7]", "[-2, 7]", 1.0),
    ("relation-two-sided", "-1\\le x<2", "[-1,2)", 1.0),
    ("relation-wrong-bracket", "x\\ge0", "(0,\\infty)", 0.0),
    ("matrix-vs-tuple", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", "(1,2)", 0.0),
    (
        "matrix-2x2",
        "\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}",
        "\\begin{bmatrix}-1&0\\\\0&-1\\end{bmatrix}",
        1.0,
    ),
    ("pm-set", "\\{1\\pm\\sqrt{5},-2\\}", "\\{-2,1+\\sqrt{5},1-\\sqrt{5}\\}", 1.0),
    ("pm-missing-root", "1\\pm\\sqrt{19}", "1+\\sqrt{19}", 0.0),
    ("frac-short-denominator", "\\frac9{19}", "\\frac{18}{38}", 1.0),
    # base subscripts are digits in that base, not a value to convert
    ("base-braces", "204_5", "204_{5}", 1.0),
    ("base-converted-is-wrong", "204_5", "54", 0.0),
    # Unicode and LaTeX spacing
    ("unicode-sqrt", "\\sqrt{3}", "√3", 1.0),
    ("unicode-minus", "-5", "−5", 1.0),
    ("unicode-times", "3\\times10^{5}", "3×10^{5}", 1.0),
    ("spacing-commands", "\\frac{1}{2}", "\\frac{1}{2}\\,", 1.0),
    ("spacing-left-right", "(1,2)", "\\left( 1 ,\\ 2 \\right)", 1.0),
    # division by zero is never a value (sympy's nan/zoo must not compare equal to anything)
    ("div-zero-surd", "\\sqrt{2}", "\\frac{\\sqrt{2}}{0}", 0.0),
    ("div-zero-pi", "\\pi", "\\frac{\\pi}{0}", 0.0),
    ("div-zero-rational", "1", "0/0", 0.0),
    ("div-zero-function", "\\cot x", "\\frac{\\cot x}{0}", 0.0),
    # unevaluated arithmetic in place of a number: not the value (documented policy)
    ("arith-plus-zero", "14", "14+0", 0.0),
    ("arith-product", "56088", "123\\cdot456", 0.0),
    ("arith-power", "1024", "2^{10}", 0.0),
    ("arith-sqrt", "2", "\\sqrt{4}", 0.0),
    # groups of assignments to the same names, ";" between groups, are tuples
    ("assignment-groups", "p=5,q=2;p=7,q=2", "(5,2),(7,2)", 1.0),
    ("assignment-groups-reversed", "(5,2),(7,2)", "p=5,q=2;p=7,q=2", 1.0),
    ("assignment-groups-wrong", "p=5,q=2;p=7,q=2", "(5,2),(7,3)", 0.0),
    ("assignment-groups-swapped", "p=5,q=2;p=7,q=2", "(2,5),(2,7)", 0.0),
    ("assignment-groups-other-names", "p=5,q=2;r=7,q=2", "(5,2),(7,2)", 0.0),
]


@pytest.mark.parametrize(("gold", "answer", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_category(gold: str, answer: str, expected: float) -> None:
    verdict = check_answer(gold, answer)
    assert verdict.score == expected, verdict
    if expected == 0.0:
        assert verdict.reason, "a rejection says why"


def test_decimal_approximation_option() -> None:
    lenient = MathPolicy(allow_decimal_approximation=True)
    assert check_answer("\\frac{1}{3}", "0.333", policy=lenient).score == 1.0
    assert check_answer("\\frac{1}{3}", "0.3", policy=lenient).score == 1.0  # half a unit of 0.3's digit
    assert check_answer("\\frac{1}{3}", "0.4", policy=lenient).score == 0.0
    assert check_answer("\\sqrt{2}", "1.41421356", policy=lenient).score == 1.0


@pytest.mark.parametrize("gold", ["\\frac{", "\\sqrt{", "((1,2)"])
def test_gold_that_does_not_parse_is_unjudged(gold: str) -> None:
    verdict = check_answer(gold, "1")
    assert verdict.score is None and "gold" in verdict.reason


def test_answer_that_does_not_parse_is_zero() -> None:
    verdict = check_answer("2\\sqrt{3}", "\\sqrt{")
    assert verdict.score == 0.0 and "parse" in verdict.reason
