"""Dataset readers: JSONL, Loghub windows (counts from loghub/README.md), log folders, splits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasseograph.errors import InputError, UsageError
from tasseograph.eval.datasets import apply_split, detect_kind, load_dataset, tag_severity


def test_jsonl_cases(tiny_jsonl: Path) -> None:
    ds = load_dataset(tiny_jsonl)
    assert ds.kind == "jsonl" and len(ds.cases) == 8 and ds.n_positive == 5
    mem = next(c for c in ds.cases if c.id == "mem-ue")
    assert mem.status == "critical" and mem.categories == ("memory",)
    assert all(e in mem.text.splitlines() for e in mem.evidence)


def test_jsonl_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "x", "label": {"status": "ok"}}\n{"id": "b", "text": "y", "label": {"status": "fine"}}\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:2: .*label\.status"):
        load_dataset(bad)


def test_folder_of_jsonl_files_prefixes_ids(tmp_path: Path, tiny_jsonl: Path) -> None:
    d = tmp_path / "set"
    d.mkdir()
    (d / "a.jsonl").write_text(tiny_jsonl.read_text())
    (d / "b.jsonl").write_text(tiny_jsonl.read_text())
    ds = load_dataset(d)
    assert len(ds.cases) == 16 and "a/mem-ue" in {c.id for c in ds.cases}


def test_missing_and_unknown_paths(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="dataset not found"):
        load_dataset(tmp_path / "nope.jsonl")
    odd = tmp_path / "odd.log"
    odd.write_text("hello\n")
    with pytest.raises(UsageError, match="not a JSONL case file nor a Loghub"):
        detect_kind(odd)


def test_split_is_stratified_disjoint_and_complete(tiny_jsonl: Path) -> None:
    ds = load_dataset(tiny_jsonl)
    train, test = apply_split(ds, "train", 0.34), apply_split(ds, "test", 0.34)
    ids_train, ids_test = {c.id for c in train.cases}, {c.id for c in test.cases}
    assert not ids_train & ids_test and ids_train | ids_test == {c.id for c in ds.cases}
    assert {c.status for c in test.cases} == {"ok", "warning", "critical"}
    assert test.name.endswith("[test]")


def test_tag_severity_mapping() -> None:
    assert tag_severity("-") == "ok"
    assert tag_severity("KERNDTLB") == "critical"
    assert tag_severity("APPSEV") == "warning"
    assert tag_severity("KERNMNTF") == "warning"


def test_bgl_time_windows_match_the_readme(shared: Path) -> None:
    ds = load_dataset(shared / "datasets/loghub/BGL/BGL_2k.log")
    assert ds.kind == "loghub" and ds.name == "BGL_2k/5min"
    assert len(ds.cases) == 1940 and ds.n_positive == 127
    assert sum(t != "-" for c in ds.cases for t in c.line_tags) == 143
    assert not ds.categories_known
    # CRLF endings gone, and the label field never reaches the text a model sees.
    assert not any("\r" in c.text for c in ds.cases)
    burst = max(ds.cases, key=lambda c: len(c.line_tags))
    assert not any(line.startswith(("KERNDTLB ", "- ")) for line in burst.text.splitlines())
    assert 0 < (ds.active_share or 0) < 1


def test_bgl_fixed_windows_match_the_readme(shared: Path) -> None:
    ds = load_dataset(shared / "datasets/loghub/BGL/BGL_2k.log", window="lines", window_lines=100)
    assert len(ds.cases) == 20 and ds.n_positive == 12
    test = apply_split(ds, "test", 0.2)
    assert [c.id for c in test.cases] == [c.id for c in ds.cases[-4:]]  # chronological: the last 20%


def test_thunderbird_has_no_positive(shared: Path) -> None:
    ds = load_dataset(shared / "datasets/loghub/Thunderbird/Thunderbird_2k.log")
    assert len(ds.cases) == 558 and ds.n_positive == 0
    assert any("undefined" in n for n in ds.notes)


def test_noise_folder(shared: Path) -> None:
    folder = shared / "datasets/dmesg-real/noise"
    ds = load_dataset(folder)
    index = [json.loads(x) for x in (folder / "index.jsonl").read_text().splitlines() if x.strip()]
    assert ds.kind == "folder" and len(ds.cases) == len(index)
    assert ds.n_positive == sum(r["has_hardware_problem"] for r in index)
    assert not ds.severity_known
    chunked = load_dataset(folder, chunk_lines=200)
    assert len(chunked.cases) > len(ds.cases)
    assert all(e in c.text.splitlines() for c in chunked.cases for e in c.evidence)
