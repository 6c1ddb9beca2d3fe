"""The next-steps data file: every entry loads, names a real category or catalogue signal, and reads as advice."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from tasseograph.errors import ConfigError
from tasseograph.review.nextsteps import FALLBACK_STEP, load_next_steps
from tasseograph.schema import Category
from tasseograph.signals import load_signals

STEPS = load_next_steps()
SIGNAL_IDS = {s.id for s in load_signals()}


@pytest.mark.parametrize("category", get_args(Category))
def test_every_category_has_a_step(category: str) -> None:
    step = STEPS.step(category)
    assert step != FALLBACK_STEP and 60 < len(step) < 400 and step.endswith(".")


@pytest.mark.parametrize("signal", sorted(STEPS.signal))
def test_every_signal_entry_names_a_catalogue_signal_and_wins_over_its_category(signal: str) -> None:
    assert signal in SIGNAL_IDS
    category = next(s.category for s in load_signals() if s.id == signal)
    assert STEPS.step(category, signal) == STEPS.signal[signal] != STEPS.step(category)
    assert 60 < len(STEPS.signal[signal]) < 400


def test_an_unknown_category_gets_the_fallback() -> None:
    assert STEPS.step("plugin-category", "plugin.signal") == FALLBACK_STEP


@pytest.mark.parametrize("text,message", [
    ("[category]\nmemory = 'x'\n", "no next step for categories"),
    ("[category]\n[bogus]\n", "bogus"),
    ("not toml [", "not valid TOML"),
])
def test_a_broken_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "next_steps.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_next_steps(path)
