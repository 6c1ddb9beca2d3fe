"""The ``rules`` model: plumbing on fixtures, and its quality targets on the shared dev set.

Targets (binary: non-ok is positive): recall >= 0.90, precision >= 0.85, no critical case
judged ok, and no critical on a healthy whole boot log. A regression in the catalogue fails
here. The shared data tests skip with the reason when ../shared is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tasseograph
from tasseograph.errors import UsageError
from tasseograph.models.rules import RulesModel

RECALL_TARGET = 0.90
PRECISION_TARGET = 0.85


def test_rules_model_turns_signals_into_findings() -> None:
    verdict = tasseograph.analyze(
        "[ 5.1] nvme nvme0: controller is down; will reset: CSTS=0xffffffff, PCI_STATUS=0x10\n",
        model="rules",
    )
    assert verdict.status == "critical"
    (finding,) = verdict.findings
    assert (finding.severity, finding.category, finding.source) == ("critical", "storage", "signal")
    assert "CSTS=0xffffffff" in finding.evidence


def test_rules_model_is_ok_on_routine_lines() -> None:
    verdict = tasseograph.analyze(
        "[ 0.5] EDAC MC: Ver: 3.0.0\n[ 7.0] MCE: In-kernel MCE decoding enabled.\n[ 9.0] hello world\n",
        model="rules",
    )
    assert (verdict.status, verdict.findings) == ("ok", [])


def test_rules_model_takes_no_id_or_options() -> None:
    with pytest.raises(UsageError, match="no model id"):
        RulesModel("x")
    with pytest.raises(UsageError, match="no options"):
        RulesModel(temperature=0)


def _cases(shared: Path) -> list[dict]:
    text = (shared / "datasets/dmesg-real/dev.jsonl").read_text(encoding="utf-8")
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def test_dev_set_targets(shared: Path) -> None:
    tp = fp = fn = 0
    critical_missed: list[str] = []
    for case in _cases(shared):
        want = case["label"]["status"]
        got = tasseograph.analyze(case["text"], model="rules").status
        tp += want != "ok" and got != "ok"
        fp += want == "ok" and got != "ok"
        fn += want != "ok" and got == "ok"
        if want == "critical" and got == "ok":
            critical_missed.append(case["id"])
    recall, precision = tp / (tp + fn), tp / max(1, tp + fp)
    assert recall >= RECALL_TARGET, f"recall {recall:.3f} (tp {tp}, fn {fn})"
    assert precision >= PRECISION_TARGET, f"precision {precision:.3f} (tp {tp}, fp {fp})"
    assert critical_missed == []


def test_healthy_boot_logs_raise_no_critical(shared: Path) -> None:
    folder = shared / "datasets/dmesg-real/noise"
    healthy = [
        json.loads(row)["file"]
        for row in (folder / "index.jsonl").read_text(encoding="utf-8").splitlines()
        if row.strip() and not json.loads(row)["has_hardware_problem"]
    ]
    assert healthy
    for name in healthy:
        verdict = tasseograph.analyze((folder / name).read_bytes(), model="rules")
        assert verdict.status != "critical", (name, [f.signal_id for f in verdict.findings])
