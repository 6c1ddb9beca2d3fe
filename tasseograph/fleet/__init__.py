"""Fleet signals over time: pure logic, no storage and no clock of its own.

* ``clock``: a wall-clock time for every line, from the lines (boot anchors for monotonic stamps).
* ``counters``: counts per (host, device, signal) and per threshold unit, with mcelog/rasdaemon
  leaky-bucket thresholds (``thresholds``, ``bucket``), rising-rate tests and forecasts
  (``trends``) and recurring patterns (``patterns``); events in ``events``.
* ``inventory`` and ``correlation``: K hosts sharing a label value that show the same thing
  within a window form one correlated group.
* ``monitor``: all of it behind one call per delta, with one JSON-able state.

Every time is Unix seconds passed in by the caller, so a simulated clock replays a month in
seconds and the same input gives the same output.
"""

from __future__ import annotations

from tasseograph.fleet.bucket import LeakyBucket
from tasseograph.fleet.clock import HostClock, LineTime, anchor_from_pair
from tasseograph.fleet.correlation import CorrelatedGroup, Correlator, GroupChange, HostEvent, correlate
from tasseograph.fleet.counters import FleetCounters, FleetEvent, Track, device_identity
from tasseograph.fleet.events import Observation, PatternFound, ThresholdCrossed, TrendRising
from tasseograph.fleet.history import History, Rates
from tasseograph.fleet.inventory import Inventory, InventoryError, load_inventory, parse_csv
from tasseograph.fleet.monitor import FleetMonitor, errors_in, host_events, observations
from tasseograph.fleet.patterns import Pattern, episode_starts, find_pattern
from tasseograph.fleet.settings import (
    CorrelationSettings,
    CounterSettings,
    FleetSettings,
    PatternSettings,
    TrendSettings,
)
from tasseograph.fleet.thresholds import ThresholdRule, load_thresholds
from tasseograph.fleet.trends import Forecast, Trend, assess, fit_loglinear, forecast, laplace_test

__all__ = [
    "CorrelatedGroup",
    "CorrelationSettings",
    "Correlator",
    "CounterSettings",
    "FleetCounters",
    "FleetEvent",
    "FleetMonitor",
    "FleetSettings",
    "Forecast",
    "GroupChange",
    "History",
    "HostClock",
    "HostEvent",
    "Inventory",
    "InventoryError",
    "LeakyBucket",
    "LineTime",
    "Observation",
    "Pattern",
    "PatternFound",
    "PatternSettings",
    "Rates",
    "ThresholdCrossed",
    "ThresholdRule",
    "Track",
    "Trend",
    "TrendRising",
    "TrendSettings",
    "anchor_from_pair",
    "assess",
    "correlate",
    "device_identity",
    "episode_starts",
    "errors_in",
    "find_pattern",
    "fit_loglinear",
    "forecast",
    "host_events",
    "laplace_test",
    "load_inventory",
    "load_thresholds",
    "observations",
    "parse_csv",
]
