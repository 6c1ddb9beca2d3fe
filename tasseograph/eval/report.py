"""Run reports: ``summary.json``, ``cases.parquet``, ``report.md`` and a self-contained ``report.html``.

The HTML embeds its plots as base64 PNGs (matplotlib, Agg backend), so the one file can be
attached to a PR or opened from CI artefacts without anything beside it.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tasseograph.eval.runner import RunResult
from tasseograph.eval.scoring import QUALITY_PLUMBING, SCHEMA_VERSION, no_usable_replies

ESCALATION_POLICIES = ("single", "escalate-nonok", "escalate-uncertain", "local-first")


def write_all(out: Path, summaries: list[dict[str, Any]], runs: Sequence[RunResult], *, title: str = "tasseograph eval") -> None:
    """Write every report file into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    write_summary(out / "summary.json", summaries)
    write_cases(out / "cases.parquet", summaries, runs)
    (out / "report.md").write_text(markdown(summaries, title=title), encoding="utf-8")
    (out / "report.html").write_text(html_report(summaries, title=title), encoding="utf-8")


def write_summary(path: Path, summaries: list[dict[str, Any]]) -> None:
    """``{"schema_version": 1, "runs": [...]}``."""
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "runs": summaries}, indent=2) + "\n", encoding="utf-8")


def read_summary(path: Path) -> list[dict[str, Any]]:
    """The runs of a ``summary.json`` (or of the one inside a run directory)."""
    from tasseograph.errors import UsageError

    p = path / "summary.json" if path.is_dir() else path
    if not p.exists():
        raise UsageError(f"no summary.json at {path} (run 'tasseograph-eval run ... --out DIR' first)")
    data = json.loads(p.read_text(encoding="utf-8"))
    if data.get("schema_version") != SCHEMA_VERSION:
        raise UsageError(f"{p}: schema_version {data.get('schema_version')!r}, expected {SCHEMA_VERSION}")
    return list(data["runs"])


def write_cases(path: Path, summaries: list[dict[str, Any]], runs: Sequence[RunResult]) -> None:
    """One row per case per run (truth, verdict, findings, tokens, cost, latency)."""
    import pandas as pd

    rows = []
    for s, run in zip(summaries, runs, strict=True):
        for c in run.cases:
            rows.append({
                "run_id": s["run_id"], "dataset": s["dataset"], "model": s["model"], "prompt": s["prompt"],
                "policy": s["policy"], "options_label": s["options_label"], "epoch": c.epoch, "case_id": c.case_id,
                "host": c.host, "group": c.group, "truth_status": c.truth_status,
                "truth_categories": list(c.truth_categories), "truth_tags": c.truth_tags,
                "pred_status": c.pred_status, "pred_categories": list(c.pred_categories),
                "findings": json.dumps(c.findings, ensure_ascii=False), "skipped": c.skipped,
                "skip_reason": c.skip_reason, "model_error": c.model_error, "n_findings": c.n_findings,
                "evidence_valid": c.evidence_valid, "confidence": c.confidence,
                "input_tokens": c.usage.input_tokens, "output_tokens": c.usage.output_tokens,
                "cache_read_tokens": c.usage.cache_read_tokens, "cache_write_tokens": c.usage.cache_write_tokens,
                "cost_usd": c.cost_usd, "latency_s": c.latency_s, "n_requests": c.n_requests,
                "cache_hits": c.cache_hits, "lines_in": c.lines_in, "tokens_before": c.tokens_before,
                "tokens_after": c.tokens_after, "origins": list(c.origins),
            })
    pd.DataFrame(rows).to_parquet(path, index=False)


# --- text ------------------------------------------------------------------------------


def fmt(v: float | None, digits: int = 3) -> str:
    """A score, or ``undefined`` for None."""
    return "undefined" if v is None else f"{v:.{digits}f}"


def fmt_ci(ci: Sequence[float] | None) -> str:
    """``[lo, hi]`` or an empty string."""
    return "" if not ci else f" [{ci[0]:.2f}, {ci[1]:.2f}]"


