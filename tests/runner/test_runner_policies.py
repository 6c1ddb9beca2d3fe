"""Backoff, circuit breaker, adaptive polling and budget arithmetic."""

from __future__ import annotations

import random

import pytest

from tasseograph.runner.backoff import Backoff, CircuitBreaker
from tasseograph.runner.budget import Budget, Spent
from tasseograph.runner.polling import PollingPolicy, host_fraction


def test_backoff_grows_caps_and_jitters() -> None:
    b = Backoff(base=5, cap=60, rng=random.Random(7))
    for attempt, ceiling in ((1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (12, 60)):
        delays = {b.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter


def test_breaker_opens_half_opens_and_closes() -> None:
    cb = CircuitBreaker(threshold=3, open_for=60)
    for _ in range(2):
        cb.failure(0)
    assert cb.allows(1) and cb.state == "closed"
    cb.failure(1)
    assert cb.state == "open" and not cb.allows(30)
    assert cb.allows(61) and cb.trial
    cb.failure(62)  # the trial failed: open again for a full period
    assert not cb.allows(100) and cb.allows(123)
    cb.success()
    assert cb.state == "closed" and cb.failures == 0


def test_breaker_fatal_error_opens_at_once_and_persists() -> None:
    cb = CircuitBreaker(threshold=5, open_for=60)
    cb.failure(10, fatal=True)
    again = CircuitBreaker.load(cb.dump(), threshold=5, open_for=60)
    assert again.state == "open" and again.opened_at == 10


def test_polling_healthy_spread_and_anomaly_window() -> None:
    p = PollingPolicy(healthy_min=900, healthy_max=1800, anomaly=300, anomaly_hold=3600)
    intervals = {p.interval(f"web{i}", None, 0) for i in range(50)}
    assert all(900 <= i <= 1800 for i in intervals) and len(intervals) == 50
    assert p.interval("web1", None, 0) == p.interval("web1", None, 99999)  # stable per host
    assert p.interval("web1", last_anomaly=1000, now=2000) == 300
    assert p.interval("web1", last_anomaly=1000, now=1000 + 3600) == 900 + 900 * host_fraction("web1")
    assert p.due("web1", last_check=None, last_anomaly=None, now=50) == 50  # new host: now
    assert p.due("web1", last_check=0, last_anomaly=None, now=50, urgent=True) == 50
    assert p.due("web1", last_check=1000, last_anomaly=1000, now=1100) == 1300
    assert PollingPolicy(adaptive=False).due("web1", 1000, None, 1100) == 1100


@pytest.mark.parametrize(("spent", "estimate", "ok"), [
    (Spent(0, 0), 1.0, True), (Spent(9.5, 9.5), 0.5, True), (Spent(9.5, 9.5), 0.6, False),
    (Spent(1, 99.9), 0.2, False),
])
def test_budget_allows(spent: Spent, estimate: float, ok: bool) -> None:
    assert Budget(daily_usd=10, monthly_usd=100).allows(spent, estimate) is ok


def test_budget_zero_means_no_cap() -> None:
    assert Budget().allows(Spent(1e9, 1e9), 1e9)
    assert Budget(daily_usd=10, monthly_usd=100).exhausted(Spent(10, 10)) == "day"
    assert Budget(daily_usd=10, monthly_usd=100).exhausted(Spent(1, 100)) == "month"
