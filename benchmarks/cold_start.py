"""Benchmark 5: cold-process wall time of ``tasseograph --version`` and ``tasseograph analyze``.

Run: ``python -m benchmarks.cold_start`` (``--tiny`` for a smoke run, ``--out DIR``).

A cron runner or a CI check pays a fresh interpreter per call, so start-up is the cost of a
small delta. Each command runs in a new process, round-robin with the others (so a burst of
load hits them alike), 10 times; the table gives the median beside ``python -c pass`` measured
in the same run, and the difference (what tasseograph adds). ``analyze`` reads a real-looking
30-line delta: 29 consecutive lines of a real healthy boot log (``dmesg-real/noise``) and one
real EDAC line from the dev set, so the signals fire and the whole local path runs: with the
default model (no key: ``local``, its bundle already cached, as after the first run on a
machine) and with ``--model rules``. The commands run the console script's own code (``from
tasseograph.cli import main``) with this interpreter.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import fmt, md_table, parse_args, shared_dir, update_summary, write_result

RUNS = 10
TINY_RUNS = 2
TARGET_ANALYZE_S = 0.4
"""Issue 9's target for ``tasseograph analyze`` of a 30-line delta on this machine."""
DELTA_LINES = 30
BOOT_LOG = "dmesg-real/noise/03.log"
WINDOW_START = 400
"""First line of the boot log window (past the early boot banner: ordinary driver lines)."""
CLI = "import sys; from tasseograph.cli import main; sys.exit(main())"
ANALYZE = "tasseograph analyze DELTA"
"""The default model without a key (``local``), as a user runs it; the summary's figure."""
ANALYZE_RULES = "tasseograph analyze --model rules DELTA"
HEAVY = ("anthropic", "openai", "pandas", "pyarrow", "sklearn", "matplotlib", "rich", "prometheus_client", "jinja2")


def delta_text(shared: Path) -> str:
    """29 consecutive boot-log lines and one real EDAC line from the dev set (30 lines)."""
    boot = (shared / "datasets" / BOOT_LOG).read_text(encoding="utf-8", errors="replace").splitlines()
    window = boot[WINDOW_START : WINDOW_START + DELTA_LINES - 1]
    edac = next(
        line
        for case in map(json.loads, (shared / "datasets" / "dmesg-real" / "dev.jsonl").open(encoding="utf-8"))
        for line in case["text"].splitlines()
        if "EDAC" in line and " CE " in line
    )
    return "\n".join([*window, edac]) + "\n"


def commands(delta: Path) -> dict[str, list[str]]:
    """What is timed, by label."""
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import tasseograph'": [sys.executable, "-c", "import tasseograph"],
        "tasseograph --version": [sys.executable, "-c", CLI, "--version"],
        ANALYZE: [sys.executable, "-c", CLI, "analyze", str(delta)],
        ANALYZE_RULES: [sys.executable, "-c", CLI, "analyze", "--model", "rules", str(delta)],
    }


def time_cold(cmds: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Wall seconds of each command, each run a fresh process, the commands interleaved."""
    out: dict[str, list[float]] = {label: [] for label in cmds}
    for _ in range(runs):
        for label, argv in cmds.items():
            started = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            out[label].append(time.perf_counter() - started)
    return out


def heavy_imports(delta: Path) -> list[str]:
    """Heavy libraries a cold ``analyze`` imported (the lazy imports keep this empty)."""
    probe = (
        f"import sys; from tasseograph.cli import main\n"
        f"try:\n    main(['analyze', {str(delta)!r}])\nexcept SystemExit:\n    pass\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return proc.stdout.splitlines()[-1].split() if proc.stdout.strip() else []


def markdown(rows: Sequence[dict[str, Any]], runs: int, heavy: Sequence[str], verdict: str, model: str) -> str:
    """The result table."""
    body = [[r["command"], fmt(r["median_s"]), fmt(r["min_s"]), fmt(r["max_s"]), fmt(r["over_python_s"]),
             f"{r['ratio_to_python']:.1f}x"] for r in rows]
    analyze = next(r for r in rows if r["command"] == ANALYZE)
    rules = next(r for r in rows if r["command"] == ANALYZE_RULES)
    met = "met" if analyze["median_s"] < TARGET_ANALYZE_S else "NOT met"
    return "\n\n".join([
        f"## Cold start: median of {runs} fresh processes, interleaved",
        md_table(["command", "median s", "min s", "max s", "over python -c pass, s", "ratio to python -c pass"],
                 body),
        f"Input: a {DELTA_LINES}-line delta, 29 consecutive lines of `{BOOT_LOG}` (from line {WINDOW_START + 1}) and "
        f"one real EDAC corrected-error line from the dev set; the default model without a key (`{model}`, "
        f"its bundle cached), and `rules`. Verdict: {verdict}. The default `{model}` model costs "
        f"{analyze['median_s'] - rules['median_s']:+.3f} s over `rules` (median difference). "
        f"Target for `tasseograph analyze`: under {TARGET_ANALYZE_S} s on this machine ({met}). "
        f"Heavy libraries a cold `analyze` imported: {', '.join(heavy) or 'none'} "
        f"(of {', '.join(HEAVY)}). Wall times depend on the machine's load (recorded above); the "
        "ratio to `python -c pass` in the same run is the comparable figure.",
    ])


def main(argv: Sequence[str] | None = None) -> None:
    """Time the cold commands and write ``cold_start.json`` / ``.md``."""
    args = parse_args(__doc__.splitlines()[0], argv)
    runs = TINY_RUNS if args.tiny else RUNS
    with tempfile.TemporaryDirectory() as tmp:
        delta = Path(tmp) / "delta.log"
        delta.write_text(delta_text(shared_dir()), encoding="utf-8")
        head = subprocess.run([sys.executable, "-c", CLI, "analyze", str(delta)], capture_output=True,
                              text=True, check=True).stdout.splitlines()[0].split()
        verdict = head[0]
        model = next(w.removeprefix("model=") for w in head if w.startswith("model="))
        timings = time_cold(commands(delta), runs)
        heavy = heavy_imports(delta)
    base = statistics.median(timings["python -c pass"])
    rows = [
        {"command": label, "median_s": statistics.median(ts), "min_s": min(ts), "max_s": max(ts),
         "over_python_s": statistics.median(ts) - base, "ratio_to_python": statistics.median(ts) / base,
         "runs_s": [round(t, 4) for t in ts]}
        for label, ts in timings.items()
    ]
    analyze = next(r for r in rows if r["command"] == ANALYZE)
    rules = next(r for r in rows if r["command"] == ANALYZE_RULES)
    payload = {
        "tiny": args.tiny,
        "runs": runs,
        "delta_lines": DELTA_LINES,
        "verdict_status": verdict,
        "commands": rows,
        "analyze_median_s": analyze["median_s"],
        "analyze_model": model,
        "analyze_rules_median_s": rules["median_s"],
        "target_analyze_s": TARGET_ANALYZE_S,
        "target_met": analyze["median_s"] < TARGET_ANALYZE_S,
        "heavy_imports_in_analyze": heavy,
    }
    write_result(args.out, "cold_start", payload, markdown(rows, runs, heavy, verdict, model))
    update_summary(args.out, {"cold_start_analyze_s": round(analyze["median_s"], 3)})


if __name__ == "__main__":
    main()
