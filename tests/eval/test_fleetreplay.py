"""``tasseograph-eval fleet``: the small fleet replay through the real runner, end to end, scored;
and its Alertmanager stand-in, which applies the shipped inhibit rules as Alertmanager does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tasseograph.errors import ConfigError
from tasseograph.eval.cli import main
from tasseograph.eval.fleet_cli import DEFAULT_AM_CONFIG
from tasseograph.eval.standin import CountingAlertmanager, load_inhibit_rules, parse_matcher
from tests.conftest import shared_dir

FIRE_UNTIL = "2099-01-01T00:00:00+00:00"


def test_the_small_replay_runs_through_the_runner_and_scores(tmp_path: Path) -> None:
    if shared_dir() is None:
        pytest.skip("shared data not found: set TASSEOGRAPH_SHARED or put shared/ beside the checkout")
    out = tmp_path / "fleet.json"
    result = CliRunner().invoke(main, ["fleet", "--small", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "duplicate alerts: 0" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    score, counts = data["score"], data["counts"]
    for key in ("notification_reduction", "incident_recall", "incident_precision", "correlated_groups_recall",
                "trend_lead_time_h_median", "duplicate_alerts"):
        assert key in score, key
    assert score["duplicate_alerts"] == 0
    assert score["incidents"] >= 3 and score["correlated_groups"] >= 1
    assert 0 <= score["incident_recall"] <= 1 and score["notifications"] >= 1
    # the naive policy is what the same run stored: one alert per non-ok verdict
    assert score["per_delta_alerts"] == counts["non_ok_verdicts"] > score["notifications"]
    assert counts["verdicts"] > 0 and counts["fleet_rows"]["fleet_hosts"] > 0
    assert any(f["kind"] == "group" and len(f["members"]) >= 3 for f in data["fleet_findings"])


def test_a_folder_without_a_replay_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["fleet", str(tmp_path)])
    assert result.exit_code == 2 and result.output.startswith("error: ") and "no fleet replay" in result.output
    result = CliRunner().invoke(main, ["fleet", str(tmp_path), "--small"])
    assert result.exit_code == 2 and "not both" in result.output


def alert(clock: list[float], **labels: str) -> dict[str, object]:
    return {"labels": {"alertname": "DmesgHardwareIssue", "category": "network", "severity": "warning", **labels},
            "annotations": {}, "startsAt": "2026-11-01T00:00:00+00:00", "endsAt": FIRE_UNTIL}


def test_the_stand_in_mutes_a_groups_members_with_the_shipped_rules_and_counts_each_episode_once() -> None:
    now = [1_800_000_000.0]
    am = CountingAlertmanager(lambda: now[0], load_inhibit_rules(DEFAULT_AM_CONFIG))
    group = alert(now, host="rack=r7", rack="r7", fleet="group", group_label="rack", finding_id="g")
    members = [alert(now, host=h, rack="r7", finding_id=h) for h in ("a", "b")]
    outsider = alert(now, host="c", rack="r8", finding_id="c")
    am.post([group, *members, outsider])
    am.post([group, *members, outsider])  # the runner re-posts what still fires
    notified = sorted(d.labels["host"] for d in am.delivered)
    assert notified == ["c", "rack=r7"]
    assert am.episodes == 4
    storage = alert(now, host="d", rack="r7", finding_id="d")
    storage["labels"]["category"] = "storage"  # type: ignore[index]
    am.post([storage])  # another category is not what the group is about
    assert am.delivered[-1].labels["host"] == "d"


def test_matchers_parse_as_alertmanager_writes_them_and_bad_ones_are_one_line(tmp_path: Path) -> None:
    assert parse_matcher('fleet!="group"', "x").matches({"fleet": "stream"})
    assert parse_matcher('dimm=~".+"', "x").matches({"dimm": "A1"})
    assert not parse_matcher('dimm=~".+"', "x").matches({})
    with pytest.raises(ConfigError, match="not an Alertmanager matcher"):
        parse_matcher("fleet group", "x")
    bad = tmp_path / "am.yml"
    bad.write_text("inhibit_rules:\n  - source_match: {severity: critical}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="source_matchers"):
        load_inhibit_rules(bad)
