"""Equations as answers: the equation an answer states, and linear equations decided without sympy.

A line or a plane is often the answer (``y = 2x+1``, ``5x - 7y + 11z + 4 = 0``) and is written many ways.
:func:`equation_form` restores the equation when the normaliser kept only the right side of an
assignment. :func:`linear_equations_equal` decides two linear equations with rational coefficients
exactly, in microseconds, with the same verdict as the symbolic path (Math-Verify's comparison of
relations): equal when the differences of their sides are the same up to sign, or — with two or more
variables — up to any nonzero factor, since they then solve to the same expression; with one variable
only up to sign (the symbolic path compares the solved values only for several variables). Anything
else (a power, a product of variables, a root, π, a function, a relation other than ``=``) is ``None``
and stays with the symbolic path.

Example:
    >>> linear_equations_equal("y = 2x+1", "2x+1", "2x - y + 1 = 0", "2x-y+1=0")
    True
    >>> linear_equations_equal("x+y=1", "x+y=1", "x+y=2", "x+y=2")
    False
"""

from __future__ import annotations

import re
from fractions import Fraction

from rlvr.verifiers.math.surds import Monomial, parse_surd

_ASSIGNED = re.compile(r"\s*([A-Za-z](?:\([A-Za-z]\))?)\s*=")
_VARIABLE = re.compile(r"(?<![\\A-Za-z])[A-Za-z](?![A-Za-z])")
#: Order relations: an answer holding one is a relation (an inequality), not an equation.
ORDER_RELATIONS: tuple[str, ...] = ("<", ">", "\\le", "\\ge", "\\lt", "\\gt")


def equation_form(raw: str, normalised: str) -> str:
    """The equation an answer states when the normaliser kept only its right side (``y = 2x+1`` is
    ``2x+1``) and the equation relates two or more variables (a line, a curve): compared with an equation
    written another way (``2x - y + 1 = 0``), it is the equation that counts. Else ``normalised``.

    Example:
        >>> equation_form("$y = 2x+1$", "2x+1"), equation_form("x = 5", "5")
        ('y=2x+1', '5')
    """
    match = _ASSIGNED.match(raw.strip().strip("$"))
    if match is None or "=" in normalised:
        return normalised
    equation = f"{match.group(1)}={normalised}"
    return equation if len(set(_VARIABLE.findall(equation))) >= 2 else normalised


def stated_equations(gold_raw: str, gold: str, pred_raw: str, pred: str) -> tuple[str, str]:
    """The two answers as they are compared: when one is an equation and the other only the right side of
    an assignment, or both are assignments to different names (``x = 1-y``, ``y = 1-x``), both as equations
    (:func:`equation_form`).

    Example:
        >>> stated_equations("y = 2x+1", "2x+1", "2x-y+1=0", "2x-y+1=0")
        ('y=2x+1', '2x-y+1=0')
    """
    if any(op in gold + pred for op in ORDER_RELATIONS):
        return gold, pred
    if ("=" in gold) != ("=" in pred):
        return equation_form(gold_raw, gold), equation_form(pred_raw, pred)
    if "=" not in gold and gold != pred:  # "x = 1-y" and "y = 1-x": assignments to different names
        gold_name, pred_name = (
            _ASSIGNED.match(gold_raw.strip().strip("$")),
            _ASSIGNED.match(pred_raw.strip().strip("$")),
        )
        if gold_name is not None and pred_name is not None and gold_name.group(1) != pred_name.group(1):
            return equation_form(gold_raw, gold), equation_form(pred_raw, pred)
    return gold, pred


def _linear(equation: str) -> dict[Monomial, Fraction] | None:
    """``left - right`` of a linear equation in single-letter variables with rational coefficients, as
    coefficients by monomial (``()`` for the constant); ``None`` for anything else."""
    sides = equation.split("=")
    if len(sides) != 2 or "\\ne" in equation or any(op in equation for op in ORDER_RELATIONS):
        return None
    left, right = parse_surd(sides[0]), parse_surd(sides[1])
    if left is None or right is None:
        return None
    coefficients: dict[Monomial, Fraction] = {}
    for (radicand, pi_power, i_power, monomial), coefficient in left.minus(right).terms:
        if radicand != 1 or pi_power or i_power or len(monomial) > 1:
            return None
        if monomial and (monomial[0][1] != 1 or monomial[0][0].startswith("\\")):
            return None  # a power or a function of a variable: not linear
        coefficients[monomial] = coefficient
    return coefficients if any(coefficients) else None


def linear_variables(equation: str) -> int | None:
    """How many variables a linear equation relates; ``None`` when ``equation`` is not one.

    Example:
        >>> linear_variables("5x-7y+11z+4=0"), linear_variables("2x=6"), linear_variables("xy=1")
        (3, 1, None)
    """
    terms = _linear(equation)
    return None if terms is None else sum(1 for monomial in terms if monomial)


def linear_equations_equal(gold_raw: str, gold: str, pred_raw: str, pred: str) -> bool | None:
    """Whether two answers state the same linear equation (see the module docstring); ``None`` when
    either is not a linear equation, for the symbolic path to decide.

    Example:
        >>> linear_equations_equal("2x-6=0", "2x-6=0", "6-2x=0", "6-2x=0")
        True
        >>> linear_equations_equal("x+y=1", "x+y=1", "2x+2y=2", "2x+2y=2")
        True
        >>> linear_equations_equal("x^2=1", "x^2=1", "x=1", "1") is None
        True
    """
    return same_linear_equation(*stated_equations(gold_raw, gold, pred_raw, pred))


def same_linear_equation(gold: str, pred: str) -> bool | None:
    """:func:`linear_equations_equal` for two answers already as :func:`stated_equations` gives them.

    Example:
        >>> same_linear_equation("y=2x+1", "2x-y+1=0"), same_linear_equation("5", "x=5") is None
        (True, True)
    """
    if "=" not in gold or "=" not in pred:
        return None
    gold_terms, pred_terms = _linear(gold), _linear(pred)
    if gold_terms is None or pred_terms is None:
        return None
    if gold_terms.keys() != pred_terms.keys():
        return False
    ratios = {gold_terms[monomial] / pred_terms[monomial] for monomial in gold_terms}
    if len(ratios) != 1:
        return False
    ratio = ratios.pop()
    return ratio in (1, -1) or sum(1 for monomial in gold_terms if monomial) >= 2