def fmt_money(v: float | None) -> str:
    """Dollars with sensible precision."""
    if v is None:
        return "-"
    return f"${v:,.2f}" if v >= 1 else f"${v:.4f}"


TABLE_HEAD = ("dataset", "model", "prompt", "policy", "n (pos)", "precision", "recall", "F1", "crit. recall",
              "false alarms", "$/host-month", "skip", "reply failures", "quality")
NO_SCORE = "n/a (fallback)"
"""Shown instead of a score for a run whose replies mostly failed: the verdicts were the signals'."""


def table_rows(summaries: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The results table, one row per run, as strings."""
    return [
        (
            s["dataset"], s["model"], s["prompt"] or "-", _policy(s), f"{s['n_cases']} ({s['n_positive']})",
            *_scores(s), _false_alarms(s), fmt_money(s["cost_per_host_month_usd"]),
            fmt(s["skip_rate"], 2), _reply_failures(s), _quality_short(s["quality"]),
        )
        for s in summaries
    ]


def _scores(s: dict[str, Any]) -> tuple[str, ...]:
    if no_usable_replies(s):
        return (NO_SCORE,) * 4
    return (fmt(s["precision"], 2) + fmt_ci(s.get("precision_ci")), fmt(s["recall"], 2) + fmt_ci(s.get("recall_ci")),
            fmt(s["f1"], 2), fmt(s["critical_recall"], 2))


def _reply_failures(s: dict[str, Any]) -> str:
    """Failed replies over model calls (``-`` for models that make no call that can fail)."""
    if s["quality"].startswith("measured (local model, ran here)"):
        return "-"
    return f"{fmt(s['reply_failure_rate'], 2)} ({s.get('reply_failures', 0)}/{s.get('n_called', 0)})"


def _false_alarms(s: dict[str, Any]) -> str:
    """False alarms over truly-ok cases; for log folders, healthy logs alarmed."""
    n_ok = s["n_cases"] - s["n_positive"]
    if "healthy_logs" in s:
        return f"{s['healthy_logs_alarmed']}/{s['healthy_logs']} logs"
    return f"{s['false_alarms']}/{n_ok}"


def _policy(s: dict[str, Any]) -> str:
    return s["policy"] if s["options_label"] == "default" else f"{s['policy']} ({s['options_label']})"


def _quality_short(q: str) -> str:
    if q == QUALITY_PLUMBING:
        return "PLUMBING, not quality"
    if q.startswith("no usable replies"):
        return "NO USABLE REPLIES: signal fallback"
    if q.startswith("measured (local model:") or q.startswith("measured (served model:"):
        return q  # which model and server: the reader must see what was measured
    return q.split(" (")[0] + (" local" if "local" in q else " API")


Section = tuple[str, tuple[str, ...], list[tuple[str, ...]]]
"""A titled table: (title, header, rows)."""


def escalation_rows(summaries: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """Each escalation policy beside the single-model runs it was built from."""
    esc = [s for s in summaries if s["policy"] != "single"]
    scope = {(s["dataset"], s["options_label"]) for s in esc}
    models = {m for s in esc for m in s["model"].split(" → ")}
    prompts = {s["prompt"] for s in esc} | {None}
    singles = [s for s in summaries if s["policy"] == "single" and (s["dataset"], s["options_label"]) in scope
               and s["model"] in models and s["prompt"] in prompts]
    return [
        (s["dataset"], s["prompt"] or "-", s["policy"], s["model"], fmt(s["precision"]), fmt(s["recall"]),
         fmt(s["critical_recall"]), fmt_money(s["cost_per_host_month_usd"]))
        for s in sorted(singles + esc, key=lambda s: (s["dataset"], s["options_label"], s["policy"] != "single"))
    ] if esc else []


def token_rows(summaries: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """Tokens, cost and latency of API runs (and delta token estimates of log folders)."""
    return [
        (s["run_id"], f"{s['tokens']['input']:,}", f"{s['tokens']['output']:,}", f"{s['tokens']['cache_read']:,}",
         f"{s['tokens']['cache_write']:,}", f"{s['tokens']['delta_estimate_before_compression']:,} → "
         f"{s['tokens']['delta_estimate_after_compression']:,}", fmt_money(s["cost_usd"]),
         f"{fmt(s['latency_p50_s'], 2)} s / {fmt(s['latency_p95_s'], 2)} s")
        for s in summaries if s["tokens"]["input"] or s["tokens"]["output"] or s["dataset_kind"] == "folder"
    ]


def sections(summaries: list[dict[str, Any]]) -> list[Section]:
    """The report's tables after the main one (empty ones left out)."""
    out: list[Section] = [
        ("Escalation policies (scored from the same cached responses)",
         ("dataset", "prompt", "policy", "models", "precision", "recall", "critical recall", "$/host-month"),
         escalation_rows(summaries)),
        ("Tokens, cost and latency",
         ("run", "input tok", "output tok", "cache read", "cache write", "delta tok est. raw → sent", "cost",
          "p50 / p95 latency"),
         token_rows(summaries)),
    ]
    return [sec for sec in out if sec[2]]


def _md_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]


