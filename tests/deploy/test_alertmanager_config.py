"""deploy/alertmanager/alertmanager.yml in a real Alertmanager (Debian's ``prometheus-alertmanager``):
it loads, groups a host's findings by category, and a critical finding inhibits the warnings of the
same host and category while it fires, not those of another category."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasseograph.findings.identity import FindingKey
from tasseograph.findings.record import FindingRecord
from tasseograph.runner.alerts import AlertmanagerClient, AlertRules, finding_labels, to_iso
from tests.runner.conftest import find_binary, run_alertmanager

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "alertmanager" / "alertmanager.yml"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def deploy_alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from run_alertmanager(CONFIG, tmp_path_factory.mktemp("am-deploy"))


def test_the_config_is_valid_for_amtool() -> None:
    amtool = find_binary("amtool")
    done = subprocess.run([amtool, "check-config", str(CONFIG)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "SUCCESS" in done.stdout, done.stdout + done.stderr


def alert(host: str, category: str, signal: str, severity: str, device: dict[str, str]) -> dict[str, Any]:
    key = FindingKey.make(host, category, signal, device=device)
    record = FindingRecord(key, "signal", f"{signal} test", severity, severity, "active", 0.0, 0.0, 0.0)
    now = time.time()
    return {"labels": finding_labels(record, AlertRules()), "annotations": {"summary": signal},
            "startsAt": to_iso(now), "endsAt": to_iso(now + 600)}


def test_a_critical_finding_inhibits_warnings_of_its_host_and_category(deploy_alertmanager: str) -> None:
    host = f"db-{int(time.time() * 1000)}"
    ue = alert(host, "memory", "edac.ue", "critical", {"dimm": "CPU1_DIMM_B2"})
    ce = alert(host, "memory", "edac.ce", "warning", {"dimm": "CPU1_DIMM_A1"})
    link = alert(host, "network", "net.link_down", "warning", {"nic": "eth0"})
    AlertmanagerClient(deploy_alertmanager).post([ue, ce, link])

    def states() -> dict[str, str]:
        url = f"{deploy_alertmanager}/api/v2/alerts?filter=" + urllib.request.quote(f'host="{host}"')
        with urllib.request.urlopen(url, timeout=5) as r:
            return {a["labels"]["finding_id"]: a["status"]["state"] for a in json.loads(r.read())}

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and states().get(ce["labels"]["finding_id"]) != "suppressed":
        time.sleep(0.2)
    assert states() == {ue["labels"]["finding_id"]: "active", ce["labels"]["finding_id"]: "suppressed",
                        link["labels"]["finding_id"]: "active"}
    with urllib.request.urlopen(f"{deploy_alertmanager}/api/v2/alerts/groups", timeout=5) as r:
        groups = [g for g in json.loads(r.read()) if g["labels"].get("host") == host]
    # Grouped by host and category (the critical route keeps its own groups, with its own repeat interval).
    assert {g["labels"]["category"] for g in groups} == {"memory", "network"}
    assert all(set(g["labels"]) == {"host", "category"} for g in groups)
