"""``journalctl -k -o json``: one JSON object a line.

Fields read: ``MESSAGE`` (a string, or a list of byte values when it is not valid UTF-8),
``PRIORITY``, ``SYSLOG_FACILITY``, ``_HOSTNAME``, ``__REALTIME_TIMESTAMP`` (µs since the
epoch), ``_SOURCE_MONOTONIC_TIMESTAMP`` (µs since boot; ``__MONOTONIC_TIMESTAMP`` when absent)
and ``__CURSOR`` (its ``i=`` entry, the journal's sequence number, goes to ``seq``).
A line that is not a JSON object is kept whole as a record of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tasseograph.parsing.decoding import Batch, sanitize
from tasseograph.parsing.records import ParseContext, make_line
from tasseograph.schema import KernelLine

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR_SEQ = re.compile(r"(?:^|;)i=([0-9a-fA-F]+)")
_KEYS = ('"MESSAGE"', '"__CURSOR"', '"__REALTIME_TIMESTAMP"')


def looks_like(line: str) -> bool:
    """Whether ``line`` is a journal JSON entry."""
    return line.startswith("{") and any(key in line for key in _KEYS) and _load(line) is not None


def parse(batches: Iterable[Batch], _ctx: ParseContext) -> Iterator[KernelLine]:
    """Records of journal JSON lines."""
    for lineno, raws, cleans in batches:
        for i, clean in enumerate(cleans):
            if clean and not clean.isspace():
                yield parse_line(lineno + i, raws[i], clean)


def messages(batches: Iterable[Batch], ctx: ParseContext) -> Iterator[list[str]]:
    """The messages of journal JSON lines, a list per batch (empty lines skipped)."""
    for batch in batches:
        yield [line.message for line in parse((batch,), ctx)]


def parse_line(lineno: int, raw: str, clean: str) -> KernelLine:
    """The record of one journal JSON line (the line whole when it is not an entry)."""
    entry = _load(clean)
    if entry is None:
        return make_line(lineno, raw, clean.rstrip())
    return make_line(
        lineno,
        raw,
        _message(entry.get("MESSAGE")),
        _seconds(entry.get("_SOURCE_MONOTONIC_TIMESTAMP", entry.get("__MONOTONIC_TIMESTAMP"))),
        _realtime(entry.get("__REALTIME_TIMESTAMP")),
        _small_int(entry.get("PRIORITY")),
        _small_int(entry.get("SYSLOG_FACILITY")),
        _cursor_seq(entry.get("__CURSOR")),
        _text(entry.get("_HOSTNAME")),
    )


def _load(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError):  # not JSON, or absurdly deep nesting
        return None
    return entry if isinstance(entry, dict) else None


def _message(value: object) -> str:
    if isinstance(value, str):
        return sanitize(value).rstrip()
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        return sanitize(bytes(value).decode("utf-8", "backslashreplace")).rstrip()
    return "" if value is None else sanitize(str(value))


def _seconds(micros: object) -> float | None:
    number = _small_int(micros)
    return None if number is None else number / 1e6


def _realtime(value: object) -> datetime | None:
    micros = _small_int(value)
    if micros is None:
        return None
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return None


def _small_int(value: object) -> int | None:
    """journald writes numbers as strings; anything odd becomes None rather than an error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)
    return None


def _cursor_seq(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    m = _CURSOR_SEQ.search(value)
    return int(m.group(1), 16) if m else None


def _text(value: object) -> str | None:
    return sanitize(value) if isinstance(value, str) and value else None
