"""Every read the fleet page makes of the runner's state, read-only, on SQLite or PostgreSQL.

The views never see SQL: they call the named methods of :class:`StateReader`, which return the
findings layer's records or the small dataclasses below. Reads go through the storage interface
(``tasseograph.store.Store``: ``hosts``, ``queue_stats``, ``spent``, ``get_meta``, and
``FindingStore``'s queries); the few statements written here are portable SQL (``?``
parameters, ``LIMIT``) run on ``Store.reader``, so both backends take them.

Tables that a newer runner adds (the fleet signals' ``fleet_tracks``) are read through methods
that return nothing while the table is absent, so the page shows those sections only when the
state has them.

Opening never writes: a missing, damaged or empty file (or database), or one of a schema
version this tasseograph does not read, is one :class:`~tasseograph.errors.StateError` line
saying what to do.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasseograph.findings.identity import FindingKey
from tasseograph.findings.record import OPEN_STATES, FindingEvent, FindingRecord
from tasseograph.findings.suppression import Suppression
from tasseograph.fleet.counters import Track
from tasseograph.runner import metrics
from tasseograph.store import open_store, shown, store_errors
from tasseograph.store.readable import readable_version
from tasseograph.store.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

MIN_SCHEMA = 4
"""The oldest state schema the page reads (version 4 added the findings with a lifecycle)."""
HEALTH_COUNTERS = (metrics.API_ERRORS, metrics.REPLY_ERRORS, metrics.ALERT_POST_ERRORS, metrics.SPOOL_QUARANTINED)
"""Counters the health panel shows, summed over their labels."""
TIMELINE_DELTAS = 500
"""Most deltas per finding read for a timeline (the newest)."""


@dataclass(frozen=True)
class HostCheck:
    """A host's last check, as the runner's ``hosts`` table keeps it."""

    host: str
    last_check: float | None
    last_status: str | None
    last_anomaly: float | None


@dataclass(frozen=True)
class CheckRow:
    """One stored verdict of a host."""

    delta_id: int
    checked: float
    status: str
    model: str
    fallback: str | None
    """Why the catalogue judged instead of the model (``budget``, ``circuit``...), or None."""
    ref: str
    cost_usd: float


@dataclass(frozen=True)
class Health:
    """The runner's own state: is it running, keeping up, within budget, reaching the model?"""

    queue_depth: int
    queue_oldest_age: float
    spent_day: float
    spent_month: float
    budget_exhausted: str | None
    """``day`` or ``month`` while a spend cap holds the model back, else None."""
    circuit: str
    """``closed``, ``open`` or ``half_open``."""
    circuit_failures: int
    circuit_opened_at: float | None
    last_run: float | None
    alerts_firing: int
    alerts_unsent: int
    """Alert transitions in the outbox, not yet posted to Alertmanager."""
    counters: dict[str, float] = field(default_factory=dict)
    """``HEALTH_COUNTERS`` by name (0 when never counted)."""


@dataclass(frozen=True)
class FindingDetail:
    """One finding with everything its page shows."""

    record: FindingRecord
    alert: dict[str, Any] | None
    suppressed_by: Suppression | None
    events: list[tuple[FindingEvent, FindingKey | None]]
    deltas: list[dict[str, Any]]


def check_readable(location: Path | str) -> int:
    """The schema version of the state at ``location`` (a file or a ``postgresql://`` URL), once it
    is known to be readable by the page (``store.readable.readable_version``).

    Raises:
        StateCorruptError: the file is not an SQLite database or was cut short.
        StateError: there is no file (or the database cannot be reached), it holds no state yet,
            or its schema is one this tasseograph does not read.
    """
    return readable_version(location, min_version=MIN_SCHEMA, too_old=(
        f"older than this page reads ({MIN_SCHEMA} to {SCHEMA_VERSION}): the runner upgrades it, after a backup, "
        "on its next pass (`tasseograph run --once` with its config)"))


@contextmanager
def open_reader(location: Path | str) -> Iterator[StateReader]:
    """A :class:`StateReader` on ``location`` for one page; either engine's errors become one
    StateError line.

    Raises:
        StateError: see :func:`check_readable`; or the store failed while it was read.
    """
    version = check_readable(location)
    with store_errors(location):
        reader = StateReader(location, version)
        try:
            yield reader
        finally:
            reader.close()


