"""Does the offline fleet review put each day's injected incidents in its top 10, and keep the noise out?

Input: the fleet replay (``python -m datasets.fleet``, seed 1: 240 hosts x 30 days of real kernel
lines from ``../shared`` on an invented schedule, with ground truth; ``--tiny``: the ``--small``
replay, 24 hosts x 4 days, its last day only). For each day, a fresh state is built by the real
runner, ``tasseograph run --once --model M`` over that day's spool files alone (repeated until
nothing is queued: one pass judges at most 1,000 deltas), and
``tasseograph review --since 24h --model offline`` (the library call behind it) is scored with
``tasseograph.review.score`` against the incidents and noise events with lines in that day:
``incidents_in_top10``, ``noise_items_in_top10``, ``precision_at_10``. Twice per day: on the
runner's findings alone, and with ``--inventory`` (the replay's inventory: the review groups
findings the runner did not by shared rack or switch, using the lines' own times).

One pass per day stamps every finding with the pass's wall-clock time, so the review's window
is the day itself and nothing older: recurrence counts within the day only, and there are no
fleet trend or group findings on this branch's runner (the fleet wiring is another branch).
Model rows: "needs an API key, not measured here".

``python -m benchmarks.review [--tiny] [--out DIR] [--models rules,local] [--replay DIR]``
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._common import RESULTS, md_table, shared_dir, write_result
from tasseograph.eval.fleetscore import GroundTruth
from tasseograph.fleet import Inventory, load_inventory
from tasseograph.review.cli import build_review
from tasseograph.review.score import ReviewScore, score_review

DAY_S = 86_400.0
MAX_PASSES = 30
QUEUED = re.compile(r"([\d,]+) queued\s*$", re.M)
RUNNER = [sys.executable, "-c", "from tasseograph.cli import main; main()"]
"""``tasseograph`` as its console script runs it, from this interpreter."""


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    p.add_argument("--tiny", action="store_true", help="the small replay's last day (smoke test)")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--models", default="rules", help="runner models, comma-separated (rules, local)")
    p.add_argument("--replay", type=Path, default=None, help="an existing replay directory (default: generate)")
    p.add_argument("--simclock", action="store_true",
                   help="also replay the month through the runner on a simulated clock (fleet findings), "
                        "the review taken at the end of each day")
    p.add_argument("--no-days", action="store_true",
                   help="skip the day-by-day states (with --simclock: results go to review_fleet.{json,md})")
    return p.parse_args(argv)


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%dT%H%M%SZ")


def day_spool(replay: Path, start: float, end: float, dest: Path) -> int:
    """Copy the spool files of ``[start, end)`` (by their interval stamp) to ``dest``; returns how many."""
    lo, hi, n = _stamp(start), _stamp(end), 0
    for path in sorted((replay / "spool").glob("*/*.log")):
        if lo <= path.stem < hi:
            (dest / path.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / path.parent.name / path.name)
            n += 1
    return n


def drain(spool: Path, state: Path, model: str) -> int:
    """``tasseograph run --once`` until nothing is queued (a pass judges at most 1,000 deltas); returns the passes."""
    for n in range(1, MAX_PASSES + 1):
        out = subprocess.run([*RUNNER, "run", "--once", "--model", model, "--spool", str(spool), "--state", str(state)],
                             check=True, capture_output=True, text=True).stdout
        found = QUEUED.search(out)
        if found is None:
            raise RuntimeError(f"no pass line in the runner's output: {out[-300:]!r}")
        if found.group(1) == "0":
            return n
    raise RuntimeError(f"deltas still queued after {MAX_PASSES} passes")


def run_day(replay: Path, truth: GroundTruth, start: float, model: str, work: Path) -> dict[str, Any]:
    """One day: the runner over its spool, then the review scored without and with the inventory."""
    spool, state = work / "spool", work / "state.db"
    files = day_spool(replay, start, start + DAY_S, spool)
    began = time.perf_counter()
    passes = drain(spool, state, model)
    runner_s = time.perf_counter() - began
    row: dict[str, Any] = {"day": _stamp(start)[:8], "files": files, "passes": passes, "runner_s": round(runner_s, 1)}
    row.update(reviews(state, truth, start, load_inventory(replay / "inventory.csv")))
    shutil.rmtree(spool, ignore_errors=True)
    state.unlink()
    return row


def reviews(state: Path, truth: GroundTruth, start: float, inventory: Inventory,
            now: float | None = None) -> dict[str, Any]:
    """The day's review scored without and with ``--inventory`` (``now``: the review's time, default the clock's)."""
    row: dict[str, Any] = {}
    for name, inv in (("findings", None), ("inventory", inventory)):
        review = build_review(state, since="24h", model="offline", inventory=inv, now=now)
        score = score_review(review, truth, day_start=start, day_end=start + DAY_S)
        row[name] = score.model_dump() | {"ranked": len(review.items), "minor": len(review.minor),
                                          "top": [f"{i.severity} {i.category} {','.join(i.hosts[:3])}"
                                                  for i in review.items[:10]]}
    return row


