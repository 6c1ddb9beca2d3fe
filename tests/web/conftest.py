"""A fleet's state made by the real runner, for the fleet page's tests.

``tasseograph run --once`` reads a spool of six hosts in two racks (a critical host, warnings,
an ok host, a host whose line carries markup), ``tasseograph findings ack`` acknowledges one
finding, and a second pass leaves one delta queued (the ok host's next delta waits for its
polling interval). The inventory adds a host that never sent a line.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tasseograph.cli import main
from tasseograph.findings.record import Sighting
from tasseograph.fleet.counters import FleetCounters, Track
from tasseograph.fleet.events import Observation
from tasseograph.runner.config import RunnerConfig
from tasseograph.runner.state import State
from tasseograph.runner.tracking import FindingTracker
from tests.runner.conftest import write_spool

SCRIPT = '<script>document.title="pwned"</script>'
"""Markup a hostile (or just odd) log line carries: the page must show it as text."""
FIRST_PASS = {
    "db-01": "[ 9021.554012] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 "
             "page:0x3f2a1 offset:0x0 grain:32 syndrome:0x0)\n",
    "db-02": "[    3.100000] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n",
    "web-01": "[ 5120.100200] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#1 (channel:0 slot:1 "
              "page:0x1a2b offset:0x0 grain:32 syndrome:0x0)\n",
    "web-02": "[ 3311.000100] nvme nvme0: I/O 123 QID 4 timeout, aborting\n",
    "web-03": "[  812.000000] ixgbe 0000:3b:00.0 eth2: NIC Link is Down\n",
}
SECOND_PASS = {
    "db-02": "[   63.100000] usb 1-2: new high-speed USB device number 3 using xhci_hcd\n",
    "web-01": f"[ 5200.100200] nvme nvme1: I/O 7 QID 2 timeout, aborting {SCRIPT}\n",
}
INVENTORY = "host,rack,row\ndb-01,r1,a\ndb-02,r1,a\ndb-03,r1,a\nweb-01,r2,a\nweb-02,r2,a\nweb-03,r2,a\n"
ACK_NOTE = "NVMe swap booked for Friday"


@dataclass(frozen=True)
class Fleet:
    """The state and inventory the runner left, and the ids of its findings by host."""

    root: Path
    state: Path
    inventory: Path
    ids: dict[str, list[str]]
    """Host -> its findings' ids (the critical one of db-01, the acknowledged one of web-02...)."""


def cli(*args: str) -> str:
    """Run ``tasseograph ARGS`` in-process; its stdout (a non-zero exit fails the test)."""
    result = CliRunner().invoke(main, list(args), env={"TASSEOGRAPH_DISABLE_PLUGINS": "1"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def build_fleet(root: Path) -> Fleet:
    """Run the runner over the spool as a collector would (see the module docstring)."""
    spool, state = root / "spool", root / "state.db"
    run = ["run", "--once", "--spool", str(spool), "--state", str(state), "--model", "rules", "-q"]
    for host, text in FIRST_PASS.items():
        write_spool(spool, host, "0001.log", text)
    cli(*run)
    listed = json.loads(cli("findings", "list", "--state", str(state), "--format", "json"))
    ids: dict[str, list[str]] = {}
    for f in listed:
        ids.setdefault(f["host"], []).append(f["id"])
    cli("findings", "ack", ids["web-02"][0], "--note", ACK_NOTE, "--by", "alice", "--state", str(state))
    for host, text in SECOND_PASS.items():
        write_spool(spool, host, "0002.log", text)
    cli(*run)
    listed = json.loads(cli("findings", "list", "--state", str(state), "--format", "json", "--status", "all"))
    ids = {}
    for f in listed:
        ids.setdefault(f["host"], []).append(f["id"])
    inventory = root / "inventory.csv"
    inventory.write_text(INVENTORY, encoding="utf-8")
    return Fleet(root, state, inventory, ids)


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    """The runner's state over six hosts in two racks (read it only: tests share it)."""
    return build_fleet(tmp_path_factory.mktemp("fleet"))


@pytest.fixture
def fleet_copy(fleet: Fleet, tmp_path: Path) -> Fleet:
    """A private copy of ``fleet`` a test may add to."""
    shutil.copytree(fleet.root, tmp_path / "fleet")
    root = tmp_path / "fleet"
    return Fleet(root, root / "state.db", root / "inventory.csv", fleet.ids)


def add_group(state: Path, members: Sequence[str], *, label: str = "rack", value: str = "r2",
              at: float | None = None) -> str:
    """A correlated group's finding, raised as fleet rules raise it (``FindingTracker.sightings``); its id."""
    from tasseograph.findings.identity import FindingKey

    now = time.time() if at is None else at
    key = FindingKey.make(f"{label}={value}", "network", "fleet.group.net.link_down")
    sighting = Sighting(key, "critical", f"{len(members)} hosts with {label}={value} lost link within 2 min",
                        "\n".join(f"{m}: ixgbe 0000:3b:00.0 eth2: NIC Link is Down" for m in members), at=now,
                        source="fleet", members=tuple(members), labels={label: value})
    db = State(state)
    try:
        with db.transaction() as conn:
            FindingTracker(RunnerConfig().alerts.rules()).sightings(conn, [sighting], now)
    finally:
        db.close()
    return key.id


def ramp_tracks(host: str, end: float, days: int = 3) -> list[Track]:
    """The counters of a DIMM whose corrected errors climb for ``days`` (built by the fleet library)."""
    counters = FleetCounters()
    start = end - days * 86_400
    counters.see_host(host, start)
    t, gap = start, 6 * 3600.0
    while t < end:
        counters.observe(Observation(host, "edac.ce", "memory", "warning", at=t,
                                     device={"mc": "0", "dimm": "CPU_SrcID#0_Ha#0_Chan#0_DIMM#1"}))
        gap = max(gap * 0.85, 1800.0)
        t += gap
    return counters.host_tracks(host)


def add_tracks(state: Path, tracks: Sequence[Track], now: float) -> None:
    """Store counter tracks as the runner's fleet store does: through ``runner/fleetstore.py`` where
    the runner has it, else into the same ``fleet_tracks`` table, created here."""
    rows = [(t.key, t.host, json.dumps(t.to_dict(), sort_keys=True)) for t in tracks]
    db = State(state)
    try:
        with db.transaction() as conn:
            try:
                from tasseograph.runner.fleetstore import FleetStore
            except ImportError:
                conn.execute("CREATE TABLE IF NOT EXISTS fleet_tracks (key TEXT PRIMARY KEY, host TEXT NOT NULL,"
                             " data TEXT NOT NULL, updated REAL NOT NULL)")
                conn.executemany("INSERT INTO fleet_tracks (key, host, data, updated) VALUES (?,?,?,?)",
                                 [(*r, now) for r in rows])
            else:
                FleetStore(conn).save_tracks(rows, [], now)
    finally:
        db.close()
