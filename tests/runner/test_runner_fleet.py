"""Fleet signals in ``tasseograph run``: a rack's hosts losing their links together become one
correlated finding naming the rack; a DIMM's corrected errors ramping over days raise the
threshold finding with the device and the forecast; the inventory and ``[fleet]`` keys fail in
one line; the fleet state is counted once per delta in the verdict's transaction."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tasseograph.cli import main
from tests.runner.conftest import write_spool

DIMM = "CPU_SrcID#1_Ha#0_Chan#1_DIMM#0"


def syslog(at: datetime, host: str, uptime: float, message: str) -> str:
    """A kern.log line as rsyslog writes it (wall time and the kernel's monotonic stamp)."""
    return f"{at.isoformat(timespec='microseconds')} {host} kernel: [{uptime:12.6f}] {message}"


def cli(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    return result


def run_once(tmp_path: Path, *extra: str) -> Any:
    result = cli("run", "--once", "-q", "--spool", str(tmp_path / "spool"), "--state", str(tmp_path / "state.db"),
                 "--model", "rules", *extra)
    assert result.exit_code == 0, result.output
    return result


def findings_json(tmp_path: Path) -> list[dict[str, Any]]:
    result = cli("findings", "list", "--state", str(tmp_path / "state.db"), "--format", "json", "--status", "all")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    return data if isinstance(data, list) else data["findings"]


def write_inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.csv"
    path.write_text("host,rack,switch\n" + "".join(
        f"{h},r{1 + i // 4},sw-{i % 2}\n" for i, h in enumerate(
            ["db-01", "db-02", "db-03", "db-04", "web-01", "web-02", "web-03", "web-04"])), encoding="utf-8")
    return path


def test_three_hosts_of_a_rack_losing_link_within_two_minutes_are_one_finding_naming_the_rack(tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    # db-01..db-03 are rack r1 (db-01 and db-03 on sw-0, db-02 on sw-1): the rack is what they share.
    for i, host in enumerate(["db-01", "db-02", "db-03"]):
        at = t0 + timedelta(seconds=40 * i)
        lines = [syslog(at - timedelta(seconds=5), host, 86_000.0 + i, "systemd[1]: Started Session 4 of user ops."),
                 syslog(at, host, 86_005.0 + i, f"ixgbe 0000:0{i}:00.0 eth0: NIC Link is Down")]
        write_spool(tmp_path / "spool", host, "1.log", "\n".join(lines) + "\n")
    # web-01 (rack r2) logs it too: one host of another rack is not part of the group.
    write_spool(tmp_path / "spool", "web-01", "1.log",
                syslog(t0, "web-01", 9_000.0, "ixgbe 0000:05:00.0 eth1: NIC Link is Down") + "\n")
    run_once(tmp_path, "--inventory", str(inventory))

    groups = [f for f in findings_json(tmp_path) if f["signal"].startswith("fleet.group.")]
    assert len(groups) == 1, groups
    (group,) = groups
    assert sorted(group["members"]) == ["db-01", "db-02", "db-03"]
    assert group["host"] == "rack=r1" and group["category"] == "network"
    assert "rack=r1" in group["summary"] and group["source"] == "fleet"
    shown = cli("findings", "show", group["id"], "--state", str(tmp_path / "state.db"))
    assert shown.exit_code == 0 and "NIC Link is Down" in shown.output  # evidence resolves to stored lines


def test_a_dimm_ramp_replayed_through_run_raises_the_threshold_finding_with_device_and_forecast(
        tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
    uptime = 3_000_000.0
    # Three days of 6-hour spool files: 1 corrected error per 6 h, then more each file (a failing DIMM).
    per_file = [1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6]
    for n, count in enumerate(per_file):
        begin = start + timedelta(hours=6 * n)
        lines = []
        for k in range(count):
            at = begin + timedelta(minutes=5 + k * 6 * 60 / (count + 1))
            up = uptime + (at - start).total_seconds()
            lines.append(syslog(at, "db-17", up, f"EDAC MC1: 1 CE memory read error on {DIMM} (channel:1 slot:0 "
                                                 f"page:0x{0x3a1f0 + 17 * n + k:x} offset:0x{(k * 64) % 4096:x} grain:32 "
                                                 "syndrome:0x0)"))
        write_spool(tmp_path / "spool", "db-17", f"{n:03d}.log", "\n".join(lines) + "\n",
                    age=(datetime.now(UTC) - begin).total_seconds() - 6 * 3600 + 60)
        run_once(tmp_path)

    fleet = [f for f in findings_json(tmp_path) if f["source"] == "fleet"]
    (threshold,) = [f for f in fleet if f["signal"] == "fleet.memory.dimm_corrected"]
    assert threshold["host"] == "db-17" and DIMM in json.dumps(threshold["device"])
    assert "threshold 10" in threshold["summary"] and "in 24 h" in threshold["summary"]
    shown = cli("findings", "show", threshold["id"], "--state", str(tmp_path / "state.db"))
    assert shown.exit_code == 0, shown.output
    assert DIMM in shown.output and "forecast: 10 per 24 h" in shown.output
    assert "EDAC MC1: 1 CE memory read error" in shown.output


def test_bad_inventory_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "inventory.csv"
    bad.write_text("rack,host\nr1\n", encoding="utf-8")
    for path in (bad, tmp_path / "missing.csv"):
        result = cli("run", "--once", "--spool", str(tmp_path / "spool"), "--state", str(tmp_path / "state.db"),
                     "--model", "rules", "--inventory", str(path))
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: ") and len(result.output.strip().splitlines()) == 1
        assert "Traceback" not in result.output
    assert not (tmp_path / "state.db").exists()  # nothing opened before the inventory loaded


def test_bad_thresholds_file_in_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    rules = tmp_path / "thresholds.toml"
    rules.write_text("[[threshold]]\nname = 3\n", encoding="utf-8")
    config = tmp_path / "t.toml"
    config.write_text(f'[fleet]\nthresholds = "{rules}"\n', encoding="utf-8")
    result = cli("run", "--once", "--config", str(config), "--state", str(tmp_path / "state.db"))
    assert result.exit_code == 2 and result.output.startswith("error: ") and str(rules) in result.output


def test_default_config_documents_the_fleet_keys() -> None:
    result = cli("run", "--print-default-config")
    assert result.exit_code == 0
    text = result.output
    section = text[text.index("[fleet]"):]
    for key in ("inventory", "thresholds", "min_hosts", "window", "by"):
        assert f"{key} =" in section or f"# {key} =" in section, key


def test_every_delta_is_counted_once_in_its_verdict_transaction(tmp_path: Path) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    for n in range(3):
        for host in ("db-01", "db-02"):
            at = t0 + timedelta(minutes=5 * n)
            write_spool(tmp_path / "spool", host, f"{n}.log", syslog(
                at, host, 5_000.0 + 300 * n, f"EDAC MC0: 1 CE memory read error on {DIMM} (page:0x{n:x})") + "\n")
        run_once(tmp_path)
    run_once(tmp_path)  # nothing new: nothing counted twice
    conn = sqlite3.connect(tmp_path / "state.db")
    try:
        verdicts = dict(conn.execute("SELECT host, COUNT(*) FROM verdicts GROUP BY host").fetchall())
        counted = dict(conn.execute("SELECT host, deltas FROM fleet_hosts").fetchall())
    finally:
        conn.close()
    assert verdicts == counted == {"db-01": 3, "db-02": 3}