def simulated(replay: Path, truth: GroundTruth, model: str, work: Path) -> list[dict[str, Any]]:
    """The month through the runner on a simulated clock (``tasseograph.eval.fleetreplay``: fleet
    findings over the inventory, trends, groups), the review taken at the end of every simulated day."""
    from tasseograph.eval.fleetreplay import replay as replay_month

    inventory = load_inventory(replay / "inventory.csv")
    rows: list[dict[str, Any]] = []

    def at_day_end(line: str) -> None:
        day = int(line.split()[1].rstrip(":"))
        end = truth.start + day * DAY_S
        if day < 1 or end > truth.end:
            return
        rows.append({"day": _stamp(end - DAY_S)[:8], **reviews(work / "state.db", truth, end - DAY_S, inventory,
                                                                 now=end)})
        print(f"{model} simclock {rows[-1]['day']}: {json.dumps(rows[-1]['findings']['incident_ranks'])}", flush=True)

    replay_month(replay, work, model=model, progress=at_day_end)
    return rows


def totals(rows: list[dict[str, Any]], kind: str, truth: GroundTruth) -> dict[str, Any]:
    """Sums over the days, and the incidents missed by kind."""
    scores = [ReviewScore.model_validate({k: v for k, v in r[kind].items() if k not in ("ranked", "minor", "top")})
              for r in rows]
    kinds = {i.id: i.kind for i in truth.incidents}
    incident_days = sum(s.incidents for s in scores)
    found = sum(s.incidents_in_top10 for s in scores)
    top = sum(s.items_in_top10 for s in scores)
    hits = sum(round((s.precision_at_10 or 0) * s.items_in_top10) for s in scores)
    missed: dict[str, int] = {}
    for s in scores:
        for inc in s.missed:
            missed[kinds[inc]] = missed.get(kinds[inc], 0) + 1
    last = scores[-1]
    return {
        "incident_days": incident_days, "incident_days_in_top10": found,
        "noise_items_in_top10": sum(s.noise_items_in_top10 for s in scores),
        "items_in_top10": top, "precision_at_10": round(hits / top, 3) if top else None,
        "missed_by_kind": missed,
        "last_day": {"incidents": last.incidents, "incidents_in_top10": last.incidents_in_top10,
                     "noise_items_in_top10": last.noise_items_in_top10, "precision_at_10": last.precision_at_10},
    }


