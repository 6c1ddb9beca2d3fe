"""What the runner tells its operator: one line per pass, and ``check-config`` without a key."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tasseograph.cli import main
from tasseograph.runner.summary import pass_line
from tasseograph.runner.worker import CycleReport
from tasseograph.schema import Usage
from tests.runner.conftest import (
    CRITICAL_LINE,
    KeywordModel,
    api_error,
    make_config,
    make_runner,
    write_spool,
)

REPO = Path(__file__).resolve().parents[2]
PASS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ pass: ")


def _cli(tmp_path: Path, *extra: str) -> list[str]:
    args = ["run", "--once", "--model", "rules", "--spool", str(tmp_path / "spool"), "--state",
            str(tmp_path / "state.db"), *extra]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_each_pass_is_one_line_at_the_default_verbosity(tmp_path: Path) -> None:
    write_spool(tmp_path / "spool", "web1", "1.log", f"[ 5.0] {CRITICAL_LINE}\n")
    write_spool(tmp_path / "spool", "web2", "1.log", "[ 5.0] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n")
    (line,) = _cli(tmp_path)
    assert PASS.match(line)
    assert line.endswith("pass: 2 hosts, 2 new deltas, 2 verdicts (critical 1, ok 1; 1 without a model call), "
                         "0 alerts sent, $0.0000, 0 queued")
    (idle,) = _cli(tmp_path)
    assert idle.endswith("pass: 0 hosts, 0 new deltas, 0 verdicts, 0 alerts sent, $0.0000, 0 queued")
    write_spool(tmp_path / "spool", "web1", "2.log", f"[ 6.0] {CRITICAL_LINE}\n")
    assert _cli(tmp_path, "--quiet") == []


def test_the_line_counts_cost_failures_and_backlog(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    paid = KeywordModel(price_id="claude-haiku-4-5", usage=Usage(input_tokens=3000, output_tokens=200))
    runner = make_runner(config, model=paid, fallback=KeywordModel(local=True, name="rules"))
    try:
        write_spool(tmp_path / "spool", "web1", "1.log", "[ 1.0] TEST-WARN-thermal CPU3 throttled\n")
        write_spool(tmp_path / "spool", "web2", "1.log", "[ 1.0] nothing odd here\n")
        report = asyncio.run(runner.cycle())
        stored = runner.state.conn.execute("SELECT SUM(cost_usd) FROM verdicts").fetchone()[0]
        assert report.cost_usd == pytest.approx(stored) and report.cost_usd > 0
        assert f"${report.cost_usd:.4f}" in pass_line(report, 0.0)
        assert "2 verdicts (warning 1, ok 1)" in pass_line(report, 0.0)

        def down(_: object) -> None:
            raise api_error()

        paid.fail = down
        write_spool(tmp_path / "spool", "web3", "1.log", f"[ 2.0] {CRITICAL_LINE}\n")
        failed = asyncio.run(runner.cycle())
    finally:
        runner.state.close()
    line = pass_line(failed, 0.0)
    assert failed.failed == 1 and failed.queued == 1
    assert "1 host, 1 new delta, 0 verdicts" in line and "1 queued" in line
    assert "1 delta failed and will be retried (1 checked by signals meanwhile)" in line


def test_pass_line_reads_plurals_and_order() -> None:
    r = CycleReport(ingested=1, analysed=3, alerts_posted=1, hosts={"a"}, queued=1200, fallback=2)
    r.statuses.update({"ok": 1, "critical": 2})
    line = pass_line(r, 86400.0)
    assert line == ("1970-01-02T00:00:00Z pass: 1 host, 1 new delta, 3 verdicts (critical 2, ok 1; 2 by the signal "
                    "catalogue alone), 1 alert sent, $0.0000, 1,200 queued")


def test_check_config_needs_no_key_and_prints_on_stdout() -> None:
    result = CliRunner().invoke(main, ["check-config", str(REPO / "deploy" / "tasseograph.toml")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("config OK: ") and "model: anthropic:claude-haiku-4-5" in result.stdout
    assert "budget: $10.00/day and $250.00/month" in result.stdout
    assert result.stderr == ""
    assert "note: ANTHROPIC_API_KEY is not set here: `tasseograph run` will need it" in result.stdout


def test_check_config_still_catches_bad_options_without_a_key(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text('[model]\nname = "anthropic:claude-haiku-4-5"\nprompt = "triage-v9"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check-config", "--config", str(bad)])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "unknown prompt 'triage-v9'" in result.output


def test_check_config_show_keeps_stdout_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-real-0000")
    result = CliRunner().invoke(main, ["check-config", "--show", str(REPO / "deploy" / "tasseograph.toml")])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["model"]["name"] == "anthropic:claude-haiku-4-5"
    assert result.stderr.startswith("config OK: ") and "note:" not in result.stderr
    assert "sk-ant-test" not in result.output
