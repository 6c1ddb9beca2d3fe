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
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from tasseograph.findings import lifecycle
from tasseograph.runner.exporter import Metrics
from tasseograph.runner.findingstore import FindingStore
from tests.runner.conftest import KeywordModel, make_config, make_runner, write_spool

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
