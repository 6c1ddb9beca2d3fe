"""API-model runs against the local fake server: PLUMBING ONLY, never model quality.

They check that a suite with Anthropic models reports tokens, cache tokens and cost per
host-month from the price file, builds the escalation table, labels its runs as plumbing, and
replays from the response cache with zero HTTP requests; and that --batch submits and collects.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tasseograph.eval.cli import main
from tasseograph.eval.scoring import QUALITY_PLUMBING
from tests.fakeapi import TEST_KEY, FakeAPIServer

HAIKU, SONNET = "anthropic:claude-haiku-4-5", "anthropic:claude-sonnet-4-5"


def _suite(tmp_path: Path, data: Path, url: str) -> Path:
    opts = f'options = {{ base_url = "{url}", api_key = "{TEST_KEY}", max_retries = 0 }}'
    suite = tmp_path / "fake.toml"
    suite.write_text(f"""
name = "fake-plumbing"
prompts = ["triage-v1"]
concurrency = 4
[[datasets]]
name = "tiny"
path = "{data}"
[[models]]
name = "rules"
[[models]]
name = "{HAIKU}"
{opts}
[[models]]
name = "{SONNET}"
{opts}
[[options]]
label = "no-prefilter"
prefilter = false
[escalation]
small = "{HAIKU}"
large = "{SONNET}"
local = "rules"
""")
    return suite


def _runs(out: Path) -> dict[tuple[str, str], dict]:
    runs = json.loads((out / "summary.json").read_text())["runs"]
    return {(r["model"], r["policy"]): r for r in runs}


def test_suite_against_fake_server_then_zero_request_replay(
    fake_api: FakeAPIServer, tiny_jsonl: Path, tmp_path: Path
) -> None:
    suite, cache = _suite(tmp_path, tiny_jsonl, fake_api.url), tmp_path / "cache.sqlite"
    first = CliRunner().invoke(main, ["run", str(suite), "--out", str(tmp_path / "a"), "--cache", str(cache)])
    assert first.exit_code == 0, first.output
    assert fake_api.request_count >= 16  # 8 cases x 2 models, plus any repair retries
    runs = _runs(tmp_path / "a")
    haiku = runs[(HAIKU, "single")]
    assert haiku["quality"] == QUALITY_PLUMBING and runs[("rules", "single")]["quality"].startswith("measured")
    assert haiku["prompt"].startswith("triage-v1@")
    assert haiku["tokens"]["input"] > 0 and haiku["tokens"]["output"] > 0
    assert haiku["tokens"]["cache_write"] + haiku["tokens"]["cache_read"] > 0
    assert haiku["cost_usd"] > 0 and haiku["cost_per_host_month_usd"] > 0
    assert runs[(SONNET, "single")]["cost_usd"] > haiku["cost_usd"]  # Sonnet's prices are higher
    policies = {p for _, p in runs}
    assert {"escalate-nonok", "escalate-uncertain", "local-first"} <= policies
    md = (tmp_path / "a" / "report.md").read_text()
    assert "Escalation policies" in md and "PLUMBING" in md

    fake_api.reset()
    again = CliRunner().invoke(main, ["run", str(suite), "--out", str(tmp_path / "b"), "--cache", str(cache), "--replay-only"])
    assert again.exit_code == 0, again.output
    assert fake_api.request_count == 0
    replayed = _runs(tmp_path / "b")
    for key in (HAIKU, "single"), (SONNET, "single"), (f"rules → {HAIKU} → {SONNET}", "local-first"):
        assert replayed[key]["cost_usd"] == runs[key]["cost_usd"]
        assert replayed[key]["tokens"] == runs[key]["tokens"]
    for key in (HAIKU, "single"), (SONNET, "single"):  # local tiers are timed afresh; API replies replay
        assert replayed[key]["latency_p95_s"] == runs[key]["latency_p95_s"]
    assert replayed[(HAIKU, "single")]["cache"]["misses"] == 0


def test_replay_only_miss_is_one_line(fake_api: FakeAPIServer, tiny_jsonl: Path, tmp_path: Path) -> None:
    suite = _suite(tmp_path, tiny_jsonl, fake_api.url)
    res = CliRunner().invoke(main, ["run", str(suite), "--out", str(tmp_path / "o"), "--cache",
                                    str(tmp_path / "empty.sqlite"), "--replay-only"])
    assert res.exit_code == 2
    assert res.output.startswith("error: --replay-only: no cached reply") and res.output.count("\n") == 1
    assert fake_api.request_count == 0


def test_epochs_are_separate_requests(fake_api: FakeAPIServer, tiny_jsonl: Path, tmp_path: Path) -> None:
    args = ["run", "--dataset", str(tiny_jsonl), "--model", HAIKU, "--no-prefilter", "--out", str(tmp_path / "e"),
            "--cache", str(tmp_path / "c.sqlite")]
    env = {"ANTHROPIC_BASE_URL": fake_api.url, "ANTHROPIC_API_KEY": TEST_KEY}
    assert CliRunner(env=env).invoke(main, [*args, "--epochs", "1"]).exit_code == 0
    n1 = fake_api.request_count
    res = CliRunner(env=env).invoke(main, [*args, "--epochs", "2"])
    assert res.exit_code == 0, res.output
    assert fake_api.request_count == 2 * n1  # epoch 0 replayed, epoch 1 sent


def test_batch_submits_then_collects(fake_api: FakeAPIServer, tiny_jsonl: Path, tmp_path: Path) -> None:
    fake_api.batch_polls = 1  # the first status poll says in_progress
    out, cache = tmp_path / "batch", tmp_path / "c.sqlite"
    args = ["run", "--dataset", str(tiny_jsonl), "--model", HAIKU, "--no-prefilter", "--out", str(out),
            "--cache", str(cache), "--batch"]
    env = {"ANTHROPIC_BASE_URL": fake_api.url, "ANTHROPIC_API_KEY": TEST_KEY}
    first = CliRunner(env=env).invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "submitted batch" in first.output and (out / "batch_state.json").exists()
    assert not (out / "summary.json").exists()
    posts = [r for r in fake_api.requests if r.path == "/v1/messages"]
    assert posts == []  # nothing went through the synchronous API
    second = CliRunner(env=env).invoke(main, args)
    assert "still in_progress" in second.output and not (out / "summary.json").exists()
    third = CliRunner(env=env).invoke(main, args)
    assert third.exit_code == 0, third.output
    assert "collected batch" in third.output and not (out / "batch_state.json").exists()
    (run,) = json.loads((out / "summary.json").read_text())["runs"]
    assert run["n_cases"] == 8 and run["cost_usd"] > 0 and run["quality"] == QUALITY_PLUMBING
    from tasseograph.eval.cache import SQLiteCache

    rows = SQLiteCache(cache)._db.execute("SELECT reply FROM responses").fetchall()
    assert rows and all(json.loads(r[0])["batch"] for r in rows)
