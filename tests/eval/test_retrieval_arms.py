"""The harness's incident-memory comparison (none / fixed / retrieved) through the fake server:
PLUMBING ONLY, never model quality.

It checks that every arm scores the same cases, that a case never sees itself (nor its near-copies)
among its retrieved neighbours or the fixed examples, that retrieved incidents land in the user
part while the system part stays one cache entry, and that tokens and cost are reported per arm.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from tasseograph.cases import project_datasets
from tasseograph.eval.cli import main
from tests.fakeapi import TEST_KEY, FakeAPIServer

HAIKU = "anthropic:claude-haiku-4-5"
CASES = {"memory.jsonl": ("syn-mem-001", "syn-mem-004"), "storage.jsonl": ("syn-sto-104",), "ok.jsonl": ("syn-ok-014",)}


def _subset(tmp_path: Path) -> Path:
    """Four real repo cases under their own ids (so the library holds each of them)."""
    lines = []
    for name, wanted in CASES.items():
        for line in (project_datasets() / "synthetic" / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and json.loads(line)["id"] in wanted:
                lines.append(line)
    path = tmp_path / "subset.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _suite(tmp_path: Path, data: Path, url: str) -> Path:
    suite = tmp_path / "arms.toml"
    arms = "".join(f'[[options]]\nlabel = "{mode}"\nexamples = "{mode}"\n'
                   + ('k = 3\nlibrary = ["repo"]\n' if mode != "none" else "") for mode in ("none", "fixed", "retrieved"))
    suite.write_text(f"""
name = "arms"
prompts = ["triage-v3"]
concurrency = 1
[[datasets]]
name = "subset"
path = "{data}"
[[models]]
name = "rules"
option_sets = ["none"]
[[models]]
name = "{HAIKU}"
options = {{ base_url = "{url}", api_key = "{TEST_KEY}", max_retries = 0 }}
{arms}""")
    return suite


def test_none_fixed_and_retrieved_score_the_same_cases_and_never_show_a_case_itself(
        fake_api: FakeAPIServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(_suite(tmp_path, _subset(tmp_path), fake_api.url)),
                                       "--out", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    runs = {r["options_label"]: r for r in json.loads((out / "summary.json").read_text())["runs"]
            if r["model"] == HAIKU and r["policy"] == "single"}
    assert set(runs) == {"none", "fixed", "retrieved"}
    assert {r["n_cases"] for r in runs.values()} == {4}
    # Past incidents cost input tokens; the report shows them beside the scores.
    def sent(label: str) -> int:
        t = runs[label]["tokens"]
        return int(t["input"] + t["cache_read"] + t["cache_write"])

    assert sent("retrieved") > sent("none") and sent("fixed") > sent("none")
    assert all(r["cost_usd"] > 0 for r in runs.values())

    cases = pd.read_parquet(out / "cases.parquet")
    shown = cases[cases["model"] == HAIKU]
    retrieved = shown[shown["options_label"] == "retrieved"]
    assert sum(len(e) for e in retrieved["examples"]) > 0
    for _, row in shown.iterrows():
        own = row["case_id"].rpartition("/")[2]
        assert not any(e.endswith("/" + own) for e in row["examples"]), (row["options_label"], own)
    # One fixed set for every case, except where a case is itself one of the fixed examples.
    fixed_sets = {tuple(e) for e in shown[shown["options_label"] == "fixed"]["examples"]}
    assert 1 <= len(fixed_sets) <= 4

    # The system part (the cached prefix) is the same for every retrieved call.
    bodies = [r.body for r in fake_api.requests if isinstance(r.body, dict) and "messages" in r.body]
    user_texts = [json.dumps(b["messages"]) for b in bodies]
    with_memory = [b for b, u in zip(bodies, user_texts, strict=True) if "<past_incidents>" in u]
    assert len(with_memory) >= 1
    assert len({json.dumps(b["system"]) for b in with_memory}) == 1
    assert all("<past_incident n=" not in json.dumps(b["system"]) for b in with_memory)
