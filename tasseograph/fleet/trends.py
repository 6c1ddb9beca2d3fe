"""Is a device's error rate rising, and when will it reach its threshold?

The test: the **Laplace trend test** (Cox & Lewis 1966) for a Poisson process observed over
``[start, end]``. With occurrence times ``t_i`` (``n`` of them) and ``T = end - start``,

    U = (mean(t_i - start) - T/2) / (T * sqrt(1 / (12 n)))

is standard normal under a constant rate; the rate is **rising** when the one-sided p-value
``P(Z >= U)`` is below ``alpha``. It is the locally most powerful test against a log-linear
rate ``exp(a + b t)``, the same model the forecast fits.

Choices that make the verdict trustworthy when it is re-evaluated at every new error:

* Errors cluster (field studies: mostly hard faults, in bursts), so occurrences are counted
  once per minute bin: a burst of 300 corrected errors in one minute is one occurrence, not
  300 independent pieces of evidence. Rates and thresholds still count every error.
* ``alpha`` defaults to 1e-4, not 0.05: the test is re-run as errors arrive, and repeated
  looks at a stationary stream find a "significant" rise sooner or later. Measured with this
  code on stationary Poisson streams (0.05 to 3 errors an hour, 30 days each, re-tested as
  errors arrive): at 1e-4, 2 of 400 streams ever turned rising; at 0.01, 60 of 200. The
  corrected-error ramps of the tests are still found days before they end.
* The window starts when the host was first observed (or 7 days back), not at the device's
  first error: an error-free week followed by a burst is a rise. When the host's start is not
  known the first error opens the window and is left out of the sum (the standard correction
  for a window that starts at an event). At an evaluation made at an error's arrival the
  window ends at that error and it is left out likewise.

The forecast fits the log-linear rate by maximum likelihood to the error counts in the window
and solves for the moment the expected count in a trailing ``period_s`` reaches the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tasseograph.fleet.history import DAY_S, HOUR_S, History, Rates

_X_LIMIT = 60.0
"""Bound on ``b * T`` in the fit: beyond it the rate change over the window exceeds e^60."""
_BISECT_STEPS = 48
"""Halvings of the 120-wide bracket: 120 / 2^48 is below 1e-12."""


def laplace_test(times: Sequence[float], start: float, end: float) -> tuple[float, float]:
    """The Laplace statistic ``U`` and the one-sided p-value of a rising rate.

    Args:
        times: occurrence times inside ``[start, end]``.
        start: when observation began.
        end: when observation ended (now).

    Returns:
        ``(U, p)``; ``(0.0, 1.0)`` when there is no occurrence or no time span.
    """
    n, span = len(times), end - start
    if n == 0 or span <= 0:
        return 0.0, 1.0
    u = (sum(times) / n - start - span / 2) / (span * math.sqrt(1 / (12 * n)))
    return u, 0.5 * math.erfc(u / math.sqrt(2))  # P(Z >= u)


def fit_loglinear(occurrences: Sequence[tuple[float, int]], start: float, end: float) -> tuple[float, float]:
    """Maximum-likelihood log-linear rate ``lambda(t) = lambda_end * exp(b (t - end))``.

    Args:
        occurrences: ``(time, count)`` pairs inside ``[start, end]``.
        start: when observation began.
        end: when observation ended.

    Returns:
        ``(lambda_end, b)``: the fitted rate at ``end`` (events per second) and its growth
        constant (per second; 0 for a constant rate).
    """
    n = sum(c for _, c in occurrences)
    span = end - start
    if n == 0 or span <= 0:
        return 0.0, 0.0
    share = sum((t - start) * c for t, c in occurrences) / (n * span)  # mean position, 0..1
    x = _solve_shape(min(max(share, 1e-9), 1 - 1e-9))
    b = x / span
    return n / span * _scale(x), b


def _shape(x: float) -> float:
    """Mean position (0..1) of events under a rate growing by ``e^x`` over the window."""
    if abs(x) < 1e-6:
        return 0.5 + x / 12
    return 1 / (1 - math.exp(-x)) - 1 / x


def _scale(x: float) -> float:
    """Rate at the window's end over the mean rate, for growth ``e^x``."""
    if abs(x) < 1e-9:
        return 1.0
    return x / (1 - math.exp(-x))


