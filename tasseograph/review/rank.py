"""The offline review: the digest's findings grouped, scored and ranked, deterministically.

Grouping (each finding lands in exactly one item):

1. a correlated group the fleet rules stored (``labels["fleet"] == "group"`` or a
   ``fleet.group.*`` signal) is one item, and takes in its members' own findings of its category;
2. with an inventory (``--inventory``), findings the runner did not group are correlated here by
   the time their evidence lines carry (``tasseograph.fleet.correlate``: K hosts sharing a
   label value, same category, within the window), one item per group;
3. everything else: one item per host and device (``devices.same_device``: the catalogue's
   errors on a DIMM and a fleet rule's trend on it are one item), per host and signal when no
   device is named.

Score, stated once (higher first)::

    severity (critical 100, warning 10)
      x spread     1 + 0.5 per further host + 0.25 per further device (at most 6)
      x recurrence 1 + log2(times seen) / 4 + 0.5 per regression
      x trend      2 when a fleet rule found a rising rate, a forecast or a recurring pattern
      x 0.5        when every finding of the item is resolved, or every open one acknowledged

An item is **minor** (listed apart, not ranked) when it is a warning on one host, never
regressed, with no trend and no group, and either seen fewer than 3 times or first seen before
the window (ongoing: a DIMM logging a few corrected errors a day for weeks is nothing new today;
once a fleet rule finds its rate rising, it ranks again). A lone warning is what the review
exists to keep out of the top of the list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tasseograph import devices
from tasseograph.findings.identity import FLEET_PREFIX
from tasseograph.findings.record import OPEN_STATES, FindingRecord
from tasseograph.fleet import HostEvent, Inventory, correlate
from tasseograph.fleet.settings import CorrelationSettings
from tasseograph.parsing import parse_delta
from tasseograph.review.digest import Digest
from tasseograph.review.nextsteps import NextSteps, load_next_steps
from tasseograph.review.report import Review, ReviewItem, ReviewSilentHost, ReviewTemplate
from tasseograph.schema import STATUS_RANK

SEVERITY_POINTS = {"critical": 100.0, "warning": 10.0}
MAX_SPREAD = 6.0
TREND_FACTOR = 2.0
QUIET_FACTOR = 0.5
MINOR_TIMES_SEEN = 3
EVIDENCE_LINES = 6
"""Stored lines shown per item (the first sighting's and the latest)."""
GROUP_LABEL = "fleet"


@dataclass
class _Bucket:
    key: str
    findings: list[FindingRecord] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)
    group: bool = False
    title: str = ""


def is_group(record: FindingRecord) -> bool:
    """True for a correlated group's finding (stored by the fleet rules)."""
    return record.labels.get(GROUP_LABEL) == "group" or record.key.signal.startswith(FLEET_PREFIX + "group.")


def trend_note(record: FindingRecord) -> str:
    """What a fleet rule said of the finding's rate: rising, forecast, recurring (empty if nothing)."""
    details = record.details or {}
    notes = []
    trend = details.get("trend") or {}
    if isinstance(trend, dict) and trend.get("rising"):
        growth = trend.get("growth_per_day")
        notes.append(f"rising x{growth:.2g}/day" if isinstance(growth, int | float) else "rising")
    forecast = details.get("forecast") or {}
    if isinstance(forecast, dict) and isinstance(forecast.get("hours_to_threshold"), int | float):
        notes.append(f"threshold {forecast.get('threshold', '?')} in {forecast['hours_to_threshold']:.0f} h")
    pattern = details.get("pattern") or {}
    if isinstance(pattern, dict) and pattern.get("period_s"):
        notes.append(f"recurs every {float(pattern['period_s']) / 3600:.1f} h")
    return ", ".join(notes)


def stored_lines(records: Iterable[FindingRecord], limit: int = EVIDENCE_LINES) -> list[str]:
    """Evidence lines as stored on the findings' samples, first sighting's first, then the latest."""
    lines: dict[str, None] = {}
    samples = [s for r in records for s in r.samples]
    ordered = samples[:1] + sorted(samples[1:], key=lambda s: s.at, reverse=True)
    for sample in ordered:
        for line in sample.evidence.splitlines():
            if line.strip():
                lines.setdefault(line.rstrip())
    return list(lines)[:limit]


def _event_time(record: FindingRecord) -> float:
    """When the finding's first stored line was logged (from the line itself), else its first sighting."""
    for sample in record.samples[:1]:
        for line in parse_delta(sample.evidence).lines:
            if line.time is not None:
                return line.time.timestamp()
    return record.first_seen


