"""The review scorer's rules on hand-made reviews and ground truth (the end-to-end figure is
``tests/benchmarks/test_review_bench.py``)."""

from __future__ import annotations

from typing import Any

from tasseograph.eval.fleetscore import GroundTruth
from tasseograph.review.report import Review, ReviewItem
from tasseograph.review.score import incidents_of_day, noise_of_day, score_review

DAY = 86_400.0
T0 = 1_796_000_000.0


def truth() -> GroundTruth:
    incident: dict[str, Any] = {"kind": "rack_link", "category": "network", "start": T0 + 100, "end": T0 + 200}
    return GroundTruth.model_validate({
        "seed": 1, "hosts": 10, "days": 3, "start": T0 - DAY, "end": T0 + 2 * DAY, "interval_s": 300,
        "mix": {"quiet": 10}, "sources": [],
        "incidents": [
            {**incident, "id": "LINK", "hosts": ["web-1", "web-2", "web-3"]},
            {"id": "RAMP", "kind": "dimm_ramp", "category": "memory", "hosts": ["db-1"], "start": T0 - DAY,
             "end": T0 + 1.5 * DAY, "occurrences": [T0 - DAY, T0 + 5000], "ue_at": T0 + 1.5 * DAY},
            {"id": "OLD", "kind": "recurring_reset", "category": "storage", "hosts": ["db-2"],
             "start": T0 - DAY, "end": T0 - DAY + 10},
        ],
        "noise": [
            {"id": "ONE", "kind": "one_off", "category": "thermal", "hosts": ["web-9"], "at": T0 + 50},
            {"id": "CHRONIC", "kind": "chronic_ce", "category": "memory", "hosts": ["db-7"], "at": T0 - DAY,
             "until": T0 + 2 * DAY},
            {"id": "LATER", "kind": "one_off", "category": "driver", "hosts": ["web-8"], "at": T0 + 1.5 * DAY},
        ],
    })


def item(rank: int, category: str, hosts: list[str]) -> ReviewItem:
    return ReviewItem(rank=rank, title=f"{category} on {hosts}", severity="warning", category=category, hosts=hosts,
                      why="", evidence=["x"], next_step="y")


def test_the_day_holds_incidents_and_noise_with_lines_in_it() -> None:
    t = truth()
    assert [i.id for i in incidents_of_day(t, T0, T0 + DAY)] == ["LINK", "RAMP"]
    assert [n.id for n in noise_of_day(t, T0, T0 + DAY)] == ["ONE", "CHRONIC"]


def test_incidents_in_top10_noise_and_precision() -> None:
    items = [item(1, "memory", ["db-1"]), item(2, "thermal", ["web-9"]), item(3, "network", ["web-2", "web-3"]),
             item(4, "memory", ["db-99"])]
    review = Review(source="offline", since=T0, now=T0 + DAY, items=items)
    score = score_review(review, truth(), day_start=T0, day_end=T0 + DAY)
    assert (score.incidents, score.incidents_in_top10) == (2, 2)
    assert score.incident_ranks == {"LINK": 3, "RAMP": 1}
    assert score.noise_items_in_top10 == 1 and score.noise_ranked == ["ONE"]
    assert score.precision_at_10 == 0.5 and score.missed == []


def test_a_wrong_category_or_an_item_past_k_does_not_count() -> None:
    items = [item(1, "storage", ["db-1"]), *[item(n, "driver", [f"x-{n}"]) for n in range(2, 11)],
             item(11, "network", ["web-1"])]
    score = score_review(Review(source="offline", since=T0, now=T0 + DAY, items=items), truth(),
                         day_start=T0, day_end=T0 + DAY)
    assert score.incidents_in_top10 == 0 and score.missed == ["LINK", "RAMP"] and score.precision_at_10 == 0.0
    empty = score_review(Review(source="offline", since=T0, now=T0 + DAY, items=[]), truth(),
                         day_start=T0, day_end=T0 + DAY)
    assert empty.precision_at_10 is None and empty.items_in_top10 == 0
