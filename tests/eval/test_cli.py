"""The ``tasseograph-eval`` command: ad-hoc runs, reports, one-line errors, gate and compare."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tasseograph.eval.cli import main
from tasseograph.eval.scoring import SCHEMA_VERSION

SUMMARY_FIELDS = ("dataset", "model", "prompt", "policy", "n_cases", "precision", "recall", "f1", "critical_recall",
                  "cost_usd", "cost_per_host_month_usd", "precision_ci", "recall_ci", "f1_ci")


def _run(runner: CliRunner, *args: str) -> tuple[int, str]:
    res = runner.invoke(main, list(args))
    return res.exit_code, res.output


def _summary(out: Path) -> list[dict]:
    data = json.loads((out / "summary.json").read_text())
    assert list(data)[:2] == ["schema_version", "provenance"] and data["schema_version"] == SCHEMA_VERSION
    return data["runs"]


def test_adhoc_run_writes_every_report(runner: CliRunner, tiny_jsonl: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = _run(runner, "run", "--dataset", str(tiny_jsonl), "--model", "rules", "--out", str(out))
    assert code == 0, output
    (run,) = _summary(out)
    assert all(k in run for k in SUMMARY_FIELDS)
    assert run["model"] == "rules" and run["n_cases"] == 8 and run["quality"].startswith("measured (local")
    assert "precision" in output and "rules" in output  # the rich table was printed
    import pandas as pd

    cases = pd.read_parquet(out / "cases.parquet")
    assert len(cases) == 8 and {"truth_status", "pred_status", "findings", "cost_usd", "latency_s"} <= set(cases.columns)
    paged = cases[cases.pred_status == "critical"]
    assert run["n_warning"] == 3 and run["n_predicted_critical"] == len(paged)
    assert run["critical_precision"] == (paged.truth_status == "critical").mean()
    assert "crit. precision" in (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "<script" not in html
    assert "| dataset |" in (out / "report.md").read_text()


def test_thunderbird_recall_is_undefined(runner: CliRunner, shared: Path, tmp_path: Path) -> None:
    out = tmp_path / "tb"
    tb = shared / "datasets/loghub/Thunderbird/Thunderbird_2k.log"
    code, output = _run(runner, "run", "--dataset", str(tb), "--model", "rules", "--out", str(out))
    assert code == 0, output
    (run,) = _summary(out)
    assert run["n_positive"] == 0
    assert run["recall"] is None and run["f1"] is None and run["recall_ci"] is None
    assert run["fleet_profile"]["source"].startswith("active share measured")
    assert "undefined" in (out / "report.md").read_text()


def test_errors_are_one_line_and_non_zero(runner: CliRunner, tiny_jsonl: Path, tmp_path: Path) -> None:
    bad_suite = tmp_path / "bad.toml"
    bad_suite.write_text('name = "x"\nmodels = ["rules"]\n[[datasets]]\npath = "a.jsonl"\nwindw = "time"\n')
    cases = [
        ["run", str(bad_suite), "--out", str(tmp_path / "o")],
        ["run", "--dataset", str(tmp_path / "missing.jsonl"), "--model", "rules", "--out", str(tmp_path / "o")],
        ["run", "--dataset", str(tiny_jsonl), "--model", "nosuchmodel", "--out", str(tmp_path / "o")],
        ["run", "--dataset", str(tiny_jsonl), "--replay-only", "--no-cache", "--out", str(tmp_path / "o")],
        ["run", "--out", str(tmp_path / "o")],
    ]
    for args in cases:
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 2, (args, res.output)
        lines = [x for x in res.output.splitlines() if x.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    res = CliRunner().invoke(main, cases[0])
    assert "bad.toml" in res.output and "windw" in res.output
    res = CliRunner().invoke(main, cases[1])
    assert "--dataset" in res.output and "missing.jsonl" in res.output and ".toml" not in res.output


def test_gate_passes_then_fails_on_a_regression(runner: CliRunner, tiny_jsonl: Path, tmp_path: Path) -> None:
    out, baseline = tmp_path / "out", tmp_path / "baseline.json"
    assert _run(runner, "run", "--dataset", str(tiny_jsonl), "--model", "rules", "--out", str(out))[0] == 0
    assert _run(runner, "gate", str(out), "--baseline", str(baseline), "--update")[0] == 0
    code, output = _run(runner, "gate", str(out), "--baseline", str(baseline))
    assert code == 0 and "gate passed" in output
    data = json.loads(baseline.read_text())
    data["runs"][0]["recall"] = 1.5  # a baseline no run can reach
    data["runs"].append({"run_id": "gone::rules::none::single::default"})
    baseline.write_text(json.dumps(data))
    code, output = _run(runner, "gate", str(out), "--baseline", str(baseline))
    assert code == 1
    assert "recall fell from 1.500" in output and "gone::rules" in output and "missing" in output


def test_gate_fails_on_cost_rise(tmp_path: Path) -> None:
    from tasseograph.eval.gate import Baseline, BaselineRun, check

    base = Baseline(runs=[BaselineRun(run_id="r", cost_per_host_month_usd=1.0)])
    assert check([{"run_id": "r", "cost_per_host_month_usd": 1.05, "precision": None, "recall": None,
                   "critical_recall": None}], base) == []
    (reason,) = check([{"run_id": "r", "cost_per_host_month_usd": 1.2, "precision": None, "recall": None,
                        "critical_recall": None}], base)
    assert "cost per host-month rose" in reason


def test_compare_lists_flips_and_mcnemar(runner: CliRunner, tiny_jsonl: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(runner, "run", "--dataset", str(tiny_jsonl), "--model", "rules", "--out", str(a))[0] == 0
    assert _run(runner, "run", "--dataset", str(tiny_jsonl), "--model", "rules", "--out", str(b))[0] == 0
    # Make B call one truly-ok case a warning: one flip, broken in B.
    import pandas as pd

    cases = pd.read_parquet(b / "cases.parquet")
    cases.loc[cases.case_id == "ok-acpi", "pred_status"] = "warning"
    cases.to_parquet(b / "cases.parquet", index=False)
    code, output = _run(runner, "compare", str(a), str(b))
    assert code == 0, output
    assert "ok-acpi" in output and "broken" in output
    assert "McNemar p = 1 (exact binomial)" in output
    assert "| precision |" in output


def test_gate_skips_missing_optional_runs_with_a_note() -> None:
    from tasseograph.eval.gate import Baseline, BaselineRun, check

    base = Baseline(runs=[BaselineRun(run_id="bgl", recall=0.5, optional=True), BaselineRun(run_id="repo", recall=0.5)])
    notes: list[str] = []
    (reason,) = check([], base, notes)
    assert reason.startswith("repo: missing")
    assert notes and notes[0].startswith("bgl: not in this run")
