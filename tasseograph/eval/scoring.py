"""Turn a ``RunResult`` into one ``summary.json`` run object (the figures a reviewer reads).

Every API-model run is labelled by where its responses came from. Only the project's own fake
server (recognised by its marker header, kept with each cached reply), a fake model or a
cassette make a run "plumbing, not quality". A real server is a measurement wherever it runs:
"measured (local model: ID, SERVER)" for one on this machine (llama.cpp, vLLM, Ollama). A run
where most replies failed measured no model at all: it is labelled "no usable replies (n of m
failed)", and its precision, recall and severity grading rates move to ``fallback_scores`` (they
are the signal catalogue's, not the model's) while the headline scores are ``null``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tasseograph.eval.datasets import Dataset, repo_root
from tasseograph.eval.domain import domain_note
from tasseograph.eval.execute import CaseResult, RunResult
from tasseograph.eval.metrics import (
    STATUSES,
    binary,
    bootstrap_ci,
    confusion,
    critical_recall,
    per_category,
    percentile,
    ratio,
    severity_scores,
)
from tasseograph.eval.profile import FleetProfile, cost_per_host_month
from tasseograph.models.common import is_local

SCHEMA_VERSION = 3
"""2: ``summary.json`` carries ``provenance``; runs carry ``severity_known`` and the severity grading
scores (``critical_precision`` and the rest). 3: runs carry ``reply_failures`` and ``n_called``, and a
run with no usable replies has null scores and its verdicts' scores under ``fallback_scores``."""
QUALITY_LOCAL = "measured (local model, ran here)"
QUALITY_API = "measured (real API responses)"
QUALITY_PLUMBING = "plumbing, not quality (responses from a fake server, fake model or cassette)"
QUALITY_NO_REPLIES = "no usable replies"
"""Prefix of the label of a run where most replies failed (the full label gives the counts)."""
MOSTLY_FAILED = 0.5
"""Share of failed replies above which a run measured no model."""
SEVERITY_RATES = ("critical_precision", "warnings_paged_critical", "criticals_graded_warning", "criticals_graded_ok")
"""The severity grading rates of a run (``metrics.SeverityScores``), scores like precision and recall."""
SCORE_KEYS = ("precision", "recall", "f1", "critical_recall", "precision_ci", "recall_ci", "f1_ci", *SEVERITY_RATES)
"""The scores that are the signal fallback's, not the model's, in a run with no usable replies."""
PLUMBING_ENV = "TASSEOGRAPH_EVAL_PLUMBING"
"""Set to 1 when replaying cassettes, so those runs are labelled plumbing too."""


def run_id(run: RunResult) -> str:
    """A stable, readable id: dataset, model, prompt, policy, options label."""
    s = run.spec
    epochs = f"::x{s.epochs}" if s.epochs > 1 else ""
    return f"{s.dataset.name}::{run.model_name}::{run.prompt or 'none'}::{run.policy}::{s.options_label}{epochs}"


def quality_label(run: RunResult) -> str:
    """Where the run's answers came from, and so what its scores mean."""
    if run.local:
        return QUALITY_LOCAL
    origins = {o for c in run.cases for o in c.origins} | set(run.origin.split())
    fake_name = any(part.startswith("fake") for part in run.model_name.replace("→", " ").split())
    if os.environ.get(PLUMBING_ENV) or fake_name or origins & {"fake", "cassette"}:
        return QUALITY_PLUMBING
    failed, called = reply_failures(run.cases)
    if called and failed / called > MOSTLY_FAILED:
        return f"{QUALITY_NO_REPLIES} ({failed} of {called} failed): scores are the signal fallback"
    servers = sorted(o for o in origins if "://" in o)
    if not servers:
        return QUALITY_API
    served = ", ".join(sorted({m for c in run.cases for m in c.served_models})) or "id not reported"
    kind = "local model" if all(is_local(s) for s in servers) else "served model"
    return f"measured ({kind}: {served}, {', '.join(servers)})"


def reply_failures(rows: list[CaseResult]) -> tuple[int, int]:
    """Cases whose model reply failed (API error or unusable reply), and cases that called the model."""
    called = [r for r in rows if not r.skipped]
    return sum(r.model_error is not None for r in called), len(called)


