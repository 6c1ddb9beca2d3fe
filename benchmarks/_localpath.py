"""The bulk local path as the benchmarks and parity tests read it: its parse, message by message."""

from __future__ import annotations

import io

from tasseograph.bulk import iter_message_chunks


def parse_messages(blob: bytes) -> list[str]:
    """All messages of ``blob`` through the parser's Arrow fast path (for the reference run)."""
    return [m for chunk in iter_message_chunks(io.BytesIO(blob)) for m in chunk.to_pylist()]
