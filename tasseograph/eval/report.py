"""Run reports as text: ``summary.json`` (read and written), the results tables and ``report.md``.

Every file says what produced it (``tasseograph.provenance``: commit, time, machine, versions,
command, suite hash). ``report.md`` is written for a pull-request comment: the results table
(columns that are the same in every row folded into one line above it), each run's misses and
false alarms with their first evidence line, and each note once. ``report_html`` adds the
plots; ``outputs`` writes every file of a run.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tasseograph import provenance as prov
from tasseograph.eval.mistakes import RunMistakes
from tasseograph.eval.scoring import QUALITY_PLUMBING, SCHEMA_VERSION, no_usable_replies

ESCALATION_POLICIES = ("single", "escalate-nonok", "escalate-uncertain", "local-first")
READABLE_SCHEMAS = (1, 2, SCHEMA_VERSION)
"""``summary.json`` versions this code reads (version 1 had no provenance, 2 no reply-failure counts)."""
MAX_LISTED = 8
"""Misses (and, apart, false alarms) listed per run in the reports; the rest are counted."""


def write_summary(path: Path, summaries: list[dict[str, Any]], provenance: dict[str, Any] | None = None) -> None:
    """``{"schema_version": SCHEMA_VERSION, "provenance": {...}, "runs": [...]}``."""
    body = {"schema_version": SCHEMA_VERSION, "provenance": provenance or prov.collect().as_dict(), "runs": summaries}
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


def _load(path: Path) -> tuple[Path, dict[str, Any]]:
    from tasseograph.errors import UsageError

    p = path / "summary.json" if path.is_dir() else path
    if not p.exists():
        raise UsageError(f"no summary.json at {path} (run 'tasseograph-eval run ... --out DIR' first)")
    data = json.loads(p.read_text(encoding="utf-8"))
    if data.get("schema_version") not in READABLE_SCHEMAS:
        raise UsageError(f"{p}: schema_version {data.get('schema_version')!r}, expected one of {READABLE_SCHEMAS}")
    return p, data


def read_summary(path: Path) -> list[dict[str, Any]]:
    """The runs of a ``summary.json`` (or of the one inside a run directory)."""
    return list(_load(path)[1]["runs"])


def read_provenance(path: Path) -> dict[str, Any] | None:
    """What produced a ``summary.json`` (None for files written before provenance was recorded)."""
    return _load(path)[1].get("provenance")


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
              "crit. precision", "warn→crit", "crit→warn", "crit→ok", "false alarms", "$/host-month", "skip",
              "reply failures", "quality")
NO_SCORE = "n/a (fallback)"
"""Shown instead of a score for a run whose replies mostly failed: the verdicts were the signals'."""


