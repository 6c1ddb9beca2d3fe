"""Against a real Prometheus and a real Alertmanager (Debian's ``prometheus`` and
``prometheus-alertmanager``), started on loopback ports by session fixtures in ``conftest.py``:
the metrics are scraped; each finding is one alert Alertmanager holds until the finding
resolves (by hand, or on the kernel's recovery line), and a regression fires it again. Skipped when the binaries are missing, except in CI (``CI=true``), where that fails."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from tasseograph.findings import lifecycle
from tasseograph.runner.exporter import Metrics
from tasseograph.runner.findingstore import FindingStore
from tasseograph.runner.worker import build_fleet
from tests.runner.conftest import KeywordModel, make_config, make_runner, run_alertmanager, write_spool

pytestmark = pytest.mark.integration


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def wait_for(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_prometheus_scrapes_runner_metrics(tmp_path: Path, prometheus: tuple[str, int]) -> None:
    url, target = prometheus
    runner = make_runner(make_config(tmp_path), model=KeywordModel())
    write_spool(tmp_path / "spool", "prom-host", "1.log", "[ 1.0] TEST-CRIT-storage nvme0 gone\n")
    asyncio.run(runner.cycle())
    metrics = Metrics(CollectorRegistry(), runner.config.state)
    metrics.serve(f"127.0.0.1:{target}")
    try:
        def query(expr: str) -> list[dict[str, Any]]:
            q = urllib.parse.urlencode({"query": expr})
            return get_json(f"{url}/api/v1/query?{q}")["data"]["result"]

        (series,) = wait_for(lambda: query('dmesg_llm_issues_total{host="prom-host"}'), what="a scrape")
        assert series["metric"]["category"] == "storage" and series["metric"]["severity"] == "critical"
        assert series["value"][1] == "1"
        assert query('dmesg_llm_last_check_timestamp{host="prom-host"}')
        assert query("dmesg_llm_api_errors_total")[0]["value"][1] == "0"
        assert query("dmesg_llm_queue_depth")[0]["value"][1] == "0"
    finally:
        metrics.stop()
        runner.state.close()


def _active(alertmanager: str, host: str) -> list[dict[str, Any]]:
    q = urllib.parse.urlencode({"filter": f'host="{host}"'})
    return get_json(f"{alertmanager}/api/v2/alerts?{q}")


def test_alertmanager_holds_one_alert_per_finding_until_it_is_resolved(tmp_path: Path, alertmanager: str) -> None:
    config = make_config(tmp_path, **{"alerts.alertmanager_url": alertmanager, "alerts.resolve_after_checks": 1,
                                      "alerts.labels": {"cluster": "test"}})
    runner = make_runner(config, model=KeywordModel())
    host = f"am-host-{int(time.time() * 1000)}"
    write_spool(tmp_path / "spool", host, "1.log",
                "[ 1.0] TEST-CRIT-memory dimm B2 uncorrectable\n[ 1.5] TEST-CRIT-storage sdb gone\n")
    assert asyncio.run(runner.cycle()).alerts_posted == 2

    alerts = wait_for(lambda: len(_active(alertmanager, host)) == 2 and _active(alertmanager, host),
                      what="two alerts in Alertmanager")
    by_category = {a["labels"]["category"]: a for a in alerts}
    memory = by_category["memory"]
    assert memory["labels"] == {"alertname": "DmesgHardwareIssue", "host": host, "category": "memory",
                                "severity": "critical", "cluster": "test",
                                "finding_id": memory["labels"]["finding_id"]}
    assert by_category["storage"]["labels"]["finding_id"] != memory["labels"]["finding_id"]
    assert memory["status"]["state"] == "active"
    assert "dimm B2" in memory["annotations"]["description"]
    groups = get_json(f"{alertmanager}/api/v2/alerts/groups")
    assert {"category": "memory", "host": host} in [g["labels"] for g in groups]

    # Posting again (as after a crash) keeps them two alerts; a quiet delta resolves no critical finding.
    write_spool(tmp_path / "spool", host, "2.log", "[ 2.0] all quiet now\n")
    asyncio.run(runner.cycle())
    assert len(_active(alertmanager, host)) == 2

    # Resolved by hand: that finding's alert ends, the other keeps firing.
    with runner.state.transaction() as conn:
        runner.tracker.move(conn, memory["labels"]["finding_id"],
                            partial(lifecycle.resolve, reason="by_hand", by="alice", now=time.time()), time.time())
    asyncio.run(runner.cycle())
    (left,) = wait_for(lambda: len(_active(alertmanager, host)) == 1 and _active(alertmanager, host),
                       what="the resolved finding's alert to end")
    assert left["labels"]["category"] == "storage"
    runner.state.close()


def test_alertmanager_resolves_on_recovery_and_fires_again_on_regression(tmp_path: Path, alertmanager: str) -> None:
    config = make_config(tmp_path, **{"alerts.alertmanager_url": alertmanager})
    runner = make_runner(config)  # the offline catalogue: a real recovery line closes the finding
    host = f"am-slot-{int(time.time() * 1000)}"
    down = "[ 7200.411093] pcieport 0000:00:1c.0: pciehp: Slot(2): Link Down\n"
    up = "[ 7201.520006] pcieport 0000:00:1c.0: pciehp: Slot(2): Link Up\n"
    write_spool(tmp_path / "spool", host, "1.log", down)
    asyncio.run(runner.cycle())
    (first,) = wait_for(lambda: _active(alertmanager, host), what="the slot alert")
    assert (first["labels"]["pci"], first["labels"]["slot"]) == ("0000:00:1c.0", "2")

    write_spool(tmp_path / "spool", host, "2.log", up)
    asyncio.run(runner.cycle())
    wait_for(lambda: not _active(alertmanager, host), what="the alert to resolve on the recovery line")

    write_spool(tmp_path / "spool", host, "3.log", down.replace("7200.4", "9300.1"))
    asyncio.run(runner.cycle())
    (again,) = wait_for(lambda: _active(alertmanager, host), what="the alert to fire again")
    assert again["labels"] == first["labels"] and again["startsAt"] > first["startsAt"]
    (finding,) = [r for r in FindingStore(runner.state.conn).query(host=host, states=["regressed"])]
    assert (finding.regressions, finding.times_seen) == (1, 2)
    runner.state.close()


@pytest.fixture(scope="module")
def deploy_alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Alertmanager running the shipped ``deploy/alertmanager/alertmanager.yml`` (its inhibit rules)."""
    work = tmp_path_factory.mktemp("am-deploy")
    yield from run_alertmanager(Path(__file__).parents[2] / "deploy" / "alertmanager" / "alertmanager.yml", work)


