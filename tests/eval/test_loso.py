"""Leave-one-source-out: what is trained on what, the targets, the result files (on small data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tasseograph.errors import UsageError
from tasseograph.eval import loso
from tasseograph.eval.cli import main
from tests.eval.conftest import write_cases
from tests.eval.test_domain import BGL_LIKE

DEV_CASES = [
    ("d-ok", "ok", [], "[    4.100000] ata3: SATA link down (SStatus 0 SControl 300)\n[    4.200000] i8042: PNP: No PS/2 controller found.", []),
    ("d-ok2", "ok", [], "[   20.000000] EXT4-fs (sda2): mounted filesystem with ordered data mode. Opts: (null)", []),
    ("d-ata", "warning", ["storage"], "[  311.000000] ata2.00: exception Emask 0x0 SAct 0x0 SErr 0x0 action 0x6 frozen\n[  311.000100] ata2.00: failed command: READ DMA EXT\n[  316.000000] ata2: hard resetting link\n[  316.500000] ata2: SATA link up 6.0 Gbps (SStatus 133 SControl 300)",
     ["[  311.000000] ata2.00: exception Emask 0x0 SAct 0x0 SErr 0x0 action 0x6 frozen"]),
    ("d-nvme", "critical", ["storage"], "[ 9001.000000] nvme nvme0: controller is down; will reset: CSTS=0x3, PCI_STATUS=0x10\n[ 9001.100000] nvme nvme0: Removing after probe failure status: -19",
     ["[ 9001.100000] nvme nvme0: Removing after probe failure status: -19"]),
]
HEALTHY = "[    0.000000] Linux version 5.15.0-48-generic\n[    1.200000] ACPI: Added _OSI(Module Device)\n[    3.000000] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex\n"


def _views(tmp_path: Path) -> list[loso.View]:
    repo = write_cases(tmp_path / "repo.jsonl")
    dev = write_cases(tmp_path / "dev.jsonl", DEV_CASES)
    noise = tmp_path / "noise"
    noise.mkdir()
    (noise / "01.log").write_text(HEALTHY, encoding="utf-8")
    (noise / "02.log").write_text(HEALTHY.replace("eth0", "eth1"), encoding="utf-8")
    (noise / "index.jsonl").write_text('{"file": "01.log", "has_hardware_problem": false}\n'
                                       '{"file": "02.log", "has_hardware_problem": false}\n', encoding="utf-8")
    bgl = tmp_path / "BGL_tiny.log"
    bgl.write_bytes("\r\n".join(BGL_LIKE).encode())
    return [loso.View("repo", "repo", repo), loso.View("dev", "dev", dev), loso.View("noise-logs", "noise", noise),
            loso.View("bgl-5min", "bgl", bgl)]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return loso.run_loso(only=_views(tmp_path_factory.mktemp("loso")), concurrency=4)


def _rows(result: dict, **match: str) -> list[dict]:
    return [r for r in result["runs"] if all(r[k] == v for k, v in match.items())]


def test_each_source_is_scored_by_models_that_never_saw_it(result: dict) -> None:
    for ds, source in (("repo", "repo"), ("dev", "dev"), ("noise-logs", "noise")):
        (left_out,) = _rows(result, dataset=ds, model="local", mode="leave-one-source-out")
        assert source not in left_out["trained_on"] and left_out["trained_on"]
        (inside,) = _rows(result, dataset=ds, model="local", mode="in-sample")
        assert source in inside["trained_on"] and any(n.startswith("CONTAMINATED") for n in inside["notes"])
        assert not any(n.startswith("CONTAMINATED") for n in left_out["notes"])
    (bgl,) = _rows(result, dataset="bgl-5min", model="sklearn")  # Loghub is never training data
    assert bgl["trained_on"] == ["repo", "dev", "noise"] and bgl["mode"] == "leave-one-source-out"
    assert any(n.startswith("TRAINED ELSEWHERE") for n in bgl["notes"])
    assert [r["mode"] for r in _rows(result, model="rules")] == ["reference"] * 4


def test_scores_come_from_the_harness(result: dict) -> None:
    (dev,) = _rows(result, dataset="dev", model="rules")
    assert (dev["n_cases"], dev["n_positive"], dev["n_critical"], dev["n_warning"]) == (4, 2, 1, 1)
    (logs,) = _rows(result, dataset="noise-logs", model="local", mode="in-sample")
    assert logs["healthy_logs"] == 2


def test_targets_check_the_issue_bar() -> None:
    good = {"dataset": "dev", "model": "local", "mode": "leave-one-source-out", "precision": 0.97, "recall": 1.0,
            "n_criticals_graded_ok": 0, "warnings_paged_critical": 0.05}
    (t,) = loso.targets([good])
    assert t["met"] and all(t["checks"].values())
    paged = {**good, "warnings_paged_critical": 0.2}
    missed = {**good, "n_criticals_graded_ok": 1}
    assert not loso.targets([paged])[0]["met"] and not loso.targets([missed])[0]["met"]
    alarmed = {"dataset": "noise-logs", "model": "local", "mode": "in-sample", "healthy_logs_alarmed": 1}
    assert loso.targets([alarmed]) == [{"target": "local, healthy boot logs (in-sample): no warning, no critical",
                                        "checks": {"healthy logs alarmed == 0": False}, "met": False}]


def test_results_are_written_as_json_and_markdown(result: dict, tmp_path: Path) -> None:
    js, md = loso.write_results(result, tmp_path)
    assert json.loads(js.read_text(encoding="utf-8"))["runs"] == result["runs"]
    text = md.read_text(encoding="utf-8")
    assert "## leave-one-source-out" in text and "## in-sample" in text and "tasseograph-eval loso" in text


def test_without_shared_data_the_command_is_one_line(runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setattr(loso, "shared_dir", lambda: None)
    with pytest.raises(UsageError, match="needs the shared data"):
        loso.run_loso()
    res = runner.invoke(main, ["loso", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "needs the shared data" in res.output and "Traceback" not in res.output
