"""deploy/grafana/tasseograph-fleet.json: a dashboard Grafana can import (uid, datasource as a
variable, panels with targets, a grid that does not overlap), whose every query names metrics
and labels the runner exports, and parses as PromQL (``promtool check rules``)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tasseograph.runner import metrics
from tests.deploy.test_prometheus_rules import exported_names
from tests.runner.conftest import find_binary

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "tasseograph-fleet.json"
_METRIC = re.compile(r"\b(dmesg_llm_\w+)")
_BY = re.compile(r"\bby \(([^)]*)\)")
_MATCHER = re.compile(r"\b(\w+)=~?\"")
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "1d", '"$host"': '".*"'}
"""Grafana's variables, as a Prometheus query would receive them."""
SHOWN = {metrics.CHECKS, metrics.ISSUES, metrics.FINDINGS, metrics.API_ERRORS, metrics.REPLY_ERRORS, metrics.TOKENS,
         metrics.COST_USD, metrics.BUDGET_SPENT, metrics.BUDGET_LIMIT, metrics.BUDGET_EXHAUSTED, metrics.QUEUE_DEPTH,
         metrics.QUEUE_OLDEST_AGE, metrics.CIRCUIT_STATE, metrics.LAST_CHECK, metrics.LAST_RUN,
         metrics.SPOOL_QUARANTINED, metrics.SPOOL_REFUSED, metrics.ALERTS_FIRING}
"""What the fleet overview must show (issue 15): checks, issues, findings, errors, spend, queue, health."""


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def expressions() -> list[str]:
    return [t["expr"] for p in panels() for t in p["targets"]]


def labels_of(name: str) -> set[str]:
    known = {**metrics.COUNTERS, **metrics.GAUGES}
    return set(known[name][1])


def test_it_has_what_grafana_needs_to_import_it() -> None:
    d = dashboard()
    assert d["uid"] == "tasseograph-fleet" and d["title"] and isinstance(d["schemaVersion"], int)
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert variables["host"]["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids))
    for p in panels():
        assert p["title"] and p["description"] and p["targets"], p["title"]
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]  # no fixed datasource
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)) and all(t["datasource"] == p["datasource"] for t in p["targets"])


def test_panels_fit_the_grid_without_overlapping() -> None:
    cells: dict[tuple[int, int], str] = {}
    for p in dashboard()["panels"]:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24 and g["h"] > 0, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, (p["title"], cells.get((x, y)))
                cells[x, y] = p["title"]


def test_every_query_names_metrics_and_labels_the_runner_exports(tmp_path: Path) -> None:
    exported = exported_names(tmp_path / "state.db")
    used: set[str] = set()
    for expr in expressions():
        names = set(_METRIC.findall(expr))
        assert names, expr
        assert names <= exported, (expr, names - exported)
        labels = set().union(*(labels_of(n) for n in names))
        grouped = {label.strip() for by in _BY.findall(expr) for label in by.split(",")}
        assert grouped | set(_MATCHER.findall(expr)) <= labels, (expr, labels)
        used |= names
    assert used >= SHOWN, SHOWN - used
    host_query = dashboard()["templating"]["list"][1]["query"]["query"]
    assert set(_METRIC.findall(host_query)) == {metrics.LAST_CHECK}


def test_every_query_parses_as_promql(tmp_path: Path) -> None:
    promtool = find_binary("promtool")
    rules = []
    for i, expr in enumerate(expressions()):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, expr
        rules.append({"record": f"tasseograph:grafana_query_{i}", "expr": expr})
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "grafana", "rules": rules}]}), encoding="utf-8")
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
