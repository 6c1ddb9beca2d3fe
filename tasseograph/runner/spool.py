"""The spool source: ``SPOOL/<host>/*.log`` files that config management drops in.

The contract with the writer (see ``deploy/``): write each pull to a temporary name (a dotfile
or ``*.tmp``/``*.part``) in the host's directory, then rename it to ``<something>.log``. The
runner also copes with writers that do not follow it:

* partial files: only complete lines are taken until the file has been left alone for
  ``settle`` seconds, after which a last line without a newline is taken too;
* rotated files (``dmesg.log`` renamed to ``dmesg.log.1``): files are tracked by device and
  inode, so the rotated file continues where it was left; a truncated file starts again at 0;
* inode reuse after a delete: the cursor keeps the file's name and a hash of its first bytes;
  a file with another stem (rotation keeps it) or another head is read as new;
* binary junk is set apart line by line (``salvage.py``): text lines are queued, a line the
  signal catalogue matches is never dropped (even glued to garbage), and a chunk that held junk
  is kept whole in the quarantine folder (``SPOOL.quarantine/<host>/<file>@<offset>``) with a
  ``quarantined`` event; NUL padding is dropped;
* empty files are deleted once settled.

Hygiene: the runner never follows a link, so it never reads, sends or deletes anything outside
the spool. A host directory that is a symlink or not a directory, and a ``*.log`` that is a
symlink or not a regular file, is refused; so is a host directory name that cannot be a host
name (a leading dot, control characters, bytes that are not UTF-8). Every other name is a host:
spaces, ``@``, ``:`` (IPv6 addresses) and non-ASCII included. A file whose name is not ``*.log``
is ignored. Each of these is reported once (an event, ``metrics.SOURCE_EVENTS{kind}``) and
counted while it stays (``metrics.SPOOL_REFUSED``). Dotfiles and ``*.tmp``/``*.part``/``*.swp``/``~``
files are the writers' temp names, skipped without a word.

A cursor per file (``<host>/<dev>:<ino>``) holds the byte offset consumed. A consumed file is
deleted (when ``delete_consumed`` is on) only once every delta holding its lines has its
verdict stored and the state file reads back the file's cursor (``release``): until then the
spool file is the second copy of its lines, from which a lost state file can be rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from tasseograph.runner.salvage import quarantine, salvage
from tasseograph.runner.state import Chunk, CursorUpdate, Event, State
from tasseograph.runner.statefile import read_back

log = logging.getLogger(__name__)

SOURCE = "spool"
HEAD_BYTES = 256
"""Bytes hashed to recognise a file again (inode reuse guard)."""
BINARY_SHARE = 0.3
"""Share of control bytes above which data is binary, not a log (``is_binary``)."""
REFUSED_PREFIX = "!refused/"
"""Cursor keys of refused or ignored entries (reported once, counted while they stay)."""
_NAME = re.compile(r"^[^.].*\.log(\.\d+)?$")
_TEMP_SUFFIXES = (".tmp", ".part", ".swp", "~")
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13, 27)) + b"\x7f"
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f]")
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


@dataclass
class Scan:
    """What one pass over a source found: chunks, cursor writes, events, and clean-up."""

    chunks: list[Chunk] = field(default_factory=list)
    cursors: list[CursorUpdate] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    """Run only once the ingest transaction committed."""
    consumed: list[Consumed] = field(default_factory=list)
    """Files read to their end: deleted by ``release`` once their lines are judged."""


@dataclass(frozen=True)
class Consumed:
    """A spool file read to its end, waiting for its lines' verdicts before it is deleted."""

    origin: str
    """Its cursor key (``<host>/<dev>:<ino>``): the deltas holding its lines carry it."""
    offset: int
    """The cursor offset that covers the whole file (0 for an empty file, which has no cursor)."""
    folder: Path
    name: str
    dev: int
    ino: int

    def remove(self) -> None:
        """Delete the file, unless its name now leads to another file (never through a link)."""
        try:
            fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return
        try:
            st = os.stat(self.name, dir_fd=fd, follow_symlinks=False)
            if (st.st_dev, st.st_ino) == (self.dev, self.ino):
                os.unlink(self.name, dir_fd=fd)
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)


