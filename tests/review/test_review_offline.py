"""`tasseograph review` offline: the digest read from a real runner state, grouping, ranking, evidence,
next steps, silent hosts, fleet findings when present, and one-line errors."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tasseograph.cli import main
from tasseograph.fleet import parse_csv
from tasseograph.review.cli import build_review
from tasseograph.review.digest import read_digest
from tests.review.conftest import INVENTORY, THERMAL, UE, add_fleet_findings, build_state, ce, run_once
from tests.runner.conftest import write_spool


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def review_json(state: Path, *args: str) -> dict[str, Any]:
    result = cli("review", "--state", str(state), "--format", "json", "--model", "offline", *args)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def one_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def state(review_state: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "state.db"
    shutil.copy(review_state, copy)
    return copy


def test_offline_review_ranks_the_uncorrected_error_first_and_keeps_the_one_off_apart(state: Path) -> None:
    review = review_json(state)
    assert review["source"] == "offline" and review["fallback"] is None
    first = review["items"][0]
    assert first["severity"] == "critical" and first["hosts"] == ["db-17"] and first["category"] == "memory"
    assert UE in first["evidence"]  # the stored line, whole
    assert "drain the host" in first["next_step"]
    dimm = next(i for i in review["items"] if i["hosts"] == ["db-5"])
    assert "seen 3x" in dimm["why"] and dimm["severity"] == "warning"
    assert [i["rank"] for i in review["items"]] == list(range(1, len(review["items"]) + 1))
    scores = [i["score"] for i in review["items"]]
    assert scores == sorted(scores, reverse=True)
    minor_hosts = {h for m in review["minor"] for h in m["hosts"]}
    assert "web-9" in minor_hosts and all(i["hosts"] != ["web-9"] for i in review["items"])
    assert THERMAL in review["minor"][[m["hosts"] for m in review["minor"]].index(["web-9"])]["evidence"]


def test_an_injection_line_beside_a_failure_does_not_hide_it(state: Path) -> None:
    review = review_json(state)
    first = review["items"][0]
    assert first["hosts"] == ["db-17"] and first["severity"] == "critical"


def test_without_an_inventory_three_hosts_stay_three_items_and_with_one_they_are_one_group(state: Path,
                                                                                          tmp_path: Path) -> None:
    plain = review_json(state)
    links = [m for m in [*plain["items"], *plain["minor"]] if m["category"] == "network"]
    assert sorted(h for m in links for h in m["hosts"]) == ["web-1", "web-2", "web-3"] and len(links) == 3
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(INVENTORY, encoding="utf-8")
    grouped = review_json(state, "--inventory", str(inventory))
    groups = [i for i in grouped["items"] if i["category"] == "network"]
    assert len(groups) == 1 and groups[0]["hosts"] == ["web-1", "web-2", "web-3"]
    assert groups[0]["labels"]["switch"] == "sw-a01" and len(groups[0]["finding_ids"]) == 3
    assert not [m for m in grouped["minor"] if m["category"] == "network"]


def test_fleet_findings_render_their_group_and_trend_when_present(state: Path) -> None:
    add_fleet_findings(state)
    review = review_json(state)
    group = next(i for i in review["items"] if i["labels"].get("fleet") == "group")
    assert group["hosts"] == ["web-1", "web-2", "web-3"] and group["labels"]["switch"] == "sw-a01"
    assert len(group["finding_ids"]) == 4  # the group and its three members' own findings
    trend = next(i for i in review["items"] if "rising" in i["why"])
    assert trend["hosts"] == ["db-5"] and "threshold 10 in 20 h" in trend["why"]
    assert len(trend["finding_ids"]) == 2 and "seen 4x" in trend["why"]  # the trend and the DIMM's own errors
    text = cli("review", "--state", str(state), "--model", "offline").output
    assert "labels: fleet=group, group_label=switch, rack=r01, switch=sw-a01" in text


def test_grouping_by_inventory_uses_the_lines_own_times(state: Path) -> None:
    now = time.time()
    digest = read_digest(state, since=now - 86400, now=now, silent_after=3600)
    far = parse_csv("host,rack\nweb-1,r01\nweb-2,r01\nweb-3,r01\n")
    from tasseograph.fleet.settings import CorrelationSettings
    from tasseograph.review.rank import group_findings

    assert any(b.group for b in group_findings(digest.findings, far))
    # the three link-downs are 40 s apart by their own stamps: a 10 s window cannot hold them
    tight = CorrelationSettings(window_s=10.0)
    assert not any(b.group for b in group_findings(digest.findings, far, tight))


def test_since_bounds_the_window_and_silent_hosts_are_listed(state: Path) -> None:
    assert review_json(state, "--since", "2999-01-01T00:00")["findings"] == 0
    later = time.time() + 7 * 3600
    review = build_review(state, since="30d", model="offline", silent_after="6h", now=later)
    assert {s.host for s in review.silent_hosts} >= {"db-5", "web-4", "db-17"}
    assert build_review(state, since="30d", model="offline", silent_after="6h").silent_hosts == []


def test_dismissed_and_suppressed_findings_stay_out(state: Path) -> None:
    before = review_json(state)
    thermal = next(m for m in before["minor"] if m["hosts"] == ["web-9"])["finding_ids"][0]
    assert cli("findings", "dismiss", thermal, "--reason", "expected", "--state", str(state)).exit_code == 0
    assert cli("findings", "suppress", "--host", "db-5", "--signal", "edac.*", "--reason", "swap booked",
               "--state", str(state)).exit_code == 0
    after = review_json(state)
    hosts = {h for i in [*after["items"], *after["minor"]] for h in i["hosts"]}
    assert "web-9" not in hosts and "db-5" not in hosts and after["suppressed"] == 1


def test_top_limits_the_ranked_items(state: Path) -> None:
    assert len(review_json(state, "--top", "1")["items"]) == 1


def test_review_reads_without_writing(state: Path) -> None:
    state.chmod(0o400)
    try:
        before = state.read_bytes()
        assert review_json(state)["items"]
        assert state.read_bytes() == before
    finally:
        state.chmod(0o600)


def test_markdown_lists_items_evidence_and_sections(state: Path) -> None:
    text = cli("review", "--state", str(state), "--model", "offline").output
    assert text.startswith("# Fleet review ") and "## 1. [critical]" in text and "```text" in text
    assert "## Minor" in text and "## Silent hosts" in text and "## New to the fleet" in text


@pytest.mark.parametrize("args", [
    ("--state", "/nonexistent/state.db"),
    ("--since", "yesterday-ish"),
    ("--silent-after", "soon"),
    ("--model", "no-such-model"),
])
def test_bad_input_is_one_line_and_exit_2(state: Path, args: tuple[str, ...]) -> None:
    full = ("--state", str(state), *args) if args[0] != "--state" else args
    assert one_error(cli("review", *full))


def test_a_damaged_empty_or_newer_state_is_one_line(tmp_path: Path, state: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00\xffnot sqlite at all" * 20)
    assert "damaged" in one_error(cli("review", "--state", str(junk)))
    empty = tmp_path / "empty.db"
    empty.touch()
    assert "empty" in one_error(cli("review", "--state", str(empty)))
    with sqlite3.connect(state) as conn:
        conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    assert "newer tasseograph" in one_error(cli("review", "--state", str(state)))


def test_a_missing_key_for_an_api_model_is_one_line(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert "ANTHROPIC_API_KEY" in one_error(cli("review", "--state", str(state), "--model",
                                                "anthropic:claude-sonnet-4-6"))


def test_no_key_means_the_offline_digest(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = cli("review", "--state", str(state), "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output)["source"] == "offline"


def test_templates_new_to_the_fleet_need_a_baseline_older_than_the_window(state: Path) -> None:
    now = time.time()
    assert "no host baseline" in read_digest(state, since=now - 86400, now=now, silent_after=3600).templates_note
    rows = [("web-1", "e1000e <*> eno1: NIC Link is Up <*> Mbps Full Duplex", 40, 4, now - 30 * 86400),
            ("web-2", "e1000e <*> eno1: NIC Link is Up <*> Mbps Full Duplex", 12, 2, now - 3 * 3600),
            ("db-5", "qzx_hba <*>: adapter reset failed", 2, 1, now - 3600),
            ("web-4", "qzx_hba <*>: adapter reset failed", 1, 1, now - 1800)]
    with sqlite3.connect(state) as conn:
        conn.executemany("INSERT INTO baseline_templates VALUES (?,?,?,?,?,?,0)",
                         [(h, t, lines, deltas, first, now) for h, t, lines, deltas, first in rows])
    digest = read_digest(state, since=now - 86400, now=now, silent_after=3600)
    assert [(t.template, t.hosts, t.lines) for t in digest.new_templates] == [
        ("qzx_hba <*>: adapter reset failed", 2, 3)]  # the link-up template is older than the window
    young = read_digest(state, since=now - 40 * 86400, now=now, silent_after=3600)
    assert young.new_templates == [] and "younger than the window" in young.templates_note
    assert "`qzx_hba <*>: adapter reset failed` (2 host(s), 3 line(s)" in cli(
        "review", "--state", str(state), "--model", "offline").output


def test_an_acknowledged_item_says_so_and_weighs_half(state: Path) -> None:
    before = next(i for i in review_json(state)["items"] if i["hosts"] == ["db-17"])
    result = cli("findings", "ack", before["finding_ids"][0], "--note", "swap booked", "--state", str(state))
    assert result.exit_code == 0, result.output
    after = next(i for i in review_json(state)["items"] if i["hosts"] == ["db-17"])
    assert after["state"] == "acknowledged" and "acknowledged" in after["why"]
    assert after["score"] == pytest.approx(before["score"] / 2)


def test_the_config_names_the_state(state: Path, tmp_path: Path) -> None:
    config = tmp_path / "runner.toml"
    config.write_text(f'state = "{state}"\n', encoding="utf-8")
    config.chmod(0o600)
    result = cli("review", "--config", str(config), "--model", "offline", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["items"][0]["hosts"] == ["db-17"]


def test_an_ongoing_warning_is_minor_until_its_rate_rises(state: Path, tmp_path: Path) -> None:
    mid = time.time()
    write_spool(tmp_path / "spool", "db-5", "3.log", ce("db-5", 3, "0x77ab10") + "\n")
    run_once(tmp_path / "spool", state)  # db-5's DIMM seen again: first seen before `mid`, last after it
    since = datetime.fromtimestamp(mid, UTC).isoformat()
    review = build_review(state, since=since, model="offline")
    assert not any(i.hosts == ["db-5"] for i in review.items) and any(m.hosts == ["db-5"] for m in review.minor)
    assert any(i.hosts == ["db-5"] for i in build_review(state, since="1d", model="offline").items)
    add_fleet_findings(state)  # a rising trend on that DIMM
    review = build_review(state, since=since, model="offline")
    assert any(i.hosts == ["db-5"] and "rising" in i.why for i in review.items)


def test_a_postgresql_state_gives_the_review_a_file_gives(review_state: Path, tmp_path: Path, pg_url: str) -> None:
    build_state(tmp_path, pg_url)  # the same three runner passes, into PostgreSQL
    now = time.time()
    on_file = build_review(review_state, model="offline", now=now)
    on_pg = build_review(pg_url, model="offline", now=now)
    assert [(i.title, i.severity, i.hosts) for i in on_pg.items] == [(i.title, i.severity, i.hosts) for i in on_file.items]
    assert on_pg.items and on_pg.items[0].severity == "critical"
