"""A ``CostReport`` as text: the inputs, the range over hosts, the levers (Markdown, readable raw)."""

from __future__ import annotations

from collections.abc import Sequence

from tasseograph.eval.cost import CostReport, HostCost, LeverRow, Spread

MOST_HOSTS_SHOWN = 12
"""Hosts listed by name: the dearest ones (the JSON holds them all)."""


def usd(value: float | None) -> str:
    """Dollars at a precision that shows cents and fractions of them."""
    if value is None:
        return "n/a"
    return f"${value:,.2f}" if abs(value) >= 10 else f"${value:.4f}"


def share(value: float | None) -> str:
    """A share as a percentage (more digits when small)."""
    if value is None:
        return "n/a"
    return f"{value:.2%}" if value < 0.1 else f"{value:.1%}"


def table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def inputs_lines(report: CostReport) -> list[str]:
    """Every input, one line each."""
    i = report.inputs
    batch = (f"; several hosts per call: {i.batch_prompt} with a {i.batch_prompt_tokens:,}-token prefix"
             if i.batch_prompt and i.batch_prompt_tokens else "")
    cache = f"min cacheable prefix {i.min_cache_tokens:,} tokens" if i.min_cache_tokens else "no cache minimum known"
    return [
        f"prices: {i.model} ${i.input_usd_per_mtok:g} in / ${i.output_usd_per_mtok:g} out per M tokens, cache read "
        f"${i.cache_read_usd_per_mtok:g}, cache write ${i.cache_write_usd_per_mtok:g}, Message Batches x"
        f"{i.batch_discount:g}, {cache} ({i.prices})",
        f"interval: each host's new lines delivered every {i.interval_s / 60:g} min; runner cycle {i.cycle_s:g} s",
        f"polling: {i.polling}",
        f"pipeline: pre-filter {_on(i.prefilter)}, compression {_on(i.compress)} (at most {i.max_lines} lines), "
        f"per-host baseline {i.baseline}, baseline-aware folding {_on(i.fold)}, redaction {_on(i.redact)}",
        f"prompt: {i.prompt} with a {i.prompt_tokens:,}-token prefix (system prompt and reply schema){batch}",
        f"batch size: {i.batch_hosts} host(s) per call in the headline",
        f"replies: {i.ok_reply_tokens} tokens for an ok call (the contract's ok reply), {i.issue_tokens} per delta "
        "judged warning or critical",
        f"judge: {i.judge}",
        f"boots: a log that begins at a boot has its first {i.boot_window_s / 60:g} min priced apart, "
        f"{i.boots_per_month:g} boot(s) a month; a host seen less than {i.min_steady_s / 3600:g} h after its boot "
        "gets no month figure",
        f"hosts: {i.hosts} in the folder; fleet totals for {i.fleet_hosts:,} hosts",
    ]


def lever_table(rows: Sequence[LeverRow]) -> str:
    """Each configuration's cost per host-month over hosts, and what it assumes."""
    head = ["configuration", "calls / host-month", "via Message Batches", "cache hits", "median", "p90", "max",
            "mean", "fleet / month", "assumes"]
    body = [[r.label, f"{r.calls_per_host_month:,.1f}", share(r.batched_share), share(r.cache_hit_share),
             usd(r.usd_per_host_month.median), usd(r.usd_per_host_month.p90), usd(r.usd_per_host_month.max),
             usd(r.usd_per_host_month.mean), usd(r.fleet_usd_per_month), r.assumes] for r in rows]
    return table(head, body)


def host_table(hosts: Sequence[HostCost]) -> str:
    """The dearest hosts, one row each."""
    dear = sorted(hosts, key=lambda h: -(h.usd_per_month if h.usd_per_month is not None else h.usd))
    head = ["host", "clock", "lines", "days priced", "intervals with a line", "deltas", "calls", "skipped",
            "sent / raw tokens", "boot", "per month"]
    body = [[h.host, h.clock, f"{h.lines:,}", f"{h.period_days:.2f}", share(h.activity), h.deltas, h.calls,
             h.skipped, f"{h.sent_tokens:,} / {h.raw_tokens:,}", usd(h.boot_usd), usd(h.usd_per_month)]
            for h in dear[:MOST_HOSTS_SHOWN]]
    return table(head, body)


def spread_line(what: str, spread: Spread, *, money: bool = False) -> str:
    """``what: median .., p90 .., max .., mean .. (N hosts)``."""
    show = usd if money else share
    return (f"{what}: median {show(spread.median)}, p90 {show(spread.p90)}, max {show(spread.max)}, "
            f"mean {show(spread.mean)} ({spread.hosts} hosts)")


def render_report(report: CostReport) -> str:
    """The whole report as Markdown text."""
    t = report.tokens
    ratio = f"{t.reduction:.1f}x fewer" if t.reduction else "nothing sent"
    parts = [
        f"## Cost per host-month: {report.logdir}",
        "Inputs:\n" + "\n".join(f"- {line}" for line in inputs_lines(report)),
        spread_line("Activity (share of intervals with a line)", report.activity),
        spread_line("Cost per host-month (headline)", report.cost, money=True),
        lever_table(report.levers),
        f"Log tokens: {t.raw:,} as received, {t.sent:,} sent ({ratio}); {t.deltas:,} deltas, {t.calls:,} needed the "
        f"model, {t.skipped_prefilter:,} skipped by the pre-filter, {t.skipped_baseline:,} by the baseline; "
        f"{t.folded_lines:,} lines folded.",
        host_table(report.hosts),
    ]
    if t.evidence_lines is not None:
        parts.append(f"Evidence retention: {share(t.evidence_retention)} of {t.evidence_lines:,} evidence lines reached "
                     f"the prompt or a signal ({share(t.evidence_in_prompt)} the prompt itself).")
    if report.unpriced:
        parts.append("No month figure (seen too briefly after boot): " + ", ".join(report.unpriced))
    if report.skipped_files:
        parts.append("Files not read: " + "; ".join(f"{k} ({v})" for k, v in report.skipped_files.items()))
    parts.append("Notes: " + "; ".join(report.notes) + ".")
    return "\n\n".join(parts)


def _on(flag: bool) -> str:
    return "on" if flag else "off"
