"""How the findings commands show findings, timelines and the audit trail (text and JSON)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tasseograph.findings.identity import FindingKey
from tasseograph.findings.lifecycle import stamp
from tasseograph.findings.record import FindingEvent, FindingRecord
from tasseograph.findings.suppression import Suppression

TIME_FIELDS = ("state_since", "first_seen", "last_seen", "judged_at", "snoozed_until", "remind_at", "at",
               "created", "until", "removed", "starts_at", "ends_at")
SUMMARY_WIDTH = 80
EVIDENCE_LINES = 5


def iso(value: Any) -> Any:
    """A Unix time as ISO 8601 UTC; anything else unchanged."""
    return stamp(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def with_iso(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its time fields (and those of nested samples and alerts) as ISO strings."""
    out = {k: iso(v) if k in TIME_FIELDS else v for k, v in data.items()}
    if "samples" in out:
        out["samples"] = [with_iso(s) for s in out["samples"]]
    if isinstance(out.get("alert"), dict):
        out["alert"] = with_iso(out["alert"])
    return out


def finding_json(record: FindingRecord, *, alert: dict[str, Any] | None, suppressed_by: int | None) -> dict[str, Any]:
    """A finding as the JSON outputs give it."""
    return with_iso({**record.to_dict(), "alert": alert, "suppressed_by": suppressed_by})


def state_text(record: FindingRecord, suppressed_by: int | None) -> str:
    """``active``, ``snoozed until ...``, ``acknowledged, suppressed #2``: the state column."""
    text: str = record.state
    if record.state == "snoozed" and record.snoozed_until is not None:
        text += f" until {stamp(record.snoozed_until)}"
    if record.state == "dismissed" and record.dismiss_reason:
        text += f" ({record.dismiss_reason})"
    if suppressed_by is not None:
        text += f", suppressed #{suppressed_by}"
    return text


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    """Left-aligned columns, the last one unpadded."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    return ["  ".join([*(str(c).ljust(w) for c, w in zip(r[:-1], widths, strict=True)), str(r[-1])]).rstrip()
            for r in [header, *rows]]


def finding_rows(items: Iterable[tuple[FindingRecord, int | None]]) -> list[list[str]]:
    """The ``findings list`` table rows."""
    rows = []
    for record, suppressed_by in items:
        k = record.key
        rows.append([record.id, state_text(record, suppressed_by), record.severity, k.host, k.category, k.describe(),
                     str(record.times_seen), stamp(record.last_seen), _clip(record.summary)])
    return rows


LIST_HEADER = ["ID", "STATE", "SEVERITY", "HOST", "CATEGORY", "WHAT", "SEEN", "LAST SEEN", "SUMMARY"]


def describe(record: FindingRecord, alert: dict[str, Any] | None, suppressed_by: int | None) -> list[str]:
    """The head of ``findings show``: what, where, since when, how often, what now."""
    k = record.key
    out = [f"finding {record.id}: {state_text(record, suppressed_by)}, {record.severity}"
           f" (worst {record.max_severity}), judgement {record.judgement}",
           f"  host {k.host}, {k.category}, {k.describe()}" + (f", fingerprint {k.fingerprint}" if k.fingerprint else ""),
           f"  seen {record.times_seen}x ({record.occurrences} lines or episodes) from {stamp(record.first_seen)}"
           f" to {stamp(record.last_seen)}; regressions {record.regressions}; source {record.source}",
           f"  summary: {record.summary}"]
    if record.members:
        out.append(f"  members: {', '.join(record.members)}")
    out += fleet_lines(record.details)
    if alert is not None:
        out.append(f"  alert: {alert['state']} since {stamp(alert['starts_at'])}, {alert['episodes']} episode(s)")
    return out


def fleet_lines(details: dict[str, Any]) -> list[str]:
    """What a fleet finding adds to ``findings show``: its forecast, trend and pattern (empty for others)."""
    out = []
    forecast = details.get("forecast")
    if isinstance(forecast, dict) and forecast.get("threshold") is not None:
        per = f"{forecast['threshold']} per {_hours(forecast.get('period_s'))}"
        hours = forecast.get("hours_to_threshold")
        when = ("at or over it now" if hours == 0 else
                f"in ~{hours:.0f} h, by {stamp(forecast['eta'])}" if hours is not None and forecast.get("eta") else
                f"not within {forecast.get('horizon_h', 0):.0f} h at the fitted rate")
        out.append(f"  forecast: {per}: {when} (expected now {forecast.get('expected_now', 0):.1f})")
    trend = details.get("trend")
    if isinstance(trend, dict) and trend.get("growth_per_day") is not None:
        out.append(f"  trend: x{trend['growth_per_day']:.2f}/day over {trend.get('occurrences', 0)} errors"
                   f" (p={trend.get('p_value', 1):.2g}){', rising' if trend.get('rising') else ''}")
    pattern = details.get("pattern")
    if isinstance(pattern, dict) and pattern.get("period_s"):
        nxt = f", next expected {stamp(pattern['next_at'])}" if pattern.get("next_at") else ""
        out.append(f"  pattern: every ~{_hours(pattern['period_s'])} ({pattern.get('episodes', 0)} times){nxt},"
                   f" confidence {pattern.get('confidence', 0):.2f}")
    return out


def _hours(seconds: Any) -> str:
    return f"{float(seconds or 0) / 3600:.3g} h"


@dataclass(frozen=True)
class Entry:
    """One line of a timeline: an audit event, or sightings collapsed."""

    at: float
    finding_id: str | None
    what: str
    detail: str
    actor: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (time as ISO)."""
        return {"at": stamp(self.at), "finding_id": self.finding_id, "what": self.what, "detail": self.detail,
                "actor": self.actor}


