"""The fleet signals' tables of the runner's state: every SQL statement about them is here.

``tasseograph.fleet.FleetMonitor`` keeps one JSON-able state for a whole fleet; this module
stores it in rows, per host and per stream, so a verdict writes only what its delta changed:

* ``fleet_hosts``: one row per host: its line clock (boot anchor), when its lines were first
  watched, and how many deltas the fleet logic has counted for it;
* ``fleet_tracks``: one row per counted stream (a signal on one device, a threshold rule's
  unit): its binned history, leaky bucket, rising and recurring flags;
* ``fleet_events``: the correlator's recent host events (one per host, signal and minute), with
  the line and the delta ``ref`` each came from, so a group's evidence resolves to stored lines;
* ``fleet_groups``: the correlated groups still joinable, with the finding each one raised;
* ``fleet_meta``: the correlator's watermark and the hosts it knows beyond the inventory.

:class:`FleetStore` works on a connection inside the caller's transaction (the verdict's, an
interim check's, or the cycle's upkeep), so the fleet state, the verdict and the findings it
raised commit together or not at all. The SQL is portable (``INSERT ... ON CONFLICT``, explicit
columns, no SQLite-only functions), so another backend can take the same statements.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FLEET_SCHEMA = """
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
"""Created by ``State`` beside its own tables (schema version 5)."""

EventKey = tuple[str, str, float]
"""``(host, signal_id, at)``: a correlator event's identity (it keeps one per host, signal and minute)."""


@dataclass(frozen=True)
class EventRow:
    """One correlator event as stored: the event, its group, and the line it came from."""

    host: str
    signal_id: str
    at: float
    category: str
    group_id: str | None
    line: str = ""
    ref: str = ""

    @property
    def ident(self) -> EventKey:
        """The row's primary key."""
        return (self.host, self.signal_id, self.at)


@dataclass(frozen=True)
class GroupRow:
    """One correlated group as stored, with the scope (``rack=r12``) its finding was opened under."""

    id: str
    scope: str
    category: str
    data: dict[str, Any]


@dataclass
class Loaded:
    """Everything the fleet tables hold, as ``FleetMonitor.from_dict`` and the runner want it."""

    clocks: dict[str, dict[str, Any]]
    since: dict[str, float]
    deltas: dict[str, int]
    tracks: dict[str, tuple[str, str]]
    """Track key -> (host, JSON text as stored)."""
    events: list[EventRow]
    groups: list[GroupRow]
    meta: dict[str, Any]


class FleetStore:
    """The fleet tables on one connection (inside the caller's transaction)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def load(self) -> Loaded:
        """Every row of the fleet tables."""
        clocks: dict[str, dict[str, Any]] = {}
        since: dict[str, float] = {}
        deltas: dict[str, int] = {}
        for host, clock, first, counted in self.conn.execute("SELECT host, clock, since, deltas FROM fleet_hosts"):
            if clock:
                clocks[host] = json.loads(clock)
            if first is not None:
                since[host] = float(first)
            deltas[host] = int(counted)
        tracks = {key: (host, data) for key, host, data in self.conn.execute("SELECT key, host, data FROM fleet_tracks")}
        events = [EventRow(*r) for r in self.conn.execute(
            "SELECT host, signal_id, at, category, group_id, line, ref FROM fleet_events ORDER BY at, host")]
        groups = [GroupRow(i, scope, category, json.loads(data)) for i, scope, category, data in self.conn.execute(
            "SELECT id, scope, category, data FROM fleet_groups ORDER BY id")]
        meta = {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM fleet_meta")}
        return Loaded(clocks, since, deltas, tracks, events, groups, meta)

    # --- hosts and tracks --------------------------------------------------------------------

    def save_host(self, host: str, clock: Mapping[str, Any], since: float | None, now: float, *,
                  counted: int = 0) -> None:
        """Write a host's clock and first time, adding ``counted`` deltas to its count."""
        self.conn.execute(
            "INSERT INTO fleet_hosts (host, clock, since, deltas, updated) VALUES (?,?,?,?,?)"
            " ON CONFLICT (host) DO UPDATE SET clock=excluded.clock, since=excluded.since,"
            " deltas=fleet_hosts.deltas+excluded.deltas, updated=excluded.updated",
            (host, json.dumps(clock, sort_keys=True), since, counted, now))

    def save_tracks(self, changed: Iterable[tuple[str, str, str]], gone: Iterable[str], now: float) -> None:
        """Write ``(key, host, JSON)`` of changed tracks and delete the ``gone`` ones."""
        self.conn.executemany(
            "INSERT INTO fleet_tracks (key, host, data, updated) VALUES (?,?,?,?)"
            " ON CONFLICT (key) DO UPDATE SET data=excluded.data, updated=excluded.updated",
            [(key, host, data, now) for key, host, data in changed])
        self.conn.executemany("DELETE FROM fleet_tracks WHERE key=?", [(key,) for key in gone])

    # --- correlation -------------------------------------------------------------------------

    def save_events(self, added: Iterable[EventRow], regrouped: Iterable[tuple[EventKey, str | None]],
                    gone: Iterable[EventKey]) -> None:
        """Insert new events, set the group of others, delete the pruned ones."""
        self.conn.executemany(
            "INSERT INTO fleet_events (host, signal_id, at, category, group_id, line, ref) VALUES (?,?,?,?,?,?,?)",
            [(e.host, e.signal_id, e.at, e.category, e.group_id, e.line, e.ref) for e in added])
        self.conn.executemany("UPDATE fleet_events SET group_id=? WHERE host=? AND signal_id=? AND at=?",
                              [(group, *ident) for ident, group in regrouped])
        self.conn.executemany("DELETE FROM fleet_events WHERE host=? AND signal_id=? AND at=?", list(gone))

    def save_groups(self, changed: Iterable[GroupRow], gone: Iterable[str]) -> None:
        """Write changed groups and delete the ones the correlator dropped."""
        self.conn.executemany(
            "INSERT INTO fleet_groups (id, scope, category, data, last_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT (id) DO UPDATE SET data=excluded.data, last_at=excluded.last_at",
            [(g.id, g.scope, g.category, json.dumps(g.data, sort_keys=True), float(g.data["last_at"]))
             for g in changed])
        self.conn.executemany("DELETE FROM fleet_groups WHERE id=?", [(gid,) for gid in gone])

    def set_meta(self, key: str, value: Any) -> None:
        """Store one JSON value."""
        self.conn.execute("INSERT INTO fleet_meta (key, value) VALUES (?,?)"
                          " ON CONFLICT (key) DO UPDATE SET value=excluded.value", (key, json.dumps(value)))

    # --- what the findings need --------------------------------------------------------------

    def last_checks(self) -> dict[str, float]:
        """Each host's last check (a stored verdict), from the runner's ``hosts`` table."""
        return {host: float(at) for host, at in self.conn.execute(
            "SELECT host, last_check FROM hosts WHERE last_check IS NOT NULL")}

    def deltas_counted(self, host: str) -> int:
        """Deltas of ``host`` the fleet logic has counted (a check of the verdict transaction)."""
        row = self.conn.execute("SELECT deltas FROM fleet_hosts WHERE host=?", (host,)).fetchone()
        return int(row[0]) if row else 0
