"""Spawners: copies of the fork server, one per cell, made once at its start, whose one job is to clone
that cell's samples.

After a ``fork``, every page the forking process writes to is copied (copy-on-write), and a Python loop
writes reference counts on hundreds of pages. The fork server runs the whole job loop (poll, outputs,
deadlines, reports); if it cloned the samples itself it would pay some 350 page copies per sample, and
its loop would stall for the length of each ``clone``. A spawner's loop is a few lines, so it touches few
pages; it clones with ``CLONE_PARENT``, so every sample is still the fork server's child (the server
reaps it, holds its pidfd and reads its rusage) and the server never waits for a clone.

A spawner lives in its cell's control groups (it enters them once, at start), so its samples are born
there: moving a process between cgroups takes a machine-wide lock that stalls every fork and exit, and
doing that once per sample cost more than a tenth of the throughput. It asks the OOM killer to spare it
(``oom_score_adj`` -1000, where the kernel allows: it needs ``CAP_SYS_RESOURCE``) and every sample makes
itself the first choice (+1000), so a sample over its cell's memory cap never costs the cell its spawner.
Samples cannot reach it: it is outside their pid namespace.

Protocol, over a ``SOCK_SEQPACKET`` socket pair: first ``{"ready": true}`` or ``{"error": reason}`` from
the spawner, then one message each way per sample, answered in order:

- request: JSON ``{"cell": index, "tmpdir": path or null}`` carrying descriptors
  ``[ctl, out, err, res, job, *release]`` — the sample's ends of its pipes and job socket, then
  references the sample inherits only to drop them (see ``ForkServer._release_mount_namespaces``) —
  closed here before the answer;
- reply: the pid in decimal digits, or JSON ``{"error": reason}``.

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

from rlvr.sandbox import linux

#: The order of a sample's own descriptors in a request.
STREAMS = ("ctl", "out", "err", "res", "job")
_MAX_FDS = 250  # SCM_MAX_FD is 253
_MAX_MESSAGE = 1 << 16

#: ``clone(cell, fds, tmpdir) -> pid`` as run inside the spawner; raises ``RuntimeError`` with the reason.
CloneFunction = Callable[[int, dict[str, int], "str | None"], int]


class Spawner:
    """The fork server's handle on one spawner process.

    Raises:
        RuntimeError: the spawner could not start (it names why, e.g. the cgroup it could not enter).
    """

    def __init__(
        self,
        clone: CloneFunction,
        close_in_spawner: Sequence[int],
        cgroup_procs: Sequence[str] = (),
        protect_from_oom: bool = False,
        start_timeout: float = 10.0,
    ) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the spawner process
            ours.close()
            for fd in close_in_spawner:
                with contextlib.suppress(OSError):
                    os.close(fd)
            _serve(theirs, clone, cgroup_procs, protect_from_oom)
        theirs.close()
        self.pid = pid
        self.sock = ours
        ours.settimeout(start_timeout)
        try:
            first = json.loads(ours.recv(_MAX_MESSAGE) or b'{"error": "it exited at start"}')
        except (OSError, ValueError) as exc:
            first = {"error": f"no word from it at start ({exc})"}
        ours.setblocking(False)
        if not first.get("ready"):
            self.close()
            raise RuntimeError(f"the sandbox's spawner could not start: {first.get('error')}")

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
            answers.append({"pid": int(data)} if data.isdigit() else json.loads(data))

    def close(self) -> None:
        """Stop the spawner (it exits on end of file) and reap it."""
        self.sock.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _serve(
    sock: socket.socket, clone: CloneFunction, cgroup_procs: Sequence[str], protect_from_oom: bool
) -> NoReturn:  # pragma: no cover - the spawner process
    """Enter the cell, say so, then clone one sample per request until the fork server closes its end.

    The loop is kept short on purpose: every page it writes to after a clone is copied.
    """
    where = "its parent-death signal"
    try:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
        where = "its cell's cgroups"
        for path in cgroup_procs:
            linux.write_file(path, "0")  # "0": the writing process itself
        if protect_from_oom:  # needs CAP_SYS_RESOURCE (some containers' root lacks it): best effort
            with contextlib.suppress(OSError):
                linux.write_file("/proc/self/oom_score_adj", "-1000")
        start: dict[str, Any] = {"ready": True}
    except OSError as exc:
        start = {"error": f"{exc} (writing {where})"}
    try:
        sock.send(json.dumps(start).encode())
    except OSError:
        os._exit(1)
    if "error" in start:
        os._exit(1)
    receive, send, close, count = socket.recv_fds, sock.send, os.close, len(STREAMS)
    while True:
        try:
            data, fds, _flags, _address = receive(sock, _MAX_MESSAGE, _MAX_FDS)
        except OSError:
            os._exit(1)
        if not data:
            os._exit(0)
        try:
            if len(fds) < count:
                raise RuntimeError(f"a spawn request without its {count} descriptors")
            request = json.loads(data)
            reply = b"%d" % clone(request["cell"], dict(zip(STREAMS, fds[:count])), request["tmpdir"])  # noqa: B905
        except Exception as exc:  # every failure is an answer, never the spawner's end
            reply = json.dumps({"error": str(exc) or type(exc).__name__}).encode()
        for fd in fds:
            with contextlib.suppress(OSError):
                close(fd)
        try:
            send(reply)
        except OSError:
            os._exit(1)
