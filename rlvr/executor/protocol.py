"""Length-prefixed pickle frames between the executor and its workers.

A frame is an 8-byte big-endian length followed by that many bytes of pickle. Both ends are trusted
rlvr code; the judged *content* travels inside the pickles as plain data.
"""

from __future__ import annotations

import os
import pickle
import struct
from typing import Any, BinaryIO

HEADER = struct.Struct(">Q")
PICKLE_PROTOCOL = 5


def encode(message: Any) -> bytes:
    """Serialise one message to a frame.

    Example:
        >>> encode(("ok", 1))[:8] == HEADER.pack(len(encode(("ok", 1))) - 8)
        True
    """
    body = pickle.dumps(message, protocol=PICKLE_PROTOCOL)
    return HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to a blocking file descriptor."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_frame(stream: BinaryIO) -> Any | None:
    """Read one message from a buffered stream; ``None`` at end of file."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        return None
    return pickle.loads(body)


class FrameBuffer:
    """Reassembles frames from chunks read off a non-blocking pipe.

    Example:
        >>> buf = FrameBuffer(max_size=1 << 20)
        >>> data = encode("a") + encode("b")
        >>> buf.feed(data[:5]); buf.feed(data[5:])
        >>> buf.messages()
        ['a', 'b']
    """

    def __init__(self, max_size: int) -> None:
        self._data = bytearray()
        self._max_size = max_size

    def feed(self, chunk: bytes) -> None:
        self._data += chunk

    def messages(self) -> list[Any]:
        """Every complete message received so far, oldest first.

        Raises:
            OverflowError: a frame announces more bytes than ``max_size``.
        """
        out: list[Any] = []
        while len(self._data) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._data)
            if size > self._max_size:
                raise OverflowError(f"worker sent a {size}-byte result (limit {self._max_size})")
            end = HEADER.size + size
            if len(self._data) < end:
                break
            out.append(pickle.loads(bytes(self._data[HEADER.size : end])))
            del self._data[:end]
        return out
