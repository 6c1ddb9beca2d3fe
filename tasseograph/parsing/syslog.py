"""Syslog files (kern.log, messages) and ``journalctl -o short`` and its kin.

- BSD / RFC 3164 and ``journalctl -o short``: ``Nov 22 08:00:00 host kernel: [  12.345] msg``
  (``short-precise`` adds ``.123456``; an optional ``<pri>`` may lead; the host may be absent);
- RFC 3339 and ``journalctl -o short-iso``: ``2026-11-22T08:00:00.123456+00:00 host kernel: msg``;
- OpenWrt ``logread``: ``Mon Dec 31 10:50:01 2018 kern.err kernel: msg``;
- RFC 5424: ``<4>1 2026-11-22T08:00:00Z host kernel - - - msg``;
- ``journalctl -o short-monotonic``: ``[   12.345678] host kernel: msg`` (the stamp is the
  monotonic one; the deploy playbook spools this form).

A kernel line's message is what follows ``kernel:`` (and the dmesg stamp, kept as
``monotonic``); other programs' lines keep their tag (``sshd[42]: ...``) so they stay legible.
A stamp without a year takes the context's reference year, moving on at a December to January
turn; without an injected year, a first stamp more than a day ahead of now belongs to last year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from tasseograph.parsing.decoding import Batch
from tasseograph.parsing.records import FACILITIES, LEVELS, MONTHS, ParseContext, iso_time, make_line
from tasseograph.schema import KernelLine

_HEADER = r"""
    (?:<(?P<pri>\d{1,3})>)?
    (?:
        (?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\ )?
        (?P<bsd>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\ [\ \d]?\d
                \ \d\d:\d\d:\d\d(?:\.\d+)?(?:\ \d{4})?)
      | (?P<iso>\d{4}-\d\d-\d\d[T\ ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)
    )
    [\ \t]+
    (?:(?P<host>[^\s:\[]+)[\ \t]+)?
"""

PREFIX = re.compile(_HEADER + r"(?:(?P<tag>[^\s:\[]+)(?:\[\d*\])?:\ ?)?", re.VERBOSE)
"""Stamp, optional host and optional ``tag[pid]:`` of a BSD or RFC 3339 syslog line."""
MONO = re.compile(r"\[[ \t]*(\d+\.\d+)\][ \t]?")
"""The dmesg stamp a kernel message often starts with in syslog."""
RFC5424 = re.compile(
    r"""
    <(?P<pri>\d{1,3})>1\ (?P<stamp>\S+)\ (?P<host>\S+)\ (?P<app>\S+)\ (?P<procid>\S+)\ \S+
    \ (?:-|(?:\[(?:[^\]\\"]|\\.|"(?:[^"\\]|\\.)*")*\])+)(?:\ |$)
    """,
    re.VERBOSE,
)
"""RFC 5424 header: PRI, version 1, timestamp, host, app, procid, msgid, structured data."""

SHORT_MONOTONIC = re.compile(
    r"\[[ \t]*(?P<mono>\d+\.\d+)\][ \t]+(?P<host>[^\s:\[]+)[ \t]+(?P<tag>[^\s:\[]+)(?:\[\d*\])?:\ ?"
)
"""``journalctl -o short-monotonic``: monotonic stamp, host, ``tag[pid]:``."""
_SHORT_MONOTONIC_KERNEL = re.compile(r"\[[ \t]*\d+\.\d+\][ \t]+[^\s:\[]+[ \t]+kernel: ")
"""What detection takes as short-monotonic: the kernel tag is required, because a dmesg line
such as ``[ 1.0] pci 0000:00:01.0: BAR 0`` has the same shape up to it."""

KERNEL_TAGS = frozenset({"kernel", "kern"})
# OpenWrt logread puts facility.level where the host would be.
_FACILITY_LEVEL = {f"{f}.{lv}": (FACILITIES[f], LEVELS[lv]) for f in FACILITIES for lv in LEVELS}
_NIL = "-"


def looks_like(line: str) -> bool:
    """Whether ``line`` starts like a syslog or journal short line."""
    return PREFIX.match(line) is not None or RFC5424.match(line) is not None or looks_like_short_monotonic(line)


def looks_like_short_monotonic(line: str) -> bool:
    """Whether ``line`` is a kernel line of ``journalctl -o short-monotonic`` (checked before dmesg)."""
    return _SHORT_MONOTONIC_KERNEL.match(line) is not None


def parse_line(lineno: int, raw: str, clean: str, ctx: ParseContext) -> KernelLine | None:
    """The record of one syslog line, or None when it has no syslog header."""
    m = PREFIX.match(clean)
    if m is None:
        if clean.startswith("["):
            return _parse_short_monotonic(lineno, raw, clean)
        return _parse_5424(lineno, raw, clean, ctx) if clean.startswith("<") else None
    pri, bsd, iso, host, tag = m.groups()
    when = ctx.time_of(bsd, _bsd_time) if bsd is not None else ctx.time_of(iso, iso_time)
    level = facility = None
    if pri is not None:
        level, facility = int(pri) & 7, int(pri) >> 3
    if host is not None and host in _FACILITY_LEVEL:
        facility, level = _FACILITY_LEVEL[host]
        host = None
    mono, message = _message(m, clean, tag)
    return make_line(lineno, raw, message, mono, when, level, facility, None, host)


def message_of(clean: str, ctx: ParseContext) -> str | None:
    """Just the message of one syslog line (as ``parse_line`` gives it), or None without a header."""
    m = PREFIX.match(clean)
    if m is not None:
        return _message(m, clean, m.group("tag"))[1]
    if clean.startswith("["):
        line = _parse_short_monotonic(0, clean, clean)
    else:
        line = _parse_5424(0, clean, clean, ctx) if clean.startswith("<") else None
    return None if line is None else line.message


def parse(batches: Iterable[Batch], ctx: ParseContext) -> Iterator[KernelLine]:
    """Records of a syslog file; a line without a syslog header is a record of its own, whole."""
    for lineno, raws, cleans in batches:
        for i, clean in enumerate(cleans):
            if clean and not clean.isspace():
                line = parse_line(lineno + i, raws[i], clean, ctx)
                yield line or make_line(lineno + i, raws[i], clean.rstrip())


def messages(batches: Iterable[Batch], ctx: ParseContext) -> Iterator[list[str]]:
    """The messages of syslog lines, a list per batch (empty lines skipped)."""
    for batch in batches:
        cleans = batch.cleans
        yield [
            msg if (msg := message_of(c, ctx)) is not None else c.rstrip()
            for c in cleans
            if c and not c.isspace()
        ]


def _message(m: re.Match[str], clean: str, tag: str | None) -> tuple[float | None, str]:
    """Monotonic stamp and message after a header: kernel lines lose ``kernel:``, others keep their tag."""
    if tag is None:
        return None, clean[m.end() :].rstrip()
    if tag not in KERNEL_TAGS:
        return None, clean[m.start("tag") :].rstrip()
    return _split_mono(clean[m.end() :])


def _split_mono(text: str) -> tuple[float | None, str]:
    if text.startswith("["):
        m = MONO.match(text)
        if m is not None:
            return float(m.group(1)), text[m.end() :].rstrip()
    return None, text.rstrip()


def _parse_short_monotonic(lineno: int, raw: str, clean: str) -> KernelLine | None:
    m = SHORT_MONOTONIC.match(clean)
    if m is None:
        return None
    mono, host, tag = m.groups()
    _, message = _message(m, clean, tag)
    return make_line(lineno, raw, message, float(mono), None, None, None, None, host)


def _parse_5424(lineno: int, raw: str, clean: str, ctx: ParseContext) -> KernelLine | None:
    m = RFC5424.match(clean)
    if m is None:
        return None
    pri, stamp, host, app, procid = m.groups()
    when = None if stamp == _NIL else ctx.time_of(stamp, iso_time)
    rest = clean[m.end() :].removeprefix("\ufeff")  # RFC 5424 marks UTF-8 text with a BOM
    mono = None
    if app in KERNEL_TAGS:
        mono, message = _split_mono(rest)
    else:
        tag = app if procid == _NIL else f"{app}[{procid}]"
        message = f"{tag}: {rest}".rstrip()
    host_name = None if host == _NIL else host
    return make_line(lineno, raw, message, mono, when, int(pri) & 7, int(pri) >> 3, None, host_name)


def _bsd_time(stamp: str, ctx: ParseContext) -> datetime | None:
    """``Nov 22 08:00:00[.123456][ 2026]``, in UTC (syslog carries no zone)."""
    mon, day, hms, *year = stamp.split()
    hms, _, frac = hms.partition(".")
    try:
        hour, minute, second = map(int, hms.split(":"))
        month = MONTHS[mon]
        micro = int(frac[:6].ljust(6, "0")) if frac else 0
        if year:
            return datetime(int(year[0]), month, int(day), hour, minute, second, micro, tzinfo=UTC)
        when = datetime(_year_for(month, ctx), month, int(day), hour, minute, second, micro, tzinfo=UTC)
        if ctx.year is None and ctx.last_month == 0 and when > datetime.now(UTC) + timedelta(days=1):
            ctx.current_year -= 1  # a December log read in January
            when = when.replace(year=ctx.current_year)
    except (KeyError, ValueError):
        return None  # Feb 29 in a year without one, hour 25: no time rather than a wrong one
    ctx.last_month = month
    return when


def _year_for(month: int, ctx: ParseContext) -> int:
    if ctx.last_month == 12 and month == 1:
        ctx.current_year += 1
        ctx.times.clear()  # cached stamps belong to the year before
    return ctx.current_year
