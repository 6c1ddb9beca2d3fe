"""Eval runs of OpenAI-compatible servers: negotiation in a whole run, honest labels, failed runs.

The server here is the project's fake (PLUMBING: its replies test the harness, never a model).
The real local model's runs are in ``tests/test_localserver.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tasseograph.eval.cli import main
from tasseograph.eval.datasets import load_dataset
from tasseograph.eval.execute import CaseResult, RunResult, RunSpec
from tasseograph.eval.scoring import QUALITY_PLUMBING, quality_label
from tests.fakeapi import DEAD_URL, FakeAPIServer


def _run(tmp_path: Path, data: Path, model: str, out: str = "o", *extra: str) -> tuple[int, str, dict]:
    res = CliRunner().invoke(main, ["run", "--dataset", str(data), "--model", model, "--no-prefilter",
                                    "--out", str(tmp_path / out), *extra])
    summary = json.loads((tmp_path / out / "summary.json").read_text()) if (tmp_path / out / "summary.json").exists() else {}
    return res.exit_code, res.output, summary


def test_a_server_that_rejects_json_schema_runs_clean_with_one_failed_request(
    fake_api: FakeAPIServer, tiny_jsonl: Path, tmp_path: Path
) -> None:
    fake_api.reject_json_schema = True
    code, output, summary = _run(tmp_path, tiny_jsonl, f"openai:llama?base_url={fake_api.openai_url}&max_retries=2")
    assert code == 0, output
    (run,) = summary["runs"]
    assert run["n_cases"] == 8 and run["reply_failure_rate"] == 0.0 and run["reply_failures"] == 0
    formats = [(r.body.get("response_format") or {}).get("type") for r in fake_api.requests]
    assert formats.count("json_schema") == 1  # one failed request in all, not three per case
    assert formats.count("json_object") == fake_api.request_count - 1 >= 8
    assert run["quality"] == QUALITY_PLUMBING  # the fake server's header, not its host name


def test_an_unreachable_server_is_a_reply_failure_not_a_score(tiny_jsonl: Path, tmp_path: Path) -> None:
    code, output, summary = _run(tmp_path, tiny_jsonl, f"openai:llama?base_url={DEAD_URL}/v1&max_retries=0")
    assert code == 0, output
    (run,) = summary["runs"]
    assert run["reply_failure_rate"] == 1.0 and run["reply_failures"] == run["n_called"] == 8
    assert run["quality"] == "no usable replies (8 of 8 failed): scores are the signal fallback"
    assert run["precision"] is None and run["recall"] is None and run["critical_recall"] is None
    assert run["critical_precision"] is None and run["warnings_paged_critical"] is None  # severity grading too
    # The signal fallback's scores are kept, under their own name.
    assert run["fallback_scores"]["recall"] is not None and "critical_precision" in run["fallback_scores"]
    assert "(fallback)" in output and "NO USABLE" in output  # the console table wraps its cells
    md = (tmp_path / "o" / "report.md").read_text()
    assert "no model was measured" in md and "| n/a (fallback) | n/a (fallback) |" in md and "| 1.00 (8/8) |" in md
    assert md.count("n/a (fallback)") == 8  # precision, recall, F1, critical recall and the four severity cells
    baseline = tmp_path / "baseline.json"
    assert CliRunner().invoke(main, ["gate", str(tmp_path / "o"), "--baseline", str(baseline), "--update"]).exit_code == 0
    gate = CliRunner().invoke(main, ["gate", str(tmp_path / "o"), "--baseline", str(baseline)])
    assert gate.exit_code == 1 and "no usable replies (8 of 8 failed)" in gate.output


def _run_result(tmp_path: Path, tiny_jsonl: Path, origin: str, errors: int = 0, **case: object) -> RunResult:
    ds = load_dataset(tiny_jsonl)
    cases = [CaseResult(case_id=c.id, epoch=0, truth_status=c.status, truth_categories=c.categories,
                        pred_status=c.status, model_error="ModelAPIError: down" if i < errors else None,
                        origins=(origin,), **case)  # type: ignore[arg-type]
             for i, c in enumerate(ds.cases)]
    return RunResult(spec=RunSpec(dataset=ds, model="openai:gemma3-270m"), model_name="openai:gemma3-270m",
                     prompt="triage-v1@1", local=False, cases=cases, origin=origin)


def test_a_real_server_on_localhost_is_a_measurement(tiny_jsonl: Path, tmp_path: Path) -> None:
    run = _run_result(tmp_path, tiny_jsonl, "http://127.0.0.1:18080/v1", served_models=("gemma3-270m",))
    assert quality_label(run) == "measured (local model: gemma3-270m, http://127.0.0.1:18080/v1)"
    remote = _run_result(tmp_path, tiny_jsonl, "https://vllm.example.net/v1", served_models=("qwen3-8b",))
    assert quality_label(remote) == "measured (served model: qwen3-8b, https://vllm.example.net/v1)"


def test_most_replies_failed_means_no_usable_replies(tiny_jsonl: Path, tmp_path: Path) -> None:
    url = "http://127.0.0.1:18080/v1"
    assert quality_label(_run_result(tmp_path, tiny_jsonl, url, errors=4)).startswith("measured (local model")
    assert quality_label(_run_result(tmp_path, tiny_jsonl, url, errors=5)) == (
        "no usable replies (5 of 8 failed): scores are the signal fallback")
    # A fake server stays plumbing, whatever became of its replies.
    assert quality_label(_run_result(tmp_path, tiny_jsonl, "fake", errors=8)) == QUALITY_PLUMBING
