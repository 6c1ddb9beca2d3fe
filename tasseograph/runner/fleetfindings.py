"""Fleet events as findings: what a threshold, a trend, a pattern or a group becomes, and when it clears.

Identity (``FindingKey``; ``signal`` starts with ``fleet.``):

* **A stream** (``fleet.<rule id>`` for a threshold rule's unit, ``fleet.<signal id>`` for a
  signal on one device): one finding per host, stream and device. A unit's rising trend and its
  threshold crossings are one finding (the trend first, with its forecast; the crossing updates
  it), and so are a signal stream's trend and its recurring pattern: one fault, one alert. The
  device is the unit's fields as the rule counts them (a page keeps its page).
* **A correlated group** (``fleet.group.<category or signal>``): one finding per group, opened
  under the scope it formed with (``host`` = ``rack=r12``) and fingerprinted by the group's
  stable id; hosts that join later are sightings of it. Its labels are the places its members
  share now (``rack``, ``row``...; cohorts such as ``model`` only when the group is about one)
  plus ``group_label`` naming the label the group is about.

Alert labels: ``fleet="stream"`` or ``fleet="group"`` (and ``group_label``), which the inhibit
rules of ``deploy/alertmanager/alertmanager.yml`` key on: a group mutes its members' alerts of
its category, a device's stream mutes the catalogue's warnings about that device.

Severity: streams are ``warning`` (a forecast, not a failure); a group takes the worst
severity of its members' signals. Fleet findings page at once (``alerts.wants_page``): each
one is already a sustained condition (a crossing, a significant trend, a steady period, K
hosts). Their evidence is the kernel lines that fed the event, with the host and the delta
``ref`` each came from (``details["evidence"]``), so every line resolves to a stored verdict.

When one clears (``stream_cleared``, ``group_cleared``; the runner's sweep resolves it, actor
``tasseograph``): a stream when it is no longer rising nor recurring and its device logged no
error for a quiet period (the rule's period, 24 h for a signal) while its host kept being
checked, so a host that went silent keeps its finding; a group once no host can join it any
more (the window after its last event has passed) and none of its members still has an open
finding of the group's signals (each resolved by its own recovery line, a link up...).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from tasseograph.findings.identity import FLEET_PREFIX, FindingKey
from tasseograph.findings.record import FindingRecord, Sighting
from tasseograph.fleet import CorrelatedGroup, PatternFound, ThresholdCrossed, Track, TrendRising
from tasseograph.fleet.history import DAY_S
from tasseograph.runner.alerts import FLEET_SOURCE as SOURCE
from tasseograph.schema import STATUS_RANK
from tasseograph.signals import load_signals

GROUP_PREFIX = FLEET_PREFIX + "group."
GROUP_LABEL = "group_label"
"""Alert label naming the inventory label a group alert is about (``rack``)."""
FLEET_LABEL = "fleet"
"""Alert label of fleet findings: ``stream`` (a device's rate or pattern) or ``group``; the deploy
config's inhibit rules key on it."""
STREAM_SEVERITY = "warning"
SIGNAL_QUIET_S = DAY_S
"""A signal stream with no error for this long (and no rule to say otherwise) has cleared."""
MAX_EVIDENCE = 5
"""Evidence lines kept per sighting (the newest)."""

StreamEvent = ThresholdCrossed | TrendRising | PatternFound


@dataclass(frozen=True)
class Evidence:
    """One kernel line behind a fleet event, and where it is stored."""

    host: str
    ref: str
    """The delta's ``ref`` (its verdict row has the same)."""
    line: str
    at: float
    """When it was logged (line time)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {"host": self.host, "ref": self.ref, "line": self.line, "at": self.at}


def stream_key(host: str, category: str, name: str, device: Mapping[str, str]) -> FindingKey:
    """The finding of one stream: a rule's unit (``name`` = rule id) or a signal on a device."""
    return FindingKey(host, category, FLEET_PREFIX + name, "", tuple(sorted(device.items())))


def group_key(scope: str, category: str, group: CorrelatedGroup) -> FindingKey:
    """The finding of one correlated group, under the scope it formed with."""
    digest = hashlib.sha256(group.id.encode("utf-8")).hexdigest()[:12]
    return FindingKey(scope, category, GROUP_PREFIX + group.key, digest, ())


def is_fleet(key: FindingKey) -> bool:
    """True for a finding a fleet rule raised."""
    return key.signal.startswith(FLEET_PREFIX)


def stream_name(event: StreamEvent) -> tuple[str, dict[str, str]]:
    """The stream an event is about: its name (rule or signal id) and its device."""
    if isinstance(event, ThresholdCrossed):
        return event.rule_id, dict(event.device)
    if isinstance(event, TrendRising):
        return event.name, dict(event.device)
    return event.signal_id, dict(event.device)


def stream_sighting(event: StreamEvent, evidence: Sequence[Evidence], *, now: float, ref: str) -> Sighting:
    """The sighting a threshold crossing, a trend turning rising or a pattern found makes."""
    name, device = stream_name(event)
    details: dict[str, Any] = {"kind": event.kind, "at": event.at, "device": device,
                               "evidence": [e.to_dict() for e in evidence[-MAX_EVIDENCE:]]}
    if isinstance(event, ThresholdCrossed):
        details["threshold"] = {"rule": event.rule_id, "unit": event.unit, "what": event.what,
                                "count": event.count, "threshold": event.threshold, "period_s": event.period_s,
                                "crossing": event.crossing, "rates": event.rates.to_dict(), "source": event.source}
    if isinstance(event, ThresholdCrossed | TrendRising):
        details["trend"] = event.trend.to_dict()
        if event.trend.forecast is not None:
            details["forecast"] = event.trend.forecast.to_dict()
    if isinstance(event, PatternFound):
        details["pattern"] = event.pattern.to_dict()
    return Sighting(stream_key(event.host, event.category, name, device), STREAM_SEVERITY, event.summary(),
                    _lines(evidence), now, source=SOURCE, ref=ref, labels={FLEET_LABEL: "stream"}, details=details)


def group_sighting(group: CorrelatedGroup, *, scope: str, category: str, evidence: Sequence[Evidence],
                   now: float, ref: str, cohorts: Sequence[str] = ()) -> Sighting:
    """The sighting a group forming or growing makes (``group`` as it stands after the change).

    Its labels are the group's own and the places its members share; shared ``cohorts`` labels
    (model, firmware...) are left out, as one host joining could change them and re-label the alert.
    """
    shared = {k: v for k, v in group.shared.items() if k not in cohorts}
    labels = {**shared, group.label: group.value, GROUP_LABEL: group.label, FLEET_LABEL: "group"}
    data = {k: v for k, v in group.to_dict().items() if k != "summary"}
    details = {"kind": "group", "at": group.last_at, "group": data,
               "evidence": [e.to_dict() for e in evidence]}
    return Sighting(group_key(scope, category, group), group_severity(group.signals), group.summary(),
                    _lines(evidence), now, source=SOURCE, ref=ref, labels=labels, members=tuple(group.members),
                    details=details)


def group_severity(signals: Sequence[str]) -> str:
    """The worst catalogue severity among a group's signals (``warning`` when none is known)."""
    known = _severities()
    return max((known.get(s, "warning") for s in signals), key=lambda s: STATUS_RANK[s], default="warning")


@cache
def _severities() -> dict[str, str]:
    return {spec.id: spec.severity for spec in load_signals()}


def _lines(evidence: Sequence[Evidence]) -> str:
    return "\n".join(dict.fromkeys(e.line for e in evidence[-MAX_EVIDENCE:]))


# --- when a fleet finding clears -------------------------------------------------------------


def stream_cleared(track: Track | None, *, quiet_s: float, now: float, last_check: float | None,
                   last_seen: float) -> str | None:
    """Why a stream's finding has cleared at ``now``, or None while it has not (module docstring).

    Args:
        track: the stream's counted track (None: forgotten after its retention, no error since).
        quiet_s: how long without an error clears it (the rule's period, else ``SIGNAL_QUIET_S``).
        last_check: the host's last check (None: never checked).
        last_seen: the finding's last sighting (stands in for the last error of a forgotten track).
    """
    if track is not None and (track.rising or track.recurring):
        return None
    last = track.history.last_at if track is not None and track.history.last_at is not None else last_seen
    if now - last < quiet_s or last_check is None or last_check < last + quiet_s:
        return None
    return f"no error for {quiet_s / 3600:.0f} h while its host kept being checked; not rising, not recurring"


def group_cleared(record: FindingRecord, *, watermark: float | None, window_s: float,
                  open_members: Sequence[FindingRecord]) -> str | None:
    """Why a group's finding has cleared, or None while it has not (see the module docstring).

    Args:
        record: the group's finding (its details hold the group as last seen).
        watermark: the newest line time the correlator has seen.
        window_s: the correlation window (a host may join up to this long after the last event).
        open_members: open findings of its members (any signal; those of the group's signals count).
    """
    group = record.details.get("group") or {}
    last_at = float(group.get("last_at", record.last_seen))
    if watermark is None or watermark <= last_at + window_s:
        return None
    signals = set(group.get("signals", ()))
    if any(r.key.signal in signals and r.key.host in record.members for r in open_members):
        return None
    return "no member still has an open finding of its signals, and no host can join it any more"