def group_findings(records: Sequence[FindingRecord], inventory: Inventory | None = None,
                   settings: CorrelationSettings | None = None) -> list[_Bucket]:
    """Findings grouped into review items (see the module docstring for the three rules)."""
    buckets: list[_Bucket] = []
    taken: set[str] = set()
    for record in records:
        if is_group(record):
            members = set(record.members)
            bucket = _Bucket(f"group:{record.id}", [record], members, dict(record.labels), True, record.summary)
            for other in records:
                if other.id != record.id and not is_group(other) and other.key.host in members \
                        and other.key.category == record.key.category:
                    bucket.findings.append(other)
                    taken.add(other.id)
            taken.add(record.id)
            buckets.append(bucket)
    rest = [r for r in records if r.id not in taken]
    if inventory is not None and rest:
        events = [HostEvent(r.key.host, r.key.category, r.key.signal, _event_time(r)) for r in rest]
        for g in correlate(events, inventory, settings):
            members = set(g.members)
            found = [r for r in rest if r.id not in taken and r.key.host in members and r.key.category == g.key]
            if not found:
                continue
            taken.update(r.id for r in found)
            buckets.append(_Bucket(f"group:{g.id}", found, members, g.labels(), True, g.summary()))
    by_key: dict[str, _Bucket] = {}
    for r in records:
        if r.id in taken:
            continue
        home = next((b for b in by_key.values() if _same_device(b, r)), None)
        if home is None:
            key = f"{r.key.host}/{r.key.describe() if r.key.device else r.key.signal}"
            home = by_key.setdefault(key, _Bucket(key, hosts={r.key.host}, labels=dict(r.labels)))
        home.findings.append(r)
    buckets.extend(by_key.values())
    return buckets


def _same_device(bucket: _Bucket, record: FindingRecord) -> bool:
    """True when the bucket holds a finding of the record's host and category about the same device
    (a fleet rule's trend on a DIMM and the catalogue's errors on it are one item)."""
    return bool(record.key.device) and any(
        f.key.host == record.key.host and f.key.category == record.key.category and f.key.device
        and devices.same_device(f.key.device_dict, record.key.device_dict) for f in bucket.findings)


def _item(bucket: _Bucket, steps: NextSteps, since: float) -> tuple[ReviewItem, bool]:
    """The bucket's review item, and whether it is minor."""
    records = bucket.findings
    worst = max(records, key=lambda r: (STATUS_RANK.get(r.severity, 0), r.times_seen))
    severity = worst.severity
    devices = sorted({r.key.describe() for r in records if r.key.device})
    times_seen = sum(r.times_seen for r in records)
    regressions = sum(r.regressions for r in records)
    trends = sorted({t for t in (trend_note(r) for r in records) if t})
    open_records = [r for r in records if r.state in OPEN_STATES]
    state = ("resolved" if not open_records
             else "acknowledged" if all(r.state == "acknowledged" for r in open_records) else "open")
    spread = min(MAX_SPREAD, 1 + 0.5 * (len(bucket.hosts) - 1) + 0.25 * max(0, len(devices) - 1))
    recurrence = 1 + math.log2(max(1, times_seen)) / 4 + 0.5 * regressions
    score = SEVERITY_POINTS.get(severity, 1.0) * spread * recurrence
    score *= TREND_FACTOR if trends else 1.0
    score *= QUIET_FACTOR if state != "open" else 1.0
    why = [severity, f"{len(bucket.hosts)} host{'s' if len(bucket.hosts) != 1 else ''}",
           f"seen {times_seen}x"]
    if len(devices) > 1:
        why.append(f"{len(devices)} devices")
    if regressions:
        why.append(f"came back {regressions}x")
    why.extend(trends)
    if state != "open":
        why.append(state)
    hosts = sorted(bucket.hosts)
    title = bucket.title or f"{worst.summary} on {hosts[0]}"
    ongoing = min(r.first_seen for r in records) < since
    minor = is_minor(severity=severity, hosts=len(hosts), times_seen=times_seen, regressions=regressions,
                     trend=bool(trends), group=bucket.group, ongoing=ongoing)
    return ReviewItem(
        rank=0, title=title, severity=severity, category=worst.key.category, hosts=hosts, devices=devices,
        finding_ids=[r.id for r in records], why="; ".join(why), evidence=stored_lines(records),
        next_step=steps.step(worst.key.category, worst.key.signal), state=state, labels=bucket.labels,
        score=round(score, 3), first_seen=min(r.first_seen for r in records),
        last_seen=max(r.last_seen for r in records)), minor


def is_minor(*, severity: str, hosts: int, times_seen: int, regressions: int, trend: bool, group: bool,
             ongoing: bool = False) -> bool:
    """A lone warning: one host, no regression, no trend, no group, and either seen under
    ``MINOR_TIMES_SEEN`` times or ``ongoing`` (first seen before the window: nothing new today)."""
    return (not group and severity != "critical" and hosts == 1 and (times_seen < MINOR_TIMES_SEEN or ongoing)
            and not regressions and not trend)


def offline_review(digest: Digest, *, inventory: Inventory | None = None, silent_after: float = 0.0,
                   steps: NextSteps | None = None) -> Review:
    """The deterministic review of a digest: items ranked by score, minor ones apart."""
    steps = steps or load_next_steps()
    ranked: list[ReviewItem] = []
    minor: list[ReviewItem] = []
    for bucket in group_findings(digest.findings, inventory):
        item, lone = _item(bucket, steps, digest.since)
        (minor if lone else ranked).append(item)
    order = lambda i: (-(i.score or 0.0), -(i.last_seen or 0.0), i.title)  # noqa: E731
    ranked.sort(key=order)
    minor.sort(key=order)
    for n, item in enumerate(ranked, 1):
        item.rank = n
    return Review(
        source="offline", since=digest.since, now=digest.now, items=ranked, minor=minor,
        findings=len(digest.findings), suppressed=digest.suppressed,
        new_templates=[ReviewTemplate(**t.__dict__) for t in digest.new_templates],
        templates_note=digest.templates_note,
        silent_hosts=[ReviewSilentHost(**s.__dict__) for s in digest.silent_hosts], silent_after_s=silent_after)
