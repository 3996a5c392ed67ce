"""Benchmarks: speed measurements behind ``rlvr bench`` (evaluation on math benchmarks comes later).

Example:
    >>> from rlvr.benchmarks.executor_bench import ExecutorBenchConfig
    >>> ExecutorBenchConfig(items=100).items
    100
"""
