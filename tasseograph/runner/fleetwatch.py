"""The runner's fleet signals: every delta's catalogue hits counted, trended and correlated over time.

``FleetWatch`` holds one ``tasseograph.fleet.FleetMonitor`` for the whole fleet, loaded once
from the state's fleet tables (``fleetstore.py``) and kept in memory between verdicts:

* :meth:`FleetWatch.observe` runs inside the transaction that stores a delta's verdict (or its
  interim check, whichever comes first: a delta is counted once). The host's clock dates every
  line from the lines themselves (wall stamps, boot anchors; a line with neither is dated by
  when the lines reached the collector, a spool file's mtime, not by when the runner read
  them), the prepared hits become counted observations, and the events they cause become
  fleet findings (``fleetfindings.py``) through ``FindingTracker.sightings``. What the delta
  changed is written per host and per stream, in the same transaction, so a ``kill -9`` leaves
  the old fleet state with the old verdicts or the new with the new.
* :meth:`FleetWatch.sweep` runs in the cycle's upkeep at most once per ``SWEEP_EVERY_S``: old
  history is forgotten, rising streams re-tested, and fleet findings whose condition cleared
  are resolved.

If a transaction fails after the monitor changed, the runner calls :meth:`discard` and the next
use reads the committed state again, so memory never runs ahead of the file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from tasseograph.findings import lifecycle
from tasseograph.findings.record import OPEN_STATES, SYSTEM_ACTOR, FindingRecord, Sighting
from tasseograph.fleet import (
    CorrelatedGroup,
    FleetMonitor,
    FleetSettings,
    GroupChange,
    Inventory,
    LineTime,
    PatternFound,
    ThresholdCrossed,
    TrendRising,
    observations,
)
from tasseograph.fleet import correlation as correlation_state
from tasseograph.fleet import counters as counters_state
from tasseograph.fleet import monitor as monitor_state
from tasseograph.fleet.counters import track_key
from tasseograph.runner.findingstore import FindingStore
from tasseograph.runner.fleetfindings import (
    GROUP_PREFIX,
    SIGNAL_QUIET_S,
    Evidence,
    StreamEvent,
    group_cleared,
    group_sighting,
    is_fleet,
    stream_cleared,
    stream_name,
    stream_sighting,
)
from tasseograph.runner.fleetstore import EventKey, EventRow, FleetStore, GroupRow
from tasseograph.runner.tracking import FindingTracker
from tasseograph.schema import Delta
from tasseograph.signals import SignalHit, classify

VERSIONS = {"monitor": monitor_state.STATE_VERSION, "counters": counters_state.STATE_VERSION,
            "correlation": correlation_state.STATE_VERSION}
"""Versions of the fleet logic's saved forms the rows hold (another version is refused, not misread)."""
SWEEP_EVERY_S = 3600.0
"""Upkeep (history pruned, rising streams re-tested, cleared findings resolved) at most this often."""


