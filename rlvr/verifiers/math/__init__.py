"""Math answer verification: extraction, normalisation and equivalence.

The pieces, each in its own module: :mod:`~rlvr.verifiers.math.extract` (the final answer of a
completion, by marker rank), :mod:`~rlvr.verifiers.math.prose` (the value a sentence states),
:mod:`~rlvr.verifiers.math.normalize` (one spelling per answer), :mod:`~rlvr.verifiers.math.values`
(exact reading of numbers and groups), :mod:`~rlvr.verifiers.math.compare` (the in-process fast path and
the policies), :mod:`~rlvr.verifiers.math.symbolic` (sympy, for workers) and
:mod:`~rlvr.verifiers.math.judge` (the one pipeline every caller uses).

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
from rlvr.verifiers.math.extract import Extraction, Fallback, extract_answer
from rlvr.verifiers.math.judge import (
    Answer,
    gold_answer,
    judge_in_process,
    prepare_answer,
    prepare_completion,
    read_gold,
)
from rlvr.verifiers.math.normalize import normalize_answer
from rlvr.verifiers.verdict import Verdict


def check_answer(gold: str, answer: str, *, policy: MathPolicy | None = None) -> Verdict:
    """Is ``answer`` (an extracted final answer) equivalent to ``gold``? In-process, no deadline.

    Example:
        >>> check_answer("10000", "10001")
        Verdict(score=0.0, reason='different number')
    """
    return judge_in_process(prepare_answer(read_gold(gold), answer, policy))


def check_completion(
    completion: str, gold: str, *, fallback: Fallback = "none", policy: MathPolicy | None = None
) -> Verdict:
    """Extract the final answer of ``completion`` and compare it with ``gold``. In-process, no deadline.

    Example:
        >>> check_completion("The answer is 3 or 4: \\\\boxed{3}, \\\\boxed{4}", "3").reason
        'several different final answers'
        >>> check_completion("Steps.\\n\\n# Answer\\n\\n28 pets", "28").score
        1.0
    """
    prepared = prepare_completion(completion, read_gold(gold), fallback=fallback, policy=policy)
    return judge_in_process(prepared)


__all__ = [
    "Answer",
    "Extraction",
    "MathPolicy",
    "Verdict",
    "check_answer",
    "check_completion",
    "extract_answer",
    "gold_answer",
    "normalize_answer",
]
