"""The queue's tables: cursors, queued deltas and their origins, source leases, verdicts and sightings.

Every function works on a :class:`~tasseograph.store.tx.Tx` inside the caller's transaction;
``Store`` (``base.py``) decides where transactions start and end. The two transactions that
make ``kill -9`` harmless:

* ingest: new lines are queued and the source cursor advances in one transaction, so lines are
  neither lost nor queued twice; with several runners it also checks that this runner still
  holds the lease on every host it read (``source_leases``) and hands the leases back;
* finish: the delta leaves the queue, its verdict, sightings, counters, host status and spend
  are stored, and whatever the caller adds (findings, alerts, baseline learning) happens, in
  one transaction, and only while the caller holds the delta's lease (``lease_owner``), so a
  verdict is never stored twice even when a lease ran out and another runner took the delta.

Claims pick due rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (rows another runner is
claiming are passed over, not waited for) and mark them leased until the database's clock
passes ``lease_until``; a runner that dies holds nothing past that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tasseograph.baseline import BASELINE_SKIP_REASON
from tasseograph.errors import LeaseLostError
from tasseograph.runner import metrics
from tasseograph.schema import Verdict
from tasseograph.store.records import Chunk, CursorUpdate, Event, QueuedDelta, day_key
from tasseograph.store.tx import Tx

QUARANTINE_EVENTS = ("quarantined", "quarantine_failed")
"""Source events of chunks that held binary junk (also counted in ``metrics.SPOOL_QUARANTINED``)."""
_QUEUED = "id, host, source, ref, data, created, attempts, interim, lease_owner, received, boot_id"


def queued(row: Sequence[Any]) -> QueuedDelta:
    """A ``deltas`` row (``_QUEUED`` columns) as a :class:`QueuedDelta`."""
    return QueuedDelta(int(row[0]), row[1], row[2], row[3], bytes(row[4]), float(row[5]), int(row[6]), bool(row[7]),
                       row[8], None if row[9] is None else float(row[9]), row[10])


# --- cursors and ingest ------------------------------------------------------------------


def cursors(tx: Tx, source: str) -> dict[str, str]:
    """All cursors of a source, key to value."""
    return {k: v for k, v in tx.execute("SELECT key, value FROM cursors WHERE source = ?", (source,))}


def pending_origins(tx: Tx, source: str) -> set[str]:
    """Origins (source files) of a source with lines in a delta still waiting for its verdict."""
    return {r[0] for r in tx.execute("SELECT DISTINCT origin FROM delta_origins WHERE source = ?", (source,))}


def claim_sources(tx: Tx, source: str, keys: Iterable[str], owner: str, lease: float) -> set[str]:
    """Lease each key (a host) of ``source`` to ``owner`` unless another runner's lease on it is live;
    returns the keys granted."""
    granted = set()
    steal = 1 if tx.dialect.single_runner else 0
    for key in keys:
        row = tx.execute(
            f"INSERT INTO source_leases (source, key, owner, until) VALUES (?, ?, ?, {tx.dialect.now} + ?)"
            " ON CONFLICT (source, key) DO UPDATE SET owner = excluded.owner, until = excluded.until"
            f" WHERE source_leases.until <= {tx.dialect.now} OR source_leases.owner = excluded.owner OR ? = 1"
            " RETURNING key", (source, key, owner, lease, steal)).fetchone()
        if row is not None:
            granted.add(key)
    return granted


def check_and_release_sources(tx: Tx, source: str, keys: Iterable[str], owner: str) -> None:
    """Inside an ingest: every key must still be leased to ``owner``; the leases end with it.

    Raises:
        LeaseLostError: a lease ran out and another runner may have read the same lines.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return
    marks = ", ".join("?" for _ in wanted)
    held = {r[0] for r in tx.execute(
        f"SELECT key FROM source_leases WHERE source = ? AND owner = ? AND key IN ({marks})"
        f" AND (until > {tx.dialect.now} OR ? = 1){tx.dialect.for_update}",
        (source, owner, *wanted, 1 if tx.dialect.single_runner else 0))}
    lost = [k for k in wanted if k not in held]
    if lost:
        raise LeaseLostError(f"{source}: this runner's lease on {', '.join(lost[:3])}"
                             f"{' ...' if len(lost) > 3 else ''} ran out before its lines were queued; "
                             "another runner reads them (nothing was stored)")
    tx.execute(f"DELETE FROM source_leases WHERE source = ? AND owner = ? AND key IN ({marks})",
               (source, owner, *wanted))


