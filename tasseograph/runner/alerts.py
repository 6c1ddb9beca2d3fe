"""Alert state (in SQLite) and delivery to Alertmanager's v2 API.

One alert per finding (``tasseograph.findings``). Its labels are ``alertname``, ``finding_id``,
``host``, ``category``, ``severity``, the identity keys of the finding's device (``dimm``,
``nvme``, ``pci``, ``nic``...), labels a fleet rule adds (a group's ``rack``, ``switch``... and
``group_label``), the host's inventory labels (``rack``, ``row``..., when ``[fleet] inventory``
is set) and the configured static ones, so Alertmanager can ``group_by: [host, category]``,
route by device, and inhibit a group's members. When a finding pages (``wants_page``): a
critical finding in ``active`` or ``regressed`` at once, a fleet finding at once (it is a
sustained condition by construction: a threshold crossed, a significant trend, a steady period,
K hosts), a warning one when ``warning_min_checks`` checks within ``warning_window`` carried it;
never while acknowledged, snoozed, dismissed, resolved or suppressed. Its alert ends when it stops paging (an operator's
move, a suppression, a recovery line, a clean re-check), and a regression fires it again as a
new episode. A severity that rises while it fires ends the lower alert and fires the higher
one; a sighting at a lower severity does not lower a firing alert.

Exactly-once in the sense that matters: every transition (a new firing episode, a resolution)
is written to an outbox in the same transaction as the verdict (or the operator's move) that
causes it; the sender posts the outbox in order and deletes what was accepted. A crash between
the post and the delete re-posts the same alert (same labels, same ``startsAt``), which
Alertmanager merges into the existing one, so the number of distinct alerts is right. Firing
alerts are also re-posted every ``repost`` seconds with ``endsAt`` = now + ``hold``, as
Alertmanager expects from its clients.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tasseograph import devices
from tasseograph.errors import AlertError
from tasseograph.findings.record import PAGING_STATES, FindingRecord, worse
from tasseograph.runner import metrics
from tasseograph.runner.credentials import split_url_credentials
from tasseograph.runner.state import bump, labels_key

FINDING_ALERT = "DmesgHardwareIssue"
BUDGET_ALERT = "DmesgLLMBudgetExhausted"
CIRCUIT_ALERT = "DmesgLLMAPIUnavailable"
EPISODE_GAP = 0.001
"""Seconds between an episode's start and end and the next start (times are sent to the ms)."""
EVIDENCE_CHARS = 1000
"""Longest evidence annotation (Alertmanager notifications are not log viewers)."""
CORE_LABELS = ("alertname", "finding_id", "host", "category", "severity")
"""Labels no device key or fleet label may overwrite."""
FLEET_SOURCE = "fleet"
"""``FindingRecord.source`` of findings a fleet rule raised."""
FLEET_EVENT = "fleet_event"
"""Annotation of a fleet finding's alert: the event that last changed it (trend, threshold, pattern, group)."""
_LABEL_NAME = re.compile(r"[^a-zA-Z0-9_]")


@dataclass(frozen=True)
class AlertRules:
    """When alerts fire, and when findings resolve by a clean re-check (seconds for durations;
    ``[alerts]`` in the config documents each)."""

    warning_min_checks: int = 3
    warning_window: float = 3600.0
    resolve_after_checks: int = 3
    """Clean checks of its host before a warning finding resolves by a clean re-check."""
    resolve_after: float = 1800.0
    """And seconds since it was last seen."""
    resolve_quiet: float = 86400.0
    """An open finding unseen this long is judged ``uncertain`` (it stays open)."""
    hold: float = 3600.0
    repost: float = 300.0
    static_labels: dict[str, str] = field(default_factory=dict)
    host_labels: Callable[[str], Mapping[str, str]] | None = None
    """A host's inventory labels (``rack``, ``switch``...), added to its findings' alerts."""


def fingerprint(labels: dict[str, str]) -> str:
    """Stable id of a label set (what Alertmanager dedupes on, hashed)."""
    return hashlib.sha256(labels_key(labels).encode("utf-8")).hexdigest()[:16]


def label_name(name: str) -> str:
    """A device or fleet key as an Alertmanager label name (``[a-zA-Z_][a-zA-Z0-9_]*``)."""
    clean = _LABEL_NAME.sub("_", name)
    return clean if clean and not clean[0].isdigit() else f"_{clean}"


def finding_labels(record: FindingRecord, rules: AlertRules, *, severity: str | None = None) -> dict[str, str]:
    """The label set of a finding's alert (at ``severity``, default its current one)."""
    own = dict(rules.host_labels(record.key.host)) if rules.host_labels is not None else {}
    extra = {label_name(k): v for k, v in {**own, **record.labels, **dict(record.key.device)}.items()}
    labels = {**rules.static_labels, **{k: v for k, v in extra.items() if k not in CORE_LABELS}}
    return {**labels, "alertname": FINDING_ALERT, "finding_id": record.id, "host": record.key.host,
            "category": record.key.category, "severity": severity or record.severity}


