"""Against a real Prometheus and a real Alertmanager (Debian's ``prometheus`` and
``prometheus-alertmanager``), started on loopback ports by session fixtures in ``conftest.py``:
the metrics are scraped, a critical delta becomes an alert Alertmanager holds, and a cleared one
resolves. Skipped when the binaries are missing, except in CI (``CI=true``), where that fails."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from tasseograph.runner.exporter import Metrics
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


def test_alertmanager_holds_critical_alert_and_resolves_it(tmp_path: Path, alertmanager: str) -> None:
    config = make_config(tmp_path, **{"alerts.alertmanager_url": alertmanager, "alerts.resolve_after_checks": 1,
                                      "alerts.labels": {"cluster": "test"}})
    runner = make_runner(config, model=KeywordModel())
    host = f"am-host-{int(time.time() * 1000)}"
    write_spool(tmp_path / "spool", host, "1.log", "[ 1.0] TEST-CRIT-memory dimm B2 uncorrectable\n")
    assert asyncio.run(runner.cycle()).alerts_posted == 1

    def active() -> list[dict[str, Any]]:
        q = urllib.parse.urlencode({"filter": f'host="{host}"'})
        return get_json(f"{alertmanager}/api/v2/alerts?{q}")

    (alert,) = wait_for(active, what="the alert in Alertmanager")
    assert alert["labels"] == {"alertname": "DmesgHardwareIssue", "host": host, "category": "memory",
                               "severity": "critical", "cluster": "test"}
    assert alert["status"]["state"] == "active"
    assert "dimm B2" in alert["annotations"]["description"]
    groups = get_json(f"{alertmanager}/api/v2/alerts/groups")
    assert {"category": "memory", "host": host} in [g["labels"] for g in groups]

    # Posting again (as after a crash) keeps it one alert.
    asyncio.run(runner.cycle())
    assert len(active()) == 1

    write_spool(tmp_path / "spool", host, "2.log", "[ 2.0] all quiet now\n")
    asyncio.run(runner.cycle())
    wait_for(lambda: not active(), what="the alert to resolve")
    runner.state.close()
