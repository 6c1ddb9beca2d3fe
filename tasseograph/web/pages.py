"""What each page shows, built from the state reader's answers: no SQL, no HTTP, no HTML.

* A host's **status** is what its open findings ask of a person: ``critical`` or ``warning``
  when a finding that may page (active, regressed) has that severity, ``acknowledged`` when
  every open finding is acknowledged or snoozed (someone owns it), ``ok`` when it has none,
  ``unchecked`` when the runner never judged it (an inventory host with no lines yet). A host is
  **silent** when its last check is older than ``silent_after`` (default a day, as the
  ``TasseographHostSilent`` Prometheus rule), or it was never checked.
* Hosts are grouped by an inventory label (``rack`` by default when the inventory has it);
  groups and hosts are ordered worst first, so the host that needs a person is the first seen.
* The health panel flags what the runner's own Prometheus rules flag, with their thresholds.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasseograph.errors import UsageError
from tasseograph.findings.lifecycle import MOVES
from tasseograph.findings.record import PAGING_STATES, FindingRecord
from tasseograph.findings.suppression import matching
from tasseograph.fleet.counters import Track
from tasseograph.fleet.history import RATE_WINDOWS
from tasseograph.fleet.inventory import HOST_NAME, Inventory
from tasseograph.runner import findingsview as view
from tasseograph.runner import metrics
from tasseograph.schema import STATUS_RANK
from tasseograph.web import plots
from tasseograph.web.filters import FindingFilter
from tasseograph.web.queries import CheckRow, FindingDetail, Health, HostCheck, StateReader

TIMELINE_SHOWN = 300
"""Newest timeline entries a page shows (``tasseograph history`` and ``findings show`` give them all)."""
HOST_STATUSES = ("critical", "warning", "acknowledged", "ok", "unchecked")
"""Worst first: the order hosts and groups are shown in."""
DAY = 86_400.0
STALE_RUN_S = 900.0
"""No finished cycle for this long: stale (the ``TasseographStale`` rule's threshold)."""
BACKLOG_S = 3_600.0
"""Oldest queued delta older than this: a backlog (the ``TasseographQueueBacklog`` rule's threshold)."""
DEFAULT_GROUP = "rack"
NO_VALUE = "(no value)"
"""The group of hosts the inventory gives no value for the chosen label."""
MOVE_COMMANDS = {
    "acknowledge": ("ack", "--note 'WHO IS ON IT, WHAT IS PLANNED'"),
    "snooze": ("snooze", "--until 8h"),
    "dismiss": ("dismiss", "--reason not_a_problem --note 'WHY'"),
    "resolve": ("resolve", "--note 'WHAT FIXED IT'"),
    "reopen": ("reopen", "--note 'WHY'"),
}
"""How each lifecycle move is typed at the CLI (the page only shows the commands: it is read-only)."""


@dataclass(frozen=True)
class Site:
    """What the dashboard was started with."""

    state: Path
    inventory: Inventory | None = None
    caps: tuple[float, float] | None = None
    """Spend caps per UTC day and month from the runner's config (0: none); None when not known."""
    silent_after: float = DAY
    where: tuple[str, ...] = ()
    """The CLI arguments that name the same state (``--config FILE`` or ``--state PATH``)."""
    alertmanager: bool | None = None
    """Whether the runner's config names an Alertmanager (None: no config given)."""

    def labels_of(self, host: str) -> dict[str, str]:
        """The host's inventory labels (none without an inventory)."""
        return self.inventory.labels_of(host) if self.inventory else {}


@dataclass(frozen=True)
class HostTile:
    """One host on the fleet page."""

    host: str
    status: str
    silent: bool
    last_check: float | None
    last_status: str | None
    open_findings: int
    headline: str
    """The worst open finding's summary (empty when none)."""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HostGroup:
    """Hosts sharing one value of the chosen label."""

    label: str
    value: str
    tiles: list[HostTile]

    @property
    def worst(self) -> str:
        """The worst status among its hosts."""
        return min((t.status for t in self.tiles), key=HOST_STATUSES.index, default="ok")

    @property
    def counts(self) -> list[tuple[str, int]]:
        """``(status, hosts)`` for each status present, worst first."""
        found = Counter(t.status for t in self.tiles)
        return [(s, found[s]) for s in HOST_STATUSES if found[s]]


@dataclass(frozen=True)
class Card:
    """One figure of the health panel; ``level`` is ``ok``, ``warning`` or ``critical``."""

    title: str
    value: str
    detail: str = ""
    level: str = "ok"


@dataclass(frozen=True)
class FleetView:
    """The fleet page."""

    group_by: str
    choices: tuple[str, ...]
    groups: list[HostGroup]
    counts: list[tuple[str, int]]
    silent: list[HostTile]
    correlated: list[FindingRecord]
    cards: list[Card]
    open_findings: list[tuple[str, int]]
    """``(severity, open findings)``, critical first."""


def host_status(open_records: Iterable[FindingRecord], checked: bool) -> str:
    """A host's status from its open findings (see the module docstring)."""
    records = list(open_records)
    paging = [r.severity for r in records if r.state in PAGING_STATES]
    if paging:
        return max(paging, key=lambda s: STATUS_RANK.get(s, 0))
    if records:
        return "acknowledged"
    return "ok" if checked else "unchecked"


def is_host(name: str) -> bool:
    """False for a fleet-wide finding's scope (``rack=r12``), which is not a host."""
    return bool(HOST_NAME.match(name))


def tile(site: Site, name: str, check: HostCheck | None, open_records: Sequence[FindingRecord], now: float
         ) -> HostTile:
    """One host's tile from its last check and its open findings."""
    last = check.last_check if check else None
    worst = sorted(open_records, key=_urgency)[0].summary if open_records else ""
    return HostTile(name, host_status(open_records, last is not None), last is None or now - last > site.silent_after,
                    last, check.last_status if check else None, len(open_records), worst, site.labels_of(name))


def tiles(site: Site, checks: dict[str, HostCheck], open_records: Sequence[FindingRecord], now: float
          ) -> list[HostTile]:
    """Every host the state or the inventory knows, worst first, then by name."""
    by_host: dict[str, list[FindingRecord]] = {}
    for r in open_records:
        if is_host(r.key.host):
            by_host.setdefault(r.key.host, []).append(r)
    names = set(checks) | set(by_host) | set(site.inventory.hosts if site.inventory else ())
    out = [tile(site, h, checks.get(h), by_host.get(h, []), now) for h in names]
    return sorted(out, key=lambda t: (HOST_STATUSES.index(t.status), t.host))


def group(all_tiles: Sequence[HostTile], label: str) -> list[HostGroup]:
    """Tiles grouped by ``label``'s value (one group when ``label`` is empty), worst group first."""
    if not label:
        return [HostGroup("", "all hosts", list(all_tiles))] if all_tiles else []
    found: dict[str, list[HostTile]] = {}
    for t in all_tiles:
        found.setdefault(t.labels.get(label, NO_VALUE), []).append(t)
    groups = [HostGroup(label, value, members) for value, members in found.items()]
    return sorted(groups, key=lambda g: (HOST_STATUSES.index(g.worst), g.value == NO_VALUE, g.value))


def choose_group(site: Site, asked: str | None) -> str:
    """The label to group by: the one asked for, else ``rack`` or the inventory's first label.

    Raises:
        UsageError: ``asked`` is not one of the inventory's labels.
    """
    labels = site.inventory.labels if site.inventory else ()
    if asked is None:
        return DEFAULT_GROUP if DEFAULT_GROUP in labels else (labels[0] if labels else "")
    if asked and asked not in labels:
        known = ", ".join(labels) if labels else "none: start the dashboard with --inventory FILE"
        raise UsageError(f"group {asked[:40]!r}: not an inventory label (labels: {known})")
    return asked


def fleet(reader: StateReader, site: Site, now: float, group_by: str | None = None) -> FleetView:
    """The fleet page: health, hosts by status grouped by a label, correlated groups.

    Raises:
        UsageError: ``group_by`` is not an inventory label.
    """
    label = choose_group(site, group_by)
    open_records = reader.open_findings()
    all_tiles = tiles(site, reader.hosts(), open_records, now)
    found = Counter(t.status for t in all_tiles)
    silent = sorted((t for t in all_tiles if t.silent), key=lambda t: (t.last_check or 0.0, t.host))
    correlated = [r for r in open_records if r.members]
    by_severity = Counter(r.severity for r in open_records)
    return FleetView(label, site.inventory.labels if site.inventory else (), group(all_tiles, label),
                     [(s, found[s]) for s in HOST_STATUSES if found[s]], silent, correlated,
                     health_cards(reader.health(now), site, silent, now),
                     sorted(by_severity.items(), key=lambda kv: -STATUS_RANK.get(kv[0], 0)))


def health_cards(h: Health, site: Site, silent: Sequence[HostTile], now: float) -> list[Card]:
    """The health panel: last run, queue, budget, circuit, alerts, silent hosts, errors."""
    run_age = None if h.last_run is None else now - h.last_run
    cards = [
        Card("Last run", "never" if run_age is None else f"{ago(run_age)} ago",
             "" if h.last_run is None else view.iso(h.last_run),
             "critical" if run_age is None or run_age > STALE_RUN_S else "ok"),
        Card("Queue", f"{h.queue_depth} queued",
             f"oldest {ago(h.queue_oldest_age)}" if h.queue_depth else "nothing waiting",
             "warning" if h.queue_oldest_age > BACKLOG_S else "ok"),
        _budget_card(h, site),
        Card("Circuit", h.circuit.replace("_", "-"),
             f"{h.circuit_failures} failed calls in a row" if h.circuit_failures else "model API answering",
             {"open": "critical", "half_open": "warning"}.get(h.circuit, "ok")),
        _alerts_card(h, site),
        Card("Silent hosts", str(len(silent)),
             f"no check for over {ago(site.silent_after)}" if silent else "every host checked recently",
             "warning" if silent else "ok"),
        Card("Errors (all time)",
             f"{int(h.counters[metrics.API_ERRORS])} API, {int(h.counters[metrics.REPLY_ERRORS])} reply",
             f"{int(h.counters[metrics.ALERT_POST_ERRORS])} alert posts failed, "
             f"{int(h.counters[metrics.SPOOL_QUARANTINED])} spool chunks quarantined"),
    ]
    return cards


def _alerts_card(h: Health, site: Site) -> Card:
    if not h.alerts_unsent:
        return Card("Alerts", f"{h.alerts_firing} firing", "every change posted")
    if site.alertmanager is False:
        return Card("Alerts", f"{h.alerts_firing} firing", f"{h.alerts_unsent} change(s) kept: the config names no "
                    "Alertmanager (alerts.alertmanager_url)")
    return Card("Alerts", f"{h.alerts_firing} firing", f"{h.alerts_unsent} change(s) not yet posted to "
                "Alertmanager", "warning")


def _budget_card(h: Health, site: Site) -> Card:
    level = "warning" if h.budget_exhausted else "ok"
    if site.caps is None:
        return Card("Spend", f"${h.spent_day:.2f} today", f"${h.spent_month:.2f} this month; caps unknown "
                    "(start the dashboard with the runner's --config)", level)
    day, month = site.caps
    value = f"${h.spent_day:.2f} of ${day:.2f} today" if day else f"${h.spent_day:.2f} today (no daily cap)"
    detail = f"${h.spent_month:.2f} of ${month:.2f} this month" if month else f"${h.spent_month:.2f} this month"
    if h.budget_exhausted:
        detail += f"; {h.budget_exhausted} cap reached: signal catalogue only"
    return Card("Spend", value, detail, level)


# --- one host ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """One counted stream of the host (a signal on a device, or a threshold rule's unit)."""

    track: Track
    rates: list[tuple[str, int, float]]
    """``(window, errors, per hour)`` over the trailing 1 h, 24 h and 7 d."""
    threshold: str
    """``4 of 10 per 1 d`` for a rule's unit (empty for a signal's stream)."""
    plot: str
    """The errors-per-hour plot as a ``data:`` URI (see ``web/plots.py``)."""
    end: float
    """Where the rates and the plot end: now, or the last error when it is over a week old."""


@dataclass(frozen=True)
class HostView:
    """A host's page."""

    tile: HostTile
    findings: list[tuple[FindingRecord, int | None]]
    timeline: list[view.Entry]
    checks: list[CheckRow]
    streams: list[Stream]


def host(reader: StateReader, site: Site, name: str, now: float) -> HostView | None:
    """The host's page, or None when neither the state nor the inventory knows it."""
    checks = reader.hosts()
    records = reader.findings(host=name) if is_host(name) else []
    known = name in checks or records or (site.inventory is not None and name in site.inventory.hosts)
    if not is_host(name) or not known:
        return None
    head = tile(site, name, checks.get(name), [r for r in records if r.is_open], now)
    rules = reader.suppressions()
    found = [(r, _suppressed(rules, r, now)) for r in sorted(records, key=_urgency)]
    seen = [(r.id, d) for r in records for d in reader.deltas_of(r.id)]
    streams = [stream(t, now) for t in reader.device_counters(name)]
    return HostView(head, found, view.timeline(reader.host_events(name), seen)[-TIMELINE_SHOWN:],
                    reader.recent_checks(name), streams)


def stream(track: Track, now: float) -> Stream:
    """A counted stream with its rates and plot as of ``now`` (or of its last error, when that is
    over a week old: an old ramp is still worth seeing)."""
    last = track.history.last_at
    end = last if last is not None and now - last > RATE_WINDOWS[-1][1] else now
    rates = track.history.rates(end)
    threshold = ""
    if track.bucket is not None:
        b = track.bucket
        threshold = f"{b.count} of {b.threshold} per {ago(b.period_s)}" + (
            f", crossed {b.overflows}x" if b.overflows else "")
    plot = plots.rate_svg(track.history, end, "now" if end == now else view.iso(end)[:10])
    return Stream(track, [(name, rates.counts[name], rates.per_hour[name]) for name, _ in RATE_WINDOWS], threshold,
                  plot, end)


# --- one finding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingView:
    """A finding's page."""

    detail: FindingDetail
    timeline: list[view.Entry]
    commands: list[tuple[str, str]]
    """``(move, command)`` for every move its state allows."""


def finding(reader: StateReader, site: Site, ref: str, now: float) -> FindingView:
    """The finding's page.

    Raises:
        UnknownFindingError: no finding has this id (or unique prefix).
    """
    detail = reader.finding(ref, now)
    record = detail.record
    entries = view.timeline(detail.events, [(record.id, d) for d in detail.deltas])[-TIMELINE_SHOWN:]
    return FindingView(detail, entries, act_commands(record, site.where))


def act_commands(record: FindingRecord, where: Sequence[str]) -> list[tuple[str, str]]:
    """The CLI commands for the moves the finding's state allows (placeholders in capitals), and the
    suppression of its signal on its host."""
    tail = shlex.join(where)
    out = []
    for move, (command, options) in MOVE_COMMANDS.items():
        if record.state in MOVES[move]:
            out.append((move, f"tasseograph findings {command} {record.id} {options} {tail}".strip()))
    if is_host(record.key.host):
        target = shlex.join(["--host", record.key.host, "--signal", record.key.signal])
        out.append(("suppress", f"tasseograph findings suppress {target} --reason 'WHY' --until 7d {tail}".strip()))
    return out


# --- small helpers the templates use -------------------------------------------------------


def ago(seconds: float) -> str:
    """``45 s``, ``12 min``, ``5 h``, ``3 d``: a duration, rounded down, as the page shows it."""
    s = max(0.0, seconds)
    for unit, size in (("d", DAY), ("h", 3600.0), ("min", 60.0)):
        if s >= size:
            return f"{int(s // size)} {unit}"
    return f"{int(s)} s"


def device_text(device: dict[str, str]) -> str:
    """A device dict as one line (``dimm CPU1_DIMM_B2, mc 0``)."""
    return ", ".join(f"{k} {v}" for k, v in sorted(device.items()))


def details_rows(details: dict[str, Any]) -> list[tuple[str, str]]:
    """A fleet finding's details (rates, forecast...) as ``(key, value)`` rows, nested keys dotted."""
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for k in sorted(value):
                walk(f"{prefix}.{k}" if prefix else str(k), value[k])
        elif isinstance(value, float):
            rows.append((prefix, f"{value:.4g}"))
        else:
            rows.append((prefix, str(value)))

    if details:
        walk("", details)
    return rows


def findings_list(reader: StateReader, wanted: FindingFilter, now: float
                  ) -> tuple[list[tuple[FindingRecord, int | None]], bool]:
    """The findings the filter asks for (the ``limit`` most recently seen, worst first), each with the
    suppression that mutes it; True when there are more."""
    records = reader.findings(host=wanted.host or None, states=wanted.states, severity=wanted.severity or None,
                              category=wanted.category or None, since=wanted.since_ts, limit=wanted.limit + 1)
    rules = reader.suppressions()
    shown = sorted(records[: wanted.limit], key=_urgency)
    return [(r, _suppressed(rules, r, now)) for r in shown], len(records) > wanted.limit


def check_rows(site: Site, checks: dict[str, HostCheck], now: float) -> list[HostTile]:
    """Every host's last check, the longest silent first (hosts never checked at the top)."""
    all_tiles = tiles(site, checks, [], now)
    return sorted(all_tiles, key=lambda t: (t.last_check is not None, t.last_check or 0.0, t.host))


def _suppressed(rules: list[Any], record: FindingRecord, now: float) -> int | None:
    rule = matching(rules, record.key, now)
    return rule.id if rule is not None else None


def _urgency(record: FindingRecord) -> tuple[int, int, int, float]:
    """Open before closed, paging before quieted, critical before warning, most recent first."""
    return (0 if record.is_open else 1, 0 if record.state in PAGING_STATES else 1,
            -STATUS_RANK.get(record.severity, 0), -record.last_seen)
