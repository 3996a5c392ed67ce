"""The package's layers import only downward: cli → eval/bench/integrations/serve → rewards →
executor/sandbox → verifiers (README, "What rlvr is"). Every import counts, those inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import rlvr

PACKAGE = Path(rlvr.__file__).parent

#: Shared leaf modules with no layer: they import nothing else of rlvr.
UTILITIES = {"framing", "processes", "lazy"}

#: What each part may import besides itself and the utilities.
ALLOWED: dict[str, set[str]] = {
    "verifiers": set(),
    "executor": {"verifiers"},
    "sandbox": {"verifiers"},
    "rewards": {"executor", "sandbox", "verifiers"},
    "testing": {"verifiers"},
    "eval": {"rewards", "executor", "sandbox", "verifiers"},
    "integrations": {"eval", "rewards", "executor", "sandbox", "verifiers"},
    "serve": {"integrations", "rewards", "executor", "sandbox", "verifiers"},
    "bench": {"eval", "integrations", "serve", "testing", "rewards", "executor", "sandbox", "verifiers"},
    "cli": {"eval", "bench", "integrations", "serve", "rewards", "executor", "sandbox", "verifiers"},
}


def _part(module: str) -> str:
    """``rlvr.rewards.base`` → ``rewards``; ``rlvr`` → ``rlvr`` (the package's own ``__init__``)."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "rlvr"


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return [(line, name) for line, name in found if name == "rlvr" or name.startswith("rlvr.")]


def _modules() -> list[tuple[Path, str]]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.append((path, ".".join(parts)))
    return modules


def test_every_part_has_a_layer() -> None:
    parts = {_part(module) for _, module in _modules()} - {"rlvr"}
    assert parts <= set(ALLOWED) | UTILITIES, parts - set(ALLOWED) - UTILITIES


def test_imports_go_only_downward() -> None:
    wrong = []
    for path, module in _modules():
        source = _part(module)
        allowed = set() if source in UTILITIES else ALLOWED.get(source, set())
        for line, name in _imports(path, module):
            target = _part(name)
            if target in (source, "rlvr") or (target in UTILITIES and source not in UTILITIES):
                continue
            if target not in allowed:
                wrong.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line} ({source}) imports {name} ({target})"
                )
    assert not wrong, "\n".join(wrong)


def test_nothing_but_the_command_line_imports_the_benchmarks() -> None:
    users = {
        module
        for path, module in _modules()
        for _, name in _imports(path, module)
        if _part(name) == "bench" and _part(module) not in ("bench", "cli")
    }
    assert not users, users


def test_a_module_and_a_function_never_share_a_name() -> None:
    """``rlvr.eval.evaluation`` is a module and ``rlvr.eval.evaluate`` its function: no name is both."""
    clashes = []
    for path, module in _modules():
        if path.name != "__init__.py":
            continue
        submodules = {child.stem for child in path.parent.glob("*.py")} | {
            child.name for child in path.parent.iterdir() if (child / "__init__.py").exists()
        }
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    name = alias.asname or alias.name
                    importing_the_submodule = (node.level == 1 and not node.module) or node.module == module
                    if name in submodules and not importing_the_submodule:
                        clashes.append(f"{module}.{name}")
    assert not clashes, clashes
