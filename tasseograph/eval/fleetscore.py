"""Scoring a fleet replay: ground truth (what the generator injected) against what a run notified.

The generator in ``datasets/fleet/`` writes a ``GroundTruth``; a replay of its logs produces
``Notification`` records (alerts, findings, threshold/trend/pattern events, correlated groups);
``score_replay`` compares them. The rules, stated once:

* **Match.** A notification matches an incident when its category is the incident's (a
  notification without a category matches any), it names at least one of the incident's hosts,
  and its time falls in ``[start - early_s, end + late_s]``.
* **Recall** = incidents with at least one matching notification / incidents.
  **Precision** = fired notifications that match some incident / fired notifications (noise,
  background and unrelated notifications all count against it).
* **Correlated groups.** A rack-wide incident is found as a group when a notification of kind
  ``group`` matches it and names at least ``min(K, its hosts)`` of its hosts.
* **Lead time** of a corrected-error ramp: hours from the first matching ``trend`` or
  ``threshold`` notification to the uncorrected error (0 when none came before it); the median
  is over every ramp.
* **Duplicates.** A fired notification whose ``key`` already fired and was not resolved since.
* **Reduction** = alerts one-per-non-ok-delta would have sent / fired notifications.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tasseograph.schema import Category

SCHEMA_VERSION = 1
DAY_S = 86_400.0
IncidentKind = Literal["rack_link", "dimm_ramp", "recurring_reset"]
NoiseKind = Literal["one_off", "pair_link_flap", "chronic_ce"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class TruthIncident(_Model):
    """One injected incident."""

    id: str
    kind: IncidentKind
    category: Category
    hosts: list[str]
    start: float
    """Unix time of its first line."""
    end: float
    """Unix time of its last line (for a ramp: the uncorrected error)."""
    device: dict[str, str] = Field(default_factory=dict)
    """The device the lines name, as the generator knows it (not parsed back)."""
    group: dict[str, str] | None = None
    """For a rack-wide event: the shared inventory label, ``{"label": "switch", "value": "sw-a03"}``."""
    ue_at: float | None = None
    """For a ramp: when the uncorrected error was logged."""
    period_s: float | None = None
    """For recurring resets: the period the schedule used."""
    occurrences: list[float] = Field(default_factory=list)
    """Start of each episode (resets) or each error (ramps)."""
    lines: int = 0
    """Log lines the incident wrote."""


class TruthNoise(_Model):
    """Real warnings that are not an incident: a single flap, a lone warning, a DIMM that has
    logged corrected errors at a steady low rate all along."""

    id: str
    kind: NoiseKind
    category: Category
    hosts: list[str]
    at: float
    """Its first line."""
    until: float | None = None
    """Its last line, when it lasts (a chronic stream)."""
    lines: int = 0


class GroundTruth(_Model):
    """What a fleet replay holds."""

    schema_version: int = SCHEMA_VERSION
    generator: str = "datasets/fleet"
    seed: int
    hosts: int
    days: float
    start: float
    end: float
    interval_s: float
    """Spool interval: one file per host per interval with lines."""
    mix: dict[str, int]
    """Hosts per activity profile (quiet, moderate, chatty)."""
    min_hosts: int = 3
    """The K the rack-wide incidents are built to exceed."""
    incidents: list[TruthIncident]
    noise: list[TruthNoise]
    sources: list[str]
    """Shared files the real lines came from."""


class Notification(_Model):
    """Something a run told an operator (or would have)."""

    at: float
    kind: str
    """``alert``, ``finding``, ``threshold``, ``trend``, ``pattern``, ``group``..."""
    key: str
    """Identity: notifications with one key are one alert (a repeat is a duplicate)."""
    hosts: list[str]
    category: Category | None = None
    resolved: bool = False
    """A resolution: re-arms its key, is not counted as a notification."""


class FleetScore(_Model):
    """The replay's scores (keys as ``benchmarks/results/fleet.json`` will carry them)."""

    schema_version: int = SCHEMA_VERSION
    days: float
    notifications: int
    notifications_per_day: float
    per_delta_alerts: int | None
    notification_reduction: float | None
    incidents: int
    incident_recall: float | None
    incident_precision: float | None
    correlated_groups: int
    correlated_groups_recall: float | None
    trend_lead_time_h: dict[str, float]
    """Per ramp id: hours of warning before its uncorrected error."""
    trend_lead_time_h_median: float | None
    duplicate_alerts: int
    incident_notifications: dict[str, int]
    """Per incident: fired notifications that match it (more than one: the operator heard of
    one fault several times, e.g. a pattern and then a critical line)."""
    noise_notified: int
    """Noise items (one-off warnings) that drew a notification."""
    missed: list[str]
    """Incidents no notification matched."""


