"""``/dev/kmsg`` records: ``6,1234,5678901,-;msg``, then dictionary lines such as ``␠DEVICE=+pci:…``.

The prefix holds priority (facility × 8 + level), sequence number, microseconds since boot and
flags. The dictionary lines that follow a record (each starting with a space) belong to it:
they are kept in ``raw``, joined with ``\\n``, and left out of ``message``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tasseograph.parsing.decoding import Batch
from tasseograph.parsing.records import ParseContext, make_line
from tasseograph.schema import KernelLine

PREFIX = re.compile(r"(\d{1,4}),(\d+),(\d+),[^;]*;")
"""``priority,sequence,microseconds,flags[,more];`` before the message."""

_Fields = tuple[int, str, int, int, int]


def looks_like(line: str) -> bool:
    """Whether ``line`` starts with a /dev/kmsg record prefix."""
    return PREFIX.match(line) is not None


def parse(batches: Iterable[Batch], _ctx: ParseContext) -> Iterator[KernelLine]:
    """Records of /dev/kmsg output, each with its dictionary lines in ``raw``."""
    match = PREFIX.match
    pending: list[str] = []  # raw lines of the record not yet emitted
    fields: _Fields = (0, "", 0, 0, 0)  # that record's lineno, message, priority, seq, usec
    for lineno, raws, cleans in batches:
        for i, clean in enumerate(cleans):
            if not clean or clean.isspace():
                continue
            if pending and clean[0] == " ":
                pending.append(raws[i])
                continue
            if pending:
                yield _record(pending, fields)
                pending = []
            m = match(clean)
            if m is None:
                # Not a record: a line of its own, whole; nothing attaches to it.
                yield make_line(lineno + i, raws[i], clean.rstrip())
                continue
            pri, seq, usec = m.groups()
            pending = [raws[i]]
            fields = (lineno + i, clean[m.end() :].rstrip(), int(pri), int(seq), int(usec))
    if pending:
        yield _record(pending, fields)


def _record(raw_lines: list[str], fields: _Fields) -> KernelLine:
    lineno, message, pri, seq, usec = fields
    raw = raw_lines[0] if len(raw_lines) == 1 else "\n".join(raw_lines)
    return make_line(lineno, raw, message, usec / 1e6, None, pri & 7, pri >> 3, seq)


def messages(batches: Iterable[Batch], _ctx: ParseContext) -> Iterator[list[str]]:
    """The messages of /dev/kmsg lines, a list per batch (dictionary and empty lines skipped)."""
    match = PREFIX.match
    in_record = False  # a dictionary line only belongs to a record right before it
    for batch in batches:
        out = []
        for clean in batch.cleans:
            if not clean or clean.isspace():
                continue
            if in_record and clean[0] == " ":
                continue
            m = match(clean)
            in_record = m is not None
            out.append(clean[m.end() :].rstrip() if m else clean.rstrip())
        yield out
