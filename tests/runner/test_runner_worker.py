"""The cycle: queue discipline, alert routing, budget cap, circuit breaker, adaptive polling."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from tasseograph import signals
from tasseograph.models.base import ModelRequest
from tasseograph.prompts import Prompt
from tasseograph.runner.alerts import to_iso
from tasseograph.runner.exporter import Metrics
from tasseograph.runner.worker import CycleReport, Runner
from tasseograph.schema import Usage
from tests.runner.conftest import (
    CRITICAL_LINE,
    FakeAlertmanager,
    KeywordModel,
    api_error,
    make_config,
    make_runner,
    write_spool,
)


def cycle(runner: Runner) -> CycleReport:
    return asyncio.run(runner.cycle())


def verdicts(runner: Runner) -> dict[str, dict[str, Any]]:
    return {ref: json.loads(v) for _, ref, v in runner.state.verdict_rows()}


def queue_depth(runner: Runner) -> int:
    return runner.state.queue_stats(time.time())[0]


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def metric(runner: Runner, name: str, labels: dict[str, str] | None = None) -> float | None:
    registry = CollectorRegistry()
    Metrics(registry, runner.config.state, daily_usd=runner.config.budget.daily_usd,
            monthly_usd=runner.config.budget.monthly_usd)
    return registry.get_sample_value(name, labels or {})


def test_critical_alerts_at_once_and_reposts_same_alert(tmp_path: Path, fake_am: FakeAlertmanager) -> None:
    clock = Clock()
    config = make_config(tmp_path, **{"alerts.alertmanager_url": fake_am.url, "alerts.repost": 60,
                                      "alerts.resolve_after_checks": 3})
    runner = make_runner(config, model=KeywordModel(), clock=clock)
    write_spool(tmp_path / "spool", "web1", "1.log", "[ 1.0] TEST-CRIT-memory bank 3\n")
    write_spool(tmp_path / "spool", "web2", "1.log", "[ 1.0] nothing to see\n")
    report = cycle(runner)
    assert (report.ingested, report.analysed, report.alerts_posted) == (2, 2, 1)
    (alert,) = fake_am.alerts()
    finding_id = alert["labels"].pop("finding_id")
    assert alert["labels"] == {"alertname": "DmesgHardwareIssue", "host": "web1", "category": "memory",
                               "severity": "critical"}
    assert len(finding_id) == 12
    alert["labels"]["finding_id"] = finding_id
    assert "TEST-CRIT-memory" in alert["annotations"]["description"]
    cycle(runner)
    assert len(fake_am.alerts()) == 1  # nothing new, not due for a re-post
    clock.now += 61
    cycle(runner)
    assert len(fake_am.alerts()) == 2 and len(fake_am.episodes()[json.dumps(alert["labels"], sort_keys=True)]) == 1
    assert metric(runner, "dmesg_llm_issues_total", {"host": "web1", "category": "memory", "severity": "critical"}) == 1
    assert metric(runner, "dmesg_llm_alerts_firing") == 1


def test_warning_pages_only_when_sustained_and_resolves(tmp_path: Path, fake_am: FakeAlertmanager) -> None:
    clock = Clock()
    config = make_config(tmp_path, **{"alerts.alertmanager_url": fake_am.url, "alerts.warning_min_checks": 3,
                                      "alerts.resolve_after_checks": 2})
    runner = make_runner(config, model=KeywordModel(), clock=clock)
    for i in range(2):
        write_spool(tmp_path / "spool", "web1", f"{i}.log", f"[ {i}.0] TEST-WARN-thermal cpu7\n")
        cycle(runner)
    assert fake_am.alerts() == []
    write_spool(tmp_path / "spool", "web1", "2.log", "[ 3.0] TEST-WARN-thermal cpu7\n")
    cycle(runner)
    (fired,) = fake_am.alerts()
    assert fired["labels"]["severity"] == "warning"
    for i in range(2):
        write_spool(tmp_path / "spool", "web1", f"ok{i}.log", "[ 9.0] all quiet\n")
        clock.now += 1
        cycle(runner)
    resolved = fake_am.alerts()[-1]
    assert resolved["startsAt"] == fired["startsAt"] and resolved["endsAt"] < fired["endsAt"]
    assert metric(runner, "dmesg_llm_alerts_firing") == 0


def test_budget_cap_falls_back_to_signals_with_one_alert(tmp_path: Path, fake_am: FakeAlertmanager) -> None:
    clock = Clock()
    config = make_config(tmp_path, **{"alerts.alertmanager_url": fake_am.url, "budget.daily_usd": 0.05})
    model = KeywordModel(price_id="claude-haiku-4-5", usage=Usage(input_tokens=3000, output_tokens=200))
    runner = make_runner(config, model=model, fallback=KeywordModel(local=True, name="rules"), clock=clock)
    for i in range(30):
        write_spool(tmp_path / "spool", f"web{i:02d}", "1.log", f"[ 1.0] line {i} " + "x" * 2000 + "\n")
    write_spool(tmp_path / "spool", "web99", "1.log", "[ 1.0] TEST-CRIT-storage nvme0 dead\n")
    cycle(runner)
    day, _ = runner.state.spent(clock.now)
    assert 0 < day <= 0.05
    rows = verdicts(runner)
    assert len(rows) == 31 and queue_depth(runner) == 0
    fallbacks = runner.state.conn.execute("SELECT COUNT(*) FROM verdicts WHERE fallback='budget'").fetchone()[0]
    assert 0 < fallbacks < 31
    assert rows["web99/1.log:0-36"]["status"] == "critical"  # the catalogue still alerts past the cap
    budget_alerts = [a for a in fake_am.alerts() if a["labels"]["alertname"] == "DmesgLLMBudgetExhausted"]
    assert len(budget_alerts) == 1
    assert metric(runner, "dmesg_llm_budget_exhausted", {"period": "day"}) == 1
    assert metric(runner, "dmesg_llm_skipped_calls_total", {"reason": "budget"}) == fallbacks
    capped = [v for v in rows.values() if v["model_error"] is not None]
    assert len(capped) == fallbacks and {v["model_error"]["kind"] for v in capped} == {"budget"}
    assert metric(runner, "dmesg_llm_reply_errors_total") == 0  # a capped call is not a bad reply
    calls = len(model.calls)
    write_spool(tmp_path / "spool", "web01", "2.log", "[ 2.0] more\n")
    cycle(runner)
    assert len(model.calls) == calls  # still capped for the rest of the day
    clock.now += 86400
    write_spool(tmp_path / "spool", "web01", "3.log", "[ 3.0] next day\n")
    cycle(runner)
    assert len(model.calls) == calls + 1
    assert metric(runner, "dmesg_llm_budget_exhausted", {"period": "day"}) == 0
    budget_alerts = [a for a in fake_am.alerts() if a["labels"]["alertname"] == "DmesgLLMBudgetExhausted"]
    assert len({a["startsAt"] for a in budget_alerts}) == 1 and len(budget_alerts) == 2
    assert budget_alerts[-1]["endsAt"] <= to_iso(clock.now)  # resolved on the new day


def test_circuit_opens_keeps_queue_and_critical_signals_alert(tmp_path: Path, fake_am: FakeAlertmanager) -> None:
    clock = Clock()
    config = make_config(tmp_path, **{"alerts.alertmanager_url": fake_am.url, "retry.failure_threshold": 2,
                                      "retry.open_for": 300, "model.concurrency": 1})
    healthy = False

    def fail(_: ModelRequest) -> None:
        if not healthy:
            raise api_error()

    model = KeywordModel(fail=fail)
    runner = make_runner(config, model=model, fallback=KeywordModel(local=True, name="rules"), clock=clock)
    for i in range(4):
        write_spool(tmp_path / "spool", f"h{i}", "1.log", "[ 1.0] TEST-CRIT-memory dimm\n" if i == 3 else "[ 1.0] x\n")
    report = cycle(runner)
    assert report.failed == 2 and report.interim == 4 and report.analysed == 0
    assert len(model.calls) == 2  # then the circuit opened: no more calls
    assert queue_depth(runner) == 4
    assert metric(runner, "dmesg_llm_api_errors_total") == 2
    assert metric(runner, "dmesg_llm_api_errors_by_kind_total", {"kind": "overloaded"}) == 2
    assert metric(runner, "dmesg_llm_circuit_state", {"state": "open"}) == 1
    names = sorted(a["labels"]["alertname"] for a in fake_am.alerts())
    assert names == ["DmesgHardwareIssue", "DmesgLLMAPIUnavailable"]
    clock.now += 10
    cycle(runner)
    assert len(model.calls) == 2 and len(fake_am.alerts()) == 2  # still open; interim checks run once
    healthy = True
    clock.now += 300
    report = cycle(runner)
    assert report.analysed == 4 and queue_depth(runner) == 0
    assert metric(runner, "dmesg_llm_circuit_state", {"state": "closed"}) == 1
    episodes = fake_am.episodes()
    assert all(len(starts) == 1 for starts in episodes.values())  # no duplicate alert after recovery
    resolved = [a for a in fake_am.alerts() if a["labels"]["alertname"] == "DmesgLLMAPIUnavailable"][-1]
    assert resolved["endsAt"] <= fake_am.alerts()[0]["endsAt"]


def test_fatal_error_opens_circuit_at_once(tmp_path: Path) -> None:
    def fail(_: ModelRequest) -> None:
        raise api_error(retryable=False)

    config = make_config(tmp_path, **{"retry.failure_threshold": 5})
    runner = make_runner(config, model=KeywordModel(fail=fail), fallback=KeywordModel(local=True))
    write_spool(tmp_path / "spool", "a", "1.log", "[ 1.0] x\n")
    write_spool(tmp_path / "spool", "b", "1.log", "[ 1.0] y\n")
    cycle(runner)
    assert runner.state.get_meta("circuit")["state"] == "open"


def test_stale_delta_gets_signals_verdict(tmp_path: Path) -> None:
    clock = Clock()
    config = make_config(tmp_path, **{"retry.max_age": 3600, "retry.failure_threshold": 100})

    def fail(_: ModelRequest) -> None:
        raise api_error()

    runner = make_runner(config, model=KeywordModel(fail=fail), fallback=KeywordModel(local=True, name="rules"),
                         clock=clock)
    write_spool(tmp_path / "spool", "a", "1.log", "[ 1.0] TEST-WARN-network eth0 flap\n")
    cycle(runner)
    assert queue_depth(runner) == 1
    clock.now += 3601
    cycle(runner)
    (row,) = runner.state.conn.execute("SELECT fallback, model, status FROM verdicts").fetchall()
    assert row == ("max_age", "rules", "warning")


def test_poison_delta_does_not_stall_the_queue(tmp_path: Path) -> None:
    def boom(_: ModelRequest) -> None:
        raise RuntimeError("bug")

    runner = make_runner(make_config(tmp_path), model=KeywordModel(fail=boom), fallback=KeywordModel(local=True))
    write_spool(tmp_path / "spool", "a", "1.log", "[ 1.0] x\n")
    for _ in range(3):
        cycle(runner)
    assert queue_depth(runner) == 0
    assert runner.state.conn.execute("SELECT fallback FROM verdicts").fetchone() == ("error",)


def test_adaptive_polling_coalesces_healthy_hosts(tmp_path: Path) -> None:
    clock = Clock()
    config = make_config(tmp_path, **{"polling.adaptive": True, "polling.healthy_min": 900,
                                      "polling.healthy_max": 900, "polling.anomaly": 300})
    model = KeywordModel()
    runner = make_runner(config, model=model, clock=clock)
    write_spool(tmp_path / "spool", "web1", "1.log", "[ 1.0] first\n")
    cycle(runner)
    assert len(model.calls) == 1  # a new host is analysed at once
    for i in (2, 3):
        clock.now += 60
        write_spool(tmp_path / "spool", "web1", f"{i}.log", f"[ {i}.0] routine {i}\n")
        cycle(runner)
    assert len(model.calls) == 1 and queue_depth(runner) == 1  # both waiting in one delta
    clock.now += 900
    cycle(runner)
    sent = model.calls[-1].delta.text()
    assert len(model.calls) == 2 and "routine 2" in sent and "routine 3" in sent
    # A catalogue signal is analysed at once, and the host then polls every 5 minutes.
    clock.now += 10
    write_spool(tmp_path / "spool", "web1", "4.log", f"[ 4.0] {CRITICAL_LINE}\n")
    cycle(runner)
    assert len(model.calls) == 3
    clock.now += 10
    write_spool(tmp_path / "spool", "web1", "5.log", "[ 5.0] routine 5\n")
    cycle(runner)
    assert len(model.calls) == 3
    clock.now += 300
    cycle(runner)
    assert len(model.calls) == 4


def test_alertmanager_down_then_up_no_duplicate(tmp_path: Path, fake_am: FakeAlertmanager) -> None:
    config = make_config(tmp_path, **{"alerts.alertmanager_url": fake_am.url})
    runner = make_runner(config, model=KeywordModel())
    fake_am.fail_next = 1
    write_spool(tmp_path / "spool", "a", "1.log", "[ 1.0] TEST-CRIT-thermal cpu on fire\n")
    assert cycle(runner).alerts_posted == 0
    assert metric(runner, "dmesg_llm_alert_post_errors_total") == 1
    assert cycle(runner).alerts_posted == 1
    assert cycle(runner).alerts_posted == 0
    assert [len(s) for s in fake_am.episodes().values()] == [1]


def test_fire_and_resolve_in_one_cycle_are_both_posted(tmp_path: Path, fake_am: FakeAlertmanager) -> None:
    config = make_config(tmp_path, **{"alerts.alertmanager_url": fake_am.url, "alerts.resolve_after_checks": 1,
                                      "alerts.warning_min_checks": 1})
    runner = make_runner(config, model=KeywordModel())
    write_spool(tmp_path / "spool", "a", "1.log", "[ 1.0] TEST-WARN-thermal hot\n", age=200)
    write_spool(tmp_path / "spool", "a", "2.log", "[ 2.0] cool again\n", age=100)
    cycle(runner)
    states = [(a["startsAt"], a["endsAt"]) for a in fake_am.alerts()]
    assert len(states) == 2 and states[0][0] == states[1][0] and states[1][1] < states[0][1]


def test_history_is_pruned_but_counters_stay(tmp_path: Path) -> None:
    clock = Clock()
    runner = make_runner(make_config(tmp_path, retention="1d"), model=KeywordModel(), clock=clock)
    write_spool(tmp_path / "spool", "a", "1.log", "[ 1.0] TEST-CRIT-memory x\n")
    cycle(runner)
    clock.now += 2 * 86400
    cycle(runner)
    assert runner.state.verdict_rows() == []
    assert metric(runner, "dmesg_llm_issues_total", {"host": "a", "category": "memory", "severity": "critical"}) == 1


def test_crash_between_post_and_bookkeeping_reposts_same_alert(tmp_path: Path, fake_am: FakeAlertmanager,
                                                              monkeypatch: Any) -> None:
    config = make_config(tmp_path, **{"alerts.alertmanager_url": fake_am.url})
    runner = make_runner(config, model=KeywordModel())
    write_spool(tmp_path / "spool", "a", "1.log", "[ 1.0] TEST-CRIT-storage sda\n")

    def crash(*_: Any) -> None:
        raise KeyboardInterrupt("killed after the post")

    monkeypatch.setattr(type(runner.state), "mark_posted", crash)
    with pytest.raises(KeyboardInterrupt):
        cycle(runner)
    monkeypatch.undo()
    cycle(runner)
    cycle(runner)
    posted = fake_am.alerts()
    assert len(posted) == 2 and posted[0]["startsAt"] == posted[1]["startsAt"]  # same alert, re-posted once
    assert metric(runner, "dmesg_llm_alerts_total", {"alertname": "DmesgHardwareIssue", "severity": "critical"}) == 1


def test_metrics_on_a_private_registry(tmp_path: Path) -> None:
    from prometheus_client import REGISTRY

    from tasseograph.runner.metrics import COUNTERS

    runner = make_runner(make_config(tmp_path), model=KeywordModel())
    cycle(runner)
    before = set(REGISTRY._names_to_collectors)
    registry = CollectorRegistry()
    Metrics(registry, runner.config.state)
    assert set(REGISTRY._names_to_collectors) == before
    names = {m.name for m in registry.collect()}
    assert {n.removesuffix("_total") for n in COUNTERS} <= names
    assert {"dmesg_llm_last_check_timestamp", "dmesg_llm_queue_depth", "dmesg_llm_budget_exhausted",
            "dmesg_llm_circuit_state"} <= names
    assert registry.get_sample_value("dmesg_llm_api_errors_total") == 0


AER_EPISODE = "".join(
    f"[ {t}.000000] pcieport 0000:00:1c.5: AER: PCIe Bus Error: severity=Corrected, type=Physical Layer, (Receiver ID)\n"
    f"[ {t}.000100] pcieport 0000:00:1c.5: AER:    [ 0] RxErr                  (First)\n"
    for t in range(100, 110, 2)
)


def test_host_suppressions_mute_a_known_quirk_on_matching_hosts_only(tmp_path: Path) -> None:
    config = make_config(tmp_path, **{"model.name": "rules", "hosts": {"db-*": {"suppress": ["aer.*"], "notes": "riser quirk"}}})
    runner = make_runner(config)
    for host in ("db-1", "web-1"):
        write_spool(tmp_path / "spool", host, "1.log", AER_EPISODE)
    cycle(runner)
    by_host = {v["host"]: v for v in verdicts(runner).values()}
    assert by_host["web-1"]["status"] == "warning" and by_host["web-1"]["suppressed"] == []
    assert by_host["db-1"]["status"] == "ok" and by_host["db-1"]["suppressed"] == ["aer.corrected"]
    runner.state.close()


def test_host_options_merge_every_matching_entry(tmp_path: Path) -> None:
    config = make_config(tmp_path, hosts={"db-*": {"notes": "a", "suppress": ["x.*"]}, "db-7": {"notes": "b"}})
    assert config.host_options("db-7") == {"notes": "a\nb", "suppress": ("x.*",)}
    assert config.host_options("web-1") == {"notes": "", "suppress": ()}


def _count_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, where: list[Any]) -> list[int]:
    """Wrap ``owner.name`` (and every module-level alias of it) with a call counter."""
    real: Callable[..., Any] = getattr(owner, name)
    calls = [0]

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    for target in where:
        if getattr(target, name, None) is real:
            monkeypatch.setattr(target, name, counted)
    return calls


@pytest.mark.parametrize("hosts", [1, 2], ids=["single", "batch"])
def test_a_delta_is_detected_once_and_rendered_once_with_baseline_and_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hosts: int
) -> None:
    config = make_config(tmp_path, **{"baseline.enabled": True, "baseline.warmup_deltas": 0,
                                      "budget.daily_usd": 5.0, "model.batch_size": 2})
    model = KeywordModel(price_id="claude-haiku-4-5", usage=Usage(input_tokens=1500, output_tokens=40))
    runner = make_runner(config, model=model)
    for h in range(hosts):
        write_spool(tmp_path / "spool", f"db-{h}", "1.log",
                    f"[ 4.1] mydrv 0000:3b:00.{h}: queue {h} rebalanced\n"
                    f"[ 4.2] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#{h}_DIMM#0 (page:0x{h + 41:x})\n")
    modules = [m for n, m in sys.modules.items() if n.startswith("tasseograph")]
    detects = _count_calls(monkeypatch, signals, "detect", modules)
    renders = _count_calls(monkeypatch, Prompt, "render", [Prompt])
    batch_renders = _count_calls(monkeypatch, Prompt, "render_batch", [Prompt])
    cycle(runner)
    assert len(model.calls) == 1 and len(verdicts(runner)) == hosts
    assert detects[0] == hosts  # once per delta: the skip decision, the call and the baseline share it
    assert renders[0] + batch_renders[0] == 1  # one request, also read by the budget estimate
    assert runner.state.spent(time.time())[0] > 0
    poisoned = runner.state.baseline("db-0", runner.baseline, now=time.time()).poisoned()
    assert poisoned  # the baseline learned (a warning delta poisons its templates) without detecting again
    runner.state.close()
