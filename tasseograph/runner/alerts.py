"""Alert state (in SQLite) and delivery to Alertmanager's v2 API.

Rules (DESIGN.md routing): a critical finding fires at once; a warning fires when
``warning_min_checks`` checks of the host within ``warning_window`` carried it; an alert
resolves after ``resolve_after_checks`` clean checks of its host and ``resolve_after`` seconds
since it was last seen. Labels are ``alertname``, ``host``, ``category``, ``severity`` (plus the
configured static ones) so Alertmanager can ``group_by: [host, category]``.

Exactly-once in the sense that matters: every transition (a new firing episode, a resolution)
is written to an outbox in the same transaction as the verdict that causes it; the sender posts
the outbox in order and deletes what was accepted. A crash between the post and the delete
re-posts the same alert (same labels, same ``startsAt``), which Alertmanager merges into the
existing one, so the number of distinct alerts is right. Firing alerts are also re-posted every
``repost`` seconds with ``endsAt`` = now + ``hold``, as Alertmanager expects from its clients.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tasseograph.errors import AlertError
from tasseograph.runner import metrics
from tasseograph.runner.credentials import split_url_credentials
from tasseograph.runner.state import bump, labels_key
from tasseograph.schema import Finding, Verdict

FINDING_ALERT = "DmesgHardwareIssue"
BUDGET_ALERT = "DmesgLLMBudgetExhausted"
CIRCUIT_ALERT = "DmesgLLMAPIUnavailable"
EPISODE_GAP = 0.001
"""Seconds between an episode's start and end and the next start (times are sent to the ms)."""
EVIDENCE_CHARS = 1000
"""Longest evidence annotation (Alertmanager notifications are not log viewers)."""


@dataclass(frozen=True)
class AlertRules:
    """When alerts fire and resolve (seconds for durations)."""

    warning_min_checks: int = 3
    warning_window: float = 3600.0
    resolve_after_checks: int = 3
    resolve_after: float = 1800.0
    resolve_quiet: float = 86400.0
    hold: float = 3600.0
    repost: float = 300.0
    static_labels: dict[str, str] = field(default_factory=dict)


def fingerprint(labels: dict[str, str]) -> str:
    """Stable id of a label set (what Alertmanager dedupes on, hashed)."""
    return hashlib.sha256(labels_key(labels).encode("utf-8")).hexdigest()[:16]


def finding_labels(host: str, finding: Finding, rules: AlertRules) -> dict[str, str]:
    """The label set of a finding's alert."""
    return {**rules.static_labels, "alertname": FINDING_ALERT, "host": host,
            "category": finding.category, "severity": finding.severity}


def apply_verdict(conn: sqlite3.Connection, host: str, verdict: Verdict, now: float, rules: AlertRules,
                  *, interim: bool = False) -> None:
    """Update the host's alert state for a verdict (inside the verdict's transaction).

    ``interim`` marks a signals-only check of a still-queued delta: it may fire critical
    alerts but does not count as a check (it neither sustains warnings nor clears alerts).
    """
    seen: set[str] = set()
    for f in _worst_per_key(verdict.findings):
        labels = finding_labels(host, f, rules)
        fp = fingerprint(labels)
        if f.severity == "critical" or (not interim and _sustained(conn, host, f, now, rules)):
            fire(conn, fp, labels, _annotations(host, f, verdict), now)
            seen.add(fp)
        elif not interim and _touch(conn, fp, now):
            seen.add(fp)
    if not interim:
        _count_clean(conn, host, seen, now, rules)


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


def resolve(conn: sqlite3.Connection, fp: str, now: float) -> None:
    """Mark a firing alert resolved and queue the resolution (``endsAt`` = now)."""
    row = conn.execute("SELECT starts_at FROM alerts WHERE fingerprint=? AND state='firing'", (fp,)).fetchone()
    if row is None:
        return
    ends = max(now, row[0] + EPISODE_GAP)
    conn.execute("UPDATE alerts SET state='resolved', ends_at=? WHERE fingerprint=?", (ends, fp))
    conn.execute("INSERT INTO alert_outbox (fingerprint, state, starts_at, ends_at) VALUES (?,'resolved',?,?)",
                 (fp, row[0], ends))


def sweep(conn: sqlite3.Connection, now: float, rules: AlertRules) -> None:
    """Resolve finding alerts not seen for ``resolve_quiet`` seconds (a quiet host has no checks)."""
    if rules.resolve_quiet <= 0:
        return
    rows = conn.execute("SELECT fingerprint, labels FROM alerts WHERE state='firing' AND last_seen<=?",
                        (now - rules.resolve_quiet,)).fetchall()
    for fp, labels in rows:
        if json.loads(labels).get("alertname") == FINDING_ALERT:
            resolve(conn, fp, now)


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


def _worst_per_key(findings: Iterable[Finding]) -> list[Finding]:
    best: dict[tuple[str, str], Finding] = {}
    for f in findings:
        best.setdefault((f.category, f.severity), f)
    return list(best.values())


def _sustained(conn: sqlite3.Connection, host: str, f: Finding, now: float, rules: AlertRules) -> bool:
    (checks,) = conn.execute(
        "SELECT COUNT(DISTINCT delta_id) FROM findings WHERE host=? AND category=? AND severity=? AND checked>=?",
        (host, f.category, f.severity, now - rules.warning_window),
    ).fetchone()
    return int(checks) >= rules.warning_min_checks


def _touch(conn: sqlite3.Connection, fp: str, now: float) -> bool:
    """Refresh an already firing alert seen again below its firing rule; True if it was firing."""
    return conn.execute(
        "UPDATE alerts SET last_seen=?, clean_checks=0 WHERE fingerprint=? AND state='firing'", (now, fp)
    ).rowcount > 0


def _count_clean(conn: sqlite3.Connection, host: str, seen: set[str], now: float, rules: AlertRules) -> None:
    rows = conn.execute(
        "SELECT fingerprint, labels, clean_checks, last_seen FROM alerts WHERE state='firing'"
    ).fetchall()
    for fp, labels_json, clean, last_seen in rows:
        labels = json.loads(labels_json)
        if labels.get("alertname") != FINDING_ALERT or labels.get("host") != host or fp in seen:
            continue
        clean += 1
        conn.execute("UPDATE alerts SET clean_checks=? WHERE fingerprint=?", (clean, fp))
        if clean >= rules.resolve_after_checks and now - last_seen >= rules.resolve_after:
            resolve(conn, fp, now)


def _annotations(host: str, f: Finding, verdict: Verdict) -> dict[str, str]:
    evidence = f.evidence if len(f.evidence) <= EVIDENCE_CHARS else f.evidence[:EVIDENCE_CHARS] + "..."
    return {
        "summary": f"{host}: {f.category} {f.severity}: {f.summary}",
        "description": evidence,
        "source": f.source,
        "model": verdict.model,
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
