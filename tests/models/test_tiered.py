"""The escalating backend: who is asked, what it costs, and what happens when a tier fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import tasseograph
from tasseograph.errors import ModelAPIError, UsageError
from tasseograph.models.registry import unregister
from tasseograph.pricing import cost_usd
from tasseograph.schema import Usage
from tasseograph.testing import FakeModel

# Plumbing only: scripted replies, never a statement about either model's quality.
OK = {"status": "ok", "issues": []}
LINE = "[ 812.204311] mce: [Hardware Error]: Machine check events logged"
WARN = {"status": "warning", "issues": [{"severity": "warning", "category": "memory", "summary": "MCE", "evidence": LINE}]}
CRIT = {"status": "critical", "issues": [{"severity": "critical", "category": "memory", "summary": "UC MCE", "evidence": LINE}]}
SMALL_USAGE = Usage(input_tokens=1000, output_tokens=100)
LARGE_USAGE = Usage(input_tokens=1000, output_tokens=200)
NAME = "escalate:small>large"


@pytest.fixture
def tiers() -> Iterator[tuple[FakeModel, FakeModel]]:
    small = FakeModel(name="small", price_id="claude-haiku-4-5", usage=SMALL_USAGE)
    large = FakeModel(name="large", price_id="claude-sonnet-4-5", usage=LARGE_USAGE)
    tasseograph.register("small", small.factory, replace=True)
    tasseograph.register("large", large.factory, replace=True)
    yield small, large
    unregister("small")
    unregister("large")


def test_ok_from_the_small_model_stays_there(tiers: tuple[FakeModel, FakeModel]) -> None:
    small, large = tiers
    small.add(OK)
    verdict = tasseograph.analyze(LINE, model=NAME)
    assert len(small.calls) == 1 and large.calls == [] and not verdict.escalated
    assert verdict.cost_usd == pytest.approx(cost_usd("claude-haiku-4-5", SMALL_USAGE))


def test_warning_escalates_and_both_calls_are_paid(tiers: tuple[FakeModel, FakeModel]) -> None:
    small, large = tiers
    small.add(WARN)
    large.add(CRIT)
    verdict = tasseograph.analyze(LINE, model=NAME)
    assert verdict.escalated and verdict.status == "critical"
    assert verdict.usage.output_tokens == 300
    expected = cost_usd("claude-haiku-4-5", SMALL_USAGE) + cost_usd("claude-sonnet-4-5", LARGE_USAGE)
    assert verdict.cost_usd == pytest.approx(expected)


def test_critical_escalates_only_with_on_non_ok(tiers: tuple[FakeModel, FakeModel]) -> None:
    small, large = tiers
    small.add(CRIT, CRIT)
    large.add(CRIT)
    assert not tasseograph.analyze(LINE, model=NAME).escalated
    model = tasseograph.get_model(NAME, on="non-ok")
    assert tasseograph.analyze(LINE, model=model).escalated and len(large.calls) == 1


def test_unusable_small_reply_escalates(tiers: tuple[FakeModel, FakeModel]) -> None:
    small, large = tiers
    small.add("I think it is fine.")
    large.add(OK)
    verdict = tasseograph.analyze(LINE, model=NAME)
    assert verdict.escalated and verdict.model_error is None and len(large.calls) == 1


def test_large_tier_failure_keeps_the_small_answer(tiers: tuple[FakeModel, FakeModel]) -> None:
    small, large = tiers
    small.add(WARN)
    large.add(ModelAPIError("HTTP 529 overloaded", status_code=529))
    verdict = tasseograph.analyze(LINE, model=NAME)
    assert verdict.status == "warning" and not verdict.escalated and verdict.model_error is None


@pytest.mark.parametrize("name", ["escalate", "escalate:small", "escalate:small>", "escalate:>large"])
def test_malformed_names_are_usage_errors(name: str) -> None:
    with pytest.raises(UsageError, match="SMALL>LARGE"):
        tasseograph.get_model(name)


def test_unknown_option_is_a_usage_error(tiers: tuple[FakeModel, FakeModel]) -> None:
    with pytest.raises(UsageError, match="bad option"):
        tasseograph.get_model(NAME, when="always")
