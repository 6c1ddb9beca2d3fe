"""Each benchmark script still runs end to end on a tiny input (figures are not checked: no timing here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks._common import PROVENANCE_KEY, SUMMARY_KEYS
from benchmarks.run_all import BENCHMARKS
from tasseograph.provenance import missing_fields

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_on_a_tiny_input(name: str, shared: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", "--tiny", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
    assert result["benchmark"] == name and result["tiny"] is True
    assert (tmp_path / f"{name}.md").read_text(encoding="utf-8").count("|") > 10
    assert missing_fields(result["provenance"]) == []
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert list(summary) == [*SUMMARY_KEYS, PROVENANCE_KEY]
    assert list(summary[PROVENANCE_KEY]) == [name] and missing_fields(summary[PROVENANCE_KEY][name]) == []


def test_run_all_covers_every_benchmark_module() -> None:
    for name in BENCHMARKS:
        assert (REPO / "benchmarks" / f"{name}.py").is_file()
