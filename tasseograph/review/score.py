"""Scoring a review against a fleet replay's ground truth: are the day's incidents on top, is the noise out?

The rules, stated once:

* **The day.** Incidents whose lines overlap ``[day_start, day_end]`` (any occurrence, or the
  span from start to end), and noise events whose lines fall in it.
* **Match.** A review item matches an injected incident (or a noise event) when its category
  is the incident's and its hosts (a group's members) include one of the incident's hosts.
  Time is not compared: the review's window already bounds it (and a replay run in one pass
  stamps every finding with the pass's time).
* ``incidents_in_top10``: the day's incidents that some item among the first ``k`` (10) matches.
* ``noise_items_in_top10``: items among the first ``k`` that match a noise event and no incident.
* ``precision_at_10``: items among the first ``k`` that match an incident / items among them
  (None when the review ranks nothing).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from tasseograph.eval.fleetscore import GroundTruth, TruthIncident, TruthNoise
from tasseograph.review.report import Review, ReviewItem

TOP_K = 10


class ReviewScore(BaseModel):
    """How a review did on one day of a replay."""

    model_config = ConfigDict(extra="forbid")

    day_start: float
    day_end: float
    k: int = TOP_K
    incidents: int
    """Injected incidents with lines in the day."""
    incidents_in_top10: int
    noise_events: int
    """Noise events with lines in the day."""
    noise_items_in_top10: int
    items_in_top10: int
    precision_at_10: float | None
    incident_ranks: dict[str, int | None] = Field(default_factory=dict)
    """Per incident of the day: the rank of the first item matching it (None: not in the top k)."""
    missed: list[str] = Field(default_factory=list)
    noise_ranked: list[str] = Field(default_factory=list)
    """Noise events an item in the top k matched."""


def _in_day(times: Sequence[float], start: float, end: float) -> bool:
    return any(start <= t <= end for t in times)


def incidents_of_day(truth: GroundTruth, start: float, end: float) -> list[TruthIncident]:
    """Incidents with an occurrence in ``[start, end]``, or whose span covers it."""
    return [i for i in truth.incidents
            if _in_day([i.start, i.end, *i.occurrences, *([i.ue_at] if i.ue_at else [])], start, end)
            or (i.start <= start and i.end >= end)]


def noise_of_day(truth: GroundTruth, start: float, end: float) -> list[TruthNoise]:
    """Noise events with a line in ``[start, end]`` (a chronic stream: its span overlaps it)."""
    return [n for n in truth.noise if n.at <= end and (n.until or n.at) >= start]


def _matches(item: ReviewItem, category: str, hosts: Sequence[str]) -> bool:
    return item.category == category and bool(set(item.hosts) & set(hosts))


def score_review(review: Review, truth: GroundTruth, *, day_start: float, day_end: float, k: int = TOP_K
                 ) -> ReviewScore:
    """Score the first ``k`` items of ``review`` against the incidents and noise of one day."""
    top = review.items[:k]
    incidents = incidents_of_day(truth, day_start, day_end)
    noise = noise_of_day(truth, day_start, day_end)
    ranks: dict[str, int | None] = {}
    for inc in incidents:
        ranks[inc.id] = next((i.rank for i in top if _matches(i, inc.category, inc.hosts)), None)
    hits = sum(1 for i in top if any(_matches(i, inc.category, inc.hosts) for inc in incidents))
    noisy = [i for i in top if not any(_matches(i, inc.category, inc.hosts) for inc in incidents)
             and any(_matches(i, n.category, n.hosts) for n in noise)]
    noise_ranked = sorted({n.id for n in noise for i in noisy if _matches(i, n.category, n.hosts)})
    return ReviewScore(
        day_start=day_start, day_end=day_end, k=k, incidents=len(incidents),
        incidents_in_top10=sum(1 for r in ranks.values() if r is not None), noise_events=len(noise),
        noise_items_in_top10=len(noisy), items_in_top10=len(top),
        precision_at_10=round(hits / len(top), 3) if top else None, incident_ranks=ranks,
        missed=sorted(i for i, r in ranks.items() if r is None), noise_ranked=noise_ranked)
