"""Which alerts fire, with which labels, and their delivery to Alertmanager's v2 API.

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
causes it; the sender claims outbox rows, posts them in order and deletes what was accepted
(the alert state and its outbox are ``tasseograph.store.alerts``; with several runners each row
is posted by the one runner that claimed it). A crash between the post and the delete re-posts
the same alert (same labels, same ``startsAt``), which Alertmanager merges into the existing
one, so the number of distinct alerts is right. Firing alerts are also re-posted every
``repost`` seconds with ``endsAt`` = now + ``hold``, as Alertmanager expects from its clients.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tasseograph import devices
from tasseograph.errors import AlertError
from tasseograph.findings.record import PAGING_STATES, FindingRecord, worse
from tasseograph.runner.credentials import split_url_credentials
from tasseograph.store.alerts import fire, firing, firing_labels, is_firing, resolve
from tasseograph.store.base import Store
from tasseograph.store.records import labels_key
from tasseograph.store.tx import Tx

FINDING_ALERT = "DmesgHardwareIssue"
BUDGET_ALERT = "DmesgLLMBudgetExhausted"
CIRCUIT_ALERT = "DmesgLLMAPIUnavailable"
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


def sync_finding(conn: Tx, record: FindingRecord, fp: str | None, *, page: bool, now: float,
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


def legacy_alerts(conn: Tx) -> list[tuple[str, dict[str, str], float]]:
    """Firing finding alerts from before version 4 (labelled host/category/severity, no ``finding_id``):
    fingerprint, labels and start."""
    return [(fp, labels, starts_at) for fp, labels, starts_at in firing(conn)
            if labels.get("alertname") == FINDING_ALERT and "finding_id" not in labels]


def system_alert(conn: Tx, name: str, wanted: bool, summary: str, now: float, rules: AlertRules) -> None:
    """Fire or resolve one of the runner's own alerts (budget, API unavailable)."""
    labels = {**rules.static_labels, "alertname": name, "severity": "warning", "host": "tasseograph"}
    fp = fingerprint(labels)
    now_firing = is_firing(conn, fp)
    if wanted and not now_firing:
        fire(conn, fp, labels, {"summary": summary}, now)
    elif not wanted and now_firing:
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


Post = tuple[int | None, str, dict[str, Any]]
"""An alert to send: its outbox id (None for a re-post), fingerprint and JSON."""


def claim_posts(store: Store, owner: str, now: float, rules: AlertRules, *, limit: int
                ) -> tuple[list[Post], list[tuple[str, float]]]:
    """Outbox rows in order, then firing alerts due for a re-post, claimed for ``owner``; and the
    re-posts' earlier post times (handed back with ``Store.unclaim_alerts`` if the post fails)."""
    out: list[Post] = []
    for oid, fp, labels, notes, state, starts_at, ends_at in store.claim_outbox(owner, limit=limit):
        ends = ends_at if state == "resolved" and ends_at is not None else now + rules.hold
        out.append((oid, fp, _payload(labels, notes, starts_at, ends)))
    reposts = store.claim_reposts(now, rules.repost, limit=max(limit - len(out), 0)) if len(out) < limit else []
    out.extend((None, fp, _payload(labels, notes, starts_at, now + rules.hold))
               for fp, labels, notes, starts_at, _ in reposts)
    return out, [(fp, last) for fp, _, _, _, last in reposts]


def _payload(labels: str, notes: str, starts_at: float, ends_at: float) -> dict[str, Any]:
    return {"labels": json.loads(labels), "annotations": json.loads(notes),
            "startsAt": to_iso(starts_at), "endsAt": to_iso(ends_at)}


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