def table_rows(summaries: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The results table, one row per run, as strings."""
    return [
        (
            s["dataset"], s["model"], s["prompt"] or "-", _policy(s), f"{s['n_cases']} ({s['n_positive']})",
            *_scores(s), *_severity_cells(s), _false_alarms(s), fmt_money(s["cost_per_host_month_usd"]),
            fmt(s["skip_rate"], 2), _reply_failures(s), _quality_short(s["quality"]),
        )
        for s in summaries
    ]


def _scores(s: dict[str, Any]) -> tuple[str, ...]:
    if no_usable_replies(s):
        return (NO_SCORE,) * 4
    return (fmt(s["precision"], 2) + fmt_ci(s.get("precision_ci")), fmt(s["recall"], 2) + fmt_ci(s.get("recall_ci")),
            fmt(s["f1"], 2), fmt(s["critical_recall"], 2))


def _severity_cells(s: dict[str, Any]) -> tuple[str, str, str, str]:
    """Critical precision, then warnings paged critical and criticals graded warning / ok as k/n."""
    if no_usable_replies(s):
        return NO_SCORE, NO_SCORE, NO_SCORE, NO_SCORE
    if s.get("n_warning") is None:  # severity unknown for this data
        return "undefined", "undefined", "undefined", "undefined"
    n_crit = s["n_critical"]
    return (fmt(s["critical_precision"], 2), f"{s['n_warnings_paged_critical']}/{s['n_warning']}",
            f"{s['n_criticals_graded_warning']}/{n_crit}", f"{s['n_criticals_graded_ok']}/{n_crit}")


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
        (s["dataset"], s["prompt"] or "-", s["policy"], s["model"],
         *((NO_SCORE,) * 3 if no_usable_replies(s) else (fmt(s["precision"]), fmt(s["recall"]),
                                                          fmt(s["critical_recall"]))),
         fmt_money(s["cost_per_host_month_usd"]))
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




def run_label(s: dict[str, Any], *, dataset: bool = True) -> str:
    """``dataset · model prompt [policy] (options)`` (the dataset left out where a heading names it)."""
    prompt = f" {s['prompt']}" if s["prompt"] else ""
    pol = "" if s["policy"] == "single" else f" [{s['policy']}]"
    opts = "" if s.get("options_label", "default") == "default" else f" ({s['options_label']})"
    head = f"{s['dataset']} · " if dataset else ""
    return f"{head}{s['model']}{prompt}{pol}{opts}"


Folded = tuple[tuple[str, ...], list[tuple[str, ...]], list[tuple[str, str]]]
"""A table with its constant columns taken out: (header, rows, [(column, shared value)])."""


def fold_constant(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> Folded:
    """Move columns that hold one value in every row out of the table (they say it once, above).

    Tables of one row, and columns needed to keep two, are left as they are.
    """
    if len(rows) < 2:
        return head, rows, []
    same = [i for i in range(len(head)) if len({r[i] for r in rows}) == 1]
    if len(head) - len(same) < 2:
        return head, rows, []
    keep = [i for i in range(len(head)) if i not in same]
    return (tuple(head[i] for i in keep), [tuple(r[i] for i in keep) for r in rows],
            [(head[i], rows[0][i]) for i in same])


def folded_line(folded: list[tuple[str, str]]) -> str:
    """``Same in every row: prompt -, policy single`` (empty when nothing was folded)."""
    return "Same in every row: " + ", ".join(f"{k} {v}" for k, v in folded) if folded else ""


def grouped_notes(summaries: list[dict[str, Any]]) -> list[str]:
    """Each run note once, followed by the datasets it applies to."""
    where: dict[str, list[str]] = {}
    for s in summaries:
        for n in s["notes"]:
            names = where.setdefault(n, [])
            if s["dataset"] not in names:
                names.append(s["dataset"])
    return [f"{n} ({', '.join(names)})" for n, names in where.items()]


def general_notes(summaries: list[dict[str, Any]]) -> list[str]:
    """What every report says about how to read it."""
    out = ["Binary scoring: not-ok is positive. 95% bootstrap CIs in brackets. `undefined`: no case to score it on.",
           "Cost per host-month uses each run's fleet profile (`summary.json` → `fleet_profile`)."]
    if any(s["quality"] == QUALITY_PLUMBING for s in summaries):
        out.append("**PLUMBING runs got their answers from a fake server, fake model or cassette: their scores "
                   "test the harness, not any model.**")
    for s in summaries:
        if no_usable_replies(s):
            out.append(f"**{s['run_id']}: {s['quality']}; no model was measured (its verdicts' scores are kept "
                       "under `fallback_scores` in summary.json).**")
    return out


# --- Markdown --------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    # Pipes would end the cell and newlines the row; the text may be untrusted log content.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_code(text: str) -> str:
    # Inline HTML, escaped: log text shows verbatim and can neither end the cell nor inject markup.
    return f"<code>{html.escape(text).replace('|', '&#124;')}</code>" if text else "-"


def _md_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows)]


def _md_folded(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    h, r, folded = fold_constant(head, rows)
    line = folded_line(folded)
    return ([line, ""] if line else []) + _md_table(h, r)


def markdown(summaries: list[dict[str, Any]], *, title: str = "tasseograph eval",
             provenance: dict[str, Any] | None = None, mistakes: Sequence[RunMistakes] = ()) -> str:
    """The report for a pull-request comment: results, misses and false alarms, notes, provenance."""
    lines = [f"### {title}", ""]
    if provenance:
        lines += [f"<sub>{_md_cell(prov.describe(provenance))}</sub>", ""]
    lines += _md_folded(TABLE_HEAD, table_rows(summaries))
    for sec_title, head, rows in sections(summaries):
        lines += ["", f"**{sec_title}**", "", *_md_folded(head, rows)]
    if mistakes:
        lines += ["", *_md_mistakes(mistakes)]
    lines += ["", "**Notes**", "", *(f"- {n}" for n in general_notes(summaries) + grouped_notes(summaries))]
    if provenance:
        lines += ["", *_md_provenance(provenance)]
    return "\n".join(lines) + "\n"


def _md_mistakes(mistakes: Sequence[RunMistakes]) -> list[str]:
    lines = [f"**Misses and false alarms** (up to {MAX_LISTED} of each per run; all in `cases.parquet`)", ""]
    for m in (m for m in mistakes if not m.clean):
        lines += [f"<details><summary>{html.escape(m.label)}: {m.counts()}</summary>", "",
                  "| | case | truth | verdict | first evidence line |", "|---|---|---|---|---|"]
        for items in (m.misses, m.false_alarms):
            lines += [f"| {x.kind} | {_md_cell(x.case_id)} | {x.truth} | {x.verdict} | {_md_code(x.evidence)} |"
                      for x in items[:MAX_LISTED]]
            if len(items) > MAX_LISTED:
                lines.append(f"| … | {len(items) - MAX_LISTED:,} more | | | |")
        lines += ["", "</details>"]
    clean = [m.label for m in mistakes if m.clean]
    if clean:
        lines += ["", "No miss and no false alarm: " + "; ".join(_md_cell(c) for c in clean) + "."]
    return lines


def provenance_rows(p: dict[str, Any]) -> list[tuple[str, str]]:
    """``(field, value)`` rows of a provenance dict; values that are not text are shown as JSON."""
    return [(k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)) for k, v in p.items()]


def _md_provenance(p: dict[str, Any]) -> list[str]:
    return ["<details><summary>Provenance</summary>", "", *_md_table(("field", "value"), provenance_rows(p)), "",
            "</details>"]
