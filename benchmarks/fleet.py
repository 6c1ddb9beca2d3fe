"""Fleet signals through the runner: a month of an invented fleet replayed through ``tasseograph run``.

The input is the fleet generator's replay (``python -m datasets.fleet``, 240 hosts x 30 days,
seed 1: real kernel lines from ``../shared`` with fresh numbers on every line, laid on an
invented schedule with injected incidents and noise; see ``datasets/fleet/README.md``). It is
replayed through the real ``Runner`` on a simulated clock (``tasseograph.eval.fleetreplay``: one
``run --once`` cycle every 5 simulated minutes, the ``rules`` model, findings, fleet signals over
the inventory, the alert outbox) into an in-process Alertmanager stand-in that applies the
inhibit rules of ``deploy/alertmanager/alertmanager.yml``, and scored with
``tasseograph.eval.fleetscore``. Same figures as ``tasseograph-eval fleet``.

``python -m benchmarks.fleet [--tiny] [--out DIR] [--replay DIR]`` (``--tiny``: the small replay)
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import RESULTS, fmt, md_table, shared_dir, write_result
from tasseograph.eval.fleet_cli import DEFAULT_AM_CONFIG, generate
from tasseograph.eval.fleetreplay import RunnerReplay, read_truth, replay
from tasseograph.eval.standin import load_inhibit_rules

SEED = 1
HEADLINE = ("notification_reduction", "incident_recall", "incident_precision", "correlated_groups_recall",
            "trend_lead_time_h_median", "duplicate_alerts")


COST_KEYS = ("cost_per_host_month_median_usd", "cost_per_host_month_p90_usd")


def cost_of_same_replay(results: Path, *, tiny: bool) -> dict[str, Any]:
    """The two cost keys measured by ``python -m benchmarks.fleet_cost`` on the same replay (the
    generator's 240 hosts x 30 days, seed 1), with where they come from; nothing when that result
    is absent or was made from another input (the small replay)."""
    path = results / "fleet_cost.json"
    try:
        cost = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if tiny or cost.get("tiny") or not all(k in cost for k in COST_KEYS):
        return {}
    made = cost.get("provenance", {}).get("commit", "?")[:12]
    return {**{k: cost[k] for k in COST_KEYS},
            "cost_source": f"{cost.get('command', 'python -m benchmarks.fleet_cost')} at {made} (same replay, "
                           "Haiku prices, the runner's polling, baseline and folding; see fleet_cost.md)"}


def payload(result: RunnerReplay, *, replay_desc: dict[str, Any], cost: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """The JSON result: the headline keys at the top, then the score's detail and the run's counts."""
    score = result.score.model_dump(mode="json")
    return {**{k: score[k] for k in HEADLINE}, **(cost or {}), "input": replay_desc, "score": score,
            "run": result.counts, "fleet_findings": result.findings}


def markdown(p: dict[str, Any]) -> str:
    """The result's tables."""
    s, r, i = p["score"], p["run"], p["input"]
    head = (f"Input: the fleet generator's replay, {i['hosts']} hosts x {i['days']:g} days, seed {i['seed']} "
            f"({r['spool_files']:,} spool files, {i['incidents']} injected incidents, {i['noise']} noise events), "
            f"replayed through `tasseograph run` (model `{i['model']}`) on a simulated clock: {r['cycles']:,} cycles, "
            f"{r['verdicts']:,} verdicts in {r['wall_s']:.0f} s wall ({r['cpu_s']:.0f} s CPU).\n\n")
    rows = [
        ["notifications", f"{s['notifications']} ({fmt(s['notifications_per_day'])} a day)"],
        ["per-delta alerts (one per non-ok verdict)", f"{s['per_delta_alerts']}"],
        ["notification_reduction", f"{fmt(s['notification_reduction'])}x"],
        ["incident_recall", _of(s["incident_recall"], s["incidents"])],
        ["incident_precision", fmt(s["incident_precision"])],
        ["correlated_groups_recall", _of(s["correlated_groups_recall"], s["correlated_groups"])],
        ["trend_lead_time_h_median", f"{fmt(s['trend_lead_time_h_median'])} h "
                                     f"({', '.join(f'{v:.1f}' for v in s['trend_lead_time_h'].values()) or 'none'})"],
        ["duplicate_alerts", s["duplicate_alerts"]],
        ["noise events notified", s["noise_notified"]],
        ["missed incidents", ", ".join(s["missed"]) or "none"],
        ["alert episodes posted / inhibited", f"{r['alert_episodes']} / {r['inhibited']}"],
    ]
    if "cost_source" in p:
        rows.append(["cost per host-month, median / p90 (Haiku)",
                     f"${p['cost_per_host_month_median_usd']:.4f} / ${p['cost_per_host_month_p90_usd']:.4f} "
                     f"(from {p['cost_source']})"])
    return head + md_table(["figure", "value"], rows) + "\n"


def _of(recall: float | None, total: int) -> str:
    return "n/a" if recall is None else f"{fmt(recall)} ({round(recall * total)} of {total})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the small replay (24 hosts x 4 days)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"result folder (default {RESULTS})")
    parser.add_argument("--replay", type=Path, default=None, help="an already written replay (else generated)")
    args = parser.parse_args(argv)
    shared_dir()  # the generator reads it: fail early with the usual line
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        root = args.replay or Path(tmp) / "replay"
        if args.replay is None:
            generate(root, small=args.tiny, hosts=None, days=None, seed=SEED)
        truth = read_truth(root)
        result = replay(root, Path(tmp) / "run", model="rules", inhibit=load_inhibit_rules(DEFAULT_AM_CONFIG),
                        progress=print)
    desc = {"generator": "python -m datasets.fleet" + (" --small" if args.tiny else ""), "seed": truth.seed,
            "hosts": truth.hosts, "days": truth.days, "incidents": len(truth.incidents), "noise": len(truth.noise),
            "model": "rules"}
    p = payload(result, replay_desc=desc, cost=cost_of_same_replay(args.out, tiny=args.tiny))
    write_result(args.out, "fleet", p, markdown(p))


if __name__ == "__main__":
    main()
