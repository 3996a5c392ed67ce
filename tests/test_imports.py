"""The core imports stay light: no torch, transformers or trl."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "trl", "accelerate", "datasets")


def test_core_imports_do_not_pull_in_torch() -> None:
    code = (
        "import json, sys\n"
        "import rlvr, rlvr.rewards, rlvr.verifiers, rlvr.executor, rlvr.rewards.scoring, rlvr.cli\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_public_names_resolve() -> None:
    import rlvr.executor
    import rlvr.rewards
    import rlvr.verifiers

    for module in (rlvr.rewards, rlvr.verifiers, rlvr.executor):
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{module.__name__}.{name}"
