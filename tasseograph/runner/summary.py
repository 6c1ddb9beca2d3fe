"""What the runner tells its operator: one line per pass, and what a config file will do.

The pass line goes to stdout at the default verbosity (cron captures it, the journal
timestamps it), so an operator can see from the log alone that the runner is alive and what it
did: hosts, new deltas, verdicts by status, calls skipped, alerts sent, money spent, backlog.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tasseograph.runner.config import RunnerConfig
from tasseograph.runner.worker import CycleReport

STATUS_ORDER = ("critical", "warning", "ok")


def pass_line(report: CycleReport, now: float) -> str:
    """``2026-12-07T12:40:05Z pass: 2 hosts, 2 new deltas, 2 verdicts (critical 1, ok 1; ...), ...``."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    by_status = ", ".join(f"{s} {report.statuses[s]}" for s in STATUS_ORDER if report.statuses[s])
    detail = "; ".join(x for x in (by_status, f"{report.skipped} without a model call" if report.skipped else "",
                                   f"{report.fallback} by the signal catalogue alone" if report.fallback else "")
                       if x)
    parts = [
        _n(len(report.hosts), "host"), _n(report.ingested, "new delta"),
        _n(report.analysed, "verdict") + (f" ({detail})" if detail else ""),
        _n(report.alerts_posted, "alert") + " sent", f"${report.cost_usd:.4f}", f"{report.queued:,} queued",
    ]
    if report.failed:
        parts.append(f"{_n(report.failed, 'delta')} failed and will be retried ({report.interim} checked by signals "
                     "meanwhile)")
    return f"{stamp} pass: " + ", ".join(parts)


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def config_summary(config: RunnerConfig) -> list[str]:
    """What the runner would do with ``config``, a line per concern."""
    m = config.model
    model = m.name + ("" if m.name == "rules" else f", prompt {m.prompt}")
    if m.batch_size > 1 and m.name != "rules":
        model += f", {m.batch_size} hosts per call ({m.batch_prompt})"
    s = config.sources
    sources = [f"spool {s.spool.dir}" if s.spool.dir else "", f"kmsg {s.kmsg.path}" if s.kmsg.enabled else "",
               "journal" if s.journal.enabled else ""]
    budget = config.budget
    caps = [f"${budget.daily_usd:,.2f}/day" if budget.daily_usd else "", f"${budget.monthly_usd:,.2f}/month"
            if budget.monthly_usd else ""]
    return [
        f"model: {model}",
        f"sources: {', '.join(x for x in sources if x) or 'none (only --stdin and queued deltas)'}",
        f"state: {config.state}",
        f"alerts: {config.alerts.alertmanager_url or 'none (alerts.alertmanager_url unset)'}",
        f"metrics: {'textfile ' + str(config.metrics.textfile) if config.metrics.textfile else 'no textfile'}; "
        f"daemon listens on {config.metrics.listen or 'nothing'}",
        f"budget: {' and '.join(x for x in caps if x) or 'no cap'}",
        f"fleet: {_fleet(config)}",
    ]


def _fleet(config: RunnerConfig) -> str:
    f = config.fleet
    if not f.enabled:
        return "off"
    thresholds = f"thresholds {f.thresholds}" if f.thresholds else "shipped thresholds"
    if f.inventory is None:
        return f"{thresholds}; no inventory (no correlation)"
    return (f"{thresholds}; inventory {f.inventory}: {f.min_hosts} hosts sharing a label within "
            f"{f.window:g} s form a group (by {f.by})")
