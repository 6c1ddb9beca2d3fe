"""kmsg (sequence cursor, reboot, overrun), journalctl -k (cursor, lost cursor) and stdin."""

from __future__ import annotations

import io
import json
import stat
import sys
from pathlib import Path

from tasseograph.runner.sources import JournalSource, KmsgSource, StdinSource, parse_kmsg_records
from tasseograph.runner.spool import Scan


def kmsg_file(path: Path, seqs: range | list[int]) -> None:
    path.write_text("".join(f"6,{s},{s * 1000},-;message {s}\n SUBSYSTEM=test\n" for s in seqs), encoding="utf-8")


def cursors_after(scan: Scan) -> dict[str, str]:
    return {c.key: c.value for c in scan.cursors if c.value is not None}


def test_parse_kmsg_records_joins_continuations() -> None:
    records = list(parse_kmsg_records(b"6,1,10,-;a\n SUBSYSTEM=pci\n4,2,20,-;b\n"))
    assert [r.seq for r in records] == [1, 2]
    assert records[0].raw == b"6,1,10,-;a\n SUBSYSTEM=pci"


def test_kmsg_cursor_reboot_and_overrun(tmp_path: Path) -> None:
    dev, boot = tmp_path / "kmsg", tmp_path / "boot_id"
    boot.write_text("boot-a\n", encoding="ascii")
    kmsg_file(dev, range(0, 5))
    source = KmsgSource(dev, boot, "web1")
    first = source.scan({}, 0)
    assert first.chunks[0].data.count(b";message") == 5 and not first.events
    cursors = cursors_after(first)
    assert json.loads(cursors["web1"]) == {"boot_id": "boot-a", "seq": 4}

    kmsg_file(dev, range(3, 8))  # 0..2 rotated out of the ring, 5..7 new
    second = source.scan(cursors, 0)
    assert second.chunks[0].data.count(b";message") == 3 and not second.events
    cursors = cursors_after(second)

    kmsg_file(dev, range(20, 22))  # 8..19 overwritten before we read them
    third = source.scan(cursors, 0)
    assert [e.kind for e in third.events] == ["overrun"] and "12 record(s) lost" in third.events[0].detail
    cursors = cursors_after(third)

    boot.write_text("boot-b\n", encoding="ascii")
    kmsg_file(dev, range(0, 3))
    fourth = source.scan(cursors, 0)
    assert [e.kind for e in fourth.events] == ["reboot"]
    assert fourth.chunks[0].data.count(b";message") == 3

    assert source.scan(cursors_after(fourth), 0).chunks == []


def fake_journalctl(tmp_path: Path, entries: list[dict[str, str]], *, bad_cursor: str | None = None) -> list[str]:
    script = tmp_path / "journalctl"
    data = tmp_path / "entries.json"
    data.write_text(json.dumps(entries), encoding="utf-8")
    script.write_text(f"""#!{sys.executable}
import json, sys
entries = json.load(open({str(data)!r}))
after = next((a.split('=', 1)[1] for a in sys.argv if a.startswith('--after-cursor=')), None)
if after is not None and after == {bad_cursor!r}:
    sys.stderr.write('Failed to seek to cursor\\n'); sys.exit(1)
if after is not None:
    idx = [e['__CURSOR'] for e in entries].index(after)
    entries = entries[idx + 1:]
for e in entries:
    print(json.dumps(e))
""", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return [str(script)]


def entry(n: int, host: str = "db1", boot: str = "b1") -> dict[str, str]:
    return {"__CURSOR": f"c{n}", "MESSAGE": f"kernel line {n}", "_HOSTNAME": host, "_BOOT_ID": boot}


def test_journal_cursor(tmp_path: Path) -> None:
    entries = [entry(1), entry(2)]
    source = JournalSource(fake_journalctl(tmp_path, entries), "fallback")
    first = source.scan({}, 0)
    assert [c.host for c in first.chunks] == ["db1"] and first.chunks[0].data.count(b"\n") == 2
    cursors = {c.key: c.value for c in first.cursors if c.value}
    entries.append(entry(3, boot="b2"))
    source.command = fake_journalctl(tmp_path, entries)
    second = source.scan(cursors, 0)
    assert second.chunks[0].data.count(b"\n") == 1 and b"kernel line 3" in second.chunks[0].data
    assert [e.kind for e in second.events] == ["reboot"]
    assert source.scan({c.key: c.value for c in second.cursors if c.value}, 0).chunks == []


def test_journal_lost_cursor_is_reported(tmp_path: Path) -> None:
    source = JournalSource(fake_journalctl(tmp_path, [entry(1)], bad_cursor="gone"), "h")
    scan = source.scan({"journal": json.dumps({"cursor": "gone", "boot_id": "b1"})}, 0)
    assert [e.kind for e in scan.events] == ["cursor_lost"]
    assert len(scan.chunks) == 1


def test_stdin_once() -> None:
    source = StdinSource(io.BytesIO(b"line\n"), "adhoc")
    assert [c.data for c in source.scan({}, 0).chunks] == [b"line\n"]
    assert source.scan({}, 0).chunks == []


def test_split_chunk_keeps_records_whole() -> None:
    from tasseograph.runner.sources import split_chunk
    from tasseograph.runner.state import Chunk

    data = b"".join(f"6,{i},0,-;record {i:04d}\n SUBSYSTEM=pci\n".encode() for i in range(100))
    pieces = split_chunk(Chunk("h", "kmsg", "kmsg:x", data), 1024)
    assert len(pieces) > 1 and b"".join(p.data for p in pieces) == data
    assert all(p.data.startswith(b"6,") and len(p.data) <= 1024 + 64 for p in pieces)  # a record is never cut
    assert [p.ref for p in pieces[:2]] == ["kmsg:x#1", "kmsg:x#2"]


def test_kmsg_reads_only_under_its_hosts_lease(tmp_path: Path) -> None:
    dev, boot = tmp_path / "kmsg", tmp_path / "boot_id"
    boot.write_text("boot-a\n", encoding="ascii")
    kmsg_file(dev, range(0, 3))
    source = KmsgSource(dev, boot, "web1")
    asked: list[list[str]] = []

    def refuse(keys: list[str]) -> set[str]:
        asked.append(keys)
        return set()  # another runner reads web1 now

    skipped = source.scan({}, 0, refuse)
    assert asked == [["web1"]] and skipped.chunks == [] and skipped.cursors == [] and skipped.claimed == frozenset()
    granted = source.scan({}, 0, lambda keys: set(keys))
    assert granted.chunks[0].data.count(b";message") == 3 and granted.claimed == frozenset({"web1"})
    assert source.scan({}, 0).claimed is None  # no lease asked for (one runner on a SQLite file)
