"""The alert state and its outbox (``alerts``, ``alert_outbox``): what fires, and what is still to post.

Every transition (a new firing episode, a resolution) is written to the outbox in the
transaction that causes it; the sender claims outbox rows (:func:`claim_outbox`), posts them
and deletes what was accepted (:func:`mark_posted`). With several runners on one store a claim
is a lease: rows another runner holds are passed over (``FOR UPDATE SKIP LOCKED``), and a
fingerprint whose earlier row another runner holds is not taken at all, so one alert's
transitions reach Alertmanager in order, each posted by one runner. A runner killed between
the post and the delete leaves its rows to be posted again when the claim runs out: the same
labels and ``startsAt``, which Alertmanager merges into the alert it has.

Reads and writes of one fingerprint's row take a lock on it (PostgreSQL), so two runners
judging the same fault cannot both start an episode.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tasseograph.runner import metrics
from tasseograph.store.records import labels_key
from tasseograph.store.tx import Tx

EPISODE_GAP = 0.001
"""Seconds between an episode's start and end and the next start (times are sent to the ms)."""
OUTBOX_LOCK = "alert_outbox"


def firing_labels(tx: Tx, fp: str | None) -> dict[str, str] | None:
    """The labels of the alert ``fp`` when it is firing, else None."""
    if fp is None:
        return None
    row = tx.execute("SELECT labels FROM alerts WHERE fingerprint = ? AND state = 'firing'", (fp,)).fetchone()
    return json.loads(row[0]) if row else None


def is_firing(tx: Tx, fp: str) -> bool:
    """True when the alert ``fp`` fires (read under its lock: the caller is about to change it)."""
    tx.lock(f"alert:{fp}")
    return firing_labels(tx, fp) is not None


def firing(tx: Tx) -> list[tuple[str, dict[str, str], float]]:
    """Every firing alert: fingerprint, labels, start."""
    rows = tx.execute("SELECT fingerprint, labels, starts_at FROM alerts WHERE state = 'firing'").fetchall()
    return [(fp, json.loads(text), float(starts_at)) for fp, text, starts_at in rows]


def fire(tx: Tx, fp: str, labels: dict[str, str], annotations: dict[str, str], now: float) -> None:
    """Fire (or keep firing) an alert; a new episode, queued for posting, when it was not firing."""
    tx.lock(f"alert:{fp}")
    row = tx.execute("SELECT state, ends_at FROM alerts WHERE fingerprint = ?", (fp,)).fetchone()
    if row is not None and row[0] == "firing":
        tx.execute("UPDATE alerts SET last_seen = ?, clean_checks = 0, annotations = ? WHERE fingerprint = ?",
                   (now, json.dumps(annotations), fp))
        return
    # Each episode needs its own startsAt, or Alertmanager would take it for the resolved one.
    starts = max(now, row[1] + EPISODE_GAP) if row is not None and row[1] is not None else now
    tx.execute(
        "INSERT INTO alerts (fingerprint, labels, annotations, state, starts_at, ends_at, last_seen,"
        " clean_checks, last_post, episode) VALUES (?,?,?,'firing',?,NULL,?,0,0,1)"
        " ON CONFLICT (fingerprint) DO UPDATE SET state = 'firing', starts_at = excluded.starts_at,"
        " ends_at = NULL, last_seen = excluded.last_seen, clean_checks = 0, annotations = excluded.annotations,"
        " episode = alerts.episode + 1",
        (fp, labels_key(labels), json.dumps(annotations), starts, now))
    tx.execute("INSERT INTO alert_outbox (fingerprint, state, starts_at, ends_at) VALUES (?, 'firing', ?, NULL)",
               (fp, starts))
    tx.bump(metrics.ALERTS, {"alertname": labels["alertname"], "severity": labels.get("severity", "")})


def resolve(tx: Tx, fp: str, now: float, *, ended: str = "") -> None:
    """Mark a firing alert resolved and queue the resolution (``endsAt`` = now).

    ``ended`` (why it ended: "acknowledged by alice: ...") goes into its annotations.
    """
    tx.lock(f"alert:{fp}")
    row = tx.execute("SELECT starts_at, annotations FROM alerts WHERE fingerprint = ? AND state = 'firing'",
                     (fp,)).fetchone()
    if row is None:
        return
    ends = max(now, row[0] + EPISODE_GAP)
    notes = {**json.loads(row[1]), "ended": ended} if ended else json.loads(row[1])
    tx.execute("UPDATE alerts SET state = 'resolved', ends_at = ?, annotations = ? WHERE fingerprint = ?",
               (ends, json.dumps(notes), fp))
    tx.execute("INSERT INTO alert_outbox (fingerprint, state, starts_at, ends_at) VALUES (?, 'resolved', ?, ?)",
               (fp, row[0], ends))


