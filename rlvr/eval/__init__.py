"""Evaluation of model outputs on math benchmarks (``rlvr eval``); speed measurements: :mod:`rlvr.bench`.

Evaluation: :func:`load_benchmark` (the bundled reference sets, or the Hugging Face Hub's copies) and
:func:`evaluate` (accuracy, pass@k, maj@k, breakdowns, each over all the problems, a problem without
predictions counting as unsolved; the coverage; :class:`EvalReport` renders JSON, Markdown and a PNG).
``import rlvr.eval`` imports no torch, transformers, sympy or math-verify.

Example:
    >>> from rlvr.eval import evaluate, load_benchmark
    >>> bench = load_benchmark("aime25").subset(2)
    >>> report = evaluate(bench, [{"idx": 0, "completion": "\\\\boxed{70}"}])
    >>> report.accuracy, report.pass_at_k[1], report.coverage.describe()
    (0.5, 0.5, 'predictions for 1 of 2 problems (1 missing, counted unsolved), 1 sample per problem')
"""

from __future__ import annotations

# The module's other names (Coverage's helpers, grade, read_predictions, ...) are imported with
# ``from rlvr.eval.evaluation import ...``. This costs no torch, sympy or math-verify import.
from rlvr.eval.datasets import BENCHMARKS, Benchmark, Problem, load_benchmark
from rlvr.eval.evaluation import Coverage, EvalConfig, EvalReport, PredictionError, evaluate
from rlvr.eval.metrics import maj_at_k, pass_at_k

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "Coverage",
    "EvalConfig",
    "EvalReport",
    "PredictionError",
    "Problem",
    "evaluate",
    "load_benchmark",
    "maj_at_k",
    "pass_at_k",
]
