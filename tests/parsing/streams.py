"""Test streams for the parsing tests: big inputs that are never held whole in memory."""

from __future__ import annotations

import io
from typing import BinaryIO


class _Repeat(io.RawIOBase):
    def __init__(self, size: int, pattern: bytes, tail: bytes) -> None:
        self.left = size
        self.block = pattern * max(1, (1 << 16) // len(pattern))
        self.tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.left <= 0:
            data, self.tail = self.tail, b""
        else:
            data = self.block[: min(len(buffer), self.left, len(self.block))]
            self.left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def repeat_stream(size: int, pattern: bytes = b"x", tail: bytes = b"") -> BinaryIO:
    """A binary stream of ``size`` bytes repeating ``pattern``, then ``tail``, generated as read."""
    return io.BufferedReader(_Repeat(size, pattern, tail))
