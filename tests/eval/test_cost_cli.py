"""``tasseograph-eval cost LOGDIR``: every input stated, a range over hosts, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tasseograph.eval.cli import main
from tests.eval.test_cost import _host_log


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    root = tmp_path / "spool"
    for host, every, seed in (("web-01", 300, 1), ("db-02", 3600, 2)):
        (root / host).mkdir(parents=True)
        (root / host / "kern.log").write_text(_host_log(host, every, seed))
    (root / "README").write_text("collected by rsync from the fleet\n")
    return root


def test_cost_prints_every_input_and_a_range_over_hosts(runner: CliRunner, logdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cost.json"
    res = runner.invoke(main, ["cost", str(logdir), "--hosts", "600", "--interval", "10m", "--json", str(out)])
    assert res.exit_code == 0, res.output
    text = res.output
    for needle in ("prices: claude-haiku-4-5 $1 in / $5 out", "Message Batches x0.5", "delivered every 10 min",
                   "hosts: 2 in the folder; fleet totals for 600 hosts", "10 hosts per call",
                   "Message Batches for calls without a signal", "cache hits", "Files not read: README"):
        assert needle in text, needle
    assert "Cost per host-month (headline): median $" in text and ", p90 $" in text and "(2 hosts)" in text
    report = json.loads(out.read_text())
    assert report["inputs"]["interval_s"] == 600 and report["inputs"]["fleet_hosts"] == 600
    assert sorted(h["host"] for h in report["hosts"]) == ["db-02", "web-01"]
    assert report["cost"]["median"] > 0


def test_no_fold_sends_more_tokens(runner: CliRunner, logdir: Path, tmp_path: Path) -> None:
    sent = {}
    for flag in ("--fold", "--no-fold"):
        out = tmp_path / f"{flag}.json"
        assert runner.invoke(main, ["cost", str(logdir), flag, "--json", str(out)]).exit_code == 0
        sent[flag] = json.loads(out.read_text())["tokens"]["sent"]
    assert sent["--fold"] < sent["--no-fold"]


@pytest.mark.parametrize(("args", "message"), [
    (["cost", "{missing}"], "not a folder"),
    (["cost", "{empty}"], "no kernel log with timestamps found"),
    (["cost", "{logdir}", "--interval", "soon"], "--interval"),
    (["cost", "{logdir}", "--price", "gpt-nope"], "no price for model 'gpt-nope'"),
    (["cost", "{broken}"], "kern.log.1.gz: not a readable gzip file"),
])
def test_bad_input_is_a_one_line_error(runner: CliRunner, logdir: Path, tmp_path: Path, args: list[str],
                                       message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken" / "h1").mkdir(parents=True)
    (tmp_path / "broken" / "h1" / "kern.log.1.gz").write_bytes(b"\x1f\x8b\x08\x00truncated")
    paths = {"missing": tmp_path / "nope", "empty": tmp_path / "empty", "logdir": logdir, "broken": tmp_path / "broken"}
    res = runner.invoke(main, [a.format(**paths) for a in args])
    assert res.exit_code != 0
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in res.output + res.stderr
