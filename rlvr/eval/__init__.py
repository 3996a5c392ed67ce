"""Benchmarks: evaluation on math benchmarks (``rlvr eval``) and the speed measurements behind ``rlvr bench``.

Evaluation: :func:`load_benchmark` (the bundled reference sets, or the Hugging Face Hub's copies) and
:func:`evaluate` (accuracy, pass@k, maj@k, breakdowns; :class:`EvalReport` renders JSON, Markdown and
a PNG). ``import rlvr.eval`` imports no torch, transformers, sympy or math-verify.

Example:
    >>> from rlvr.eval import evaluate, load_benchmark
    >>> bench = load_benchmark("aime25").subset(2)
    >>> evaluate(bench, [{"idx": 0, "completion": "\\\\boxed{70}"}]).pass_at_k
    {'1': 0.5}
    >>> from rlvr.bench.executor_bench import ExecutorBenchConfig
    >>> ExecutorBenchConfig(items=100).items
    100
"""

from __future__ import annotations

# ``evaluate`` is both a submodule and the function it defines: importing the function here makes
# ``rlvr.eval.evaluation`` the function. Import the module's other names with
# ``from rlvr.eval.evaluation import ...``. This costs no torch, sympy or math-verify import.
from rlvr.eval.datasets import BENCHMARKS, Benchmark, Problem, load_benchmark
from rlvr.eval.evaluation import EvalConfig, EvalReport, PredictionError, evaluate
from rlvr.eval.metrics import maj_at_k, pass_at_k

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "EvalConfig",
    "EvalReport",
    "PredictionError",
    "Problem",
    "evaluate",
    "load_benchmark",
    "maj_at_k",
    "pass_at_k",
]
