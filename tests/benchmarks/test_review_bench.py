"""benchmarks/review.py end to end on the small fleet replay's last day: the real runner builds the
state, the offline review is scored against the replay's ground truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tasseograph.provenance import missing_fields

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_offline_review_puts_the_last_days_incidents_in_its_top_10(shared: Path, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.review", "--tiny", "--out", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=280, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "review.json").read_text(encoding="utf-8"))
    assert result["tiny"] is True and missing_fields(result["provenance"]) == []
    for kind in ("findings", "inventory"):
        day = result["runner_models"]["rules"][kind]["last_day"]
        assert day["incidents"] >= 2 and day["incidents_in_top10"] == day["incidents"], day
        assert day["noise_items_in_top10"] == 0, day
    assert result["model_review"] == {"anthropic:claude-sonnet-4-6": "needs an API key, not measured here"}
    assert "needs an API key" in (tmp_path / "review.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_on_a_simulated_month_with_fleet_findings_the_last_days_incidents_rank_too(shared: Path,
                                                                                   tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.review", "--tiny", "--simclock", "--no-days", "--out",
                           str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=280, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "review_fleet.json").read_text(encoding="utf-8"))
    assert result["runner_models"] == {} and missing_fields(result["provenance"]) == []
    sim = result["simclock"]["rules"]
    assert len(sim["days"]) == 4  # the end of every simulated day
    last = sim["findings"]["last_day"]
    assert last["incidents"] >= 2 and last["incidents_in_top10"] == last["incidents"] and last["noise_items_in_top10"] == 0
