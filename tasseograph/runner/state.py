"""The runner's durable state: one SQLite file in WAL mode.

What it holds: per-source cursors, the queue of pending deltas, verdict and finding history,
persistent counters (so cron runs add up), spend per day, alert state, source events, and a
small key-value table (circuit breaker and budget state), and an outbox of alert transitions
(every firing and every resolution is posted, even when both happen within one cycle).

The two transactions that make ``kill -9`` harmless:

* ingest: new lines are queued and the source cursor advances in ONE transaction
  (:meth:`State.ingest`), so lines are neither lost nor queued twice;
* finish: verdict, findings, counters, spend, alert intents, what the host's template baseline
  learns from the verdict, and the removal of the delta from the queue happen in ONE transaction
  (:meth:`State.finish`). A crash before it leaves the delta queued (it is analysed again); a
  crash after it leaves nothing to redo.

Schema changes are additive (``CREATE TABLE IF NOT EXISTS``), so opening an older file adds the
new tables and raises ``meta.schema_version`` (version 2 added the per-host baselines, version 3
the origins of queued deltas, which keep a spool file until its lines are judged, version 4 the
findings with a lifecycle: ``findings``, ``finding_links``, ``finding_events``, ``suppressions``;
version 5 the fleet signals' tables of ``fleetstore.py`` and, on each queued delta, when its lines
were received and the boot they belong to). Version 4 also renames the per-verdict finding rows of older files from ``findings`` to
``sightings`` (adding their ``device``), in one transaction. Opening, checking, backing up and
recovering the file itself are in ``statefile.py``; the findings tables are read and written
through ``findingstore.py``.

``synchronous=FULL`` because a spool file is deleted once its lines' verdicts are committed: a
commit lost to a power cut would otherwise lose the lines.
"""

from __future__ import annotations

import copy
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasseograph.baseline import (
    BASELINE_SKIP_REASON,
    BaselineSettings,
    HostBaseline,
    LearnOutcome,
    TemplateStats,
)
from tasseograph.runner import metrics
from tasseograph.runner.fleetstore import FLEET_SCHEMA
from tasseograph.schema import Delta, Verdict
from tasseograph.signals import SignalHit

