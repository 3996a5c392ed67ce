"""open-r1's Codeforces checkers (``generated_checker``) under rlvr's testlib-style checker contract.

rlvr runs a checker program as testlib does: ``argv`` = input file, contestant output file, expected answer
file; exit status 0 accepts, 1 rejects, 3 is the checker's own failure (the item is not judged). open-r1's
generated checkers follow another contract (their piston ``codeforces`` package, ``run`` script):

- ``python3 checker.py INPUT CORRECT_OUTPUT SOLUTION_OUTPUT`` — the *expected* answer second, the
  contestant's output third;
- before the checker runs, empty lines are deleted from both outputs, carriage returns at line ends are
  deleted from the input and the expected output, and the expected output ends with exactly one newline;
- the test passes when the checker's standard output, all whitespace removed, is ``1`` or ``100`` *and* its
  exit status is 0; anything else (another verdict, an exception, a non-zero status, 10 s) fails the test.

:func:`checker_program` wraps such a checker in a Python program that speaks rlvr's contract: it prepares the
three files as open-r1 does (copies in a temporary folder), runs the checker's code in-process as
``__main__`` with open-r1's ``argv`` order, reads what it printed, and exits 0 (accepted) or 1 (rejected).
A checker that raises is a rejection, as in open-r1 (these checkers parse the contestant's output without
guarding it, so a malformed output raises); a checker whose code does not compile, or files that cannot be
prepared, exit 3. A contestant output that is not UTF-8 reaches the checker with replacement characters
(open-r1's checker would raise on it: rejected either way).

Example:
    >>> program = checker_program("import sys\\nprint(int(open(sys.argv[3]).read() > ''))")
    >>> compile(program, "checker.py", "exec").co_filename
    'checker.py'
"""

from __future__ import annotations

CHECKER_LANGUAGE = "python"

_PROGRAM = '''\
"""rlvr: an open-r1 Codeforces checker (below, CHECKER) run under testlib's contract.

argv: input, contestant output, expected answer. Exit 0: accepted; 1: rejected; 3: the checker failed.
"""
import contextlib
import io
import os
import sys
import tempfile

CHECKER = {source!r}


def _text(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def _lines(text, drop_cr, drop_empty):
    ends_with_newline = text.endswith("\\n")
    lines = text.split("\\n")
    if ends_with_newline:
        lines.pop()
    if drop_cr:
        lines = [line[:-1] if line.endswith("\\r") else line for line in lines]
    if drop_empty:
        lines = [line for line in lines if line]
    if not lines:
        return ""
    return "\\n".join(lines) + ("\\n" if ends_with_newline else "")


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, bool) or not isinstance(code, int):
        return 1
    return code & 0xFF


def _raise_exit(code=0):
    raise SystemExit(code)


def main():
    if len(sys.argv) != 4:
        print("usage: checker INPUT OUTPUT ANSWER", file=sys.stderr)
        return 3
    try:
        code = compile(CHECKER, "checker.py", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        print(f"the checker does not compile: {{exc}}"[:300], file=sys.stderr)
        return 3
    try:
        given_input, contestant, expected = (_text(path) for path in sys.argv[1:4])
        expected = expected.rstrip("\\n") + "\\n"
        prepared = {{
            "input.txt": _lines(given_input, drop_cr=True, drop_empty=False),
            "correct_output.txt": _lines(expected, drop_cr=True, drop_empty=True),
            "solution_output.txt": _lines(contestant, drop_cr=False, drop_empty=True),
        }}
        folder = tempfile.mkdtemp(prefix="rlvr-checker-")
        paths = {{}}
        for name, text in prepared.items():
            paths[name] = os.path.join(folder, name)
            with open(paths[name], "w", encoding="utf-8") as handle:
                handle.write(text)
    except (OSError, ValueError) as exc:
        print(f"cannot prepare the checker's files: {{exc}}"[:300], file=sys.stderr)
        return 3
    printed = io.StringIO()
    status = 0
    saved_argv, saved_exit = sys.argv, os._exit
    sys.argv = ["checker.py", paths["input.txt"], paths["correct_output.txt"], paths["solution_output.txt"]]
    os._exit = _raise_exit
    try:
        with contextlib.redirect_stdout(printed):
            exec(code, {{"__name__": "__main__", "__file__": "checker.py", "__builtins__": __builtins__}})
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BaseException as exc:
        print(f"the checker raised {{type(exc).__name__}}: {{exc}}"[:300], file=sys.stderr)
        status = 1
    finally:
        sys.argv, os._exit = saved_argv, saved_exit
    verdict = "".join(printed.getvalue().split())
    if status == 0 and verdict in ("1", "100"):
        return 0
    print(f"rejected by the checker (it printed {{verdict[:40]!r}}, exit status {{status}})", file=sys.stderr)
    return 1


sys.exit(main())
'''


def checker_program(source: str) -> str:
    """A Python program that runs open-r1 checker ``source`` under rlvr's checker contract (module docstring).

    ``source`` is embedded as a string literal (:func:`repr`), so any text gives a valid program; a checker
    that does not compile makes the program exit 3 when it runs.

    Example:
        >>> "CHECKER = 'print(1)'" in checker_program("print(1)")
        True
    """
    return _PROGRAM.format(source=source)
