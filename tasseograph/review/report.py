"""What a review is: ranked, grouped items with their evidence and a next step (pydantic).

The same shape comes out of the offline digest and out of a model's review, with ``source``
saying which: a model's review is only ever labelled ``model`` when its reply was parsed and
checked; a failed call or an unreadable reply gives the offline review with ``fallback`` set.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class ReviewItem(_Model):
    """One thing to look at: a correlated group, or one host's device or signal."""

    rank: int
    title: str
    severity: str
    category: str
    hosts: list[str]
    devices: list[str] = Field(default_factory=list)
    finding_ids: list[str] = Field(default_factory=list)
    """The stored findings it rests on (``tasseograph findings show ID``)."""
    why: str
    """Why it ranks where it does (offline: severity, spread, recurrence, trend)."""
    evidence: list[str]
    """Kernel lines as the state stored them (every one resolves to a stored line)."""
    next_step: str
    """Read-only advice; nothing is run."""
    state: str = "open"
    """``open``, ``acknowledged`` (every open finding acknowledged) or ``resolved``."""
    labels: dict[str, str] = Field(default_factory=dict)
    """A group's shared labels (``rack``, ``switch``...)."""
    score: float | None = None
    """The offline ranking's score (None in a model's review)."""
    first_seen: float | None = None
    last_seen: float | None = None


class ReviewTemplate(_Model):
    """A template new to the fleet in the window."""

    template: str
    first_seen: float
    hosts: int
    lines: int


class ReviewSilentHost(_Model):
    """A host with no check for longer than the threshold."""

    host: str
    last_check: float
    last_status: str | None = None


class Review(_Model):
    """A fleet review for one window."""

    source: Literal["offline", "model"]
    """``offline``: the deterministic digest; ``model``: a model's checked reply."""
    since: float
    now: float
    items: list[ReviewItem]
    minor: list[ReviewItem] = Field(default_factory=list)
    """Offline: one-off warnings on one host, seen under 3 times, no trend (listed, not ranked)."""
    findings: int = 0
    """Findings in the window the review rests on."""
    suppressed: int = 0
    new_templates: list[ReviewTemplate] = Field(default_factory=list)
    templates_note: str = ""
    silent_hosts: list[ReviewSilentHost] = Field(default_factory=list)
    silent_after_s: float = 0.0
    model: str | None = None
    """The model asked (set on a fallback too, with ``fallback`` saying what went wrong)."""
    prompt: str | None = None
    fallback: str | None = None
    """Why the model's review is not shown (the offline digest is, instead)."""
    dropped: int = 0
    """Items of the model's reply dropped because their evidence did not resolve to stored lines."""
    dropped_titles: list[str] = Field(default_factory=list)
    left_out: list[ReviewItem] = Field(default_factory=list)
    """Model review: critical items of the offline ranking whose findings the model cited nowhere
    (shown apart, so a log line that talks the model out of an item cannot hide a failure)."""
    cost_usd: float = 0.0
    estimated_usd: float | None = None
    """The cost estimated before the call (input tokens estimated, output at its cap)."""
    plumbing: bool = False
    """True when the project's fake API server answered: plumbing, not a model's judgement."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types."""
        return self.model_dump(mode="json")