def no_usable_replies(summary: dict[str, Any]) -> bool:
    """True for a ``summary.json`` run whose replies mostly failed (its scores are the fallback's)."""
    return str(summary.get("quality", "")).startswith(QUALITY_NO_REPLIES)


def fleet_profile(ds: Dataset, base: FleetProfile) -> tuple[FleetProfile, str]:
    """The profile a cost is stated for: measured activity where the data has timestamps."""
    if ds.active_share is None:
        return base, "assumed (no timestamps in the data)"
    interval = ds.interval_s or base.interval_s
    prof = base.model_copy(update={"active_share": min(1.0, ds.active_share), "interval_s": interval})
    return prof, "active share measured from the data's timestamps"


def summarize(run: RunResult, base: FleetProfile) -> dict[str, Any]:
    """The ``summary.json`` object of one run."""
    rows = run.cases
    truth = [r.truth_status for r in rows]
    pred = [r.pred_status for r in rows]
    ds = run.spec.dataset
    b = binary(truth, pred)
    profile, profile_source = fleet_profile(ds, base)
    cost = sum(r.cost_usd for r in rows)
    mean_cost = cost / len(rows) if rows else 0.0
    called = [r for r in rows if not r.skipped]
    failed, _ = reply_failures(rows)
    out = {
        "run_id": run_id(run), "dataset": ds.name, "dataset_kind": ds.kind, "dataset_path": ds.path,
        "split": ds.split, "model": run.model_name, "prompt": run.prompt, "policy": run.policy,
        "options_label": run.spec.options_label, "options": _jsonable(run.spec.options), "epochs": run.spec.epochs,
        "quality": quality_label(run), "n_cases": len(rows), "n_positive": b.tp + b.fn,
        "n_critical": truth.count("critical"),
        "precision": b.precision, "recall": b.recall, "f1": b.f1,
        **{f"{k}_ci": v for k, v in bootstrap_ci(truth, pred).items()},
        "critical_recall": critical_recall(truth, pred) if ds.severity_known else None,
        **_severity(truth, pred, ds),
        "tp": b.tp, "fp": b.fp, "fn": b.fn, "tn": b.tn,
        "confusion": {"labels": list(STATUSES), "matrix": confusion(truth, pred)},
        "per_category": per_category([r.truth_categories for r in rows], [r.pred_categories for r in rows])
        if ds.categories_known else None,
        "evidence_validity": ratio(sum(r.evidence_valid for r in rows), sum(r.n_findings for r in rows)),
        "reply_failure_rate": ratio(failed, len(called)), "reply_failures": failed, "n_called": len(called),
        "skip_rate": ratio(len(rows) - len(called), len(rows)),
        **_false_alarms(rows, ds),
        "tokens": _tokens(rows),
        "cost_usd": cost, "cost_per_case_usd": mean_cost,
        "cost_per_host_month_usd": cost_per_host_month(mean_cost, profile),
        "fleet_profile": {**profile.model_dump(), "source": profile_source},
        # The same cost at the suite's stated profile, comparable across datasets.
        "cost_per_host_month_stated_profile_usd": cost_per_host_month(mean_cost, base),
        "latency_p50_s": percentile([r.latency_s for r in called], 50),
        "latency_p95_s": percentile([r.latency_s for r in called], 95),
        "cache": {"hits": run.cache.hits, "misses": run.cache.misses},
        "notes": list(ds.notes) + _undefined_notes(b.recall, ds) + _model_notes(run),
        "severity_known": ds.severity_known,
    }
    if no_usable_replies(out):
        # The verdicts are the signal catalogue's: keep its scores, never under the model's name.
        out["fallback_scores"] = {k: out[k] for k in SCORE_KEYS}
        out.update(dict.fromkeys(SCORE_KEYS))
    return out


def _severity(truth: list[str], pred: list[str], ds: Dataset) -> dict[str, float | int | None]:
    """Severity grading scores; undefined (None) where the data knows only problem vs healthy."""
    scores = severity_scores(truth, pred).as_dict()
    return scores if ds.severity_known else dict.fromkeys(scores)


