"""The spool source with partial, rotated, truncated, binary, empty and temp-named files, and a
hostile spool: junk around critical lines, links, special files and odd host names."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tasseograph.runner.spool import REFUSED_PREFIX, Consumed, SpoolSource, delete_judged, is_binary
from tasseograph.runner.state import State
from tests.runner.conftest import CRITICAL_LINE, write_spool


def scan_commit(source: SpoolSource, state: State, now: float | None = None, *, judged: bool = True) -> list[bytes]:
    """One scan committed like the worker does (the deltas judged at once unless ``judged`` is
    False), then the judged files deleted; returns the chunk data."""
    now = time.time() if now is None else now
    scan = source.scan(state.cursors("spool"), now)
    state.ingest(scan.chunks, scan.cursors, scan.events, now=now)
    for action in scan.after_commit:
        action()
    if judged:
        with state.transaction() as conn:
            conn.execute("DELETE FROM deltas")
    delete_judged(state, scan.consumed)
    return [c.data for c in scan.chunks]


def events(state: State) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in state.conn.execute("SELECT host, kind, detail FROM events ORDER BY id")]


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    root = tmp_path / "spool"
    root.mkdir()
    return root


@pytest.fixture
def state(tmp_path: Path) -> State:
    return State(tmp_path / "state" / "s.db")


def test_complete_file_consumed_and_deleted(spool: Path, state: State) -> None:
    path = write_spool(spool, "web1", "0001.log", "a\nb\n")
    assert scan_commit(SpoolSource(spool, settle=30), state) == [b"a\nb\n"]
    assert not path.exists()
    assert scan_commit(SpoolSource(spool, settle=30), state) == []


def test_partial_file_waits_for_newline_or_settle(spool: Path, state: State) -> None:
    source = SpoolSource(spool, settle=30)
    path = write_spool(spool, "web1", "dmesg.log", "one\ntw", age=0)
    assert scan_commit(source, state) == [b"one\n"]
    with path.open("ab") as fh:
        fh.write(b"o\nthr")
    assert scan_commit(source, state) == [b"two\n"]
    assert path.exists()  # still being written: never deleted
    old = time.time() - 60
    os.utime(path, (old, old))
    assert scan_commit(source, state) == [b"thr\n"]  # settled: the last line counts without "\n"
    assert not path.exists()


def test_temp_names_skipped_and_other_names_reported_once(spool: Path, state: State) -> None:
    folder = spool / "web1"
    folder.mkdir()
    for name in (".0001.log.tmp", "0001.log.tmp", "0001.log.part", ".hidden.log", "notes.txt", "x.log.gz"):
        (folder / name).write_text("line\n", encoding="utf-8")
    source = SpoolSource(spool, settle=0)
    assert scan_commit(source, state) == []
    assert len(list(folder.iterdir())) == 6
    # Temp names are the writers' convention: silence. Other names are never read: said once.
    assert sorted(e[2] for e in events(state)) == ["web1/notes.txt: ignored: not a *.log file",
                                                   "web1/x.log.gz: ignored: not a *.log file"]
    assert scan_commit(source, state) == [] and len(events(state)) == 2


def test_empty_file_deleted_once_settled(spool: Path, state: State) -> None:
    fresh = write_spool(spool, "web1", "new.log", "", age=0)
    old = write_spool(spool, "web1", "old.log", "", age=120)
    assert scan_commit(SpoolSource(spool, settle=30), state) == []
    assert fresh.exists() and not old.exists()


def test_rotation_continues_where_it_left(spool: Path, state: State) -> None:
    source = SpoolSource(spool, settle=3600, delete_consumed=False)
    live = write_spool(spool, "web1", "dmesg.log", "a\n", age=0)
    assert scan_commit(source, state) == [b"a\n"]
    with live.open("ab") as fh:
        fh.write(b"b\n")
    os.rename(live, spool / "web1" / "dmesg.log.1")  # logrotate: rename, then a new file
    write_spool(spool, "web1", "dmesg.log", "c\n", age=0)
    assert scan_commit(source, state) == [b"b\n", b"c\n"]
    assert scan_commit(source, state) == []


def test_truncated_file_restarts_and_is_reported(spool: Path, state: State) -> None:
    source = SpoolSource(spool, settle=3600, delete_consumed=False)
    live = write_spool(spool, "web1", "dmesg.log", "aaaa\nbbbb\n", age=0)
    assert scan_commit(source, state) == [b"aaaa\nbbbb\n"]
    with live.open("r+b") as fh:  # copytruncate
        fh.truncate(0)
        fh.write(b"c\n")
    assert scan_commit(source, state) == [b"c\n"]
    kinds = [r[0] for r in state.conn.execute("SELECT kind FROM events")]
    assert kinds == ["truncated"]


def test_inode_reuse_detected_by_head(spool: Path, state: State) -> None:
    source = SpoolSource(spool, settle=3600, delete_consumed=False)
    live = write_spool(spool, "web1", "dmesg.log", "first file\n", age=0)
    assert scan_commit(source, state) == [b"first file\n"]
    # Same inode, different content of the same length or longer (a new file in the same slot).
    live.write_bytes(b"other file\nmore\n")
    assert scan_commit(source, state) == [b"other file\nmore\n"]


def test_binary_file_set_apart_in_quarantine(spool: Path, state: State) -> None:
    junk = bytes(range(256)) * 20
    path = write_spool(spool, "web1", "core.log", junk)
    write_spool(spool, "web1", "ok.log", "real line\n\x00\x00")
    assert scan_commit(SpoolSource(spool, settle=0), state) == [b"real line\n"]
    assert not path.exists()
    ((host, kind, detail),) = events(state)
    assert (host, kind) == ("web1", "quarantined") and "core.log" in detail
    kept = spool.parent / "spool.quarantine" / "web1" / "core.log@0"
    assert kept.read_bytes() == junk
    assert kept.stat().st_mode & 0o077 == 0


def test_invalid_utf8_is_kept_as_bytes(spool: Path, state: State) -> None:
    write_spool(spool, "web1", "a.log", b"caf\xe9 line\n")
    assert scan_commit(SpoolSource(spool, settle=0), state) == [b"caf\xe9 line\n"]


def test_huge_file_split_in_chunks(spool: Path, state: State) -> None:
    write_spool(spool, "web1", "big.log", "".join(f"line {i:05d}\n" for i in range(1000)))
    chunks = scan_commit(SpoolSource(spool, settle=0, max_chunk=1024), state)
    assert len(chunks) > 5 and all(len(c) <= 1024 and c.endswith(b"\n") for c in chunks)
    assert b"".join(chunks) == "".join(f"line {i:05d}\n" for i in range(1000)).encode()


def test_is_binary() -> None:
    assert not is_binary(b"[ 1.0] usb 1-1: new device\n")
    assert is_binary(b"\x00\x01\x02\x03ELF\x00\x00")


# --- a hostile spool (issue 8, items 1-4) --------------------------------------------------------

GARBAGE = bytes((i * 73 + 11) % 256 for i in range(3072))
"""3 KB of binary junk (with a few newlines in it, as real garbage has)."""
CE_LINE = "EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0"


def test_junk_before_critical_lines_loses_no_line(spool: Path, state: State) -> None:
    text = f"[ 10.0] {CRITICAL_LINE}\n[ 11.0] {CE_LINE}\n[ 12.0] usb 1-1: new high-speed USB device\n"
    raw = GARBAGE + b"\n" + text.encode()
    path = write_spool(spool, "web1", "0001.log", raw)
    (data,) = scan_commit(SpoolSource(spool, settle=0), state)
    assert text.encode() in data
    assert [e[1] for e in events(state)] == ["quarantined"]
    assert (spool.parent / "spool.quarantine" / "web1" / "0001.log@0").read_bytes() == raw
    assert not path.exists()


def test_signal_glued_to_garbage_is_rescued_as_a_line(spool: Path, state: State) -> None:
    # No newline between the junk and the line: the signal is cut out of the junk line.
    write_spool(spool, "web1", "0001.log", GARBAGE.replace(b"\n", b"") + f"[ 10.0] {CRITICAL_LINE}\n".encode())
    (data,) = scan_commit(SpoolSource(spool, settle=0), state)
    assert data == f"[ 10.0] {CRITICAL_LINE}\n".encode()
    ((_, kind, detail),) = events(state)
    assert kind == "quarantined" and "1 signal line(s) rescued" in detail


def test_console_noise_with_control_characters_is_kept_as_text(spool: Path, state: State) -> None:
    noisy = b"[ 3.0] serial8250: too much work for irq4\x08\x08 \r\n" * 40 + f"[ 4.0] {CRITICAL_LINE}\n".encode()
    write_spool(spool, "web1", "0001.log", noisy)
    (data,) = scan_commit(SpoolSource(spool, settle=0), state)
    assert data == noisy and events(state) == []


def test_quarantine_that_cannot_be_written_still_keeps_the_lines(spool: Path, state: State, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("x", encoding="utf-8")
    write_spool(spool, "web1", "0001.log", GARBAGE + b"\n" + f"{CRITICAL_LINE}\n".encode())
    (data,) = scan_commit(SpoolSource(spool, settle=0, quarantine=blocked), state)
    assert CRITICAL_LINE.encode() in data
    assert [e[1] for e in events(state)] == ["quarantine_failed"]


def test_symlinked_host_directory_is_refused_and_its_target_untouched(spool: Path, state: State,
                                                                      tmp_path: Path) -> None:
    outside = tmp_path / "etc"
    outside.mkdir()
    secret = outside / "shadow.log"
    secret.write_text("root:$6$secret:19000:0:99999:7:::\n", encoding="utf-8")
    (spool / "evil").symlink_to(outside)
    assert scan_commit(SpoolSource(spool, settle=0), state) == []
    assert secret.exists()
    ((host, kind, detail),) = events(state)
    assert (host, kind) == ("evil", "refused") and "symlink" in detail


def test_symlinked_and_special_files_are_refused(spool: Path, state: State, tmp_path: Path) -> None:
    outside = tmp_path / "outside.log"
    outside.write_text(f"{CRITICAL_LINE}\n", encoding="utf-8")
    folder = spool / "web1"
    folder.mkdir()
    (folder / "link.log").symlink_to(outside)
    os.mkfifo(folder / "pipe.log")  # a FIFO would block a plain open() forever
    (folder / "dir.log").mkdir()
    assert scan_commit(SpoolSource(spool, settle=0), state) == []
    assert outside.exists()
    got = sorted((e[1], e[2].split(":")[0]) for e in events(state))
    assert got == [("refused", "web1/dir.log"), ("refused", "web1/link.log"), ("refused", "web1/pipe.log")]


def test_a_file_swapped_for_a_link_after_the_listing_is_not_followed(spool: Path, state: State,
                                                                      tmp_path: Path) -> None:
    outside = tmp_path / "outside.log"
    outside.write_text("private\n", encoding="utf-8")
    folder = spool / "web1"
    folder.mkdir()
    (folder / "a.log").symlink_to(outside)
    source = SpoolSource(spool, settle=0)
    scan = source.scan({}, time.time())
    # Opened the way the scan opens a listed file: O_NOFOLLOW refuses the link.
    source._scan_file("web1", folder, os.open(folder, os.O_RDONLY), "a.log", {}, time.time(), scan, set())
    assert scan.chunks == [] and outside.read_text(encoding="utf-8") == "private\n"


@pytest.mark.parametrize("host", ["web 01", "admin@web01", "2001:db8::21", "fe80::1%eno1", "сервер-01", "Web01"])
def test_every_name_that_can_be_a_host_is_read(spool: Path, state: State, host: str) -> None:
    write_spool(spool, host, "0001.log", f"[ 10.0] {CRITICAL_LINE}\n")
    source = SpoolSource(spool, settle=0)
    scan = source.scan(state.cursors("spool"), time.time())
    assert [(c.host, c.data) for c in scan.chunks] == [(host, f"[ 10.0] {CRITICAL_LINE}\n".encode())]
    assert scan.events == []


def test_names_that_cannot_be_hosts_are_reported_once_and_forgotten_when_gone(spool: Path, state: State) -> None:
    for name in (".snapshot", "bad\nname"):
        write_spool(spool, name, "0001.log", f"{CRITICAL_LINE}\n")
    os.mkdir(os.fsencode(spool) + b"/latin1-\xe9")
    (spool / "README").write_text("not a host\n", encoding="utf-8")
    source = SpoolSource(spool, settle=0)
    assert scan_commit(source, state) == []
    reported = sorted(e[0] for e in events(state))
    assert reported == [".snapshot", "README", "bad\\x0aname", "latin1-\\xe9"]
    assert all(e[1] == "refused" for e in events(state))
    assert scan_commit(source, state) == [] and len(events(state)) == 4  # once, not every cycle
    refused = [k for k in state.cursors("spool") if k.startswith(REFUSED_PREFIX)]
    assert len(refused) == 4
    (spool / "README").unlink()
    scan_commit(source, state)
    assert len([k for k in state.cursors("spool") if k.startswith(REFUSED_PREFIX)]) == 3


def test_files_are_deleted_only_once_their_lines_are_judged(spool: Path, state: State) -> None:
    path = write_spool(spool, "web1", "0001.log", f"{CRITICAL_LINE}\n")
    source = SpoolSource(spool, settle=0)
    assert scan_commit(source, state, judged=False) == [f"{CRITICAL_LINE}\n".encode()]
    assert path.exists()  # queued, not judged: the spool keeps the second copy
    assert scan_commit(source, state, judged=False) == []  # nothing new, still waiting
    assert path.exists()
    with state.transaction() as conn:
        conn.execute("DELETE FROM deltas")  # the verdicts are stored
    assert scan_commit(source, state, judged=False) == []
    assert not path.exists()


def test_a_file_whose_cursor_does_not_read_back_is_kept(spool: Path, state: State) -> None:
    path = write_spool(spool, "web1", "0001.log", "a\n")
    source = SpoolSource(spool, settle=0)
    scan = source.scan({}, time.time())
    (item,) = scan.consumed
    # The commit never reached the state file: no cursor reads back, so nothing is deleted.
    assert delete_judged(state, scan.consumed) == 0 and path.exists()
    stale = Consumed(item.origin, item.offset, item.folder, item.name, item.dev, item.ino + 1)
    stale.remove()  # another file now has the name: it is left alone
    assert path.exists()


def test_chunk_origin_tracks_appended_and_split_deltas(spool: Path, state: State) -> None:
    write_spool(spool, "web1", "0001.log", "".join(f"line {i:04d}\n" for i in range(300)))
    scan = SpoolSource(spool, settle=0, max_chunk=1024).scan({}, time.time())
    state.ingest(scan.chunks, scan.cursors, now=time.time())
    (item,) = scan.consumed
    assert state.pending_origins("spool") == {item.origin}
    ids = [r[0] for r in state.conn.execute("SELECT id FROM deltas ORDER BY id")]
    with state.transaction() as conn:
        conn.execute("DELETE FROM deltas WHERE id=?", (ids[0],))
    assert state.pending_origins("spool") == {item.origin}  # other pieces still queued
    with state.transaction() as conn:
        conn.execute("DELETE FROM deltas")
    assert state.pending_origins("spool") == set()
    assert json.loads(state.cursors("spool")[item.origin])["offset"] == item.offset


def test_an_unlistable_host_directory_is_reported_not_fatal(spool: Path, state: State,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write_spool(spool, "web1", "0001.log", f"{CRITICAL_LINE}\n")
    write_spool(spool, "web2", "0001.log", f"{CRITICAL_LINE}\n")
    real = os.scandir

    def scandir(path: object = ".") -> object:
        # A host directory is listed by descriptor.
        if isinstance(path, int) and os.readlink(f"/proc/self/fd/{path}").endswith("web1"):
            raise PermissionError(13, "Permission denied")
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    assert scan_commit(SpoolSource(spool, settle=0), state) == [f"{CRITICAL_LINE}\n".encode()]
    assert [(e[0], e[1]) for e in events(state)] == [("web1", "refused")]