SCHEMA_VERSION = 5
QUARANTINE_EVENTS = ("quarantined", "quarantine_failed")
"""Source events of chunks that held binary junk (also counted in ``metrics.SPOOL_QUARANTINED``)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (
  source TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated REAL NOT NULL,
  PRIMARY KEY (source, key));
CREATE TABLE IF NOT EXISTS deltas (
  id INTEGER PRIMARY KEY AUTOINCREMENT, host TEXT NOT NULL, source TEXT NOT NULL,
  ref TEXT NOT NULL, data BLOB NOT NULL, created REAL NOT NULL, due REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_try REAL NOT NULL DEFAULT 0, last_error TEXT,
  interim INTEGER NOT NULL DEFAULT 0, received REAL, boot_id TEXT);
CREATE INDEX IF NOT EXISTS deltas_due ON deltas (due, next_try);
CREATE TABLE IF NOT EXISTS verdicts (
  delta_id INTEGER PRIMARY KEY, host TEXT NOT NULL, ref TEXT NOT NULL, checked REAL NOT NULL,
  status TEXT NOT NULL, model TEXT NOT NULL, fallback TEXT, cost_usd REAL NOT NULL,
  verdict TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS verdicts_host ON verdicts (host, checked);
CREATE INDEX IF NOT EXISTS verdicts_checked ON verdicts (checked);
CREATE TABLE IF NOT EXISTS sightings (
  id INTEGER PRIMARY KEY AUTOINCREMENT, delta_id INTEGER NOT NULL, host TEXT NOT NULL,
  checked REAL NOT NULL, severity TEXT NOT NULL, category TEXT NOT NULL, summary TEXT NOT NULL,
  evidence TEXT NOT NULL, source TEXT NOT NULL, signal_id TEXT, count INTEGER NOT NULL,
  device TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS sightings_host ON sightings (host, checked);
CREATE INDEX IF NOT EXISTS sightings_checked ON sightings (checked);
CREATE TABLE IF NOT EXISTS findings (
  id TEXT PRIMARY KEY, host TEXT NOT NULL, category TEXT NOT NULL, signal TEXT NOT NULL,
  fingerprint TEXT NOT NULL, device TEXT NOT NULL, source TEXT NOT NULL, summary TEXT NOT NULL,
  severity TEXT NOT NULL, max_severity TEXT NOT NULL, state TEXT NOT NULL, state_since REAL NOT NULL,
  first_seen REAL NOT NULL, last_seen REAL NOT NULL, times_seen INTEGER NOT NULL,
  occurrences INTEGER NOT NULL, regressions INTEGER NOT NULL, quieted_severity TEXT,
  snoozed_until REAL, dismiss_reason TEXT, remind_at REAL, resolved_reason TEXT,
  judgement TEXT NOT NULL, judged_at REAL NOT NULL, clean_checks INTEGER NOT NULL,
  samples TEXT NOT NULL, labels TEXT NOT NULL, members TEXT NOT NULL, details TEXT NOT NULL,
  alert_fp TEXT, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS findings_host_state ON findings (host, state);
CREATE INDEX IF NOT EXISTS findings_state ON findings (state, last_seen);
CREATE TABLE IF NOT EXISTS finding_links (
  finding_id TEXT NOT NULL, delta_id INTEGER NOT NULL, at REAL NOT NULL, severity TEXT NOT NULL,
  interim INTEGER NOT NULL, PRIMARY KEY (finding_id, delta_id));
CREATE INDEX IF NOT EXISTS finding_links_at ON finding_links (at);
CREATE TABLE IF NOT EXISTS finding_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, finding_id TEXT, suppression_id INTEGER,
  actor TEXT NOT NULL, action TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
  note TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS finding_events_finding ON finding_events (finding_id, at);
CREATE INDEX IF NOT EXISTS finding_events_at ON finding_events (at);
CREATE TABLE IF NOT EXISTS suppressions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, host TEXT NOT NULL, signal TEXT NOT NULL, reason TEXT NOT NULL,
  created_by TEXT NOT NULL, created REAL NOT NULL, until REAL, removed REAL, removed_by TEXT);
CREATE TABLE IF NOT EXISTS hosts (
  host TEXT PRIMARY KEY, last_check REAL, last_status TEXT, last_anomaly REAL);
CREATE TABLE IF NOT EXISTS counters (
  name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (name, labels));
CREATE TABLE IF NOT EXISTS spend (day TEXT PRIMARY KEY, usd REAL NOT NULL, calls INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
  fingerprint TEXT PRIMARY KEY, labels TEXT NOT NULL, annotations TEXT NOT NULL,
  state TEXT NOT NULL, starts_at REAL NOT NULL, ends_at REAL, last_seen REAL NOT NULL,
  clean_checks INTEGER NOT NULL DEFAULT 0, last_post REAL NOT NULL DEFAULT 0,
  episode INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS alert_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, fingerprint TEXT NOT NULL, state TEXT NOT NULL,
  starts_at REAL NOT NULL, ends_at REAL);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, host TEXT NOT NULL,
  source TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS baseline_hosts (
  host TEXT PRIMARY KEY, ok_deltas INTEGER NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS baseline_templates (
  host TEXT NOT NULL, template TEXT NOT NULL, lines INTEGER NOT NULL, deltas INTEGER NOT NULL,
  first_seen REAL NOT NULL, last_seen REAL NOT NULL, poisoned INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (host, template));
CREATE TABLE IF NOT EXISTS delta_origins (
  delta_id INTEGER NOT NULL, source TEXT NOT NULL, origin TEXT NOT NULL,
  PRIMARY KEY (delta_id, source, origin));
CREATE INDEX IF NOT EXISTS delta_origins_origin ON delta_origins (source, origin);
CREATE TRIGGER IF NOT EXISTS delta_origins_done AFTER DELETE ON deltas
  BEGIN DELETE FROM delta_origins WHERE delta_id = old.id; END;
"""