@dataclass(frozen=True)
class _Cursor:
    offset: int
    head_len: int
    head: str
    name: str = ""

    def dumps(self) -> str:
        return json.dumps({"offset": self.offset, "head_len": self.head_len, "head": self.head, "name": self.name})


class SpoolSource:
    """Reads new complete lines from ``dir/<host>/*.log``."""

    name = SOURCE

    def __init__(self, root: Path, *, settle: float = 30.0, delete_consumed: bool = True,
                 max_chunk: int = 512 * 1024, quarantine: Path | None = None) -> None:
        self.root = root
        self.settle = settle
        self.delete_consumed = delete_consumed
        self.max_chunk = max_chunk
        self.quarantine = quarantine if quarantine is not None else default_quarantine(root)

    def scan(self, cursors: dict[str, str], now: float) -> Scan:
        """Find new lines in every host directory (cursors as stored, keyed ``host/dev:ino``)."""
        scan = Scan()
        seen: set[str] = set()
        if not self.root.is_dir():
            return scan
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            problem = host_problem(entry)
            if problem is not None:
                _refuse(_shown(entry.name), entry.name, problem, cursors, scan, seen)
                continue
            try:
                # Held open (never followed if swapped for a link): every file is opened relative to it.
                dfd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            except OSError as exc:
                _refuse(_shown(entry.name), entry.name, f"cannot open: {exc.strerror}", cursors, scan, seen)
                continue
            try:
                listing = _files(dfd)
            except OSError as exc:
                os.close(dfd)
                _refuse(entry.name, entry.name, f"cannot list: {exc.strerror}", cursors, scan, seen)
                continue
            try:
                for name, problem in listing:
                    if problem is not None:
                        _refuse(entry.name, f"{entry.name}/{name}", problem, cursors, scan, seen)
                    else:
                        self._scan_file(entry.name, Path(entry.path), dfd, name, cursors, now, scan, seen)
            finally:
                os.close(dfd)
        # Cursors of files that are gone (deleted or rotated away) are dropped.
        scan.cursors.extend(CursorUpdate(SOURCE, k, None) for k in cursors if k not in seen)
        return scan

    def _scan_file(self, host: str, folder: Path, dfd: int, name: str, cursors: dict[str, str], now: float,
                   scan: Scan, seen: set[str]) -> None:
        try:
            fd = os.open(name, _OPEN_FLAGS, dir_fd=dfd)
        except FileNotFoundError:  # renamed or deleted under us: next scan
            return
        except OSError as exc:  # ELOOP: swapped for a link since the listing
            _refuse(host, f"{host}/{name}", f"cannot open: {exc.strerror}", cursors, scan, seen)
            return
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                _refuse(host, f"{host}/{name}", "not a regular file: refused", cursors, scan, seen)
                return
            self._read_file(host, folder, name, fh, st, cursors, now, scan, seen)

    def _read_file(self, host: str, folder: Path, name: str, fh: BinaryIO, st: os.stat_result,
                   cursors: dict[str, str], now: float, scan: Scan, seen: set[str]) -> None:
        key = f"{host}/{st.st_dev}:{st.st_ino}"
        seen.add(key)
        settled = now - st.st_mtime >= self.settle
        if st.st_size == 0:
            if settled and self.delete_consumed:
                scan.consumed.append(Consumed(key, 0, folder, name, st.st_dev, st.st_ino))
            return
        path = folder / name
        offset = self._start(host, path, fh.read(HEAD_BYTES), cursors.get(key), st.st_size, scan)
        received = min(st.st_mtime, now)  # when the collector wrote it (a clock ahead of ours: now)
        end = self._read_chunks(host, path, key, fh, offset, st.st_size, settled, received, scan)
        fh.seek(0)
        head = fh.read(min(end, HEAD_BYTES))
        if end != offset:
            scan.cursors.append(CursorUpdate(SOURCE, key, _Cursor(end, len(head), _hash(head), name).dumps()))
        if settled and end == st.st_size and self.delete_consumed:
            scan.consumed.append(Consumed(key, end, folder, name, st.st_dev, st.st_ino))

    def _start(self, host: str, path: Path, head: bytes, stored: str | None, size: int, scan: Scan) -> int:
        if stored is None:
            return 0
        cur = _Cursor(**json.loads(stored))
        same_name = _stem(path.name) == _stem(cur.name)
        if not same_name:
            return 0  # another file got this inode (rotation keeps the stem: dmesg.log -> dmesg.log.1)
        if size < cur.offset:
            scan.events.append(Event(host, SOURCE, "truncated", f"{path.name}: {size} < {cur.offset} bytes"))
            return 0
        if _hash(head[: cur.head_len]) != cur.head:
            return 0  # rewritten in place
        return cur.offset

    def _read_chunks(self, host: str, path: Path, key: str, fh: BinaryIO, offset: int, size: int, settled: bool,
                     received: float, scan: Scan) -> int:
        fh.seek(offset)
        while offset < size:
            piece = fh.read(min(self.max_chunk, size - offset))
            if not piece:
                break
            whole = offset + len(piece) == size and settled
            cut = len(piece) if whole else piece.rfind(b"\n") + 1
            if cut == 0:
                if len(piece) < self.max_chunk:
                    break  # a partial line still being written
                cut = len(piece)  # one monstrous line: take it in pieces
            self._emit(host, path, key, piece[:cut], offset, received, scan)
            offset += cut
            fh.seek(offset)
        return offset

    def _emit(self, host: str, path: Path, key: str, raw: bytes, offset: int, received: float, scan: Scan) -> None:
        data = raw.replace(b"\x00", b"")
        found = salvage(data)
        if found.junk_lines:
            self._set_apart(host, path, raw, offset, found.junk_lines, found.junk_bytes, found.rescued, scan)
        data = found.text
        if not data.strip():
            return
        if not data.endswith(b"\n"):
            data += b"\n"
        ref = f"{host}/{path.name}:{offset}-{offset + len(raw)}"
        scan.chunks.append(Chunk(host=host, source=SOURCE, ref=ref, data=data, origin=key, received=received))

    def _set_apart(self, host: str, path: Path, raw: bytes, offset: int, lines: int, size: int, rescued: int,
                   scan: Scan) -> None:
        what = f"{path.name}: {lines} junk line(s), {size} of {len(raw)} bytes at offset {offset}"
        kept = f"; {rescued} signal line(s) rescued from them" if rescued else ""
        try:
            where = quarantine(self.quarantine, host, path.name, offset, raw)
        except OSError as exc:
            scan.events.append(Event(host, SOURCE, "quarantine_failed",
                                     f"{what} not kept: {self.quarantine}: {exc.strerror}{kept}"))
            return
        scan.events.append(Event(host, SOURCE, "quarantined", f"{what} set apart in {where}{kept}"))


