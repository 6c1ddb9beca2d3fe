"""Recurring patterns: episodes, the smoothed period, the next occurrence, and a confidence Poisson noise does not earn."""

from __future__ import annotations

import random

import pytest

from tasseograph.fleet.patterns import episode_starts, find_pattern

HOUR = 3_600.0
GAP = 900.0


def test_bursts_closer_than_the_gap_are_one_episode() -> None:
    times = [0.0, 30.0, 95.0, 5_000.0, 5_010.0, 20_000.0]
    assert episode_starts(times, GAP) == [0.0, 5_000.0, 20_000.0]


def test_a_steady_six_hour_reset_is_recurring_with_its_period_and_next_time() -> None:
    rng = random.Random(3)
    starts = [k * 6 * HOUR + rng.uniform(-600, 600) for k in range(8)]
    p = find_pattern(starts, gap_s=GAP)
    assert p.recurring and p.episodes == 8
    assert p.period_s == pytest.approx(6 * HOUR, rel=0.05)
    assert p.next_at == pytest.approx(starts[-1] + p.period_s)
    assert 0.6 < p.confidence < 1.0


def test_the_period_is_smoothed_towards_recent_gaps() -> None:
    starts = [0.0, 2 * HOUR, 4 * HOUR, 6 * HOUR, 10 * HOUR]
    p = find_pattern(starts, gap_s=GAP, smoothing=0.5)
    assert p.period_s == pytest.approx(0.5 * 4 * HOUR + 0.5 * 2 * HOUR)


def test_four_gaps_are_needed_and_poisson_streams_stay_below_the_bar() -> None:
    steady = [k * 6 * HOUR for k in range(6)]
    assert not find_pattern(steady[:4], gap_s=GAP).recurring  # three gaps: confidence 0.6
    assert find_pattern(steady[:5], gap_s=GAP).recurring
    rng = random.Random(11)
    confident, naive = [], []
    for _ in range(200):  # memoryless streams, one event per episode gap on average, 3 days
        times, t = [], 0.0
        while t < 3 * 86_400:
            t += rng.expovariate(1 / GAP)
            times.append(t)
        starts = episode_starts(times, GAP)
        confident.append(find_pattern(starts, gap_s=GAP).confidence)
        naive.append(find_pattern(starts, gap_s=0.0).confidence)
    assert max(confident) < 0.65 and sum(confident) / 200 < 0.3
    # Merging bursts makes raw gaps look regular: why the episode gap is subtracted.
    assert sum(naive) / 200 > 0.4


def test_nothing_to_say_about_one_episode() -> None:
    p = find_pattern([42.0], gap_s=GAP)
    assert (p.period_s, p.next_at, p.recurring, p.confidence) == (None, None, False, 0.0)
