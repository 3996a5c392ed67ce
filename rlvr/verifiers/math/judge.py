"""The one judging pipeline of math answers: gold → extraction → fast path → symbolic path.

Every caller goes through here — the ``math_accuracy`` reward, ``rlvr eval``, ``rlvr bench
math-agreement`` and :func:`rlvr.verifiers.math.check_answer` — so an answer is read and judged the same
way everywhere:

1. :func:`read_gold` reads a dataset's gold (a bare answer, a GSM8K solution, a MATH solution whose
   boxes are read by :func:`gold_answer`) into an :class:`Answer`, and :func:`gold_hint` says what it
   looks like (how many parts, words or an option letter);
2. :func:`prepare_completion` extracts the final answer of a completion with that hint, or
   :func:`prepare_answer` takes an answer already extracted;
3. both run :func:`fast_judgement` in the calling process — numbers, groups, choices, text, exact surds:
   microseconds — and return a :class:`Prepared` item that is either decided or holds the :data:`Job`
   for :func:`full_judgement` (the fast path plus sympy), which the caller runs in an executor worker
   under a hard deadline (the reward) or in-process (tests, trusted input).

``fast_judgement`` and ``full_judgement`` take plain, hashable, picklable arguments (the normalised gold,
the candidates and the policy), so the executor can cache on them.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rlvr.verifiers.math.compare import MathPolicy, compare_fast, gold_choice, is_text_answer
from rlvr.verifiers.math.extract import (
    MAX_ANSWER_CHARS,
    Extraction,
    Fallback,
    answer_part,
    extract_answer,
    find_boxed_spans,
)
from rlvr.verifiers.math.normalize import normalize_answer
from rlvr.verifiers.math.prose import GoldHint, is_prose, reduce_tail, strip_wrappers
from rlvr.verifiers.math.symbolic import answer_shape, judge_symbolic
from rlvr.verifiers.math.values import split_top_level
from rlvr.verifiers.verdict import NOT_HANDLED, Verdict, _NotHandled


class Answer(NamedTuple):
    """One answer, as written and normalised.

    Example:
        >>> make_answer("\\\\dfrac{1}{2}").normalised
        '\\\\frac{1}{2}'
    """

    raw: str
    normalised: str


#: What a worker judges: the gold, the candidates of one completion, the policy.
Job = tuple[Answer, tuple[Answer, ...], MathPolicy]


class Prepared(NamedTuple):
    """One item after extraction and the fast path.

    Attributes:
        verdict: the verdict when the item is decided already (no gold, no answer, the fast path), else
            ``None``.
        job: the arguments of :func:`full_judgement` when the item needs the symbolic path, else ``None``.
        answer: the completion's single final answer (several equal spellings count as one), or ``None``
            when it gives none or several different ones; majority votes count it.
    """

    verdict: Verdict | None
    job: Job | None
    answer: Answer | None


def make_answer(raw: str) -> Answer:
    """The :class:`Answer` of an answer string.

    Example:
        >>> make_answer("x = 5")
        Answer(raw='x = 5', normalised='5')
    """
    return Answer(raw, normalize_answer(raw))


# -- golds -------------------------------------------------------------------------------------------

_ALTERNATIVES = re.compile(r"\b(?:accept|accepted|acceptable|either|alternatively)\b", re.IGNORECASE)
_CONNECTIVE_WORDS = frozenset({"and", "or", "text", "quad", "qquad", "respectively", "also"})
_DERIVATION_WORDS = frozenset({"so", "thus", "hence", "therefore", "then", "which", "gives", "giving", "get"})
_MAX_CONNECTIVE_CHARS = 100
_ANY_PARTS = 64  # a gold written as a sentence may list any number of values
# A letter that is not part of a LaTeX command, or a sign of doubt: the text may be a sentence.
_NEEDS_READING = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]|[?~≈]|\\approx|\\sim")


def _connective(text: str) -> bool:
    """True when the text between two boxes only joins them (``$ and $x = ``), no prose in between."""
    if len(text) > _MAX_CONNECTIVE_CHARS:
        return False
    words = [w.lower() for w in re.findall(r"[A-Za-z]{2,}", re.sub(r"\\[A-Za-z]+", " ", text))]
    other = [word for word in words if word not in _CONNECTIVE_WORDS]
    if not other:
        return True
    # a unit after the first box: "\boxed{1} papers and \boxed{2} bins" (one clause, joined by "and")
    joined = "and" in words or "," in text or ";" in text
    derived = any(word in _DERIVATION_WORDS for word in other)  # "\boxed{6} and hence \boxed{12}"
    return joined and not derived and len(other) <= 2 and re.search(r"[.!?](?:\s|$)|\n", text) is None


def _same_value(a: str, b: str) -> bool:
    first, second = make_answer(a), make_answer(b)
    if first.normalised == second.normalised:
        return True
    verdict = compare_fast(first.raw, first.normalised, second.raw, second.normalised, MathPolicy())
    return isinstance(verdict, Verdict) and verdict.score == 1.0


def _gold_from_boxes(text: str) -> str | None:
    """The gold a solution boxes: its last box, or all its boxes when it boxes several distinct answers
    side by side (``x = \\boxed{-2}`` and ``x = \\boxed{1}``), unless it says they are alternatives."""
    spans, _ = find_boxed_spans(text)
    if not spans:
        return None
    last = spans[-1][2]
    group = [spans[-1]]
    for span in reversed(spans[:-1]):
        if not _connective(text[span[1] : group[0][0]]):
            break
        group.insert(0, span)
    distinct: list[str] = []
    for _, _, content in group:
        content = content.strip()
        if content and not any(_same_value(content, seen) for seen in distinct):
            distinct.append(content)
    if len(distinct) < 2 or _ALTERNATIVES.search(text[group[0][0] :]):
        return last
    if any(len(split_top_level(normalize_answer(c)) or [c, c]) != 1 for c in distinct):
        return last  # boxes that are lists themselves: the last one is the answer
    return ", ".join(distinct)


def _unclosed_box(text: str) -> str | None:
    """A gold whose last box is never closed (``\\boxed{W(n) = 1``): the text after it, else ``None``."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    inner = text[text.index("{", start) + 1 :].strip().rstrip("$").strip()
    return inner if inner and inner.count("{") == inner.count("}") else None


def gold_answer(raw: object) -> str | None:
    """The answer a dataset's gold field states, or ``None`` when it states none.

    Golds come as bare answers (``72``, ``\\frac{1}{2}``, ``[2,5)``, ``\\text{(B)}``), as GSM8K solutions
    ending ``#### 72``, or as MATH solutions with ``\\boxed{}`` answers: the last box counts, or every box
    when the solution boxes several distinct answers side by side (joined into one list). A gold written
    as words around its values (``125 miles``, ``19, 46, and 82``) is read as those values. Numbers are
    accepted too.

    Example:
        >>> gold_answer("She has 9 left.\\n#### 72")
        '72'
        >>> gold_answer("so the answer is $\\\\boxed{\\\\frac{1}{2}}$.")
        '\\\\frac{1}{2}'
        >>> gold_answer("These give $x = \\\\boxed{-2}$ and $x = \\\\boxed{1}.$")
        '-2, 1'
        >>> gold_answer(27.0), gold_answer("  "), gold_answer(None)
        ('27', None, None)
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if not isinstance(raw, str):
        return None
    text = raw
    if "####" in text:
        text = text[text.rfind("####") + 4 :]
    elif "\\boxed" in text or "\\fbox" in text:
        boxed = _gold_from_boxes(answer_part(text) or text)
        if boxed is None:
            return _unclosed_box(text)
        text = boxed
    text = strip_wrappers(text.strip())
    needs_reading = _NEEDS_READING.search(text) is not None or text.count("$") > 2
    if needs_reading and (is_prose(text) or text.count("$") > 2) and not is_text_answer(text):
        stated: tuple[str, ...] = ()
        if len(text) > _MAX_CONNECTIVE_CHARS:  # a written-out solution: "… The final answer is $28\\%$."
            stated = extract_answer(text, hint=GoldHint(parts=_ANY_PARTS)).candidates
        reduced = reduce_tail(text, GoldHint(parts=_ANY_PARTS)) if len(stated) != 1 else None
        if reduced is None:
            text = stated[0]
        elif reduced.answer is not None:
            text = reduced.answer  # "125 miles", "19, 46, and 82", "$1$ and $2$ and $3$"
    text = text.strip("$").strip()
    return text or None


def read_gold(raw: object) -> Answer | None:
    """The gold :class:`Answer` of a dataset field, or ``None`` when it states no answer.

    Example:
        >>> read_gold("#### 1,234")
        Answer(raw='1,234', normalised='1,234')
    """
    text = gold_answer(raw)
    if text is None:
        return None
    answer = make_answer(text)
    return answer if answer.normalised else None


def gold_hint(gold: Answer) -> GoldHint:
    """What a completion's answer to this gold must look like (how many parts; words; a letter).

    Example:
        >>> gold_hint(make_answer("1, -2")).parts, gold_hint(make_answer("(1, -2)")).parts
        (2, 1)
        >>> gold_hint(make_answer("\\\\text{Evelyn}")).kind, gold_hint(make_answer("y = 2x")).relation
        ('text', True)
    """
    if gold_choice(gold.raw) is not None:
        return GoldHint(kind="choice")
    if is_text_answer(gold.raw):
        words = frozenset(re.findall(r"[a-z']+", gold.normalised.lower()))
        return GoldHint(kind="text", words=words)
    text = gold.normalised
    shape = answer_shape(text)
    relation = shape == "relation" or ("=" in gold.raw and "=" not in text) or "=" in text
    parts = 1
    if shape in ("list", "set"):
        inner = text[2:-2] if text.startswith("\\{") else text
        pieces = split_top_level(inner) or [inner]
        parts = sum(2 if "\\pm" in piece or "\\mp" in piece else 1 for piece in pieces)
    return GoldHint(parts=max(parts, 1), kind="value", relation=relation and shape != "list")


# -- judgements ----------------------------------------------------------------------------------------


def _combine(verdicts: list[Verdict]) -> Verdict:
    failed = [v for v in verdicts if v.score is not None and v.score <= 0.0]
    if failed:
        if len(failed) < len(verdicts):
            return Verdict(0.0, "several different final answers")
        return failed[0]
    unjudged = [v for v in verdicts if v.score is None]
    if unjudged:
        return unjudged[0]
    return Verdict(1.0)


def fast_judgement(gold: Answer, candidates: tuple[Answer, ...], policy: MathPolicy) -> Verdict | _NotHandled:
    """Decide in-process when every candidate is decidable without sympy, else ``NOT_HANDLED``.

    Example:
        >>> fast_judgement(make_answer("72"), (make_answer("72.0"),), MathPolicy())
        Verdict(score=1.0, reason='')
        >>> fast_judgement(make_answer("3"), (make_answer("3"), make_answer("4")), MathPolicy()).reason
        'several different final answers'
    """
    verdicts = []
    for candidate in candidates:
        verdict = compare_fast(gold.raw, gold.normalised, candidate.raw, candidate.normalised, policy)
        if not isinstance(verdict, Verdict):
            return NOT_HANDLED
        verdicts.append(verdict)
    return _combine(verdicts)


def full_judgement(gold: Answer, candidates: tuple[Answer, ...], policy: MathPolicy) -> Verdict:
    """Decide with the fast path and, where needed, sympy. Run it in a worker: it may take long.

    Example:
        >>> full_judgement(make_answer("2\\\\sqrt{3}"), (make_answer("\\\\sqrt{12}"),), MathPolicy())
        Verdict(score=1.0, reason='')
    """
    verdicts = []
    for candidate in candidates:
        verdict = compare_fast(gold.raw, gold.normalised, candidate.raw, candidate.normalised, policy)
        if not isinstance(verdict, Verdict):
            verdict = judge_symbolic(gold.raw, gold.normalised, candidate.raw, candidate.normalised, policy)
        verdicts.append(verdict)
        if verdict.score is None:
            break  # the gold does not parse: nothing else can be decided
    return _combine(verdicts)


# -- preparing items -------------------------------------------------------------------------------------


def _prepared(gold: Answer, candidates: tuple[Answer, ...], policy: MathPolicy) -> Prepared:
    distinct = {c.normalised for c in candidates}
    fast = fast_judgement(gold, candidates, policy)
    verdict = fast if isinstance(fast, Verdict) else None
    single = len(distinct) == 1 or (verdict is not None and verdict.passed)
    answer = candidates[-1] if single else None
    if verdict is not None:
        return Prepared(verdict, None, answer)
    return Prepared(None, (gold, candidates, policy), answer)


#: Items already judged in one batch, by gold and extracted candidates: a group of completions mostly
#: states the same few answers, so each distinct answer is normalised and judged once per batch.
JudgedAnswers = dict[tuple[Answer, tuple[str, ...]], Prepared]


def prepare_completion(
    text: str,
    gold: Answer | None,
    *,
    fallback: Fallback = "none",
    max_chars: int = MAX_ANSWER_CHARS,
    policy: MathPolicy | None = None,
    hint: GoldHint | None = None,
    judged: JudgedAnswers | None = None,
) -> Prepared:
    """Extract the final answer of a completion and run the fast path on it. ``hint`` is
    ``gold_hint(gold)`` when the caller has it (a batch reads each distinct gold once); ``judged`` is a
    dict the caller keeps for one batch and one policy, where each distinct answer is judged once.

    Example:
        >>> prepare_completion("so \\\\boxed{0.5}", read_gold("\\\\frac{1}{2}")).verdict
        Verdict(score=1.0, reason='')
        >>> prepared = prepare_completion("\\\\boxed{\\\\frac{\\\\cos x}{\\\\sin x}}", read_gold("\\\\cot x"))
        >>> prepared.job is not None
        True
    """
    policy = policy or MathPolicy()
    if gold is None:
        return Prepared(Verdict.unjudged("no gold answer"), None, None)
    extraction = extract(text, gold, fallback=fallback, max_chars=max_chars, hint=hint)
    if not extraction.found:
        return Prepared(Verdict(0.0, extraction.reason), None, None)
    key = (gold, extraction.candidates)
    prepared = judged.get(key) if judged is not None else None
    if prepared is None:
        prepared = _prepared(gold, tuple(make_answer(c) for c in extraction.candidates), policy)
        if judged is not None:
            judged[key] = prepared
    return prepared


def extract(
    text: str,
    gold: Answer,
    *,
    fallback: Fallback = "none",
    max_chars: int = MAX_ANSWER_CHARS,
    hint: GoldHint | None = None,
) -> Extraction:
    """The final answer of a completion, read with what the gold looks like (:func:`gold_hint`).

    Example:
        >>> extract("\\\\boxed{-2} and \\\\boxed{1}", read_gold("1,-2")).candidates
        ('-2, 1',)
    """
    hint = gold_hint(gold) if hint is None else hint
    return extract_answer(text, fallback=fallback, max_chars=max_chars, hint=hint)


def prepare_answer(gold: Answer | None, answer: str, policy: MathPolicy | None = None) -> Prepared:
    """Run the fast path on an answer that is already extracted (a rewrite, a class representative).

    The answer is read like the text after an answer marker: math as written, a sentence reduced to its
    single value.

    Example:
        >>> prepare_answer(read_gold("72"), "72 apples").verdict
        Verdict(score=1.0, reason='')
    """
    policy = policy or MathPolicy()
    if gold is None:
        return Prepared(Verdict.unjudged("no gold answer"), None, None)
    if not answer.strip():
        return Prepared(Verdict(0.0, "empty answer"), None, None)
    if _NEEDS_READING.search(answer):  # words, a question mark, an approximation: read it as a sentence
        reduced = reduce_tail(answer, gold_hint(gold))
        if reduced.answer is None:
            return Prepared(Verdict(0.0, reduced.reason), None, None)
        answer = reduced.answer
    return _prepared(gold, (make_answer(answer),), policy)


def judge_in_process(prepared: Prepared) -> Verdict:
    """The verdict of a prepared item, running the symbolic path here when it is needed (no deadline).

    Example:
        >>> judge_in_process(prepare_answer(read_gold("2\\\\sqrt{3}"), "\\\\sqrt{12}"))
        Verdict(score=1.0, reason='')
    """
    if prepared.verdict is not None:
        return prepared.verdict
    assert prepared.job is not None
    return full_judgement(*prepared.job)