def timeline(events: Iterable[tuple[FindingEvent, FindingKey | None]],
             seen: Iterable[tuple[str, dict[str, Any]]]) -> list[Entry]:
    """Events and sightings in time order; consecutive sightings of one finding are one entry."""
    merged: list[tuple[float, int, Entry]] = []
    for event, _ in events:
        move = f"{event.from_state or '(new)'} -> {event.to_state}" if event.from_state != event.to_state else ""
        detail = ": ".join(x for x in (move, event.note) if x)
        merged.append((event.at, 0, Entry(event.at, event.finding_id, event.action, detail, event.actor)))
    for finding_id, link in seen:
        detail = f"{link.get('ref') or 'delta ' + str(link['delta_id'])} ({link['severity']}"
        detail += ", interim check)" if link.get("interim") else ")"
        merged.append((link["at"], 1, Entry(link["at"], finding_id, "seen", detail)))
    merged.sort(key=lambda x: (x[0], x[1]))
    out: list[Entry] = []
    run = 0
    for _, _, entry in merged:
        last = out[-1] if out else None
        if entry.what == "seen" and last is not None and last.what.startswith("seen") \
                and last.finding_id == entry.finding_id:
            run += 1
            out[-1] = Entry(entry.at, entry.finding_id, f"seen x{run}", f"last: {entry.detail}")
            continue
        run = 1
        out.append(entry)
    return out


def timeline_lines(entries: Sequence[Entry], *, with_id: bool) -> list[str]:
    """A timeline as text lines."""
    rows = [[stamp(e.at), *([e.finding_id or "-"] if with_id else []), e.what, e.actor or "-", e.detail]
            for e in entries]
    header = ["TIME", *(["FINDING"] if with_id else []), "WHAT", "BY", "DETAIL"]
    return table(rows, header) if rows else []


def suppression_rows(rules: Iterable[Suppression]) -> list[list[str]]:
    """The ``findings suppressions`` table rows."""
    rows = []
    for s in rules:
        if s.removed is not None:
            state = f"lifted {stamp(s.removed)} by {s.removed_by}"
        elif s.until is not None:
            state = f"until {stamp(s.until)}"
        else:
            state = "in force"
        rows.append([str(s.id), s.host, s.signal, state, f"{s.created_by} {stamp(s.created)}", s.reason])
    return rows


SUPPRESSION_HEADER = ["ID", "HOST", "SIGNAL", "STATE", "SET BY", "REASON"]


def evidence_lines(record: FindingRecord) -> list[str]:
    """The latest sample's evidence, a few lines."""
    if not record.samples:
        return []
    lines = record.samples[-1].evidence.splitlines()[:EVIDENCE_LINES]
    return ["evidence (latest sighting):", *(f"  | {line}" for line in lines)]


def _clip(text: str) -> str:
    return text if len(text) <= SUMMARY_WIDTH else text[: SUMMARY_WIDTH - 3] + "..."
