"""Suggested next steps (``data/next_steps.toml``): what an operator might check for an item.

The text is advice printed beside a review item; the review never runs it. A signal-specific
entry wins over its category's.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasseograph.errors import ConfigError
from tasseograph.schema import Category
from tasseograph.tomlfile import read_toml

NEXT_STEPS_FILE = Path(__file__).resolve().parent.parent / "data" / "next_steps.toml"
FALLBACK_STEP = "Read the evidence lines and the host's recent kernel log; no stored advice for this kind of finding."
"""Step for a category the file does not know (a plugin's, say)."""


class NextSteps(BaseModel):
    """The file: one step per category, and per signal id where one needs its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: dict[str, str] = Field(default_factory=dict)
    signal: dict[str, str] = Field(default_factory=dict)

    def step(self, category: str, signal: str = "") -> str:
        """The step for a finding of ``category`` raised by ``signal`` (the signal's own first)."""
        return self.signal.get(signal) or self.category.get(category) or FALLBACK_STEP


@cache
def load_next_steps(path: Path = NEXT_STEPS_FILE) -> NextSteps:
    """Read and validate the next-steps file (cached).

    Raises:
        ConfigError: the file is unreadable, not TOML, has unknown keys, or misses a category.
    """
    try:
        steps = NextSteps.model_validate(read_toml(path, what="next-steps file"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
    missing = sorted(set(get_args(Category)) - set(steps.category))
    if missing:
        raise ConfigError(f"{path}: no next step for categories {', '.join(missing)}")
    return steps
