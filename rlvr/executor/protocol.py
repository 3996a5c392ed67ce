"""Pickle messages between the executor and its workers, in :mod:`rlvr.framing` frames.

Both ends are trusted rlvr code; the judged *content* travels inside the pickles as plain data.
"""

from __future__ import annotations

import pickle
from typing import Any

from rlvr.framing import HEADER, FrameError, FrameReader, frame, read_frame, write_all

PICKLE_PROTOCOL = 5

__all__ = ["HEADER", "PICKLE_PROTOCOL", "FrameBuffer", "encode", "read_message", "write_all"]


def encode(message: Any) -> bytes:
    """Serialise one message to a frame.

    Example:
        >>> encode(("ok", 1))[:4] == HEADER.pack(len(encode(("ok", 1))) - 4)
        True
    """
    return frame(pickle.dumps(message, protocol=PICKLE_PROTOCOL))


def read_message(fd: int) -> Any | None:
    """Read one message from a blocking descriptor; ``None`` at end of file."""
    body = read_frame(fd)
    return None if body is None else pickle.loads(body)


class FrameBuffer:
    """Reassembles messages from chunks read off a non-blocking pipe.

    Example:
        >>> buf = FrameBuffer(max_size=1 << 20)
        >>> data = encode("a") + encode("b")
        >>> buf.feed(data[:5]); buf.feed(data[5:])
        >>> buf.messages()
        ['a', 'b']
    """

    def __init__(self, max_size: int) -> None:
        self._reader = FrameReader(max_size)
        self._max_size = max_size

    def feed(self, chunk: bytes) -> None:
        self._reader.feed(chunk)

    def messages(self) -> list[Any]:
        """Every complete message received so far, oldest first.

        Raises:
            OverflowError: a frame announces more bytes than ``max_size``.
        """
        try:
            bodies = self._reader.frames()
        except FrameError as exc:
            raise OverflowError(f"worker sent a {exc.size}-byte result (limit {exc.limit})") from None
        return [pickle.loads(body) for body in bodies]
