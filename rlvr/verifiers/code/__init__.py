"""Judging programs against test cases — the pure parts (running them is :mod:`rlvr.sandbox`'s job).

- :mod:`~rlvr.verifiers.code.program`: the program in a completion;
- :mod:`~rlvr.verifiers.code.cases`: ``verification_info``, cases, statuses, stdout comparison;
- :mod:`~rlvr.verifiers.code.values`: plain values across the boundary, type-strict equality of their
  canonical forms (hostile data safe);
- :mod:`~rlvr.verifiers.code.runs`: what a run reports (:class:`RunResult`) and the result records;
- :mod:`~rlvr.verifiers.code.judge`: the verdict rule — which cases run, under what time, each case's
  status and the program's score;
- :mod:`~rlvr.verifiers.code.convert`: HumanEval/MBPP asserts to function-call cases (by parsing).

Example:
    >>> from rlvr.verifiers.code import parse_task, strict_equal
    >>> parse_task({"cases": [{"stdin": "", "stdout": "hi"}]}).mode
    'stdio'
    >>> strict_equal(True, 1)
    False
"""

from __future__ import annotations

from rlvr.lazy import lazy_exports

# Names resolve on first use (PEP 562): the fork server imports only the modules it runs, which keeps it
# small and its clones cheap.
_EXPORTS = {
    "CallCase": "cases",
    "CaseResult": "cases",
    "CaseStatus": "cases",
    "CodeTask": "cases",
    "InvalidTaskError": "cases",
    "StdioCase": "cases",
    "parse_task": "cases",
    "stdout_matches": "cases",
    "Conversion": "convert",
    "ConversionError": "convert",
    "convert_tests": "convert",
    "humaneval_verification_info": "convert",
    "native_info": "formats",
    "ProgramCases": "judge",
    "ProgramResult": "judge",
    "extract_program": "program",
    "RunResult": "runs",
    "NotPlainError": "values",
    "strict_equal": "values",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


__all__ = [
    "CallCase",
    "CaseResult",
    "CaseStatus",
    "CodeTask",
    "Conversion",
    "ConversionError",
    "InvalidTaskError",
    "NotPlainError",
    "ProgramCases",
    "ProgramResult",
    "RunResult",
    "StdioCase",
    "convert_tests",
    "extract_program",
    "humaneval_verification_info",
    "native_info",
    "parse_task",
    "stdout_matches",
    "strict_equal",
]
