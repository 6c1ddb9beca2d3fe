"""The runner's incident-memory keys (``model.examples``, ``k``, ``library``) through the fake API:
the retrieved past incidents reach the prompt after the cached system part (plumbing only)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tasseograph.errors import ConfigError
from tasseograph.models.anthropic import AnthropicModel
from tests.fakeapi import TEST_KEY, FakeAPIServer
from tests.runner.conftest import CRITICAL_LINE, make_config, make_runner, write_spool


def test_retrieved_past_incidents_reach_the_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with FakeAPIServer() as server:
        model = AnthropicModel("claude-haiku-4-5", base_url=server.url, api_key=TEST_KEY, max_retries=0)
        config = make_config(tmp_path, **{"model.prompt": "triage-v3", "model.examples": "retrieved",
                                          "model.k": 2, "model.library": ["repo"]})
        runner = make_runner(config, model=model)
        write_spool(tmp_path / "spool", "db-1", "1.log", f"[ 12.0] {CRITICAL_LINE}\n[ 13.0] {CRITICAL_LINE}\n")
        asyncio.run(runner.cycle())
        body = next(r.body for r in server.requests if isinstance(r.body, dict) and "messages" in r.body)
        user, system = json.dumps(body["messages"]), json.dumps(body["system"])
        assert user.count("<past_incident n=") == 2 and "EDAC" in user
        assert "<past_incident n=" not in system
        status = json.loads(runner.state.verdict_rows()[0][2])["status"]
        assert status == "critical"
        runner.state.close()


def test_retrieved_with_a_prompt_that_cannot_show_it_is_a_config_error(tmp_path: Path) -> None:
    model = AnthropicModel("claude-haiku-4-5", base_url="http://127.0.0.1:9", api_key=TEST_KEY, max_retries=0)
    config = make_config(tmp_path, **{"model.prompt": "triage-v1", "model.examples": "retrieved"})
    with pytest.raises(ConfigError, match="triage-v3"):
        make_runner(config, model=model)


def test_retrieved_with_batching_and_an_unknown_source_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        make_config(tmp_path, **{"model.examples": "retrieved", "model.batch_size": 4})
    model = AnthropicModel("claude-haiku-4-5", base_url="http://127.0.0.1:9", api_key=TEST_KEY, max_retries=0)
    config = make_config(tmp_path, **{"model.prompt": "triage-v3", "model.examples": "fixed", "model.library": ["nope"]})
    with pytest.raises(ConfigError, match="model.library"):
        make_runner(config, model=model)


def test_a_finding_an_operator_acknowledged_is_remembered_for_a_later_similar_delta(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from functools import partial

    from tasseograph.findings import lifecycle
    from tasseograph.runner.findingstore import FindingStore
    from tasseograph.runner.incidents import confirmed_records
    from tests.runner.conftest import KeywordModel

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    line = "mlx5_core 0000:af:00.0: TEST-CRIT-network mlx5_health_try_recover: health recovery flow aborted"
    first = make_runner(make_config(tmp_path), model=KeywordModel())
    write_spool(tmp_path / "spool", "db-17", "1.log", f"[ 77.1] {line}\n")
    asyncio.run(first.cycle())
    (finding,) = FindingStore(first.state.conn).query()
    assert confirmed_records(FindingStore(first.state.conn)) == []  # nobody confirmed it yet
    with first.state.transaction() as conn:
        first.tracker.move(conn, finding.id, partial(lifecycle.acknowledge, by="alice", now=2e9,
                                                     note="riser reseated, errors stopped"), 2e9)
    (record,) = confirmed_records(FindingStore(first.state.conn))
    assert record.host == "db-17" and record.note == "riser reseated, errors stopped" and "mlx5" in record.lines[0]
    first.state.close()

    model = KeywordModel()
    later = make_runner(make_config(tmp_path, **{"model.prompt": "triage-v3", "model.examples": "retrieved",
                                                 "model.library": ["repo"]}), model=model)
    write_spool(tmp_path / "spool", "db-40", "2.log",
                "[ 9911.9] mlx5_core 0000:3b:00.1: mlx5_health_try_recover: health recovery flow aborted\n")
    asyncio.run(later.cycle())
    user = model.calls[-1].user
    assert "<operator_found>riser reseated, errors stopped</operator_found>" in user
    assert 'kind="operator-confirmed finding"' in user and "db-17" not in user  # redacted like the log
    later.state.close()
