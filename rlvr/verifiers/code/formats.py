"""Code datasets' test formats, recognised by their shape and converted to the native ``verification_info``.

:func:`native_info` takes ``verification_info`` as a dataset ships it (a dict, a list, or either as JSON
text) and returns the native form (:mod:`rlvr.verifiers.code.cases`), which :func:`~rlvr.verifiers.code.cases.
parse_task` reads; this module is the one place where any other form becomes native. A value in no known
shape, or a known shape that cannot be read, raises :class:`~rlvr.verifiers.code.cases.InvalidTaskError`
naming the shape and why — the item is then unjudged (``None``), never scored.

=====================================  ==============================================  ======================
shape (recognised by)                  native form                                     compared as
=====================================  ==============================================  ======================
rlvr native (``cases``)                unchanged                                       as it says
TACO / APPS ``{"inputs", "outputs"}``  stdin/stdout cases; an input or output given    ``"tokens"``;
(also a row whose ``input_output``     as a list of lines is joined with newlines;     4 s a case
column holds it, JSON text or not)     ``time_limit`` 4 s (their harness)
... with ``"fn_name"``                 function calls: each input is the argument      ``"loose"``
                                       list; ``expected_any`` = [the output, its first (``==`` after
                                       element] when the output is a non-empty list;   tuples become lists)
                                       dict keys that are all integer text become
                                       ints; ``Solution.fn_name`` when the row's
                                       ``starter_code`` has ``class Solution``
LiveCodeBench row                      ``metadata.func_name`` (dict or JSON text):     stdin: ``"exact"``;
(``public_test_cases`` /               ``Solution.<func_name>`` called with each line  functional:
``private_test_cases``: lists, JSON    of ``input`` as a JSON argument, ``expected``   ``"loose"``; 6 s
text, or compressed)                   the JSON ``output``; else stdin/stdout          a case
LiveCodeBench test list (DeepCoder:    the same, ``func_name`` from the tests'         as above
``[{"input", "output", "testtype"}]``)  ``metadata``
open-r1 / PrimeIntellect               ``stdin_stdout`` cases: stdin/stdout;           stdin: ``"exact"``;
``{"language", "test_cases"}`` (or     ``function_call`` cases (``fn_name``): as       5 s a case
the bare list of typed cases)          TACO's call form
open-r1 Codeforces row                 ``official_tests``; ``time_limit`` (s),         ``"tokens"``, or the
(``official_tests``)                   ``memory_limit`` (MB), ``language``;            generated checker
                                       ``generated_checker`` as a checker program;     program (see below)
                                       refused: file I/O, interactive, not executable
stdin/stdout test list                 stdin/stdout cases (DeepCoder's Codeforces      ``"tokens"``
(``[{"input", "output"}]``)            tests)
KodCode / pytest (``test`` or          function calls read from the asserts by         type-strict
``test_code``; ``test_info``)          :mod:`.pytest_convert`, never run
HumanEval (``test`` with               :func:`.convert.humaneval_verification_info`    type-strict
``check(candidate)``, ``entry_point``)
DeepCoder LeetCode (``functional``:    ``Solution.<name>`` calls read from the         type-strict
``check(...)`` then                    ``check`` function
``check(Solution().name)``)
=====================================  ==============================================  ======================

Why these comparisons (each dataset's own judge, mirrored as far as a native checker allows):

- TACO (``metrics/testing_util.py``) and APPS (``eval/testing_util.py``) accept an output whose text equals
  the expected text once stripped — APPS line by line — and fall back to comparing whitespace-split tokens
  per line. ``"tokens"`` accepts everything their main rule accepts and is what the source judges
  (Codeforces, AtCoder, CodeChef, Kattis) apply; not mirrored: their fallbacks that accept tokens in any
  order, floats within ``np.allclose`` (APPS, one number per line; it also accepts ``1000001`` for
  ``1000000``) and rounding to 3 decimals. Call-based: ``method(*inputs)``, then ``output == expected``
  or, for a non-empty list, ``output == expected[0]``, a returned tuple (or list of tuples) made a list
  first: ``expected_any`` with ``"loose"`` equality (which, unlike ``==``, keeps ``True`` and ``1`` apart).
  They call a method of ``Solution()`` when the *program* contains ``class Solution``; rlvr decides from the
  row's ``starter_code``, so a bare ``input_output`` of a LeetCode problem calls a function.
- LiveCodeBench (``lcb_runner/evaluation/testing_util.py``) compares stripped lines, requires the same
  number of lines, and lets a line match when its tokens are equal as ``Decimal`` numbers; ``"exact"``
  keeps the line structure (it differs on leading spaces, on several spaces between numbers and on numbers
  spelled differently, ``1.0`` for ``1``). Functional tests: ``prediction == json.loads(output)`` after a
  returned tuple becomes a list; the private tests' pickle is read by :mod:`.pickled`, never unpickled.
- open-r1's ``code_reward`` compares the stripped output line by line, each line stripped: ``"exact"``
  (its ``zip`` accepts a missing line; not mirrored). open-r1's Codeforces scorer (their piston package's
  ``run`` script) normalises all whitespace before comparing, so ``"tokens"`` (its ``yes``/``no`` case
  folding is not mirrored); a ``generated_checker`` follows another contract than rlvr's checker programs
  and is wrapped by :mod:`.openr1_checker`.
- Per-case time limits are those of the datasets' harnesses (TACO/APPS 4 s, LiveCodeBench 6 s, open-r1's
  E2B script 5 s, Codeforces the row's own); the reward caps them (``max_time_limit``).

Example:
    >>> native_info({"inputs": ["1 2\\n"], "outputs": ["3\\n"]})["cases"]
    [{'stdin': '1 2\\n', 'stdout': '3\\n'}]
    >>> native_info('{"fn_name": "add", "inputs": [[1, 2]], "outputs": [[3]]}')["cases"]
    [{'args': [1, 2], 'expected_any': [[3], 3]}]
    >>> native_info({"problem": "add"})
    Traceback (most recent call last):
    ...
    rlvr.verifiers.code.cases.InvalidTaskError: verification_info is in no known shape (an object with keys \
problem)
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rlvr.verifiers.code.cases import InvalidTaskError
from rlvr.verifiers.code.checkers import normal_language
from rlvr.verifiers.code.convert import ConversionError, convert_tests, humaneval_verification_info
from rlvr.verifiers.code.openr1_checker import CHECKER_LANGUAGE, checker_program
from rlvr.verifiers.code.pickled import UnsafePickleError, compressed_pickled_string
from rlvr.verifiers.code.pytest_convert import convert_pytest
from rlvr.verifiers.code.values import NotPlainError, to_plain

#: Per-case time limits of each dataset's own harness (seconds).
TACO_TIME_LIMIT = 4.0
LIVECODEBENCH_TIME_LIMIT = 6.0
OPENR1_TIME_LIMIT = 5.0
MAX_JSON_CHARS = 256 << 20

Native = dict[str, Any]


#: What LiveCodeBench puts before every program it runs (its grader's import header), so an honest
#: ``class Solution`` copied from a LeetCode starter (``List[int]``) runs as it does there.
LIVECODEBENCH_PRELUDE = "\n".join(
    [
        *(
            f"from {module} import *"
            for module in (
                "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
                "statistics", "itertools", "functools", "operator", "io", "sys", "json", "typing",
            )
        ),
        "import string, re, datetime, collections, heapq, bisect, copy, math, random, statistics",
        "import itertools, functools, operator, io, sys, json",
        "sys.setrecursionlimit(50000)",
    ]
)  # fmt: skip
#: What APPS and TACO put before every program (their harnesses' imports; numpy left out: importing it
#: in every run costs more than most programs, and a program that uses it imports it).
TACO_PRELUDE = "\n".join(
    [
        "import sys, time, itertools, collections, math, fractions, random, heapq",
        "from itertools import accumulate, product, permutations, combinations",
        "from collections import Counter, OrderedDict, deque, defaultdict, ChainMap",
        "from functools import lru_cache",
        "from math import sqrt, sin, cos, tan, ceil, fabs, floor, gcd, exp, log, log2",
        "from typing import List, Tuple",
        "from heapq import *",
    ]
)
#: open-r1's Codeforces judge compares whitespace-separated tokens with ``yes``/``no`` in any case.
CODEFORCES_CHECKER = {"type": "tokens", "any_case": ["yes", "no"]}


def _describe(value: object) -> str:
    if isinstance(value, Mapping):
        keys = [str(k)[:30] for k in list(value)[:8]]
        more = ", ..." if len(value) > 8 else ""
        return f"an object with keys {', '.join(keys)}{more}" if keys else "an empty object"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"a {type(value).__name__}"


def _json(value: object, shape: str, what: str) -> Any:
    """``value``, decoded when it is JSON text."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return value
    if len(value) > MAX_JSON_CHARS:
        raise InvalidTaskError(f"{shape}: {what} is {len(value)} characters, more than {MAX_JSON_CHARS}")
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise InvalidTaskError(f"{shape}: {what} is not valid JSON: {str(exc)[:120]}") from None