def markdown(summaries: list[dict[str, Any]], *, title: str = "tasseograph eval") -> str:
    """A table fit for a pull-request comment, plus the escalation and token tables and notes."""
    lines = [f"### {title}", "", *_md_table(TABLE_HEAD, table_rows(summaries))]
    for sec_title, head, rows in sections(summaries):
        lines += ["", f"**{sec_title}**", "", *_md_table(head, rows)]
    lines += ["", *_notes(summaries)]
    return "\n".join(lines) + "\n"


def _notes(summaries: list[dict[str, Any]]) -> list[str]:
    out = ["Binary scoring: not-ok is positive. 95% bootstrap CIs in brackets. `undefined`: no case to score it on.",
           "Cost per host-month uses each run's fleet profile (`summary.json` → `fleet_profile`)."]
    if any(s["quality"] == QUALITY_PLUMBING for s in summaries):
        out.append("**PLUMBING runs got their answers from a fake server, fake model or cassette: their scores "
                   "test the harness, not any model.**")
    for s in summaries:
        if no_usable_replies(s):
            out.append(f"**{s['run_id']}: {s['quality']}; no model was measured (its verdicts' scores are kept "
                       "under `fallback_scores` in summary.json).**")
    seen: set[str] = set()
    for s in summaries:
        for n in s["notes"]:
            if f"{s['dataset']}: {n}" not in seen:
                seen.add(f"{s['dataset']}: {n}")
                out.append(f"- {s['dataset']}: {n}")
    return out


# --- HTML ------------------------------------------------------------------------------


def html_report(summaries: list[dict[str, Any]], *, title: str = "tasseograph eval") -> str:
    """A self-contained HTML page: tables plus embedded PNG plots."""
    from tasseograph.eval import plots

    tables = _html_table(TABLE_HEAD, table_rows(summaries)) + "".join(
        f"<h2>{html.escape(t)}</h2>{_html_table(h, rows)}" for t, h, rows in sections(summaries))
    imgs = [
        ("Precision and recall with 95% CIs", plots.pr_plot(summaries)),
        ("Cost per host-month against recall (Pareto front)", plots.cost_recall_plot(summaries)),
        ("Confusion matrices (rows: truth, columns: verdict)", plots.confusion_plot(summaries)),
    ]
    figs = "".join(
        f"<h2>{html.escape(t)}</h2><img alt='{html.escape(t)}' src='data:image/png;base64,{_b64(png)}'/>"
        for t, png in imgs if png
    )
    notes = "".join(f"<li>{html.escape(n.lstrip('- '))}</li>" for n in _notes(summaries))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}img{max-width:100%}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{tables}{figs}<ul>{notes}</ul></body></html>\n"
    )


def _html_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def png_bytes(fig: Any) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