def test_a_fleet_group_alert_inhibits_its_members_alerts_in_alertmanager(tmp_path: Path,
                                                                         deploy_alertmanager: str) -> None:
    """Three hosts of rack r7 lose their links within a minute: the runner sends the group alert
    (fleet="group", rack="r7") and each member's own alert; the shipped inhibit rules mute the members."""
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("host,rack\nfl-a,r7\nfl-b,r7\nfl-c,r7\nfl-d,r8\n", encoding="utf-8")
    config = make_config(tmp_path, **{"alerts.alertmanager_url": deploy_alertmanager, "alerts.warning_min_checks": 1,
                                      "fleet.inventory": str(inventory)})
    runner = make_runner(config, fleet=build_fleet(config))
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    for i, host in enumerate(["fl-a", "fl-b", "fl-c", "fl-d"]):
        at = (t0 + timedelta(seconds=20 * i)).isoformat()
        write_spool(tmp_path / "spool", host, "1.log",
                    f"{at} {host} kernel: [ 9{i}000.5] ixgbe 0000:0{i}:00.0 eth0: NIC Link is Down\n")
    try:
        asyncio.run(runner.cycle())
    finally:
        runner.state.close()

    def alerts() -> list[dict[str, Any]]:
        return [a for a in get_json(f"{deploy_alertmanager}/api/v2/alerts")
                if a["labels"].get("host", "").startswith(("fl-", "rack=r7"))]

    def settled() -> list[dict[str, Any]] | None:
        got = alerts()
        members = [a for a in got if a["labels"].get("fleet") != "group" and a["labels"]["host"] != "fl-d"]
        return got if len(members) == 3 and all(a["status"]["state"] == "suppressed" for a in members) else None

    got = wait_for(settled, what="the members' alerts inhibited")
    (group,) = [a for a in got if a["labels"].get("fleet") == "group"]
    assert group["labels"]["rack"] == "r7" and group["labels"]["group_label"] == "rack"
    assert group["status"]["state"] == "active"
    for member in (a for a in got if a is not group and a["labels"]["host"] != "fl-d"):
        assert member["labels"]["rack"] == "r7" and member["status"]["inhibitedBy"]
    (other,) = [a for a in got if a["labels"]["host"] == "fl-d"]  # rack r8: not in the group, not muted
    assert other["status"]["state"] == "active"
