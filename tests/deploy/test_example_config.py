"""deploy/tasseograph.toml is a valid config that ships hard spend and call caps."""

from __future__ import annotations

from pathlib import Path

from tasseograph.runner.config import RunnerConfig, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "tasseograph.toml"


def test_example_config_loads_and_caps_spend_and_calls() -> None:
    config = load_config(EXAMPLE, insecure_ok=True)  # a checkout's file modes are not a deployment's
    assert config.budget.monthly_usd > 0 and config.budget.daily_usd > 0
    assert 0 < config.budget.max_calls_per_delta <= RunnerConfig().budget.max_calls_per_delta
    assert 0 < config.budget.max_calls_per_host_hour <= RunnerConfig().budget.max_calls_per_host_hour
