"""Names a package exports from its modules, imported on first use (PEP 562).

The fork server of the code sandbox imports only the modules it runs, and ``import rlvr.verifiers``
stays cheap: a package maps each public name to the module that defines it, and the module is imported
when the name is first looked up.

Example:
    >>> getattr_, dir_ = lazy_exports("json", {"JSONEncoder": "encoder"}, {})
    >>> getattr_("JSONEncoder").__name__, dir_()
    ('JSONEncoder', ['JSONEncoder'])
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: Mapping[str, object]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps a name to its module
    (relative to the package); ``namespace`` is the package's own ``globals()``."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
