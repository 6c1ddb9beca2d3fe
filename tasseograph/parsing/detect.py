"""Which format a log is in, from its first non-empty lines."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

from tasseograph.errors import UsageError
from tasseograph.parsing import dmesg, journal, kmsg, syslog
from tasseograph.parsing.decoding import strip_ansi

FORMATS: tuple[str, ...] = ("dmesg", "kmsg", "journal-json", "syslog", "plain")
"""Format names ``parse_delta(format=...)`` accepts and ``Delta.format`` reports."""

ALIASES: dict[str, str] = {
    "dmesg-t": "dmesg", "dmesg-x": "dmesg", "dmesg-raw": "dmesg", "kernel": "dmesg",
    "/dev/kmsg": "kmsg", "devkmsg": "kmsg",
    "json": "journal-json", "journal": "journal-json", "journald": "journal-json",
    "short": "syslog", "short-iso": "syslog", "short-precise": "syslog", "short-monotonic": "syslog", "journal-short": "syslog",
    "kern.log": "syslog", "messages": "syslog", "rfc3164": "syslog", "rfc5424": "syslog",
    "logread": "syslog", "text": "plain", "auto": "",
}  # fmt: skip
"""Other names accepted for the formats (``auto`` means detect)."""

SAMPLE_LINES = 32
"""Non-empty lines detection looks at."""
MIN_SHARE = 0.8
"""Share of the sampled lines one format must match; a mix below it reads as plain."""

_DETECTORS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("kmsg", kmsg.looks_like),
    ("journal-json", journal.looks_like),
    ("syslog", syslog.looks_like_short_monotonic),  # its lines also start like dmesg's
    ("dmesg", dmesg.looks_like),
    ("syslog", syslog.looks_like),
)
# Lines every format may carry that say nothing about which one it is: journalctl's banners
# and boot separators, and /dev/kmsg's dictionary lines.
_NEUTRAL = re.compile(r"-- .*--$|-- No entries --| [A-Z][A-Z0-9_]*=")


def resolve_format(name: str | None) -> str | None:
    """The canonical name of a format (None or ``"auto"``: detect it).

    Raises:
        UsageError: ``name`` is not a known format.
    """
    if name is None:
        return None
    key = name.strip().lower()
    if key in FORMATS:
        return key
    if key in ALIASES:
        return ALIASES[key] or None
    known = sorted(FORMATS)
    hint = difflib.get_close_matches(key, [*known, *ALIASES], n=1, cutoff=0.6)
    more = f" Did you mean {hint[0]!r}?" if hint else ""
    raise UsageError(f"unknown log format {name!r}.{more} Known formats: {', '.join(known)} (or auto).")


def detect_format(sample: str) -> str:
    """The format of a log, judged from its first non-empty lines.

    Args:
        sample: The start of the log (a few kilobytes are plenty; more is ignored).

    Returns:
        One of ``FORMATS``. A mix of formats, or none of them, gives ``"plain"``.

    Example:
        >>> detect_format("[    1.000000] Linux version 6.8.0\\n")
        'dmesg'
    """
    lines = (line.rstrip("\r") for line in sample.split("\n", SAMPLE_LINES * 4))
    return detect_lines(lines)


def detect_lines(lines: Iterable[str]) -> str:
    """``detect_format`` on lines already split (ANSI sequences are ignored)."""
    counts = dict.fromkeys(FORMATS, 0)
    sampled = 0
    for line in lines:
        if not line or line.isspace():
            continue
        line = strip_ansi(line)
        if _NEUTRAL.match(line):
            continue
        sampled += 1
        for name, looks_like in _DETECTORS:
            if looks_like(line):
                counts[name] += 1
                break
        if sampled >= SAMPLE_LINES:
            break
    best = max(counts, key=counts.__getitem__)
    return best if sampled and counts[best] >= MIN_SHARE * sampled else "plain"