def summary(tx: Tx, fp: str | None) -> dict[str, Any] | None:
    """The alert's state, episodes and times (for listings), or None."""
    if fp is None:
        return None
    row = tx.execute("SELECT state, episode, starts_at, ends_at FROM alerts WHERE fingerprint = ?", (fp,)).fetchone()
    if row is None:
        return None
    return {"state": row[0], "episodes": row[1], "starts_at": row[2], "ends_at": row[3]}


# --- posting --------------------------------------------------------------------------------

Outboxed = tuple[int, str, str, str, str, float, float | None]
"""An outbox row to post: id, fingerprint, labels JSON, annotations JSON, state, starts, ends."""


def claim_outbox(tx: Tx, owner: str, *, limit: int, lease: float) -> list[Outboxed]:
    """Claim up to ``limit`` outbox rows in order for ``owner`` (see the module docstring)."""
    d = tx.dialect
    tx.lock(OUTBOX_LOCK)
    free = f"(claimed_by IS NULL OR claimed_by = ? OR claimed_until <= {d.now} OR ? = 1)"
    rows = tx.execute(
        f"UPDATE alert_outbox SET claimed_by = ?, claimed_until = {d.now} + ? WHERE id IN ("
        f"SELECT o.id FROM alert_outbox o WHERE {free.replace('claimed', 'o.claimed')}"
        " AND NOT EXISTS (SELECT 1 FROM alert_outbox p WHERE p.fingerprint = o.fingerprint AND p.id < o.id"
        f" AND NOT {free.replace('claimed', 'p.claimed')})"
        f" ORDER BY o.id LIMIT ?{d.skip_locked}) RETURNING id",
        (owner, lease, owner, int(d.single_runner), owner, int(d.single_runner), limit)).fetchall()
    ids = sorted(int(r[0]) for r in rows)
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    found = tx.execute(
        "SELECT o.id, o.fingerprint, a.labels, a.annotations, o.state, o.starts_at, o.ends_at FROM alert_outbox o"
        f" JOIN alerts a ON a.fingerprint = o.fingerprint WHERE o.id IN ({marks}) ORDER BY o.id", ids).fetchall()
    return [(int(r[0]), r[1], r[2], r[3], r[4], float(r[5]), r[6]) for r in found]


def queued_fingerprints(tx: Tx) -> set[str]:
    """Fingerprints with a transition still in the outbox (whoever holds it)."""
    return {r[0] for r in tx.execute("SELECT DISTINCT fingerprint FROM alert_outbox")}


def claim_reposts(tx: Tx, now: float, repost: float, *, limit: int) -> list[tuple[str, str, str, float, float]]:
    """Firing alerts not posted for ``repost`` seconds (and with nothing in the outbox), marked posted
    now so no other runner re-posts them too: fingerprint, labels, annotations, start, the post time
    they had (for :func:`unclaim_reposts`)."""
    rows = tx.execute(
        "SELECT fingerprint, labels, annotations, starts_at, last_post FROM alerts WHERE state = 'firing'"
        " AND last_post <= ? AND fingerprint NOT IN (SELECT fingerprint FROM alert_outbox)"
        f" ORDER BY starts_at LIMIT ?{tx.dialect.skip_locked}", (now - repost, limit)).fetchall()
    tx.executemany("UPDATE alerts SET last_post = ? WHERE fingerprint = ?", [(now, r[0]) for r in rows])
    return [(r[0], r[1], r[2], float(r[3]), float(r[4])) for r in rows]


def mark_posted(tx: Tx, posted: Iterable[tuple[int | None, str]], now: float) -> None:
    """Drop posted outbox rows and note the post time of their alerts."""
    for oid, fp in posted:
        if oid is not None:
            tx.execute("DELETE FROM alert_outbox WHERE id = ?", (oid,))
        tx.execute("UPDATE alerts SET last_post = ? WHERE fingerprint = ?", (now, fp))


def unclaim(tx: Tx, owner: str, reposts: Iterable[tuple[str, float]] = ()) -> None:
    """A post failed: hand the owner's outbox rows back, and restore re-posts' earlier post times."""
    tx.execute("UPDATE alert_outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?", (owner,))
    tx.executemany("UPDATE alerts SET last_post = ? WHERE fingerprint = ?", [(t, fp) for fp, t in reposts])
