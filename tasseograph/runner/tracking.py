"""The runner's side of findings: verdicts in; records, audit events and per-finding alerts out.

Every method works inside the caller's transaction: the verdict's (``State.finish`` or an
interim check), the cycle's sweep, or an operator's move from the CLI, so a finding's record,
its events, its links, its counters and its alert change commit together or not at all (a
``kill -9`` leaves the old state or the new one).

* :meth:`FindingTracker.verdict`: each of the verdict's findings becomes a sighting of its key
  (``tasseograph.findings.identity``); a delta is counted once per finding even when an interim
  check saw it first; then every open finding of the host is re-checked
  (``tasseograph.findings.resolution``) and alerts follow. Fleet findings are not re-checked
  there: a delta without a DIMM's errors says nothing about its rate (``runner/fleetwatch.py``
  resolves them by their own rule).
* :meth:`FindingTracker.sightings`: findings from other sources (fleet rules: thresholds,
  trends, correlated groups) through the same lifecycle. Each sighting counts once: pass one when
  the rule fires (a crossing, a group formed or grown), not at every cycle. A rule whose
  condition clears resolves its finding with :meth:`move` and ``lifecycle.resolve`` (actor
  ``SYSTEM_ACTOR``, reason ``recovery``).
* :meth:`FindingTracker.sweep`: snoozes that ended and reminders that fell due, suppressions
  that lapsed, open findings gone quiet (``uncertain``), alerts that must fire or end, the
  audit trail's retention, and the one-time adoption of alerts from before findings existed.
* :meth:`FindingTracker.move`, :meth:`suppress`, :meth:`unsuppress`: the operators' moves. They
  end alerts at once; firing again is left to the runner's next sweep, which labels alerts with
  the runner's own configuration.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tasseograph.errors import FindingError
from tasseograph.findings import lifecycle
from tasseograph.findings.identity import FLEET_PREFIX
from tasseograph.findings.notes import prompt_notes
from tasseograph.findings.record import SYSTEM_ACTOR, FindingEvent, FindingRecord, Sighting
from tasseograph.findings.resolution import Check, ResolutionSettings, recheck, recovered
from tasseograph.findings.sightings import last_lines, sightings_of
from tasseograph.findings.suppression import Suppression, matching
from tasseograph.runner import alerts
from tasseograph.runner.findingstore import FindingStore
from tasseograph.schema import Delta, Verdict

DAY = 86400.0
DEFAULT_RETENTION = 400 * DAY


@dataclass(frozen=True)
class Moved:
    """What an operator's move did."""

    record: FindingRecord
    event: FindingEvent


