"""The committed incident-memory figures (none / fixed / retrieved on Gemma 3 270M) replay from
the committed response cache, without a server, and say what was not measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "benchmarks" / "results" / "retrieval.json"
FIGURES = ("n_cases", "n_called", "precision", "recall", "correct_status", "reply_failure_rate",
           "examples_per_call", "input_tokens_per_call", "output_tokens_per_call", "latency_p50_s", "quality")


def test_committed_results_compare_the_three_arms_on_the_same_cases() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    arms = {(r["arm"], r["merge"]): r for r in committed["arms"]}
    assert set(arms) == {(a, m) for a in ("none", "fixed", "retrieved") for m in ("alone", "merged")}
    assert {r["n_cases"] for r in arms.values()} == {committed["n_cases"]} and committed["n_cases"] >= 10
    assert arms[("none", "alone")]["examples_per_call"] == 0 < arms[("retrieved", "alone")]["examples_per_call"]
    assert all(r["quality"].startswith(("measured (local model: gemma3-270m", "no usable replies"))
               for r in arms.values())
    assert {h["why"] for h in committed["haiku"]} == {"needs an API key, not measured here"}


def test_replay_reproduces_the_committed_figures_without_a_server(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.retrieval", "--replay", "--out", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    replayed = json.loads((tmp_path / "retrieval.json").read_text(encoding="utf-8"))
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert replayed["replayed"] and replayed["calls_this_run"] == 0
    for old, new in zip(committed["arms"], replayed["arms"], strict=True):
        assert {k: new[k] for k in FIGURES} == {k: old[k] for k in FIGURES}, old["arm"]
    assert replayed["rules"] == committed["rules"]
