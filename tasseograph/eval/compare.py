"""``tasseograph-eval compare RUN_A RUN_B``: metric deltas, flipped cases, McNemar on the flips.

Runs are paired by ``run_id``; when the two directories share no id but each holds exactly one
run (say, the same dataset under two prompts), those two are paired. A case "flips" when it is
right (binary: not-ok vs ok) in one run and wrong in the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasseograph.errors import UsageError
from tasseograph.eval.metrics import McNemar, mcnemar
from tasseograph.eval.report import read_summary

METRICS = ("precision", "recall", "f1", "critical_recall", "evidence_validity", "reply_failure_rate",
           "cost_per_host_month_usd", "latency_p95_s")


@dataclass
class Flip:
    """One case that changed correctness between the runs."""

    case_id: str
    epoch: int
    truth: str
    a: str
    b: str

    @property
    def fixed(self) -> bool:
        """True when B got it right and A did not."""
        return (self.b != "ok") == (self.truth != "ok")


@dataclass
class Pair:
    """The comparison of one run in A with its counterpart in B."""

    run_a: str
    run_b: str
    deltas: dict[str, tuple[float | None, float | None]]
    flips: list[Flip] = field(default_factory=list)
    test: McNemar | None = None
    n_paired: int = 0


def compare_dirs(a: Path, b: Path, *, run: str | None = None) -> list[Pair]:
    """Pair the runs of two output directories and compare each pair."""
    sa, sb = read_summary(a), read_summary(b)
    pairs = _pair(sa, sb, run)
    if not pairs:
        raise UsageError(f"no runs to compare: {a} and {b} share no run id (use --run to pick one)")
    ca, cb = _cases(a), _cases(b)
    return [_compare(x, y, ca, cb) for x, y in pairs]


def _pair(sa: list[dict[str, Any]], sb: list[dict[str, Any]], run: str | None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    ib = {s["run_id"]: s for s in sb}
    pairs = [(s, ib[s["run_id"]]) for s in sa if s["run_id"] in ib]
    if not pairs and len(sa) == 1 and len(sb) == 1:
        pairs = [(sa[0], sb[0])]
    if run is not None:
        pairs = [p for p in pairs if run in (p[0]["run_id"], p[1]["run_id"])]
    return pairs


def _cases(d: Path) -> Any:
    import pandas as pd

    p = (d if d.is_dir() else d.parent) / "cases.parquet"
    if not p.exists():
        raise UsageError(f"no cases.parquet beside {d}: flipped cases cannot be listed")
    return pd.read_parquet(p, columns=["run_id", "case_id", "epoch", "truth_status", "pred_status"])


def _compare(a: dict[str, Any], b: dict[str, Any], ca: Any, cb: Any) -> Pair:
    deltas = {m: (a.get(m), b.get(m)) for m in METRICS}
    ra = {(r.case_id, r.epoch): r for r in ca[ca.run_id == a["run_id"]].itertuples()}
    rb = {(r.case_id, r.epoch): r for r in cb[cb.run_id == b["run_id"]].itertuples()}
    keys = sorted(set(ra) & set(rb))
    right_a = [(ra[k].pred_status != "ok") == (ra[k].truth_status != "ok") for k in keys]
    right_b = [(rb[k].pred_status != "ok") == (rb[k].truth_status != "ok") for k in keys]
    flips = [Flip(k[0], int(k[1]), ra[k].truth_status, ra[k].pred_status, rb[k].pred_status)
             for k, x, y in zip(keys, right_a, right_b, strict=True) if x != y]
    return Pair(a["run_id"], b["run_id"], deltas, flips, mcnemar(right_a, right_b), len(keys))


def render(pairs: list[Pair], *, max_flips: int = 20) -> str:
    """The comparison as plain text (Markdown-friendly)."""
    out = []
    for p in pairs:
        title = p.run_a if p.run_a == p.run_b else f"{p.run_a}  vs  {p.run_b}"
        out += [f"## {title}", "", "| metric | A | B | B - A |", "|---|---|---|---|"]
        for m, (x, y) in p.deltas.items():
            d = f"{y - x:+.4f}" if x is not None and y is not None else "-"
            out.append(f"| {m} | {_f(x)} | {_f(y)} | {d} |")
        t = p.test
        assert t is not None
        pv = "n/a" if t.p_value is None else f"{t.p_value:.4g}"
        out += ["", f"{p.n_paired} paired cases; {len(p.flips)} flipped: {t.c} fixed in B, {t.b} broken in B; "
                f"McNemar p = {pv} ({t.method})"]
        for f in p.flips[:max_flips]:
            out.append(f"- {f.case_id} (epoch {f.epoch}): truth {f.truth}, A {f.a} → B {f.b} "
                       f"({'fixed' if f.fixed else 'broken'})")
        if len(p.flips) > max_flips:
            out.append(f"- ... and {len(p.flips) - max_flips} more (see cases.parquet)")
        out.append("")
    return "\n".join(out)


def _f(v: float | None) -> str:
    return "undefined" if v is None else f"{v:.4f}"
