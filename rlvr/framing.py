"""Length-prefixed frames: the one wire framing between rlvr's processes.

The executor and its workers (pickle bodies), the code sandbox's scorer and fork server (JSON bodies), a
fork server and its samples (job, arguments) and a sample's runner and the fork server (result records)
all speak the same framing: a 4-byte big-endian length, then that many bytes. What a body holds is each
protocol's business; this module only cuts the byte stream into bodies, with a size limit checked from
the header alone (a hostile or broken peer cannot make a reader buffer more than its limit).

Example:
    >>> reader = FrameReader(max_size=1 << 10)
    >>> data = frame(b"first") + frame(b"second")
    >>> reader.feed(data[:11]); reader.frames()
    [b'first']
    >>> reader.feed(data[11:]); reader.frames()
    [b'second']
"""

from __future__ import annotations

import os
import struct

HEADER = struct.Struct(">I")
LARGEST_FRAME = (1 << 32) - 1


class FrameError(ValueError):
    """A frame larger than the reader's limit (or than the header can say): the channel is unusable."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a frame of {size} bytes exceeds the limit of {limit}")
        self.size = size
        self.limit = limit


def frame(body: bytes) -> bytes:
    """One frame: the length of ``body`` as 4 big-endian bytes, then ``body``.

    Example:
        >>> frame(b"ab")
        b'\\x00\\x00\\x00\\x02ab'
    """
    if len(body) > LARGEST_FRAME:
        raise FrameError(len(body), LARGEST_FRAME)
    return HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to a blocking descriptor.

    Example:
        >>> r, w = os.pipe()
        >>> write_all(w, b"hello"); os.read(r, 5)
        b'hello'
        >>> os.close(r); os.close(w)
    """
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_exactly(fd: int, size: int) -> bytes | None:
    """Read exactly ``size`` bytes from a blocking descriptor; ``None`` if it ends first.

    Example:
        >>> r, w = os.pipe()
        >>> write_all(w, b"abc"); os.close(w)
        >>> read_exactly(r, 2), read_exactly(r, 2)
        (b'ab', None)
        >>> os.close(r)
    """
    parts = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def read_frame(fd: int, max_size: int = LARGEST_FRAME) -> bytes | None:
    """One frame's body from a blocking descriptor, read to its last byte and no further.

    Returns ``None`` at end of file.

    Raises:
        FrameError: the header announces more than ``max_size`` bytes.

    Example:
        >>> r, w = os.pipe()
        >>> write_all(w, frame(b"job") + b"G"); os.close(w)
        >>> read_frame(r), os.read(r, 1)
        (b'job', b'G')
        >>> os.close(r)
    """
    header = read_exactly(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_size:
        raise FrameError(size, max_size)
    return read_exactly(fd, size)


class FrameReader:
    """Collects bytes read off a non-blocking descriptor and cuts them into frame bodies.

    ``max_size`` bounds one body; a header announcing more raises :class:`FrameError` at once, before
    the body arrives.
    """

    def __init__(self, max_size: int) -> None:
        self._buffer = bytearray()
        self._max = max_size

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as a frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def frames(self) -> list[bytes]:
        """Every complete body received so far, oldest first.

        Raises:
            FrameError: a header announces more than ``max_size`` bytes.
        """
        out = []
        start = 0
        buffer = self._buffer
        while len(buffer) - start >= HEADER.size:
            (size,) = HEADER.unpack_from(buffer, start)
            if size > self._max:
                del buffer[:start]
                raise FrameError(size, self._max)
            end = start + HEADER.size + size
            if len(buffer) < end:
                break
            out.append(bytes(buffer[start + HEADER.size : end]))
            start = end
        del buffer[:start]
        return out
