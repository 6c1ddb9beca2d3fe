"""benchmarks/store.py still runs end to end on a tiny input against a real PostgreSQL (figures not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tasseograph.provenance import missing_fields
from tests.pgserver import need_postgres

REPO = Path(__file__).resolve().parents[2]


def test_the_store_benchmark_runs_on_a_tiny_input(shared: Path, tmp_path: Path) -> None:
    need_postgres()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.store", "--tiny", "--out", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=280, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "store.json").read_text(encoding="utf-8"))
    assert result["tiny"] is True and missing_fields(result["provenance"]) == []
    assert result["deltas"] == 4 * 2
    assert set(result["results"]) == {"SQLite, 1 runner", "PostgreSQL, 1 runner", "PostgreSQL, 2 runners"}
    assert result["results"]["SQLite, 1 runner"]["ratio_to_sqlite"] == 1.0
    assert "| PostgreSQL, 2 runners |" in (tmp_path / "store.md").read_text(encoding="utf-8")
