"""The domain check: a learned model scored on another kind of log says so."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from tasseograph.eval.cli import main
from tasseograph.eval.datasets import load_dataset
from tasseograph.eval.domain import NOTE_PREFIX, DataProfile, check_domain, domain_note

BGL_LIKE = [
    "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",
    "- 1117838573 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.53.276129 R02-M1-N0-C:J12-U11 RAS KERNEL INFO generating core.2275",
    "KERNDTLB 1117838976 2005.06.03 R23-M0-NE-C:J05-U01 2005-06-03-15.49.36.156884 R23-M0-NE-C:J05-U01 RAS KERNEL FATAL data TLB error interrupt",
    "- 1117842440 2005.06.03 R21-M1-N6-C:J08-U11 2005-06-03-16.47.20.730545 R21-M1-N6-C:J08-U11 RAS KERNEL INFO 63543 double-hummer alignment exceptions",
]


@dataclass
class Trained:
    """What the check reads from a learned model (its training formats and words); not a model."""

    training_formats: dict[str, int]
    known_words: frozenset[str]
    name: str = "learned"


def _bgl(tmp_path: Path) -> Path:
    path = tmp_path / "BGL_tiny.log"
    path.write_bytes("\r\n".join(BGL_LIKE).encode())
    return path


def test_profile_counts_formats_and_words(tmp_path: Path) -> None:
    profile = DataProfile.of(load_dataset(_bgl(tmp_path)))
    assert set(profile.formats) == {"plain"} and sum(profile.formats.values()) == 4
    assert profile.words["kernel"] == 4 and "tlb" in profile.words


def test_foreign_format_or_unknown_words_mean_trained_elsewhere() -> None:
    data = DataProfile(Counter({"plain": 90, "dmesg": 10}), Counter({"nvme": 5, "timeout": 5}))
    dmesg_model = Trained({"dmesg": 1000, "syslog": 200}, frozenset({"nvme", "timeout"}))
    check = check_domain(dmesg_model, data)
    assert check is not None and check.foreign_format_share == 0.9 and check.word_coverage == 1.0 and check.elsewhere
    same_format = Trained({"dmesg": 500, "plain": 500}, frozenset({"nvme", "timeout"}))
    assert not check_domain(same_format, data).elsewhere  # type: ignore[union-attr]
    few_words = Trained({"dmesg": 500, "plain": 500}, frozenset({"zz", "nvme"}))
    sparse = DataProfile(Counter({"plain": 90, "dmesg": 10}), Counter({"nvme": 3, "timeout": 7}))
    assert check_domain(few_words, sparse).elsewhere  # type: ignore[union-attr]
    assert check_domain(object(), data) is None  # rules and API models were not trained


def test_eval_run_warns_when_a_learned_model_is_scored_on_another_domain(
        runner: CliRunner, tiny_jsonl: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "local.json"
    res = runner.invoke(main, ["train", "--model", "local", "--dataset", str(tiny_jsonl), "--split", "all",
                               "--out", str(bundle)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["run", "--dataset", str(_bgl(tmp_path)), "--model", f"local:{bundle}",
                               "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert f"warning: {NOTE_PREFIX}" in " ".join(res.output.split())
    same = runner.invoke(main, ["run", "--dataset", str(tiny_jsonl), "--model", f"local:{bundle}",
                                "--out", str(tmp_path / "out2")])
    assert NOTE_PREFIX not in same.output and "CONTAMINATED" in same.output  # its own training data


def test_note_names_what_the_model_was_trained_on(tmp_path: Path) -> None:
    ds = load_dataset(_bgl(tmp_path))
    note = domain_note(Trained({"dmesg": 100}, frozenset({"kernel"})), ds, "datasets")
    assert note is not None and note.startswith(NOTE_PREFIX) and "trained on datasets" in note and "100%" in note