def default_quarantine(root: Path) -> Path:
    """Where junk is kept when no folder is configured: ``SPOOL.quarantine`` beside the spool."""
    return root.parent / f"{root.name}.quarantine"


def host_problem(entry: os.DirEntry[str]) -> str | None:
    """Why a spool entry is no host directory, or None when it is one.

    Any name that can be a host name is one: spaces, ``@``, ``:`` (IPv6 addresses) and
    non-ASCII included. A leading dot is refused (no host name starts with one, and dot
    directories belong to tools), as are control characters and bytes that are not UTF-8.
    """
    name = entry.name
    if entry.is_symlink():
        return "symlink: refused (the runner never follows links out of the spool)"
    if not entry.is_dir(follow_symlinks=False):
        return "not a directory: refused (the spool holds one directory per host)"
    if name.startswith("."):
        return "hidden directory: a name with a leading dot is no host name (rename it)"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "name is not valid UTF-8: refused (rename it)"
    if _CONTROL_CHARS.search(name):
        return "control characters in the name: refused (rename it)"
    return None


def release(consumed: list[Consumed], cursors: dict[str, str], pending: set[str]) -> list[Consumed]:
    """The consumed files that may go: no delta holding their lines still waits for a verdict,
    and the state file reads back the cursor that covers them (an empty file has no lines to keep)."""
    out = []
    for item in consumed:
        if item.origin in pending:
            continue
        stored = cursors.get(item.origin)
        offset = json.loads(stored)["offset"] if stored is not None else 0
        if item.offset == 0 or offset == item.offset:
            out.append(item)
    return out


