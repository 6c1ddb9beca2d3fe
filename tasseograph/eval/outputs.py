"""The files a run writes into its output folder: ``summary.json``, ``cases.parquet``,
``report.md`` and a self-contained ``report.html``, all stamped with the same provenance."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tasseograph import provenance as prov
from tasseograph.eval.execute import RunResult
from tasseograph.eval.mistakes import all_mistakes
from tasseograph.eval.report import markdown, run_label, write_summary
from tasseograph.eval.report_html import html_report


def write_all(out: Path, summaries: list[dict[str, Any]], runs: Sequence[RunResult], *,
              title: str = "tasseograph eval", provenance: prov.Provenance | None = None) -> None:
    """Write every report file into ``out`` (``provenance`` defaults to this process's)."""
    stamp = (provenance or prov.collect()).as_dict()
    mistakes = all_mistakes(summaries, runs, [run_label(s) for s in summaries])
    out.mkdir(parents=True, exist_ok=True)
    write_summary(out / "summary.json", summaries, stamp)
    write_cases(out / "cases.parquet", summaries, runs)
    (out / "report.md").write_text(markdown(summaries, title=title, provenance=stamp, mistakes=mistakes),
                                   encoding="utf-8")
    (out / "report.html").write_text(html_report(summaries, title=title, provenance=stamp, mistakes=mistakes),
                                     encoding="utf-8")


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
                "tokens_after": c.tokens_after, "origins": list(c.origins), "examples": list(c.examples),
            })
    pd.DataFrame(rows).to_parquet(path, index=False)
