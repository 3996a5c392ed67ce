"""Where a trainer's row keeps a code problem's tests: found here, read by the code reward.

verl hands a row's tests over in ``extra_info`` or as the ``ground_truth`` (TACO/APPS' ``input_output``
JSON, verl's ``prime_code`` and SandboxFusion rows); OpenRLHF as the ``label``. :func:`find_tests` finds
them; ``code_execution`` reads them in whatever dataset shape they come
(:func:`rlvr.verifiers.code.formats.native_info`: rlvr's own, TACO/APPS, LiveCodeBench, open-r1,
Codeforces, KodCode, HumanEval, ...), and a shape it cannot read makes the item unjudged, with the reason.

Example:
    >>> find_tests('{"inputs": ["1 2\\\\n"], "outputs": ["3\\\\n"]}', {})
    '{"inputs": ["1 2\\\\n"], "outputs": ["3\\\\n"]}'
"""

from __future__ import annotations

from collections.abc import Mapping

#: Keys of a row's ``extra_info`` that may hold its tests, in the order they are tried.
TEST_KEYS = ("verification_info", "test_cases", "input_output", "tests")
#: Row keys that travel with the tests when they are there (how a dataset's own harness runs them).
_ROW_KEYS = ("starter_code", "fn_name", "metadata", "language", "time_limit", "memory_limit")
_LIVECODEBENCH_KEYS = ("public_test_cases", "private_test_cases")


def find_tests(ground_truth: object, extra_info: Mapping[str, object] | None) -> object | None:
    """A row's tests: from ``extra_info`` (the first of :data:`TEST_KEYS` that is set, or a LiveCodeBench
    row's test lists), else a ``ground_truth`` that is an object or a list, or JSON text of one; ``None``
    when the row has none (a plain answer such as ``"42"``).

    Example:
        >>> find_tests("42", {"test_cases": [{"input": "", "output": "1", "type": "stdin_stdout"}]})
        {'test_cases': [{'input': '', 'output': '1', 'type': 'stdin_stdout'}]}
        >>> find_tests("42", {"input_output": "{}", "starter_code": "class Solution: ..."})
        {'input_output': '{}', 'starter_code': 'class Solution: ...'}
        >>> find_tests("42", {}) is None, find_tests("[1, 2]", None)
        (True, '[1, 2]')
    """
    if isinstance(extra_info, Mapping):
        for key in TEST_KEYS:
            value = extra_info.get(key)
            if value is None or value == "":
                continue
            if key in ("verification_info", "tests"):
                return value
            context = {k: extra_info[k] for k in _ROW_KEYS if extra_info.get(k) is not None}
            return {key: value, **context}
        if any(extra_info.get(key) for key in _LIVECODEBENCH_KEYS):
            return {
                k: extra_info[k] for k in (*_LIVECODEBENCH_KEYS, "metadata") if extra_info.get(k) is not None
            }
    if isinstance(ground_truth, (Mapping, list)):
        return ground_truth
    if isinstance(ground_truth, (str, bytes)) and ground_truth.lstrip()[:1] in ("{", "[", b"{", b"["):
        return ground_truth
    return None
