"""deploy/prometheus/tasseograph-rules.yml: valid for Prometheus (``promtool check rules``), every
metric it names is one the runner exports, and the spool alerts fire on the runner's series
(``promtool test rules``). promtool comes with Debian's ``prometheus`` (``.ci/run`` installs it)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

from tasseograph.runner.exporter import Metrics
from tasseograph.runner.state import State
from tests.runner.conftest import find_binary

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "tasseograph-rules.yml"
_METRIC = re.compile(r"\b(dmesg_llm_\w+)")


def rules() -> list[dict[str, object]]:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def exported_names(state_path: Path) -> set[str]:
    State(state_path).close()
    registry = CollectorRegistry()
    Metrics(registry, state_path)
    names = set()
    for family in registry.collect():
        names.add(family.name)
        if family.type == "counter":
            names.add(family.name + "_total")
    return names


def test_every_metric_a_rule_uses_is_exported(tmp_path: Path) -> None:
    exported = exported_names(tmp_path / "state.db")
    used = {name for rule in rules() for name in _METRIC.findall(str(rule["expr"]))}
    assert {"dmesg_llm_spool_quarantined_total", "dmesg_llm_spool_refused"} <= used
    assert used <= exported, used - exported


def test_promtool_accepts_the_rules() -> None:
    promtool = find_binary("promtool")
    done = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _expect(name: str, at: str, firing: bool, **annotations: str) -> dict[str, object]:
    alert = {"exp_labels": {"severity": "warning"}, "exp_annotations": annotations}
    return {"eval_time": at, "alertname": name, "exp_alerts": [alert] if firing else []}


def test_spool_alerts_fire_on_the_runner_series(tmp_path: Path) -> None:
    promtool = find_binary("promtool")
    summary = {str(r["alert"]): dict(r["annotations"])["summary"] for r in rules()}  # type: ignore[call-overload]
    refused = summary["TasseographSpoolRefused"].replace("{{ $value }}", "1")
    tests = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                {"series": "dmesg_llm_spool_quarantined_total", "values": "0 0 0 1 1 1"},
                {"series": "dmesg_llm_spool_refused", "values": "0 1x40"},
            ],
            "alert_rule_test": [
                _expect("TasseographSpoolQuarantine", "2m", False),
                _expect("TasseographSpoolQuarantine", "5m", True, summary=summary["TasseographSpoolQuarantine"]),
                _expect("TasseographSpoolRefused", "20m", False),
                _expect("TasseographSpoolRefused", "40m", True, summary=refused),
            ],
        }],
    }
    path = tmp_path / "spool_test.yml"
    path.write_text(yaml.safe_dump(tests), encoding="utf-8")
    done = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
