"""The local model: catalogue where a signal fires, the classifier for the rest, abstention, defaults."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tasseograph.errors import UsageError
from tasseograph.models import local as local_mod
from tasseograph.models import local_data
from tasseograph.models.base import ModelRequest
from tasseograph.models.linear import feature_text
from tasseograph.models.local import LocalModel
from tasseograph.models.local_bundle import read_bundle, write_bundle
from tasseograph.models.local_data import default_sources
from tasseograph.models.local_train import train_local
from tasseograph.models.local_tune import CRITICAL_PRECISION_TARGET, THRESHOLD_GRID, WARNING_PAGED_TARGET
from tasseograph.models.registry import get_model
from tasseograph.parsing import parse_delta
from tasseograph.pipeline import analyze
from tasseograph.schema import NOT_JUDGED
from tasseograph.signals import classify, detect

UNKNOWN_FAULT = "[ 8812.004113] qzx_hba 0000:5e:00.0: firmware fatal error detected, adapter reset failed"
NVME_TIMEOUT = "[ 8810.120044] nvme nvme1: I/O 77 QID 4 timeout, aborting"
UE = "[ 8811.500000] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0x3f1 offset:0x0 grain:32)"
ROUTINE = "[ 8800.000000] systemd[1]: Started Session 12 of user root."
GIBBERISH = "[ 8813.000000] zzq frobnicator qwerty plonk"


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle trained on the repository's datasets/ (the no-../shared default), once per module."""
    path = tmp_path_factory.mktemp("local") / "repo.json"
    write_bundle(train_local(default_sources(["repo"])), path)
    return path


def _model(path: Path, text_for_threshold: str | None = None, **options: object) -> LocalModel:
    """The model; with ``text_for_threshold`` its alarm threshold sits just under that line's score,
    so a test checks what happens at the threshold, not what the weights happen to be."""
    model = LocalModel(str(path), **options)  # type: ignore[arg-type]
    if text_for_threshold is not None:
        model.alarm_threshold = model.bundle.alarm.probability(feature_text(text_for_threshold.split("] ", 1)[1])) - 1e-6
    return model


def _predict(model: LocalModel, *lines: str) -> dict:
    delta = parse_delta("\n".join(lines))
    return model.predict(delta.lines, detect(delta.lines))


def test_a_line_no_signal_covers_is_judged_by_the_classifier_and_quoted_verbatim(bundle_path: Path) -> None:
    assert classify(UNKNOWN_FAULT.split("] ", 1)[1]) is None
    data = _predict(_model(bundle_path, UNKNOWN_FAULT), ROUTINE, UNKNOWN_FAULT)
    (issue,) = data["issues"]
    assert issue["evidence"] == UNKNOWN_FAULT
    assert "no catalogue signal knows" in issue["summary"] and "trained on repo (" in issue["summary"]
    assert data["status"] == issue["severity"]
    strict = _model(bundle_path)
    strict.alarm_threshold = 1.0
    assert _predict(strict, ROUTINE, UNKNOWN_FAULT)["issues"] == []


def test_where_the_catalogue_fires_it_sets_the_severity(bundle_path: Path) -> None:
    model = _model(bundle_path, UNKNOWN_FAULT, critical_threshold=THRESHOLD_GRID[0] / 100)  # would page if allowed
    alone = _predict(model, UNKNOWN_FAULT)
    assert alone["issues"] and alone["issues"][0]["severity"] == "critical"
    with_signal = _predict(model, UE, UNKNOWN_FAULT)  # a catalogue signal (memory) fired in this delta
    categories = {i["category"] for i in with_signal["issues"]}
    assert "memory" not in categories  # the signal reports memory itself
    assert all(i["severity"] == "warning" for i in with_signal["issues"])


def test_known_noise_and_catalogue_lines_are_never_judged(bundle_path: Path) -> None:
    model = _model(bundle_path)
    model.alarm_threshold = 1e-9  # anything judged would be flagged
    delta = parse_delta("\n".join([ROUTINE, NVME_TIMEOUT]))
    data = model.predict(delta.lines, ())  # the NVMe signal muted: its line is still the catalogue's
    assert data["issues"] == [] and data["unjudged"] == []
    off = LocalModel(str(bundle_path), catalogue=False)
    off.alarm_threshold = 1e-9
    judged = off.predict(delta.lines, detect(delta.lines))
    assert [i["evidence"] for i in judged["issues"]] == [NVME_TIMEOUT]


