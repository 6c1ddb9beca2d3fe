"""Benchmark: cost per host-month on whole per-host logs, as ``tasseograph-eval cost`` replays them.

Run: ``python -m benchmarks.fleet_cost`` (``--tiny`` for a smoke run, ``--out DIR``).

Three inputs, each replayed through the runner's polling, the pre-filter, the per-host
baseline, baseline-aware folding and batching on a simulated clock (``tasseograph.eval.costreplay``)
and priced with ``tasseograph/data/prices.toml`` (``tasseograph.eval.cost``):

1. **The fleet replay**: ``python -m datasets.fleet`` (240 hosts x 30 days, seed 1; ``--small``
   with ``--tiny``), written to a temporary folder in the one-file-per-host layout. Real kernel
   lines from ``../shared`` on an invented schedule, so baselines warm up over a month. Token
   reduction is shown with the baseline off, on, and on with folding; evidence retention beside
   it: the evidence lines are those whose template is the template of an evidence line of a
   non-ok case in the real dev set (the sources the replay's incidents are drawn from).
2. **The healthy boot logs** of ``datasets/dmesg-real/noise/`` (``dmesg`` dumps, monotonic
   stamps, each one boot): the boot priced apart, a month only where a host was seen long enough.
3. **The plan's premise** (3 KB every 5 minutes on every host): the fleet replay's chatty hosts'
   own lines, in their order, re-timed to 3 KB per 5-minute interval (about 2.5 days each), so every
   interval of every host holds a delta.

No model is called: the signal catalogue stands in for the LLM's verdicts (what baselines learn and
what adaptive polling reacts to), as the report's inputs say.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import fmt, md_table, parse_args, shared_dir, update_summary, write_result
from datasets.fleet.__main__ import main as write_fleet
from tasseograph.compress import message_text, template
from tasseograph.eval.cost import Pricing, cost_keys, cost_report
from tasseograph.eval.costreplay import EvidenceTest, ReplaySettings, run_replay
from tasseograph.eval.costtext import lever_table, render_report, spread_line
from tasseograph.eval.logdir import HostLines, LogDir, read_logdir
from tasseograph.parsing import parse_delta
from tasseograph.runner.config import RunnerConfig

INTERVAL_S = 300.0
BATCH_HOSTS = 10
PREMISE_BYTES = 3 * 1024
"""The plan's premise: 3 KB per host every 5 minutes."""
PREMISE_MIN_LINES = 5_000
"""Hosts with at least this many lines in the month feed the premise (the replay's chatty hosts)."""


def settings(*, baseline: bool = True, fold: bool | None = None) -> ReplaySettings:
    """The runner's defaults (``RunnerConfig()``), at 5 minutes, with 10 hosts per call as a lever."""
    return ReplaySettings.from_config(RunnerConfig(), interval_s=INTERVAL_S, baseline=baseline, fold=fold,
                                      batch_sizes=(BATCH_HOSTS,))


