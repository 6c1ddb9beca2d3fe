"""The spool source with partial, rotated, truncated, binary, empty and temp-named files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tasseograph.runner.spool import SpoolSource, is_binary
from tasseograph.runner.state import State
from tests.runner.conftest import write_spool


def scan_commit(source: SpoolSource, state: State, now: float | None = None) -> list[bytes]:
    """One scan committed like the worker does; returns the chunk data."""
    now = time.time() if now is None else now
    scan = source.scan(state.cursors("spool"), now)
    state.ingest(scan.chunks, scan.cursors, scan.events, now=now)
    for action in scan.after_commit:
        action()
    return [c.data for c in scan.chunks]


def test_complete_file_consumed_and_deleted(tmp_path: Path) -> None:
    path = write_spool(tmp_path, "web1", "0001.log", "a\nb\n")
    state = State(tmp_path / "s.db")
    assert scan_commit(SpoolSource(tmp_path, settle=30), state) == [b"a\nb\n"]
    assert not path.exists()
    assert scan_commit(SpoolSource(tmp_path, settle=30), state) == []


def test_partial_file_waits_for_newline_or_settle(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    source = SpoolSource(tmp_path, settle=30)
    path = write_spool(tmp_path, "web1", "dmesg.log", "one\ntw", age=0)
    assert scan_commit(source, state) == [b"one\n"]
    with path.open("ab") as fh:
        fh.write(b"o\nthr")
    assert scan_commit(source, state) == [b"two\n"]
    assert path.exists()  # still being written: never deleted
    old = time.time() - 60
    os.utime(path, (old, old))
    assert scan_commit(source, state) == [b"thr\n"]  # settled: the last line counts without "\n"
    assert not path.exists()


def test_temp_and_hidden_names_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "web1"
    folder.mkdir()
    for name in (".0001.log.tmp", "0001.log.tmp", "0001.log.part", ".hidden.log", "notes.txt", "x.log.gz"):
        (folder / name).write_text("line\n", encoding="utf-8")
    (tmp_path / "bad host!").mkdir()
    (tmp_path / "bad host!" / "a.log").write_text("x\n", encoding="utf-8")
    state = State(tmp_path / "s.db")
    assert scan_commit(SpoolSource(tmp_path, settle=0), state) == []
    assert len(list(folder.iterdir())) == 6


def test_empty_file_deleted_once_settled(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    fresh = write_spool(tmp_path, "web1", "new.log", "", age=0)
    old = write_spool(tmp_path, "web1", "old.log", "", age=120)
    assert scan_commit(SpoolSource(tmp_path, settle=30), state) == []
    assert fresh.exists() and not old.exists()


def test_rotation_continues_where_it_left(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    source = SpoolSource(tmp_path, settle=3600, delete_consumed=False)
    live = write_spool(tmp_path, "web1", "dmesg.log", "a\n", age=0)
    assert scan_commit(source, state) == [b"a\n"]
    with live.open("ab") as fh:
        fh.write(b"b\n")
    os.rename(live, tmp_path / "web1" / "dmesg.log.1")  # logrotate: rename, then a new file
    write_spool(tmp_path, "web1", "dmesg.log", "c\n", age=0)
    assert scan_commit(source, state) == [b"b\n", b"c\n"]
    assert scan_commit(source, state) == []


def test_truncated_file_restarts_and_is_reported(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    source = SpoolSource(tmp_path, settle=3600, delete_consumed=False)
    live = write_spool(tmp_path, "web1", "dmesg.log", "aaaa\nbbbb\n", age=0)
    assert scan_commit(source, state) == [b"aaaa\nbbbb\n"]
    with live.open("r+b") as fh:  # copytruncate
        fh.truncate(0)
        fh.write(b"c\n")
    assert scan_commit(source, state) == [b"c\n"]
    kinds = [r[0] for r in state.conn.execute("SELECT kind FROM events")]
    assert kinds == ["truncated"]


def test_inode_reuse_detected_by_head(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    source = SpoolSource(tmp_path, settle=3600, delete_consumed=False)
    live = write_spool(tmp_path, "web1", "dmesg.log", "first file\n", age=0)
    assert scan_commit(source, state) == [b"first file\n"]
    # Same inode, different content of the same length or longer (a new file in the same slot).
    live.write_bytes(b"other file\nmore\n")
    assert scan_commit(source, state) == [b"other file\nmore\n"]


def test_binary_file_skipped_and_reported(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    path = write_spool(tmp_path, "web1", "core.log", bytes(range(256)) * 20)
    write_spool(tmp_path, "web1", "ok.log", "real line\n\x00\x00")
    assert scan_commit(SpoolSource(tmp_path, settle=0), state) == [b"real line\n"]
    assert not path.exists()
    assert [r[0] for r in state.conn.execute("SELECT kind FROM events")] == ["binary"]


def test_invalid_utf8_is_kept_as_bytes(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    write_spool(tmp_path, "web1", "a.log", b"caf\xe9 line\n")
    assert scan_commit(SpoolSource(tmp_path, settle=0), state) == [b"caf\xe9 line\n"]


def test_huge_file_split_in_chunks(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    write_spool(tmp_path, "web1", "big.log", "".join(f"line {i:05d}\n" for i in range(1000)))
    chunks = scan_commit(SpoolSource(tmp_path, settle=0, max_chunk=1024), state)
    assert len(chunks) > 5 and all(len(c) <= 1024 and c.endswith(b"\n") for c in chunks)
    assert b"".join(chunks) == "".join(f"line {i:05d}\n" for i in range(1000)).encode()


def test_is_binary() -> None:
    assert not is_binary(b"[ 1.0] usb 1-1: new device\n")
    assert is_binary(b"\x00\x01\x02\x03ELF\x00\x00")
