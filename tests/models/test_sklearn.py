"""The learned local model: trains, predicts, quotes evidence verbatim, loads by registry name."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tasseograph.errors import UsageError
from tasseograph.models import sklearn as sk
from tasseograph.models.base import ModelRequest
from tasseograph.models.registry import get_model
from tasseograph.parsing import parse_delta

OK = [
    "[    1.0] ACPI: Added _OSI(Module Device)\n[    2.0] systemd[1]: Started Journal Service.",
    "[    3.1] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n[    3.2] EDAC MC: Ver: 3.0.0",
    "[    4.0] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex",
    "[    5.0] systemd[1]: Reached target Multi-User System.\n[    5.1] ACPI: Power Button [PWRF]",
]
BAD = [
    ("[  100.0] EDAC MC0: 1 UE memory read error on DIMM_A1\n[  100.1] systemd[1]: Started Session 4.", "critical", "memory",
     "[  100.0] EDAC MC0: 1 UE memory read error on DIMM_A1"),
    ("[  200.0] EDAC MC0: 3 CE memory read error on DIMM_B2", "warning", "memory",
     "[  200.0] EDAC MC0: 3 CE memory read error on DIMM_B2"),
    ("[  300.0] nvme nvme0: I/O 12 QID 3 timeout, reset controller\n[  300.5] nvme nvme0: Removing after probe failure",
     "critical", "storage", "[  300.5] nvme nvme0: Removing after probe failure"),
    ("[  400.0] blk_update_request: I/O error, dev sda, sector 1234 op 0x0:(READ)", "critical", "storage",
     "[  400.0] blk_update_request: I/O error, dev sda, sector 1234 op 0x0:(READ)"),
    ("[  500.0] CPU3: Core temperature above threshold, cpu clock throttled", "warning", "thermal",
     "[  500.0] CPU3: Core temperature above threshold, cpu clock throttled"),
]


def _train() -> sk.Bundle:
    texts = OK + [b[0] for b in BAD]
    statuses = ["ok"] * len(OK) + [b[1] for b in BAD]
    cats = [()] * len(OK) + [(b[2],) for b in BAD]
    evidence = [()] * len(OK) + [(b[3],) for b in BAD]
    return sk.train(texts, statuses, cats, evidence=evidence, meta={"dataset": "unit"})


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    path = tmp_path / "m.joblib"
    sk.save(_train(), path)
    return path


def _ask(model: sk.SklearnModel, text: str) -> dict:
    delta = parse_delta(text)
    req = ModelRequest(system="", user="", prompt_id=None, delta=delta)
    reply = asyncio.run(model.complete(req))
    assert reply.data is not None
    return reply.data


def test_registry_name_loads_a_trained_file(model_path: Path) -> None:
    model = get_model(f"sklearn:{model_path}")
    assert isinstance(model, sk.SklearnModel)
    assert model.local is True and model.price_id is None
    assert model.name == f"sklearn:{model_path}"


def test_flags_a_problem_and_quotes_a_delta_line_verbatim(model_path: Path) -> None:
    model = sk.SklearnModel(str(model_path))
    text = "[  900.0] systemd[1]: Started Session 9.\n[  901.0] EDAC MC1: 1 UE memory read error on DIMM_C3"
    data = _ask(model, text)
    assert data["status"] != "ok"
    assert data["issues"]
    for issue in data["issues"]:
        assert issue["evidence"] in text.splitlines()
    assert 0.0 <= data["confidence"] <= 1.0


def test_quiet_boot_lines_are_ok(model_path: Path) -> None:
    data = _ask(sk.SklearnModel(str(model_path)), "[   9.0] systemd[1]: Started Journal Service.\n[   9.1] ACPI: Added _OSI(Module Device)")
    assert data == {"status": "ok", "issues": [], "confidence": data["confidence"]}


def test_empty_delta_is_ok(model_path: Path) -> None:
    assert sk.SklearnModel(str(model_path)).predict([])["status"] == "ok"


def test_bad_options_and_missing_files_are_usage_errors(model_path: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="threshold"):
        sk.SklearnModel(str(model_path), temperature=1)
    with pytest.raises(UsageError, match="not found"):
        sk.SklearnModel(str(tmp_path / "none.joblib"))
    with pytest.raises(UsageError, match="both ok and not-ok"):
        sk.train(OK, ["ok"] * len(OK), [()] * len(OK))


def test_without_categories_a_fallback_category_is_used() -> None:
    texts = OK + [b[0] for b in BAD]
    bundle = sk.train(texts, ["ok"] * len(OK) + ["warning"] * len(BAD), [()] * len(texts))
    assert bundle.categories == {} and bundle.category_default == sk.FALLBACK_CATEGORY


def test_default_model_trains_on_the_repo_datasets_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo_data = Path(sk.__file__).resolve().parents[2] / "datasets"
    if not any(repo_data.rglob("*.jsonl")):
        pytest.skip("the repository's datasets/ holds no cases yet")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = sk.default_model_path()
    assert first.exists() and first.parent == tmp_path / "tasseograph"
    assert sk.default_model_path() == first
    assert get_model("sklearn").name == "sklearn"