def _solve_shape(share: float) -> float:
    """The ``x`` with ``_shape(x) == share``, by bisection (``_shape`` rises monotonically)."""
    lo, hi = -_X_LIMIT, _X_LIMIT
    if share <= _shape(lo):
        return lo
    if share >= _shape(hi):
        return hi
    for _ in range(_BISECT_STEPS):
        mid = (lo + hi) / 2
        if _shape(mid) < share:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class Forecast:
    """When a unit's errors are expected to reach its threshold, under the fitted rate."""

    threshold: int
    period_s: float
    expected_now: float
    """Expected errors in the trailing period now, under the fitted rate."""
    hours_to_threshold: float | None
    """0 when the expected count is already at the threshold; None when the fitted rate does
    not reach it within ``horizon_h`` (a flat or falling rate below the threshold)."""
    eta: float | None
    """Unix time of that moment (None likewise)."""
    horizon_h: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return dict(self.__dict__)


def forecast(rate_end: float, b: float, *, now: float, threshold: int, period_s: float,
             window_s: float | None = None, horizon_h: float = 30 * 24.0) -> Forecast:
    """Time until the expected count in a trailing ``period_s`` reaches ``threshold``.

    Args:
        rate_end: fitted rate now (events per second).
        b: fitted growth constant (per second).
        now: the time the rate was fitted at.
        threshold: the rule's threshold.
        period_s: the rule's period.
        window_s: span the rate was fitted over (default: a whole period); the fitted rate is
            not extrapolated back before it.
        horizon_h: no forecast beyond this many hours.
    """
    fitted = period_s if window_s is None else min(period_s, window_s)
    expected = _integral(rate_end, b, fitted)
    hours: float | None
    if expected >= threshold:
        hours = 0.0
    elif b <= 0 or rate_end <= 0:
        hours = None
    else:
        # A whole period ahead of a rate growing as e^{b t}: solve e^{b h} * full = threshold.
        hours = max(0.0, math.log(threshold / _integral(rate_end, b, period_s)) / b / HOUR_S)
        if hours > horizon_h:
            hours = None
    eta = None if hours is None else now + hours * HOUR_S
    return Forecast(threshold, period_s, expected, hours, eta, horizon_h)


def _integral(rate_end: float, b: float, span: float) -> float:
    """Events expected in the last ``span`` seconds under ``rate_end * e^{b (t - end)}``."""
    x = b * span
    if abs(x) < 1e-9:
        return rate_end * span
    return rate_end * span * -math.expm1(-x) / x


@dataclass(frozen=True)
class Trend:
    """The trend of one stream at one moment: rates, the rising test, the forecast."""

    at: float
    rates: Rates
    occurrences: int
    """Occurrences (minute bins with errors) the test used."""
    window_s: float
    statistic: float
    """Laplace ``U``."""
    p_value: float
    rising: bool
    growth_per_day: float
    """Fitted rate multiplier per day (1.0: flat; 2.0: doubling daily)."""
    forecast: Forecast | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {"at": self.at, "rates": self.rates.to_dict(), "occurrences": self.occurrences,
                "window_s": self.window_s, "statistic": self.statistic, "p_value": self.p_value,
                "rising": self.rising, "growth_per_day": self.growth_per_day,
                "forecast": None if self.forecast is None else self.forecast.to_dict()}


def assess(history: History, *, now: float, since: float | None, lookback_s: float, alpha: float,
           min_occurrences: int, exclude_last: bool = False, threshold: tuple[int, float] | None = None,
           horizon_h: float = 30 * 24.0) -> Trend:
    """The trend of ``history`` at ``now`` (see the module docstring for every rule).

    Args:
        history: the stream's binned events.
        now: end of the window.
        since: when the host was first observed (None: the stream's first event opens the window).
        lookback_s: longest window (7 days by default in the settings).
        alpha: significance level of the one-sided test.
        min_occurrences: fewer occurrences than this are never "rising".
        exclude_last: the evaluation is made at an event's arrival: leave that event's bin out.
        threshold: ``(threshold, period_s)`` of the stream's rule, to forecast against.
        horizon_h: longest forecast.
    """
    start = now - lookback_s if since is None else max(now - lookback_s, since)
    occ = list(history.occurrences(start, now))
    if since is None and occ and history.first_at is not None and history.first_at >= start:
        start = occ[0][0]
        occ = occ[1:]  # the event that opened the window says nothing about the rate
    if exclude_last and occ:
        occ = occ[:-1]
    occ = [(t, c) for t, c in occ if start <= t <= now]
    u, p = laplace_test([t for t, _ in occ], start, now)
    rate_end, b = fit_loglinear(occ, start, now)
    fc = None
    if threshold is not None:
        fc = forecast(rate_end, b, now=now, threshold=threshold[0], period_s=threshold[1], window_s=now - start,
                      horizon_h=horizon_h)
    return Trend(
        at=now, rates=history.rates(now), occurrences=len(occ), window_s=now - start, statistic=u,
        p_value=p, rising=len(occ) >= min_occurrences and p < alpha,
        growth_per_day=math.exp(min(b * DAY_S, 50.0)), forecast=fc,
    )
