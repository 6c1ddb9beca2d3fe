"""Counters per (host, device, signal) and per threshold unit, driven by the time passed in.

``FleetCounters.observe`` takes an ``Observation`` (a signal's errors on one device at one
time) and returns the events it caused:

* ``ThresholdCrossed``: a threshold rule's unit (a DIMM, a socket, a page) overflowed its leaky
  bucket (``fleet.bucket``); every applicable rule counts the observation.
* ``TrendRising``: the stream's rate turned rising (``fleet.trends``). One stream per
  observation is tested: the unit of the first rule that counts it (its forecast aims at that
  rule's threshold), else the signal on its device. One fault therefore raises one trend, not
  one per rule.
* ``PatternFound``: the signal on its device turned recurring (``fleet.patterns``).

Events fire on transitions only (a stream that stays rising or recurring is not re-reported;
a threshold fires once per overflow), and a stream already reported as recurring does not
report its rise too (its onset made the rate rise; the pattern says more). No clock is read: every time comes from the observations
and from ``sweep(now)``, so 30 simulated days replay in seconds, and the same observations give
the same events and the same ``to_dict()`` whatever order they arrive in within one call to
``observe_many``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tasseograph import devices
from tasseograph.errors import UsageError
from tasseograph.fleet.bucket import LeakyBucket
from tasseograph.fleet.events import Observation, PatternFound, ThresholdCrossed, TrendRising, device_key
from tasseograph.fleet.history import History
from tasseograph.fleet.patterns import Pattern, episode_starts, find_pattern
from tasseograph.fleet.saved import check_saved
from tasseograph.fleet.settings import CounterSettings
from tasseograph.fleet.thresholds import ThresholdRule
from tasseograph.fleet.trends import Trend, assess

FleetEvent = ThresholdCrossed | TrendRising | PatternFound
"""Any event the counters report."""
STATE_VERSION = 1
TREND_EVERY_S = 600.0
"""A stream's trend is re-tested at most this often (a storm must not cost a test a minute)."""
TrackKind = Literal["signal", "rule"]


def device_identity(device: Mapping[str, str]) -> dict[str, str]:
    """The fields that identify the device itself (the vocabulary's detail fields, such as a page, left out)."""
    return {k: v for k, v in devices.identity(device) if v}


