"""Shared plumbing for the benchmark scripts: arguments, data locations, result files."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
SUMMARY_KEYS = (
    "local_lines_per_s",
    "drain3_lines_per_s",
    "local_peak_rss_mb_1gb",
    "token_reduction_ratio",
    "skip_share",
    "cost_per_host_month_plan_usd",
    "cost_per_host_month_naive_usd",
    "cost_per_host_month_all_levers_usd",
    "evidence_retention_all_levers",
    "replay_10k_cases_s",
    "cost_per_host_month_all_levers_baseline_usd",
    "evidence_retention_all_levers_baseline",
    "cold_start_analyze_s",
    "realistic_dmesg_lines_per_s",
    "realistic_bgl_lines_per_s",
    "realistic_drain3_dmesg_lines_per_s",
    "realistic_peak_rss_mb_100mb",
    "realistic_peak_rss_mb_1gb",
    "cost_per_host_month_median_usd",
    "cost_per_host_month_p90_usd",
)
"""The headline figures ``results/summary.json`` gathers (issue 5's contract, then the
per-host baseline's row, the cold start of ``tasseograph analyze``, then issue 13's
realistic-input figures, then issue 17's cost per host-month over the fleet replay's hosts)."""
PROVENANCE_KEY = "provenance"
"""Beside the figures in ``summary.json``: benchmark name -> the provenance of its last run."""
BENCH_PACKAGES = ("drain3",)
"""Versions the benchmarks report beside ``tasseograph.provenance.KEY_PACKAGES``."""


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The two options every benchmark takes: ``--tiny`` and ``--out DIR``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--tiny", action="store_true", help="small input, for the smoke test (figures meaningless)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"result folder (default {RESULTS})")
    return parser.parse_args(argv)


def shared_dir() -> Path:
    """``$TASSEOGRAPH_SHARED`` or ``../shared`` beside the checkout (the real datasets)."""
    from tasseograph.errors import UsageError
    from tasseograph.paths import shared_dir as find_shared

    try:
        found = find_shared(REPO)
    except UsageError as exc:
        raise SystemExit(str(exc)) from None
    if found is None:
        raise SystemExit("shared data not found: set TASSEOGRAPH_SHARED or put shared/ beside the checkout")
    return found


def dataset_paths() -> dict[str, Path]:
    """The datasets the benchmarks replay, by display name (missing ones are left out)."""
    shared = shared_dir() / "datasets"
    paths = {
        "dev (real)": shared / "dmesg-real" / "dev.jsonl",
        "noise boot logs": shared / "dmesg-real" / "noise",
        "BGL per-node 5 min": shared / "loghub" / "BGL" / "BGL_2k.log",
        "Thunderbird per-node 5 min": shared / "loghub" / "Thunderbird" / "Thunderbird_2k.log",
        "repo datasets/": REPO / "datasets",
    }
    return {name: p for name, p in paths.items() if p.exists() and _has_cases(p)}


def _has_cases(path: Path) -> bool:
    return path.is_file() or any(path.rglob("*.jsonl")) or any(path.glob("*.log"))


def environment() -> dict[str, Any]:
    """Where and when a result was produced: ``tasseograph.provenance`` plus the bench's own versions."""
    from tasseograph.provenance import collect

    return collect(packages=BENCH_PACKAGES, outputs=[str(RESULTS.relative_to(REPO))]).as_dict()


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (numbers formatted by the caller)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_result(out: Path, name: str, payload: dict[str, Any], markdown: str) -> None:
    """Write ``<name>.json`` and ``<name>.md`` into ``out``, and print the table."""
    out.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "provenance": environment(), **payload}
    (out / f"{name}.json").write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    header = f"Made by {_made_by(payload['provenance'])}.\n\n"
    (out / f"{name}.md").write_text(header + markdown.rstrip() + "\n", encoding="utf-8")
    print(markdown)
    print(f"\nwrote {out / (name + '.json')} and {name}.md")


def _made_by(p: dict[str, Any]) -> str:
    dirty = " (uncommitted changes)" if p["dirty"] else ""
    load = f", load average {p['load_avg'][0]}" if p.get("load_avg") else ""
    return (f"`{p['command']}` at commit {p['commit'][:12]}{dirty} on {p['host']} ({p['cpu']}, {p['cpus']} CPUs, "
            f"Python {p['python']}), {p['generated_utc']}{load}")


def update_summary(out: Path, figures: dict[str, Any], *, benchmark: str | None = None) -> None:
    """Merge headline figures into ``out/summary.json`` (only the contract's keys are kept).

    The figures come from several runs, so ``provenance`` holds one entry per benchmark
    (``benchmark`` defaults to the running ``benchmarks.<name>`` module).
    """
    path = out / "summary.json"
    current: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    unknown = set(figures) - set(SUMMARY_KEYS)
    if unknown:
        raise ValueError(f"not summary keys: {sorted(unknown)}")
    current.update(figures)
    ordered: dict[str, Any] = {key: current.get(key) for key in SUMMARY_KEYS}
    stamps = dict(current.get(PROVENANCE_KEY) or {})
    stamps[benchmark or Path(sys.argv[0]).stem] = environment()
    ordered[PROVENANCE_KEY] = stamps
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ordered, indent=2) + "\n", encoding="utf-8")


def fmt(value: float | None, digits: int = 3) -> str:
    """A figure for a table: ``n/a`` for None, else ``digits`` significant digits."""
    if value is None:
        return "n/a"
    if abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


README = REPO / "benchmarks" / "README.md"
_START, _END = "<!-- results:start -->", "<!-- results:end -->"


def refresh_readme(results: Path, names: Sequence[str]) -> None:
    """Copy the committed result tables into ``benchmarks/README.md`` between its markers."""
    text = README.read_text(encoding="utf-8")
    if _START not in text or _END not in text:
        return
    parts = [
        f"### {name}\n\n" + _demote((results / f"{name}.md").read_text(encoding="utf-8").strip())
        for name in names
        if (results / f"{name}.md").exists()
    ]
    summary = results / "summary.json"
    if summary.exists():
        # The figures only: each one's provenance is in its benchmark's "Made by" line above.
        figures = {k: v for k, v in json.loads(summary.read_text(encoding="utf-8")).items() if k != PROVENANCE_KEY}
        parts.append("### summary.json (figures)\n\n```json\n" + json.dumps(figures, indent=2) + "\n```")
    head, rest = text.split(_START, 1)
    tail = rest.split(_END, 1)[1]
    README.write_text(head + _START + "\n" + "\n\n".join(parts) + "\n" + _END + tail, encoding="utf-8")


def _demote(markdown: str) -> str:
    """Headings two levels down, so a result's tables nest under the README's section."""
    return re.sub(r"^(#+) ", r"\1## ", markdown, flags=re.MULTILINE)
