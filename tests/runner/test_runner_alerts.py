"""One alert per finding: its labels, when it pages, and how a severity change or an end is sent."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tasseograph.findings.identity import FindingKey
from tasseograph.findings.record import STATES, FindingRecord
from tasseograph.runner.alerts import (
    AlertRules,
    finding_labels,
    fingerprint,
    label_name,
    sync_finding,
    wants_page,
)
from tasseograph.runner.state import State

RULES = AlertRules(warning_min_checks=3, static_labels={"cluster": "eu-1", "host": "never-this"})
T0 = 1_796_600_000.0


def record(severity: str = "critical", state: str = "active") -> FindingRecord:
    key = FindingKey.make("db-17", "storage", "nvme.timeout", device={"nvme": "nvme0"})
    return FindingRecord(key, "signal", "NVMe command timeout", severity, severity, state, T0, T0, T0)  # type: ignore[arg-type]


def test_labels_carry_the_finding_and_its_device_and_core_labels_cannot_be_overwritten() -> None:
    r = record()
    r.key = FindingKey("db-17", "storage", "nvme.timeout", "",
                       (("4x", "odd"), ("nvme", "nvme0"), ("pci", "0000:c1:00.0"), ("severity", "bad")))
    r.labels = {"rack": "r12", "finding_id": "spoof"}
    labels = finding_labels(r, RULES)
    assert labels == {"alertname": "DmesgHardwareIssue", "finding_id": r.id, "host": "db-17", "category": "storage",
                      "severity": "critical", "nvme": "nvme0", "pci": "0000:c1:00.0", "_4x": "odd", "rack": "r12",
                      "cluster": "eu-1"}
    assert label_name("scsi-host") == "scsi_host"


@pytest.mark.parametrize("state", STATES)
def test_only_active_and_regressed_findings_page(state: str) -> None:
    r = record(state=state)
    pages = wants_page(r, suppressed=False, firing=False, recent_checks=0, rules=RULES)
    assert pages is (state in ("active", "regressed"))
    assert not wants_page(r, suppressed=True, firing=True, recent_checks=9, rules=RULES)


def test_a_warning_pages_when_sustained_and_stays_while_firing() -> None:
    r = record("warning")
    assert [wants_page(r, suppressed=False, firing=False, recent_checks=n, rules=RULES) for n in (1, 2, 3)] == [
        False, False, True]
    assert wants_page(r, suppressed=False, firing=True, recent_checks=0, rules=RULES)


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    state = State(tmp_path / "state.db")
    return state.reader


def outbox(conn: sqlite3.Connection) -> list[tuple[str, str, float | None]]:
    return [(json.loads(labels)["severity"], state, ends) for labels, state, ends in conn.execute(
        "SELECT a.labels, o.state, o.ends_at FROM alert_outbox o JOIN alerts a ON a.fingerprint = o.fingerprint"
        " ORDER BY o.id")]


def test_a_rising_severity_ends_the_lower_alert_and_a_lower_one_keeps_the_higher(conn: sqlite3.Connection) -> None:
    r = record("warning")
    fp = sync_finding(conn, r, None, page=True, now=T0, rules=RULES)
    r.severity = "critical"
    fp2 = sync_finding(conn, r, fp, page=True, now=T0 + 60, rules=RULES)
    assert fp2 != fp and fp2 == fingerprint(finding_labels(r, RULES))
    r.severity = "warning"
    assert sync_finding(conn, r, fp2, page=True, now=T0 + 120, rules=RULES) == fp2  # no flapping label
    assert outbox(conn) == [("warning", "firing", None), ("warning", "resolved", T0 + 60),
                            ("critical", "firing", None)]
    r.state = "acknowledged"
    assert sync_finding(conn, r, fp2, page=False, now=T0 + 180, rules=RULES, why="acknowledged by alice") == fp2
    assert outbox(conn)[-1] == ("critical", "resolved", T0 + 180)
    (notes,) = conn.execute("SELECT annotations FROM alerts WHERE fingerprint=?", (fp2,)).fetchone()
    assert json.loads(notes)["ended"] == "acknowledged by alice"
    assert sync_finding(conn, r, fp2, page=False, now=T0 + 240, rules=RULES) == fp2
    assert len(outbox(conn)) == 4  # an ended alert is not ended twice
