"""Code datasets' test formats, read into rlvr's ``verification_info`` (what ``code_execution`` judges).

Trainers hand a code problem's tests over in the dataset's own format. Read here:

- rlvr's own: an object with ``cases`` (passed through);
- TACO / APPS / verl ``prime_code`` and SandboxFusion: ``{"inputs": [...], "outputs": [...]}`` (stdin/stdout;
  an input or output given as a list of lines is joined with newlines), or with ``"fn_name"``
  (function-call: each input is the argument list, and an output that is a one-element list is the
  returned value, APPS's convention);
- open-r1: ``{"language": "python", "test_cases": [{"input", "output", "type": "stdin_stdout"}]}``;
- LiveCodeBench: ``public_test_cases`` / ``private_test_cases`` (a list, or its JSON text) of
  ``{"input", "output", "testtype": "stdin"}``;
- HumanEval: ``{"test": "def check(candidate): ...", "entry_point": "f"}`` (converted by parsing,
  :func:`rlvr.verifiers.code.convert.humaneval_verification_info`).

What cannot be read — another language, LeetCode-style ``class Solution`` methods (LiveCodeBench
"functional" tests), a format not listed — raises :class:`UnreadableTestsError` with the reason, which the
caller turns into an unjudged item, never a score.

Example:
    >>> read_tests({"inputs": ["1 2\\n"], "outputs": ["3\\n"]})["cases"]
    [{'stdin': '1 2\\n', 'stdout': '3\\n'}]
    >>> read_tests('{"fn_name": "add", "inputs": [[1, 2]], "outputs": [[3]]}')["cases"]
    [{'args': [1, 2], 'expected': 3}]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

#: Keys of a trainer's per-row extra information that may hold the tests, in the order they are tried.
TEST_KEYS = ("verification_info", "test_cases", "input_output", "tests", "ground_truth")
_MAX_JSON_CHARS = 64 << 20


class UnreadableTestsError(ValueError):
    """The tests are in no format this module reads; the item is not judged, with this reason."""


def _loads(raw: str | bytes) -> Any:
    if len(raw) > _MAX_JSON_CHARS:
        raise UnreadableTestsError(f"tests are {len(raw)} characters, more than {_MAX_JSON_CHARS}")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise UnreadableTestsError(f"tests are not valid JSON: {exc}") from None


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and all(isinstance(line, str) for line in value):
        return "\n".join(value) + "\n"
    raise UnreadableTestsError(f"{what} must be text or a list of lines, got {type(value).__name__}")


def _from_inputs_outputs(info: Mapping[str, Any]) -> dict[str, Any]:
    inputs, outputs = info.get("inputs"), info.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise UnreadableTestsError("'inputs' and 'outputs' must be lists")
    if len(inputs) != len(outputs):
        raise UnreadableTestsError(f"{len(inputs)} inputs for {len(outputs)} outputs")
    fn_name = info.get("fn_name")
    result: dict[str, Any] = {"language": "python"}
    if fn_name:
        if not isinstance(fn_name, str) or not fn_name.isidentifier():
            raise UnreadableTestsError(f"fn_name must be a Python name, got {fn_name!r}")
        cases = []
        for args, expected in zip(inputs, outputs, strict=True):
            args = args if isinstance(args, list) else [args]
            if isinstance(expected, list) and len(expected) == 1:
                expected = expected[0]
            cases.append({"args": args, "expected": expected})
        result.update(entry_point=fn_name, cases=cases)
    else:
        result["cases"] = [
            {"stdin": _text(i, "an input"), "stdout": _text(o, "an output")}
            for i, o in zip(inputs, outputs, strict=True)
        ]
    return result


def _from_test_cases(info: Mapping[str, Any]) -> dict[str, Any]:
    cases = []
    for case in info["test_cases"]:
        if not isinstance(case, Mapping):
            raise UnreadableTestsError("every test case must be an object")
        kind = case.get("type", "stdin_stdout")
        if kind != "stdin_stdout":
            raise UnreadableTestsError(f"test case type {kind!r} is not supported (only stdin_stdout)")
        cases.append(
            {"stdin": _text(case.get("input"), "an input"), "stdout": _text(case.get("output"), "an output")}
        )
    return {"language": info.get("language", "python"), "cases": cases}


def _from_livecodebench(info: Mapping[str, Any]) -> dict[str, Any]:
    cases = []
    for key in ("public_test_cases", "private_test_cases"):
        raw = info.get(key) or []
        tests = _loads(raw) if isinstance(raw, (str, bytes)) else raw
        if not isinstance(tests, list):
            raise UnreadableTestsError(f"{key} must be a list")
        for test in tests:
            if not isinstance(test, Mapping):
                raise UnreadableTestsError(f"every entry of {key} must be an object")
            if test.get("testtype", "stdin") != "stdin":
                raise UnreadableTestsError(
                    f"LiveCodeBench {test.get('testtype')!r} tests (class Solution methods) are not supported"
                )
            cases.append(
                {
                    "stdin": _text(test.get("input"), "an input"),
                    "stdout": _text(test.get("output"), "an output"),
                }
            )
    return {"language": "python", "cases": cases}


def read_tests(raw: Any) -> dict[str, Any]:
    """``verification_info`` for tests in any format listed in the module docstring.

    Raises:
        UnreadableTestsError: the tests are in none of them, or malformed.

    Example:
        >>> read_tests({"test_cases": [{"input": "2", "output": "4", "type": "stdin_stdout"}]})["cases"]
        [{'stdin': '2', 'stdout': '4'}]
        >>> read_tests({"language": "cpp", "cases": [{"stdin": "", "stdout": ""}]})["language"]
        'cpp'
        >>> read_tests("4")
        Traceback (most recent call last):
        ...
        rlvr.integrations.code_formats.UnreadableTestsError: tests must be an object, got int
    """
    info = _loads(raw) if isinstance(raw, (str, bytes)) else raw
    if isinstance(info, Mapping) and "input_output" in info and "cases" not in info:
        inner = info["input_output"]  # a TACO/APPS row handed over whole
        info = _loads(inner) if isinstance(inner, (str, bytes)) else inner
    if not isinstance(info, Mapping):
        raise UnreadableTestsError(f"tests must be an object, got {type(info).__name__}")
    if "cases" in info:
        return dict(info)
    if "inputs" in info or "outputs" in info:
        return _from_inputs_outputs(info)
    if isinstance(info.get("test_cases"), list):
        return _from_test_cases(info)
    if "public_test_cases" in info or "private_test_cases" in info:
        return _from_livecodebench(info)
    if isinstance(info.get("test"), str) and isinstance(info.get("entry_point"), str):
        from rlvr.verifiers.code.convert import ConversionError, humaneval_verification_info

        try:
            return humaneval_verification_info(info)
        except ConversionError as exc:
            raise UnreadableTestsError(f"HumanEval tests cannot be converted: {exc}") from None
    keys = ", ".join(sorted(str(k) for k in info)[:8]) or "none"
    raise UnreadableTestsError(f"no tests in a known format (keys: {keys})")


def find_tests(ground_truth: Any, extra_info: Mapping[str, Any] | None) -> Any | None:
    """The raw tests of a row: the first of :data:`TEST_KEYS` in ``extra_info`` that is set (or its
    LiveCodeBench test lists), else a ``ground_truth`` that looks like tests (an object, or JSON text of
    one); ``None`` when there are none.

    Example:
        >>> find_tests("42", {"test_cases": [{"input": "", "output": "1"}]})
        {'test_cases': [{'input': '', 'output': '1'}]}
        >>> find_tests('{"inputs": [], "outputs": []}', None)
        '{"inputs": [], "outputs": []}'
        >>> find_tests("42", {}) is None
        True
    """
    if isinstance(extra_info, Mapping):
        for key in TEST_KEYS:
            value = extra_info.get(key)
            if value is not None and value != "":
                return {key: value} if key == "test_cases" and isinstance(value, list) else value
        lcb = {k: extra_info[k] for k in ("public_test_cases", "private_test_cases") if extra_info.get(k)}
        if lcb:
            return lcb
    if isinstance(ground_truth, Mapping):
        return ground_truth
    if isinstance(ground_truth, (str, bytes)) and ground_truth.lstrip()[:1] in ("{", b"{"):
        return ground_truth
    return None
