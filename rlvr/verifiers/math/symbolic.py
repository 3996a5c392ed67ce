"""The symbolic path: sympy (through math-verify's LaTeX parser) for what the fast path cannot read.

This module runs inside executor workers, under the executor's hard deadline: parsing LaTeX and
simplifying can take arbitrarily long on hostile input (a tower of powers), and only a worker can be
killed safely. Nothing here calls ``signal.alarm`` (math-verify's own timeouts are switched off), and no
sympy object is ever turned into a string outside this module: results are plain :class:`Verdict`s.

On top of math-verify's ``verify`` it enforces rlvr's policies where math-verify is lenient:

- the kind of answer must match: a set is not a tuple or an interval, a scalar is not a list;
- exact numbers compare exactly (math-verify rounds to 6 decimals, so ``1/2^{99}`` equals ``1/2^{98}``
  there);
- a decimal approximation of an exact gold is rejected unless the policy allows it.
"""

from __future__ import annotations

import logging
from typing import Any

from rlvr.verifiers.math.compare import MathPolicy
from rlvr.verifiers.math.equations import ORDER_RELATIONS, stated_equations
from rlvr.verifiers.math.values import split_top_level
from rlvr.verifiers.verdict import Verdict

_NUMERIC_DIGITS = 60


def answer_shape(text: str) -> str:
    """The kind of a normalised answer by its outer form: scalar, list, set, tuple, interval, union, matrix.

    Example:
        >>> [answer_shape(s) for s in ("\\\\{1,2\\\\}", "(1,2)", "[1,2)", "1\\\\pm\\\\sqrt{2}")]
        ['set', 'tuple', 'interval', 'list']
    """
    if text.startswith("\\begin{") and "matrix" in text[:16]:
        return "matrix"
    if "\\cup" in text:
        return "union"
    if "\\pm" in text or "\\mp" in text:
        return "list"
    if any(op in text for op in ORDER_RELATIONS):
        return "relation"
    if text in ("\\emptyset", "\\{\\}") or (text.startswith("\\{") and text.endswith("\\}")):
        return "set"
    parts = split_top_level(text)
    if text[:1] in "([" and text[-1:] in ")]":
        inner = split_top_level(text[1:-1])
        if inner is not None and len(inner) >= 2:
            brackets = text[0] + text[-1]
            if brackets == "()" or (brackets == "[]" and len(inner) != 2):
                return "tuple"
            return "interval"
    if parts is not None and len(parts) >= 2:
        return "list"
    return "scalar"


_COMPATIBLE = {
    frozenset({"relation", "interval"}),  # "x > 3" is the interval (3, oo)
    frozenset({"relation", "tuple"}),  # ... which is also spelt "(3, \\infty)"
    frozenset({"relation", "union"}),
    frozenset({"set", "list"}),
    frozenset({"tuple", "list"}),
    frozenset({"tuple", "interval"}),  # "(a, b)" is both an ordered pair and an open interval
}


def shapes_compatible(gold: str, pred: str) -> bool:
    """True when answers of these two shapes may be equal.

    Example:
        >>> shapes_compatible("set", "tuple"), shapes_compatible("set", "list")
        (False, True)
    """
    return gold == pred or frozenset({gold, pred}) in _COMPATIBLE


def _to_latex(normalised: str) -> str:
    return "\\boxed{" + normalised.replace("%", "\\%") + "}"


def _parse(normalised: str) -> list[Any]:
    from latex2sympy2_extended.latex2sympy2 import NormalizationConfig
    from math_verify import LatexExtractionConfig, parse

    # Units off: math-verify's unit stripping turns "4t" and "3m" into 4 and 3. rlvr's own normaliser
    # strips units only where they cannot be algebra.
    config = LatexExtractionConfig(
        normalization_config=NormalizationConfig(
            basic_latex=True, units=False, malformed_operators=True, nits=True, boxed="all", equations=False
        )
    )
    return parse(_to_latex(normalised), extraction_config=[config], parsing_timeout=None)


def _has_float(expr: Any) -> bool:
    import sympy

    try:
        return bool(expr.atoms(sympy.Float))
    except AttributeError:
        return False


