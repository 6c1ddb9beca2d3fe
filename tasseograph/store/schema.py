"""The state's tables and their versioned, forward-only migrations, for each backend.

``meta.schema_version`` says which migrations a store has had; opening it applies the rest,
in order, each in one transaction with its version bump (PostgreSQL: under an advisory lock,
so runners starting at once migrate once; SQLite: the file is backed up first,
``sqlitefile.open_state``). A store from a newer tasseograph is refused, never downgraded.

Versions: 2 added the per-host baselines, 3 the origins of queued deltas (a spool file is kept
until its lines are judged), 4 findings with a lifecycle (``findings``, ``finding_links``,
``finding_events``, ``suppressions``; the per-verdict rows of older files renamed
``sightings``), 5 the fleet signals' tables (``fleet.py``) and, on each queued delta, when its
lines were received and the boot they belong to, 6 what several runners need to share one store:
leases on queued deltas, claims on outbox rows, per-host source leases, spend holds, and
``verdicts.skipped`` (the call caps count model calls without reading JSON). PostgreSQL starts
at 6.

A new table group adds its DDL to both lists below as the next version, and its table to
``TABLES`` (the conformance suite checks both backends hold every one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from tasseograph.store.tx import Tx


def statements(script: str) -> list[str]:
    """A script cut into whole statements (a trigger's body keeps its semicolons)."""
    out, current = [], ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    return out


SCHEMA_VERSION = 6
TABLES = (
    "meta", "cursors", "deltas", "verdicts", "sightings", "findings", "finding_links", "finding_events",
    "suppressions", "hosts", "counters", "spend", "alerts", "alert_outbox", "events", "baseline_hosts",
    "baseline_templates", "delta_origins", "source_leases", "spend_holds", "fleet_hosts", "fleet_tracks",
    "fleet_events", "fleet_groups", "fleet_meta",
)
"""Every table, in the order a copy fills them."""

_SQLITE_V4 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (
  source TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated REAL NOT NULL,
  PRIMARY KEY (source, key));
CREATE TABLE IF NOT EXISTS deltas (
  id INTEGER PRIMARY KEY AUTOINCREMENT, host TEXT NOT NULL, source TEXT NOT NULL,
  ref TEXT NOT NULL, data BLOB NOT NULL, created REAL NOT NULL, due REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_try REAL NOT NULL DEFAULT 0, last_error TEXT,
  interim INTEGER NOT NULL DEFAULT 0);
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

_FLEET_TABLES = """
CREATE TABLE IF NOT EXISTS fleet_hosts (
  host TEXT PRIMARY KEY, clock TEXT, since REAL, deltas INTEGER NOT NULL DEFAULT 0, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_tracks (
  key TEXT PRIMARY KEY, host TEXT NOT NULL, data TEXT NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS fleet_tracks_host ON fleet_tracks (host);
CREATE TABLE IF NOT EXISTS fleet_events (
  host TEXT NOT NULL, signal_id TEXT NOT NULL, at REAL NOT NULL, category TEXT NOT NULL, group_id TEXT,
  line TEXT NOT NULL, ref TEXT NOT NULL, PRIMARY KEY (host, signal_id, at));
CREATE TABLE IF NOT EXISTS fleet_groups (
  id TEXT PRIMARY KEY, scope TEXT NOT NULL, category TEXT NOT NULL, data TEXT NOT NULL, last_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
"""The fleet signals' tables (SQLite version 5; ``REAL`` is 8 bytes there, ``DOUBLE PRECISION`` in
PostgreSQL's copy below)."""

_V5_COLUMNS = (
    ("deltas", "received", "REAL"),
    ("deltas", "boot_id", "TEXT"),
)

_V6_TABLES = """
CREATE TABLE IF NOT EXISTS source_leases (
  source TEXT NOT NULL, key TEXT NOT NULL, owner TEXT NOT NULL, until REAL NOT NULL,
  PRIMARY KEY (source, key));
CREATE TABLE IF NOT EXISTS spend_holds (
  id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, usd REAL NOT NULL, until REAL NOT NULL);
"""

_V6_COLUMNS = (
    ("deltas", "lease_owner", "TEXT"),
    ("deltas", "lease_until", "REAL"),
    ("verdicts", "skipped", "INTEGER NOT NULL DEFAULT 0"),
    ("alert_outbox", "claimed_by", "TEXT"),
    ("alert_outbox", "claimed_until", "REAL"),
)

POSTGRES_V6 = (
    "CREATE TABLE IF NOT EXISTS cursors (source TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " updated DOUBLE PRECISION NOT NULL, PRIMARY KEY (source, key))",
    "CREATE TABLE IF NOT EXISTS deltas (id BIGSERIAL PRIMARY KEY, host TEXT NOT NULL, source TEXT NOT NULL,"
    " ref TEXT NOT NULL, data BYTEA NOT NULL, created DOUBLE PRECISION NOT NULL, due DOUBLE PRECISION NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0, next_try DOUBLE PRECISION NOT NULL DEFAULT 0, last_error TEXT,"
    " interim INTEGER NOT NULL DEFAULT 0, received DOUBLE PRECISION, boot_id TEXT, lease_owner TEXT,"
    " lease_until DOUBLE PRECISION)",
    "CREATE INDEX IF NOT EXISTS deltas_due ON deltas (due, next_try)",
    "CREATE INDEX IF NOT EXISTS deltas_host ON deltas (host, source)",
    "CREATE TABLE IF NOT EXISTS verdicts (delta_id BIGINT PRIMARY KEY, host TEXT NOT NULL, ref TEXT NOT NULL,"
    " checked DOUBLE PRECISION NOT NULL, status TEXT NOT NULL, model TEXT NOT NULL, fallback TEXT,"
    " cost_usd DOUBLE PRECISION NOT NULL, verdict TEXT NOT NULL, skipped INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX IF NOT EXISTS verdicts_host ON verdicts (host, checked)",
    "CREATE INDEX IF NOT EXISTS verdicts_checked ON verdicts (checked)",
    "CREATE TABLE IF NOT EXISTS sightings (id BIGSERIAL PRIMARY KEY, delta_id BIGINT NOT NULL, host TEXT NOT NULL,"
    " checked DOUBLE PRECISION NOT NULL, severity TEXT NOT NULL, category TEXT NOT NULL, summary TEXT NOT NULL,"
    " evidence TEXT NOT NULL, source TEXT NOT NULL, signal_id TEXT, count INTEGER NOT NULL,"
    " device TEXT NOT NULL DEFAULT '{}')",
    "CREATE INDEX IF NOT EXISTS sightings_host ON sightings (host, checked)",
    "CREATE INDEX IF NOT EXISTS sightings_checked ON sightings (checked)",
    "CREATE TABLE IF NOT EXISTS findings (id TEXT PRIMARY KEY, host TEXT NOT NULL, category TEXT NOT NULL,"
    " signal TEXT NOT NULL, fingerprint TEXT NOT NULL, device TEXT NOT NULL, source TEXT NOT NULL,"
    " summary TEXT NOT NULL, severity TEXT NOT NULL, max_severity TEXT NOT NULL, state TEXT NOT NULL,"
    " state_since DOUBLE PRECISION NOT NULL, first_seen DOUBLE PRECISION NOT NULL,"
    " last_seen DOUBLE PRECISION NOT NULL, times_seen INTEGER NOT NULL, occurrences INTEGER NOT NULL,"
    " regressions INTEGER NOT NULL, quieted_severity TEXT, snoozed_until DOUBLE PRECISION, dismiss_reason TEXT,"
    " remind_at DOUBLE PRECISION, resolved_reason TEXT, judgement TEXT NOT NULL,"
    " judged_at DOUBLE PRECISION NOT NULL, clean_checks INTEGER NOT NULL, samples TEXT NOT NULL,"
    " labels TEXT NOT NULL, members TEXT NOT NULL, details TEXT NOT NULL, alert_fp TEXT,"
    " updated DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX IF NOT EXISTS findings_host_state ON findings (host, state)",
    "CREATE INDEX IF NOT EXISTS findings_state ON findings (state, last_seen)",
    "CREATE TABLE IF NOT EXISTS finding_links (finding_id TEXT NOT NULL, delta_id BIGINT NOT NULL,"
    " at DOUBLE PRECISION NOT NULL, severity TEXT NOT NULL, interim INTEGER NOT NULL,"
    " PRIMARY KEY (finding_id, delta_id))",
    "CREATE INDEX IF NOT EXISTS finding_links_at ON finding_links (at)",
    "CREATE TABLE IF NOT EXISTS finding_events (id BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL,"
    " finding_id TEXT, suppression_id BIGINT, actor TEXT NOT NULL, action TEXT NOT NULL,"
    " from_state TEXT NOT NULL, to_state TEXT NOT NULL, note TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS finding_events_finding ON finding_events (finding_id, at)",
    "CREATE INDEX IF NOT EXISTS finding_events_at ON finding_events (at)",
    "CREATE TABLE IF NOT EXISTS suppressions (id BIGSERIAL PRIMARY KEY, host TEXT NOT NULL, signal TEXT NOT NULL,"
    " reason TEXT NOT NULL, created_by TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,"
    " until DOUBLE PRECISION, removed DOUBLE PRECISION, removed_by TEXT)",
    "CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, last_check DOUBLE PRECISION, last_status TEXT,"
    " last_anomaly DOUBLE PRECISION)",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT NOT NULL, labels TEXT NOT NULL,"
    " value DOUBLE PRECISION NOT NULL, PRIMARY KEY (name, labels))",
    "CREATE TABLE IF NOT EXISTS spend (day TEXT PRIMARY KEY, usd DOUBLE PRECISION NOT NULL, calls INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS alerts (fingerprint TEXT PRIMARY KEY, labels TEXT NOT NULL,"
    " annotations TEXT NOT NULL, state TEXT NOT NULL, starts_at DOUBLE PRECISION NOT NULL,"
    " ends_at DOUBLE PRECISION, last_seen DOUBLE PRECISION NOT NULL, clean_checks INTEGER NOT NULL DEFAULT 0,"
    " last_post DOUBLE PRECISION NOT NULL DEFAULT 0, episode INTEGER NOT NULL DEFAULT 1)",
    "CREATE TABLE IF NOT EXISTS alert_outbox (id BIGSERIAL PRIMARY KEY, fingerprint TEXT NOT NULL,"
    " state TEXT NOT NULL, starts_at DOUBLE PRECISION NOT NULL, ends_at DOUBLE PRECISION, claimed_by TEXT,"
    " claimed_until DOUBLE PRECISION)",
    "CREATE TABLE IF NOT EXISTS events (id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION NOT NULL,"
    " host TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS baseline_hosts (host TEXT PRIMARY KEY, ok_deltas INTEGER NOT NULL,"
    " updated DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS baseline_templates (host TEXT NOT NULL, template TEXT NOT NULL,"
    " lines INTEGER NOT NULL, deltas INTEGER NOT NULL, first_seen DOUBLE PRECISION NOT NULL,"
    " last_seen DOUBLE PRECISION NOT NULL, poisoned INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (host, template))",
    "CREATE TABLE IF NOT EXISTS delta_origins (delta_id BIGINT NOT NULL, source TEXT NOT NULL,"
    " origin TEXT NOT NULL, PRIMARY KEY (delta_id, source, origin))",
    "CREATE INDEX IF NOT EXISTS delta_origins_origin ON delta_origins (source, origin)",
    "CREATE TABLE IF NOT EXISTS source_leases (source TEXT NOT NULL, key TEXT NOT NULL, owner TEXT NOT NULL,"
    " until DOUBLE PRECISION NOT NULL, PRIMARY KEY (source, key))",
    "CREATE TABLE IF NOT EXISTS spend_holds (id BIGSERIAL PRIMARY KEY, owner TEXT NOT NULL,"
    " usd DOUBLE PRECISION NOT NULL, until DOUBLE PRECISION NOT NULL)",
    *(sql.replace(" REAL", " DOUBLE PRECISION") for sql in statements(_FLEET_TABLES)),
)
"""PostgreSQL's first version (6): every table of SQLite's version 6, with PostgreSQL's types
(``DOUBLE PRECISION`` for times: ``REAL`` is 4 bytes there)."""


