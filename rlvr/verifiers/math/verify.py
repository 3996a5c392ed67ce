"""Math answer verification: gold normalisation, candidate checking, and the two judgement entry points.

``fast_judgement`` runs in the calling process and decides what plain Python can (most items);
``full_judgement`` runs in an executor worker under a hard deadline and adds the symbolic path. Both take
the same plain arguments, so the executor can cache on them: the normalised gold, the normalised answer
candidates and the policy.
"""

from __future__ import annotations

from typing import Any

from rlvr.executor import NOT_HANDLED
from rlvr.verifiers.math.compare import MathPolicy, compare_fast
from rlvr.verifiers.math.extract import answer_part, find_boxed
from rlvr.verifiers.math.normalize import normalize_answer
from rlvr.verifiers.math.symbolic import judge_symbolic
from rlvr.verifiers.verdict import Verdict

#: (raw, normalised) spellings of one answer.
Answer = tuple[str, str]


def gold_answer(raw: object) -> str | None:
    """The answer a dataset's gold field states, or ``None`` when it states none.

    Golds come as bare answers (``72``, ``\\frac{1}{2}``, ``[2,5)``, ``\\text{(B)}``), as GSM8K solutions
    ending ``#### 72``, or as MATH solutions with a ``\\boxed{}`` (the last box counts). Numbers are
    accepted too.

    Example:
        >>> gold_answer("She has 9 left.\\n#### 72")
        '72'
        >>> gold_answer("so the answer is $\\\\boxed{\\\\frac{1}{2}}$.")
        '\\\\frac{1}{2}'
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
        part = answer_part(text) or text
        boxes, _ = find_boxed(part)
        if not boxes:
            return None
        text = boxes[-1]
    text = text.strip().strip("$").strip()
    return text or None


def make_answer(raw: str) -> Answer:
    """The (raw, normalised) pair of an answer string.

    Example:
        >>> make_answer("\\\\dfrac{1}{2}")
        ('\\\\dfrac{1}{2}', '\\\\frac{1}{2}')
    """
    return raw, normalize_answer(raw)


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


def fast_judgement(gold: Answer, candidates: tuple[Answer, ...], policy: MathPolicy) -> Verdict | Any:
    """Decide in-process when every candidate is decidable without sympy, else ``NOT_HANDLED``.

    Example:
        >>> fast_judgement(make_answer("72"), (make_answer("72.0"),), MathPolicy())
        Verdict(score=1.0, reason='')
        >>> fast_judgement(make_answer("3"), (make_answer("3"), make_answer("4")), MathPolicy()).reason
        'several different final answers'
    """
    verdicts = []
    for candidate in candidates:
        verdict = compare_fast(gold[0], gold[1], candidate[0], candidate[1], policy)
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
        verdict = compare_fast(gold[0], gold[1], candidate[0], candidate[1], policy)
        if not isinstance(verdict, Verdict):
            verdict = judge_symbolic(gold[0], gold[1], candidate[0], candidate[1], policy)
        verdicts.append(verdict)
        if verdict.score is None:
            break  # the gold does not parse: nothing else can be decided
    return _combine(verdicts)
