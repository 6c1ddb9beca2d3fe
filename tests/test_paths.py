"""``{repo}`` and ``{shared}`` come from the suite file's checkout, not from the installed package."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tasseograph.errors import UsageError
from tasseograph.eval.cli import main
from tasseograph.paths import checkout_root, expand, shared_dir
from tests.conftest import REPO
from tests.eval.conftest import CASES, write_cases

SUITE = """name = "clone"
models = ["rules"]

[[datasets]]
name = "own"
path = "{repo}/datasets"

[[datasets]]
name = "shared-dev"
path = "{shared}/datasets/dev.jsonl"
optional = true
"""


def _clone(root: Path, cases: list[tuple[str, str, list[str], str, list[str]]]) -> Path:
    """A second checkout (a real ``git init``) with its own labelled cases and suite file."""
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "datasets").mkdir()
    write_cases(root / "datasets" / "own.jsonl", cases)
    (root / "evals").mkdir()
    (root / "evals" / "s.toml").write_text(SUITE, encoding="utf-8")
    return root


def test_a_second_clone_scores_its_own_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASSEOGRAPH_SHARED", raising=False)
    clone = _clone(tmp_path / "work" / "clone2", CASES[:3])
    assert checkout_root(clone / "evals") == clone.resolve() != REPO.resolve()
    result = CliRunner().invoke(main, ["run", str(clone / "evals" / "s.toml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    runs = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["runs"]
    assert [(r["dataset"], r["n_cases"]) for r in runs] == [("own", 3)]  # the clone's 3 cases, not this repo's
    assert Path(runs[0]["dataset_path"]).is_relative_to(clone.resolve())


def test_shared_is_found_beside_the_suites_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASSEOGRAPH_SHARED", raising=False)
    clone = _clone(tmp_path / "work" / "clone2", CASES)
    suite = clone / "evals" / "s.toml"
    assert expand("{shared}/datasets/dev.jsonl", suite) is None
    (tmp_path / "work" / "shared" / "datasets").mkdir(parents=True)
    assert expand("{shared}/datasets/dev.jsonl", suite) == (tmp_path / "work" / "shared" / "datasets" / "dev.jsonl")
    assert expand("../datasets/own.jsonl", suite) == clone.resolve() / "datasets" / "own.jsonl"


@pytest.mark.parametrize("make", ["missing", "empty folder"])
def test_a_shared_env_var_pointing_at_nothing_is_a_one_line_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: str) -> None:
    target = tmp_path / "nowhere"
    if make == "empty folder":
        target.mkdir()
    monkeypatch.setenv("TASSEOGRAPH_SHARED", str(target))
    with pytest.raises(UsageError, match="TASSEOGRAPH_SHARED=.*(does not exist|holds no datasets/)"):
        shared_dir(None)
    clone = _clone(tmp_path / "clone", CASES)
    result = CliRunner().invoke(main, ["run", str(clone / "evals" / "s.toml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: TASSEOGRAPH_SHARED=")
    assert not (tmp_path / "out" / "summary.json").exists()


def test_the_env_var_wins_over_the_folder_beside_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clone = _clone(tmp_path / "work" / "clone2", CASES)
    (tmp_path / "work" / "shared" / "datasets").mkdir(parents=True)
    (tmp_path / "elsewhere" / "datasets").mkdir(parents=True)
    monkeypatch.setenv("TASSEOGRAPH_SHARED", str(tmp_path / "elsewhere"))
    assert shared_dir(checkout_root(clone)) == (tmp_path / "elsewhere").resolve()


def test_repo_outside_any_checkout_is_an_error(tmp_path: Path) -> None:
    suite = tmp_path / "loose" / "s.toml"
    suite.parent.mkdir()
    assert checkout_root(suite.parent) is None
    with pytest.raises(UsageError, match=r"'\{repo\}' needs the suite file inside a checkout"):
        expand("{repo}/datasets", suite)
