"""Per-host baselines in the runner: learned with the verdict, persisted, and counted."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from tasseograph.baseline import BASELINE_SKIP_REASON, BaselineSettings
from tasseograph.runner import worker
from tasseograph.runner.config import default_config_toml, load_config
from tasseograph.runner.exporter import Metrics
from tasseograph.runner.state import SCHEMA_VERSION, State
from tasseograph.runner.worker import CycleReport, Runner
from tests.runner.conftest import CRITICAL_LINE, KeywordModel, make_config, make_runner, write_spool

NORMAL = "[ 10.0] myapp[77]: periodic sync done in 42 ms\n[ 11.0] mydrv: queue 3 rebalanced\n"
ODD = "[ 12.0] mydrv: firmware heartbeat missed\n"
SETTINGS = {"baseline.enabled": True, "baseline.warmup_deltas": 2}


def cycle(runner: Runner) -> CycleReport:
    return asyncio.run(runner.cycle())


def metric(runner: Runner, name: str, labels: dict[str, str] | None = None) -> float | None:
    registry = CollectorRegistry()
    Metrics(registry, runner.config.state)
    return registry.get_sample_value(name, labels or {})


def feed(runner: Runner, tmp_path: Path, name: str, text: str, host: str = "web1") -> CycleReport:
    write_spool(tmp_path / "spool", host, name, text)
    return cycle(runner)


def skipped(runner: Runner) -> list[str | None]:
    import json

    return [json.loads(v)["skip_reason"] for _, _, v in runner.state.verdict_rows()]


def warm(tmp_path: Path, model: KeywordModel, **overrides: Any) -> Runner:
    runner = make_runner(make_config(tmp_path, **{**SETTINGS, **overrides}), model=model)
    for i in range(2):
        feed(runner, tmp_path, f"{i}.log", NORMAL)
    return runner


def test_warm_up_then_skip_and_count_it(tmp_path: Path) -> None:
    model = KeywordModel()
    runner = warm(tmp_path, model)
    assert len(model.calls) == 2  # both warm-up deltas went to the model
    feed(runner, tmp_path, "2.log", NORMAL)
    assert len(model.calls) == 2 and skipped(runner)[-1] == BASELINE_SKIP_REASON
    assert metric(runner, "dmesg_llm_baseline_skips_total", {"host": "web1"}) == 1
    assert metric(runner, "dmesg_llm_skipped_calls_total", {"reason": BASELINE_SKIP_REASON}) == 1
    assert metric(runner, "dmesg_llm_baseline_templates", {"host": "web1", "state": "learned"}) == 2
    feed(runner, tmp_path, "3.log", NORMAL + ODD)  # a new line: the model reads it
    assert len(model.calls) == 3
    runner.state.close()


def test_the_baseline_survives_a_restart(tmp_path: Path) -> None:
    model = KeywordModel()
    warm(tmp_path, model).state.close()
    again = make_runner(make_config(tmp_path, **SETTINGS), model=model)
    feed(again, tmp_path, "9.log", NORMAL)
    assert len(model.calls) == 2 and skipped(again)[-1] == BASELINE_SKIP_REASON
    again.state.close()


def test_a_flagged_delta_poisons_its_lines_for_that_host_only(tmp_path: Path) -> None:
    model = KeywordModel()
    runner = warm(tmp_path, model)
    feed(runner, tmp_path, "2.log", NORMAL + "[ 13.0] TEST-WARN-driver odd reset\n")
    calls = len(model.calls)
    feed(runner, tmp_path, "3.log", NORMAL)
    assert len(model.calls) == calls + 1  # the lines that came with the warning are no longer normal
    bl = runner.state.baseline("web1", BaselineSettings(), now=runner.clock())
    assert "myapp[<N>]: periodic sync done in <N> ms" in bl.poisoned()
    assert runner.state.baseline("web2", BaselineSettings(), now=runner.clock()).templates == {}
    runner.state.close()


def test_a_signal_line_is_never_skipped_even_when_the_model_says_ok(tmp_path: Path) -> None:
    model = KeywordModel()  # knows nothing of EDAC: answers ok
    runner = warm(tmp_path, model)
    feed(runner, tmp_path, "2.log", NORMAL + f"[ 14.0] {CRITICAL_LINE}\n")
    feed(runner, tmp_path, "3.log", NORMAL + f"[ 15.0] {CRITICAL_LINE}\n")
    assert skipped(runner)[-2:] == [None, None]
    assert metric(runner, "dmesg_llm_issues_total", {"host": "web1", "category": "memory", "severity": "critical"}) == 2
    runner.state.close()


def test_a_rate_jump_goes_to_the_model_and_is_counted(tmp_path: Path) -> None:
    model = KeywordModel()
    runner = warm(tmp_path, model)
    burst = "".join(f"[ {20 + i}.0] myapp[77]: periodic sync done in {i} ms\n" for i in range(100))
    feed(runner, tmp_path, "2.log", burst)
    assert len(model.calls) == 3
    assert metric(runner, "dmesg_llm_baseline_rate_jumps_total", {"host": "web1"}) == 1
    runner.state.close()


def test_learning_is_in_the_verdicts_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = KeywordModel()
    runner = make_runner(make_config(tmp_path, **SETTINGS), model=model)
    real = worker.learn_baseline

    def crash_after_learning(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise RuntimeError("killed between learning and commit")

    monkeypatch.setattr(worker, "learn_baseline", crash_after_learning)
    with pytest.raises(RuntimeError):
        feed(runner, tmp_path, "0.log", NORMAL)
    # Neither the verdict nor the lesson was stored, and the delta is still queued.
    assert runner.state.verdict_rows() == []
    assert runner.state.baseline("web1", BaselineSettings(), now=runner.clock()).ok_deltas == 0
    assert runner.state.queue_stats(runner.clock())[0] == 1
    monkeypatch.setattr(worker, "learn_baseline", real)
    cycle(runner)
    assert runner.state.baseline("web1", BaselineSettings(), now=runner.clock()).ok_deltas == 1
    runner.state.close()


def test_fallback_verdicts_teach_nothing(tmp_path: Path) -> None:
    model = KeywordModel(price_id="claude-haiku-4-5")
    runner = make_runner(make_config(tmp_path, **SETTINGS, **{"retry.max_age": 0}), model=model)
    feed(runner, tmp_path, "0.log", NORMAL)  # too old at once: the catalogue's fallback verdict
    assert runner.state.baseline("web1", BaselineSettings(), now=runner.clock()).ok_deltas == 0
    runner.state.close()


def test_disabled_by_default_and_keys_documented(tmp_path: Path) -> None:
    model = KeywordModel()
    # 15 deltas of one host within the hour: the hourly call cap is not what is tested here.
    runner = make_runner(make_config(tmp_path, **{"budget.max_calls_per_host_hour": 0}), model=model)
    for i in range(15):
        feed(runner, tmp_path, f"{i}.log", NORMAL)
    assert len(model.calls) == 15
    runner.state.close()
    text = default_config_toml()
    assert "[baseline]" in text and "rate_factor = 10.0" in text and "warmup_deltas = 12" in text
    path = tmp_path / "c.toml"
    path.write_text('[baseline]\nenabled = true\nexpiry = "7d"\nmax_templates = 50\n', encoding="utf-8")
    settings = load_config(path).baseline.settings()
    assert (settings.expiry_s, settings.max_templates) == (7 * 86400, 50)


def test_an_old_state_file_gets_the_baseline_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                       "INSERT INTO meta VALUES ('schema_version', '1');")
    conn.close()
    state = State(path)
    assert state.get_meta("schema_version") == SCHEMA_VERSION >= 2
    assert state.baseline("web1", BaselineSettings(), now=0.0).templates == {}
    state.close()


def test_a_sent_delta_folds_the_hosts_usual_lines_unless_turned_off(tmp_path: Path) -> None:
    from tasseograph.compress import FOLDED_MARKER

    summary = FOLDED_MARKER.format(n=2, lines="lines", k=2, templates="templates")
    model = KeywordModel()
    runner = warm(tmp_path / "on", model)
    feed(runner, tmp_path / "on", "2.log", NORMAL + ODD)
    user = model.calls[-1].user
    assert "firmware heartbeat missed" in user and "periodic sync" not in user and summary in user
    runner.state.close()
    model = KeywordModel()
    runner = warm(tmp_path / "off", model, **{"baseline.fold": False})
    feed(runner, tmp_path / "off", "2.log", NORMAL + ODD)
    assert "periodic sync" in model.calls[-1].user and summary not in model.calls[-1].user
    runner.state.close()