@dataclass
class Track:
    """One counted stream: a signal on one device, or one unit of a threshold rule."""

    kind: TrackKind
    host: str
    name: str
    """Signal id (``signal``) or rule id (``rule``)."""
    device: dict[str, str]
    category: str
    history: History = field(default_factory=History)
    bucket: LeakyBucket | None = None
    signals: list[str] = field(default_factory=list)
    """Signal ids seen on a rule's unit."""
    rising: bool = False
    recurring: bool = False
    tested_at: float | None = None
    """When the trend was last tested at an observation."""

    @property
    def key(self) -> str:
        """See ``track_key``."""
        return track_key(self.kind, self.host, self.name, self.device)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``from_dict`` reads it back)."""
        return {"kind": self.kind, "host": self.host, "name": self.name, "device": dict(self.device),
                "category": self.category, "history": self.history.to_dict(),
                "bucket": None if self.bucket is None else self.bucket.to_dict(),
                "signals": list(self.signals), "rising": self.rising, "recurring": self.recurring,
                "tested_at": self.tested_at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Track:
        """The track ``to_dict`` saved."""
        bucket = data.get("bucket")
        return cls(data["kind"], data["host"], data["name"], dict(data["device"]), data["category"],
                   History.from_dict(data["history"]), None if bucket is None else LeakyBucket.from_dict(bucket),
                   list(data.get("signals", [])), bool(data.get("rising")), bool(data.get("recurring")),
                   data.get("tested_at"))


def track_key(kind: str, host: str, name: str, device: Mapping[str, str]) -> str:
    """The key of a track: ``kind|host|name|k=v,...`` (a signal track's device is its identity,
    a rule track's device its unit)."""
    return f"{kind}|{host}|{name}|{device_key(device)}"


class FleetCounters:
    """Per-device counters, thresholds, trends and recurring patterns for a whole fleet.

    Example:
        >>> counters = FleetCounters()
        >>> counters.see_host("db-17", at=t0)           # when the host's lines start
        >>> for event in counters.observe(Observation("db-17", "edac.ce", "memory", "warning",
        ...                                            at=t, device={"dimm": "CPU1_DIMM_B2"})):
        ...     print(event.summary())
    """

    def __init__(self, settings: CounterSettings | None = None) -> None:
        self.settings = settings or CounterSettings()
        self.rules: dict[str, ThresholdRule] = {r.id: r for r in self.settings.thresholds}
        self.tracks: dict[str, Track] = {}
        self.hosts_since: dict[str, float] = {}

    # --- input -----------------------------------------------------------------------------

    def see_host(self, host: str, at: float) -> None:
        """Note that ``host``'s lines were being watched at ``at`` (opens its trend windows)."""
        self.hosts_since[host] = min(at, self.hosts_since.get(host, at))

    def observe(self, obs: Observation) -> list[FleetEvent]:
        """Count one observation; return the events it caused (see the module docstring)."""
        if obs.count < 1 or not math.isfinite(obs.at):
            raise UsageError(f"an observation needs a finite time and a count >= 1, not at={obs.at}, count={obs.count}")
        events: list[FleetEvent] = []
        signal_track = self._track("signal", obs.host, obs.signal_id, device_identity(obs.device), obs.category)
        last = signal_track.history.last_at
        new_episode = last is None or obs.at - last > self.settings.pattern.episode_gap_s
        signal_track.history.add(obs.at, obs.count)
        primary: Track | None = None
        primary_rule: ThresholdRule | None = None
        for rule in self.settings.thresholds:
            unit = rule.unit_of(obs.device) if rule.applies(obs.signal_id, obs.severity) else None
            if unit is None:
                continue
            track = self._rule_track(rule, obs, unit)
            track.history.add(obs.at, obs.count)
            if primary is None:
                primary, primary_rule = track, rule
            if track.bucket is not None and track.bucket.add(obs.at, obs.count):
                events.append(self._crossed(track, rule, obs.at))
        primary = primary or signal_track
        if primary.tested_at is None or obs.at - primary.tested_at >= TREND_EVERY_S:
            primary.tested_at = obs.at
            events.extend(self._trend_event(primary, primary_rule, obs.at, exclude_last=True))
        if new_episode:
            events.extend(self._pattern_event(signal_track, obs.at))
        return events

    def observe_many(self, observations: Iterable[Observation]) -> list[FleetEvent]:
        """``observe`` each, in time order (ties by host, signal, device): deterministic."""
        ordered = sorted(observations, key=lambda o: (o.at, o.host, o.signal_id, sorted(o.device.items())))
        return [event for obs in ordered for event in self.observe(obs)]

    # --- upkeep ----------------------------------------------------------------------------

    def sweep(self, now: float) -> None:
        """Forget history older than ``retention_s`` and re-judge rising streams at ``now``.

        A stream with no error for a while is re-tested over the longer window, so its rising
        state clears once its p-value climbs above ``clear_alpha``; recurring streams whose
        next episode is more than two periods overdue stop being recurring.
        """
        keep_after = now - self.settings.retention_s
        for key in sorted(self.tracks):
            track = self.tracks[key]
            track.history.prune(keep_after)
            if not track.history.bins and (track.history.last_at or 0) < keep_after:
                del self.tracks[key]
                continue
            if track.rising:
                self._retest(track, now)
            if track.recurring:
                pattern = self.pattern(track)
                if pattern.next_at is not None and pattern.period_s and now > pattern.next_at + 2 * pattern.period_s:
                    track.recurring = False

    # --- queries ---------------------------------------------------------------------------

    def trend(self, track: Track, now: float) -> Trend:
        """The trend of ``track`` at ``now`` (with a forecast when it is a rule's unit)."""
        rule = self.rules.get(track.name) if track.kind == "rule" else None
        return self._assess(track, rule, now, exclude_last=False)

    def pattern(self, track: Track) -> Pattern:
        """The recurring pattern of ``track``'s episodes."""
        ps = self.settings.pattern
        return find_pattern(episode_starts(track.history.times(), ps.episode_gap_s), gap_s=ps.episode_gap_s,
                            smoothing=ps.smoothing,
                            max_gaps=ps.max_gaps, min_gaps=ps.min_gaps, min_confidence=ps.min_confidence)

    def host_tracks(self, host: str) -> list[Track]:
        """The host's tracks, by key."""
        return [self.tracks[k] for k in sorted(self.tracks) if self.tracks[k].host == host]

    # --- internals -------------------------------------------------------------------------

    def _track(self, kind: TrackKind, host: str, name: str, device: dict[str, str], category: str) -> Track:
        key = track_key(kind, host, name, device)
        track = self.tracks.get(key)
        if track is None:
            track = self.tracks[key] = Track(kind, host, name, device, category)
        return track

    def _rule_track(self, rule: ThresholdRule, obs: Observation, unit: dict[str, str]) -> Track:
        track = self._track("rule", obs.host, rule.id, unit, obs.category)
        if track.bucket is None:
            track.bucket = LeakyBucket(rule.threshold, rule.period_s)
        if obs.signal_id not in track.signals:
            track.signals.append(obs.signal_id)
            track.signals.sort()
        return track

    def _assess(self, track: Track, rule: ThresholdRule | None, now: float, *, exclude_last: bool) -> Trend:
        ts = self.settings.trend
        return assess(track.history, now=now, since=self.hosts_since.get(track.host), lookback_s=ts.lookback_s,
                      alpha=ts.alpha, min_occurrences=ts.min_occurrences, exclude_last=exclude_last,
                      threshold=None if rule is None else (rule.threshold, rule.period_s), horizon_h=ts.horizon_h)

    def _crossed(self, track: Track, rule: ThresholdRule, at: float) -> ThresholdCrossed:
        assert track.bucket is not None
        return ThresholdCrossed(
            host=track.host, rule_id=rule.id, unit=rule.unit, what=rule.what, device=dict(track.device),
            category=track.category, signals=tuple(track.signals), at=at,
            count=track.history.count(at - rule.period_s, at), threshold=rule.threshold,
            period_s=rule.period_s, crossing=track.bucket.overflows, rates=track.history.rates(at),
            trend=self._assess(track, rule, at, exclude_last=False), source=rule.source,
        )

    def _trend_event(self, track: Track, rule: ThresholdRule | None, at: float, *,
                     exclude_last: bool) -> list[FleetEvent]:
        trend = self._assess(track, rule, at, exclude_last=exclude_last)
        was = track.rising
        self._set_rising(track, trend)
        if was or not track.rising or track.recurring:
            return []  # a recurring stream's onset is its pattern, already reported
        unit, what = (rule.unit, rule.what) if rule is not None else (track.name, "events")
        return [TrendRising(host=track.host, track=track.kind, name=track.name, unit=unit, what=what,
                            device=dict(track.device), category=track.category, at=at, trend=trend)]

    def _set_rising(self, track: Track, trend: Trend) -> None:
        if trend.rising:
            track.rising = True
        elif track.rising and trend.p_value > self.settings.trend.clear_alpha:
            track.rising = False

    def _retest(self, track: Track, now: float) -> None:
        rule = self.rules.get(track.name) if track.kind == "rule" else None
        self._set_rising(track, self._assess(track, rule, now, exclude_last=False))

    def _pattern_event(self, track: Track, at: float) -> list[FleetEvent]:
        pattern = self.pattern(track)
        was, track.recurring = track.recurring, pattern.recurring
        if was or not pattern.recurring:
            return []
        return [PatternFound(host=track.host, signal_id=track.name, category=track.category,
                             device=dict(track.device), at=at, pattern=pattern)]

    # --- persistence -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Everything the counters know, as plain JSON types (settings are not included)."""
        return {"version": STATE_VERSION, "hosts_since": dict(sorted(self.hosts_since.items())),
                "tracks": [self.tracks[k].to_dict() for k in sorted(self.tracks)]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], settings: CounterSettings | None = None) -> FleetCounters:
        """Counters ``to_dict`` saved, under today's settings (a rule's bucket takes its current
        threshold and period; tracks of rules that are gone are dropped).

        Raises:
            UsageError: the data is not a saved state of a version this code reads.
        """
        data = check_saved(data, STATE_VERSION, "fleet counter state")
        counters = cls(settings)
        counters.hosts_since = {str(h): float(t) for h, t in data.get("hosts_since", {}).items()}
        for raw in data.get("tracks", []):
            track = Track.from_dict(raw)
            if track.kind == "rule":
                rule = counters.rules.get(track.name)
                if rule is None or track.bucket is None:
                    continue
                track.bucket.threshold, track.bucket.period_s = rule.threshold, rule.period_s
            counters.tracks[track.key] = track
        return counters