@dataclass(frozen=True)
class Chunk:
    """New lines of one host from one source, with the cursor update that goes with them."""

    host: str
    source: str
    ref: str
    """Where the lines came from (``web1/0001.log:0-2048``); kept with the verdict."""
    data: bytes
    due: float = 0.0
    """When the delta should be analysed (the worker sets it from the polling policy)."""
    origin: str = ""
    """The source file the lines came from (a spool cursor key); it is kept until every delta
    holding its lines has a verdict (``State.pending_origins``)."""
    received: float | None = None
    """When the lines reached the collector (a spool file's mtime), when the source knows it:
    the fleet clocks date lines without a usable stamp by it, however late they are read."""
    boot_id: str | None = None
    """The boot the lines belong to (kmsg), when the source knows it."""


@dataclass(frozen=True)
class CursorUpdate:
    """A cursor to write (``value`` None deletes it)."""

    source: str
    key: str
    value: str | None


@dataclass(frozen=True)
class Event:
    """Something a source must report rather than skip: reboot, overrun, binary file."""

    host: str
    source: str
    kind: str
    detail: str


@dataclass(frozen=True)
class QueuedDelta:
    """A delta waiting in the queue."""

    id: int
    host: str
    source: str
    ref: str
    data: bytes
    created: float
    attempts: int
    interim: bool
    received: float | None = None
    """When the lines reached the collector (``Chunk.received``; None: the queue time stands in)."""
    boot_id: str | None = None


