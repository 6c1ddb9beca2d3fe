"""Config: validation errors name the file and the key; secrets are never echoed; docs are generated."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from tasseograph.cli import main
from tasseograph.errors import ConfigError
from tasseograph.runner.config import RunnerConfig, default_config_toml, load_config, parse_duration


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tasseograph.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[budget]\ndaily_usd = 5\ndayly_usd = 3\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value) == f"{path}: budget.dayly_usd: unknown key"


def test_bad_value_names_key_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, '[polling]\nanomaly = "5 minutes"\n')
    with pytest.raises(ConfigError, match=r"polling\.anomaly: .*not a duration.*'5 minutes'"):
        load_config(path)


def test_negative_budget_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"budget\.monthly_usd"):
        load_config(write(tmp_path, "[budget]\nmonthly_usd = -1\n"))


def test_api_key_in_file_is_refused_without_echo(tmp_path: Path) -> None:
    path = write(tmp_path, '[model]\napi_key = "sk-ant-SECRET-123"\n')
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert "SECRET" not in str(exc.value)
    assert "model.api_key: unknown key (API keys go in the environment or model.api_key_file)" in str(exc.value)


def test_not_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[model\n"))


def test_api_key_file_is_secret(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("sk-ant-SECRET-456\n", encoding="utf-8")
    key.chmod(0o600)
    config = load_config(write(tmp_path, f'[model]\napi_key_file = "{key}"\n'))
    secret = config.model.api_key()
    assert secret is not None and secret.get_secret_value() == "sk-ant-SECRET-456"
    assert "SECRET" not in repr(secret) and "SECRET" not in repr(config)


def test_empty_key_file(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("\n", encoding="utf-8")
    key.chmod(0o600)
    config = load_config(write(tmp_path, f'[model]\napi_key_file = "{key}"\n'))
    with pytest.raises(ConfigError, match="is empty"):
        config.model.api_key()


@pytest.mark.parametrize(("text", "seconds"), [(90, 90.0), ("30s", 30.0), ("15m", 900.0), ("1h30m", 5400.0), ("1d", 86400.0)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_default_config_is_documented_and_valid(tmp_path: Path) -> None:
    text = default_config_toml()
    # Every field has its docstring as a comment above it.
    for section in RunnerConfig.model_fields:
        assert section in text
    assert "# Cap per UTC day in USD; 0 means no cap." in text
    data = tomllib.loads(text)
    assert RunnerConfig.model_validate(data) == RunnerConfig()


def test_every_field_has_a_docstring() -> None:
    def walk(model: type) -> list[str]:
        missing = []
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            ann = field.annotation
            if isinstance(ann, type) and hasattr(ann, "model_fields"):
                missing += walk(ann)
            elif not field.description:
                missing.append(f"{model.__name__}.{name}")
        return missing

    assert walk(RunnerConfig) == []


def test_cli_flags_override_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[alerts]\nalertmanager_url = "http://file:9093"\n')
    config = load_config(path).with_overrides({"alerts.alertmanager_url": "http://flag:9093", "model.name": None})
    assert config.alerts.alertmanager_url == "http://flag:9093"


def test_cli_one_line_error_nonzero(tmp_path: Path) -> None:
    path = write(tmp_path, "[alerts]\nurl = 1\n")
    result = CliRunner().invoke(main, ["run", "--once", "--config", str(path)])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: {path}: alerts.url: unknown key"]


def test_check_config(tmp_path: Path) -> None:
    good = write(tmp_path, '[model]\nname = "rules"\n')
    assert CliRunner().invoke(main, ["check-config", "--config", str(good)]).exit_code == 0
    bad = write(tmp_path, '[model]\nname = "nosuch:model"\n')
    result = CliRunner().invoke(main, ["check-config", "--config", str(bad)])
    assert result.exit_code != 0 and "unknown model" in result.output


def test_print_default_config() -> None:
    result = CliRunner().invoke(main, ["run", "--print-default-config"])
    assert result.exit_code == 0 and result.output == default_config_toml()


def test_api_key_in_backend_options_is_refused_without_echo(tmp_path: Path) -> None:
    path = write(tmp_path, '[model]\noptions = { api_key = "sk-ant-SECRET-789", timeout = 30 }\n')
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert "SECRET" not in str(exc.value) and "model.options: api_key may not be set here" in str(exc.value)


def test_local_server_options_reach_the_backend(tmp_path: Path) -> None:
    from tasseograph.models.openai import OpenAIModel
    from tasseograph.runner.worker import build_model

    path = write(tmp_path, '[model]\nname = "openai:gemma3-270m"\n'
                           'options = { base_url = "http://127.0.0.1:18080/v1", max_tokens = 300, temperature = 0, '
                           'stop = ["\\n\\n"], timeout = 300 }\n')
    model = build_model(load_config(path))
    assert isinstance(model, OpenAIModel)
    assert (model.options.max_tokens, model.options.stop, model.options.timeout) == (300, ["\n\n"], 300.0)


def test_a_bad_backend_option_is_one_line(tmp_path: Path) -> None:
    from tasseograph.errors import UsageError
    from tasseograph.runner.worker import build_model

    path = write(tmp_path, '[model]\nname = "openai:gemma3-270m"\noptions = { max_tokens = -5 }\n')
    with pytest.raises(UsageError) as exc:
        build_model(load_config(path))
    assert "max_tokens: Input should be greater than 0" in str(exc.value) and "\n" not in str(exc.value)
