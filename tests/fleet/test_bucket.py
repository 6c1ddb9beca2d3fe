"""The mcelog/rasdaemon leaky bucket: fills, overflows and empties, drains by whole periods."""

from __future__ import annotations

from tasseograph.fleet.bucket import LeakyBucket

DAY = 86_400.0


def test_overflows_on_the_threshold_th_event_and_empties() -> None:
    bucket = LeakyBucket(threshold=10, period_s=DAY)
    fired = [bucket.add(1_000.0 + i * 600) for i in range(10)]
    assert fired == [False] * 9 + [True]
    assert bucket.count == 0 and bucket.overflows == 1
    # It fires again only after another ten.
    assert not any(bucket.add(8_000.0 + i) for i in range(9))
    assert bucket.add(9_000.0)


def test_nine_a_day_never_overflows_ten_per_day() -> None:
    bucket = LeakyBucket(threshold=10, period_s=DAY)
    assert not any(bucket.add(day * DAY + hour * 2_600.0) for day in range(30) for hour in range(9))


def test_drain_takes_threshold_times_elapsed_periods_and_only_after_a_full_period() -> None:
    bucket = LeakyBucket(threshold=10, period_s=DAY)
    bucket.add(0.0, 8)
    bucket.add(DAY - 1, 1)  # less than a period since the last drain: nothing leaks
    assert bucket.count == 9
    bucket.add(1.5 * DAY, 1)  # 1.5 periods: 15 leak, floor at 0, then +1
    assert bucket.count == 1 and bucket.drained_at == 1.5 * DAY


def test_a_burst_in_one_event_counts_whole() -> None:
    bucket = LeakyBucket(threshold=50, period_s=DAY)
    assert not bucket.add(0.0, 49)
    assert bucket.add(10.0, 1)


def test_round_trip() -> None:
    bucket = LeakyBucket(threshold=10, period_s=DAY)
    bucket.add(5.0, 3)
    assert LeakyBucket.from_dict(bucket.to_dict()) == bucket
