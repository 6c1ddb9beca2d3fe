"""A review as Markdown (for people) or JSON (for tools)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tasseograph.review.report import Review, ReviewItem

MINOR_SHOWN = 10
EVIDENCE_CHARS = 300


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clip(text: str, limit: int = EVIDENCE_CHARS) -> str:
    text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _header(review: Review) -> list[str]:
    head = [f"# Fleet review {_when(review.since)} .. {_when(review.now)}", ""]
    if review.source == "model":
        who = f"Review by {review.model} (prompt {review.prompt}), cost ${review.cost_usd:.4f}"
        if review.plumbing:
            who += " (answered by the project's fake API server: plumbing, not a model's judgement)"
        head.append(who + ".")
        if review.dropped:
            head.append(f"{review.dropped} item(s) of the model's reply dropped: their evidence did not resolve "
                        f"to stored lines ({'; '.join(review.dropped_titles)}).")
    else:
        head.append("Offline digest: ranked by severity, spread, recurrence and trend (no model).")
        if review.fallback:
            head.append(f"The model's review is not shown: {review.fallback}.")
    head.append(f"{review.findings} finding(s) in the window, {len(review.items)} ranked"
                + (f", {len(review.minor)} minor" if review.minor else "")
                + (f", {review.suppressed} suppressed" if review.suppressed else "") + ".")
    return [*head, ""]


def _item(item: ReviewItem) -> list[str]:
    out = [f"## {item.rank}. [{item.severity}] {_clip(item.title, 200)}", "",
           f"- hosts: {', '.join(item.hosts)}"]
    if item.labels:
        out.append("- labels: " + ", ".join(f"{k}={v}" for k, v in sorted(item.labels.items())))
    if item.devices:
        out.append(f"- devices: {_clip(', '.join(item.devices), 200)}")
    out += [f"- why: {_clip(item.why)}", f"- state: {item.state}; seen {_when(item.first_seen)} .. {_when(item.last_seen)}",
            f"- findings: {', '.join(item.finding_ids)}", f"- next step: {item.next_step}", "", "```text"]
    out += [_clip(line).replace("```", "'''") for line in item.evidence]
    return [*out, "```", ""]


def to_markdown(review: Review) -> str:
    """The review as Markdown: header, ranked items with evidence, minor items, silence, new templates."""
    out = _header(review)
    if not review.items:
        out += ["Nothing ranked in this window.", ""]
    for item in review.items:
        out += _item(item)
    if review.left_out:
        out += [f"## Critical, left out of the model's review ({len(review.left_out)})", ""]
        out += [f"- [{i.severity}] {_clip(i.title, 160)} ({', '.join(i.hosts)}; findings {', '.join(i.finding_ids)})"
                for i in review.left_out]
        out.append("")
    if review.minor:
        out += [f"## Minor ({len(review.minor)}): lone warnings, not ranked", ""]
        out += [f"- [{m.severity}] {_clip(m.title, 160)} ({', '.join(m.hosts)}; {m.why})"
                for m in review.minor[:MINOR_SHOWN]]
        if len(review.minor) > MINOR_SHOWN:
            out.append(f"- ... {len(review.minor) - MINOR_SHOWN} more (`--format json` lists them all)")
        out.append("")
    out += [f"## Silent hosts (no check for {review.silent_after_s / 3600:g} h)", ""]
    out += [f"- {s.host}: last check {_when(s.last_check)} ({s.last_status})" for s in review.silent_hosts] or ["- none"]
    out += ["", "## New to the fleet", ""]
    if review.templates_note:
        out.append(f"- {review.templates_note}")
    else:
        out += [f"- `{_clip(t.template, 200)}` ({t.hosts} host(s), {t.lines} line(s), first {_when(t.first_seen)})"
                for t in review.new_templates] or ["- none"]
    return "\n".join(out) + "\n"


def to_json(review: Review) -> str:
    """The review as indented JSON (``Review``'s fields)."""
    return json.dumps(review.to_json(), indent=2, ensure_ascii=False)