def ingest(tx: Tx, chunks: Sequence[Chunk], updates: Sequence[CursorUpdate], events: Sequence[Event], *,
           now: float, merge_limit: int = 0) -> None:
    """Queue chunks, move cursors and record source events (inside the caller's transaction).

    ``merge_limit`` > 0 merges a chunk into its host's delta that waits for a later due time,
    when the joined data stays within it (adaptive polling: one call instead of many).
    """
    for chunk in chunks:
        delta_id = _merge(tx, chunk, now, merge_limit) if merge_limit > 0 else None
        if delta_id is None:
            delta_id = int(tx.execute(
                "INSERT INTO deltas (host, source, ref, data, created, due, received, boot_id) VALUES (?,?,?,?,?,?,?,?)"
                " RETURNING id",
                (chunk.host, chunk.source, chunk.ref, chunk.data, now, chunk.due, chunk.received,
                 chunk.boot_id)).fetchone()[0])
        if chunk.origin:
            tx.execute("INSERT INTO delta_origins (delta_id, source, origin) VALUES (?,?,?) ON CONFLICT DO NOTHING",
                       (delta_id, chunk.source, chunk.origin))
    for cur in updates:
        if cur.value is None:
            tx.execute("DELETE FROM cursors WHERE source = ? AND key = ?", (cur.source, cur.key))
        else:
            tx.execute("INSERT INTO cursors (source, key, value, updated) VALUES (?,?,?,?) ON CONFLICT (source, key)"
                       " DO UPDATE SET value = excluded.value, updated = excluded.updated",
                       (cur.source, cur.key, cur.value, now))
    for ev in events:
        tx.execute("INSERT INTO events (ts, host, source, kind, detail) VALUES (?,?,?,?,?)",
                   (now, ev.host, ev.source, ev.kind, ev.detail))
        tx.bump(metrics.SOURCE_EVENTS, {"host": ev.host, "kind": ev.kind})
        if ev.kind in QUARANTINE_EVENTS:
            tx.bump(metrics.SPOOL_QUARANTINED, {})


def _merge(tx: Tx, chunk: Chunk, now: float, limit: int) -> int | None:
    # Only a delta nobody has claimed: a claimed one may be judged while the lines are added.
    # Lines of another boot never join: the fleet clocks date a delta's lines by one boot.
    row = tx.execute(
        "SELECT id, data, received FROM deltas WHERE host = ? AND source = ? AND attempts = 0 AND interim = 0"
        " AND due > ? AND lease_owner IS NULL AND length(data) + ? <= ? AND COALESCE(boot_id, '') = ?"
        f" ORDER BY id DESC LIMIT 1{tx.dialect.for_update}",
        (chunk.host, chunk.source, now, len(chunk.data), limit, chunk.boot_id or "")).fetchone()
    if row is None:
        return None
    # Joined here: SQLite's || would turn the bytes into text. The lines arrived by the later chunk's time.
    received = max((float(t) for t in (row[2], chunk.received) if t is not None), default=None)
    tx.execute("UPDATE deltas SET data = ?, ref = ref || ' ' || ?, due = CASE WHEN due < ? THEN due ELSE ? END,"
               " received = ? WHERE id = ?",
               (bytes(row[1]) + chunk.data, chunk.ref, chunk.due, chunk.due, received, row[0]))
    return int(row[0])


# --- the queue -------------------------------------------------------------------------------


def due(tx: Tx, now: float, limit: int) -> list[QueuedDelta]:
    """Deltas due for analysis and not backing off, oldest first (a listing: nothing is claimed)."""
    rows = tx.execute(f"SELECT {_QUEUED} FROM deltas WHERE due <= ? AND next_try <= ? ORDER BY id LIMIT ?",
                      (now, now, limit))
    return [queued(r) for r in rows]