def main(argv: list[str] | None = None) -> None:
    """Generate (or read) the replay, score every day, write ``review.{json,md}``."""
    args = parse(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    with tempfile.TemporaryDirectory(prefix="tasseograph-review-") as tmp:
        replay = args.replay
        if replay is None:
            replay = Path(tmp) / "replay"
            gen = [sys.executable, "-m", "datasets.fleet", "--out", str(replay), "--shared", str(shared_dir())]
            subprocess.run([*gen, "--small"] if args.tiny else gen, check=True, capture_output=True, text=True)
        truth = GroundTruth.model_validate_json((replay / "ground_truth.json").read_text(encoding="utf-8"))
        days = [truth.end - DAY_S] if args.tiny else [truth.start + d * DAY_S for d in range(int(truth.days))]
        days = [] if args.no_days else days
        per_model: dict[str, Any] = {}
        for model in models if days else []:
            rows = []
            for start in days:
                rows.append(run_day(replay, truth, start, model, Path(tmp)))
                print(f"{model} {rows[-1]['day']}: {json.dumps(rows[-1]['findings']['incident_ranks'])}", flush=True)
            per_model[model] = {"days": rows, "findings": totals(rows, "findings", truth),
                                "inventory": totals(rows, "inventory", truth)}
        simclock: dict[str, Any] = {}
        if args.simclock:
            for model in models:
                rows = simulated(replay, truth, model, Path(tmp) / f"simclock-{model}")
                simclock[model] = {"days": rows, "findings": totals(rows, "findings", truth),
                                   "inventory": totals(rows, "inventory", truth)}
    payload = {
        "tiny": args.tiny, "input": ("fleet replay --small (24 hosts x 4 days)" if args.tiny else
                                     f"fleet replay seed {truth.seed}: {truth.hosts} hosts x {truth.days:g} days")
                 + ("; day by day, each day's spool alone" if days else "")
                 + ("; the simulated month, reviewed at the end of each day" if args.simclock else ""),
        "replay": {"seed": truth.seed, "hosts": truth.hosts, "days": truth.days, "incidents": len(truth.incidents),
                   "noise": len(truth.noise)},
        "runner_models": per_model,
        "simclock": simclock,
        "model_review": {"anthropic:claude-sonnet-4-6": "needs an API key, not measured here"},
        "command": "python -m benchmarks.review" + (" --tiny" if args.tiny else "") + f" --models {args.models}"
                   + (" --simclock" if args.simclock else "") + (" --no-days" if args.no_days else ""),
    }
    write_result(args.out, "review_fleet" if args.no_days else "review", payload, markdown(payload))


def markdown(p: dict[str, Any]) -> str:
    """The result as Markdown tables."""
    head = ["runner model", "review", "incident-days", "in top 10", "noise items in top 10", "items in top 10",
            "precision@10", "missed (by kind)", "last day: incidents in top 10"]
    rows = []
    for model, res in p["runner_models"].items():
        for kind, label in (("findings", "offline"), ("inventory", "offline + --inventory")):
            t = res[kind]
            last = t["last_day"]
            rows.append([model, label, t["incident_days"], t["incident_days_in_top10"], t["noise_items_in_top10"],
                         t["items_in_top10"], t["precision_at_10"],
                         ", ".join(f"{k} {v}" for k, v in sorted(t["missed_by_kind"].items())) or "none",
                         f"{last['incidents_in_top10']} of {last['incidents']}"])
    for model, res in p.get("simclock", {}).items():
        for kind, label in (("findings", "offline"), ("inventory", "offline + --inventory")):
            t = res[kind]
            last = t["last_day"]
            rows.append([f"{model}, simulated month (fleet findings)", label, t["incident_days"],
                         t["incident_days_in_top10"], t["noise_items_in_top10"], t["items_in_top10"],
                         t["precision_at_10"],
                         ", ".join(f"{k} {v}" for k, v in sorted(t["missed_by_kind"].items())) or "none",
                         f"{last['incidents_in_top10']} of {last['incidents']}"])
    rows.append(["-", "anthropic:claude-sonnet-4-6 (review-v1)", "-", "-", "-", "-", "-", "-",
                 "needs an API key, not measured here"])
    text = f"# Fleet review against the replay's ground truth\n\nInput: {p['input']}.\n\n" + md_table(head, rows)
    text += ("\n\nAn incident-day is one injected incident with lines in one day (a 5-day ramp counts on each of "
             "its days). Day by day: each day's state is built by `tasseograph run --once` over that day's spool "
             "alone. Simulated month: one state, the whole month through the runner on a simulated clock "
             "(`tasseograph.eval.fleetreplay`, with the inventory: fleet trend, pattern and group findings), "
             "the review (`--since 24h`) taken at the end of each simulated day.\n")
    for model, res in p.get("simclock", {}).items():
        day_rows = [[d["day"], d["findings"]["incidents"], d["findings"]["incidents_in_top10"],
                     d["inventory"]["incidents_in_top10"], d["findings"]["noise_events"],
                     d["findings"]["noise_items_in_top10"], d["findings"]["ranked"], d["findings"]["minor"]]
                    for d in res["days"]]
        text += f"\n## Per day ({model}, simulated month)\n\n" + md_table(
            ["day", "incidents", "in top 10", "in top 10 (+inventory)", "noise events", "noise in top 10",
             "ranked", "minor"], day_rows) + "\n"
    for model, res in p["runner_models"].items():
        day_rows = [[d["day"], d["files"], d["findings"]["incidents"], d["findings"]["incidents_in_top10"],
                     d["inventory"]["incidents_in_top10"], d["findings"]["noise_events"],
                     d["inventory"]["noise_items_in_top10"], d["inventory"]["ranked"], d["inventory"]["minor"]]
                    for d in res["days"]]
        text += f"\n## Per day ({model})\n\n" + md_table(
            ["day", "spool files", "incidents", "in top 10", "in top 10 (+inventory)", "noise events",
             "noise in top 10 (+inventory)", "ranked", "minor"], day_rows) + "\n"
    return text


if __name__ == "__main__":
    main()
