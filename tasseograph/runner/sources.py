"""Local sources of deltas: ``/dev/kmsg``, ``journalctl -k`` and stdin (the spool is in ``spool.py``).

Every source has a ``name`` (its cursor namespace) and ``scan(cursors, now) -> Scan``; the worker
commits the chunks and cursor writes of one scan in one transaction.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from tasseograph.errors import SourceError
from tasseograph.runner.config import RunnerConfig
from tasseograph.runner.spool import Scan, SpoolSource
from tasseograph.runner.state import Chunk, CursorUpdate, Event


class Source(Protocol):
    """A source of per-host deltas with a cursor."""

    name: str

    def scan(self, cursors: dict[str, str], now: float) -> Scan:
        """New lines since ``cursors``, with the cursor writes that cover them."""
        ...


def local_host(configured: str) -> str:
    """The host name for local sources: the configured one, else this machine's."""
    return configured or socket.gethostname()


# --- /dev/kmsg -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KmsgRecord:
    """One /dev/kmsg record: ``prio,seq,usec,flags[,...];message`` plus continuation lines."""

    seq: int
    raw: bytes


def parse_kmsg_records(data: bytes) -> Iterator[KmsgRecord]:
    """Split kmsg text into records (continuation lines start with a space)."""
    current: list[bytes] = []
    for line in data.split(b"\n"):
        if line.startswith(b" ") and current:
            current.append(line)
            continue
        if current:
            yield _record(current)
        current = [line] if line.strip() else []
    if current:
        yield _record(current)


def _record(lines: list[bytes]) -> KmsgRecord:
    head = lines[0].split(b";", 1)[0].split(b",")
    try:
        seq = int(head[1])
    except (IndexError, ValueError):
        seq = -1
    return KmsgRecord(seq, b"\n".join(lines))