@dataclass(frozen=True)
class Migration:
    """One forward step: the version it brings a store to, and how."""

    version: int
    what: str
    apply: Callable[[Tx], None]


def _sqlite_columns(tx: Tx, table: str) -> set[str]:
    return {r[1] for r in tx.execute(f'PRAGMA table_info("{table}")')}


def _sqlite_v4(tx: Tx) -> None:
    """Every table up to version 4; a file whose ``findings`` holds per-verdict rows (before 4)
    gets them renamed ``sightings`` (with a ``device`` column) first."""
    if "delta_id" in _sqlite_columns(tx, "findings"):
        tx.execute("DROP INDEX IF EXISTS findings_host")
        tx.execute("DROP INDEX IF EXISTS findings_checked")
        tx.execute("ALTER TABLE findings RENAME TO sightings")
        tx.execute("ALTER TABLE sightings ADD COLUMN device TEXT NOT NULL DEFAULT '{}'")
    for sql in statements(_SQLITE_V4):
        tx.execute(sql)


def _sqlite_add(tx: Tx, columns: tuple[tuple[str, str, str], ...], tables: str) -> None:
    """New columns (those a file lacks) and new tables."""
    for table, column, kind in columns:
        if column not in _sqlite_columns(tx, table):
            tx.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    for sql in statements(tables):
        tx.execute(sql)


def _sqlite_v5(tx: Tx) -> None:
    _sqlite_add(tx, _V5_COLUMNS, _FLEET_TABLES)


def _sqlite_v6(tx: Tx) -> None:
    _sqlite_add(tx, _V6_COLUMNS, _V6_TABLES)
    tx.execute("UPDATE verdicts SET skipped = COALESCE(json_extract(verdict, '$.skipped'), 0)")
    tx.execute("CREATE INDEX IF NOT EXISTS deltas_host ON deltas (host, source)")


def _postgres_v6(tx: Tx) -> None:
    for sql in POSTGRES_V6:
        tx.execute(sql)


SQLITE_MIGRATIONS = (
    Migration(4, "every table up to findings with a lifecycle", _sqlite_v4),
    Migration(5, "the fleet signals' tables, deltas.received and boot_id", _sqlite_v5),
    Migration(6, "leases, outbox claims, source leases, spend holds, verdicts.skipped", _sqlite_v6),
)
POSTGRES_MIGRATIONS = (
    Migration(6, "every table (PostgreSQL starts at version 6)", _postgres_v6),
)
