"""Building ``KernelLine`` records fast, and the small state every format parser shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tasseograph.schema import KernelLine

LEVELS: dict[str, int] = {
    "emerg": 0, "alert": 1, "crit": 2, "err": 3, "error": 3,
    "warn": 4, "warning": 4, "notice": 5, "info": 6, "debug": 7,
}  # fmt: skip
"""Syslog level names (as dmesg -x, logread and syslog print them) to numbers."""

FACILITIES: dict[str, int] = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
    "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
    **{f"local{i}": 16 + i for i in range(8)},
}  # fmt: skip
"""Syslog facility names to numbers."""

MONTHS: dict[str, int] = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
"""English month abbreviations, as syslog and dmesg -T print them, to numbers."""

_FIELDS_SET = set(KernelLine.model_fields)
_new = object.__new__
_setattr = object.__setattr__


def make_line(
    lineno: int,
    raw: str,
    message: str,
    monotonic: float | None = None,
    time: datetime | None = None,
    level: int | None = None,
    facility: int | None = None,
    seq: int | None = None,
    host: str | None = None,
) -> KernelLine:
    """A ``KernelLine`` from values the parsers have already checked, without validation.

    This does what ``KernelLine.model_construct`` does, minus its per-field loop: at a million
    lines a second validation (or model_construct) is most of the cost. A test checks that the
    result equals a validated ``KernelLine``, so a pydantic upgrade that breaks this shows up.
    """
    line = _new(KernelLine)
    _setattr(
        line,
        "__dict__",
        {
            "lineno": lineno,
            "raw": raw,
            "message": message,
            "monotonic": monotonic,
            "time": time,
            "level": level,
            "facility": facility,
            "seq": seq,
            "host": host,
        },
    )
    # One shared set: frozen models never mutate it, and model_copy copies it.
    _setattr(line, "__pydantic_fields_set__", _FIELDS_SET)
    _setattr(line, "__pydantic_extra__", None)
    _setattr(line, "__pydantic_private__", None)
    return line


MAX_CACHED_TIMES = 4096
"""Distinct time stamps a parse keeps parsed before it clears its cache."""


@dataclass
class ParseContext:
    """Options and state one parse shares across its lines."""

    year: int | None = None
    """Year for syslog stamps that carry none (``Nov 22 08:00:00``); None means the current year."""
    times: dict[str, datetime | None] = field(default_factory=dict)
    """Parsed wall times by stamp text: consecutive lines mostly repeat the same second."""
    last_month: int = 0
    """Month of the last year-less stamp, to notice a December to January rollover."""
    current_year: int = field(init=False)
    """The year year-less stamps get now: ``year`` (or this year), moved on at each rollover."""

    def __post_init__(self) -> None:
        self.current_year = self.year if self.year is not None else datetime.now(UTC).year

    def time_of(self, stamp: str, parse: Callable[[str, ParseContext], datetime | None]) -> datetime | None:
        """``parse(stamp)``, cached (the cache is bounded: it is cleared when full)."""
        try:
            return self.times[stamp]
        except KeyError:
            pass
        if len(self.times) >= MAX_CACHED_TIMES:
            self.times.clear()
        value = self.times[stamp] = parse(stamp, self)
        return value


def iso_time(stamp: str, _ctx: ParseContext) -> datetime | None:
    """An ISO 8601 / RFC 3339 stamp as an aware datetime (UTC when it names no zone)."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
