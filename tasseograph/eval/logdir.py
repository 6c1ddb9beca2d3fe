"""A folder of per-host kernel log archives, read into one time-ordered line stream per host.

Layouts (they may be mixed):

* ``LOGDIR/<host>/*``: one folder per host, as the runner's spool (``SPOOL/<host>/*.log``) or a
  collector's archive (``kern.log``, ``kern.log.1``, ``kern.log.2.gz``, ``dmesg``, a journal
  export). The folder's name is the host.
* ``LOGDIR/<file>``: a file per host (``web-01.log``, ``db-7.dmesg``, ``web-01.json.gz``), or
  one central syslog file of many hosts. The hosts the lines name win; a file whose lines name
  none is the host its name gives (rotation and compression suffixes dropped).

Every line is placed in time by its own stamps: wall time (syslog, journal, ``dmesg -T``) as
given; a monotonic stamp alone (a ``dmesg`` dump) counts from the host's boot, which is put at
the earliest wall time of the folder (or 0 when nothing in it carries one); a line with no
stamp (a continuation) takes the time of the line before it. Files that are not kernel logs
(a README, binary data) and files in which no line carries a time are skipped and listed,
never silently. A folder that cannot be read, a file that cannot be read or decompressed: a
``UsageError`` / ``InputError`` of one line.
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tasseograph.errors import InputError, UsageError
from tasseograph.parsing import parse_delta
from tasseograph.schema import KernelLine
from tasseograph.sniff import not_a_kernel_log

_SUFFIXES = re.compile(r"(?:\.(?:gz|\d+|log|txt|dmesg|json|jsonl|export|journal|kern))+$", re.IGNORECASE)
_GENERIC = {"kern", "kernel", "dmesg", "messages", "syslog", "journal"}
"""File names that say what a log is, not whose it is (the folder or the lines must say)."""
_ROTATION = re.compile(r"\.(\d+)(?:\.gz)?$")


@dataclass
class HostLines:
    """One host's lines in time order: ``(seconds, raw record)`` pairs."""

    host: str
    lines: list[tuple[float, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    wall: bool = False
    """True when its lines carry wall time (else they count from a boot placed at the folder's start)."""
    boot: float | None = None
    """When the boot of its earliest line happened (its time less its monotonic stamp), if known."""

    @property
    def first(self) -> float:
        """Time of its first line."""
        return self.lines[0][0]

    @property
    def last(self) -> float:
        """Time of its last line."""
        return self.lines[-1][0]


@dataclass
class LogDir:
    """Every host of a folder, and what was left out and why."""

    root: Path
    hosts: dict[str, HostLines]
    origin: float = 0.0
    """Where a boot of lines with a monotonic stamp alone is placed: the earliest wall time, or 0."""
    skipped: dict[str, str] = field(default_factory=dict)
    """File (relative to the folder) -> why it was not read as a kernel log."""

    @property
    def lines(self) -> int:
        """Lines read, over every host."""
        return sum(len(h.lines) for h in self.hosts.values())


@dataclass
class _Parsed:
    """A file's records by host, before they are placed on the folder's clock."""

    name: str
    by_host: dict[str, list[KernelLine]]


def read_logdir(root: Path | str, *, limit_hosts: int | None = None) -> LogDir:
    """Read every per-host kernel log archive under ``root`` (see the module docstring).

    Args:
        root: the folder.
        limit_hosts: read only the first N hosts by name (a quick look at a big folder).

    Raises:
        UsageError: ``root`` is not a readable folder, or holds no kernel log with times.
        InputError: a file cannot be read or decompressed (the message names it).
    """
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: not a folder (give a folder of per-host kernel logs)")
    try:
        entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise UsageError(f"{root}: cannot list the folder: {exc.strerror or exc}") from None
    parsed: list[_Parsed] = []
    skipped: dict[str, str] = {}
    for entry in entries:
        if entry.is_dir():
            files = sorted((f for f in entry.iterdir() if f.is_file() and not f.name.startswith(".")), key=_age)
            parsed.extend(_parse(f, root, skipped, host=entry.name) for f in files)
        elif entry.is_file():
            parsed.append(_parse(entry, root, skipped, host=None))
    hosts, origin = _place([p for p in parsed if p.by_host])
    if limit_hosts is not None:
        hosts = {name: hosts[name] for name in sorted(hosts)[:limit_hosts]}
    if not hosts:
        reason = f" (skipped: {'; '.join(f'{k}: {v}' for k, v in skipped.items())})" if skipped else ""
        raise UsageError(f"{root}: no kernel log with timestamps found{reason}")
    return LogDir(root, hosts, origin, skipped)


def _age(path: Path) -> tuple[int, str]:
    """Oldest first: ``kern.log.3.gz``, ``kern.log.2.gz``, ``kern.log.1``, ``kern.log``; else by name."""
    m = _ROTATION.search(path.name)
    return (-int(m.group(1)), path.name) if m else (0, path.name)


def _read(path: Path, root: Path) -> bytes:
    name = path.relative_to(root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise InputError(f"{name}: not a readable gzip file: {exc}") from None


def _parse(path: Path, root: Path, skipped: dict[str, str], *, host: str | None) -> _Parsed:
    name = str(path.relative_to(root))
    delta = parse_delta(_read(path, root))
    why = not_a_kernel_log(delta)
    if why is None and not delta.lines:
        why = "empty"
    if why is None and all(line.time is None and line.monotonic is None for line in delta.lines):
        why = "no line carries a time (dmesg, syslog or journal stamp)"
    if why is not None:
        skipped[name] = why
        return _Parsed(name, {})
    if host is not None:
        return _Parsed(name, {host: list(delta.lines)})
    by_host: dict[str, list[KernelLine]] = {}
    current = next((line.host for line in delta.lines if line.host), None) or _host_of(path)
    for line in delta.lines:
        current = line.host or current
        by_host.setdefault(current, []).append(line)
    return _Parsed(name, by_host)


def _host_of(path: Path) -> str:
    """The host a file's name gives: ``web-01.log.2.gz`` -> ``web-01``."""
    stem = _SUFFIXES.sub("", path.name) or path.name
    return path.parent.name if stem.lower() in _GENERIC else stem


def _place(parsed: Iterable[_Parsed]) -> tuple[dict[str, HostLines], float]:
    """Every host's lines on one clock (wall time, or a monotonic stamp from the folder's start),
    and that start."""
    parsed = list(parsed)
    walls = [line.time.timestamp() for p in parsed for lines in p.by_host.values() for line in lines if line.time]
    origin = min(walls) if walls else 0.0
    hosts: dict[str, HostLines] = {}
    earliest: dict[str, float] = {}
    for p in parsed:
        for name, lines in p.by_host.items():
            out = hosts.setdefault(name, HostLines(name))
            out.files.append(p.name)
            out.wall = out.wall or any(line.time is not None for line in lines)
            timed = _timed(lines, origin)
            out.lines.extend(timed)
            stamped = next(((t, line.monotonic) for (t, _), line in zip(timed, lines, strict=True)
                            if line.monotonic is not None), None)
            if stamped is not None and stamped[0] < earliest.get(name, math.inf):
                earliest[name], out.boot = stamped[0], stamped[0] - stamped[1]
    for h in hosts.values():
        h.lines.sort(key=lambda pair: pair[0])  # stable: lines of one instant keep their order
    return hosts, origin


def _timed(lines: list[KernelLine], boot: float) -> list[tuple[float, str]]:
    """``(time, raw)`` per line; unstamped lines take the previous line's time (the first stamp
    for those before it)."""
    times = [_when(line, boot) for line in lines]
    previous = next(t for t in times if t is not None)
    out = []
    for line, t in zip(lines, times, strict=True):
        previous = previous if t is None else t
        out.append((previous, line.raw))
    return out


def _when(line: KernelLine, boot: float) -> float | None:
    if line.time is not None:
        return line.time.timestamp()
    if line.monotonic is not None:
        return boot + line.monotonic
    return None