class KmsgSource:
    """The local ring buffer: sequence numbers as cursor; reboots and overruns become events."""

    name = "kmsg"

    def __init__(self, path: Path, boot_id_path: Path, host: str) -> None:
        self.path = path
        self.boot_id_path = boot_id_path
        self.host = host

    def scan(self, cursors: dict[str, str], now: float) -> Scan:  # noqa: ARG002
        """Records after the stored sequence number of this boot."""
        boot_id = self._boot_id()
        stored = json.loads(cursors[self.host]) if self.host in cursors else None
        scan = Scan()
        last = -1
        if stored is not None and stored["boot_id"] == boot_id:
            last = int(stored["seq"])
        elif stored is not None:
            scan.events.append(Event(self.host, self.name, "reboot", f"boot id {stored['boot_id']} -> {boot_id}"))
        records, overruns = self._read()
        if overruns:
            scan.events.append(Event(self.host, self.name, "overrun", f"{overruns} read(s) hit an overwritten record"))
        new = [r for r in records if r.seq > last]
        expected = last + 1 if last >= 0 else (new[0].seq if new else 0)
        for rec in new:
            if rec.seq > expected:
                lost = rec.seq - expected
                scan.events.append(Event(self.host, self.name, "overrun",
                                         f"{lost} record(s) lost (seq {expected}..{rec.seq - 1})"))
            expected = rec.seq + 1
        if new:
            data = b"\n".join(r.raw for r in new) + b"\n"
            ref = f"kmsg:{boot_id[:8]}:{new[0].seq}-{new[-1].seq}"
            scan.chunks.append(Chunk(self.host, self.name, ref, data, boot_id=boot_id))
            last = new[-1].seq
        if new or stored is None or stored["boot_id"] != boot_id:
            scan.cursors.append(CursorUpdate(self.name, self.host, json.dumps({"boot_id": boot_id, "seq": last})))
        return scan

    def _boot_id(self) -> str:
        try:
            return self.boot_id_path.read_text(encoding="ascii").strip()
        except OSError as exc:
            raise SourceError(f"kmsg: cannot read boot id from {self.boot_id_path}: {exc.strerror}") from None

    def _read(self) -> tuple[list[KmsgRecord], int]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            raise SourceError(f"kmsg: cannot open {self.path}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "rb", buffering=0) as fh:
                return _read_all(fh)
        except OSError as exc:
            raise SourceError(f"kmsg: read failed on {self.path}: {exc.strerror}") from None


def _read_all(fh: BinaryIO) -> tuple[list[KmsgRecord], int]:
    """Read until no more data: one record per read from the device, many from a file."""
    records: list[KmsgRecord] = []
    overruns = 0
    while True:
        try:
            data = fh.read(65536)
        except BrokenPipeError:
            # EPIPE: our read position was overwritten; the kernel moves us to the oldest record.
            overruns += 1
            continue
        except OSError as exc:
            if exc.errno == errno.EAGAIN:
                break
            raise
        if not data:
            break
        records.extend(parse_kmsg_records(data))
    return records, overruns


# --- journalctl -k --------------------------------------------------------------------------


class JournalSource:
    """``journalctl -k -o json`` after the stored cursor (this boot when there is none)."""

    name = "journal"

    def __init__(self, command: list[str], host: str, timeout: float = 60.0) -> None:
        self.command = command
        self.host = host
        self.timeout = timeout

    def scan(self, cursors: dict[str, str], now: float) -> Scan:  # noqa: ARG002
        """Kernel entries after the cursor, grouped by the host that logged them."""
        scan = Scan()
        stored = json.loads(cursors["journal"]) if "journal" in cursors else None
        lines = self._run(stored["cursor"] if stored else None, scan)
        by_host: dict[str, list[bytes]] = {}
        cursor = stored["cursor"] if stored else None
        boot = stored.get("boot_id") if stored else None
        for line in lines:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            cursor = entry.get("__CURSOR", cursor)
            if boot and entry.get("_BOOT_ID") and entry["_BOOT_ID"] != boot:
                scan.events.append(Event(self.host, self.name, "reboot", f"boot id {boot} -> {entry['_BOOT_ID']}"))
            boot = entry.get("_BOOT_ID", boot)
            by_host.setdefault(str(entry.get("_HOSTNAME") or self.host), []).append(line)
        for host, host_lines in by_host.items():
            scan.chunks.append(Chunk(host, self.name, f"journal:{cursor}", b"\n".join(host_lines) + b"\n"))
        if cursor is not None and (stored is None or cursor != stored["cursor"]):
            scan.cursors.append(CursorUpdate(self.name, "journal", json.dumps({"cursor": cursor, "boot_id": boot})))
        return scan

    def _run(self, cursor: str | None, scan: Scan) -> list[bytes]:
        base = [*self.command, "-k", "-o", "json", "--no-pager", "-q"]
        out = self._exec([*base, f"--after-cursor={cursor}"] if cursor else [*base, "-b"])
        if out is None and cursor:
            # The cursor is gone (journal vacuumed or rotated): report it and restart at this boot.
            scan.events.append(Event(self.host, self.name, "cursor_lost", "journal cursor no longer valid"))
            out = self._exec([*base, "-b"])
        if out is None:
            raise SourceError(f"journal: {' '.join(base)} failed")
        return [line for line in out.split(b"\n") if line.strip()]

    def _exec(self, argv: list[str]) -> bytes | None:
        try:
            done = subprocess.run(argv, capture_output=True, timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SourceError(f"journal: cannot run {argv[0]}: {exc}") from None
        return done.stdout if done.returncode == 0 else None


# --- stdin ----------------------------------------------------------------------------------


class StdinSource:
    """A one-off delta read from a stream (no cursor)."""

    name = "stdin"

    def __init__(self, stream: BinaryIO, host: str) -> None:
        self.stream = stream
        self.host = host
        self._done = False

    def scan(self, cursors: dict[str, str], now: float) -> Scan:  # noqa: ARG002
        """The whole stream, once."""
        scan = Scan()
        if not self._done:
            self._done = True
            data = self.stream.read()
            if data.strip():
                scan.chunks.append(Chunk(self.host, self.name, "stdin", data))
        return scan


def split_chunk(chunk: Chunk, limit: int) -> list[Chunk]:
    """Split an oversized chunk on record boundaries (a line starting with a space continues one)."""
    if len(chunk.data) <= limit:
        return [chunk]
    pieces: list[bytes] = []
    current = b""
    for line in chunk.data.splitlines(keepends=True):
        if current and len(current) + len(line) > limit and not line.startswith(b" "):
            pieces.append(current)
            current = b""
        current += line
    if current:
        pieces.append(current)
    return [dataclasses.replace(chunk, ref=f"{chunk.ref}#{i}", data=p) for i, p in enumerate(pieces, start=1)]


def build_sources(config: RunnerConfig, *, stdin: BinaryIO | None = None) -> list[Source]:
    """The sources the config turns on (plus stdin when given)."""
    src = config.sources
    host = local_host(src.host)
    sources: list[Source] = []
    if src.spool.dir is not None:
        sources.append(SpoolSource(src.spool.dir, settle=src.spool.settle, delete_consumed=src.spool.delete_consumed,
                                   max_chunk=src.max_delta_bytes, quarantine=src.spool.quarantine))
    if src.kmsg.enabled:
        sources.append(KmsgSource(src.kmsg.path, src.kmsg.boot_id_path, host))
    if src.journal.enabled:
        sources.append(JournalSource(src.journal.command, host, src.journal.timeout))
    if stdin is not None:
        sources.append(StdinSource(stdin, host))
    return sources
