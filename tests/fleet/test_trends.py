"""The rising-rate test on seeded flat and rising streams, the log-linear fit, and the forecast."""

from __future__ import annotations

import math
import random

import pytest

from tasseograph.fleet.counters import FleetCounters
from tasseograph.fleet.events import Observation, TrendRising
from tasseograph.fleet.history import DAY_S, HOUR_S, History
from tasseograph.fleet.trends import assess, fit_loglinear, forecast, laplace_test

T0 = 1_780_000_000.0
WEEK = 7 * DAY_S


def poisson_times(rng: random.Random, rate_per_h: float, start: float, end: float) -> list[float]:
    out, t = [], start
    while True:
        t += rng.expovariate(rate_per_h / HOUR_S)
        if t > end:
            return out
        out.append(t)


def ramp_times(rng: random.Random, per_day_start: float, growth_per_day: float, days: float) -> list[float]:
    """A rate growing by ``growth_per_day`` each day (thinning a homogeneous process)."""
    peak = per_day_start * growth_per_day**days / DAY_S
    b = math.log(growth_per_day) / DAY_S
    candidates = poisson_times(rng, peak * HOUR_S, 0.0, days * DAY_S)
    return [t for t in candidates if rng.random() < per_day_start / DAY_S * math.exp(b * t) / peak]


def test_laplace_statistic_on_hand_cases() -> None:
    assert laplace_test([1.0, 2.0, 3.0], 0.0, 4.0) == (0.0, 0.5)
    u, p = laplace_test([3.0, 3.5, 4.0], 0.0, 4.0)
    assert u == pytest.approx((3.5 - 2.0) / (4.0 * math.sqrt(1 / 36)))
    assert p == pytest.approx(0.5 * math.erfc(u / math.sqrt(2)))
    assert laplace_test([], 0.0, 4.0) == (0.0, 1.0)


def test_flat_streams_rarely_reject_and_rising_ones_almost_always_do() -> None:
    rng = random.Random(17)
    flat = [laplace_test(poisson_times(rng, 1.0, 0.0, WEEK), 0.0, WEEK)[1] for _ in range(400)]
    rising = [laplace_test(ramp_times(rng, 2.0, 2.0, 7.0), 0.0, WEEK)[1] for _ in range(200)]
    # Under a constant rate p is uniform: about 1% fall below 0.01 (binomial: > 10 of 400 has p < 0.002).
    assert sum(p < 0.01 for p in flat) <= 10
    assert sum(p < 0.5 for p in flat) == pytest.approx(200, abs=40)
    assert sum(p < 1e-4 for p in rising) >= 190


def test_log_linear_fit_recovers_a_constant_and_a_doubling_rate() -> None:
    rng = random.Random(5)
    flat = poisson_times(rng, 2.0, 0.0, WEEK)
    rate, b = fit_loglinear([(t, 1) for t in flat], 0.0, WEEK)
    assert rate * HOUR_S == pytest.approx(2.0, rel=0.15) and abs(b * DAY_S) < 0.1
    doubling = ramp_times(rng, 4.0, 2.0, 7.0)
    rate, b = fit_loglinear([(t, 1) for t in doubling], 0.0, WEEK)
    assert math.exp(b * DAY_S) == pytest.approx(2.0, rel=0.15)
    assert rate * DAY_S == pytest.approx(4.0 * 2.0**7, rel=0.25)


def test_forecast_solves_for_the_crossing() -> None:
    b = math.log(2) / DAY_S
    fc = forecast(1 / HOUR_S, b, now=T0, threshold=48, period_s=DAY_S)
    expected_now = 24 * 0.5 / math.log(2)  # the last day's integral of a rate doubling daily
    assert fc.expected_now == pytest.approx(expected_now)
    assert fc.hours_to_threshold == pytest.approx(24 * math.log2(48 / expected_now))
    assert fc.eta == pytest.approx(T0 + fc.hours_to_threshold * HOUR_S)
    assert forecast(1 / HOUR_S, 0.0, now=T0, threshold=48, period_s=DAY_S).hours_to_threshold is None
    assert forecast(3 / HOUR_S, 0.0, now=T0, threshold=48, period_s=DAY_S).hours_to_threshold == 0.0
    slow = forecast(1 / HOUR_S, math.log(1.01) / DAY_S, now=T0, threshold=480, period_s=DAY_S, horizon_h=240)
    assert slow.hours_to_threshold is None and slow.eta is None


def test_a_window_opened_by_the_first_error_leaves_that_error_out() -> None:
    history = History()
    for t in (0.0, 3_600.0, 7_200.0, 10_800.0):
        history.add(T0 + t)
    opened = assess(history, now=T0 + 14_400.0, since=None, lookback_s=WEEK, alpha=0.01, min_occurrences=2)
    watched = assess(history, now=T0 + 14_400.0, since=T0 - 60.0, lookback_s=WEEK, alpha=0.01, min_occurrences=2)
    assert opened.occurrences == 3 and watched.occurrences == 4
    at_arrival = assess(history, now=T0 + 10_800.0, since=T0 - 60.0, lookback_s=WEEK, alpha=0.01,
                        min_occurrences=2, exclude_last=True)
    assert at_arrival.occurrences == 3


def _replay(times: list[float], *, host: str = "db-17") -> list[TrendRising]:
    counters = FleetCounters()
    counters.see_host(host, T0)
    obs = [Observation(host, "edac.ce", "memory", "warning", T0 + t, {"dimm": "CPU1_DIMM_B2"}) for t in times]
    return [e for e in counters.observe_many(obs) if isinstance(e, TrendRising)]


def test_repeated_testing_of_stationary_streams_rarely_cries_rising() -> None:
    # Each stream is re-tested as its errors arrive for 30 days, as the runner would.
    rng = random.Random(23)
    false = sum(bool(_replay(poisson_times(rng, rate, 0.0, 30 * DAY_S))) for rate in (0.1, 0.5, 1.5) * 6)
    # 18 streams, 30 days each. Measured on 400 streams (0.05-3 per hour): 2 ever turned
    # rising; with alpha = 0.01, 60 of 200 did.
    assert false <= 2


def test_corrected_error_ramps_are_found_days_before_they_end() -> None:
    rng = random.Random(29)
    leads = []
    for _ in range(40):
        times = ramp_times(rng, 1.0, 2.0, 6.0)  # 1 a day doubling to ~64 a day, then the UE
        rising = _replay(times)
        assert rising, "a ramp went unnoticed"
        leads.append((T0 + 6 * DAY_S - rising[0].at) / HOUR_S)
    leads.sort()
    assert leads[len(leads) // 10] >= 24  # 90% of ramps: a trend at least a day before the end
    assert rising[0].trend.forecast is not None and rising[0].trend.growth_per_day > 1.3