def _plain(value: object, shape: str, what: str) -> Any:
    """A JSON value as native plain-value JSON (``$`` tags where JSON cannot say the type)."""
    try:
        return to_plain(value)
    except (NotPlainError, RecursionError, ValueError) as exc:
        raise InvalidTaskError(f"{shape}: {what}: {str(exc)[:120]}") from None


def _text(value: object, shape: str, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "\n".join(value)  # both harnesses join a list of lines with newlines
    raise InvalidTaskError(f"{shape}: {what} must be text or a list of lines, got {type(value).__name__}")


def _int_keys(value: dict[Any, Any]) -> dict[Any, Any] | None:
    """APPS's repair of JSON's string keys: every key an ``int``, or ``None`` when one does not convert."""
    try:
        return {int(k): v for k, v in value.items()}
    except (TypeError, ValueError):
        return None


def _entry(fn_name: object, starter_code: object, shape: str) -> str:
    if not isinstance(fn_name, str) or not fn_name.isidentifier():
        raise InvalidTaskError(f"{shape}: fn_name must be a Python name, got {str(fn_name)[:40]!r}")
    if isinstance(starter_code, str) and "class Solution" in starter_code:
        return f"Solution.{fn_name}"
    return fn_name


def _call_case(args: object, output: object, shape: str, index: int) -> dict[str, Any]:
    """One APPS/TACO call-based case (``run_test``: ``method(*inputs)``; the output compared with ``==``
    as given or, when it is a non-empty list, with its first element)."""
    if isinstance(args, str):
        args = _json(args, shape, f"input {index}")
    if not isinstance(args, list):
        kind = type(args).__name__
        raise InvalidTaskError(f"{shape}: input {index} must be the list of arguments, got {kind}")
    if args and isinstance(args[0], dict) and (keyed := _int_keys(args[0])) is not None:
        args = [keyed, *args[1:]]  # (APPS also drops the other arguments here: every solution would fail)
    if isinstance(output, dict) and (keyed := _int_keys(output)) is not None:
        output = [keyed]
    elif (
        isinstance(output, list)
        and output
        and isinstance(output[0], dict)
        and (keyed := _int_keys(output[0])) is not None
    ):
        output = [keyed, *output[1:]]  # (APPS keeps only the first element)
    accepted = [output, output[0]] if isinstance(output, list) and output else [output]
    return {
        "args": [_plain(a, shape, f"input {index}") for a in args],
        "expected_any": [_plain(v, shape, f"output {index}") for v in accepted],
    }


def _pairs(inputs: object, outputs: object, shape: str) -> list[tuple[Any, Any]]:
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise InvalidTaskError(f"{shape}: 'inputs' and 'outputs' must be lists")
    if len(inputs) != len(outputs):
        raise InvalidTaskError(f"{shape}: {len(inputs)} inputs for {len(outputs)} outputs")
    if not inputs:
        raise InvalidTaskError(f"{shape}: no test cases")
    return list(zip(inputs, outputs, strict=True))


def _taco(io: Mapping[str, Any], row: Mapping[str, Any] | None = None) -> Native:
    shape = "TACO/APPS row" if row is not None else "TACO/APPS input_output"
    pairs = _pairs(io.get("inputs"), io.get("outputs"), shape)
    starter = (row or {}).get("starter_code")
    fn_name = io.get("fn_name")
    if fn_name:
        return {
            "language": "python",
            "entry_point": _entry(fn_name, starter, shape),
            "equality": "loose",
            "time_limit": TACO_TIME_LIMIT,
            "prelude": TACO_PRELUDE,
            "cases": [_call_case(i, o, shape, n) for n, (i, o) in enumerate(pairs)],
        }
    if isinstance(starter, str) and "class Solution" in starter:
        raise InvalidTaskError(
            f"{shape}: a 'class Solution' starter without fn_name (TACO's GeeksforGeeks rows): the inputs "
            "are example text, not a program's standard input"
        )
    return {
        "language": "python",
        "checker": "tokens",
        "time_limit": TACO_TIME_LIMIT,
        "prelude": TACO_PRELUDE,
        "cases": [
            {"stdin": _text(i, shape, f"input {n}"), "stdout": _text(o, shape, f"output {n}")}
            for n, (i, o) in enumerate(pairs)
        ],
    }


def _taco_row(row: Mapping[str, Any]) -> Native:
    io = _json(row.get("input_output"), "TACO/APPS row", "input_output")
    if not isinstance(io, Mapping):
        raise InvalidTaskError(f"TACO/APPS row: input_output must be an object, got {_describe(io)}")
    return _taco(io, row)


# -- LiveCodeBench ---------------------------------------------------------------------------------------


def _lcb_tests(value: object, shape: str, what: str, compressed: bool) -> list[Mapping[str, Any]]:
    if value is None or value == "":
        return []
    if isinstance(value, (str, bytes)):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            if not compressed:
                raise InvalidTaskError(f"{shape}: {what} is not valid JSON") from None
            try:
                value = json.loads(compressed_pickled_string(text))
            except UnsafePickleError as exc:
                raise InvalidTaskError(f"{shape}: {what} is neither JSON nor compressed: {exc}") from None
            except (ValueError, RecursionError) as exc:
                raise InvalidTaskError(f"{shape}: decompressed {what} is not JSON: {str(exc)[:80]}") from None
    if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
        raise InvalidTaskError(f"{shape}: {what} must be a list of test objects, got {_describe(value)}")
    return value


def _func_name(metadata: object, shape: str) -> str | None:
    metadata = _json(metadata, shape, "metadata") if metadata not in (None, "") else {}
    if not isinstance(metadata, Mapping):
        raise InvalidTaskError(f"{shape}: metadata must be an object, got {_describe(metadata)}")
    name = metadata.get("func_name")
    if name in (None, ""):
        return None
    if not isinstance(name, str):
        raise InvalidTaskError(f"{shape}: metadata.func_name must be text, got {type(name).__name__}")
    return name


def _lcb_arguments(text: str, shape: str, index: int) -> list[Any]:
    """LiveCodeBench's functional input: one JSON argument per line."""
    out = []
    for number, line in enumerate(text.split("\n"), 1):
        try:
            out.append(json.loads(line))
        except (ValueError, RecursionError):
            raise InvalidTaskError(f"{shape}: test {index} input line {number} is not JSON") from None
    return out


def _lcb(tests: Sequence[Mapping[str, Any]], func_name: str | None, shape: str) -> Native:
    if not tests:
        raise InvalidTaskError(f"{shape}: no test cases")
    kinds = {str(t.get("testtype", "functional" if func_name else "stdin"))[:30] for t in tests}
    if not kinds <= {"stdin", "functional"}:
        raise InvalidTaskError(f"{shape}: unknown testtype {sorted(kinds - {'stdin', 'functional'})[0]!r}")
    if len(kinds) > 1:
        raise InvalidTaskError(f"{shape}: stdin and functional tests mixed")
    for index, test in enumerate(tests):
        if not isinstance(test.get("input"), str) or not isinstance(test.get("output"), str):
            raise InvalidTaskError(f"{shape}: test {index} needs string 'input' and 'output'")
    if kinds == {"stdin"}:
        if func_name:
            raise InvalidTaskError(f"{shape}: stdin tests with metadata.func_name {func_name!r}")
        return {
            "language": "python",
            "checker": "lines",
            "time_limit": LIVECODEBENCH_TIME_LIMIT,
            "prelude": LIVECODEBENCH_PRELUDE,
            "cases": [{"stdin": t["input"], "stdout": t["output"]} for t in tests],
        }
    if not func_name:
        raise InvalidTaskError(f"{shape}: functional tests need metadata.func_name")
    cases = []
    for index, test in enumerate(tests):
        arguments = _lcb_arguments(test["input"], shape, index)
        expected = _json(test["output"], shape, f"test {index} output")
        cases.append(
            {
                "args": [_plain(a, shape, f"test {index} input") for a in arguments],
                "expected": _plain(expected, shape, f"test {index} output"),
            }
        )
    return {
        "language": "python",
        "entry_point": _entry(func_name, "class Solution", shape),
        "equality": "loose",
        "time_limit": LIVECODEBENCH_TIME_LIMIT,
        "prelude": LIVECODEBENCH_PRELUDE,
        "cases": cases,
    }


def _lcb_row(row: Mapping[str, Any]) -> Native:
    shape = "LiveCodeBench row"
    public = _lcb_tests(row.get("public_test_cases"), shape, "public_test_cases", compressed=False)
    private = _lcb_tests(row.get("private_test_cases"), shape, "private_test_cases", compressed=True)
    return _lcb([*public, *private], _func_name(row.get("metadata"), shape), shape)


def _lcb_list(tests: Sequence[Mapping[str, Any]]) -> Native:
    shape = "LiveCodeBench test list"
    names = {_func_name(t.get("metadata"), shape) for t in tests} - {None}
    if len(names) > 1:
        raise InvalidTaskError(f"{shape}: tests name several functions ({', '.join(sorted(names))[:80]})")
    return _lcb(tests, next(iter(names), None), shape)


# -- open-r1 / PrimeIntellect -------------------------------------------------------------------------------


def _language(value: object, shape: str) -> str:
    language = normal_language(value if value is not None else "python")
    if language is None:
        raise InvalidTaskError(f"{shape}: language {str(value)[:40]!r} is not one rlvr runs (python, cpp)")
    return language


def _typed_cases(tests: object, language: object, shape: str, fn_name: object = None) -> Native:
    if not isinstance(tests, list) or not tests or not all(isinstance(t, Mapping) for t in tests):
        raise InvalidTaskError(f"{shape}: test_cases must be a non-empty list of objects")
    kinds = {str(t.get("type", "stdin_stdout"))[:20] for t in tests}
    if len(kinds) > 1 or not kinds <= {"stdin_stdout", "function_call"}:
        found = ", ".join(sorted(kinds))
        raise InvalidTaskError(f"{shape}: test types {found} (one type: stdin_stdout or function_call)")
    lang = _language(language, shape)
    if kinds == {"function_call"}:
        names = {json.dumps(t.get("fn_name") or fn_name, default=str) for t in tests}
        if len(names) != 1:
            raise InvalidTaskError(f"{shape}: function_call tests need one fn_name")
        if lang != "python":
            raise InvalidTaskError(f"{shape}: function_call tests need a Python program, not {lang}")
        return {
            "language": "python",
            "entry_point": _entry(tests[0].get("fn_name") or fn_name, None, shape),
            "equality": "loose",
            "time_limit": OPENR1_TIME_LIMIT,
            "cases": [_call_case(t.get("input"), t.get("output"), shape, n) for n, t in enumerate(tests)],
        }
    cases = []
    for index, test in enumerate(tests):
        stdin, stdout = test.get("input"), test.get("output")
        if not isinstance(stdin, str) or not isinstance(stdout, str):
            raise InvalidTaskError(f"{shape}: test {index} needs string 'input' and 'output'")
        cases.append({"stdin": stdin, "stdout": stdout})
    return {"language": lang, "checker": "exact", "time_limit": OPENR1_TIME_LIMIT, "cases": cases}


def _openr1(info: Mapping[str, Any]) -> Native:
    shape = "open-r1 verifiable-coding row"
    tests = _json(info.get("test_cases"), shape, "test_cases")
    return _typed_cases(tests, info.get("language"), shape, info.get("fn_name"))


def _positive(value: object, shape: str, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise InvalidTaskError(f"{shape}: {what} must be a positive number, got {str(value)[:40]!r}")
    return float(value)


def _codeforces_row(row: Mapping[str, Any]) -> Native:
    shape = "open-r1 Codeforces row"
    if row.get("executable") is False:
        raise InvalidTaskError(f"{shape}: marked not executable")
    if row.get("interaction_format"):
        raise InvalidTaskError(f"{shape}: an interactive problem (no fixed output to judge)")
    mode = row.get("input_mode") or "stdio"
    if mode != "stdio":
        raise InvalidTaskError(
            f"{shape}: input_mode {str(mode)[:20]!r} (the program reads input.txt and writes output.txt), "
            "which the sandbox does not run"
        )
    tests = _json(row.get("official_tests"), shape, "official_tests")
    if not isinstance(tests, list) or not tests:
        raise InvalidTaskError(f"{shape}: no official tests (generated tests are not part of the row)")
    cases = []
    for index, test in enumerate(tests):
        if not isinstance(test, Mapping) or not isinstance(test.get("input"), str):
            raise InvalidTaskError(f"{shape}: official test {index} needs string 'input' and 'output'")
        if not isinstance(test.get("output"), str):
            raise InvalidTaskError(f"{shape}: official test {index} needs string 'input' and 'output'")
        cases.append({"stdin": test["input"], "stdout": test["output"]})
    native: Native = {"language": _language(row.get("language"), shape), "cases": cases}
    time_limit = _positive(row.get("time_limit"), shape, "time_limit")
    memory = _positive(row.get("memory_limit"), shape, "memory_limit")
    if time_limit is not None:
        native["time_limit"] = time_limit
    if memory is not None:
        native["memory_limit_mb"] = math.ceil(memory)
    checker = row.get("generated_checker")
    if checker is not None and not isinstance(checker, str):
        raise InvalidTaskError(f"{shape}: generated_checker must be text, got {type(checker).__name__}")
    if checker and checker.strip():
        program = checker_program(checker)
        native["checker"] = {"type": "program", "language": CHECKER_LANGUAGE, "source": program}
    else:
        native["checker"] = CODEFORCES_CHECKER
    return native


def _io_list(tests: Sequence[Mapping[str, Any]]) -> Native:
    shape = "stdin/stdout test list"
    cases = []
    for index, test in enumerate(tests):
        stdin, stdout = test.get("input"), test.get("output")
        if not isinstance(stdin, str) or not isinstance(stdout, str):
            raise InvalidTaskError(f"{shape}: test {index} needs string 'input' and 'output'")
        cases.append({"stdin": stdin, "stdout": stdout})
    return {"language": "python", "checker": "tokens", "cases": cases}


# -- tests written as code ----------------------------------------------------------------------------------


def _pytest_row(row: Mapping[str, Any]) -> Native:
    shape = "KodCode/pytest row"
    test = row.get("test") if isinstance(row.get("test"), str) else row.get("test_code")
    if not isinstance(test, str):
        raise InvalidTaskError(f"{shape}: the test must be text")
    info = _json(row.get("test_info"), shape, "test_info")
    names: list[str] = []
    if isinstance(info, list):
        functions = (i.get("function_name") for i in info if isinstance(i, Mapping))
        names = [name for name in functions if isinstance(name, str)]
    entry = names[0] if len(set(names)) == 1 else None
    try:
        tests = convert_pytest(test, entry)
    except ConversionError as exc:
        raise InvalidTaskError(f"{shape}: {str(exc)[:400]}") from None
    return {"language": "python", "entry_point": tests.entry_point, "cases": tests.conversion.to_json()}


def _humaneval(row: Mapping[str, Any]) -> Native:
    try:
        return humaneval_verification_info(row)
    except ConversionError as exc:
        raise InvalidTaskError(f"HumanEval row: {str(exc)[:400]}") from None


def _leetcode_check(row: Mapping[str, Any]) -> Native:
    """DeepCoder's LeetCode rows: ``check(candidate)`` asserts, then ``check(Solution().method)``."""
    shape = "DeepCoder LeetCode row"
    source = row.get("functional")
    try:
        tree = ast.parse(source) if isinstance(source, str) else None
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # MemoryError: too deeply nested
        tree = None
    if tree is None:
        raise InvalidTaskError(f"{shape}: 'functional' is not Python source")
    method = None
    body = []
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "check"
            and len(call.args) == 1
            and isinstance(call.args[0], ast.Attribute)
            and isinstance(call.args[0].value, ast.Call)
            and isinstance(call.args[0].value.func, ast.Name)
            and call.args[0].value.func.id == "Solution"
        ):
            method = call.args[0].attr
        else:
            body.append(node)
    if method is None:
        raise InvalidTaskError(f"{shape}: no check(Solution().method) call")
    try:
        conversion = convert_tests(ast.unparse(ast.Module(body=body, type_ignores=[])), method)
    except (ValueError, RecursionError) as exc:  # ConversionError is a ValueError
        raise InvalidTaskError(f"{shape}: {str(exc)[:400]}") from None
    return {"language": "python", "entry_point": f"Solution.{method}", "cases": conversion.to_json()}


# -- recognising the shape ------------------------------------------------------------------------------


def _test_list(tests: list[Any]) -> Native:
    if not tests or not all(isinstance(t, Mapping) for t in tests):
        got = _describe(tests)
        raise InvalidTaskError(f"verification_info must be an object or a list of tests, got {got}")
    if any("testtype" in t for t in tests):
        return _lcb_list(tests)
    if any("type" in t for t in tests):
        return _typed_cases(tests, "python", "PrimeIntellect test list")
    return _io_list(tests)


def _has(info: Mapping[str, Any], *keys: str) -> bool:
    """Whether any of ``keys`` holds a value (datasets of several schemas fill missing columns with None)."""
    return any(info.get(key) is not None for key in keys)


_SHAPES: tuple[tuple[Callable[[Mapping[str, Any]], bool], Callable[[Mapping[str, Any]], Native]], ...] = (
    (lambda m: _has(m, "input_output"), _taco_row),
    (lambda m: _has(m, "inputs") and _has(m, "outputs"), _taco),
    (lambda m: _has(m, "public_test_cases", "private_test_cases"), _lcb_row),
    (lambda m: _has(m, "official_tests"), _codeforces_row),
    (lambda m: _has(m, "test_cases"), _openr1),
    (lambda m: isinstance(m.get("functional"), str), _leetcode_check),
    (lambda m: _has(m, "entry_point") and "def check(" in str(m.get("test")), _humaneval),
    (lambda m: isinstance(m.get("test"), str) or isinstance(m.get("test_code"), str), _pytest_row),
)


def native_info(raw: object) -> Native:
    """``verification_info`` in any shape of the module docstring, as rlvr's native form.

    Raises:
        InvalidTaskError: no known shape, or the shape's content cannot be read (the message names both).

    Example:
        >>> native = native_info({"test_cases": [{"input": "1", "output": "2", "type": "stdin_stdout"}]})
        >>> native["checker"], native["time_limit"], native["cases"]
        ('exact', 5.0, [{'stdin': '1', 'stdout': '2'}])
        >>> native_info({"cases": [{"stdin": "", "stdout": "x"}]})["cases"]
        [{'stdin': '', 'stdout': 'x'}]
    """
    info = _json(raw, "verification_info", "the text")
    if isinstance(info, list):
        return _test_list(info)
    if not isinstance(info, Mapping):
        raise InvalidTaskError(f"verification_info must be an object or a list, got {type(info).__name__}")
    if "cases" in info:
        return dict(info)
    for recognises, convert in _SHAPES:
        if recognises(info):
            return convert(info)
    raise InvalidTaskError(f"verification_info is in no known shape ({_describe(info)})")