def claim(tx: Tx, owner: str, now: float, *, limit: int, lease: float) -> list[QueuedDelta]:
    """Lease up to ``limit`` due deltas to ``owner``, oldest first: those nobody holds, those whose
    lease ran out, and the owner's own."""
    d = tx.dialect
    rows = tx.execute(
        f"UPDATE deltas SET lease_owner = ?, lease_until = {d.now} + ? WHERE id IN ("
        "SELECT id FROM deltas WHERE due <= ? AND next_try <= ?"
        f" AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= {d.now} OR ? = 1)"
        f" ORDER BY id LIMIT ?{d.skip_locked}) RETURNING {_QUEUED}",
        (owner, lease, now, now, owner, 1 if d.single_runner else 0, limit)).fetchall()
    return sorted((queued(r) for r in rows), key=lambda q: q.id)


def renew(tx: Tx, owner: str, ids: Sequence[int], lease: float) -> int:
    """Extend the owner's live leases on ``ids``; returns how many it still held."""
    if not ids:
        return 0
    marks = ", ".join("?" for _ in ids)
    cur = tx.execute(f"UPDATE deltas SET lease_until = {tx.dialect.now} + ? WHERE lease_owner = ? AND id IN ({marks})",
                     (lease, owner, *ids))
    return int(cur.rowcount)


def release(tx: Tx, owner: str) -> int:
    """Hand back every lease the owner holds (deltas left queued); returns how many."""
    cur = tx.execute("UPDATE deltas SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?", (owner,))
    return int(cur.rowcount)


def _held(owner: str | None) -> tuple[str, tuple[Any, ...]]:
    """The condition a write to a queued delta needs: its lease (when the caller claimed it)."""
    return ("", ()) if owner is None else (" AND lease_owner = ?", (owner,))


def retry_later(tx: Tx, delta_ids: Sequence[int], next_try: Callable[[int], float], error: str, *,
                owner: str | None = None) -> None:
    """Keep deltas queued after a failed call (the lease kept until the cycle ends: an interim
    check may follow); ``next_try(attempts)`` gives the new time."""
    clause, args = _held(owner)
    for delta_id in delta_ids:
        row = tx.execute(f"SELECT attempts FROM deltas WHERE id = ?{clause}", (delta_id, *args)).fetchone()
        if row is None:
            continue
        attempts = int(row[0]) + 1
        tx.execute("UPDATE deltas SET attempts = ?, next_try = ?, last_error = ? WHERE id = ?",
                   (attempts, next_try(attempts), error[:500], delta_id))


def mark_interim(tx: Tx, delta_id: int, *, owner: str | None = None) -> bool:
    """Record that a signals-only check ran for a still-queued delta; False when not held."""
    clause, args = _held(owner)
    return tx.execute(f"UPDATE deltas SET interim = 1 WHERE id = ?{clause}", (delta_id, *args)).rowcount > 0


def queue_stats(tx: Tx, now: float) -> tuple[int, float]:
    """Queue depth and the age in seconds of the oldest queued delta."""
    count, oldest = tx.execute("SELECT COUNT(*), MIN(created) FROM deltas").fetchone()
    return int(count), (now - oldest) if oldest is not None else 0.0


# --- verdicts ----------------------------------------------------------------------------------


def dequeue(tx: Tx, delta: QueuedDelta) -> bool:
    """Take a delta off the queue when the caller may (it holds the live lease, or claimed nothing
    on a single-runner store); False when it is gone or another runner holds it."""
    d = tx.dialect
    if delta.owner is None:
        gone = tx.execute("DELETE FROM deltas WHERE id = ?", (delta.id,)).rowcount == 0
    elif d.single_runner:
        gone = tx.execute("DELETE FROM deltas WHERE id = ? AND lease_owner = ?",
                          (delta.id, delta.owner)).rowcount == 0
    else:
        gone = tx.execute(f"DELETE FROM deltas WHERE id = ? AND lease_owner = ? AND lease_until > {d.now}",
                          (delta.id, delta.owner)).rowcount == 0
    if not gone:
        tx.execute("DELETE FROM delta_origins WHERE delta_id = ?", (delta.id,))
    return not gone


