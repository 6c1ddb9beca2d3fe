"""STUB (to be replaced by the parsing work): kernel log input formats."""

from __future__ import annotations

from tasseograph.schema import Delta, KernelLine


def parse_delta(data: str | bytes, *, host: str | None = None, format: str | None = None) -> Delta:
    """Parse raw kernel log text or bytes in any supported format into a ``Delta``."""
    text = data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data
    lines = [
        KernelLine(lineno=i, raw=raw, message=raw)
        for i, raw in enumerate(text.splitlines(), start=1)
        if raw.strip()
    ]
    return Delta(host=host or "localhost", lines=lines, format="plain")


def read_delta(stream, *, host: str | None = None) -> Delta:  # type: ignore[no-untyped-def]
    """Read a whole stream (bytes) into a delta."""
    return parse_delta(stream.read(), host=host)
