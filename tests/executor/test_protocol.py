"""Frames between the executor and its workers: encode, read_message and FrameBuffer."""

from __future__ import annotations

import os

import pytest

from rlvr.executor.protocol import HEADER, FrameBuffer, encode, read_message

MESSAGES = [
    ("ready", 123),
    ("ok", {"a": [1, 2.5, None]}),
    ("error", "ValueError: boom"),
    ("ok", b"\x00" * 300),
]


def test_frames_reassembled_from_single_bytes() -> None:
    data = b"".join(encode(m) for m in MESSAGES)
    buf = FrameBuffer(max_size=1 << 20)
    received = []
    for i in range(len(data)):
        buf.feed(data[i : i + 1])
        received.extend(buf.messages())
    assert received == MESSAGES


def test_partial_frame_waits_for_the_rest() -> None:
    frame = encode(("ok", "x" * 100))
    buf = FrameBuffer(max_size=1 << 20)
    buf.feed(frame[:3])  # not even a whole header
    assert buf.messages() == []
    buf.feed(frame[3:-1])
    assert buf.messages() == []
    buf.feed(frame[-1:] + encode("next")[:5])
    assert buf.messages() == [("ok", "x" * 100)]


def test_frame_at_the_size_limit_is_accepted() -> None:
    frame = encode("y" * 1000)
    limit = len(frame) - HEADER.size
    buf = FrameBuffer(max_size=limit)
    buf.feed(frame)
    assert buf.messages() == ["y" * 1000]


def test_oversized_frame_raises_overflow_from_its_header_alone() -> None:
    buf = FrameBuffer(max_size=1024)
    buf.feed(HEADER.pack(1025))  # the body need not arrive: the header is enough
    with pytest.raises(OverflowError, match="1025-byte result"):
        buf.messages()


def test_oversized_frame_after_good_ones() -> None:
    buf = FrameBuffer(max_size=64)
    buf.feed(encode("small") + encode("z" * 200))
    with pytest.raises(OverflowError):
        buf.messages()


def _pipe_with(data: bytes) -> int:
    read_end, write_end = os.pipe()
    os.write(write_end, data)
    os.close(write_end)
    return read_end


def test_read_message() -> None:
    fd = _pipe_with(b"".join(encode(m) for m in MESSAGES))
    try:
        assert [read_message(fd) for _ in MESSAGES] == MESSAGES
        assert read_message(fd) is None  # end of file
    finally:
        os.close(fd)


@pytest.mark.parametrize("cut", [0, 3, HEADER.size, HEADER.size + 2])
def test_read_message_truncated(cut: int) -> None:
    fd = _pipe_with(encode(("ok", "payload"))[:cut])
    try:
        assert read_message(fd) is None
    finally:
        os.close(fd)


def test_encode_header_counts_the_body() -> None:
    frame = encode(("call", b"abc", 1.5))
    (size,) = HEADER.unpack(frame[: HEADER.size])
    assert size == len(frame) - HEADER.size