def day_key(ts: float) -> str:
    """UTC day ``YYYY-MM-DD`` of a timestamp (budget periods are UTC)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def labels_key(labels: dict[str, str]) -> str:
    """Canonical JSON of a label set (the counters table key)."""
    return json.dumps(labels, sort_keys=True, separators=(",", ":"))


class State:
    """The SQLite state file. Not thread-safe: one per thread (collectors open their own)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = connect(self.path)
        self._rename_sightings()
        self.conn.executescript(_SCHEMA)
        self.conn.executescript(FLEET_SCHEMA)
        self._add_delta_times()
        self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        # An older file got the new tables from the script above: record that it is current.
        self.conn.execute(
            "UPDATE meta SET value=? WHERE key='schema_version' AND CAST(value AS INTEGER) < ?",
            (str(SCHEMA_VERSION), SCHEMA_VERSION),
        )

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def _rename_sightings(self) -> None:
        """Version 4: a file whose ``findings`` table holds per-verdict rows gets it renamed to
        ``sightings`` (with a ``device`` column), making room for the findings with a lifecycle."""
        with self.transaction() as conn:
            columns = {r[1] for r in conn.execute("PRAGMA table_info(findings)")}
            if "delta_id" not in columns:
                return
            conn.execute("DROP INDEX IF EXISTS findings_host")
            conn.execute("DROP INDEX IF EXISTS findings_checked")
            conn.execute("ALTER TABLE findings RENAME TO sightings")
            conn.execute("ALTER TABLE sightings ADD COLUMN device TEXT NOT NULL DEFAULT '{}'")

    def _add_delta_times(self) -> None:
        """Version 5: queued deltas of an older file get the ``received`` and ``boot_id`` columns."""
        wanted = (("received", "REAL"), ("boot_id", "TEXT"))
        if {c for c, _ in wanted} <= {r[1] for r in self.conn.execute("PRAGMA table_info(deltas)")}:
            return
        with self.transaction() as conn:  # checked again inside: another process may have been first
            columns = {r[1] for r in conn.execute("PRAGMA table_info(deltas)")}
            for column, kind in wanted:
                if column not in columns:
                    conn.execute(f"ALTER TABLE deltas ADD COLUMN {column} {kind}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on any exception)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            # SQLite may have rolled back already (a full disk does): the original error matters.
            if self.conn.in_transaction:
                with suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- cursors and ingest ------------------------------------------------------------

    def cursors(self, source: str) -> dict[str, str]:
        """All cursors of a source, key to value."""
        rows = self.conn.execute("SELECT key, value FROM cursors WHERE source = ?", (source,))
        return dict(rows.fetchall())

    def ingest(
        self,
        chunks: Sequence[Chunk],
        cursors: Sequence[CursorUpdate],
        events: Sequence[Event] = (),
        *,
        now: float,
        append: Callable[[sqlite3.Connection, Chunk], int | None] | None = None,
    ) -> None:
        """Queue chunks and move cursors in one transaction.

        Args:
            chunks: new deltas; ``append(conn, chunk)`` may merge one into a waiting delta
                instead (adaptive polling) and return that delta's id (None: not merged).
            cursors: cursor writes that cover exactly these chunks.
            events: source events to record (and count).
            now: the time of ingest.
        """
        with self.transaction() as conn:
            for chunk in chunks:
                delta_id = append(conn, chunk) if append is not None else None
                if delta_id is None:
                    delta_id = conn.execute(
                        "INSERT INTO deltas (host, source, ref, data, created, due, received, boot_id)"
                        " VALUES (?,?,?,?,?,?,?,?)",
                        (chunk.host, chunk.source, chunk.ref, chunk.data, now, chunk.due, chunk.received,
                         chunk.boot_id),
                    ).lastrowid
                if chunk.origin:
                    conn.execute("INSERT OR IGNORE INTO delta_origins VALUES (?,?,?)",
                                 (delta_id, chunk.source, chunk.origin))
            for cur in cursors:
                if cur.value is None:
                    conn.execute("DELETE FROM cursors WHERE source=? AND key=?", (cur.source, cur.key))
                else:
                    conn.execute(
                        "INSERT OR REPLACE INTO cursors VALUES (?,?,?,?)", (cur.source, cur.key, cur.value, now)
                    )
            for ev in events:
                conn.execute(
                    "INSERT INTO events (ts, host, source, kind, detail) VALUES (?,?,?,?,?)",
                    (now, ev.host, ev.source, ev.kind, ev.detail),
                )
                bump(conn, metrics.SOURCE_EVENTS, {"host": ev.host, "kind": ev.kind})
                if ev.kind in QUARANTINE_EVENTS:
                    bump(conn, metrics.SPOOL_QUARANTINED, {})

    def pending_origins(self, source: str) -> set[str]:
        """Origins (source files) of a source with lines in a delta still waiting for its verdict."""
        rows = self.conn.execute("SELECT DISTINCT origin FROM delta_origins WHERE source = ?", (source,))
        return {r[0] for r in rows}

    # --- queue ---------------------------------------------------------------------------

    def due(self, now: float, limit: int = 1000) -> list[QueuedDelta]:
        """Deltas due for analysis and not backing off, oldest first."""
        rows = self.conn.execute(
            "SELECT id, host, source, ref, data, created, attempts, interim, received, boot_id FROM deltas "
            "WHERE due <= ? AND next_try <= ? ORDER BY id LIMIT ?",
            (now, now, limit),
        )
        return [QueuedDelta(r[0], r[1], r[2], r[3], bytes(r[4]), r[5], r[6], bool(r[7]), r[8], r[9]) for r in rows]

    def retry_later(self, delta_ids: Sequence[int], next_try: Callable[[int], float], error: str) -> None:
        """Keep deltas queued after a failed call; ``next_try(attempts)`` gives the new time."""
        with self.transaction() as conn:
            for delta_id in delta_ids:
                row = conn.execute("SELECT attempts FROM deltas WHERE id=?", (delta_id,)).fetchone()
                if row is None:
                    continue
                attempts = row[0] + 1
                conn.execute(
                    "UPDATE deltas SET attempts=?, next_try=?, last_error=? WHERE id=?",
                    (attempts, next_try(attempts), error[:500], delta_id),
                )

    def mark_interim(self, delta_id: int, work: Callable[[sqlite3.Connection], None]) -> None:
        """Record that a signals-only check ran for a still-queued delta (plus its alert intents)."""
        with self.transaction() as conn:
            conn.execute("UPDATE deltas SET interim=1 WHERE id=?", (delta_id,))
            work(conn)

    def queue_stats(self, now: float) -> tuple[int, float]:
        """Queue depth and the age in seconds of the oldest queued delta."""
        count, oldest = self.conn.execute("SELECT COUNT(*), MIN(created) FROM deltas").fetchone()
        return int(count), (now - oldest) if oldest is not None else 0.0

    # --- verdicts --------------------------------------------------------------------------

    def finish(
        self,
        delta: QueuedDelta,
        verdict: Verdict,
        *,
        now: float,
        fallback: str | None = None,
        alert_work: Callable[[sqlite3.Connection], None] | None = None,
    ) -> bool:
        """Store a verdict and take its delta off the queue, in one transaction.

        Returns False (and changes nothing) when the delta is no longer queued, so a verdict
        can never be stored, counted or alerted twice.
        """
        with self.transaction() as conn:
            gone = conn.execute("DELETE FROM deltas WHERE id=?", (delta.id,)).rowcount == 0
            if gone:
                return False
            conn.execute(
                "INSERT INTO verdicts VALUES (?,?,?,?,?,?,?,?,?)",
                (delta.id, delta.host, delta.ref, now, verdict.status, verdict.model, fallback,
                 verdict.cost_usd, verdict.model_dump_json()),
            )
            _store_sightings(conn, delta, verdict, now)
            _count_verdict(conn, delta.host, verdict, fallback)
            _update_host(conn, delta.host, verdict.status, now)
            if verdict.cost_usd:
                _add_spend(conn, now, verdict.cost_usd)
            if alert_work is not None:
                alert_work(conn)
        return True

    def prune(self, before: float) -> int:
        """Delete verdicts, their sightings and finding links, source events and learned (not
        poisoned) baseline templates older than ``before``; returns the verdicts deleted. (Findings
        and their audit trail have their own retention: ``findings.retention``.)"""
        with self.transaction() as conn:
            conn.execute("DELETE FROM sightings WHERE checked < ?", (before,))
            conn.execute("DELETE FROM finding_links WHERE at < ?", (before,))
            conn.execute("DELETE FROM events WHERE ts < ?", (before,))
            # Hosts that left the fleet: their baselines would otherwise stay forever.
            conn.execute("DELETE FROM baseline_templates WHERE poisoned=0 AND last_seen < ?", (before,))
            return conn.execute("DELETE FROM verdicts WHERE checked < ?", (before,)).rowcount

    def model_calls(self, host: str, since: float) -> int:
        """Verdicts of ``host`` since ``since`` for which a model was called (not skipped, no fallback)."""
        (n,) = self.conn.execute(
            "SELECT COUNT(*) FROM verdicts WHERE host=? AND checked>=? AND fallback IS NULL"
            " AND json_extract(verdict, '$.skipped') = 0", (host, since)).fetchone()
        return int(n)

    def hosts(self) -> dict[str, tuple[float | None, str | None, float | None]]:
        """Per host: last check time, last status, last anomaly time."""
        return host_checks(self.conn)

    def spent(self, now: float) -> tuple[float, float]:
        """USD spent in the UTC day and UTC month of ``now``."""
        day = day_key(now)
        (d,) = self.conn.execute("SELECT COALESCE(SUM(usd),0) FROM spend WHERE day=?", (day,)).fetchone()
        (m,) = self.conn.execute(
            "SELECT COALESCE(SUM(usd),0) FROM spend WHERE day LIKE ?", (day[:7] + "-%",)
        ).fetchone()
        return float(d), float(m)

    def bump(self, name: str, labels: dict[str, str], by: float = 1.0) -> None:
        """Add to a persistent counter in its own transaction."""
        with self.transaction() as conn:
            bump(conn, name, labels, by)

    def get_meta(self, key: str) -> Any:
        """A JSON value from the meta table, or None."""
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value in the meta table."""
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def baseline(self, host: str, settings: BaselineSettings, *, now: float) -> HostBaseline:
        """The host's baseline as stored (expired templates left out)."""
        baseline = load_baseline(self.conn, host, settings)
        baseline.expire(now)
        return baseline

    def verdict_rows(self) -> list[tuple[str, str, str]]:
        """``(host, ref, verdict JSON)`` of every stored verdict, in order (tests, exports)."""
        return self.conn.execute("SELECT host, ref, verdict FROM verdicts ORDER BY delta_id").fetchall()


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the state file in WAL mode with autocommit (transactions are explicit)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=10)
        conn.execute("PRAGMA busy_timeout=10000")
        return conn
    if not path.exists():
        # The file holds raw log lines: private from its first byte (SQLite gives -wal and -shm
        # the same mode). An empty file is an empty database.
        with suppress(FileExistsError):  # another process was first
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def host_checks(conn: sqlite3.Connection) -> dict[str, tuple[float | None, str | None, float | None]]:
    """Per host: last check time, last status, last anomaly time (works on a read-only connection)."""
    rows = conn.execute("SELECT host, last_check, last_status, last_anomaly FROM hosts")
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def fleet_templates_since(conn: sqlite3.Connection, since: float, limit: int
                          ) -> tuple[float | None, list[tuple[str, float, int, int]]]:
    """Templates no host's baseline held before ``since`` (read-only).

    Returns the oldest template time of any baseline (None when there is none: nothing can be
    new to a fleet with no history), and up to ``limit`` templates first seen at or after
    ``since`` (newest first), each as ``(template, first seen, hosts, lines)``.
    """
    (oldest,) = conn.execute("SELECT MIN(first_seen) FROM baseline_templates").fetchone()
    rows = conn.execute(
        "SELECT template, MIN(first_seen) AS first, COUNT(DISTINCT host), SUM(lines) FROM baseline_templates"
        " GROUP BY template HAVING first >= ? ORDER BY first DESC, template LIMIT ?", (since, limit)).fetchall()
    return oldest, [(r[0], float(r[1]), int(r[2]), int(r[3])) for r in rows]


