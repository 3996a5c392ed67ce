"""Speed and agreement benchmarks behind ``rlvr bench``: a leaf of the package — nothing in rlvr imports it.

Each benchmark is a module with a validated config dataclass and a ``run_*`` function returning a
report; :mod:`rlvr.bench.base` holds what they share (median timing, config checks, the report's text
and JSON). Peers are measured in the same run, and results are written up in BENCHMARKS.md.
"""
