"""Suite files: validation errors name file and key; optional shared datasets are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasseograph.errors import ConfigError
from tasseograph.eval.suite import load_suite, resolve_datasets
from tests.conftest import REPO

EVALS = REPO / "evals"


def test_the_shipped_suites_are_valid() -> None:
    for path in EVALS.glob("*.toml"):
        suite = load_suite(path)
        assert suite.datasets and suite.models


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text('name = "s"\nmodels = ["rules"]\n[[datasets]]\nname = "x"\npath = "x.jsonl"\nwindw = 5\n')
    with pytest.raises(ConfigError, match=r"s\.toml: datasets\[0\] \(x\)\.windw: Extra inputs"):
        load_suite(p)


def test_bad_toml_and_bad_reference(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text("name = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_suite(p)
    p.write_text('name = "s"\n[[models]]\nname = "sklearn"\ntrain = "nope"\n[[datasets]]\npath = "a.jsonl"\n')
    with pytest.raises(ConfigError, match="unknown dataset 'nope'"):
        load_suite(p)


def test_optional_shared_dataset_is_skipped_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        tiny_jsonl: Path) -> None:
    monkeypatch.delenv("TASSEOGRAPH_SHARED", raising=False)  # and tmp_path has no checkout, so no ../shared
    p = tmp_path / "s.toml"
    p.write_text(f'name = "s"\nmodels = ["rules"]\n[[datasets]]\npath = "{tiny_jsonl}"\n'
                 '[[datasets]]\nname = "bgl"\npath = "{shared}/datasets/loghub/BGL/BGL_2k.log"\noptional = true\n')
    resolved = resolve_datasets(load_suite(p), p)
    assert list(resolved.datasets) == ["tiny"]
    assert "skipped dataset 'bgl'" in resolved.skipped[0] and "TASSEOGRAPH_SHARED" in resolved.skipped[0]
    p.write_text(p.read_text().replace("optional = true", "optional = false"))
    with pytest.raises(ConfigError, match="dataset 'bgl': shared data not found"):
        resolve_datasets(load_suite(p), p)


def test_option_sets_per_model_and_local_trained_on_a_suite_dataset(tmp_path: Path, tiny_jsonl: Path) -> None:
    from rich.console import Console

    from tasseograph.eval.session import Flags, execute

    body = (f'name = "s"\n[[datasets]]\nname = "tiny"\npath = "{tiny_jsonl}"\nsplit = "test"\ntest_fraction = 0.5\n'
            '[[options]]\nlabel = "default"\n[[options]]\nlabel = "alone"\nmerge_signals = false\n'
            '[[models]]\nname = "rules"\noption_sets = ["default"]\n'
            '[[models]]\nname = "local"\ntrain = "tiny"\n')
    p = tmp_path / "s.toml"
    p.write_text(body + 'option_sets = ["nope"]\n')
    with pytest.raises(ConfigError, match="unknown option set 'nope'"):
        load_suite(p)
    p.write_text(body)
    out = execute(load_suite(p), p, tmp_path / "out", None, Flags(), Console(quiet=True))
    runs = sorted((s["model"], s["options_label"]) for s in out.summaries)
    assert runs == [("local[tiny:train]", "alone"), ("local[tiny:train]", "default"), ("rules", "default")]
    # trained on the train half only: scoring the test half is not contamination
    assert not any(n.startswith("CONTAMINATED") for s in out.summaries for n in s["notes"])