class StateReader:
    """The named reads of the fleet page (see the module docstring). One per request: not thread-safe."""

    def __init__(self, location: Path | str, version: int) -> None:
        self.path = shown(location)
        """Where the state is, fit for a message."""
        self.version = version
        self._state = open_store(location, readonly=True)
        self._findings = self._state.findings()

    def close(self) -> None:
        """Close the connection."""
        self._state.close()

    # --- hosts -----------------------------------------------------------------------------

    def hosts(self) -> dict[str, HostCheck]:
        """Every host the runner has judged, with its last check."""
        return {h: HostCheck(h, *row) for h, row in self._state.hosts().items()}

    def recent_checks(self, host: str, limit: int = 50) -> list[CheckRow]:
        """The host's latest stored verdicts, newest first."""
        rows = self._state.reader.execute(
            "SELECT delta_id, checked, status, model, fallback, ref, cost_usd FROM verdicts WHERE host = ?"
            " ORDER BY checked DESC, delta_id DESC LIMIT ?", (host, limit))
        return [CheckRow(*r) for r in rows]

    # --- findings --------------------------------------------------------------------------

    def open_findings(self) -> list[FindingRecord]:
        """Every open finding (active, regressed, acknowledged, snoozed), most recently seen first."""
        return self._findings.query(states=sorted(OPEN_STATES))

    def findings(self, *, host: str | None = None, states: Sequence[str] = (), severity: str | None = None,
                 category: str | None = None, since: float | None = None, limit: int | None = None
                 ) -> list[FindingRecord]:
        """Findings matching every filter given, most recently seen first (``host`` may be a glob)."""
        return self._findings.query(host=host, states=states, severity=severity, category=category, since=since,
                                    limit=limit)

    def suppressions(self) -> list[Suppression]:
        """Suppressions not lifted (the caller checks which are still in force)."""
        return self._findings.suppressions()

    def finding(self, ref: str, now: float) -> FindingDetail:
        """The finding an id or a unique id prefix names, with its alert, events and deltas.

        Raises:
            UnknownFindingError: no finding matches, or the prefix matches several.
        """
        record = self._findings.find(ref)
        rule = next((s for s in self.suppressions() if s.matches(record.key, now=now)), None)
        return FindingDetail(record, self._findings.alert_summary(self._findings.alert_of(record.id)), rule,
                             self._findings.events(finding_id=record.id),
                             self._findings.deltas(record.id, limit=TIMELINE_DELTAS))

    def host_events(self, host: str, since: float | None = None) -> list[tuple[FindingEvent, FindingKey | None]]:
        """The audit trail of the host's findings, in time order."""
        return self._findings.events(host=host, since=since)

    def deltas_of(self, finding_id: str, limit: int = TIMELINE_DELTAS) -> list[dict[str, Any]]:
        """The newest deltas that raised a finding, with their verdict's ref and model."""
        return self._findings.deltas(finding_id, limit=limit)

    # --- the runner's health ---------------------------------------------------------------

    def health(self, now: float) -> Health:
        """Queue, spend, circuit breaker, last run, alerts and error counters, as of ``now``."""
        depth, oldest = self._state.queue_stats(now)
        day, month = self._state.spent(now)
        budget = self._state.get_meta("budget") or {}
        circuit = self._state.get_meta("circuit") or {}
        last_run = self._state.get_meta("last_run")
        conn = self._state.reader
        (firing,) = conn.execute("SELECT COUNT(*) FROM alerts WHERE state = 'firing'").fetchone()
        (unsent,) = conn.execute("SELECT COUNT(*) FROM alert_outbox").fetchone()
        return Health(
            queue_depth=depth, queue_oldest_age=oldest, spent_day=day, spent_month=month,
            budget_exhausted=budget.get("exhausted") or None, circuit=str(circuit.get("state", "closed")),
            circuit_failures=int(circuit.get("failures", 0)),
            circuit_opened_at=float(circuit["opened_at"]) if circuit.get("opened_at") else None,
            last_run=float(last_run) if last_run else None, alerts_firing=int(firing), alerts_unsent=int(unsent),
            counters=self.counters(HEALTH_COUNTERS))

    def counters(self, names: Sequence[str]) -> dict[str, float]:
        """Persistent counters by name, summed over their labels (0 when never counted)."""
        totals = dict.fromkeys(names, 0.0)
        if not names:
            return totals
        marks = ", ".join("?" for _ in names)
        for name, value in self._state.reader.execute(f"SELECT name, value FROM counters WHERE name IN ({marks})",
                                                    tuple(names)):
            totals[name] += float(value)
        return totals

    # --- fleet signals (tables a newer runner adds) ----------------------------------------

    def device_counters(self, host: str) -> list[Track]:
        """The host's counted streams (a signal on one device, a threshold rule's unit), busiest first;
        empty when the state has no fleet counters (``fleet_tracks``)."""
        rows = self._optional("SELECT data FROM fleet_tracks WHERE host = ?", (host,))
        tracks = []
        for (data,) in rows:
            try:
                tracks.append(Track.from_dict(json.loads(data)))
            except (ValueError, KeyError, TypeError) as exc:  # a row of another shape: leave it out, say so
                log.warning("%s: a fleet_tracks row of %s could not be read (%s)", self.path, host, exc)
        return sorted(tracks, key=lambda t: (-t.history.total, t.name, sorted(t.device.items())))

    def _optional(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of a query on a table older states lack (none when it is absent)."""
        try:
            return list(self._state.reader.execute(sql, tuple(args)))
        except Exception as exc:  # SQLite's OperationalError, psycopg's UndefinedTable
            if "no such table" in str(exc) or type(exc).__name__ == "UndefinedTable":
                return []
            raise
