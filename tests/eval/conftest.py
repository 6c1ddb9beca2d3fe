"""Fixtures for the eval harness tests: a tiny labelled set and a CLI runner (the fake API server comes from tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

CASES = [
    ("ok-boot", "ok", [], "[    0.000000] Linux version 6.1.0-18-amd64\n[    1.204411] EDAC MC: Ver: 3.0.0\n[    2.100101] usb 1-1: new high-speed USB device number 2 using xhci_hcd", []),
    ("ok-acpi", "ok", [], "[    0.412000] ACPI: Added _OSI(Module Device)\n[    3.000012] systemd[1]: Started Journal Service.", []),
    ("ok-net", "ok", [], "[   12.500100] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx", []),
    ("mem-ue", "critical", ["memory"], "[ 5120.331201] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x12a4f offset:0x0 grain:32)\n[ 5120.331260] systemd[1]: Started Session 4 of user root.", ["[ 5120.331201] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x12a4f offset:0x0 grain:32)"]),
    ("mem-ce", "warning", ["memory"], "[ 7001.100000] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#1 (channel:0 slot:1 page:0x3f1 offset:0x0 grain:32 syndrome:0x0)", ["[ 7001.100000] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#1 (channel:0 slot:1 page:0x3f1 offset:0x0 grain:32 syndrome:0x0)"]),
    ("nvme-reset", "critical", ["storage"], "[88001.000000] nvme nvme0: I/O 512 QID 3 timeout, aborting\n[88031.000000] nvme nvme0: I/O 512 QID 3 timeout, reset controller\n[88061.000000] nvme nvme0: Device not ready; aborting reset, CSTS=0x1\n[88061.000100] nvme nvme0: Removing after probe failure status: -19", ["[88061.000100] nvme nvme0: Removing after probe failure status: -19"]),
    ("thermal", "warning", ["thermal"], "[ 9100.000000] CPU3: Core temperature above threshold, cpu clock throttled (total events = 1)\n[ 9100.000100] CPU3: Package temperature above threshold, cpu clock throttled (total events = 1)", ["[ 9100.000000] CPU3: Core temperature above threshold, cpu clock throttled (total events = 1)"]),
    ("link-flap", "warning", ["network"], "[ 300.000000] ixgbe 0000:03:00.0 eth2: NIC Link is Down\n[ 302.000000] ixgbe 0000:03:00.0 eth2: NIC Link is Up 10 Gbps, Flow Control: RX/TX\n[ 310.000000] ixgbe 0000:03:00.0 eth2: NIC Link is Down\n[ 312.000000] ixgbe 0000:03:00.0 eth2: NIC Link is Up 10 Gbps, Flow Control: RX/TX", ["[ 300.000000] ixgbe 0000:03:00.0 eth2: NIC Link is Down"]),
]


def write_cases(path: Path, cases: list[tuple[str, str, list[str], str, list[str]]] = CASES) -> Path:
    """Write cases in the FORMAT.md JSONL form."""
    with path.open("w", encoding="utf-8") as fh:
        for cid, status, cats, text, evidence in cases:
            fh.write(json.dumps({"id": cid, "text": text, "label": {"status": status, "categories": cats},
                                 "evidence": evidence}) + "\n")
    return path


@pytest.fixture
def tiny_jsonl(tmp_path: Path) -> Path:
    """Eight hand-written cases: three ok, three warning, two critical."""
    return write_cases(tmp_path / "tiny.jsonl")


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner (stderr kept apart from stdout)."""
    return CliRunner()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own response cache and user cache dir (nothing leaks between tests)."""
    monkeypatch.setenv("TASSEOGRAPH_EVAL_CACHE", str(tmp_path / "responses.sqlite"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
