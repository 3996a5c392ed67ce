"""Shared pieces of the Ray backend's tests: Ray itself (or a skip), and labelled batches to compare."""

from __future__ import annotations

import json
import os
from importlib import resources
from types import ModuleType
from typing import Any

import pytest


def require_ray() -> ModuleType:
    """The ``ray`` module; skip the module without it, unless ``RLVR_REQUIRE_RAY=1`` (CI) makes it fail."""
    if os.environ.get("RLVR_REQUIRE_RAY") == "1":
        import ray

        return ray
    return pytest.importorskip("ray", reason="needs the [ray] extra: pip install -e '.[ray]'")


#: (completion, gold): plain numbers and fractions (decided in-process), symbolic items that need sympy
#: in a worker, a gold that does not parse, a tower of powers that runs into the deadline.
MATH_ITEMS: list[tuple[str, str]] = [
    ("The answer is \\boxed{42}.", "42"),
    ("So \\boxed{0.5}", "\\frac{1}{2}"),
    ("\\boxed{\\frac{\\cos x}{\\sin x}}", "\\cot x"),
    ("\\boxed{\\frac{3\\cos x}{\\sin x}}", "3\\cot x"),
    ("\\boxed{2\\sin x\\cos x}", "\\sin(2x)"),
    ("\\boxed{2\\sin x\\cos x + 1}", "\\sin(2x)"),
    ("\\boxed{(e^x)^5}", "e^{5x}"),
    ("\\boxed{e^{4x}}", "e^{5x}"),
    ("\\boxed{\\sqrt{12}}", "2\\sqrt{3}"),
    ("\\boxed{[2, 5)}", "[2,5)"),
    ("\\boxed{7}", "\\frac{"),
    ("\\boxed{\\dfrac{5^{5^{5^{5^{5}}}}-5}{16}}", "3"),
    ("no answer here", "3"),
] + [(f"\\boxed{{\\frac{{{k}\\cos x}}{{\\sin x}}}}", f"{k + k % 2}\\cot x") for k in range(2, 14)]

_SANDBOX_ATTACKS = [
    ("hack-memory-bomb", "def add(a, b):\n    x = bytearray(10**10)\n    return a + b"),
    ("hack-write-outside", "def add(a, b):\n    open('/etc/rlvr-owned', 'w').write('x')\n    return a + b"),
    ("hack-os-exit", "import os\ndef add(a, b):\n    os._exit(0)"),
    ("hack-frame-walk", "import sys\ndef add(a, b):\n    return sys._getframe(1).f_locals.get('expected')"),
    ("hack-print-pass", "def add(a, b):\n    print('PASSED')\n    return -1"),
    ("honest-slow", "import time\ndef add(a, b):\n    time.sleep(0.2)\n    return a + b"),
]
_ADD_INFO = {
    "entry_point": "add",
    "cases": [{"args": [1, 2], "expected": 3}, {"args": [-4, 4], "expected": 0}],
    "time_limit": 1.0,
}
_CPP_INFO = {
    "language": "cpp",
    "cases": [{"stdin": "3\n", "stdout": "9\n"}, {"stdin": "5\n", "stdout": "25\n"}],
}
_CPP_HONEST = (
    "```cpp\n#include <iostream>\nint main(){long n; std::cin >> n; std::cout << n*n << std::endl;}\n```"
)


def math_jobs(count: int, symbolic_every: int = 500) -> list[tuple[Any, ...]]:
    """``count`` distinct jobs of the math judgement (gold, candidates, policy): integers against decimals,
    fractions against wrong ones, polynomials against their factored forms, and every ``symbolic_every``
    items one that needs sympy (tens of milliseconds)."""
    from rlvr.verifiers.math.compare import MathPolicy
    from rlvr.verifiers.math.judge import make_answer, read_gold

    symbolic = [  # each numbered by the item: distinct, and each needs sympy
        ("K\\cot x", "\\frac{K\\cos x}{\\sin x}"),
        ("\\sin(2x)+K", "2\\sin x\\cos x+K"),
        ("K\\tan x", "\\frac{K\\sin x}{\\cos x}"),
        ("\\cos(2x)+K", "1-2\\sin^2 x+K+1"),  # a wrong one
    ]
    policy, jobs = MathPolicy(), []
    for i in range(count):
        if i % symbolic_every == 7:
            gold, answer = (
                text.replace("K", str(i)) for text in symbolic[(i // symbolic_every) % len(symbolic)]
            )
        elif i % 3 == 0:
            gold, answer = str(i), f"{i}.0"
        elif i % 3 == 1:
            gold, answer = f"\\frac{{{i}}}{{{i + 1}}}", f"{i}/{i + 2}"
        else:
            gold, answer = f"x^3+{i}x", f"x(x^2+{i})"
        jobs.append((read_gold(gold), (make_answer(answer),), policy))
    return jobs


def code_rows() -> list[dict[str, Any]]:
    """The bundled code example (honest programs and the usual hacks) and more attacks, C++ included."""
    text = (resources.files("rlvr") / "data" / "code_example.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    rows += [
        {"id": name, "completion": f"```python\n{source}\n```", "verification_info": _ADD_INFO}
        for name, source in _SANDBOX_ATTACKS
    ]
    rows.append({"id": "honest-cpp", "completion": _CPP_HONEST, "verification_info": _CPP_INFO})
    return rows
