"""The state file under hostile conditions (issue 8, item 4): cut short mid-run, damaged, full,
read-only, migrated; one line and exit 2 each, spool files kept, and a recovery that loses no line."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tasseograph.cli import main
from tasseograph.errors import StateCorruptError
from tasseograph.runner.state import SCHEMA_VERSION, CursorUpdate, State
from tasseograph.runner.statefile import check_header, check_state, open_state, recover_state
from tasseograph.store import sqlite as state_module
from tests.runner.conftest import CRITICAL_LINE, make_config, make_runner, write_spool


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def run_once(tmp_path: Path) -> Any:
    return cli("run", "--once", "--model", "rules", "--spool", str(tmp_path / "spool"),
               "--state", str(tmp_path / "state.db"))


def fill_spool(tmp_path: Path, hosts: int = 20) -> list[Path]:
    return [write_spool(tmp_path / "spool", f"node{h:02d}", "0001.log", f"[ {h}.0] {CRITICAL_LINE}\n")
            for h in range(hosts)]


def one_error_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return str(lines[0])


def grow(path: Path, rows: int = 400) -> None:
    """Enough verdicts that the file is many pages long, checkpointed into the main file."""
    state = State(path)
    with state.transaction() as conn:
        for i in range(rows):
            conn.execute("INSERT INTO verdicts (delta_id, host, ref, checked, status, model, fallback, cost_usd,"
                         " verdict) VALUES (?,?,?,?,?,?,?,?,?)",
                         (i + 10_000, "old", f"old/{i}.log:0-1", 1.0, "ok", "rules", None, 0.0, "{}" + " " * 900))
    state.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    state.close()


def test_state_cut_short_mid_run_keeps_every_spool_file_then_recovers(tmp_path: Path) -> None:
    grow(tmp_path / "state.db")
    files = fill_spool(tmp_path)
    runner = make_runner(make_config(tmp_path, **{"model.name": "rules"}))
    process = runner.process

    async def cut_then_process(now: float, report: Any) -> None:
        os.truncate(runner.state.path, 8192)  # the file is cut under the running runner
        await process(now, report)

    runner.process = cut_then_process  # type: ignore[method-assign]
    # Either the runner's own reads now fail, or (its page cache still serving every row) the read
    # back before deleting the spool files does: in both cases nothing is deleted.
    with pytest.raises((StateCorruptError, sqlite3.DatabaseError)):
        asyncio.run(runner.cycle())
    runner.state.close()
    assert all(f.exists() for f in files)  # its own page cache still read fine: the disk did not

    line = one_error_line(run_once(tmp_path))
    assert "damaged" in line and "tasseograph state recover" in line
    assert cli("state", "check", "--state", str(tmp_path / "state.db")).exit_code == 2
    recovered = cli("state", "recover", "--state", str(tmp_path / "state.db"))
    assert recovered.exit_code == 0, recovered.output
    assert cli("state", "check", "--state", str(tmp_path / "state.db")).exit_code == 0

    assert run_once(tmp_path).exit_code == 0
    conn = sqlite3.connect(tmp_path / "state.db")
    hosts = {r[0] for r in conn.execute("SELECT host FROM findings WHERE severity='critical'")}
    conn.close()
    assert hosts == {f"node{h:02d}" for h in range(20)}  # every critical line analysed after all
    assert not any(f.exists() for f in files)


def test_damaged_state_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    fill_spool(tmp_path, hosts=2)
    (tmp_path / "state.db").write_bytes(b"this is not a database" * 200)
    line = one_error_line(run_once(tmp_path))
    assert "damaged" in line and str(tmp_path / "state.db") in line
    assert len(list((tmp_path / "spool").rglob("*.log"))) == 2
    assert one_error_line(cli("findings", "--state", str(tmp_path / "state.db")))


def _wrapped_connect(change: Callable[[sqlite3.Connection, Path], sqlite3.Connection]) -> Callable[..., Any]:
    real = state_module.connect

    def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
        conn = real(path, readonly=readonly)
        return conn if readonly else change(conn, path)

    return connect


def test_disk_full_is_one_line_and_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grow(tmp_path / "state.db", rows=1)
    files = fill_spool(tmp_path, hosts=30)

    def full(conn: sqlite3.Connection, path: Path) -> sqlite3.Connection:
        conn.execute("PRAGMA max_page_count = 1")  # clamps at the current size: no page to grow into
        return conn

    monkeypatch.setattr(state_module, "connect", _wrapped_connect(full))
    line = one_error_line(run_once(tmp_path))
    assert "disk is full" in line
    assert all(f.exists() for f in files)
    monkeypatch.undo()
    assert run_once(tmp_path).exit_code == 0  # space freed: the same lines go through
    assert not any(f.exists() for f in files)


def test_read_only_state_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grow(tmp_path / "state.db", rows=1)
    files = fill_spool(tmp_path, hosts=2)

    def read_only(conn: sqlite3.Connection, path: Path) -> sqlite3.Connection:
        conn.close()  # root ignores file modes: open it the way a read-only mount would
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)

    monkeypatch.setattr(state_module, "connect", _wrapped_connect(read_only))
    assert "read-only" in one_error_line(run_once(tmp_path))
    assert all(f.exists() for f in files)


def test_new_state_file_and_its_companions_are_private(tmp_path: Path) -> None:
    fill_spool(tmp_path, hosts=1)
    old = os.umask(0o022)
    try:
        state = State(tmp_path / "state.db")
        state.set_meta("x", 1)
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir() if p.name.startswith("state")}
        state.close()
        assert run_once(tmp_path).exit_code == 0
    finally:
        os.umask(old)
    assert modes == {"state.db": 0o600, "state.db-wal": 0o600, "state.db-shm": 0o600}
    assert stat.S_IMODE((tmp_path / "state.db.lock").stat().st_mode) == 0o600


def test_backup_is_taken_before_a_schema_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    state = State(path)
    with state.transaction() as conn:
        conn.execute("DROP TABLE delta_origins")
        conn.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    state.close()
    open_state(path).close()
    backup = tmp_path / "state.db.v2.bak"
    conn = sqlite3.connect(backup)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("2",)
    conn.close()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert check_state(path).schema_version == SCHEMA_VERSION


def test_state_check_and_backup_commands(tmp_path: Path) -> None:
    grow(tmp_path / "state.db", rows=3)
    checked = cli("state", "check", "--state", str(tmp_path / "state.db"))
    assert checked.exit_code == 0 and "verdicts" in checked.output and "state OK" in checked.output
    copy = tmp_path / "copy.db"
    assert cli("state", "backup", str(copy), "--state", str(tmp_path / "state.db")).exit_code == 0
    assert check_state(copy).rows["verdicts"] == 3
    assert "no state file" in one_error_line(cli("state", "check", "--state", str(tmp_path / "nope.db")))


def test_recovery_copies_what_reads_and_drops_cursors_when_the_queue_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    grow(path, rows=50)
    state = State(path)
    state.ingest([], [CursorUpdate("spool", "web1/1:2", '{"offset": 9}')], now=time.time())
    with state.transaction() as conn:
        conn.executemany("INSERT INTO deltas (host, source, ref, data, created, due) VALUES (?,?,?,?,?,?)",
                         [("web1", "spool", f"r{i}", b"x" * 3000, 1.0, 0.0) for i in range(60)])
    state.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = state.conn.execute("SELECT rootpage FROM sqlite_master WHERE name='deltas'").fetchone()[0]
    page = state.conn.execute("PRAGMA page_size").fetchone()[0]
    state.close()
    with path.open("r+b") as fh:  # scribble over the queue's root page
        fh.seek((root - 1) * page)
        fh.write(b"\xff" * page)
    recovery = recover_state(path)
    assert recovery.moved_to.exists()
    assert "deltas" in recovery.incomplete and recovery.cursors_dropped
    assert recovery.copied["verdicts"] == 50
    report = check_state(path)
    assert report.ok and report.rows["verdicts"] == 50 and report.rows["cursors"] == 0


def interrupted_checkpoint(tmp_path: Path) -> tuple[Path, int]:
    """A state file as a ``kill -9`` in the middle of a WAL checkpoint leaves it, and its row count.

    A checkpoint copies the WAL's pages into the file in page order, the header page (with the new
    page count) first; killed halfway, the file holds the first pages of the checkpointed database
    and the WAL still holds them all.
    """
    path = tmp_path / "state.db"
    grow(path, rows=50)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    before = path.stat().st_size
    with conn:
        conn.executemany("INSERT INTO verdicts (delta_id, host, ref, checked, status, model, fallback, cost_usd,"
                         " verdict) VALUES (?,?,?,?,?,?,?,?,?)",
                         [(i, "new", f"new/{i}.log:0-1", 2.0, "ok", "rules", None, 0.0, "{}" + " " * 900)
                          for i in range(400)])
    wal, shm = (path.with_name(path.name + suffix).read_bytes() for suffix in ("-wal", "-shm"))
    conn.execute("PRAGMA wal_checkpoint(FULL)")
    done = path.read_bytes()
    conn.close()
    assert len(done) > before + 2 * 4096
    path.write_bytes(done[: before + (len(done) - before) // 2 // 4096 * 4096])
    path.with_name(path.name + "-wal").write_bytes(wal)
    path.with_name(path.name + "-shm").write_bytes(shm)
    return path, 450


def test_a_checkpoint_killed_halfway_is_not_damage(tmp_path: Path) -> None:
    path, rows = interrupted_checkpoint(tmp_path)
    header = path.read_bytes()[:100]
    assert path.stat().st_size < int.from_bytes(header[28:32], "big") * int.from_bytes(header[16:18], "big")
    check_header(path)  # the WAL holds every page the file lacks
    state = open_state(path)
    assert state.conn.execute("SELECT COUNT(*) FROM verdicts").fetchone() == (rows,)
    state.close()
    assert check_state(path).ok


def test_the_same_short_file_without_its_wal_is_damaged(tmp_path: Path) -> None:
    path, _ = interrupted_checkpoint(tmp_path)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink()
    with pytest.raises(StateCorruptError, match="cut short"):
        check_header(path)


def test_header_check_catches_a_file_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    grow(path, rows=50)
    check_header(path)
    os.truncate(path, 4096)
    with pytest.raises(StateCorruptError, match="cut short"):
        check_header(path)