def matches(n: Notification, incident: TruthIncident, *, early_s: float = 600.0, late_s: float = 3_600.0) -> bool:
    """Whether ``n`` is about ``incident`` (see the module docstring)."""
    if n.category is not None and n.category != incident.category:
        return False
    if not set(n.hosts) & set(incident.hosts):
        return False
    return incident.start - early_s <= n.at <= incident.end + late_s


def duplicate_alerts(notifications: Sequence[Notification]) -> int:
    """Fired notifications whose key already fired and was not resolved since."""
    firing: set[str] = set()
    dupes = 0
    for n in sorted(notifications, key=lambda n: n.at):
        if n.resolved:
            firing.discard(n.key)
        elif n.key in firing:
            dupes += 1
        else:
            firing.add(n.key)
    return dupes


def lead_times_h(truth: GroundTruth, notifications: Sequence[Notification]) -> dict[str, float]:
    """Hours between the first trend or threshold notification and each ramp's uncorrected error."""
    leads: dict[str, float] = {}
    for incident in truth.incidents:
        if incident.kind != "dimm_ramp" or incident.ue_at is None:
            continue
        early = [n.at for n in notifications if not n.resolved and n.kind in ("trend", "threshold")
                 and n.at < incident.ue_at and matches(n, incident)]
        leads[incident.id] = (incident.ue_at - min(early)) / 3_600.0 if early else 0.0
    return leads


def score_replay(truth: GroundTruth, notifications: Sequence[Notification], *, per_delta_alerts: int | None = None,
                 early_s: float = 600.0, late_s: float = 3_600.0) -> FleetScore:
    """Score what a replay notified against its ground truth (see the module docstring).

    Args:
        truth: the generator's ground truth.
        notifications: everything the run notified, resolutions included.
        per_delta_alerts: alerts the naive policy (one per non-ok delta) would have sent.
        early_s: a notification this long before an incident's first line still matches it.
        late_s: ... and this long after its last line.
    """
    fired = [n for n in notifications if not n.resolved]
    found: set[str] = set()
    matched = 0
    for n in fired:
        hits = [i.id for i in truth.incidents if matches(n, i, early_s=early_s, late_s=late_s)]
        found.update(hits)
        matched += bool(hits)
    racks = [i for i in truth.incidents if i.kind == "rack_link"]
    groups_found = sum(any(n.kind == "group" and matches(n, i, early_s=early_s, late_s=late_s)
                           and len(set(n.hosts) & set(i.hosts)) >= min(truth.min_hosts, len(i.hosts))
                           for n in fired) for i in racks)
    noise_hit = sum(any(n.category in (None, z.category) and set(n.hosts) & set(z.hosts)
                        and z.at - early_s <= n.at <= (z.until or z.at) + late_s for n in fired) for z in truth.noise)
    per_incident = {i.id: sum(matches(n, i, early_s=early_s, late_s=late_s) for n in fired) for i in truth.incidents}
    leads = lead_times_h(truth, notifications)
    return FleetScore(
        days=truth.days, notifications=len(fired), notifications_per_day=len(fired) / truth.days,
        per_delta_alerts=per_delta_alerts,
        notification_reduction=_ratio(per_delta_alerts, len(fired)),
        incidents=len(truth.incidents), incident_recall=_ratio(len(found), len(truth.incidents)),
        incident_precision=_ratio(matched, len(fired)), correlated_groups=len(racks),
        correlated_groups_recall=_ratio(groups_found, len(racks)), trend_lead_time_h=leads,
        trend_lead_time_h_median=statistics.median(leads.values()) if leads else None,
        duplicate_alerts=duplicate_alerts(notifications), incident_notifications=per_incident,
        noise_notified=noise_hit,
        missed=sorted(i.id for i in truth.incidents if i.id not in found),
    )


def _ratio(num: int | None, den: int) -> float | None:
    return None if num is None or den == 0 else num / den
