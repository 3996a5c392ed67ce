"""Benchmarks: evaluation on math benchmarks (``rlvr eval``) and the speed measurements behind ``rlvr bench``.

Evaluation: :func:`load_benchmark` (the bundled reference sets, or the Hugging Face Hub's copies) and
:func:`evaluate` (accuracy, pass@k, maj@k, breakdowns; :class:`EvalReport` renders JSON, Markdown and
a PNG). ``import rlvr.benchmarks`` imports no torch, transformers, sympy or math-verify.

Example:
    >>> from rlvr.benchmarks import evaluate, load_benchmark
    >>> bench = load_benchmark("aime25").subset(2)
    >>> evaluate(bench, [{"idx": 0, "completion": "\\\\boxed{70}"}]).pass_at_k
    {'1': 0.5}
    >>> from rlvr.benchmarks.executor_bench import ExecutorBenchConfig
    >>> ExecutorBenchConfig(items=100).items
    100
"""

from __future__ import annotations

# ``evaluate`` is both a submodule and the function it defines: importing the function here makes
# ``rlvr.benchmarks.evaluate`` the function. Import the module's other names with
# ``from rlvr.benchmarks.evaluate import ...``. This costs no torch, sympy or math-verify import.
from rlvr.benchmarks.datasets import BENCHMARKS, Benchmark, Problem, load_benchmark
from rlvr.benchmarks.evaluate import EvalConfig, EvalReport, PredictionError, evaluate
from rlvr.benchmarks.metrics import maj_at_k, pass_at_k

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
