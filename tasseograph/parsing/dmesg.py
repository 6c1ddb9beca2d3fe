"""``dmesg`` output in its common shapes.

- default ``[   12.345678] msg`` (and ``dmesg -d``: ``[   12.345678 <    0.000100>] msg``);
- ``dmesg -T``: ``[Tue Nov 22 08:00:00 2026] msg`` (local time without a zone: read as UTC);
- ``dmesg -r``: ``<3>[   12.3] msg``; ``dmesg -x``: ``kern  :err   : [   12.3] msg``;
- ``dmesg -H``: ``[Nov22 08:00]`` then ``[  +0.000100]`` (relative: no time is kept);
- ``dmesg --time-format iso``: ``2026-11-22T08:00:00,123456+00:00 msg``.

Excerpts pasted from mail or issue threads may carry ``> `` quote markers; they are skipped.
A line without a dmesg prefix (a wrapped line, a banner) becomes a record of its own, whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from tasseograph.parsing.decoding import Batch
from tasseograph.parsing.records import FACILITIES, LEVELS, MONTHS, ParseContext, iso_time, make_line
from tasseograph.schema import KernelLine

PREFIX = re.compile(
    r"""
    (?:>\ ?)*                                           # quote markers from mail or issues
    (?:<(?P<pri>\d{1,3})>)?                             # dmesg -r
    (?:(?P<fac>[a-z][a-z0-9]*)\ *:(?P<lvl>[a-z]+)\ *:\ )?  # dmesg -x
    (?:
        \[\ *(?P<mono>\d+\.\d+)(?:\ *<\ *\d+\.\d+>)?\]
      | \[(?P<ctime>[A-Z][a-z]{2}\ [A-Z][a-z]{2}\ [\ \d]\d\ \d\d:\d\d:\d\d\ \d{4})\]
      | \[(?:[A-Z][a-z]{2}\d{1,2}\ \d\d:\d\d(?::\d\d)?|\ *\+\ *\d+\.\d+)\]
      | (?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,\d+[+-]\d\d:?\d\d)
    )
    \ ?""",
    re.VERBOSE,
)
"""The prefix dmesg prints before each message; the message is what follows it."""
FAST_PREFIX = re.compile(r"\[ *(\d+\.\d+)\] ?")
"""The default form alone. Most lines have it, and it matches three times faster than ``PREFIX``
(where it matches, ``PREFIX`` matches the same span)."""


def looks_like(line: str) -> bool:
    """Whether ``line`` starts with a dmesg prefix."""
    return PREFIX.match(line) is not None


def parse_line(lineno: int, raw: str, clean: str, ctx: ParseContext) -> KernelLine | None:
    """The record of one dmesg line, or None when it has no dmesg prefix."""
    m = PREFIX.match(clean)
    if m is None:
        return None
    pri, fac, lvl, mono, ctime, iso = m.groups()
    level = facility = None
    if pri is not None:
        level, facility = int(pri) & 7, int(pri) >> 3
    elif fac is not None:
        level, facility = LEVELS.get(lvl), FACILITIES.get(fac)
    when = None
    if ctime is not None:
        when = ctx.time_of(ctime, _ctime)
    elif iso is not None:
        when = ctx.time_of(iso, iso_time)
    return make_line(
        lineno, raw, clean[m.end() :].rstrip(), None if mono is None else float(mono), when, level, facility
    )


def parse(batches: Iterable[Batch], ctx: ParseContext) -> Iterator[KernelLine]:
    """Records of dmesg output; a line without a prefix is its own record, message and all."""
    fast = FAST_PREFIX.match
    for lineno, raws, cleans in batches:
        for i, clean in enumerate(cleans):
            if not clean or clean.isspace():
                continue
            m = fast(clean)
            if m is not None:
                yield make_line(lineno + i, raws[i], clean[m.end() :].rstrip(), float(m.group(1)))
            else:
                line = parse_line(lineno + i, raws[i], clean, ctx)
                yield line or make_line(lineno + i, raws[i], clean.rstrip())


def messages(batches: Iterable[Batch], _ctx: ParseContext) -> Iterator[list[str]]:
    """The messages of dmesg lines, a list per batch (empty lines skipped)."""
    fast, full = FAST_PREFIX.match, PREFIX.match
    for batch in batches:
        yield [
            c[m.end() :].rstrip() if (m := fast(c) or full(c)) else c.rstrip()
            for c in batch.cleans
            if c and not c.isspace()
        ]


def message(clean: str, _ctx: ParseContext | None = None) -> str | None:
    """The message of one clean dmesg line, as ``messages`` gives it; None for a blank line."""
    if not clean or clean.isspace():
        return None
    m = FAST_PREFIX.match(clean) or PREFIX.match(clean)
    return clean[m.end() :].rstrip() if m else clean.rstrip()


def _ctime(stamp: str, _ctx: ParseContext) -> datetime | None:
    """``Tue Nov 22 08:00:00 2026`` (no zone: dmesg -T prints local time; read as UTC)."""
    try:
        _, mon, day, hms, year = stamp.split()
        hour, minute, second = hms.split(":")
        return datetime(int(year), MONTHS[mon], int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except (KeyError, ValueError):
        return None
