"""``kill -9`` of a real process in the middle of findings' transitions: afterwards every finding is
in the state its last audit event says, the transition counters match the audit trail, and every
alert's current state has its one outbox entry: the old state or the new one, never half."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.runner.conftest import CRITICAL_LINE, make_config, make_runner, write_spool

HOSTS = 12
KILLS = 6
SEED = 20261207
CHURN = """
import itertools, sys, time
from functools import partial
from tasseograph.findings import lifecycle
from tasseograph.runner.alerts import AlertRules
from tasseograph.runner.findingstore import FindingStore
from tasseograph.runner.state import State
from tasseograph.runner.tracking import FindingTracker

state = State(sys.argv[1])
tracker = FindingTracker(AlertRules())
ids = sorted(r.id for r in FindingStore(state.conn).query(states=lifecycle.MOVES["reopen"] | {"active"}))
for i in itertools.count():
    now = time.time()
    with state.transaction() as conn:
        record = FindingStore(conn).get(ids[i % len(ids)])
        if record.state == "active":
            move = partial(lifecycle.acknowledge, by="churn", note=f"move {i}", now=now)
        elif record.state == "acknowledged" and i % 3:
            move = partial(lifecycle.snooze, until=now + 0.05, by="churn", now=now)
        elif record.state == "snoozed" and i % 2:
            move = partial(lifecycle.dismiss, reason="will_fix_later", by="churn", now=now, remind_at=now + 0.05)
        else:
            move = partial(lifecycle.reopen, by="churn", now=now)
        tracker.move(conn, record.id, move, now)
    if i % 7 == 0:
        with state.transaction() as conn:
            tracker.sweep(conn, time.time())
"""


def events(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM finding_events").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return -1


def check_consistent(db: Path) -> int:
    """Assert the invariants; returns the events in the audit trail."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        states = dict(conn.execute("SELECT id, state FROM findings").fetchall())
        last = dict(conn.execute(
            "SELECT finding_id, to_state FROM finding_events e WHERE id = (SELECT MAX(id) FROM finding_events"
            " WHERE finding_id = e.finding_id)").fetchall())
        assert states == last, "a finding's state differs from its last audit event"
        (total,) = conn.execute("SELECT COUNT(*) FROM finding_events").fetchone()
        (counted,) = conn.execute(
            "SELECT SUM(value) FROM counters WHERE name='dmesg_llm_finding_transitions_total'").fetchone()
        assert counted == total, "the transition counters and the audit trail disagree"
        for fp, alert_state, starts, ends in conn.execute("SELECT fingerprint, state, starts_at, ends_at FROM alerts"):
            entries = conn.execute("SELECT ends_at FROM alert_outbox WHERE fingerprint=? AND starts_at=? AND state=?",
                                   (fp, starts, alert_state)).fetchall()
            assert entries == [(ends,)], f"alert {fp} is {alert_state} without its one outbox entry"
        (fired,) = conn.execute("SELECT COUNT(*) FROM alert_outbox WHERE state='firing'").fetchone()
        (started,) = conn.execute("SELECT SUM(value) FROM counters WHERE name='dmesg_llm_alerts_total'").fetchone()
        assert fired == started
        quiet = conn.execute(
            "SELECT COUNT(*) FROM findings f JOIN alerts a ON a.fingerprint = f.alert_fp WHERE a.state = 'firing'"
            " AND f.state IN ('acknowledged', 'snoozed', 'dismissed')").fetchone()[0]
        assert quiet == 0, "a quieted finding still has a firing alert"
        return int(total)
    finally:
        conn.close()


def test_kill_9_during_transitions_leaves_old_or_new_state(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    runner = make_runner(config)
    for h in range(HOSTS):
        write_spool(tmp_path / "spool", f"db-{h:02d}", "1.log", f"[ {9000 + h}.5] {CRITICAL_LINE}\n")
    asyncio.run(runner.cycle())
    runner.state.close()
    db = config.state
    before = check_consistent(db)
    assert before == HOSTS

    rng = random.Random(SEED)
    killed = 0
    for _ in range(KILLS):
        start = events(db)
        target = start + rng.randint(5, 200)
        proc = subprocess.Popen([sys.executable, "-c", CHURN, str(db)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline and events(db) < target:
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL, proc.stderr.read().decode() if proc.stderr else ""
        killed += 1
        after = check_consistent(db)
        assert after > start  # the churn really moved findings before it died
    assert killed == KILLS
