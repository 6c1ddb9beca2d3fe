"""The fleet logic's settings: pydantic models with a documented default for every key.

The runner can embed ``FleetSettings`` as a config section as it is (``extra="forbid"``);
times are seconds.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tasseograph.fleet.history import DAY_S, WEEK_S
from tasseograph.fleet.thresholds import ThresholdRule, load_thresholds

COHORT_LABELS: tuple[str, ...] = ("model", "firmware", "bios", "kernel", "os", "vendor", "sku")
"""Inventory labels that name a population rather than a place (see ``CorrelationSettings``)."""
LABEL_ORDER: tuple[str, ...] = ("chassis", "switch", "pdu", "rack", "row", "room", "site", *COHORT_LABELS)
"""Most specific first: breaks ties between label values that hold as many hosts."""


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class TrendSettings(_Settings):
    """The rising-rate test and the forecast (``fleet.trends``)."""

    alpha: float = Field(1e-4, gt=0, lt=1)
    """One-sided significance level of the Laplace test (small: it is re-run at every new error)."""
    clear_alpha: float = Field(0.05, gt=0, lt=1)
    """A rising stream stops being rising only when its p-value climbs above this (hysteresis)."""
    min_occurrences: int = Field(5, ge=2)
    """Fewer occurrences (minute bins with errors) in the window are never rising."""
    lookback_s: float = Field(WEEK_S, gt=0)
    """Longest window the test and the fit look back over."""
    horizon_h: float = Field(30 * 24.0, gt=0)
    """No forecast beyond this many hours."""


class PatternSettings(_Settings):
    """Recurring patterns (``fleet.patterns``)."""

    episode_gap_s: float = Field(900.0, gt=0)
    """Occurrences closer than this are one episode."""
    smoothing: float = Field(0.3, gt=0, le=1)
    """Weight of the newest gap in the smoothed period."""
    max_gaps: int = Field(20, ge=2)
    """Gaps the confidence looks at."""
    min_gaps: int = Field(4, ge=1)
    """Gaps needed before a pattern can be recurring (five episodes)."""
    min_confidence: float = Field(0.65, ge=0, le=1)
    """Confidence needed to call it recurring (see ``fleet.patterns`` for why 0.65)."""


class CounterSettings(_Settings):
    """Per-device counters, thresholds, trends and patterns (``fleet.counters``)."""

    thresholds: tuple[ThresholdRule, ...] = Field(default_factory=load_thresholds)
    """Threshold rules (default: ``tasseograph/data/thresholds.toml``, mcelog's and rasdaemon's)."""
    retention_s: float = Field(WEEK_S + DAY_S, gt=0)
    """History kept per stream (at least the trend lookback)."""
    trend: TrendSettings = Field(default_factory=TrendSettings)
    pattern: PatternSettings = Field(default_factory=PatternSettings)


class CorrelationSettings(_Settings):
    """Cross-host correlation over the inventory (``fleet.correlation``)."""

    min_hosts: int = Field(3, ge=2)
    """K: hosts sharing a label value that must show the same key within the window."""
    window_s: float = Field(600.0, gt=0)
    """Longest time from a group's first event to its K-th host's (inclusive)."""
    by: Literal["category", "signal"] = "category"
    """What "the same" means: the category (memory, storage, network...) or the signal id."""
    label_order: tuple[str, ...] = LABEL_ORDER
    """Tie-break between label values with as many hosts: earlier is more specific."""
    cohort_labels: tuple[str, ...] = COHORT_LABELS
    """Labels naming a population (model, firmware, kernel...): a group on one needs the
    concentration to be unlikely by chance too (``max_chance``)."""
    max_chance: float = Field(0.01, gt=0, le=1)
    """Largest hypergeometric probability of seeing that many affected hosts in a cohort by chance."""
    retain_s: float = Field(DAY_S, gt=0)
    """Events and groups kept behind the newest event time, so late (catch-up) events still join."""


class FleetSettings(_Settings):
    """Everything the fleet logic can be told."""

    counters: CounterSettings = Field(default_factory=CounterSettings)
    correlation: CorrelationSettings = Field(default_factory=CorrelationSettings)
