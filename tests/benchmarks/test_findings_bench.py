"""benchmarks/findings.py still runs end to end on a tiny input (its figures are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tasseograph.provenance import missing_fields

REPO = Path(__file__).resolve().parents[2]


def test_the_findings_benchmark_runs_on_a_tiny_input(shared: Path, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.findings", "--tiny", "--out", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=280, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert result["tiny"] is True and missing_fields(result["provenance"]) == []
    assert result["verdicts"] == 8 * 3 and result["findings"] > 0
    assert set(result["sweep_ms_by_open_findings"]) == {"10", "50"}
