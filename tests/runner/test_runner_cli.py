"""``tasseograph run`` (cron and daemon), ``findings`` and the metrics they export."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from tasseograph.cli import main
from tests.runner.conftest import CRITICAL_LINE, free_port, write_spool

TASSEOGRAPH = [sys.executable, "-c", "from tasseograph.cli import main; main()"]


def run_once(tmp_path: Path, *extra: str, input: bytes | None = None) -> None:
    args = ["run", "--once", "--model", "rules", "--spool", str(tmp_path / "spool"), "--state",
            str(tmp_path / "state.db"), "--textfile", str(tmp_path / "prom" / "tasseograph.prom"), *extra]
    result = CliRunner().invoke(main, args, input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_run_once_writes_metrics_and_findings(tmp_path: Path) -> None:
    write_spool(tmp_path / "spool", "web1", "1.log", f"[ 5.0] {CRITICAL_LINE}\n")
    write_spool(tmp_path / "spool", "web2", "1.log", "[ 5.0] usb 1-1: new high-speed USB device\n")
    run_once(tmp_path)
    prom = tmp_path / "prom" / "tasseograph.prom"
    values = samples(prom)
    key = ("dmesg_llm_issues_total", (("category", "memory"), ("host", "web1"), ("severity", "critical")))
    assert values[key] == 1
    assert values[("dmesg_llm_api_errors_total", ())] == 0
    assert ("dmesg_llm_last_check_timestamp", (("host", "web2"),)) in values
    assert values[("dmesg_llm_queue_depth", ())] == 0
    assert not list(prom.parent.glob("*.tmp*"))  # written atomically: no temp file left

    result = CliRunner().invoke(main, ["findings", "--state", str(tmp_path / "state.db"), "--format", "json"])
    (finding,) = json.loads(result.output)
    assert (finding["host"], finding["severity"], finding["category"]) == ("web1", "critical", "memory")
    text = CliRunner().invoke(main, ["findings", "--state", str(tmp_path / "state.db"), "--host", "web1",
                                     "--since", "1h"]).output
    (row,) = text.splitlines()[1:]
    assert row.split()[:5] == [finding["id"], "active", "critical", "web1", "memory"]
    assert "EDAC uncorrected memory error" in row
    none = CliRunner().invoke(main, ["findings", "--state", str(tmp_path / "state.db"), "--host", "web2"])
    assert none.exit_code == 0 and "no findings" in none.output
    future = CliRunner().invoke(main, ["findings", "--state", str(tmp_path / "state.db"), "--since", "2999-01-01"])
    assert "no findings" in future.output


def test_counters_add_up_across_cron_runs(tmp_path: Path) -> None:
    for i in range(3):
        write_spool(tmp_path / "spool", "web1", f"{i}.log", f"[ {i}.0] {CRITICAL_LINE}\n")
        run_once(tmp_path)
    values = samples(tmp_path / "prom" / "tasseograph.prom")
    assert values[("dmesg_llm_issues_total", (("category", "memory"), ("host", "web1"), ("severity", "critical")))] == 3


def test_stdin_one_off(tmp_path: Path) -> None:
    run_once(tmp_path, "--stdin", "--host", "adhoc", input=f"[ 1.0] {CRITICAL_LINE}\n".encode())
    result = CliRunner().invoke(main, ["findings", "--state", str(tmp_path / "state.db"), "--format", "json"])
    assert [f["host"] for f in json.loads(result.output)] == ["adhoc"]


def test_findings_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["findings", "--state", str(tmp_path / "none.db")])
    assert result.exit_code != 0 and "no state file" in result.output
    run_once(tmp_path)
    bad = CliRunner().invoke(main, ["findings", "--state", str(tmp_path / "state.db"), "--since", "yesterday"])
    assert bad.exit_code != 0 and bad.output.count("\n") == 1


def test_overlapping_cron_run_steps_aside(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    fd = os.open(f"{state}.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        result = CliRunner().invoke(main, ["run", "--once", "--model", "rules", "--state", str(state)])
        assert result.exit_code == 0 and "skipping this run" in result.output
    finally:
        os.close(fd)


def test_daemon_serves_metrics_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "tasseograph.toml"
    config.write_text(f"""state = "{tmp_path / 'state.db'}"
[model]
name = "rules"
[sources.spool]
dir = "{tmp_path / 'spool'}"
settle = 0
[polling]
cycle = "200ms"
adaptive = false
[metrics]
listen = "127.0.0.1:{port}"
""", encoding="utf-8")
    write_spool(tmp_path / "spool", "web1", "1.log", f"[ 5.0] {CRITICAL_LINE}\n")
    proc = subprocess.Popen([*TASSEOGRAPH, "run", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        body = ""
        deadline = time.monotonic() + 20
        while "dmesg_llm_issues_total{" not in body and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as r:
                    body = r.read().decode()
            except OSError:
                time.sleep(0.1)
        assert 'dmesg_llm_issues_total{category="memory",host="web1",severity="critical"} 1.0' in body
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert proc.stdout is not None
        passes = proc.stdout.read().decode().splitlines()
        assert "pass: 1 host, 1 new delta, 1 verdict (critical 1)" in passes[0]  # one line per pass
        assert all(" pass: " in line for line in passes)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
