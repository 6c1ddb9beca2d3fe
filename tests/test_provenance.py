"""Provenance: every field present, the dirty flag true to the tree, hashes that follow the bytes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

import tasseograph
from tasseograph import provenance as prov


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A one-commit git checkout holding a suite file."""
    root = tmp_path / "repo"
    (root / "evals").mkdir(parents=True)
    (root / "evals" / "s.toml").write_text('name = "s"\n', encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "one")
    return root


def test_every_required_field_is_there_and_is_json() -> None:
    p = prov.collect().as_dict()
    assert prov.missing_fields(p) == []
    assert json.loads(json.dumps(p)) == p
    assert datetime.strptime(p["generated_utc"], "%Y-%m-%dT%H:%M:%SZ")
    assert p["packages"]["tasseograph"] == tasseograph.__version__
    assert p["python"].count(".") == 2 and p["cpus"] >= 1 and p["host"]
    # This checkout is a git worktree: the commit is a real hash and the dirty flag a bool.
    assert len(p["commit"]) == 40 and isinstance(p["dirty"], bool)


def test_dirty_follows_the_tree(repo: Path) -> None:
    commit, dirty = prov.git_state(repo)
    assert len(commit) == 40 and dirty is False
    (repo / "evals" / "s.toml").write_text('name = "changed"\n', encoding="utf-8")
    assert prov.git_state(repo) == (commit, True)


def test_dirty_looks_at_the_whole_checkout_except_declared_outputs(repo: Path) -> None:
    (repo / "results").mkdir()
    (repo / "results" / "bench.json").write_text("{}", encoding="utf-8")
    assert prov.git_state(repo / "evals")[1] is True  # from a subfolder, an untracked file elsewhere counts
    assert prov.git_state(repo / "evals", ignore=["results"])[1] is False


def test_outside_a_checkout_the_commit_is_unknown(tmp_path: Path) -> None:
    assert prov.git_state(tmp_path) == ("unknown", None)


def test_suite_hash_and_its_checkout(repo: Path) -> None:
    suite = repo / "evals" / "s.toml"
    p = prov.collect(suite=suite)
    assert p.suite is not None
    assert p.suite["sha256"] == hashlib.sha256(suite.read_bytes()).hexdigest()
    assert p.suite["commit"] == prov.git_state(repo)[0] and p.suite["dirty"] is False
    assert f"sha256:{p.suite['sha256'][:12]}" in p.line()


def test_folder_hash_changes_with_content_and_names(tmp_path: Path) -> None:
    d = tmp_path / "data"
    d.mkdir()
    (d / "a.log").write_bytes(b"[ 1.0] EDAC MC0: 1 CE\n")
    first = prov.tree_sha256(d)
    (d / "a.log").write_bytes(b"[ 1.0] EDAC MC0: 2 CE\n")
    second = prov.tree_sha256(d)
    (d / "a.log").rename(d / "b.log")
    assert len({first, second, prov.tree_sha256(d)}) == 3


def test_command_line_names_the_program_and_masks_secrets() -> None:
    argv = ["/opt/venv/bin/tasseograph-eval", "run", "--model", "openai:m?api_key=sk-live-0123456789&max_tokens=9",
            "--token=abc123", "two words"]
    line = prov.command_line(argv)
    assert line.startswith("tasseograph-eval run --model ")
    assert "sk-live" not in line and "abc123" not in line and "max_tokens=9" in line
    assert "'two words'" in line


def test_importing_and_collecting_loads_only_the_standard_library() -> None:
    code = ("import sys, tasseograph; before = set(sys.modules); "
            "import tasseograph.provenance as p; p.collect(); "
            "print(sorted({m.split('.')[0] for m in set(sys.modules) - before}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out.replace("'", '"')))
    assert loaded - set(sys.stdlib_module_names) - {"tasseograph"} == set()
