"""Tuning: examples come from the train split, scoring from the test split, best under a cost cap."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tasseograph.eval.datasets import apply_split, load_dataset
from tasseograph.eval.plots import pareto
from tasseograph.eval.report import read_provenance
from tasseograph.eval.tune import best_under_cap, pick_examples
from tests.fakeapi import TEST_KEY, FakeAPIServer


def test_examples_are_balanced_deterministic_and_from_train(tiny_jsonl: Path) -> None:
    ds = load_dataset(tiny_jsonl)
    train = apply_split(ds, "train", 0.3)
    ex = pick_examples(train.cases, 3)
    assert ex == pick_examples(train.cases, 3)
    assert {e["reply"]["status"] for e in ex} == {"ok", "warning", "critical"}
    test_ids = {c.id for c in apply_split(ds, "test", 0.3).cases}
    assert not {e["id"] for e in ex} & test_ids
    crit = next(e for e in ex if e["reply"]["status"] == "critical")
    assert crit["reply"]["issues"][0]["evidence"] in crit["text"]


def test_best_under_cap() -> None:
    runs = [
        {"f1": 0.9, "recall": 0.9, "cost_per_host_month_usd": 5.0, "prompt": "v2", "options_label": "4-shot"},
        {"f1": 0.8, "recall": 0.95, "cost_per_host_month_usd": 1.0, "prompt": "v1", "options_label": "0-shot"},
        {"f1": None, "recall": None, "cost_per_host_month_usd": 0.5, "prompt": "v1", "options_label": "2-shot"},
    ]
    assert best_under_cap(runs, None).summary is runs[0]
    assert best_under_cap(runs, 2.0).summary is runs[1]
    assert best_under_cap(runs, 0.1).summary is None


def test_pareto_front() -> None:
    assert pareto([(1.0, 0.5), (2.0, 0.4), (0.5, 0.3), (3.0, 0.9)]) == [(0.5, 0.3), (1.0, 0.5), (3.0, 0.9)]


def test_tune_grid_against_fake_server(fake_api: FakeAPIServer, tiny_jsonl: Path, tmp_path: Path) -> None:
    from tasseograph.eval.cli import main

    env = {"ANTHROPIC_BASE_URL": fake_api.url, "ANTHROPIC_API_KEY": TEST_KEY}
    res = CliRunner(env=env).invoke(main, [
        "tune", "--dataset", str(tiny_jsonl), "--model", "anthropic:claude-haiku-4-5", "--prompt", "triage-v1",
        "--prompt", "triage-v2", "--shots", "0,2", "--cost-cap", "1000", "--out", str(tmp_path / "t"),
        "--cache", str(tmp_path / "c.sqlite"),
    ])
    assert res.exit_code == 0, res.output
    assert "best F1 under cost cap" in res.output
    assert (tmp_path / "t" / "summary.json").exists()
    assert fake_api.request_count > 0
    stamp = read_provenance(tmp_path / "t")
    assert stamp is not None and stamp["command"].startswith("tasseograph-eval tune --dataset ")
    assert TEST_KEY not in (tmp_path / "t" / "report.md").read_text() + json.dumps(stamp)