def wants_page(record: FindingRecord, *, suppressed: bool, firing: bool, recent_checks: int,
               rules: AlertRules) -> bool:
    """True when the finding should have a firing alert (see the module docstring)."""
    if suppressed or record.state not in PAGING_STATES:
        return False
    return record.severity == "critical" or record.source == FLEET_SOURCE or firing \
        or recent_checks >= rules.warning_min_checks


def firing_labels(conn: sqlite3.Connection, fp: str | None) -> dict[str, str] | None:
    """The labels of the alert ``fp`` when it is firing, else None."""
    if fp is None:
        return None
    row = conn.execute("SELECT labels FROM alerts WHERE fingerprint=? AND state='firing'", (fp,)).fetchone()
    return json.loads(row[0]) if row else None


def sync_finding(conn: sqlite3.Connection, record: FindingRecord, fp: str | None, *, page: bool, now: float,
                 rules: AlertRules, why: str = "", refresh: bool = True) -> str | None:
    """Fire, keep or end the finding's alert so that it fires exactly when ``page``.

    Args:
        fp: the fingerprint of the finding's alert so far (None: it never had one).
        why: what ended it (an operator's note...), added to the ending alert's annotations.
        refresh: rewrite a firing alert's annotations (times seen, evidence) even when its labels
            stay; the sweep passes False, as nothing about the finding changed.

    Returns:
        The fingerprint of the finding's alert now (a new one when its labels changed).
    """
    current = firing_labels(conn, fp)
    if not page:
        if current is not None and fp is not None:
            resolve(conn, fp, now, ended=why or f"finding {record.state}")
        return fp
    severity = worse(record.severity, current["severity"]) if current else record.severity
    labels = finding_labels(record, rules, severity=severity)
    new_fp = fingerprint(labels)
    if current is not None and fp is not None and new_fp != fp:
        resolve(conn, fp, now, ended=f"severity rose to {severity}")
    elif current is not None and not refresh:
        return fp
    fire(conn, new_fp, labels, _annotations(record), now)
    return new_fp


def legacy_alerts(conn: sqlite3.Connection) -> list[tuple[str, dict[str, str], float]]:
    """Firing finding alerts from before version 4 (labelled host/category/severity, no ``finding_id``):
    fingerprint, labels and start."""
    rows = conn.execute("SELECT fingerprint, labels, starts_at FROM alerts WHERE state='firing'").fetchall()
    out = []
    for fp, text, starts_at in rows:
        labels = json.loads(text)
        if labels.get("alertname") == FINDING_ALERT and "finding_id" not in labels:
            out.append((fp, labels, starts_at))
    return out


def fire(conn: sqlite3.Connection, fp: str, labels: dict[str, str], annotations: dict[str, str], now: float) -> None:
    """Fire (or keep firing) an alert; a new episode, queued for posting, when it was not firing."""
    row = conn.execute("SELECT state, ends_at FROM alerts WHERE fingerprint=?", (fp,)).fetchone()
    if row is not None and row[0] == "firing":
        conn.execute("UPDATE alerts SET last_seen=?, clean_checks=0, annotations=? WHERE fingerprint=?",
                     (now, json.dumps(annotations), fp))
        return
    # Each episode needs its own startsAt, or Alertmanager would take it for the resolved one.
    starts = max(now, row[1] + EPISODE_GAP) if row is not None and row[1] is not None else now
    conn.execute(
        "INSERT INTO alerts (fingerprint, labels, annotations, state, starts_at, ends_at, last_seen,"
        " clean_checks, last_post, episode) VALUES (?,?,?,'firing',?,NULL,?,0,0,1)"
        " ON CONFLICT (fingerprint) DO UPDATE SET state='firing', starts_at=excluded.starts_at,"
        " ends_at=NULL, last_seen=excluded.last_seen, clean_checks=0, annotations=excluded.annotations,"
        " episode=episode+1",
        (fp, labels_key(labels), json.dumps(annotations), starts, now),
    )
    conn.execute("INSERT INTO alert_outbox (fingerprint, state, starts_at, ends_at) VALUES (?,'firing',?,NULL)",
                 (fp, starts))
    bump(conn, metrics.ALERTS, {"alertname": labels["alertname"], "severity": labels.get("severity", "")})


def resolve(conn: sqlite3.Connection, fp: str, now: float, *, ended: str = "") -> None:
    """Mark a firing alert resolved and queue the resolution (``endsAt`` = now).

    ``ended`` (why it ended: "acknowledged by alice: ...") goes into its annotations.
    """
    row = conn.execute("SELECT starts_at, annotations FROM alerts WHERE fingerprint=? AND state='firing'",
                       (fp,)).fetchone()
    if row is None:
        return
    ends = max(now, row[0] + EPISODE_GAP)
    notes = {**json.loads(row[1]), "ended": ended} if ended else json.loads(row[1])
    conn.execute("UPDATE alerts SET state='resolved', ends_at=?, annotations=? WHERE fingerprint=?",
                 (ends, json.dumps(notes), fp))
    conn.execute("INSERT INTO alert_outbox (fingerprint, state, starts_at, ends_at) VALUES (?,'resolved',?,?)",
                 (fp, row[0], ends))


