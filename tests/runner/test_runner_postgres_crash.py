"""Three runners on one PostgreSQL, ``kill -9`` of one of them at random points, restarted each time.

500 spool files (one delta each) from 50 hosts, a third of them with binary junk, in two waves.
Three ``run --once`` processes share the store at a time; one of them is killed once the state
shows a randomly drawn amount of progress (the method of ``test_runner_crash.py``) and a new one
takes its place. Afterwards: every delta has exactly one verdict, equal to a clean single-runner
run's on SQLite (0 lost, 0 duplicates), no critical line is lost, and every alert transition the
store started was posted (0 duplicate episodes; the counter counts each episode once).
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.runner.conftest import FakeAlertmanager, write_spool
from tests.runner.test_runner_crash import TASSEOGRAPH, critical_lines, run, spool_plan, stored, write_config
from tests.runner.test_runner_postgres import pg_config

HOSTS = 50
FILES_PER_HOST = 10
WAVES = 2
RUNNERS = 3
KILLS_PER_WAVE = 4
LEASE = 3.0
"""Seconds a killed runner's claims last before the others take its work."""
SEED = 20261207


def pg_progress(url: str) -> tuple[int, int]:
    """(deltas ever enqueued, deltas with a verdict), as committed."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            (queued,) = conn.execute("SELECT COUNT(*) FROM deltas").fetchone()
            (done,) = conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()
    except psycopg.Error:  # not migrated yet
        return 0, 0
    return int(queued) + int(done), int(done)


def pg_rows(url: str, sql: str) -> list[Any]:
    import psycopg

    with psycopg.connect(url) as conn:
        return list(conn.execute(sql).fetchall())


def sqlite_rows(db: Path, sql: str) -> list[Any]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def track_totals(rows: list[Any]) -> dict[str, int]:
    """Observations counted per fleet track (a signal on one device of one host)."""
    from tasseograph.fleet.counters import Track

    totals = {key: Track.from_dict(json.loads(data)).history.total for key, data in rows}
    assert totals and sum(totals.values()) > 0
    return totals


def start(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*TASSEOGRAPH, "run", "--once", "--config", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wave_with_kills(config: Path, url: str, total: int, rng: random.Random) -> int:
    """Three runners over the queue; kills a live one at a point drawn over the work left and starts
    another in its place, until ``KILLS_PER_WAVE`` kills hit or no runner or work is left; waits
    for the rest. Returns the kills that hit a live runner."""
    procs = [start(config) for _ in range(RUNNERS)]
    kills = 0
    for _ in range(3 * KILLS_PER_WAVE):
        enqueued, done = pg_progress(url)
        left = (total - enqueued) + (total - done)
        live = [i for i, p in enumerate(procs) if p.poll() is None]
        if kills == KILLS_PER_WAVE or left <= 0 or not live:
            break
        target = rng.randint(1, max(1, left // 3))
        victim = rng.choice(live)
        deadline = time.monotonic() + 120
        while procs[victim].poll() is None and time.monotonic() < deadline:
            now_enqueued, now_done = pg_progress(url)
            if (now_enqueued - enqueued) + (now_done - done) >= target:
                procs[victim].send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        code = procs[victim].wait(timeout=120)
        if code == -signal.SIGKILL:
            kills += 1
            procs[victim] = start(config)
        elif code != 0:
            raise AssertionError(procs[victim].stderr.read().decode() if procs[victim].stderr else code)
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()
    return kills


@pytest.mark.slow
def test_three_runners_killed_at_random_lose_nothing_and_store_and_alert_once(tmp_path: Path, pg_url: str) -> None:
    plan = spool_plan(random.Random(SEED), hosts=HOSTS, files_per_host=FILES_PER_HOST, waves=WAVES)
    clean, fleet = tmp_path / "clean", tmp_path / "fleet"
    am_clean, am = FakeAlertmanager(), FakeAlertmanager()
    try:
        config = write_config(clean, am_clean.url)
        for wave in plan:
            for host, name, data in wave:
                write_spool(clean / "spool", host, name, data)
            run(config)
        expected = stored(clean)
        assert len(expected) == HOSTS * FILES_PER_HOST

        # Small claims and a short lease: the runners interleave on every host, and a killed one's work
        # comes back within seconds.
        config = pg_config(fleet, pg_url, am.url, lease=LEASE, claim_batch=10)
        rng = random.Random(SEED + 1)
        kills = written = 0
        for wave in plan:
            for host, name, data in wave:
                write_spool(fleet / "spool", host, name, data)
            written += len(wave)
            kills += wave_with_kills(config, pg_url, written, rng)
        for _ in range(5):  # what the last kills left: claims run out, then one runner takes the rest
            time.sleep(LEASE + 0.5)
            run(config)
            if not pg_rows(pg_url, "SELECT 1 FROM deltas LIMIT 1") and not list((fleet / "spool").rglob("*.log")):
                break

        rows = pg_rows(pg_url, "SELECT ref, verdict FROM verdicts")
        refs = Counter(ref for ref, _ in rows)
        assert not [ref for ref, n in refs.items() if n > 1], "a delta got two verdicts"
        got = {}
        for ref, text in rows:
            v = json.loads(text)
            got[ref] = (v["status"], sorted((f["severity"], f["category"], f["summary"], f["evidence"], f["source"])
                                           for f in v["findings"]))
        assert got == expected  # 0 lost, 0 changed
        assert pg_rows(pg_url, "SELECT COUNT(*) FROM deltas") == [(0,)]
        assert not list((fleet / "spool").rglob("*.log"))

        # The fleet signals (one state, kept in each runner's memory): every delta counted once,
        # and every line counted, whichever runner judged it (none worked from a stale copy).
        verdicts_per_host = Counter(ref.split("/", 1)[0] for ref, _ in rows)
        assert dict(pg_rows(pg_url, "SELECT host, deltas FROM fleet_hosts")) == dict(verdicts_per_host)
        assert track_totals(pg_rows(pg_url, "SELECT key, data FROM fleet_tracks")) == track_totals(
            sqlite_rows(clean / "state.db", "SELECT key, data FROM fleet_tracks"))
        assert kills >= WAVES * KILLS_PER_WAVE - 2  # the kills really hit running processes

        critical = Counter()
        for ref, text in rows:
            for f in json.loads(text)["findings"]:
                if f["severity"] == "critical" and f["signal_id"] == "edac.ue":
                    host, _, rest = ref.partition("/")
                    critical[(host, rest.split(":", 1)[0])] += f["count"]
        assert dict(critical) == critical_lines(plan)  # junk and kills hid no critical line

        # Alerts: every episode the store started was posted, and started (counted) once.
        episodes = am.episodes()
        (started,) = pg_rows(pg_url, "SELECT COALESCE(SUM(value), 0) FROM counters"
                                     " WHERE name = 'dmesg_llm_alerts_total'")[0]
        (in_store,) = pg_rows(pg_url, "SELECT COALESCE(SUM(episode), 0) FROM alerts")[0]
        assert started == in_store == sum(len(v) for v in episodes.values())
        assert pg_rows(pg_url, "SELECT COUNT(*) FROM alert_outbox") == [(0,)]
        hosts = {host for host, _ in critical}
        alerted = {a["labels"]["host"] for a in am.alerts() if a["labels"].get("severity") == "critical"}
        assert hosts and hosts <= alerted
        # A transition is posted twice only when a runner died between Alertmanager's 200 and the
        # delete of its outbox row (at-least-once delivery; Alertmanager merges the repeat).
        posts = Counter((json.dumps(a["labels"], sort_keys=True), a["startsAt"], a.get("endsAt", ""))
                        for a in am.alerts())
        assert sum(n - 1 for n in posts.values()) <= kills
    finally:
        am_clean.close()
        am.close()