def test_a_line_of_unknown_words_is_not_judged_and_the_verdict_says_so(bundle_path: Path) -> None:
    model = _model(bundle_path)
    data = _predict(model, ROUTINE, GIBBERISH)
    assert data["unjudged"] == [1] and data["issues"] == []
    verdict = analyze("\n".join([ROUTINE, GIBBERISH]), model=model)
    assert verdict.status == "ok"
    assert [(n.line, n.scope, n.judged) for n in verdict.novel] == [(GIBBERISH, "model", False)]
    from tasseograph.cli import format_text

    assert NOT_JUDGED in format_text(verdict) and GIBBERISH in format_text(verdict)


def test_thresholds_were_chosen_out_of_fold_within_targets(bundle_path: Path) -> None:
    bundle = read_bundle(bundle_path)
    t = bundle.tuning
    assert t.folds >= 2 and bundle.alarm_threshold in THRESHOLD_GRID
    assert t.false_alarm_rate == 0.0  # no ok training case flagged out of fold
    if bundle.critical_threshold is not None:
        assert t.critical_precision is not None and t.critical_precision >= CRITICAL_PRECISION_TARGET
        assert t.warnings_paged_critical is not None and t.warnings_paged_critical <= WARNING_PAGED_TARGET
    assert [s.name for s in bundle.trained_on] == ["repo"] and bundle.trained_on[0].formats["dmesg"] > 0


def test_registry_name_and_the_reply_path(bundle_path: Path) -> None:
    model = get_model(f"local:{bundle_path}")
    assert isinstance(model, LocalModel) and model.name == f"local:{bundle_path}" and model.local
    delta = parse_delta("\n".join([ROUTINE, GIBBERISH]))
    reply = asyncio.run(model.complete(ModelRequest(system="", user="", prompt_id=None, delta=delta)))
    assert reply.unjudged == (1,) and reply.data is not None and "unjudged" not in reply.data


def test_bad_options_and_files_are_one_line_usage_errors(bundle_path: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="bad option"):
        LocalModel(str(bundle_path), temperature=1)
    with pytest.raises(UsageError, match="only without a bundle path"):
        LocalModel(str(bundle_path), sources=["repo"])
    with pytest.raises(UsageError, match="not found"):
        LocalModel(str(tmp_path / "none.json"))
    junk = tmp_path / "junk.json"
    junk.write_text('{"format": 1}', encoding="utf-8")
    with pytest.raises(UsageError, match="not a tasseograph local-model bundle"):
        LocalModel(str(junk))
    with pytest.raises(UsageError, match="local model training: unknown or absent source"):
        LocalModel(sources=["holdout"])


def test_default_trains_once_on_the_repo_set_without_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(local_data, "shared_dir", lambda: None)
    calls = []
    real = local_mod.train_local
    monkeypatch.setattr(local_mod, "train_local", lambda sources: calls.append(sources) or real(sources))
    first = LocalModel()
    assert first.name == "local" and first.bundle.describe().startswith("repo (")
    assert len(list((tmp_path / "tasseograph").glob("local-*.json"))) == 1
    second = LocalModel()
    assert len(calls) == 1 and second.bundle == first.bundle


def test_large_deltas_pick_the_same_lines_through_the_bulk_matcher(bundle_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    mix = [ROUTINE, NVME_TIMEOUT, UNKNOWN_FAULT, GIBBERISH, UE, "[ 8814.000000] mydrv: queue 3 rebalanced"]
    delta = parse_delta("\n".join(mix[i % len(mix)].replace("8814", str(9000 + i)) for i in range(2_400)))
    model = _model(bundle_path)
    hits = detect(delta.lines)
    bulk = model._candidates(delta.lines, hits)
    monkeypatch.setattr(local_mod, "SMALL_DELTA_LINES", 10**9)
    per_line = model._candidates(delta.lines, hits)
    assert bulk == per_line and {m.split(":")[0] for _, m in bulk} == {"qzx_hba 0000", "zzq frobnicator qwerty plonk", "mydrv"}