class FleetWatch:
    """Fleet signals for the runner (see the module docstring)."""

    def __init__(self, settings: FleetSettings, inventory: Inventory, *, sweep_every: float = SWEEP_EVERY_S) -> None:
        self.settings, self.inventory, self.sweep_every = settings, inventory, sweep_every
        self._monitor: FleetMonitor | None = None
        self._tracks: dict[str, str] = {}
        """Track key -> its JSON as stored."""
        self._events: dict[EventKey, str | None] = {}
        """Correlator event -> its group, as stored."""
        self._lines: dict[EventKey, tuple[str, str]] = {}
        """Correlator event -> the line and delta ref it came from."""
        self._groups: dict[str, tuple[str, str, str]] = {}
        """Group id -> scope, category and JSON as stored."""
        self._meta: dict[str, Any] = {}

    # --- state -------------------------------------------------------------------------------

    def monitor(self, conn: sqlite3.Connection) -> FleetMonitor:
        """The fleet monitor, read from the state on first use (or after :meth:`discard`)."""
        if self._monitor is None:
            self._monitor = self._load(FleetStore(conn))
        return self._monitor

    def discard(self) -> None:
        """Forget what is in memory (a transaction failed): the next use reads the state again."""
        self._monitor = None

    def _load(self, store: FleetStore) -> FleetMonitor:
        loaded = store.load()
        tracks = {key: json.loads(text) for key, (_, text) in loaded.tracks.items()}
        versions = loaded.meta.get("versions") or VERSIONS
        data = {
            "version": versions.get("monitor"),
            "clocks": loaded.clocks,
            "counters": {"version": versions.get("counters"), "hosts_since": loaded.since,
                         "tracks": list(tracks.values())},
            "correlation": {"version": versions.get("correlation"), "watermark": loaded.meta.get("watermark"),
                            "known": loaded.meta.get("known", []),
                            "events": [{"host": e.host, "category": e.category, "signal_id": e.signal_id, "at": e.at,
                                        "group": e.group_id} for e in loaded.events],
                            "groups": [g.data for g in loaded.groups]},
        }
        monitor = FleetMonitor.from_dict(data, self.inventory, self.settings)
        # What is stored, as the diffs below compare it (today's settings may have dropped tracks).
        self._tracks = {key: text for key, (_, text) in loaded.tracks.items() if key in monitor.counters.tracks}
        self._events = {e.ident: e.group_id for e in loaded.events}
        self._lines = {e.ident: (e.line, e.ref) for e in loaded.events}
        self._groups = {g.id: (g.scope, g.category, _json(g.data)) for g in loaded.groups}
        self._meta = dict(loaded.meta)
        return monitor

    # --- a delta -----------------------------------------------------------------------------

    def observe(self, conn: sqlite3.Connection, tracker: FindingTracker, *, ref: str, delta: Delta,
                hits: Sequence[SignalHit], received: float, boot_id: str | None, now: float) -> list[FindingRecord]:
        """Count one delta's hits (inside the caller's transaction); returns the fleet findings changed.

        Args:
            ref: the delta's ref (its verdict row carries the same), for the findings' evidence.
            delta: the host's lines (``delta.host`` names the host).
            hits: the prepared hits (muted ones left out), detected once per delta.
            received: when the lines reached the collector (dates lines without a usable stamp).
            boot_id: the boot the lines belong to, when the source knows it.
            now: the runner's time (the findings' and alerts' clock).
        """
        monitor = self.monitor(conn)
        store = FleetStore(conn)
        self._set_meta(store, "versions", VERSIONS)
        host = delta.host
        times = monitor.stamp(delta, received=received, boot_id=boot_id)
        observed = observations(host, delta.lines, hits, times)
        store.save_host(host, monitor.clock(host).to_dict(), monitor.counters.hosts_since.get(host), now, counted=1)
        if not observed:
            return []
        events = monitor.count(observed)
        fed = _fed_lines(delta, hits, times, ref)
        self._save_tracks(store, [k for k in monitor.counters.tracks if _of_host(k, host)], host=host, now=now)
        changes = [e for e in events if isinstance(e, GroupChange)]
        scopes = self._save_correlation(store, monitor, changes, fed)
        sightings = [self._stream_sighting(monitor, e, fed, now, ref)
                     for e in events if isinstance(e, ThresholdCrossed | TrendRising | PatternFound)]
        latest = {change.group.id: change.group for change in changes}  # formed and grown in one delta: one sighting
        sightings += [self._group_sighting(monitor, group, scopes[gid], now, ref) for gid, group in latest.items()]
        return tracker.sightings(conn, sightings, now) if sightings else []

    def _stream_sighting(self, monitor: FleetMonitor, event: StreamEvent, fed: Sequence[Fed], now: float,
                         ref: str) -> Sighting:
        """The event's sighting, with the lines of this delta that fed its stream as evidence."""
        name, unit = stream_name(event)
        rule = monitor.counters.rules.get(name) if isinstance(event, ThresholdCrossed) or (
            isinstance(event, TrendRising) and event.track == "rule") else None
        evidence = [f.evidence for f in fed
                    if (rule.applies(f.signal_id, f.severity) if rule is not None else f.signal_id == name)
                    and all(f.device.get(k) == v for k, v in unit.items())]
        return stream_sighting(event, evidence, now=now, ref=ref)

    def _group_sighting(self, monitor: FleetMonitor, group: CorrelatedGroup, scope: tuple[str, str], now: float,
                        ref: str) -> Sighting:
        """The group's sighting, with each member's first line in it as evidence."""
        first: dict[str, Evidence] = {}
        for held in monitor.correlator.held.get(group.key, []):
            ident = (held.event.host, held.event.signal_id, held.event.at)
            if held.group == group.id and held.event.host not in first and ident in self._lines:
                line, where = self._lines[ident]
                first[held.event.host] = Evidence(held.event.host, where, line, held.event.at)
        evidence = sorted(first.values(), key=lambda e: (e.at, e.host))
        return group_sighting(group, scope=scope[0], category=scope[1], evidence=evidence, now=now, ref=ref,
                              cohorts=self.settings.correlation.cohort_labels)

    # --- persistence -------------------------------------------------------------------------

    def _save_tracks(self, store: FleetStore, keys: Sequence[str], *, host: str | None, now: float) -> None:
        """Write the tracks among ``keys`` that changed, and delete the ones gone (of ``host``, or all)."""
        tracks = self._monitor.counters.tracks if self._monitor is not None else {}
        changed = []
        for key in keys:
            text = _json(tracks[key].to_dict())
            if self._tracks.get(key) != text:
                changed.append((key, tracks[key].host, text))
                self._tracks[key] = text
        gone = [k for k in self._tracks if k not in tracks and (host is None or _of_host(k, host))]
        for key in gone:
            del self._tracks[key]
        store.save_tracks(changed, gone, now)

    def _save_correlation(self, store: FleetStore, monitor: FleetMonitor, changes: Sequence[GroupChange],
                          fed: Sequence[Fed]) -> dict[str, tuple[str, str]]:
        """Write what the correlator changed; returns the scope and category of every group changed."""
        corr = monitor.correlator
        fresh = {(f.evidence.host, f.signal_id, f.evidence.at): (f.evidence.line, f.evidence.ref) for f in fed}
        current = {(h.event.host, h.event.signal_id, h.event.at): (h.event.category, h.group)
                   for bucket in corr.held.values() for h in bucket}
        lines = {ident: self._lines.get(ident) or fresh.get(ident) or ("", "") for ident in current}
        added = [EventRow(*ident, category, group, *lines[ident])
                 for ident, (category, group) in current.items() if ident not in self._events]
        regrouped = [(ident, group) for ident, (_, group) in current.items()
                     if ident in self._events and self._events[ident] != group]
        gone = [ident for ident in self._events if ident not in current]
        store.save_events(added, regrouped, gone)
        self._events = {ident: group for ident, (_, group) in current.items()}
        self._lines = lines
        scopes = {gid: self._groups[gid][:2] if gid in self._groups else (
            f"{c.group.label}={c.group.value}", _category(corr.held.get(c.group.key, []), gid, c.group.key))
            for c in changes for gid in [c.group.id]}
        rows = []
        for gid, group in corr.groups.items():
            text = _json(group.to_dict())
            if gid in self._groups and self._groups[gid][2] == text:
                continue
            scope, category = self._groups[gid][:2] if gid in self._groups else scopes[gid]
            rows.append(GroupRow(gid, scope, category, group.to_dict()))
            self._groups[gid] = (scope, category, text)
        dropped = [gid for gid in self._groups if gid not in corr.groups]
        for gid in dropped:
            del self._groups[gid]
        store.save_groups(rows, dropped)
        self._set_meta(store, "watermark", corr.watermark)
        self._set_meta(store, "known", sorted(set(corr.known) - set(self.inventory.hosts)))
        return scopes

    def _set_meta(self, store: FleetStore, key: str, value: Any) -> None:
        if key not in self._meta or self._meta[key] != value:
            store.set_meta(key, value)
            self._meta[key] = value

    # --- upkeep ------------------------------------------------------------------------------

    def sweep(self, conn: sqlite3.Connection, tracker: FindingTracker, now: float) -> list[FindingRecord]:
        """Hourly upkeep (inside the caller's transaction); returns the fleet findings it resolved."""
        monitor = self.monitor(conn)
        swept = self._meta.get("swept_at")
        if swept is not None and now - float(swept) < self.sweep_every:
            return []
        store = FleetStore(conn)
        monitor.sweep(now)
        self._save_tracks(store, list(monitor.counters.tracks), host=None, now=now)
        self._set_meta(store, "swept_at", now)
        return self._resolve(conn, tracker, store, monitor, now)

    def _resolve(self, conn: sqlite3.Connection, tracker: FindingTracker, store: FleetStore, monitor: FleetMonitor,
                 now: float) -> list[FindingRecord]:
        findings = FindingStore(conn)
        records = [r for r in findings.query(states=sorted(OPEN_STATES)) if is_fleet(r.key)]
        if not records:
            return []
        checks = store.last_checks()
        resolved = []
        for record in records:
            if record.key.signal.startswith(GROUP_PREFIX):
                members = [r for host in record.members for r in findings.open_for_host(host)]
                note = group_cleared(record, watermark=monitor.correlator.watermark,
                                     window_s=self.settings.correlation.window_s, open_members=members)
                reason = "recovery"
            else:
                note = self._stream_note(monitor, record, checks.get(record.key.host), now)
                reason = "clean_recheck"
            if note is not None:
                move = partial(lifecycle.resolve, reason=reason, by=SYSTEM_ACTOR, note=note, now=now)
                resolved.append(tracker.move(conn, record.id, move, now).record)
        return resolved

    def _stream_note(self, monitor: FleetMonitor, record: FindingRecord, last_check: float | None,
                     now: float) -> str | None:
        name = record.key.signal.removeprefix("fleet.")
        rule = monitor.counters.rules.get(name)
        device = record.key.device_dict
        key = track_key("rule", record.key.host, name, device) if rule is not None else \
            track_key("signal", record.key.host, name, device)
        quiet = rule.period_s if rule is not None else SIGNAL_QUIET_S
        return stream_cleared(monitor.counters.tracks.get(key), quiet_s=quiet, now=now, last_check=last_check,
                              last_seen=record.last_seen)


@dataclass(frozen=True)
class Fed:
    """One line a hit counted (as ``observations`` counts them), with what the evidence needs."""

    signal_id: str
    severity: str
    device: dict[str, str]
    evidence: Evidence


def _fed_lines(delta: Delta, hits: Sequence[SignalHit], times: Sequence[LineTime], ref: str) -> list[Fed]:
    """The hits' own lines: those ``fleet.observations`` counts (context lines left out)."""
    out: list[Fed] = []
    for hit in hits:
        own = [i for i in hit.line_indices if classify(delta.lines[i].message) == hit.signal_id] \
            or list(hit.line_indices[:1])
        device = dict(getattr(hit, "device", None) or {})
        out.extend(Fed(hit.signal_id, hit.severity, device,
                       Evidence(delta.host, ref, delta.lines[i].evidence, times[i].at)) for i in own)
    return out


def _category(held: Sequence[Any], gid: str, key: str) -> str:
    return next((h.event.category for h in held if h.group == gid), key)


def _of_host(track: str, host: str) -> bool:
    return track.startswith((f"signal|{host}|", f"rule|{host}|"))


def _json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))
