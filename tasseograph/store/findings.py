"""The findings tables of the store: every SQL statement about findings is here.

Tables (``schema.py`` creates them): ``findings`` (one row per finding, keyed by its stable id),
``finding_links`` (which deltas raised which finding: the verdict-to-finding link, so a delta is
counted once even when an interim check saw it first), ``finding_events`` (the audit trail) and
``suppressions``. :class:`FindingStore` works on a transaction (``Tx``) the caller opened
(the verdict's, the sweep's, or a CLI move's), so a record, its events, its counters and its
alert change are committed together or not at all.

The SQL is read alike by SQLite and PostgreSQL (``INSERT ... ON CONFLICT``, ``RETURNING``,
explicit column lists); ``tx.py`` turns the placeholders into psycopg's.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
from collections.abc import Iterable, Sequence
from typing import Any

from tasseograph.errors import UnknownFindingError
from tasseograph.findings.identity import FindingKey
from tasseograph.findings.notes import OperatorNote
from tasseograph.findings.record import (
    OPEN_STATES,
    PAGING_STATES,
    QUIETED_STATES,
    FindingEvent,
    FindingRecord,
    Sample,
)
from tasseograph.findings.suppression import Suppression
from tasseograph.runner.metrics import FINDING_TRANSITIONS
from tasseograph.schema import Finding
from tasseograph.store import alerts
from tasseograph.store.tx import Tx, bump

MIN_PREFIX = 4
"""Shortest id prefix the CLI accepts for a finding."""
_COLUMNS = (
    "id", "host", "category", "signal", "fingerprint", "device", "source", "summary", "severity",
    "max_severity", "state", "state_since", "first_seen", "last_seen", "times_seen", "occurrences",
    "regressions", "quieted_severity", "snoozed_until", "dismiss_reason", "remind_at", "resolved_reason",
    "judgement", "judged_at", "clean_checks", "samples", "labels", "members", "details", "updated",
)
_SELECT = "SELECT " + ", ".join(_COLUMNS) + " FROM findings"
_UPSERT = (
    f"INSERT INTO findings ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
    " ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{c}=excluded.{c}" for c in _COLUMNS[1:])
)
_EVENT_COLUMNS = "at, finding_id, suppression_id, actor, action, from_state, to_state, note"
_SUPPRESSION_COLUMNS = "id, host, signal, reason, created_by, created, until, removed, removed_by"


def _in(values: Iterable[str]) -> tuple[str, list[str]]:
    items = list(values)
    return ", ".join("?" for _ in items), items


class FindingStore:
    """Findings, their links, events and suppressions on one connection (inside the caller's transaction)."""

    def __init__(self, conn: Tx) -> None:
        self.conn = conn

    # --- records ---------------------------------------------------------------------------

    def get(self, finding_id: str) -> FindingRecord | None:
        """The finding with this exact id, or None."""
        row = self.conn.execute(f"{_SELECT} WHERE id = ?", (finding_id,)).fetchone()
        return _record(row) if row else None

    def find(self, ref: str) -> FindingRecord:
        """The finding an id or a unique id prefix (at least ``MIN_PREFIX`` characters) names.

        Raises:
            UnknownFindingError: no finding matches, or the prefix matches several.
        """
        ref = ref.strip().lower()
        exact = self.get(ref)
        if exact is not None:
            return exact
        if len(ref) < MIN_PREFIX or not all(c in "0123456789abcdef" for c in ref):
            raise UnknownFindingError(f"no finding {ref!r}: ids are 12 hex digits (`tasseograph findings list` shows "
                                      f"them; a prefix needs at least {MIN_PREFIX})")
        rows = self.conn.execute(f"{_SELECT} WHERE id LIKE ? ORDER BY id LIMIT 3", (ref + "%",)).fetchall()
        if not rows:
            raise UnknownFindingError(f"no finding {ref!r}: `tasseograph findings list --status all` shows every id")
        if len(rows) > 1:
            raise UnknownFindingError(f"finding id prefix {ref!r} matches several ({', '.join(r[0] for r in rows)}"
                                      f"{', ...' if len(rows) > 2 else ''}): give more digits")
        return _record(rows[0])

    def save(self, records: Iterable[FindingRecord], now: float) -> None:
        """Insert or update records."""
        for r in records:
            self.conn.execute(_UPSERT, _row(r, now))

    def open_for_host(self, host: str) -> list[FindingRecord]:
        """The host's open findings (active, regressed, acknowledged, snoozed)."""
        marks, states = _in(OPEN_STATES)
        rows = self.conn.execute(f"{_SELECT} WHERE host = ? AND state IN ({marks})", (host, *states))
        return [_record(r) for r in rows]

    def query(self, *, host: str | None = None, states: Sequence[str] = (), since: float | None = None,
              severity: str | None = None, category: str | None = None, limit: int | None = None
              ) -> list[FindingRecord]:
        """Findings matching every filter given, most recently seen first.

        Args:
            host: a shell-style host pattern (``db-*``).
            states: lifecycle states to keep (empty: all).
            since: only findings seen at or after this time.
        """
        sql = _SELECT + " WHERE 1=1"
        args: list[Any] = []
        pattern = host is not None and any(c in host for c in "*?[")
        if host is not None and not pattern:
            sql += " AND host = ?"
            args.append(host)
        if states:
            marks, values = _in(states)
            sql += f" AND state IN ({marks})"
            args.extend(values)
        for clause, value in ((" AND last_seen >= ?", since), (" AND severity = ?", severity),
                              (" AND category = ?", category)):
            if value is not None:
                sql += clause
                args.append(value)
        sql += " ORDER BY last_seen DESC, id"
        records = (_record(r) for r in self.conn.execute(sql, args))
        if pattern:  # shell patterns are matched here: SQL dialects differ on GLOB
            records = (r for r in records if fnmatch.fnmatchcase(r.key.host, host or ""))
        return list(itertools.islice(records, limit))

    def to_wake(self, now: float) -> list[FindingRecord]:
        """Snoozed findings whose snooze ended and ``will_fix_later`` dismissals whose reminder is due."""
        rows = self.conn.execute(
            f"{_SELECT} WHERE (state = 'snoozed' AND snoozed_until <= ?) OR (state = 'dismissed' AND remind_at <= ?)",
            (now, now))
        return [_record(r) for r in rows]

    def stale_present(self, before: float) -> list[FindingRecord]:
        """Open findings judged ``present`` but not seen since ``before``."""
        marks, states = _in(OPEN_STATES)
        rows = self.conn.execute(
            f"{_SELECT} WHERE state IN ({marks}) AND judgement = 'present' AND last_seen < ?", (*states, before))
        return [_record(r) for r in rows]

    def alert_candidates(self) -> list[FindingRecord]:
        """Findings that may page, and findings whose alert was last fired (the sweep re-checks both)."""
        marks, states = _in(PAGING_STATES)
        rows = self.conn.execute(
            f"{_SELECT} WHERE state IN ({marks}) OR alert_fp IN (SELECT fingerprint FROM alerts WHERE state='firing')",
            states)
        return [_record(r) for r in rows]

    # --- alerts ----------------------------------------------------------------------------

    def alert_of(self, finding_id: str) -> str | None:
        """Fingerprint of the finding's alert (the ``alerts`` table's key), or None."""
        row = self.conn.execute("SELECT alert_fp FROM findings WHERE id = ?", (finding_id,)).fetchone()
        return row[0] if row else None

    def set_alert(self, finding_id: str, fingerprint: str | None) -> None:
        """Remember the finding's current alert."""
        self.conn.execute("UPDATE findings SET alert_fp = ? WHERE id = ?", (fingerprint, finding_id))

    def alert_summary(self, fingerprint: str | None) -> dict[str, Any] | None:
        """The alert's state, episodes and times (for listings), or None."""
        return alerts.summary(self.conn, fingerprint)

    # --- links -----------------------------------------------------------------------------

    def link(self, finding_id: str, delta_id: int, at: float, severity: str, *, interim: bool) -> bool:
        """Record that a delta raised a finding; False when it was already linked (counted).

        A final verdict after an interim check of the same delta makes the link final without
        counting the delta twice.
        """
        row = self.conn.execute("SELECT interim FROM finding_links WHERE finding_id = ? AND delta_id = ?",
                                (finding_id, delta_id)).fetchone()
        if row is not None:
            if row[0] and not interim:
                self.conn.execute("UPDATE finding_links SET interim = 0, at = ?, severity = ? WHERE finding_id = ?"
                                  " AND delta_id = ?", (at, severity, finding_id, delta_id))
            return False
        self.conn.execute("INSERT INTO finding_links (finding_id, delta_id, at, severity, interim) VALUES (?,?,?,?,?)",
                          (finding_id, delta_id, at, severity, int(interim)))
        return True

    def checks_since(self, finding_id: str, since: float) -> int:
        """Deltas (final verdicts, not interim checks) that raised the finding since ``since``."""
        (n,) = self.conn.execute(
            "SELECT COUNT(*) FROM finding_links WHERE finding_id = ? AND interim = 0 AND at >= ?",
            (finding_id, since)).fetchone()
        return int(n)

    def deltas(self, finding_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The latest deltas that raised the finding, with their verdict's ref and model when stored."""
        rows = self.conn.execute(
            "SELECT l.delta_id, l.at, l.severity, l.interim, v.ref, v.model FROM finding_links l"
            " LEFT JOIN verdicts v ON v.delta_id = l.delta_id WHERE l.finding_id = ? ORDER BY l.at DESC LIMIT ?",
            (finding_id, limit))
        keys = ("delta_id", "at", "severity", "interim", "ref", "model")
        return [dict(zip(keys, r, strict=True)) | {"interim": bool(r[3])} for r in rows]

    def sightings(self, *, host: str, category: str, severity: str, since: float) -> list[tuple[int, float, Finding]]:
        """Per-verdict finding rows (``sightings``) of a host, category and severity since ``since``:
        delta id, time and the finding, oldest first."""
        rows = self.conn.execute(
            "SELECT delta_id, checked, summary, evidence, source, signal_id, count, device FROM sightings"
            " WHERE host = ? AND category = ? AND severity = ? AND checked >= ? ORDER BY checked, id",
            (host, category, severity, since))
        return [(delta_id, checked, Finding(severity=severity, category=category, summary=summary, evidence=evidence,
                                            source=source, signal_id=signal_id, count=count,
                                            device=json.loads(device) if device else {}))
                for delta_id, checked, summary, evidence, source, signal_id, count, device in rows]

    # --- events ----------------------------------------------------------------------------

    def add_events(self, events: Iterable[FindingEvent]) -> None:
        """Append to the audit trail (and count each move in ``metrics.FINDING_TRANSITIONS``)."""
        for e in events:
            self.conn.execute(
                f"INSERT INTO finding_events ({_EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                (e.at, e.finding_id, e.suppression_id, e.actor, e.action, e.from_state, e.to_state, e.note))
            bump(self.conn, FINDING_TRANSITIONS, {"action": e.action})

    def events(self, *, finding_id: str | None = None, host: str | None = None, since: float | None = None
               ) -> list[tuple[FindingEvent, FindingKey | None]]:
        """Audit-trail events in time order, each with its finding's key (None for suppression events)."""
        sql = ("SELECT e.at, e.finding_id, e.suppression_id, e.actor, e.action, e.from_state, e.to_state, e.note,"
               " f.host, f.category, f.signal, f.fingerprint, f.device FROM finding_events e"
               " LEFT JOIN findings f ON f.id = e.finding_id WHERE 1=1")
        args: list[Any] = []
        for clause, value in ((" AND e.finding_id = ?", finding_id), (" AND f.host = ?", host),
                              (" AND e.at >= ?", since)):
            if value is not None:
                sql += clause
                args.append(value)
        sql += " ORDER BY e.at, e.id"
        out = []
        for r in self.conn.execute(sql, args):
            event = FindingEvent(at=r[0], actor=r[3], action=r[4], from_state=r[5], to_state=r[6], note=r[7],
                                 finding_id=r[1], suppression_id=r[2])
            key = FindingKey(r[8], r[9], r[10], r[11], _device(r[12])) if r[8] is not None else None
            out.append((event, key))
        return out

    def operator_notes(self, host: str) -> list[OperatorNote]:
        """The notes operators left with the move that put each of the host's findings in its quiet state."""
        marks, states = _in(QUIETED_STATES)
        rows = self.conn.execute(
            "SELECT e.at, e.action, e.note, f.category, f.signal, f.device FROM finding_events e"
            f" JOIN findings f ON f.id = e.finding_id WHERE f.host = ? AND f.state IN ({marks})"
            " AND e.to_state = f.state AND e.at >= f.state_since AND e.note != '' ORDER BY e.at DESC",
            (host, *states))
        out = []
        for at, action, note, category, signal, device in rows:
            key = FindingKey(host, category, signal, "", _device(device))
            out.append(OperatorNote(at, action, f"{category} {key.describe()}", note))
        return out

    # --- suppressions ----------------------------------------------------------------------

    def suppressions(self, *, lifted: bool = False) -> list[Suppression]:
        """Suppressions not lifted (all of them with ``lifted``), oldest first."""
        where = "" if lifted else " WHERE removed IS NULL"
        rows = self.conn.execute(f"SELECT {_SUPPRESSION_COLUMNS} FROM suppressions{where} ORDER BY id")
        return [Suppression(*r) for r in rows]

    def suppression(self, suppression_id: int) -> Suppression:
        """One suppression.

        Raises:
            UnknownFindingError: there is none with this id.
        """
        row = self.conn.execute(f"SELECT {_SUPPRESSION_COLUMNS} FROM suppressions WHERE id = ?",
                                (suppression_id,)).fetchone()
        if row is None:
            raise UnknownFindingError(f"no suppression {suppression_id}: `tasseograph findings suppressions` lists them")
        return Suppression(*row)

    def add_suppression(self, *, host: str, signal: str, reason: str, by: str, now: float,
                        until: float | None) -> Suppression:
        """Store a new suppression and return it (with its id)."""
        row = self.conn.execute(
            "INSERT INTO suppressions (host, signal, reason, created_by, created, until) VALUES (?,?,?,?,?,?)"
            " RETURNING id", (host, signal, reason, by, now, until)).fetchone()
        return self.suppression(int(row[0]))

    def lift(self, suppression_id: int, *, by: str, at: float) -> Suppression:
        """Mark a suppression lifted (kept for the audit trail)."""
        self.conn.execute("UPDATE suppressions SET removed = ?, removed_by = ? WHERE id = ? AND removed IS NULL",
                          (at, by, suppression_id))
        return self.suppression(suppression_id)

    # --- retention -------------------------------------------------------------------------

    def prune(self, before: float) -> int:
        """Delete audit events, lifted suppressions and closed findings (resolved, or dismissed
        without a reminder) older than ``before``; returns the findings deleted."""
        self.conn.execute("DELETE FROM finding_events WHERE at < ?", (before,))
        self.conn.execute("DELETE FROM suppressions WHERE removed IS NOT NULL AND removed < ?", (before,))
        gone = [r[0] for r in self.conn.execute(
            "SELECT id FROM findings WHERE (state = 'resolved' OR (state = 'dismissed' AND remind_at IS NULL))"
            " AND state_since < ? AND last_seen < ?", (before, before))]
        for finding_id in gone:
            self.conn.execute("DELETE FROM finding_links WHERE finding_id = ?", (finding_id,))
            self.conn.execute("DELETE FROM findings WHERE id = ?", (finding_id,))
        return len(gone)


def _device(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(json.loads(text).items())) if text else ()


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row(r: FindingRecord, now: float) -> tuple[Any, ...]:
    k = r.key
    return (r.id, k.host, k.category, k.signal, k.fingerprint, _dumps(dict(k.device)), r.source, r.summary,
            r.severity, r.max_severity, r.state, r.state_since, r.first_seen, r.last_seen, r.times_seen,
            r.occurrences, r.regressions, r.quieted_severity, r.snoozed_until, r.dismiss_reason, r.remind_at,
            r.resolved_reason, r.judgement, r.judged_at, r.clean_checks, _dumps([s.to_dict() for s in r.samples]),
            _dumps(r.labels), _dumps(r.members), _dumps(r.details), now)


def _record(row: Sequence[Any]) -> FindingRecord:
    v = dict(zip(_COLUMNS, row, strict=True))
    key = FindingKey(v["host"], v["category"], v["signal"], v["fingerprint"], _device(v["device"]))
    return FindingRecord(
        key=key, source=v["source"], summary=v["summary"], severity=v["severity"], max_severity=v["max_severity"],
        state=v["state"], state_since=v["state_since"], first_seen=v["first_seen"], last_seen=v["last_seen"],
        times_seen=v["times_seen"], occurrences=v["occurrences"], regressions=v["regressions"],
        samples=[Sample.from_dict(s) for s in json.loads(v["samples"])], quieted_severity=v["quieted_severity"],
        snoozed_until=v["snoozed_until"], dismiss_reason=v["dismiss_reason"], remind_at=v["remind_at"],
        resolved_reason=v["resolved_reason"], judgement=v["judgement"], judged_at=v["judged_at"],
        clean_checks=v["clean_checks"], labels=json.loads(v["labels"]), members=json.loads(v["members"]),
        details=json.loads(v["details"]),
    )
