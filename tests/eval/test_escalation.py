"""Escalation policies composed from per-case results (hand-built, no model involved)."""

from __future__ import annotations

import pytest

from tasseograph.eval.datasets import Dataset
from tasseograph.eval.escalation import EscalationSpec, chain, escalation_runs, uncertain
from tasseograph.eval.execute import CaseResult, RunResult, RunSpec
from tasseograph.eval.profile import FleetProfile
from tasseograph.eval.scoring import summarize
from tasseograph.schema import Usage

TRUTH = {"a": "ok", "b": "warning", "c": "critical"}


def _run(model: str, preds: dict[str, str], cost: float, *, local: bool = False, conf: float | None = None) -> RunResult:
    ds = Dataset(name="d", kind="jsonl", path="d.jsonl", cases=[])
    cases = [CaseResult(case_id=k, epoch=0, truth_status=TRUTH[k], truth_categories=(), pred_status=v, cost_usd=cost,
                        usage=Usage(input_tokens=10), latency_s=1.0, confidence=conf) for k, v in preds.items()]
    return RunResult(spec=RunSpec(dataset=ds, model=model), model_name=model, prompt=None if local else "p@1",
                     local=local, cases=cases)


SMALL = _run("small", {"a": "warning", "b": "warning", "c": "critical"}, 1.0)
LARGE = _run("large", {"a": "ok", "b": "warning", "c": "critical"}, 3.0)
LOCAL = _run("rules", {"a": "ok", "b": "warning", "c": "critical"}, 0.0, local=True)


def _by_policy() -> dict[str, RunResult]:
    runs = escalation_runs([SMALL, LARGE, LOCAL], EscalationSpec("small", "large", "rules"))
    return {r.policy: r for r in runs}


def test_every_policy_is_built_when_all_tiers_ran() -> None:
    assert set(_by_policy()) == {"escalate-nonok", "escalate-uncertain", "local-first"}
    assert escalation_runs([SMALL, LOCAL], EscalationSpec("small", "large", "rules")) == []


def test_escalate_nonok_pays_both_tiers_on_every_non_ok() -> None:
    run = _by_policy()["escalate-nonok"]
    assert [c.pred_status for c in run.cases] == ["ok", "warning", "critical"]
    assert [c.cost_usd for c in run.cases] == [4.0, 4.0, 4.0]
    assert run.cases[0].usage.input_tokens == 20 and run.cases[0].latency_s == 2.0


def test_escalate_uncertain_only_on_warnings() -> None:
    run = _by_policy()["escalate-uncertain"]
    assert [c.cost_usd for c in run.cases] == [4.0, 4.0, 1.0]


def test_local_first_stops_on_local_ok() -> None:
    run = _by_policy()["local-first"]
    assert run.model_name == "rules → small → large"
    assert [c.cost_usd for c in run.cases] == [0.0, 4.0, 1.0]
    s = summarize(run, FleetProfile())
    assert s["policy"] == "local-first" and s["precision"] == pytest.approx(1.0)
    assert s["cost_per_case_usd"] == pytest.approx(5.0 / 3)


def test_low_confidence_counts_as_uncertain() -> None:
    (case,) = _run("s", {"c": "critical"}, 1.0, conf=0.55).cases
    assert uncertain(case)
    (sure,) = _run("s", {"c": "critical"}, 1.0, conf=0.95).cases
    assert not uncertain(sure)
    assert chain([case, sure]).cost_usd == 2.0
