"""The spawner: a copy of the fork server, made once at its start, whose one job is to clone samples.

After a ``fork``, every page the forking process writes to is copied (copy-on-write), and a Python loop
writes reference counts on hundreds of pages. The fork server runs the whole job loop (poll, outputs,
deadlines, reports); if it cloned the samples itself it would pay some 350 page copies per sample, and
its loop would stall for the length of each ``clone``. The spawner's loop is a few lines, so it touches few
pages; it clones with ``CLONE_PARENT``, so every sample is still the fork server's child (the server
reaps it, holds its pidfd and reads its rusage) and the server never waits for a clone.

Protocol, over a ``SOCK_SEQPACKET`` socket pair, one message each way per sample, answered in order:

- request: JSON ``{"cell": index, "tmpdir": path or null}`` carrying descriptors
  ``[ctl, out, err, res, job, *release]`` — the sample's ends of its pipes and job socket, then
  references the sample inherits only to drop them (see ``ForkServer._release_mount_namespaces``);
- reply: JSON ``{"pid": n}`` or ``{"error": reason}``.

Example:
    >>> STREAMS
    ('ctl', 'out', 'err', 'res', 'job')
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from rlvr.verifiers.code import linux

#: The order of a sample's own descriptors in a request.
STREAMS = ("ctl", "out", "err", "res", "job")
_MAX_FDS = 250  # SCM_MAX_FD is 253
_MAX_MESSAGE = 1 << 16

#: ``clone(cell, fds, tmpdir) -> pid`` as run inside the spawner; raises ``RuntimeError`` with the reason.
CloneFunction = Callable[[int, dict[str, int], "str | None"], int]


class Spawner:
    """The fork server's handle on its spawner process."""

    def __init__(self, clone: CloneFunction, close_in_spawner: Sequence[int]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the spawner process
            ours.close()
            for fd in close_in_spawner:
                with contextlib.suppress(OSError):
                    os.close(fd)
            _serve(theirs, clone)
        theirs.close()
        ours.setblocking(False)
        self.pid = pid
        self.sock = ours

    def fileno(self) -> int:
        return self.sock.fileno()

    def request(self, cell: int, fds: dict[str, int], release: Sequence[int], tmpdir: str | None) -> None:
        """Ask for one sample in ``cell``; the answer comes later through :meth:`replies`.

        Raises:
            OSError: the spawner is gone.
        """
        passed = [fds[name] for name in STREAMS] + list(release)[: _MAX_FDS - len(STREAMS)]
        message = json.dumps({"cell": cell, "tmpdir": tmpdir}).encode()
        self.sock.setblocking(True)  # a request is small and the spawner reads them one by one
        try:
            socket.send_fds(self.sock, [message], passed)
        finally:
            self.sock.setblocking(False)

    def replies(self) -> list[dict[str, Any]] | None:
        """The answers waiting (``{"pid": n}`` or ``{"error": reason}``); ``None`` once it is gone."""
        answers: list[dict[str, Any]] = []
        while True:
            try:
                data = self.sock.recv(_MAX_MESSAGE)
            except BlockingIOError:
                return answers
            except OSError:
                return None
            if not data:
                return None
            answers.append(json.loads(data))

    def close(self) -> None:
        """Stop the spawner (it exits on end of file) and reap it."""
        self.sock.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _serve(sock: socket.socket, clone: CloneFunction) -> NoReturn:  # pragma: no cover - the spawner process
    """Clone one sample per request until the fork server closes its end."""
    with contextlib.suppress(OSError):
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    while True:
        try:
            data, fds, _flags, _address = socket.recv_fds(sock, _MAX_MESSAGE, _MAX_FDS)
        except OSError:
            os._exit(1)
        if not data:
            os._exit(0)
        try:
            request = json.loads(data)
            if len(fds) < len(STREAMS):
                raise RuntimeError(f"a spawn request without its {len(STREAMS)} descriptors")
            named = dict(zip(STREAMS, fds[: len(STREAMS)], strict=True))
            reply: dict[str, Any] = {"pid": clone(int(request["cell"]), named, request["tmpdir"])}
        except Exception as exc:  # every failure is an answer, never the spawner's end
            reply = {"error": str(exc) or type(exc).__name__}
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        try:
            sock.send(json.dumps(reply).encode())
        except OSError:
            os._exit(1)