def _false_alarms(rows: list[CaseResult], ds: Dataset) -> dict[str, Any]:
    """False alarms, and for log folders false alarms per healthy log (any non-ok chunk)."""
    out: dict[str, Any] = {"false_alarms": sum(r.truth_status == "ok" and r.pred_status != "ok" for r in rows)}
    if ds.kind == "folder":
        healthy: dict[str, bool] = {}
        for r in rows:
            healthy.setdefault(r.group, True)
            healthy[r.group] &= r.truth_status == "ok"
        alarmed = {r.group for r in rows if r.pred_status != "ok" and healthy[r.group]}
        crit = {r.group for r in rows if r.pred_status == "critical" and healthy[r.group]}
        n = sum(healthy.values())
        out["healthy_logs"] = n
        out["healthy_logs_alarmed"] = len(alarmed)
        out["healthy_logs_critical"] = len(crit)
        out["false_alarms_per_healthy_log"] = ratio(sum(r.pred_status != "ok" and healthy[r.group] for r in rows), n)
    return out


def _tokens(rows: list[CaseResult]) -> dict[str, int]:
    return {
        "input": sum(r.usage.input_tokens for r in rows),
        "output": sum(r.usage.output_tokens for r in rows),
        "cache_read": sum(r.usage.cache_read_tokens for r in rows),
        "cache_write": sum(r.usage.cache_write_tokens for r in rows),
        "delta_estimate_before_compression": sum(r.tokens_before for r in rows),
        "delta_estimate_after_compression": sum(r.tokens_after for r in rows),
    }


def _undefined_notes(recall: float | None, ds: Dataset) -> list[str]:
    notes = []
    if recall is None and not any("undefined" in n for n in ds.notes):
        notes.append("no positive case: recall and F1 are undefined")
    if not ds.severity_known:
        notes.append("severity unknown: critical recall undefined")
    return notes


def _model_notes(run: RunResult) -> list[str]:
    notes = []
    if run.local and run.model_name != "rules" and run.policy == "single":
        notes.append(f"{run.model_name}: verdicts include the pipeline's signal backstop (catalogue signals the "
                     "model missed are merged, as in production)")
    ds = run.spec.dataset
    trained, split = _training_data(run.model_obj)
    seen = [t for t in trained if _same_data(t, ds.path)]
    if seen and not (split == "train" and ds.split == "test"):
        notes.append(f"CONTAMINATED: {run.model_name} was trained on {', '.join(map(_short, seen))} and is scored "
                     "on its own training cases")
    if trained and not seen and run.policy == "single":
        note = domain_note(run.model_obj, ds, ", ".join(map(_short, trained)))
        if note:
            notes.append(note)
    return notes


def _training_data(model: object) -> tuple[list[str], str | None]:
    """The paths a learned model was trained on (``local``: several; ``sklearn``: one), and its split."""
    paths = getattr(model, "trained_on", None)
    if paths:
        return [str(p) for p in paths], getattr(model, "trained_split", None)
    meta = getattr(getattr(model, "bundle", None), "meta", None) or {}
    trained = meta.get("trained_on") or []
    return [str(t) for t in ([trained] if isinstance(trained, str) else trained)], meta.get("split")


def _short(path: str) -> str:
    """A data path as a reader knows it: ``datasets``, ``dmesg-real/dev.jsonl`` (no machine-specific prefix)."""
    p = Path(path).resolve()
    if p.is_relative_to(repo_root()):
        return str(p.relative_to(repo_root()))
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


def _same_data(trained: str, scored: str) -> bool:
    a, b = Path(trained).resolve(), Path(scored).resolve()
    return a == b or a in b.parents or b in a.parents


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    """Options as ``summary.json`` shows them: example lists and libraries by their size."""
    def shown(key: str, value: Any) -> Any:
        if key == "examples" and not isinstance(value, str):
            return f"{len(value)} examples"
        if key == "library" and value is not None and not isinstance(value, list):
            return f"{len(value)} incidents ({', '.join(value.sources)})"
        return value

    return {k: shown(k, v) for k, v in options.items()}
