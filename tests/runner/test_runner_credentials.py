"""Secrets under hostile conditions (issue 8, item 6): key files others can read, configs others
can write, ``/dev/zero`` as a key file, Alertmanager credentials in the URL, a model that echoes
the key back, and the modes of what the runner creates."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tasseograph.cli import main
from tasseograph.errors import ConfigError
from tasseograph.models.base import ModelReply, ModelRequest
from tasseograph.runner.alerts import AlertError, AlertmanagerClient
from tasseograph.runner.config import load_config, validate_config
from tasseograph.runner.credentials import Scrubber, install_log_scrubber, mask_url, read_key_file
from tests.runner.conftest import CRITICAL_LINE, FakeAlertmanager, make_config, make_runner, write_spool

KEY = "sk-ant-api03-" + "Q" * 40 + "-test"


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def config_file(tmp_path: Path, body: str, mode: int = 0o600) -> Path:
    path = tmp_path / "tasseograph.toml"
    path.write_text(f'state = "{tmp_path / "state.db"}"\n{body}', encoding="utf-8")
    path.chmod(mode)
    return path


def test_world_readable_key_file_is_refused_unless_insecure_ok(tmp_path: Path) -> None:
    key = tmp_path / "anthropic.key"
    key.write_text(KEY + "\n", encoding="utf-8")
    key.chmod(0o644)
    config = config_file(tmp_path, f'[model]\nname = "anthropic:claude-haiku-4-5"\napi_key_file = "{key}"\n')
    result = cli("run", "--once", "--config", str(config))
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "readable by every user" in result.output and f"chmod o-r {key}" in result.output
    assert KEY not in result.output
    assert cli("run", "--once", "--config", str(config), "--insecure-ok").exit_code == 0
    key.chmod(0o640)  # group-readable (root:tasseograph) is the usual set-up
    assert cli("run", "--once", "--config", str(config)).exit_code == 0


def test_world_writable_config_is_refused(tmp_path: Path) -> None:
    config = config_file(tmp_path, "", mode=0o666)
    result = cli("run", "--once", "--config", str(config))
    assert result.exit_code == 2 and "writable by every user" in result.output
    assert "--insecure-ok" in result.output
    with pytest.raises(ConfigError):
        load_config(config)
    assert load_config(config, insecure_ok=True).state == tmp_path / "state.db"


def test_dev_zero_as_key_file_fails_at_once(tmp_path: Path) -> None:
    config = validate_config({"model": {"api_key_file": "/dev/zero"}}, source="test")
    with pytest.raises(ConfigError, match="not a regular file"):
        config.model.api_key()


def test_oversized_and_binary_key_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 100_000)
    with pytest.raises(ConfigError, match="larger than 4096 bytes"):
        read_key_file(big)
    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff\xfe\x00key")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_key_file(binary)
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError, match="cannot read"):
        read_key_file(missing)


def test_alertmanager_credentials_become_basic_auth_and_never_appear(tmp_path: Path) -> None:
    am = FakeAlertmanager()
    try:
        secret_url = am.url.replace("http://", "http://ops:hunter2-s3cret@")
        client = AlertmanagerClient(secret_url)
        client.post([{"labels": {"alertname": "x"}}])
        assert am.headers[-1]["Authorization"] == "Basic " + base64.b64encode(b"ops:hunter2-s3cret").decode()
        am.fail_next = 1
        with pytest.raises(AlertError) as failed:
            client.post([{"labels": {"alertname": "x"}}])
        assert "hunter2" not in str(failed.value) and "ops:" not in str(failed.value)
    finally:
        am.close()
    down = AlertmanagerClient("http://ops:hunter2-s3cret@127.0.0.1:1")
    with pytest.raises(AlertError) as refused:
        down.post([])
    assert "hunter2" not in str(refused.value)
    config = validate_config({"alerts": {"alertmanager_url": "https://ops:hunter2-s3cret@am.example:9093"}},
                             source="test")
    assert "hunter2" not in config.model_dump_json()
    assert mask_url("https://ops:pw@[2001:db8::1]:9093/x") == "https://***@[2001:db8::1]:9093/x"


class EchoModel:
    """A model that quotes the API key back in every field of its reply (a prompt-injected model)."""

    __test__ = False
    name, local, price_id = "fake:echo", False, None

    async def complete(self, request: ModelRequest) -> ModelReply:
        issue = {"severity": "critical", "category": "memory", "summary": f"key is {KEY}",
                 "evidence": f"{request.delta.lines[0].raw} {KEY}"}
        return ModelReply(data={"status": "critical", "issues": [issue]}, model_id=self.name)


def test_a_key_echoed_by_the_model_is_stored_and_alerted_nowhere(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    write_spool(tmp_path / "spool", "web1", "1.log", f"[ 1.0] {CRITICAL_LINE}\n")
    runner = make_runner(make_config(tmp_path), model=EchoModel())
    asyncio.run(runner.cycle())
    runner.state.close()
    conn = sqlite3.connect(tmp_path / "state.db")
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert KEY not in dump
    assert "key is [REDACTED]" in dump  # the finding is kept, the key is not


def test_log_records_are_scrubbed(tmp_path: Path) -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tasseograph.test.scrub")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        install_log_scrubber(Scrubber([KEY]), logger)
        logger.warning("reply was %s", json.dumps({"summary": KEY}))
        try:
            raise ValueError(f"bad reply {KEY}")
        except ValueError:
            logger.exception("analysis failed")
        other = "sk-ant-api03-" + "Z" * 30  # key-shaped, configured nowhere: scrubbed all the same
        logger.warning("saw %s", other)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert KEY not in text and other not in text and text.count("[REDACTED]") >= 3
