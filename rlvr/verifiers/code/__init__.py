"""Running untrusted Python programs and judging them outside their process.

- :mod:`~rlvr.verifiers.code.program`: the program in a completion;
- :mod:`~rlvr.verifiers.code.cases`: ``verification_info``, cases, statuses, stdout comparison;
- :mod:`~rlvr.verifiers.code.values`: plain values across the boundary, type-strict equality;
- :mod:`~rlvr.verifiers.code.convert`: HumanEval/MBPP asserts to function-call cases (by parsing);
- :mod:`~rlvr.verifiers.code.sandbox`: the isolated, resource-capped runner (a warm fork server);
- :mod:`~rlvr.verifiers.code.judge`: runs programs and decides each case's status and the verdict.

Example:
    >>> from rlvr.verifiers.code import parse_task, strict_equal
    >>> parse_task({"cases": [{"stdin": "", "stdout": "hi"}]}).mode
    'stdio'
    >>> strict_equal(True, 1)
    False
"""

from __future__ import annotations

import importlib
from typing import Any

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
    "ProgramResult": "judge",
    "judge_programs": "judge",
    "extract_program": "program",
    "Job": "sandbox",
    "RunResult": "sandbox",
    "Sandbox": "sandbox",
    "SandboxConfig": "sandbox",
    "SandboxUnavailableError": "sandbox",
    "NotPlainError": "values",
    "strict_equal": "values",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "CallCase",
    "CaseResult",
    "CaseStatus",
    "CodeTask",
    "Conversion",
    "ConversionError",
    "InvalidTaskError",
    "Job",
    "NotPlainError",
    "ProgramResult",
    "RunResult",
    "Sandbox",
    "SandboxConfig",
    "SandboxUnavailableError",
    "StdioCase",
    "convert_tests",
    "extract_program",
    "humaneval_verification_info",
    "judge_programs",
    "parse_task",
    "stdout_matches",
    "strict_equal",
]
