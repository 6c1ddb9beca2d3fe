"""The shared small tables: spend and spend holds, the meta key-value table, and the scrape snapshot.

Spend is added in the verdict's transaction (``queue.store_verdict``: ``usd = usd + x``, atomic
on both engines). Before a paid call a runner takes a *hold* for the call's pessimistic
estimate (:func:`reserve`): the check of both caps against the spend plus every live hold, and
the new hold, are one transaction under one lock, so runners sharing a store cannot together
pass a cap. A hold is dropped when its runner's calls are done (:func:`release_holds`) and runs
out on its own (``until``) when the runner dies.

The meta table holds JSON values that several runners change (the circuit breaker, the budget
state): :func:`update_meta` reads and writes one under a lock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tasseograph.store.records import Snapshot, day_key
from tasseograph.store.tx import Tx

SPEND_LOCK = "spend"


def spent(tx: Tx, now: float) -> tuple[float, float]:
    """USD spent in the UTC day and UTC month of ``now``."""
    day = day_key(now)
    (d,) = tx.execute("SELECT COALESCE(SUM(usd), 0) FROM spend WHERE day = ?", (day,)).fetchone()
    (m,) = tx.execute("SELECT COALESCE(SUM(usd), 0) FROM spend WHERE day LIKE ?", (day[:7] + "-%",)).fetchone()
    return float(d), float(m)


def held(tx: Tx) -> float:
    """USD held by live spend holds (every runner's)."""
    (usd,) = tx.execute(f"SELECT COALESCE(SUM(usd), 0) FROM spend_holds WHERE until > {tx.dialect.now}").fetchone()
    return float(usd)


def reserve(tx: Tx, owner: str, usd: float, now: float, allows: Callable[[float, float], bool],
            lease: float) -> bool:
    """Hold ``usd`` for ``owner`` when ``allows(day, month)`` (spend plus live holds) says the caps
    leave room for it; False (nothing held) when they do not."""
    tx.lock(SPEND_LOCK)
    day, month = spent(tx, now)
    holds = held(tx)
    if not allows(day + holds, month + holds):
        return False
    if usd > 0:
        tx.execute(f"INSERT INTO spend_holds (owner, usd, until) VALUES (?, ?, {tx.dialect.now} + ?)",
                   (owner, usd, lease))
    return True


def release_holds(tx: Tx, owner: str) -> None:
    """Drop the owner's holds (its calls' real cost is in ``spend`` now), and any that ran out."""
    tx.execute(f"DELETE FROM spend_holds WHERE owner = ? OR until <= {tx.dialect.now}", (owner,))


def get_meta(tx: Tx, key: str) -> Any:
    """A JSON value from the meta table, or None."""
    row = tx.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def set_meta(tx: Tx, key: str, value: Any) -> None:
    """Store a JSON value in the meta table."""
    tx.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               (key, json.dumps(value)))


def update_meta(tx: Tx, key: str, change: Callable[[Any], Any]) -> Any:
    """Replace a meta value by ``change(old)`` under a lock on the key; returns the new value."""
    tx.lock(f"meta:{key}")
    value = change(get_meta(tx, key))
    set_meta(tx, key, value)
    return value


def snapshot(tx: Tx, now: float, *, refused_prefix: str) -> Snapshot:
    """Everything a scrape reports, read in one go (counters, hosts, queue, spend, meta, sizes)."""
    snap = Snapshot()
    snap.counters = [(name, json.loads(labels), float(value))
                     for name, labels, value in tx.execute("SELECT name, labels, value FROM counters")]
    snap.last_checks = {h: float(ts) for h, ts in
                        tx.execute("SELECT host, last_check FROM hosts WHERE last_check IS NOT NULL")}
    depth, oldest = tx.execute("SELECT COUNT(*), MIN(created) FROM deltas").fetchone()
    snap.queue_depth, snap.queue_oldest = int(depth), oldest
    snap.spent_day, snap.spent_month = spent(tx, now)
    snap.meta = {k: json.loads(v) for k, v in tx.execute("SELECT key, value FROM meta")}
    snap.baseline_sizes = [(h, bool(p), int(n)) for h, p, n in tx.execute(
        "SELECT host, poisoned, COUNT(*) FROM baseline_templates GROUP BY host, poisoned")]
    snap.findings = [(s, sev, int(n)) for s, sev, n in tx.execute(
        "SELECT state, severity, COUNT(*) FROM findings GROUP BY state, severity")]
    (refused,) = tx.execute("SELECT COUNT(*) FROM cursors WHERE source = 'spool' AND key LIKE ?"
                            " AND value NOT LIKE 'ignored%'", (refused_prefix + "%",)).fetchone()
    snap.refused = int(refused)
    (firing,) = tx.execute("SELECT COUNT(*) FROM alerts WHERE state = 'firing'").fetchone()
    snap.alerts_firing = int(firing)
    return snap
