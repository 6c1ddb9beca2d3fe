"""``benchmarks/fleet.py`` takes the two cost keys only from a cost run on the same replay."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.fleet import COST_KEYS, cost_of_same_replay


def write_cost(folder: Path, **fields: object) -> None:
    result = {"benchmark": "fleet_cost", "tiny": False, "command": "python -m benchmarks.fleet_cost",
              "provenance": {"commit": "0123456789abcdef"},
              "cost_per_host_month_median_usd": 0.0053, "cost_per_host_month_p90_usd": 0.085, **fields}
    (folder / "fleet_cost.json").write_text(json.dumps(result), encoding="utf-8")


def test_the_full_replay_carries_the_cost_run_and_says_where_it_comes_from(tmp_path: Path) -> None:
    write_cost(tmp_path)
    keys = cost_of_same_replay(tmp_path, tiny=False)
    assert [keys[k] for k in COST_KEYS] == [0.0053, 0.085]
    assert "python -m benchmarks.fleet_cost at 0123456789ab" in keys["cost_source"]


def test_no_cost_from_another_input_or_none_at_all(tmp_path: Path) -> None:
    assert cost_of_same_replay(tmp_path, tiny=False) == {}  # no cost run
    write_cost(tmp_path, tiny=True)
    assert cost_of_same_replay(tmp_path, tiny=False) == {}  # the cost run used the small replay
    write_cost(tmp_path)
    assert cost_of_same_replay(tmp_path, tiny=True) == {}  # this run is the small replay
    (tmp_path / "fleet_cost.json").write_text("{", encoding="utf-8")
    assert cost_of_same_replay(tmp_path, tiny=False) == {}
