"""Exact values of small arithmetic written out in an answer's work, and when a chain of ``=`` is one value.

A chain of equalities states its last side (``5+5+1 = 11``). When two plain numbers along the chain differ
(``1 = 2 = 3``) the chain contradicts itself and states nothing — except where the chain starts from
arithmetic whose exact value is its last side (``x = 5+5+1 = 7 = 11``): a slip in the middle of correct work
still ends on one value. Only integers, decimals and ``+ - * / ( )`` (with ``\\cdot``, ``\\times``, ``\\div``,
``×``, ``·``, ``÷``) are evaluated, bounded in length, so nothing here can run long.

Example:
    >>> arithmetic_value("5+5+1"), arithmetic_value("2 \\\\cdot (3 - 1)"), arithmetic_value("x+1")
    (Fraction(11, 1), Fraction(4, 1), None)
    >>> chain_states_one_value(["x", "5+5+1", "7", "11"]), chain_states_one_value(["1", "2", "5"])
    (True, False)
"""

from __future__ import annotations

import re
from fractions import Fraction

_MAX_LENGTH = 120
_TOKEN = re.compile(r"\s*(?:(\d{1,30}(?:\.\d{1,30})?)|([-+*/()]))")
_OPERATOR_SPELLINGS = (("\\cdot", "*"), ("\\times", "*"), ("\\div", "/"), ("×", "*"), ("·", "*"), ("÷", "/"))
_PLAIN_NUMBER = re.compile(r"[+-]?\d{1,40}(?:\.\d{1,40})?")
_NAME = re.compile(r"[A-Za-z](?:_\{?[A-Za-z0-9]{1,3}\}?)?")


class _Parser:
    """Recursive descent over ``+ - * / ( )`` with exact fractions; ``None`` for anything else."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        self.at += 1
        return self.tokens[self.at - 1]

    def sum(self, depth: int) -> Fraction | None:
        value = self.product(depth)
        while value is not None and self.peek() in ("+", "-"):
            sign = self.take()
            term = self.product(depth)
            value = None if term is None else value + term if sign == "+" else value - term
        return value

    def product(self, depth: int) -> Fraction | None:
        value = self.factor(depth)
        while value is not None and self.peek() in ("*", "/"):
            operator = self.take()
            factor = self.factor(depth)
            if factor is None or (operator == "/" and factor == 0):
                return None
            value = value * factor if operator == "*" else value / factor
        return value

    def factor(self, depth: int) -> Fraction | None:
        token = self.peek()
        if token is None or depth > 20:
            return None
        if token in ("+", "-"):
            self.take()
            inner = self.factor(depth + 1)
            return None if inner is None else (inner if token == "+" else -inner)
        if token == "(":
            self.take()
            inner = self.sum(depth + 1)
            if self.peek() != ")":
                return None
            self.take()
            return inner
        if token[0].isdigit():
            return Fraction(self.take())
        return None


def arithmetic_value(text: str) -> Fraction | None:
    """The exact value of ``text`` when it is plain arithmetic on numbers, else ``None``.

    Example:
        >>> arithmetic_value("60 - 20 - 15"), arithmetic_value("3/(2-2)"), arithmetic_value("2^3")
        (Fraction(25, 1), None, None)
    """
    if len(text) > _MAX_LENGTH:
        return None
    for spelling, operator in _OPERATOR_SPELLINGS:
        text = text.replace(spelling, operator)
    tokens: list[str] = []
    at = 0
    text = text.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            return None
        tokens.append(match.group(1) or match.group(2))
        at = match.end()
    parser = _Parser(tokens)
    value = parser.sum(0)
    return value if parser.at == len(tokens) else None


def chain_states_one_value(sides: list[str]) -> bool:
    """Whether a chain of equalities, given as its sides, states the value of its last side.

    It does unless two plain numbers along it differ; then only when the chain (after a leading name such as
    ``x``) starts from arithmetic, not a bare number, whose exact value is the last side.

    Example:
        >>> chain_states_one_value(["60 - 20 - 15", "25"]), chain_states_one_value(["x", "7", "11"])
        (True, False)
        >>> chain_states_one_value(["2+3", "4", "5"]), chain_states_one_value(["5", "7", "5"])
        (True, False)
    """
    plain = {Fraction(side.strip()) for side in sides if _PLAIN_NUMBER.fullmatch(side.strip())}
    if len(plain) <= 1:
        return True
    first = 1 if len(sides) > 2 and _NAME.fullmatch(sides[0].strip()) else 0
    start, last = sides[first].strip(), sides[-1].strip()
    if _PLAIN_NUMBER.fullmatch(start) or not _PLAIN_NUMBER.fullmatch(last):
        return False
    value = arithmetic_value(start)
    return value is not None and value == Fraction(last)
