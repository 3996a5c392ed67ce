"""Group categories: sets (order-free), tuples (ordered), intervals (brackets matter), unions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from hypothesis import strategies as st

from rlvr.testing._core import (
    Builder,
    Draw,
    MathPair,
    equivalent_pair,
    near_miss_pair,
    nonzero,
    small_rational,
    spelled,
)
from rlvr.verifiers.math.spellings import (
    Spelling,
    latex_number,
)

_SEPARATORS = (",", ", ")


def _join(draw: Draw, texts: Iterable[str]) -> str:
    return draw(st.sampled_from(_SEPARATORS)).join(texts)


def _items_text(draw: Draw, values: Sequence[Fraction], *, respell: bool) -> str:
    if respell:
        return _join(draw, (spelled(draw, v, in_group=True) for v in values))
    return ",".join(latex_number(v) for v in values)


def _distinct_values(draw: Draw, count_low: int, count_high: int) -> list[Fraction]:
    count = draw(st.integers(count_low, count_high))
    values: list[Fraction] = []
    while len(values) < count:
        value = small_rational(draw)
        values.append(value if value not in values else max(values) + 1)
    return values


def _fresh(values: Sequence[Fraction], start: Fraction) -> Fraction:
    value = start
    while value in values:
        value += 1
    return value


_SET_WRAPPERS = (
    ("\\{", "\\}", "braces"),
    ("\\left\\{", "\\right\\}", "\\left\\{ \\right\\}"),
    ("\\lbrace ", "\\rbrace", "\\lbrace \\rbrace"),
    ("", "", "bare list"),
)


def _set(draw: Draw, equivalent: bool) -> MathPair:
    if draw(st.integers(0, 9)) == 0:
        return _empty_set(draw, equivalent)
    values = _distinct_values(draw, 2, 4)
    gold = f"\\{{{_items_text(draw, values, respell=False)}\\}}"
    golds = [("", gold)]
    if equivalent:
        order = draw(st.permutations(values))
        if list(order) == list(values):
            order = [*values[1:], values[0]]
        left, right, wrapper = draw(st.sampled_from(_SET_WRAPPERS))
        answer = f"{left}{_items_text(draw, order, respell=True)}{right}"
        return MathPair(gold, answer, "set", True, f"reordered, {wrapper}, elements respelled")
    missing = draw(st.integers(0, len(values) - 1))
    fresh = _fresh(values, max(values) + draw(st.integers(1, 5)))
    changed = [*values[:missing], fresh, *values[missing + 1 :]]
    misses: list[tuple[str, Sequence[Spelling]]] = [
        ("tuple instead of a set", [("", f"({_items_text(draw, values, respell=True)})")]),
        (
            "an element missing",
            [("", f"\\{{{_items_text(draw, values[:missing] + values[missing + 1 :], respell=True)}\\}}")],
        ),
        ("an extra element", [("", f"\\{{{_items_text(draw, [*values, fresh], respell=True)}\\}}")]),
        ("an element changed", [("", f"\\{{{_items_text(draw, changed, respell=True)}\\}}")]),
    ]
    if len(values) == 2:
        low, high = sorted(values)
        misses.append(("interval instead of a set", [("", f"[{latex_number(low)},{latex_number(high)}]")]))
    return near_miss_pair(draw, "set", golds, misses)


def _empty_set(draw: Draw, equivalent: bool) -> MathPair:
    spellings = [
        ("\\emptyset", "\\emptyset"),
        ("\\varnothing", "\\varnothing"),
        ("\\{\\}", "\\{\\}"),
        ("∅", "∅"),
    ]
    golds = spellings[:2]
    if equivalent:
        return equivalent_pair(draw, "set", golds, spellings)
    misses = [("set of zero", [("", "\\{0\\}")]), ("zero", [("", "0")])]
    return near_miss_pair(draw, "set", golds, misses)


def _tuple(draw: Draw, equivalent: bool) -> MathPair:
    count = draw(st.integers(2, 3))
    values = [small_rational(draw) for _ in range(count)]
    if len(set(values)) == 1:
        values[-1] += 1
    gold = f"({_items_text(draw, values, respell=False)})"
    golds = [("", gold)]
    if equivalent:
        left, right, wrapper = draw(
            st.sampled_from((("(", ")", "parentheses"), ("\\left(", "\\right)", "\\left( \\right)")))
        )
        items = _items_text(draw, values, respell=True)
        if f"{left}{items}{right}" == gold:  # nothing was respelled
            left, right, wrapper = "\\left(", "\\right)", "\\left( \\right)"
        return MathPair(gold, f"{left}{items}{right}", "tuple", True, f"{wrapper}, coordinates respelled")
    i = draw(st.integers(0, count - 1))
    j = next(j for j in range(count) if values[j] != values[i])
    swapped = list(values)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    changed = list(values)
    changed[i] += draw(nonzero(-3, 3))
    misses: list[tuple[str, Sequence[Spelling]]] = [
        ("two coordinates swapped", [("", f"({_items_text(draw, swapped, respell=True)})")]),
        ("a coordinate changed", [("", f"({_items_text(draw, changed, respell=True)})")]),
        ("a coordinate missing", [("", _tuple_or_scalar(draw, values[:-1]))]),
        ("an extra coordinate", [("", f"({_items_text(draw, [*values, values[0]], respell=True)})")]),
    ]
    if len(set(values)) == count:
        misses.append(
            ("set instead of a tuple", [("", f"\\{{{_items_text(draw, values, respell=True)}\\}}")])
        )
    return near_miss_pair(draw, "tuple", golds, misses)


def _tuple_or_scalar(draw: Draw, values: Sequence[Fraction]) -> str:
    if len(values) == 1:
        return spelled(draw, values[0])
    return f"({_items_text(draw, values, respell=True)})"


FLIP = {"(": "[", "[": "(", ")": "]", "]": ")"}


@dataclass(frozen=True)
class _Interval:
    low: Fraction | None  # None: -infinity
    high: Fraction | None  # None: +infinity
    left: str
    right: str

    def text(self, low: str | None = None, high: str | None = None, *, plus_infinity: str = "\\infty") -> str:
        low_text = "-\\infty" if self.low is None else (low or latex_number(self.low))
        high_text = plus_infinity if self.high is None else (high or latex_number(self.high))
        return f"{self.left}{low_text},{high_text}{self.right}"


def _interval_value(draw: Draw) -> _Interval:
    start = small_rational(draw)
    end = start + draw(st.integers(1, 10)) + small_rational(draw, bound=0)  # start < end
    infinite = draw(st.sampled_from(("", "", "low", "high")))
    low = None if infinite == "low" else start
    high = None if infinite == "high" else end
    left = "(" if low is None else draw(st.sampled_from("(["))
    right = ")" if high is None else draw(st.sampled_from(")]"))
    return _Interval(low, high, left, right)


def _interval(draw: Draw, equivalent: bool) -> MathPair:
    interval = _interval_value(draw)
    gold = interval.text()
    golds = [("", gold)]
    if equivalent:
        low = None if interval.low is None else spelled(draw, interval.low, in_group=True)
        high = None if interval.high is None else spelled(draw, interval.high, in_group=True)
        plus = draw(st.sampled_from(("\\infty", "+\\infty", "∞")))
        body = interval.text(low, high, plus_infinity=plus)
        spellings = [
            ("endpoints respelled", body),
            ("\\left \\right", f"\\left{body[0]}{body[1:-1]}\\right{body[-1]}"),
        ]
        spellings.append(("spaces", f"{body[0]} {body[1:-1].replace(',', ', ')} {body[-1]}"))
        return equivalent_pair(draw, "interval", golds, spellings)
    misses: list[tuple[str, Sequence[Spelling]]] = []
    if interval.low is not None:
        flipped = _Interval(interval.low, interval.high, FLIP[interval.left], interval.right)
        misses.append(("left bracket flipped", [("", flipped.text())]))
        lower = _Interval(interval.low - 1, interval.high, interval.left, interval.right)
        misses.append(("left endpoint changed", [("", lower.text())]))
    if interval.high is not None:
        flipped = _Interval(interval.low, interval.high, interval.left, FLIP[interval.right])
        misses.append(("right bracket flipped", [("", flipped.text())]))
        higher = _Interval(interval.low, interval.high + 1, interval.left, interval.right)
        misses.append(("right endpoint changed", [("", higher.text())]))
    if interval.low is not None and interval.high is not None:
        both = _Interval(interval.low, interval.high, FLIP[interval.left], FLIP[interval.right])
        misses.append(("both brackets flipped", [("", both.text())]))
        pair = f"\\{{{latex_number(interval.low)},{latex_number(interval.high)}\\}}"
        misses.append(("set of the endpoints", [("", pair)]))
    return near_miss_pair(draw, "interval", golds, misses)


def _union(draw: Draw, equivalent: bool) -> MathPair:
    count = draw(st.integers(2, 3))
    points = sorted(draw(st.lists(st.integers(-30, 30), min_size=2 * count, max_size=2 * count, unique=True)))
    pieces = []
    for index in range(count):
        low: Fraction | None = Fraction(points[2 * index])
        high: Fraction | None = Fraction(points[2 * index + 1])
        if index == 0 and draw(st.booleans()):
            low = None
        if index == count - 1 and draw(st.booleans()):
            high = None
        left = "(" if low is None else draw(st.sampled_from("(["))
        right = ")" if high is None else draw(st.sampled_from(")]"))
        pieces.append(_Interval(low, high, left, right))
    gold = "\\cup".join(piece.text() for piece in pieces)
    golds = [("", gold)]
    if equivalent:
        order = draw(st.permutations(pieces))
        if list(order) == pieces:
            order = [*pieces[1:], pieces[0]]
        plus = draw(st.sampled_from(("\\infty", "+\\infty")))
        texts = [piece.text(plus_infinity=plus) for piece in order]
        spellings = [
            ("pieces reordered", "\\cup".join(texts)),
            ("pieces reordered, spaces", " \\cup ".join(texts)),
            ("pieces reordered, ∪", "∪".join(texts)),
            (
                "pieces reordered, \\left \\right",
                "\\cup".join(f"\\left{t[0]}{t[1:-1]}\\right{t[-1]}" for t in texts),
            ),
        ]
        return equivalent_pair(draw, "union", golds, spellings)
    index = draw(st.integers(0, count - 1))
    piece = pieces[index]

    def replaced(new: _Interval) -> str:
        return "\\cup".join((new if i == index else p).text() for i, p in enumerate(pieces))

    misses: list[tuple[str, Sequence[Spelling]]] = [
        ("a piece missing", [("", "\\cup".join(p.text() for i, p in enumerate(pieces) if i != index))]),
    ]
    hull = _Interval(pieces[0].low, pieces[-1].high, pieces[0].left, pieces[-1].right)
    misses.append(("one interval spanning the pieces", [("", hull.text())]))
    # Each piece has a gap on both sides, so moving an endpoint outward or flipping a bracket changes the set.
    if piece.low is not None:
        misses.append(
            (
                "a bracket flipped",
                [("", replaced(_Interval(piece.low, piece.high, FLIP[piece.left], piece.right)))],
            )
        )
        misses.append(
            (
                "an endpoint moved",
                [("", replaced(_Interval(piece.low - 1, piece.high, piece.left, piece.right)))],
            )
        )
    if piece.high is not None:
        misses.append(
            (
                "a bracket flipped",
                [("", replaced(_Interval(piece.low, piece.high, piece.left, FLIP[piece.right])))],
            )
        )
    return near_miss_pair(draw, "union", golds, misses)


BUILDERS: dict[str, Builder] = {
    "set": _set,
    "tuple": _tuple,
    "interval": _interval,
    "union": _union,
}