def _decimals_as_rationals(expr: Any) -> Any:
    """``expr`` with each float replaced by the exact value of its decimal digits (0.75 -> 3/4)."""
    import sympy

    try:
        return expr.xreplace({f: sympy.Rational(str(f)) for f in expr.atoms(sympy.Float)})
    except (AttributeError, TypeError, ValueError):
        return expr


def _exact_numbers_equal(gold: Any, pred: Any) -> bool | None:
    """Exact comparison of two constant sympy numbers; ``None`` when either is not one."""
    import sympy

    if not (isinstance(gold, sympy.Expr) and isinstance(pred, sympy.Expr)):
        return None
    if not (gold.is_number and pred.is_number) or _has_float(gold) or _has_float(pred):
        return None
    gold_value, pred_value = sympy.N(gold, 20), sympy.N(pred, 20)
    if gold_value.is_finite is not True or pred_value.is_finite is not True:
        # oo and -oo equal only themselves; zoo and nan (a division by zero) are not values: never equal
        infinities = (sympy.oo, -sympy.oo)
        return bool(gold_value in infinities and gold_value == pred_value)
    difference = gold - pred
    if difference.is_Rational:
        return bool(difference == 0)
    # Relative to the values themselves, never to 1: 1/2^{80} and 1/(2^{80}+1) differ by 1e-49.
    magnitude = max(abs(gold_value), abs(pred_value))
    numeric = abs(sympy.N(difference, _NUMERIC_DIGITS))
    if numeric.is_finite is not True:
        return False
    if magnitude == 0:
        return bool(numeric == 0)
    # Equal to 45 significant digits: contest answers that differ do so far sooner.
    return not bool(numeric > magnitude * sympy.Float(10) ** (-(_NUMERIC_DIGITS - 15)))


def judge_symbolic(gold_raw: str, gold: str, pred_raw: str, pred: str, policy: MathPolicy) -> Verdict:
    """Decide one pair with sympy (run inside a worker; the caller's deadline bounds it).

    Example:
        >>> judge_symbolic("2\\\\sqrt{3}", "2\\\\sqrt{3}", "\\\\sqrt{12}", "\\\\sqrt{12}", MathPolicy())
        Verdict(score=1.0, reason='')
        >>> judge_symbolic("\\\\sqrt{2}", "\\\\sqrt{2}", "1.41421356", "1.41421356", MathPolicy()).reason
        'decimal approximation of an exact answer'
    """
    from math_verify import verify

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    gold, pred = stated_equations(gold_raw, gold, pred_raw, pred)  # a line written two ways
    if split_top_level(gold) is None:
        return Verdict.unjudged("gold answer does not parse (unbalanced brackets)")
    if split_top_level(pred) is None:
        return Verdict(0.0, "answer does not parse (unbalanced brackets)")
    gold_parsed = _parse(gold)
    if not gold_parsed:
        return Verdict.unjudged("gold answer does not parse")
    pred_parsed = _parse(pred)
    if not pred_parsed:
        return Verdict(0.0, "answer does not parse")
    gold_shape, pred_shape = answer_shape(gold), answer_shape(pred)
    if not shapes_compatible(gold_shape, pred_shape):
        return Verdict(0.0, f"expected a {gold_shape}, got a {pred_shape}")
    exact = _exact_numbers_equal(gold_parsed[0], pred_parsed[0])
    if exact is not None:
        return Verdict(1.0) if exact else Verdict(0.0, "different value")
    approximate = _has_float(pred_parsed[0]) and not _has_float(gold_parsed[0])
    # Math-Verify compares an interval gold with an inequality answer only when asked to (the reverse it
    # does by default): "(2,\\infty)" and "x > 2" are the same set.
    relation_vs_set = (gold_shape == "relation") != (pred_shape == "relation")
    equal = verify(
        gold_parsed,
        pred_parsed,
        timeout_seconds=None,
        float_rounding=8,
        allow_set_relation_comp=relation_vs_set,
    )
    if equal and approximate and not policy.allow_decimal_approximation:
        if _exact_numbers_equal(gold_parsed[0], _decimals_as_rationals(pred_parsed[0])):
            return Verdict(1.0)  # "0.75\\pi" for "\\frac{3\\pi}{4}": an exact decimal, not an approximation
        return Verdict(0.0, "decimal approximation of an exact answer")
    return Verdict(1.0) if equal else Verdict(0.0, "different value")