class FindingTracker:
    """Findings for the runner (see the module docstring)."""

    def __init__(self, rules: alerts.AlertRules, *, retention: float = DEFAULT_RETENTION) -> None:
        self.rules = rules
        self.retention = retention
        self.settings = ResolutionSettings(clean_checks=rules.resolve_after_checks, quiet=rules.resolve_after,
                                           uncertain_after=rules.resolve_quiet)

    # --- the runner --------------------------------------------------------------------------

    def verdict(self, conn: sqlite3.Connection, *, host: str, delta_id: int, ref: str, delta: Delta,
                verdict: Verdict, now: float, interim: bool = False) -> list[FindingRecord]:
        """Record a verdict's findings and re-check the host's open ones; returns the findings changed.

        ``interim`` marks a signals-only check of a still-queued delta: its findings are counted
        (once, with the final verdict) and may page, but it re-checks nothing (it is not a check).
        """
        store = FindingStore(conn)
        seen = sightings_of(host, verdict, at=now, ref=ref)
        changed, events = self._observe(store, seen, now, delta_id=delta_id, interim=interim)
        if not interim:
            # Fleet findings clear by their own rule (the fleet sweep), not by a check of one delta.
            opened = {r.id: r for r in store.open_for_host(host) if not r.key.signal.startswith(FLEET_PREFIX)}
            opened.update((i, r) for i, r in changed.items() if r.is_open)
            check = Check(now, len(delta.lines), frozenset(s.key.id for s in seen),
                          recovered(delta.lines, opened.values(), last_lines(delta.lines, seen)))
            for record in opened.values():
                events.extend(recheck(record, check, self.settings))
                changed[record.id] = record
        self._commit(store, changed.values(), events, now)
        return list(changed.values())

    def sightings(self, conn: sqlite3.Connection, sightings: Sequence[Sighting], now: float) -> list[FindingRecord]:
        """Findings from a source other than a verdict (a fleet rule): each sighting counts once."""
        store = FindingStore(conn)
        changed, events = self._observe(store, sightings, now)
        self._commit(store, changed.values(), events, now)
        return list(changed.values())

    def sweep(self, conn: sqlite3.Connection, now: float) -> None:
        """The cycle's upkeep (see the module docstring)."""
        store = FindingStore(conn)
        changed: dict[str, FindingRecord] = {}
        events: list[FindingEvent] = []
        for record in store.to_wake(now):
            event = lifecycle.wake(record, now)
            if event is not None:
                events.append(event)
                changed[record.id] = record
        if self.settings.uncertain_after > 0:
            for record in store.stale_present(now - self.settings.uncertain_after):
                record.judgement, record.judged_at = "uncertain", now
                changed[record.id] = record
        events.extend(self._lapse(store, now))
        self._adopt_legacy(store, now)
        store.save(changed.values(), now)
        store.add_events(events)
        self._sync(store, store.alert_candidates(), now, refresh=False)
        store.prune(now - self.retention)

    def host_notes(self, conn: sqlite3.Connection, host: str) -> str:
        """The operators' notes on the host's quieted findings, as prompt notes (empty: none)."""
        return prompt_notes(FindingStore(conn).operator_notes(host))

    # --- operators ---------------------------------------------------------------------------

    def move(self, conn: sqlite3.Connection, ref: str, apply: Callable[[FindingRecord], FindingEvent],
             now: float) -> Moved:
        """Apply an operator's move (a ``tasseograph.findings.lifecycle`` function bound to its
        arguments) to the finding ``ref`` names; its alert ends when it no longer pages.

        Raises:
            UnknownFindingError: ``ref`` names no finding.
            IllegalMoveError: the finding's state forbids the move.
        """
        store = FindingStore(conn)
        record = store.find(ref)
        event = apply(record)
        store.save([record], now)
        store.add_events([event])
        self._sync(store, [record], now, fire=False, why={record.id: _why(event)})
        return Moved(record, event)

    def suppress(self, conn: sqlite3.Connection, *, host: str, signal: str, reason: str, by: str, now: float,
                 until: float | None = None) -> tuple[Suppression, list[FindingRecord]]:
        """Add a suppression; the alerts of the findings it matches end now. Returns it and them."""
        store = FindingStore(conn)
        rule = store.add_suppression(host=host, signal=signal, reason=reason, by=by, now=now, until=until)
        hit = [r for r in store.query() if rule.matches(r.key, now=now)]
        note = f"host {host}, signal {signal}: {reason}" + (f" (until {lifecycle.stamp(until)})" if until else "")
        events = [FindingEvent(now, by, "suppressed", "", "", note, suppression_id=rule.id)]
        events += [FindingEvent(now, by, "suppressed", r.state, r.state, f"by suppression {rule.id}: {reason}",
                                r.id, rule.id) for r in hit if r.is_open]
        store.add_events(events)
        self._sync(store, hit, now, fire=False, why={r.id: f"suppressed by {by}: {reason}" for r in hit})
        return rule, hit

    def unsuppress(self, conn: sqlite3.Connection, suppression_id: int, *, by: str, now: float) -> Suppression:
        """Lift a suppression (its findings page again from the runner's next sweep, if they should).

        Raises:
            UnknownFindingError: there is no such suppression.
            FindingError: it was already lifted or had lapsed.
        """
        store = FindingStore(conn)
        rule = store.suppression(suppression_id)
        if not rule.in_force(now):
            when = rule.removed if rule.removed is not None else rule.until
            raise FindingError(f"suppression {suppression_id} is no longer in force (since "
                               f"{lifecycle.stamp(when or now)})")
        rule = store.lift(suppression_id, by=by, at=now)
        store.add_events([FindingEvent(now, by, "unsuppressed", "", "", f"host {rule.host}, signal {rule.signal}",
                                       suppression_id=rule.id)])
        return rule

    # --- inside ------------------------------------------------------------------------------

    def _observe(self, store: FindingStore, seen: Iterable[Sighting], now: float, *, delta_id: int | None = None,
                 interim: bool = False) -> tuple[dict[str, FindingRecord], list[FindingEvent]]:
        changed: dict[str, FindingRecord] = {}
        events: list[FindingEvent] = []
        for sighting in seen:
            if delta_id is not None and not store.link(sighting.key.id, delta_id, now, sighting.severity,
                                                         interim=interim):
                continue
            record = changed.get(sighting.key.id) or store.get(sighting.key.id)
            if record is None:
                record, opened = lifecycle.open_finding(sighting)
                events.extend(opened)
            else:
                events.extend(lifecycle.observe(record, sighting))
            changed[record.id] = record
        return changed, events

    def _commit(self, store: FindingStore, records: Iterable[FindingRecord], events: list[FindingEvent],
                now: float) -> None:
        records = list(records)
        store.save(records, now)
        store.add_events(events)
        self._sync(store, records, now, why={e.finding_id: _why(e) for e in events if e.finding_id})

    def _sync(self, store: FindingStore, records: Iterable[FindingRecord], now: float, *, fire: bool = True,
              why: dict[str, str] | None = None, refresh: bool = True) -> None:
        """Make each finding's alert match ``alerts.wants_page``; with ``fire`` False, only end alerts."""
        suppressions = store.suppressions()
        for record in records:
            fp = store.alert_of(record.id)
            firing = alerts.firing_labels(store.conn, fp) is not None
            if not fire and not firing:
                continue
            suppressed = matching(suppressions, record.key, now) is not None
            recent = 0
            if fire and not firing and record.severity != "critical":
                recent = store.checks_since(record.id, now - self.rules.warning_window)
            page = alerts.wants_page(record, suppressed=suppressed, firing=firing, recent_checks=recent,
                                     rules=self.rules)
            if not fire and page:
                continue  # still paging: its alert stays as the runner labelled it
            new_fp = alerts.sync_finding(store.conn, record, fp, page=page, now=now, rules=self.rules,
                                         why=(why or {}).get(record.id, ""), refresh=refresh)
            if new_fp != fp:
                store.set_alert(record.id, new_fp)

    def _lapse(self, store: FindingStore, now: float) -> list[FindingEvent]:
        events = []
        for rule in store.suppressions():
            if rule.until is not None and rule.until <= now:
                store.lift(rule.id, by=SYSTEM_ACTOR, at=rule.until)
                events.append(FindingEvent(rule.until, SYSTEM_ACTOR, "unsuppressed", "", "",
                                           f"suppression {rule.id} lapsed (host {rule.host}, signal {rule.signal})",
                                           suppression_id=rule.id))
        return events

    def _adopt_legacy(self, store: FindingStore, now: float) -> None:
        """Alerts from before version 4 become findings: each firing host/category/severity alert is
        ended, and the sightings behind it since it started open findings that page in its place."""
        for fp, labels, starts_at in alerts.legacy_alerts(store.conn):
            host, category, severity = labels.get("host", ""), labels.get("category", ""), labels.get("severity", "")
            for delta_id, checked, finding in store.sightings(host=host, category=category, severity=severity,
                                                               since=starts_at):
                verdict = Verdict(status=finding.severity, findings=[finding], host=host)
                changed, events = self._observe(store, sightings_of(host, verdict, at=checked), checked,
                                                delta_id=delta_id)
                store.save(changed.values(), now)
                store.add_events(events)
            alerts.resolve(store.conn, fp, now, ended="replaced by one alert per finding (tasseograph upgrade)")


def _why(event: FindingEvent) -> str:
    who = "" if event.actor == SYSTEM_ACTOR else f" by {event.actor}"
    return f"{event.action}{who}" + (f": {event.note}" if event.note else "")
