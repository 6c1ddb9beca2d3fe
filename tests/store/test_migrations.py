"""Versioned, forward-only migrations: a schema-4 file from before the store keeps every row and
works at once; a store a newer tasseograph wrote is refused on both backends, never downgraded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tasseograph.errors import StateError
from tasseograph.schema import Verdict
from tasseograph.store import open_store
from tasseograph.store.schema import SCHEMA_VERSION, TABLES
from tasseograph.store.sqlitefile import schema_version

V4_SQL = Path(__file__).parent / "data" / "state-v4.sql"


def rows(path: Path, table: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        conn.close()


def test_a_schema_4_file_keeps_its_rows_and_its_queued_delta_is_judged(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.executescript(V4_SQL.read_text(encoding="utf-8"))
    conn.close()
    before = {t: rows(path, t) for t in ("verdicts", "findings", "finding_events", "alerts", "counters", "cursors")}

    store = open_store(path)
    try:
        assert store.get_meta("schema_version") == SCHEMA_VERSION and SCHEMA_VERSION > 4
        assert schema_version(tmp_path / "state.db.v4.bak") == 4  # backed up before the migration
        for table, old in before.items():
            new = rows(path, table)
            assert [r[:len(o)] for r, o in zip(new, old, strict=True)] == old, table  # new columns at the end
        assert {r[0] for r in store.reader.execute("SELECT skipped FROM verdicts")} == {0, 1}  # read from the JSON
        assert {json.loads(v)["status"] for _, _, v in store.verdict_rows()} == {"critical", "ok"}
        outbox = store.claim_outbox("runner", limit=10)  # the alert still waiting is posted after the upgrade
        assert [(r[4], json.loads(r[2])["host"]) for r in outbox] == [("firing", "web1")]
        (queued,) = store.claim("runner", 1796600200.0)
        assert queued.ref == "web1/0002.log:0-80" and store.pending_origins("spool") == {"web1/2049:77"}
        assert store.finish(queued, Verdict(status="ok", model="rules"), now=1796600200.0)
        assert store.queue_stats(1796600200.0)[0] == 0 and store.pending_origins("spool") == set()
        assert set(TABLES) <= {r[0] for r in store.reader.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_store_from_a_newer_tasseograph_is_refused(backend: str, tmp_path: Path,
                                                      request: pytest.FixtureRequest) -> None:
    location = str(tmp_path / "state.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    store = open_store(location)
    store.set_meta("schema_version", SCHEMA_VERSION + 1)
    store.close()
    with pytest.raises(StateError, match="newer tasseograph"):
        open_store(location)
