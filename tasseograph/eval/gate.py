"""``tasseograph-eval gate DIR --baseline evals/baseline.json``: fail CI on a quality or cost regression.

The baseline names runs by ``run_id`` and holds their precision, recall, critical recall and
cost per host-month, plus the tolerances. A run fails when a score falls more than its
tolerance below the baseline (or becomes undefined), or when its cost rises more than
``cost_rel`` (relative) above it. A baseline run missing from DIR fails too: a silently
dropped dataset must not pass. Any run of DIR whose replies mostly failed ("no usable
replies": its verdicts were the signal fallback's) fails, baseline or not. ``--update`` rewrites the baseline from DIR, keeping the
tolerances.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasseograph.errors import ConfigError
from tasseograph.eval.report import read_summary
from tasseograph.eval.scoring import no_usable_replies
from tasseograph.paths import checkout_root, shared_dir

SCORES = ("precision", "recall", "critical_recall")
COST = "cost_per_host_month_usd"
COST_EPSILON = 1e-9
"""Absolute slack on cost, so a zero-cost baseline tolerates float noise only."""


class Tolerance(BaseModel):
    """How far each figure may move before the gate fails."""

    model_config = ConfigDict(extra="forbid")

    precision: float = Field(0.03, ge=0)
    recall: float = Field(0.03, ge=0)
    critical_recall: float = Field(0.05, ge=0)
    cost_rel: float = Field(0.10, ge=0)
    """Allowed relative rise of cost per host-month (0.10 = +10%)."""


class BaselineRun(BaseModel):
    """The figures of one run the gate holds the line on."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    precision: float | None = None
    recall: float | None = None
    critical_recall: float | None = None
    cost_per_host_month_usd: float = 0.0
    optional: bool = False
    """Its dataset lives in ../shared: a missing run is skipped with a note, not failed."""


class Baseline(BaseModel):
    """The whole baseline file."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    note: str = ""
    tolerance: Tolerance = Field(default_factory=Tolerance)
    runs: list[BaselineRun]


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file (errors name the file and the key)."""
    try:
        return Baseline.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ConfigError(f"baseline not found: {path} (create it with: tasseograph-eval gate DIR --baseline {path} --update)") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from exc
    except ValidationError as exc:
        e = exc.errors()[0]
        raise ConfigError(f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}") from exc


def check(runs: list[dict[str, Any]], baseline: Baseline, notes: list[str] | None = None) -> list[str]:
    """Readable reasons the gate fails (empty when it passes); skipped optional runs go to ``notes``."""
    current = {r["run_id"]: r for r in runs}
    tol = baseline.tolerance
    reasons = [f"{r['run_id']}: {r['quality']}" for r in runs if no_usable_replies(r)]
    for b in baseline.runs:
        cur = current.get(b.run_id)
        if cur is None and b.optional:
            if notes is not None:
                notes.append(f"{b.run_id}: not in this run (shared data absent?), not checked")
            continue
        if cur is None:
            reasons.append(f"{b.run_id}: missing from this run (was the dataset skipped?)")
            continue
        for m in SCORES:
            base, now, t = getattr(b, m), cur.get(m), getattr(tol, m)
            if base is None:
                continue
            if now is None:
                reasons.append(f"{b.run_id}: {m} is undefined now, baseline {base:.3f}")
            elif now < base - t:
                reasons.append(f"{b.run_id}: {m} fell from {base:.3f} to {now:.3f} (tolerance {t:.3f})")
        now_cost = cur.get(COST) or 0.0
        if now_cost > b.cost_per_host_month_usd * (1 + tol.cost_rel) + COST_EPSILON:
            reasons.append(f"{b.run_id}: cost per host-month rose from ${b.cost_per_host_month_usd:.4f} to "
                           f"${now_cost:.4f} (tolerance +{tol.cost_rel:.0%})")
    return reasons


def gate(run_dir: Path, baseline_path: Path, notes: list[str] | None = None) -> list[str]:
    """Check ``run_dir`` against the baseline file; return the failure reasons."""
    return check(read_summary(run_dir), load_baseline(baseline_path), notes)


def update(run_dir: Path, baseline_path: Path) -> Baseline:
    """Write a baseline from ``run_dir``'s single-policy runs, keeping existing tolerances."""
    tol = load_baseline(baseline_path).tolerance if baseline_path.exists() else Tolerance()
    shared = shared_dir(checkout_root(baseline_path.resolve().parent))
    runs = [
        BaselineRun(run_id=r["run_id"], precision=r["precision"], recall=r["recall"],
                    critical_recall=r["critical_recall"], cost_per_host_month_usd=r[COST] or 0.0,
                    optional=shared is not None and Path(r["dataset_path"]).resolve().is_relative_to(shared.resolve()))
        for r in read_summary(run_dir)
    ]
    base = Baseline(note=f"written by 'tasseograph-eval gate {run_dir} --update'", tolerance=tol, runs=runs)
    baseline_path.parent.mkdir(parents=True, exist_ok=True)
    baseline_path.write_text(base.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return base