def delete_judged(state: State, consumed: list[Consumed]) -> int:
    """Delete the consumed files whose lines all have verdicts, as the state file reads back.

    Returns how many were deleted. The others wait for their verdicts: the next scan finds them
    again. A file that cannot be deleted is logged, and found again too.

    Raises:
        StateCorruptError: the state file does not read back (then nothing is deleted).
    """
    if not consumed:
        return 0
    cursors, pending = read_back(state.path, SOURCE)
    ready = release(consumed, cursors, pending)
    for item in ready:
        try:
            item.remove()
        except OSError as exc:
            log.warning("spool clean-up failed: %s/%s: %s", item.folder, item.name, exc.strerror)
    return len(ready)


def _refuse(host: str, what: str, problem: str, cursors: dict[str, str], scan: Scan, seen: set[str]) -> None:
    """Report a refused or ignored entry once (its cursor remembers it while it stays)."""
    key = REFUSED_PREFIX + _shown(what)
    seen.add(key)
    if cursors.get(key) != problem:
        kind = "ignored" if problem.startswith("ignored") else "refused"
        scan.events.append(Event(host, SOURCE, kind, f"{_shown(what)}: {problem}"))
        scan.cursors.append(CursorUpdate(SOURCE, key, problem))


def _shown(name: str) -> str:
    """A name fit for a log line, a label and the state file (bad bytes and controls escaped)."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def is_binary(data: bytes) -> bool:
    """True when ``data`` looks like a binary file rather than log text.

    NUL bytes are ignored (files cut short by a crash are often NUL-padded); the rest counts
    control bytes and bytes that are not UTF-8.
    """
    sample = data[:8192].replace(b"\x00", b"")
    if not sample:
        return len(data) > 0
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    invalid = sample.decode("utf-8", "replace").count("\ufffd")
    return (controls + invalid) / len(sample) >= BINARY_SHARE


def _files(dfd: int) -> list[tuple[str, str | None]]:
    """``(name, problem)`` of a host directory's entries worth a look, oldest first."""
    out: list[tuple[str, str | None]] = []
    for entry in os.scandir(dfd):
        name = entry.name
        if name.startswith(".") or name.endswith(_TEMP_SUFFIXES):
            continue  # a writer's temp name (the atomic-write convention)
        if entry.is_symlink():
            out.append((name, "symlink: refused (the runner never follows links out of the spool)"))
        elif not _NAME.match(name):
            out.append((name, "ignored: not a *.log file"))
        elif not entry.is_file(follow_symlinks=False):
            out.append((name, "not a regular file: refused"))
        else:
            out.append((name, None))
    # Oldest first, so rotated files (dmesg.log.1) come before the live one.
    return sorted(out, key=lambda item: _order(dfd, item[0]))


def _order(dfd: int, name: str) -> tuple[float, int, str]:
    try:
        mtime = os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mtime
    except FileNotFoundError:
        mtime = 0.0
    match = re.search(r"\.log\.(\d+)$", name)
    return (mtime, -int(match.group(1)) if match else 0, name)


def _stem(name: str) -> str:
    return name.split(".log", 1)[0]


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
