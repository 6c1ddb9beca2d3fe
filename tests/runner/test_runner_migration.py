"""A state file from before findings had a lifecycle (schema 2 or 3) opens with its data kept: a
backup first, the per-verdict rows renamed to ``sightings``, and the alert it was firing replaced
by one alert per finding at the first pass."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from tasseograph.runner.alerts import to_iso
from tasseograph.runner.findingstore import FindingStore
from tasseograph.runner.sources import build_sources
from tasseograph.runner.state import SCHEMA_VERSION
from tasseograph.runner.statefile import open_state, schema_version
from tasseograph.runner.worker import Runner
from tests.runner.conftest import FakeAlertmanager, make_config

V3_SQL = Path(__file__).parent / "data" / "state-v3.sql"
LEGACY_FP = "9a1c0e5d33f0aa21"


def old_state(path: Path, version: int) -> Path:
    sql = V3_SQL.read_text(encoding="utf-8")
    if version == 2:
        head, rows = sql.split("-- version 3 from here", 1)
        sql = head + "-- rows" + rows.split("-- rows", 1)[1].replace("'schema_version', '3'", "'schema_version', '2'")
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.close()
    return path


def table(conn: sqlite3.Connection, sql: str) -> list[tuple[object, ...]]:
    return conn.execute(sql).fetchall()


@pytest.mark.parametrize("version", [2, 3])
def test_an_old_state_file_keeps_its_data_and_its_alert_becomes_a_finding(tmp_path: Path, version: int) -> None:
    path = old_state(tmp_path / "state.db", version)
    state = open_state(path)
    backup = path.with_name(f"state.db.v{version}.bak")
    assert schema_version(backup) == version and schema_version(path) == SCHEMA_VERSION
    old = sqlite3.connect(backup)
    assert len(table(old, "SELECT * FROM findings")) == 3  # the backup is the file as it was
    old.close()

    conn = state.conn
    rows = table(conn, "SELECT delta_id, signal_id, device FROM sightings ORDER BY id")
    assert rows == [(1, "edac.ue", "{}"), (2, "edac.ue", "{}"), (2, "thermal.throttle", "{}")]
    assert len(table(conn, "SELECT * FROM verdicts")) == 3
    assert table(conn, "SELECT value FROM counters WHERE name='dmesg_llm_issues_total'") == [(2.0,)]
    assert table(conn, "SELECT COUNT(*) FROM findings") == [(0,)]
    assert {r[1] for r in table(conn, "PRAGMA index_list(sightings)")} == {"sightings_host", "sightings_checked"}

    am = FakeAlertmanager()
    try:
        config = make_config(tmp_path, **{"alerts.alertmanager_url": am.url})
        runner = Runner(config, state, build_sources(config), clock=lambda: 1796601000.0)
        asyncio.run(runner.cycle())
        (finding,) = FindingStore(conn).query()
        assert (finding.key.host, finding.key.signal, finding.times_seen, finding.state) == (
            "db-17", "edac.ue", 2, "active")
        assert finding.key.device_dict["dimm"] == "CPU_SrcID#0_Ha#0_Chan#1_DIMM#0"  # read again from the evidence
        legacy, per_finding = am.alerts()
        assert legacy["labels"] == {"alertname": "DmesgHardwareIssue", "category": "memory", "host": "db-17",
                                    "severity": "critical"}
        assert (legacy["startsAt"], legacy["endsAt"]) == (to_iso(1796600000.0), to_iso(1796601000.0))
        assert legacy["annotations"]["ended"].startswith("replaced by one alert per finding")
        assert per_finding["labels"]["finding_id"] == finding.id and per_finding["labels"]["dimm"]
        asyncio.run(runner.cycle())  # adopted once
        assert len(am.alerts()) == 2 and len(FindingStore(conn).query()) == 1
    finally:
        am.close()
        state.close()


def test_opening_twice_migrates_once(tmp_path: Path) -> None:
    path = old_state(tmp_path / "state.db", 3)
    open_state(path).close()
    state = open_state(path)
    try:
        assert len(table(state.conn, "SELECT * FROM sightings")) == 3
        columns = [r[1] for r in table(state.conn, "PRAGMA table_info(findings)")]
        assert "delta_id" not in columns and "times_seen" in columns
        assert json.loads(state.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]) == SCHEMA_VERSION
    finally:
        state.close()
