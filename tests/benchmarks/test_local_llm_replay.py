"""The committed local-model figures replay from the committed response cache, without a server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.localllm import require_local_model

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "benchmarks" / "results" / "local_llm.json"
CONTRACT = ("server", "model", "weights_sha256", "n_cases", "reply_failure_rate", "json_valid_rate",
            "evidence_validity", "precision_alone", "recall_alone", "precision_merged", "recall_merged",
            "latency_p50_s", "latency_p95_s")


def _replay(out: Path, *extra: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.local_llm", "--replay", "--out", str(out), *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "local_llm.json").read_text(encoding="utf-8"))


def test_committed_results_carry_the_contract_keys() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert set(CONTRACT) <= set(committed) and committed["tiny"] is False and not committed["replayed"]
    assert committed["n_cases"] > 100 and committed["quality"]
    assert all(q.startswith("measured (local model: gemma3-270m") or q.startswith("no usable replies")
               for q in committed["quality"])


def test_tiny_replay_runs_without_a_server(tmp_path: Path) -> None:
    require_local_model()
    tiny = _replay(tmp_path, "--tiny")
    assert tiny["tiny"] is True and tiny["replayed"] is True and tiny["n_cases"] == 6
    assert set(CONTRACT) <= set(tiny)


@pytest.mark.slow
def test_full_replay_reproduces_the_committed_figures(shared: Path, tmp_path: Path) -> None:
    require_local_model()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    replayed = _replay(tmp_path)
    for key in (*CONTRACT, "json_valid_after_repair_rate", "output_tokens_per_s", "ladder", "injection", "tune"):
        if key != "server":
            assert replayed[key] == committed[key], key
