"""Every runner metric's name, help text and labels: the one place a metric name is written.

The names in DESIGN.md are a contract with existing dashboards:
``dmesg_llm_issues_total{host,category,severity}``, ``dmesg_llm_last_check_timestamp{host}``,
``dmesg_llm_api_errors_total``. Counters are stored in the state file, in the transaction of
what they count (``state.bump``); gauges are read from it at scrape time. The Prometheus side
(collector, textfile, HTTP endpoint) is ``runner/exporter.py``.
"""

from __future__ import annotations

# --- counters (stored with the verdicts, so cron runs and a daemon count alike) ---------------
ISSUES = "dmesg_llm_issues_total"
API_ERRORS = "dmesg_llm_api_errors_total"
API_ERRORS_BY_KIND = "dmesg_llm_api_errors_by_kind_total"
REPLY_ERRORS = "dmesg_llm_reply_errors_total"
CHECKS = "dmesg_llm_checks_total"
TOKENS = "dmesg_llm_tokens_total"
COST_USD = "dmesg_llm_cost_usd_total"
SKIPPED_CALLS = "dmesg_llm_skipped_calls_total"
ALERTS = "dmesg_llm_alerts_total"
ALERT_POST_ERRORS = "dmesg_llm_alert_post_errors_total"
SOURCE_EVENTS = "dmesg_llm_source_events_total"
SOURCE_ERRORS = "dmesg_llm_source_errors_total"
SPOOL_QUARANTINED = "dmesg_llm_spool_quarantined_total"
UNATTRIBUTED_FINDINGS = "dmesg_llm_unattributed_findings_total"
BASELINE_SKIPS = "dmesg_llm_baseline_skips_total"
BASELINE_RATE_JUMPS = "dmesg_llm_baseline_rate_jumps_total"

FINDINGS = "dmesg_llm_findings"
"""Gauge: findings by lifecycle state and severity."""
FINDING_TRANSITIONS = "dmesg_llm_finding_transitions_total"
"""Counter: audit-trail events by action (opened, regressed, acknowledged, resolved...)."""

COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    ISSUES: ("Findings by host, category and severity.", ("host", "category", "severity")),
    API_ERRORS: ("Model API calls that failed after the SDK's retries.", ()),
    API_ERRORS_BY_KIND: ("Failed model API calls by failure kind (unreachable, timeout, rate_limited, "
                         "overloaded, auth, bad_request).", ("kind",)),
    REPLY_ERRORS: ("Verdicts whose model reply broke the JSON contract.", ()),
    CHECKS: ("Verdicts stored, by host and status.", ("host", "status")),
    TOKENS: ("Model tokens by kind (input, output, cache_read, cache_write).", ("kind",)),
    COST_USD: ("Model spend in USD.", ()),
    SKIPPED_CALLS: ("Model calls not made, by reason (pre-filter, budget, circuit...).", ("reason",)),
    ALERTS: ("Alert episodes started.", ("alertname", "severity")),
    ALERT_POST_ERRORS: ("Failed posts to Alertmanager.", ()),
    SOURCE_EVENTS: (
        "Source events: reboot, overrun, truncated, cursor_lost, quarantined, refused, ignored.", ("host", "kind")),
    SOURCE_ERRORS: ("Source read failures.", ("source",)),
    SPOOL_QUARANTINED: (
        "Spool chunks that held binary junk, set apart in the quarantine folder (their signal lines still read).", ()),
    UNATTRIBUTED_FINDINGS: ("Batch findings no host could be found for.", ()),
    BASELINE_SKIPS: (
        "Model calls not made because the delta held only noise and the host's baselined templates.", ("host",)),
    BASELINE_RATE_JUMPS: (
        "Deltas sent to the model because a baselined template came far above its usual rate.", ("host",)),
    FINDING_TRANSITIONS: (
        "Findings' lifecycle moves by action (opened, regressed, escalated, acknowledged, snoozed, dismissed, "
        "resolved, reopened, woke, reminded, suppressed, unsuppressed).", ("action",)),
}
"""Counter name -> (help, label names)."""

# --- gauges (read from the state file at each scrape) ----------------------------------------
LAST_CHECK = "dmesg_llm_last_check_timestamp"
QUEUE_DEPTH = "dmesg_llm_queue_depth"
QUEUE_OLDEST_AGE = "dmesg_llm_queue_oldest_age_seconds"
CIRCUIT_STATE = "dmesg_llm_circuit_state"
BASELINE_TEMPLATES = "dmesg_llm_baseline_templates"
SPOOL_REFUSED = "dmesg_llm_spool_refused"
ALERTS_FIRING = "dmesg_llm_alerts_firing"
LAST_RUN = "dmesg_llm_last_run_timestamp"
BUDGET_SPENT = "dmesg_llm_budget_spent_usd"
BUDGET_LIMIT = "dmesg_llm_budget_limit_usd"
BUDGET_EXHAUSTED = "dmesg_llm_budget_exhausted"

GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    LAST_CHECK: ("Unix time of the host's last verdict.", ("host",)),
    QUEUE_DEPTH: ("Deltas waiting for a verdict.", ()),
    QUEUE_OLDEST_AGE: ("Age of the oldest queued delta.", ()),
    CIRCUIT_STATE: ("Circuit breaker state (1 for the current one).", ("state",)),
    BASELINE_TEMPLATES: ("Templates in the host's baseline, learned or poisoned (memory bound).", ("host", "state")),
    SPOOL_REFUSED: ("Spool entries refused now: links, special files, names that cannot be hosts.", ()),
    ALERTS_FIRING: ("Alerts currently firing.", ()),
    LAST_RUN: ("Unix time the runner last finished a cycle.", ()),
    BUDGET_SPENT: ("USD spent in the current UTC period.", ("period",)),
    BUDGET_LIMIT: ("Spend cap per period (0: none).", ("period",)),
    BUDGET_EXHAUSTED: ("1 while a cap is reached and only the signal catalogue runs.", ("period",)),
    FINDINGS: ("Findings by lifecycle state and current severity.", ("state", "severity")),
}
"""Gauge name -> (help, label names)."""
