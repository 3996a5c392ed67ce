"""Length-prefixed JSON frames between the scorer and its fork server (both trusted; the sandboxed programs
never see this channel).

Example:
    >>> reader = FrameReader(1 << 20)
    >>> reader.feed(encode({"op": "ready"}) + encode({"op": "done", "id": 1})[:5])
    >>> reader.frames()
    [{'op': 'ready'}]
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

FRAME_HEADER = struct.Struct(">I")


class FrameError(ValueError):
    """A frame that is too large or not JSON: the channel is broken."""


def encode(message: dict[str, Any]) -> bytes:
    """One frame: a 4-byte big-endian length, then the message as UTF-8 JSON.

    Example:
        >>> encode({"a": 1})
        b'\\x00\\x00\\x00\\x08{"a": 1}'
    """
    body = json.dumps(message).encode("utf-8")
    return FRAME_HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to a blocking descriptor."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FrameReader:
    """Collects bytes and yields complete frames."""

    def __init__(self, max_frame: int) -> None:
        self._buffer = bytearray()
        self._max = max_frame

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def frames(self) -> list[dict[str, Any]]:
        out = []
        while len(self._buffer) >= FRAME_HEADER.size:
            (size,) = FRAME_HEADER.unpack_from(self._buffer)
            if size > self._max:
                raise FrameError(f"frame of {size} bytes exceeds the limit of {self._max}")
            if len(self._buffer) < FRAME_HEADER.size + size:
                break
            body = bytes(self._buffer[FRAME_HEADER.size : FRAME_HEADER.size + size])
            del self._buffer[: FRAME_HEADER.size + size]
            try:
                message = json.loads(body)
            except ValueError as exc:
                raise FrameError(f"frame is not JSON: {exc}") from None
            if not isinstance(message, dict):
                raise FrameError("frame is not a JSON object")
            out.append(message)
        return out
