"""The fleet page's reads (``web/queries.py``), on a state the real runner wrote: what they
return, that they never write, and one clear line for a state they cannot read."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import pytest

from tasseograph.errors import StateCorruptError, StateError, UnknownFindingError
from tasseograph.runner import metrics
from tasseograph.runner.state import SCHEMA_VERSION, State
from tasseograph.web.queries import MIN_SCHEMA, check_readable, open_reader
from tests.runner.test_runner_migration import old_state
from tests.web.conftest import ACK_NOTE, FIRST_PASS, Fleet, add_tracks, ramp_tracks


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_hosts_checks_and_open_findings_are_what_the_runner_stored(fleet: Fleet) -> None:
    with open_reader(fleet.state) as reader:
        hosts = reader.hosts()
        open_records = reader.open_findings()
        checks = reader.recent_checks("web-01")
    assert set(hosts) == {"db-01", "db-02", "web-01", "web-02", "web-03"}  # db-03 never sent a line
    assert (hosts["db-01"].last_status, hosts["db-02"].last_status) == ("critical", "ok")
    assert hosts["db-01"].last_anomaly is not None and hosts["db-02"].last_anomaly is None
    by_host = {(r.key.host, r.key.signal): r for r in open_records}
    assert set(by_host) == {("db-01", "edac.ue"), ("web-01", "edac.ce"), ("web-01", "nvme.timeout"),
                            ("web-02", "nvme.timeout"), ("web-03", "net.link_down")}
    assert by_host[("web-02", "nvme.timeout")].state == "acknowledged"
    assert [c.status for c in checks] == ["warning", "warning"] and checks[0].checked >= checks[1].checked
    assert checks[0].ref.startswith("web-01/0002.log") and checks[0].model == "rules"


def test_findings_filters_narrow_as_the_cli_does(fleet: Fleet) -> None:
    with open_reader(fleet.state) as reader:
        web = reader.findings(host="web-*")
        critical = reader.findings(severity="critical")
        storage = reader.findings(category="storage", states=["acknowledged"])
        future = reader.findings(since=time.time() + 3600)
        one = reader.findings(limit=1)
    assert {r.key.host for r in web} == {"web-01", "web-02", "web-03"} and len(web) == 4
    assert [(r.key.host, r.key.signal) for r in critical] == [("db-01", "edac.ue")]
    assert [r.key.host for r in storage] == ["web-02"]
    assert future == [] and len(one) == 1


def test_a_finding_comes_with_its_events_deltas_and_alert(fleet: Fleet) -> None:
    acked = fleet.ids["web-02"][0]
    with open_reader(fleet.state) as reader:
        detail = reader.finding(acked[:6], time.time())  # a unique prefix is enough, as in the CLI
        with pytest.raises(UnknownFindingError, match="no finding 'ffffffffffff'"):
            reader.finding("ffffffffffff", time.time())
    assert detail.record.id == acked and detail.record.state == "acknowledged"
    assert [(e.action, e.actor) for e, _ in detail.events] == [("opened", "tasseograph"), ("acknowledged", "alice")]
    assert detail.events[1][0].note == ACK_NOTE
    line = FIRST_PASS["web-02"].encode()
    assert [d["ref"] for d in detail.deltas] == [f"web-02/0001.log:0-{len(line)}"]
    assert detail.alert is None and detail.suppressed_by is None  # a warning seen once has not paged


def test_health_reads_queue_spend_circuit_and_counters(fleet: Fleet) -> None:
    now = time.time()
    with open_reader(fleet.state) as reader:
        health = reader.health(now)
    assert health.queue_depth == 1 and 0 < health.queue_oldest_age < 600  # db-02's next delta waits for its turn
    assert health.last_run is not None and now - health.last_run < 600
    assert (health.circuit, health.circuit_failures, health.budget_exhausted) == ("closed", 0, None)
    assert (health.spent_day, health.spent_month) == (0.0, 0.0)  # the rules model costs nothing
    assert health.alerts_firing == 1  # db-01's critical finding
    assert health.counters == {metrics.API_ERRORS: 0.0, metrics.REPLY_ERRORS: 0.0, metrics.ALERT_POST_ERRORS: 0.0,
                               metrics.SPOOL_QUARANTINED: 0.0}


def test_counters_sum_over_labels(fleet: Fleet) -> None:
    with open_reader(fleet.state) as reader:
        counted = reader.counters([metrics.CHECKS, metrics.ISSUES])
    assert counted == {metrics.CHECKS: 6.0, metrics.ISSUES: 5.0}


def drop_fleet_tracks(state: Path) -> None:
    """Make ``state`` look like one an older runner wrote (no fleet counters table)."""
    conn = sqlite3.connect(state)
    conn.execute("DROP TABLE fleet_tracks")
    conn.commit()
    conn.close()


def test_device_counters_are_empty_without_the_fleet_table_and_read_when_it_is_there(fleet_copy: Fleet) -> None:
    with open_reader(fleet_copy.state) as reader:  # the runner counted web-01's corrected errors
        assert {t.name for t in reader.device_counters("web-01")} >= {"edac.ce"}
    drop_fleet_tracks(fleet_copy.state)
    with open_reader(fleet_copy.state) as reader:
        assert reader.device_counters("web-01") == []
    now = time.time()
    add_tracks(fleet_copy.state, ramp_tracks("web-01", now) + ramp_tracks("db-01", now, days=1), now)
    with open_reader(fleet_copy.state) as reader:
        tracks = reader.device_counters("web-01")
        assert reader.device_counters("web-03") == []
    assert {(t.kind, t.name) for t in tracks} == {("signal", "edac.ce"), ("rule", "memory.dimm_corrected")}
    assert all(t.host == "web-01" and t.history.total > 20 for t in tracks)
    assert tracks[0].history.total >= tracks[-1].history.total


def test_a_fleet_row_of_another_shape_is_left_out_not_fatal(fleet_copy: Fleet, caplog: pytest.LogCaptureFixture
                                                            ) -> None:
    drop_fleet_tracks(fleet_copy.state)
    now = time.time()
    add_tracks(fleet_copy.state, ramp_tracks("web-01", now), now)
    conn = sqlite3.connect(fleet_copy.state)
    conn.execute("INSERT INTO fleet_tracks (key, host, data, updated) VALUES ('x', 'web-01', '{\"kind\": 1}', 0)")
    conn.commit()
    conn.close()
    with open_reader(fleet_copy.state) as reader:
        assert len(reader.device_counters("web-01")) == 2
    assert "could not be read" in caplog.text


def test_reading_never_writes_not_even_beside_a_read_only_file(fleet_copy: Fleet) -> None:
    before = digest(fleet_copy.state)
    fleet_copy.state.chmod(0o400)
    try:
        with open_reader(fleet_copy.state) as reader:
            reader.hosts()
            reader.open_findings()
            reader.health(time.time())
            reader.device_counters("db-01")
    finally:
        fleet_copy.state.chmod(0o600)
    assert digest(fleet_copy.state) == before


def test_an_empty_state_reads_as_empty(tmp_path: Path) -> None:
    State(tmp_path / "state.db").close()
    with open_reader(tmp_path / "state.db") as reader:
        assert reader.hosts() == {} and reader.open_findings() == [] and reader.findings() == []
        health = reader.health(time.time())
    assert (health.queue_depth, health.last_run, health.alerts_firing) == (0, None, 0)


def test_a_missing_empty_or_foreign_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "state.db"
    with pytest.raises(StateError, match=r"^no state file at .*: run `tasseograph run --once` first"):
        check_readable(missing)
    assert not missing.parent.exists()  # nothing was created
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(StateError, match="holds no tasseograph state yet"):
        check_readable(empty)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00\xffnot sqlite at all" * 40)
    with pytest.raises(StateCorruptError, match="no SQLite header"):
        check_readable(junk)


def test_an_older_or_newer_schema_says_what_to_do(tmp_path: Path) -> None:
    old = old_state(tmp_path / "old.db", 3)
    before = digest(old)
    with pytest.raises(StateError, match=rf"schema version 3, older than this page reads \({MIN_SCHEMA} to "
                                         rf"{SCHEMA_VERSION}\): the runner upgrades it"):
        check_readable(old)
    assert digest(old) == before  # the page never migrates it
    newer = tmp_path / "newer.db"
    State(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(StateError, match="written by a newer tasseograph"):
        check_readable(newer)
