"""The fork server process's entry point: its descriptors, its ``sys.path``, its start and its end.

The scorer starts it as ``python -I -S -B -c <bootstrap>`` with an empty environment
(:class:`rlvr.sandbox.client.Sandbox`); it takes its protocol pipes off descriptors 0 and 1, reads its
settings, puts the site-packages directories on ``sys.path`` without running any ``.pth`` code, takes the
rlvr checkout off it again (samples import only what is installed), starts the server and runs its loop.

Example:
    >>> add_site_packages()
    >>> any(p.endswith("-packages") for p in sys.path)
    True
"""

from __future__ import annotations

import os
import sys
import traceback

from rlvr.framing import FrameReader
from rlvr.sandbox.wire import ServerSettings, decode, encode

_READ_CHUNK = 1 << 16


def add_site_packages() -> None:
    """Put on ``sys.path`` what ``site`` would: the site-packages directories and the directories their
    ``.pth`` files name — but run none of the code lines of those files (the server starts with ``-S``).

    Code in ``.pth`` files (certificate hooks, import shims) would run in the fork server and stay in every
    sample: modules loaded, fork hooks registered, pages to copy. Programs still import what is installed.
    """
    import site

    for directory in site.getsitepackages():
        if not os.path.isdir(directory):
            continue
        if directory not in sys.path:
            sys.path.append(directory)
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".pth"):
                continue
            try:
                with open(os.path.join(directory, name), encoding="utf-8") as stream:
                    lines = stream.read().splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                path = os.path.normpath(os.path.join(directory, line))
                if os.path.isdir(path) and path not in sys.path:
                    sys.path.append(path)


def _take_protocol_fds() -> tuple[int, int]:  # pragma: no cover - runs in the fork server process
    """Move the protocol pipes off descriptors 0/1 (samples must never inherit them there)."""
    import fcntl

    in_fd = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    out_fd = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    return in_fd, out_fd


def _read_settings(in_fd: int) -> ServerSettings | None:  # pragma: no cover - the fork server
    reader = FrameReader(1 << 24)
    while True:
        chunk = os.read(in_fd, _READ_CHUNK)
        if not chunk:
            return None
        reader.feed(chunk)
        bodies = reader.frames()
        if bodies:
            return decode(bodies[0])  # type: ignore[return-value]


def main() -> None:  # pragma: no cover - runs in the fork server process
    """Entry point of the fork server process."""
    from rlvr.framing import write_all
    from rlvr.sandbox.server import ForkServer

    in_fd, out_fd = _take_protocol_fds()
    settings = _read_settings(in_fd)
    if settings is None:
        return
    sys.path[:] = [p for p in sys.path if p != settings.get("rlvr_root")]
    add_site_packages()
    server = ForkServer(settings, in_fd, out_fd)
    try:
        try:
            ready = server.start()
        except Exception as exc:
            detail = str(exc) if isinstance(exc, RuntimeError) else traceback.format_exc(limit=5)
            write_all(out_fd, encode({"op": "fatal", "error": detail}))
            return
        server.send(ready)
        try:
            server.loop()
        finally:
            server.flush_blocking(timeout=2.0)
    finally:
        server.shutdown()