def bump(conn: sqlite3.Connection, name: str, labels: dict[str, str], by: float = 1.0) -> None:
    """Add ``by`` to a persistent counter (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO counters VALUES (?,?,?) ON CONFLICT (name, labels) DO UPDATE SET value = value + ?",
        (name, labels_key(labels), by, by),
    )


def load_baseline(conn: sqlite3.Connection, host: str, settings: BaselineSettings) -> HostBaseline:
    """Read one host's baseline (inside or outside a transaction)."""
    row = conn.execute("SELECT ok_deltas FROM baseline_hosts WHERE host=?", (host,)).fetchone()
    templates = {
        r[0]: TemplateStats(lines=r[1], deltas=r[2], first_seen=r[3], last_seen=r[4], poisoned=bool(r[5]))
        for r in conn.execute(
            "SELECT template, lines, deltas, first_seen, last_seen, poisoned FROM baseline_templates WHERE host=?",
            (host,),
        )
    }
    return HostBaseline(host=host, settings=settings, ok_deltas=row[0] if row else 0, templates=templates)


def save_baseline(conn: sqlite3.Connection, before: HostBaseline, after: HostBaseline, *, now: float) -> None:
    """Write what changed from ``before`` to ``after`` (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO baseline_hosts VALUES (?,?,?) ON CONFLICT (host) DO UPDATE SET ok_deltas=excluded.ok_deltas,"
        " updated=excluded.updated",
        (after.host, after.ok_deltas, now),
    )
    gone = [(after.host, k) for k in before.templates if k not in after.templates]
    conn.executemany("DELETE FROM baseline_templates WHERE host=? AND template=?", gone)
    changed = [
        (after.host, k, s.lines, s.deltas, s.first_seen, s.last_seen, int(s.poisoned))
        for k, s in after.templates.items()
        if before.templates.get(k) != s
    ]
    conn.executemany("INSERT OR REPLACE INTO baseline_templates VALUES (?,?,?,?,?,?,?)", changed)


def learn_baseline(
    conn: sqlite3.Connection,
    host: str,
    delta: Delta,
    verdict: Verdict,
    settings: BaselineSettings,
    *,
    now: float,
    hits: Sequence[SignalHit] | None = None,
) -> LearnOutcome:
    """Teach the host's baseline one verdict and store the change (inside the caller's transaction).

    Called from the transaction that stores the verdict, so a crash leaves either both or
    neither: a delta is never learned twice, nor its verdict stored without the lesson.
    """
    before = load_baseline(conn, host, settings)
    after = copy.deepcopy(before)
    outcome = after.learn(delta, verdict, now=now, hits=hits)
    after.expire(now)
    if outcome != "ignored" or after.templates != before.templates:
        save_baseline(conn, before, after, now=now)
    return outcome


def _store_sightings(conn: sqlite3.Connection, delta: QueuedDelta, verdict: Verdict, now: float) -> None:
    for f in verdict.findings:
        conn.execute(
            "INSERT INTO sightings (delta_id, host, checked, severity, category, summary, evidence, source,"
            " signal_id, count, device) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (delta.id, delta.host, now, f.severity, f.category, f.summary, f.evidence, f.source,
             f.signal_id, f.count, json.dumps(getattr(f, "device", None) or {}, sort_keys=True)),
        )


def _count_verdict(conn: sqlite3.Connection, host: str, verdict: Verdict, fallback: str | None) -> None:
    for f in verdict.findings:
        bump(conn, metrics.ISSUES, {"host": host, "category": f.category, "severity": f.severity})
    bump(conn, metrics.CHECKS, {"host": host, "status": verdict.status})
    if verdict.skipped:
        bump(conn, metrics.SKIPPED_CALLS, {"reason": verdict.skip_reason or "prefilter"})
        if verdict.skip_reason == BASELINE_SKIP_REASON:
            bump(conn, metrics.BASELINE_SKIPS, {"host": host})
    if fallback is not None:
        bump(conn, metrics.SKIPPED_CALLS, {"reason": fallback})
    if verdict.model_error is not None and verdict.model_error.kind == "bad_reply":
        bump(conn, metrics.REPLY_ERRORS, {})
    u = verdict.usage
    for kind, n in (("input", u.input_tokens), ("output", u.output_tokens),
                    ("cache_read", u.cache_read_tokens), ("cache_write", u.cache_write_tokens)):
        if n:
            bump(conn, metrics.TOKENS, {"kind": kind}, n)
    if verdict.cost_usd:
        bump(conn, metrics.COST_USD, {}, verdict.cost_usd)


def _update_host(conn: sqlite3.Connection, host: str, status: str, now: float) -> None:
    anomaly = now if status != "ok" else None
    conn.execute(
        "INSERT INTO hosts VALUES (?,?,?,?) ON CONFLICT (host) DO UPDATE SET last_check=excluded.last_check,"
        " last_status=excluded.last_status, last_anomaly=COALESCE(excluded.last_anomaly, last_anomaly)",
        (host, now, status, anomaly),
    )


def _add_spend(conn: sqlite3.Connection, now: float, usd: float) -> None:
    conn.execute(
        "INSERT INTO spend VALUES (?,?,1) ON CONFLICT (day) DO UPDATE SET usd=usd+excluded.usd, calls=calls+1",
        (day_key(now), usd),
    )