def system_alert(conn: sqlite3.Connection, name: str, firing: bool, summary: str, now: float,
                 rules: AlertRules) -> None:
    """Fire or resolve one of the runner's own alerts (budget, API unavailable)."""
    labels = {**rules.static_labels, "alertname": name, "severity": "warning", "host": "tasseograph"}
    fp = fingerprint(labels)
    row = conn.execute("SELECT state FROM alerts WHERE fingerprint=?", (fp,)).fetchone()
    is_firing = row is not None and row[0] == "firing"
    if firing and not is_firing:
        fire(conn, fp, labels, {"summary": summary}, now)
    elif not firing and is_firing:
        resolve(conn, fp, now)


def _annotations(record: FindingRecord) -> dict[str, str]:
    evidence = record.samples[-1].evidence if record.samples else ""
    if len(evidence) > EVIDENCE_CHARS:
        evidence = evidence[:EVIDENCE_CHARS] + "..."
    k = record.key
    named = devices.describe(k.device_dict)
    return {
        "summary": f"{k.host}: {k.category} {record.severity}: {record.summary}",
        "description": evidence,
        "finding": f"{record.id} {k.signal}{' ' + named if named else ''}: {record.state}, seen {record.times_seen}x "
                   f"since {to_iso(record.first_seen)}, regressions {record.regressions}",
        "source": record.source,
        **({"members": ", ".join(record.members)} if record.members else {}),
        **({FLEET_EVENT: str(record.details["kind"])} if record.source == FLEET_SOURCE and "kind" in record.details
           else {}),
    }


# --- delivery ---------------------------------------------------------------------------


def to_iso(ts: float) -> str:
    """RFC 3339 time as Alertmanager wants it."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def due_for_post(conn: sqlite3.Connection, now: float, rules: AlertRules) -> list[tuple[int | None, str, dict[str, Any]]]:
    """``(outbox id, fingerprint, alert JSON)``: the outbox in order, then firing alerts due for a re-post."""
    out: list[tuple[int | None, str, dict[str, Any]]] = []
    rows = conn.execute(
        "SELECT o.id, o.fingerprint, a.labels, a.annotations, o.state, o.starts_at, o.ends_at"
        " FROM alert_outbox o JOIN alerts a ON a.fingerprint = o.fingerprint ORDER BY o.id"
    ).fetchall()
    queued = set()
    for oid, fp, labels, notes, state, starts_at, ends_at in rows:
        out.append((oid, fp, _payload(labels, notes, starts_at, ends_at if state == "resolved" else now + rules.hold)))
        queued.add(fp)
    rows = conn.execute(
        "SELECT fingerprint, labels, annotations, starts_at FROM alerts WHERE state='firing' AND last_post<=?"
        " ORDER BY starts_at", (now - rules.repost,),
    ).fetchall()
    out.extend((None, fp, _payload(labels, notes, starts_at, now + rules.hold))
               for fp, labels, notes, starts_at in rows if fp not in queued)
    return out


def _payload(labels: str, notes: str, starts_at: float, ends_at: float) -> dict[str, Any]:
    return {"labels": json.loads(labels), "annotations": json.loads(notes),
            "startsAt": to_iso(starts_at), "endsAt": to_iso(ends_at)}


def mark_posted(conn: sqlite3.Connection, posted: Iterable[tuple[int | None, str]], now: float) -> None:
    """Drop posted outbox rows and note the post time of their alerts."""
    for oid, fp in posted:
        if oid is not None:
            conn.execute("DELETE FROM alert_outbox WHERE id=?", (oid,))
        conn.execute("UPDATE alerts SET last_post=? WHERE fingerprint=?", (now, fp))


class AlertmanagerClient:
    """``POST /api/v2/alerts`` (a list of alerts per request)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        # Credentials in the URL become a header: the URL in every message is free of them.
        clean, creds = split_url_credentials(url)
        self.url = clean.rstrip("/") + "/api/v2/alerts"
        self.timeout = timeout
        self._headers = {"Content-Type": "application/json"}
        if creds is not None:
            token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode("ascii")
            self._headers["Authorization"] = f"Basic {token}"

    def post(self, alerts: list[dict[str, Any]]) -> None:
        """Send alerts.

        Raises:
            AlertError: connection failure or a non-2xx answer.
        """
        body = json.dumps(alerts).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST", headers=self._headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace")
            raise AlertError(f"Alertmanager at {self.url} answered HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise AlertError(f"cannot reach Alertmanager at {self.url}: {exc}") from None
