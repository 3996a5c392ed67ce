"""What rlvr's helper processes (executor workers, the code sandbox's fork server) have in common.

- :func:`describe_exception`: an exception as one bounded line, whatever its ``__str__`` does;
- :func:`bootstrap_command`: the ``python -c`` line that starts a helper from this checkout or install;
- :class:`PerProcess`: state (child processes, pipes) that belongs to the process that made it — released
  there when its owner is collected or the process exits, and dropped, never reused, by a forked child.

Example:
    >>> describe_exception(ValueError("bad gold"))
    'ValueError: bad gold'
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

RLVR_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_MAX_REASON_CHARS = 500

State = TypeVar("State")


def describe_exception(exc: BaseException, limit: int = _MAX_REASON_CHARS) -> str:
    """``"TypeName: message"`` cut to ``limit`` characters; never raises (a hostile ``__str__`` is skipped).

    Example:
        >>> describe_exception(KeyError("k"))
        "KeyError: 'k'"
        >>> class Hostile(Exception):
        ...     def __str__(self): raise RuntimeError
        >>> describe_exception(Hostile())
        'Hostile'
        >>> len(describe_exception(ValueError("x" * 1000), limit=50))
        50
    """
    try:
        name = type(exc).__name__
    except BaseException:
        name = "exception"
    try:
        text = str(exc)
    except BaseException:
        text = ""
    reason = f"{name}: {text}" if text else name
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."


def usable_cpus() -> int:
    """The number of CPUs this process may run on (its affinity mask, not the machine's count).

    Example:
        >>> usable_cpus() >= 1
        True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def bootstrap_command(module: str) -> str:
    """The ``-c`` program that imports ``module`` from this rlvr and calls its ``main()``.

    Example:
        >>> "from rlvr.executor.worker import main" in bootstrap_command("rlvr.executor.worker")
        True
    """
    return f"import sys; sys.path.insert(0, {RLVR_ROOT!r}); from {module} import main; main()"


def _release_in_owner(owner_pid: int, release: Callable[[State], None], state: State) -> None:
    if os.getpid() == owner_pid:
        release(state)


class PerProcess(Generic[State]):
    """State owned by the process that created it (see the module docstring).

    ``make()`` builds fresh state; ``release(state)`` frees it (kills helper processes) and runs in the
    owning process only — when :meth:`reset` is called, when ``owner`` is collected, or at exit;
    ``forget(state)`` runs in a forked child before it makes its own (close the copies of the parent's
    pipes). Neither may hold a reference to ``owner``.

    Example:
        >>> class Owner: pass
        >>> released = []
        >>> owner = Owner()
        >>> holder = PerProcess(owner, make=list, release=released.append)
        >>> holder.get().append("worker")
        >>> holder.reset(); released
        [['worker']]
        >>> holder.get()
        []
    """

    def __init__(
        self,
        owner: object,
        make: Callable[[], State],
        release: Callable[[State], None],
        forget: Callable[[State], None] | None = None,
    ) -> None:
        self._owner = weakref.ref(owner)
        self._make = make
        self._release = release
        self._forget = forget
        self._start()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._state = self._make()
        owner = self._owner()
        self._finalizer = (
            weakref.finalize(owner, _release_in_owner, self._pid, self._release, self._state)
            if owner is not None
            else None
        )

    @property
    def forked(self) -> bool:
        """Whether this process is a fork of the owner (its state is the parent's)."""
        return os.getpid() != self._pid

    def get(self) -> State:
        """This process's state (in a forked child: the parent's is forgotten and a fresh one made)."""
        if self.forked:
            if self._finalizer is not None:
                self._finalizer.detach()
            if self._forget is not None:
                self._forget(self._state)
            self._start()
        return self._state

    def reset(self) -> None:
        """Release the state now (in the owner) and start with a fresh one."""
        if self.forked:
            self.get()
            return
        if self._finalizer is not None:
            self._finalizer.detach()
        self._release(self._state)
        self._start()
