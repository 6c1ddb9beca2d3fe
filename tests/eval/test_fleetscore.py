"""Fleet replay scoring on small hand-built cases (scoring code, not model quality)."""

from __future__ import annotations

import pytest

from tasseograph.eval.fleetscore import (
    GroundTruth,
    Notification,
    TruthIncident,
    TruthNoise,
    duplicate_alerts,
    score_replay,
)

H = 3_600.0
TRUTH = GroundTruth(
    seed=1, hosts=6, days=2.0, start=0.0, end=2 * 86_400.0, interval_s=300.0,
    mix={"quiet": 4, "moderate": 1, "chatty": 1},
    incidents=[
        TruthIncident(id="INC-1", kind="rack_link", category="network", hosts=["a1", "a2", "a3", "a4"],
                      start=10 * H, end=10 * H + 90, group={"label": "switch", "value": "sw-a"}),
        TruthIncident(id="INC-2", kind="dimm_ramp", category="memory", hosts=["b1"], start=0.0, end=40 * H,
                      ue_at=40 * H, device={"dimm": "CPU1_DIMM_B2"}),
        TruthIncident(id="INC-3", kind="recurring_reset", category="storage", hosts=["c1"], start=1 * H,
                      end=30 * H, period_s=6 * H),
    ],
    noise=[TruthNoise(id="NOISE-1", kind="one_off", category="network", hosts=["c1"], at=20 * H),
           TruthNoise(id="NOISE-2", kind="chronic_ce", category="memory", hosts=["d1"], at=0.0, until=47 * H)],
    sources=["datasets/dmesg-real/dev.jsonl"],
)


def note(at: float, kind: str, key: str, hosts: list[str], category: str | None, resolved: bool = False) -> Notification:
    return Notification(at=at, kind=kind, key=key, hosts=hosts, category=category, resolved=resolved)


def test_a_perfect_run() -> None:
    notes = [
        note(10 * H + 60, "group", "g1", ["a1", "a2", "a3"], "network"),
        note(12 * H, "trend", "t1", ["b1"], "memory"),
        note(40 * H, "finding", "f1", ["b1"], "memory"),
        note(8 * H, "pattern", "p1", ["c1"], "storage"),
    ]
    s = score_replay(TRUTH, notes, per_delta_alerts=120)
    assert (s.incident_recall, s.incident_precision, s.correlated_groups_recall) == (1.0, 1.0, 1.0)
    assert s.trend_lead_time_h == {"INC-2": 28.0} and s.trend_lead_time_h_median == 28.0
    assert (s.notifications, s.notifications_per_day, s.notification_reduction) == (4, 2.0, 30.0)
    assert s.duplicate_alerts == 0 and s.noise_notified == 0 and s.missed == []
    assert s.incident_notifications == {"INC-1": 1, "INC-2": 2, "INC-3": 1}


def test_misses_noise_and_wrong_categories_cost_recall_and_precision() -> None:
    notes = [
        note(10 * H + 30, "alert", "x1", ["a1"], "network"),            # rack event, but not as a group
        note(20 * H + 10, "alert", "x2", ["c1"], "network"),            # the one-off noise
        note(5 * H, "alert", "x3", ["b1"], "storage"),                  # wrong category for the ramp
        note(35 * H, "threshold", "x4", ["b1"], None),                  # no category: matches the ramp
    ]
    s = score_replay(TRUTH, notes)
    assert s.incident_recall == pytest.approx(2 / 3) and s.missed == ["INC-3"]
    assert s.incident_precision == pytest.approx(2 / 4)
    assert s.correlated_groups_recall == 0.0 and s.noise_notified == 1
    assert s.trend_lead_time_h == {"INC-2": 5.0} and s.notification_reduction is None


def test_a_chronic_stream_is_noise_for_its_whole_span() -> None:
    s = score_replay(TRUTH, [note(30 * H, "threshold", "c", ["d1"], "memory")])
    assert s.noise_notified == 1 and s.incident_precision == 0.0


def test_a_group_needs_k_of_the_incident_hosts_and_the_right_time() -> None:
    two = [note(10 * H + 60, "group", "g", ["a1", "a2", "z9"], "network")]
    assert score_replay(TRUTH, two).correlated_groups_recall == 0.0
    late = [note(12 * H, "group", "g", ["a1", "a2", "a3"], "network")]
    assert score_replay(TRUTH, late).correlated_groups_recall == 0.0
    assert score_replay(TRUTH, late, late_s=3 * H).correlated_groups_recall == 1.0


def test_lead_time_is_zero_when_nothing_came_before_the_uncorrected_error() -> None:
    s = score_replay(TRUTH, [note(40 * H + 5, "finding", "f", ["b1"], "memory")])
    assert s.trend_lead_time_h == {"INC-2": 0.0} and s.incident_recall == pytest.approx(1 / 3)


def test_duplicates_are_repeats_of_a_firing_key() -> None:
    notes = [
        note(1, "alert", "k", ["a1"], "network"),
        note(2, "alert", "k", ["a1"], "network"),                  # duplicate
        note(3, "alert", "k", ["a1"], "network", resolved=True),
        note(4, "alert", "k", ["a1"], "network"),                  # fired again after resolving: fine
        note(5, "alert", "other", ["a1"], "network"),
    ]
    assert duplicate_alerts(notes) == 1
    assert score_replay(TRUTH, notes).notifications == 4


def test_empty_runs_and_empty_truths_give_undefined_ratios() -> None:
    s = score_replay(TRUTH, [])
    assert (s.incident_recall, s.incident_precision, s.notifications_per_day) == (0.0, None, 0.0)
    empty = TRUTH.model_copy(update={"incidents": [], "noise": []})
    s = score_replay(empty, [note(1, "alert", "k", ["a1"], None)])
    assert (s.incident_recall, s.incident_precision, s.trend_lead_time_h_median) == (None, 0.0, None)
