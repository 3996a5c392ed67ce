"""Whole completions with a known verdict: how models state an answer, and how a policy may game one.

:func:`stated_completions` writes a gold answer the way today's models do — under a markdown heading, in
bold after "the answer is", in a sentence with units and context, at the end of a chain of equalities, as
a list when the gold has several parts, a point or an interval outside math — and every one of them must
pass. :func:`hack_completions` writes the gold into a completion that must not pass: a hedge or an
alternative next to it, a magnitude word after it, a second value in the same sentence, a revision after
it, a point or interval with its order or a bracket changed. The truth of each is fixed by
construction, so the strategies test any verifier's extraction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from rlvr.testing._core import Draw, nonzero
from rlvr.verifiers.math.spellings import english, group_digits

_NAMES = ("Dana", "Kylar", "Sasha", "Omar", "Lena", "Priya", "Tom")
_UNITS = ("apples", "miles", "GB", "pets", "jars of jam", "cookies", "minutes", "pages", "MB", "dollars")
_CONTEXT = ("for {m} glasses", "in the next {m} days", "after {m} weeks", "over {m} months", "per {m} people")
_HEADINGS = ("# Answer", "## Answer", "## Final Answer", "### Final Answer", "**Final Answer**")


@dataclass(frozen=True)
class MathCompletion:
    """A gold answer and a whole completion whose verdict is known by construction.

    Attributes:
        gold: the gold answer.
        completion: the model's text.
        category: one of :data:`COMPLETION_CATEGORIES` or :data:`HACK_CATEGORIES`.
        correct: True when the completion states the gold as its single final answer.
        fallback: the extraction fallback the completion is meant for (``"none"`` or ``"last_number"``).
        note: how it is written, in a few words.

    Example:
        >>> MathCompletion("5", "The answer is 5 or 6.", "hedge", False, "none", "or").correct
        False
    """

    gold: str
    completion: str
    category: str
    correct: bool
    fallback: str
    note: str


def _value(draw: Draw) -> int:
    return draw(st.integers(2, 99999))


def _other(draw: Draw, value: int) -> int:
    return value + draw(nonzero(-9, 9)) if value > 10 else value + draw(st.integers(1, 9))


def _spelled(draw: Draw, n: int) -> str:
    """``n`` as a model writes it in a sentence: plain, with thousands commas, with a dollar sign."""
    forms = [str(n), f"${n}"] + ([group_digits(str(n), ",")] if n >= 1000 else [])
    return draw(st.sampled_from(forms))


def _heading(draw: Draw) -> MathCompletion:
    n = _value(draw)
    heading = draw(st.sampled_from(_HEADINGS))
    answer = draw(st.sampled_from((str(n), f"${n}$", f"{n} {draw(st.sampled_from(_UNITS))}")))
    text = f"Adding the parts step by step.\n\nSo the total is found.\n\n{heading}\n\n{answer}"
    return MathCompletion(str(n), text, "heading", True, "none", f"{heading!r} then {answer!r}")


def _bold(draw: Draw) -> MathCompletion:
    n = _value(draw)
    form = draw(st.sampled_from(("the answer is **{n}**.", "**Answer:** {n}", "**Final Answer:** ${n}$")))
    text = "We count them all. So " + form.format(n=n)
    return MathCompletion(str(n), text, "bold", True, "none", form)


def _prose(draw: Draw) -> MathCompletion:
    n = _value(draw)
    m = _other(draw, n)
    unit = draw(st.sampled_from(_UNITS))
    name = draw(st.sampled_from(_NAMES))
    context = draw(st.sampled_from(("", " " + draw(st.sampled_from(_CONTEXT)).format(m=m))))
    sentence = draw(
        st.sampled_from(
            (
                "The answer is {v} {unit}.",
                "The answer is {name} has {v} {unit}{context}.",
                "Answer: {name} needs {v} {unit}{context}.",
                "Answer: The total number of {unit} is {v}.",
                "Therefore, {name} has {v} {unit} in all.",
            )
        )
    ).format(v=_spelled(draw, n), unit=unit, name=name, context=context)
    return MathCompletion(
        str(n), f"Step by step: the parts add up.\n{sentence}", "prose", True, "last_number", sentence
    )


def _chain(draw: Draw) -> MathCompletion:
    n = _value(draw)
    a = n + draw(st.integers(1, 500))
    unit = draw(st.sampled_from(_UNITS))
    if draw(st.booleans()):
        text = f"The answer is {a} {unit} - {a - n} {unit} = {n} {unit}."
        return MathCompletion(str(n), text, "chain", True, "last_number", "a chain of equalities")
    slip = n + draw(st.integers(-9, 9).filter(bool))
    text = f"So $x = {a} - {a - n} = {slip} = {n}$."
    return MathCompletion(
        str(n), text, "chain", True, "none", "a slip in the middle of a chain from arithmetic"
    )


def _list(draw: Draw) -> MathCompletion:
    a = draw(st.integers(-20, 20))
    b = draw(st.integers(-20, 20).filter(lambda v: v != a))
    gold = f"{a}, {b}"
    x, y = (a, b) if draw(st.booleans()) else (b, a)
    form = draw(
        st.sampled_from(
            (
                "The solutions are x = {x} or x = {y}.",
                "So the roots are \\boxed{{{x}}} and \\boxed{{{y}}}.",
                "\\boxed{{{x} \\text{{ and }} {y}}}",
                "\\boxed{{{x}; {y}}}",
                "The answer is {x} and {y}.",
            )
        )
    )
    return MathCompletion(gold, form.format(x=x, y=y), "list", True, "none", form)


def _repeating(draw: Draw) -> MathCompletion:
    digit = draw(st.integers(1, 8))
    gold = f"\\frac{{{digit}}}{{9}}"
    form = draw(
        st.sampled_from(
            (
                "\\boxed{{0.\\overline{{{d}}}}}",
                "The answer is 0.{d}{d}{d}...",
                "# Answer\n\n0.\\overline{{{d}}}",
            )
        )
    )
    return MathCompletion(
        gold, "So x = " + gold + " in decimal.\n" + form.format(d=digit), "repeating", True, "none", form
    )


def _words(draw: Draw) -> MathCompletion:
    n = draw(st.integers(0, 999))
    form = draw(
        st.sampled_from(("The answer is {w}.", "\\boxed{{\\text{{{w}}}}}", "Therefore, the answer is {w}."))
    )
    return MathCompletion(str(n), form.format(w=english(n)), "number_words", True, "none", form)


def _pair(draw: Draw) -> tuple[int, int]:
    x = draw(st.integers(-30, 30))
    return x, x + draw(st.integers(1, 30))


def _group(draw: Draw) -> MathCompletion:
    x, y = _pair(draw)
    gold, form = draw(
        st.sampled_from(
            (
                ("({x}, {y})", "The answer is the point ({x}, {y})."),
                ("({x}, {y})", "Answer: ({x},{y})"),
                ("[{x}, {y})", "So the answer is the interval [{x}, {y})."),
                ("({x}, {y}]", "## Final Answer\n\n({x}, {y}]"),
                ("({x}, {y}), ({y}, {x})", "The solutions are ({x}, {y}) and ({y}, {x})."),
                ("({x}, {y})", "So $\\boxed{{x = {x}, y = {y}}}$."),
                ("({x}, {y})", "\\textbf{{Answer:}} $a = {x}$ and $b = {y}$"),
            )
        )
    )
    text = "Solving the system step by step.\n" + form.format(x=x, y=y)
    return MathCompletion(gold.format(x=x, y=y), text, "group", True, "none", form)


# -- hacks --------------------------------------------------------------------------------------------------

_HEDGES = (
    "The answer is {g} or {o}.",
    "The answer is either {g} or {o}.",
    "The answer is maybe {g}.",
    "The answer is probably {g}.",
    "The answer is approximately {g}.",
    "The answer is about {g} {unit}.",
    "The answer is between {g} and {hi}.",
    "The answer is at least {g}.",
    "Perhaps the answer is {g}.",
    "I think the answer is {g}.",
    "The answer could be {g}.",
    "The answer is not {o}; it is {g} or {o}.",
    "\\boxed{{{g} \\text{{ or }} {o}}}",
    "\\boxed{{\\approx {g}}}",
    "## Final Answer\n\n{g} or {o}",
    "The answer is {g}?",
    "Answer: under {g}",
    "Answer: something like {g}",
    "Answer: {g} (approx.)",
    "The answer is {g} ({o} if we count zero).",
    "It is probably $\\boxed{{{g}}}$.",
    "<answer>{o}</answer>\n<answer>{g}</answer>",
    "The answer is {g}. I am not sure, though.",
    "Answer: {g} will not be the result.",
    "The answer is {g}. No. {o} is right.",
    "So the total is $\\boxed{{{g}}}$ (or {o}).",
    "Thus \\boxed{{{g}}}; if not, {o}.",
    "The answer is {g} (though {o} is also possible).",
    "The answer is not \\boxed{{{g}}}.",
)


def _hedge(draw: Draw) -> MathCompletion:
    g = _value(draw)
    o = _other(draw, g)
    form = draw(st.sampled_from(_HEDGES))
    text = form.format(g=g, o=o, lo=min(g, o) - 1, hi=max(g, o) + 1, unit=draw(st.sampled_from(_UNITS)))
    return MathCompletion(str(g), text, "hedge", False, draw(st.sampled_from(("none", "last_number"))), form)


def _magnitude(draw: Draw) -> MathCompletion:
    g = draw(st.integers(2, 12))
    form = draw(
        st.sampled_from(
            (
                "The answer is {g} million.",
                "The answer is {w} dozen.",
                "The answer is {g} thousand dollars.",
                "The answer is {w} hundred.",
                "\\boxed{{{g} \\text{{ million}}}}",
            )
        )
    )
    return MathCompletion(str(g), form.format(g=g, w=english(g)), "magnitude", False, "none", form)


def _two_values(draw: Draw) -> MathCompletion:
    g = _value(draw)
    o = _other(draw, g)
    unit = draw(st.sampled_from(_UNITS))
    first, second = (g, o) if draw(st.booleans()) else (o, g)
    form = draw(
        st.sampled_from(
            (
                "The answer is {a} {unit} and {b} {unit}.",
                "Answer: x is {a} and y is {b}.",
                "\\boxed{{{a}}} and \\boxed{{{b}}}",
                "The answer is {a}, {b}.",
                "The answer is {a} = {b}.",
                "\\boxed{{{a_minus_1} + 1 = {a} = {b}}}",
                "The answer is {a}. The answer is {b}.",
            )
        )
    )
    return MathCompletion(
        str(g),
        form.format(a=first, b=second, a_minus_1=first - 1, unit=unit),
        "two_values",
        False,
        "none",
        form,
    )


def _revision(draw: Draw) -> MathCompletion:
    g = _value(draw)
    o = _other(draw, g)
    form = draw(
        st.sampled_from(
            (
                "The answer is {g}. Actually, it is {o}.",
                "The answer is {g}. Wait, that is wrong: it is {o}.",
                "\\boxed{{{o}}}. The final answer is {g}.",
                "The answer is {g}. Wait, that is wrong.",
                "\\boxed{{{g}}}\n\nWait, actually it is {o}.",
                "The answer is {g}\nActually, no: it is {o}.",
                "A first count gives $\\boxed{{{g}}}$, which is wrong.",
            )
        )
    )
    return MathCompletion(str(g), form.format(g=g, o=o), "revision", False, "none", form)


def _group_miss(draw: Draw) -> MathCompletion:
    x, y = _pair(draw)
    gold, form = draw(
        st.sampled_from(
            (
                ("({x}, {y})", "The answer is the point ({y}, {x})."),
                ("({x}, {y})", "The answer is ({x}, {y}) or ({y}, {x})."),
                ("({x}, {y})", "The answer is {x} ({x}, {y})."),
                ("[{x}, {y})", "So the answer is the interval [{x}, {y}]."),
                ("({x}, {y}), ({y}, {x})", "The solutions are ({x}, {y}) and ({y}, {y})."),
                ("({x}, {y})", "So $\\boxed{{x = {y}, y = {x}}}$."),
                ("({x}, {y})", "So $\\boxed{{y = {y}, x = {x}}}$."),
            )
        )
    )
    return MathCompletion(gold.format(x=x, y=y), form.format(x=x, y=y), "group_miss", False, "none", form)


_STATED: dict[str, Callable[[Draw], MathCompletion]] = {
    "heading": _heading,
    "bold": _bold,
    "prose": _prose,
    "chain": _chain,
    "list": _list,
    "repeating": _repeating,
    "number_words": _words,
    "group": _group,
}
_HACKS: dict[str, Callable[[Draw], MathCompletion]] = {
    "hedge": _hedge,
    "magnitude": _magnitude,
    "two_values": _two_values,
    "revision": _revision,
    "group_miss": _group_miss,
}
#: The ways of stating a correct answer.
COMPLETION_CATEGORIES: tuple[str, ...] = tuple(_STATED)
#: The ways of gaming one.
HACK_CATEGORIES: tuple[str, ...] = tuple(_HACKS)


def _choose(
    builders: dict[str, Callable[[Draw], MathCompletion]], categories: Iterable[str] | str | None
) -> SearchStrategy[MathCompletion]:
    if categories is None:
        chosen = tuple(builders)
    else:
        chosen = (categories,) if isinstance(categories, str) else tuple(dict.fromkeys(categories))
        unknown = [c for c in chosen if c not in builders]
        if unknown or not chosen:
            raise ValueError(f"unknown or no categories {unknown}; choose from {', '.join(builders)}")
    return st.one_of(*(st.composite(lambda draw, name=name: builders[name](draw))() for name in chosen))


def stated_completions(categories: Iterable[str] | str | None = None) -> SearchStrategy[MathCompletion]:
    """Completions that state the gold as their one final answer, the way models write it: a correct
    verifier gives every one full marks.

    Args:
        categories: names from :data:`COMPLETION_CATEGORIES`; ``None`` for all.

    Raises:
        ValueError: an unknown category, or none.

    Example:
        >>> from hypothesis import find
        >>> item = find(stated_completions("heading"), lambda c: "# Answer" in c.completion)
        >>> item.correct, item.completion.endswith(item.gold)
        (True, True)
    """
    return _choose(_STATED, categories)


def hack_completions(categories: Iterable[str] | str | None = None) -> SearchStrategy[MathCompletion]:
    """Completions that hold the gold but do not state it as their one final answer (a hedge, an
    alternative, a magnitude word, a second value, a revision): a correct verifier gives none of them
    credit.

    Args:
        categories: names from :data:`HACK_CATEGORIES`; ``None`` for all.

    Raises:
        ValueError: an unknown category, or none.

    Example:
        >>> from hypothesis import find
        >>> item = find(hack_completions("magnitude"), lambda c: "million" in c.completion)
        >>> item.correct
        False
    """
    return _choose(_HACKS, categories)
