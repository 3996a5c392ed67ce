"""Math answer verification: extraction, normalisation and equivalence.

The pieces, each in its own module: :mod:`~rlvr.verifiers.math.extract` (the final answer of a
completion), :mod:`~rlvr.verifiers.math.normalize` (one spelling per answer),
:mod:`~rlvr.verifiers.math.values` (exact reading of numbers and groups), :mod:`~rlvr.verifiers.math.compare`
(the in-process fast path and the policies), :mod:`~rlvr.verifiers.math.symbolic` (sympy, for workers)
and :mod:`~rlvr.verifiers.math.verify` (the judgements the reward runs).

:func:`check_answer` and :func:`check_completion` judge in the calling process with no deadline: use
them on trusted or size-bounded input (tests, analysis). For training and for anything a model wrote,
use the ``math_accuracy`` reward, which runs the symbolic path in worker processes under a hard deadline.

Example:
    >>> check_answer("\\\\frac{1}{2}", "0.5").score
    1.0
    >>> check_completion("<think>...</think> so \\\\boxed{\\\\{2, 1\\\\}}", "\\\\{1,2\\\\}").score
    1.0
"""

from __future__ import annotations

from rlvr.verifiers.math.compare import MathPolicy
from rlvr.verifiers.math.extract import Extraction, extract_answer
from rlvr.verifiers.math.normalize import normalize_answer
from rlvr.verifiers.math.verify import full_judgement, gold_answer, make_answer
from rlvr.verifiers.verdict import Verdict


def check_answer(gold: str, answer: str, *, policy: MathPolicy | None = None) -> Verdict:
    """Is ``answer`` (an extracted final answer) equivalent to ``gold``? In-process, no deadline.

    Example:
        >>> check_answer("10000", "10001")
        Verdict(score=0.0, reason='different number')
    """
    gold_text = gold_answer(gold)
    if gold_text is None:
        return Verdict.unjudged("no gold answer")
    return full_judgement(make_answer(gold_text), (make_answer(answer),), policy or MathPolicy())


def check_completion(
    completion: str, gold: str, *, fallback: str = "none", policy: MathPolicy | None = None
) -> Verdict:
    """Extract the final answer of ``completion`` and compare it with ``gold``. In-process, no deadline.

    Example:
        >>> check_completion("The answer is 3 or 4: \\\\boxed{3}, \\\\boxed{4}", "3").reason
        'several different final answers'
    """
    gold_text = gold_answer(gold)
    if gold_text is None:
        return Verdict.unjudged("no gold answer")
    extraction = extract_answer(completion, fallback=fallback)  # type: ignore[arg-type]
    if not extraction.found:
        return Verdict(0.0, extraction.reason)
    candidates = tuple(make_answer(c) for c in extraction.candidates)
    return full_judgement(make_answer(gold_text), candidates, policy or MathPolicy())


__all__ = [
    "Extraction",
    "MathPolicy",
    "Verdict",
    "check_answer",
    "check_completion",
    "extract_answer",
    "gold_answer",
    "normalize_answer",
]
