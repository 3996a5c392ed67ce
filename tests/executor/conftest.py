"""Fixtures of the executor tests: executors that are always closed, and a check for stray processes."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rlvr.executor import Executor

from .support import child_pids, resource_tracker_pid, wait_gone

#: Settings of the executors made by ``make_executor`` unless a test says otherwise.
DEFAULTS: dict[str, Any] = {"max_workers": 2, "timeout": 2.0, "start_timeout": 20.0}


@pytest.fixture(autouse=True)
def no_stray_processes() -> Iterator[None]:
    """Fail a test that leaves child processes behind (after its own fixtures have closed executors)."""
    before = child_pids()
    yield
    stray = wait_gone(child_pids() - before - {resource_tracker_pid()})
    if stray:
        for pid in stray:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        pytest.fail(f"the test left child processes behind: {sorted(stray)}")


@pytest.fixture
def make_executor() -> Iterator[Callable[..., Executor]]:
    """A factory of executors (``DEFAULTS`` plus keyword settings), all closed after the test."""
    made: list[Executor] = []

    def make(**settings: Any) -> Executor:
        ex = Executor(**{**DEFAULTS, **settings})
        made.append(ex)
        return ex

    yield make
    for ex in made:
        ex.close()


@pytest.fixture
def executor(make_executor: Callable[..., Executor]) -> Executor:
    """An executor with the default test settings (two workers, 2 s deadline)."""
    return make_executor()
