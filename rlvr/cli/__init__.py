"""The ``rlvr`` command: ``score``, ``eval``, ``bench``, ``demo`` and ``serve``.

Each subcommand lives in a module of its own and is imported only when it runs, so ``rlvr --help``
and ``rlvr score`` pay for no torch, sympy or aiohttp import they do not need.

Example:
    >>> from rlvr.cli import main
    >>> main(["--version"])  # doctest: +ELLIPSIS
    rlvr ...
    0
"""

from __future__ import annotations

from rlvr.cli.entry import main

__all__ = ["main"]