def evidence_test(shared: Path) -> EvidenceTest:
    """True for a message whose template is that of an evidence line of a non-ok dev case."""
    templates: set[str] = set()
    for row in (shared / "datasets" / "dmesg-real" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(row)
        if case["label"]["status"] != "ok":
            for line in parse_delta("\n".join(case.get("evidence") or [])).lines:
                templates.add(template(message_text(line)))
    return lambda message: template(message) in templates


def write_fleet_replay(out: Path, *, tiny: bool) -> Path:
    """The fleet replay in the one-file-per-host layout; its ``hosts/`` folder."""
    with contextlib.redirect_stdout(io.StringIO()):
        code = write_fleet(["--out", str(out), "--layout", "host", *(["--small"] if tiny else [])])
    if code:
        raise SystemExit(f"python -m datasets.fleet failed (exit {code})")
    return out / "hosts"


def premise(logs: LogDir, *, min_lines: int) -> LogDir:
    """The chatty hosts' lines re-timed to ``PREMISE_BYTES`` per interval, from the folder's start."""
    hosts: dict[str, HostLines] = {}
    for name, h in logs.hosts.items():
        if len(h.lines) < min_lines:
            continue
        out = HostLines(name, files=h.files, wall=True)
        slot, used = 0, 0
        for _, raw in h.lines:
            if used and used + len(raw) + 1 > PREMISE_BYTES:
                slot, used = slot + 1, 0
            used += len(raw) + 1
            out.lines.append((logs.origin + slot * INTERVAL_S + used / PREMISE_BYTES * (INTERVAL_S - 1), raw))
        hosts[name] = out
    return LogDir(logs.root, hosts, logs.origin)


def tokens_row(label: str, report: Any) -> list[Any]:
    """One row of the token table."""
    t = report.tokens
    return [label, f"{t.raw:,}", f"{t.sent:,}", f"{t.reduction:.1f}x" if t.reduction else "n/a",
            f"{t.skipped_prefilter:,}", f"{t.skipped_baseline:,}", f"{t.folded_lines:,}", fmt(t.evidence_retention),
            f"{t.evidence_lines:,}" if t.evidence_lines is not None else "n/a", fmt(report.cost.median),
            fmt(report.cost.p90)]


def main(argv: Sequence[str] | None = None) -> None:
    """Replay the three inputs and write ``fleet_cost.json`` / ``.md``."""
    args = parse_args(__doc__.splitlines()[0], argv)
    shared = shared_dir()
    evidence = evidence_test(shared)
    with tempfile.TemporaryDirectory(prefix="fleet-cost-") as tmp:
        fleet = read_logdir(write_fleet_replay(Path(tmp), tiny=args.tiny))
        runs = {
            "baseline off": (fleet, settings(baseline=False)),
            "baseline on, no folding": (fleet, settings(fold=False)),
            "baseline on + folding (the runner's default)": (fleet, settings()),
        }
        reports = {label: cost_report(logs, run_replay(logs, s, evidence=evidence), Pricing())
                   for label, (logs, s) in runs.items()}
        fleet_report = reports["baseline on + folding (the runner's default)"]
        chatty = premise(fleet, min_lines=200 if args.tiny else PREMISE_MIN_LINES)
        premise_report = cost_report(chatty, run_replay(chatty, settings(), evidence=evidence), Pricing())
    boots = read_logdir(shared / "datasets" / "dmesg-real" / "noise")
    boot_report = cost_report(boots, run_replay(boots, settings(), evidence=evidence), Pricing())
    fleet_label = "fleet replay (--small)" if args.tiny else "fleet replay (240 hosts x 30 days, seed 1)"
    payload = {
        "tiny": args.tiny,
        "command": "python -m benchmarks.fleet_cost" + (" --tiny" if args.tiny else ""),
        **cost_keys(fleet_report),
        "fleet": fleet_report.model_dump(mode="json"),
        "fleet_tokens": {label: r.tokens.model_dump(mode="json") for label, r in reports.items()},
        "healthy_boot_logs": boot_report.model_dump(mode="json"),
        "premise_3kb_every_5min": premise_report.model_dump(mode="json"),
    }
    markdown = "\n\n".join([
        "## Cost per host-month on whole per-host logs (tasseograph-eval cost)",
        "Each input replayed through the runner's polling, pre-filter, per-host baseline, folding and batching on "
        "the logs' own clock; Claude Haiku 4.5 prices; no model called (the catalogue stands in for its verdicts).",
        f"### Tokens sent vs raw: {fleet_label}",
        md_table(["configuration", "raw tokens", "sent tokens", "reduction", "skipped (pre-filter)",
                  "skipped (baseline)", "lines folded", "evidence retention", "evidence lines", "median $/host-month",
                  "p90 $/host-month"], [tokens_row(label, r) for label, r in reports.items()]),
        f"### {fleet_label}",
        spread_line("Activity (share of 5-min intervals with a line)", fleet_report.activity),
        lever_table(fleet_report.levers),
        "### Healthy boot logs (datasets/dmesg-real/noise, one boot each)",
        spread_line("Activity", boot_report.activity),
        lever_table(boot_report.levers),
        "Hosts without a month figure (seen under an hour after boot): " + (", ".join(boot_report.unpriced) or "none")
        + "; boot cost per host: " + ", ".join(f"{h.host} ${h.boot_usd:.4f}" for h in boot_report.hosts
                                               if h.boot_usd is not None),
        f"### The plan's premise: 3 KB every 5 minutes ({len(chatty.hosts)} chatty hosts' own lines, re-timed)",
        spread_line("Activity", premise_report.activity),
        lever_table(premise_report.levers),
        "### Full report for the fleet replay (inputs, hosts)",
        _demote(render_report(fleet_report)),
    ])
    write_result(args.out, "fleet_cost", payload, markdown)
    update_summary(args.out, {k: round(v, 4) if v is not None else None for k, v in cost_keys(fleet_report).items()})


def _demote(markdown: str) -> str:
    return markdown.replace("## Cost per host-month:", "#### Cost per host-month:")


if __name__ == "__main__":
    main()