def store_verdict(tx: Tx, delta: QueuedDelta, verdict: Verdict, *, now: float, fallback: str | None) -> None:
    """The verdict, its sightings, counters, the host's status and the spend (delta dequeued first)."""
    tx.execute("INSERT INTO verdicts (delta_id, host, ref, checked, status, model, fallback, cost_usd, verdict,"
               " skipped) VALUES (?,?,?,?,?,?,?,?,?,?)",
               (delta.id, delta.host, delta.ref, now, verdict.status, verdict.model, fallback, verdict.cost_usd,
                verdict.model_dump_json(), int(verdict.skipped)))
    tx.executemany(
        "INSERT INTO sightings (delta_id, host, checked, severity, category, summary, evidence, source,"
        " signal_id, count, device) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(delta.id, delta.host, now, f.severity, f.category, f.summary, f.evidence, f.source, f.signal_id, f.count,
          json.dumps(getattr(f, "device", None) or {}, sort_keys=True)) for f in verdict.findings])
    count_verdict(tx, delta.host, verdict, fallback)
    anomaly = now if verdict.status != "ok" else None
    tx.execute("INSERT INTO hosts (host, last_check, last_status, last_anomaly) VALUES (?,?,?,?) ON CONFLICT (host)"
               " DO UPDATE SET last_check = excluded.last_check, last_status = excluded.last_status,"
               " last_anomaly = COALESCE(excluded.last_anomaly, hosts.last_anomaly)",
               (delta.host, now, verdict.status, anomaly))
    if verdict.cost_usd:
        tx.execute("INSERT INTO spend (day, usd, calls) VALUES (?,?,1) ON CONFLICT (day)"
                   " DO UPDATE SET usd = spend.usd + excluded.usd, calls = spend.calls + 1",
                   (day_key(now), verdict.cost_usd))


def count_verdict(tx: Tx, host: str, verdict: Verdict, fallback: str | None) -> None:
    """The persistent counters a stored verdict adds to."""
    for f in verdict.findings:
        tx.bump(metrics.ISSUES, {"host": host, "category": f.category, "severity": f.severity})
    tx.bump(metrics.CHECKS, {"host": host, "status": verdict.status})
    if verdict.skipped:
        tx.bump(metrics.SKIPPED_CALLS, {"reason": verdict.skip_reason or "prefilter"})
        if verdict.skip_reason == BASELINE_SKIP_REASON:
            tx.bump(metrics.BASELINE_SKIPS, {"host": host})
    if fallback is not None:
        tx.bump(metrics.SKIPPED_CALLS, {"reason": fallback})
    if verdict.model_error is not None and verdict.model_error.kind == "bad_reply":
        tx.bump(metrics.REPLY_ERRORS, {})
    u = verdict.usage
    for kind, n in (("input", u.input_tokens), ("output", u.output_tokens),
                    ("cache_read", u.cache_read_tokens), ("cache_write", u.cache_write_tokens)):
        if n:
            tx.bump(metrics.TOKENS, {"kind": kind}, n)
    if verdict.cost_usd:
        tx.bump(metrics.COST_USD, {}, verdict.cost_usd)


def prune(tx: Tx, before: float) -> int:
    """Delete verdicts, their sightings and finding links, source events and learned (not poisoned)
    baseline templates older than ``before``; returns the verdicts deleted."""
    tx.execute("DELETE FROM sightings WHERE checked < ?", (before,))
    tx.execute("DELETE FROM finding_links WHERE at < ?", (before,))
    tx.execute("DELETE FROM events WHERE ts < ?", (before,))
    # Hosts that left the fleet: their baselines would otherwise stay forever.
    tx.execute("DELETE FROM baseline_templates WHERE poisoned = 0 AND last_seen < ?", (before,))
    return int(tx.execute("DELETE FROM verdicts WHERE checked < ?", (before,)).rowcount)


def model_calls(tx: Tx, host: str, since: float) -> int:
    """Verdicts of ``host`` since ``since`` for which a model was called (not skipped, no fallback)."""
    (n,) = tx.execute("SELECT COUNT(*) FROM verdicts WHERE host = ? AND checked >= ? AND fallback IS NULL"
                      " AND skipped = 0", (host, since)).fetchone()
    return int(n)


def hosts(tx: Tx) -> dict[str, tuple[float | None, str | None, float | None]]:
    """Per host: last check time, last status, last anomaly time."""
    rows = tx.execute("SELECT host, last_check, last_status, last_anomaly FROM hosts")
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def verdict_rows(tx: Tx) -> list[tuple[str, str, str]]:
    """``(host, ref, verdict JSON)`` of every stored verdict, in order (tests, exports)."""
    return [(r[0], r[1], r[2]) for r in tx.execute("SELECT host, ref, verdict FROM verdicts ORDER BY delta_id")]
