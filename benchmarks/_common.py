"""Shared plumbing for the benchmark scripts: arguments, data locations, result files."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
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
    "realistic_dmesg_lines_per_s",
    "realistic_bgl_lines_per_s",
    "realistic_drain3_dmesg_lines_per_s",
    "realistic_peak_rss_mb_100mb",
    "realistic_peak_rss_mb_1gb",
)
"""The headline figures ``results/summary.json`` gathers (issue 5's contract, the per-host
baseline's row, then issue 13's realistic-input figures)."""


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
    env = os.environ.get("TASSEOGRAPH_SHARED")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared"]:
        if (candidate / "datasets").is_dir():
            return candidate
    raise SystemExit("shared data not found: set TASSEOGRAPH_SHARED or put shared/ beside the checkout")


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
    """Where and when a result was produced (machine, versions, commit)."""
    import drain3  # noqa: F401  (imported for its version only)
    import pyarrow

    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pyarrow": pyarrow.__version__,
        "drain3": _version("drain3"),
        "commit": _git_commit(),
        "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "command": _command(),
    }


def _command() -> str:
    """The command line as typed from the repository root (``python -m benchmarks.<name> ...``)."""
    script = Path(sys.argv[0])
    head = (
        f"python -m benchmarks.{script.stem}"
        if script.parent == REPO / "benchmarks"
        else "python " + sys.argv[0]
    )
    return " ".join([head, *(a.replace(str(REPO) + "/", "") for a in sys.argv[1:])])


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (numbers formatted by the caller)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_result(out: Path, name: str, payload: dict[str, Any], markdown: str) -> None:
    """Write ``<name>.json`` and ``<name>.md`` into ``out``, and print the table."""
    out.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "environment": environment(), **payload}
    (out / f"{name}.json").write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    env = payload["environment"]
    header = f"Made by `{env['command']}` ({env['date_utc']}, load average {env['load_avg_1_5_15'][0]}).\n\n"
    (out / f"{name}.md").write_text(header + markdown.rstrip() + "\n", encoding="utf-8")
    print(markdown)
    print(f"\nwrote {out / (name + '.json')} and {name}.md")


def update_summary(out: Path, figures: dict[str, Any]) -> None:
    """Merge headline figures into ``out/summary.json`` (only the contract's keys are kept)."""
    path = out / "summary.json"
    current: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    unknown = set(figures) - set(SUMMARY_KEYS)
    if unknown:
        raise ValueError(f"not summary keys: {sorted(unknown)}")
    current.update(figures)
    ordered = {key: current.get(key) for key in SUMMARY_KEYS}
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
        parts.append("### summary.json\n\n```json\n" + summary.read_text(encoding="utf-8").strip() + "\n```")
    head, rest = text.split(_START, 1)
    tail = rest.split(_END, 1)[1]
    README.write_text(head + _START + "\n" + "\n\n".join(parts) + "\n" + _END + tail, encoding="utf-8")


def _demote(markdown: str) -> str:
    """Headings two levels down, so a result's tables nest under the README's section."""
    return re.sub(r"^(#+) ", r"\1## ", markdown, flags=re.MULTILINE)
