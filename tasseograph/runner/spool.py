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
* binary files are reported (an event and a counter) and skipped, NUL padding is dropped;
* empty files are deleted once settled.

A cursor per file (``<host>/<dev>:<ino>``) holds the byte offset consumed; files fully consumed
are deleted after the commit when ``delete_consumed`` is on.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from tasseograph.runner.state import Chunk, CursorUpdate, Event

SOURCE = "spool"
HEAD_BYTES = 256
"""Bytes hashed to recognise a file again (inode reuse guard)."""
BINARY_SHARE = 0.3
"""Share of control bytes above which a file is binary, not a log."""
_NAME = re.compile(r"^[^.].*\.log(\.\d+)?$")
_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TEMP_SUFFIXES = (".tmp", ".part", ".swp", "~")
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13, 27)) + b"\x7f"


@dataclass
class Scan:
    """What one pass over a source found: chunks, cursor writes, events, and clean-up."""

    chunks: list[Chunk] = field(default_factory=list)
    cursors: list[CursorUpdate] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    """Run only once the ingest transaction committed (e.g. delete consumed files)."""


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
                 max_chunk: int = 512 * 1024) -> None:
        self.root = root
        self.settle = settle
        self.delete_consumed = delete_consumed
        self.max_chunk = max_chunk

    def scan(self, cursors: dict[str, str], now: float) -> Scan:
        """Find new lines in every host directory (cursors as stored, keyed ``host/dev:ino``)."""
        scan = Scan()
        seen: set[str] = set()
        if not self.root.is_dir():
            return scan
        for host_dir in sorted(self.root.iterdir()):
            if host_dir.is_dir() and _HOST.match(host_dir.name):
                for path in _log_files(host_dir):
                    self._scan_file(host_dir.name, path, cursors, now, scan, seen)
        # Cursors of files that are gone (deleted or rotated away) are dropped.
        scan.cursors.extend(CursorUpdate(SOURCE, k, None) for k in cursors if k not in seen)
        return scan

    def _scan_file(self, host: str, path: Path, cursors: dict[str, str], now: float, scan: Scan,
                   seen: set[str]) -> None:
        try:
            st = path.stat()
        except FileNotFoundError:  # renamed or deleted under us: next scan
            return
        key = f"{host}/{st.st_dev}:{st.st_ino}"
        seen.add(key)
        settled = now - st.st_mtime >= self.settle
        if st.st_size == 0:
            if settled and self.delete_consumed:
                scan.after_commit.append(_unlinker(path))
            return
        with path.open("rb") as fh:
            offset = self._start(host, path, fh.read(HEAD_BYTES), cursors.get(key), st.st_size, scan)
            end = self._read_chunks(host, path, fh, offset, st.st_size, settled, scan)
            fh.seek(0)
            head = fh.read(min(end, HEAD_BYTES))
        if end != offset:
            scan.cursors.append(CursorUpdate(SOURCE, key, _Cursor(end, len(head), _hash(head), path.name).dumps()))
        if settled and end == st.st_size and self.delete_consumed:
            scan.after_commit.append(_unlinker(path))

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

    def _read_chunks(self, host: str, path: Path, fh: BinaryIO, offset: int, size: int, settled: bool,
                     scan: Scan) -> int:
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
            self._emit(host, path, piece[:cut], offset, scan)
            offset += cut
            fh.seek(offset)
        return offset

    def _emit(self, host: str, path: Path, data: bytes, offset: int, scan: Scan) -> None:
        if is_binary(data):
            scan.events.append(Event(host, SOURCE, "binary", f"{path.name}: {len(data)} bytes skipped"))
            return
        data = data.replace(b"\x00", b"")
        if not data.strip():
            return
        if not data.endswith(b"\n"):
            data += b"\n"
        ref = f"{host}/{path.name}:{offset}-{offset + len(data)}"
        scan.chunks.append(Chunk(host=host, source=SOURCE, ref=ref, data=data))


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


def _log_files(host_dir: Path) -> list[Path]:
    files = []
    for entry in os.scandir(host_dir):
        name = entry.name
        if entry.is_file(follow_symlinks=False) and _NAME.match(name) and not name.endswith(_TEMP_SUFFIXES):
            files.append(Path(entry.path))
    # Oldest first, so rotated files (dmesg.log.1) come before the live one.
    return sorted(files, key=_order)


def _order(path: Path) -> tuple[float, int, str]:
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        mtime = 0.0
    match = re.search(r"\.log\.(\d+)$", path.name)
    return (mtime, -int(match.group(1)) if match else 0, path.name)


def _stem(name: str) -> str:
    return name.split(".log", 1)[0]


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _unlinker(path: Path) -> Callable[[], None]:
    def unlink() -> None:
        path.unlink(missing_ok=True)

    return unlink
