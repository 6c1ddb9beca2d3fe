"""Plain text: anything else, or a mix of formats. Each non-empty line is one record.

A line that happens to start with a dmesg or syslog prefix still gets its fields, so a file
that mixes the two (or pastes one into the other) loses nothing and reads almost as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tasseograph.parsing import dmesg, syslog
from tasseograph.parsing.decoding import Batch
from tasseograph.parsing.records import ParseContext, make_line
from tasseograph.schema import KernelLine

# A dmesg prefix can only start with these (quote, raw priority, -x facility, stamp, iso date),
# a syslog one only with those: other lines skip the regex engine, which is most of the cost.
_DMESG_FIRST = frozenset("[<>0123456789abcdefghijklmnopqrstuvwxyz")
_SYSLOG_FIRST = frozenset("<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_PREFIX_FIRST = _DMESG_FIRST | _SYSLOG_FIRST


def parse_line(lineno: int, raw: str, clean: str, ctx: ParseContext) -> KernelLine:
    """The record of one line: its dmesg or syslog fields when it has them, else the line."""
    first = clean[0]
    if first in _DMESG_FIRST:
        line = dmesg.parse_line(lineno, raw, clean, ctx)
        if line is not None:
            return line
    if first in _SYSLOG_FIRST:
        line = syslog.parse_line(lineno, raw, clean, ctx)
        if line is not None:
            return line
    return make_line(lineno, raw, clean.strip())


def message_of(clean: str, ctx: ParseContext) -> str:
    """Just the message of one line, as ``parse_line`` gives it."""
    first = clean[0]
    if first in _DMESG_FIRST and (m := dmesg.PREFIX.match(clean)) is not None:
        return clean[m.end() :].rstrip()
    if first in _SYSLOG_FIRST and (message := syslog.message_of(clean, ctx)) is not None:
        return message
    return clean.strip()


def message(clean: str, ctx: ParseContext) -> str | None:
    """The message of one clean line, as ``messages`` gives it; None for a blank line."""
    stripped = clean.strip()
    if not stripped:
        return None
    return message_of(clean, ctx) if clean[0] in _PREFIX_FIRST else stripped


def parse(batches: Iterable[Batch], ctx: ParseContext) -> Iterator[KernelLine]:
    """One record per non-empty line."""
    for lineno, raws, cleans in batches:
        for i, clean in enumerate(cleans):
            if not (stripped := clean.strip()):
                continue
            if clean[0] in _PREFIX_FIRST:
                yield parse_line(lineno + i, raws[i], clean, ctx)
            else:
                yield make_line(lineno + i, raws[i], stripped)


def messages(batches: Iterable[Batch], ctx: ParseContext) -> Iterator[list[str]]:
    """The messages of plain lines, a list per batch (empty lines skipped)."""
    for batch in batches:
        # Most plain lines cannot carry a prefix: their message is the stripped line itself.
        yield [
            message_of(c, ctx) if c[0] in _PREFIX_FIRST else stripped
            for c in batch.cleans
            if (stripped := c.strip())
        ]
