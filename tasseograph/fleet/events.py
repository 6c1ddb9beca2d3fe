"""What the fleet logic reports: typed events that say what, where and how fast.

Every event is a frozen dataclass with a ``kind``, a ``summary()`` an operator can read, and a
``to_dict()`` of plain JSON types (times are Unix seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from tasseograph.fleet.history import HOUR_S, Rates
from tasseograph.fleet.patterns import Pattern
from tasseograph.fleet.trends import Trend


@dataclass(frozen=True)
class Observation:
    """One or more events of a catalogue signal on one host's device at one time.

    Example:
        >>> Observation("db-17", "edac.ce", "memory", "warning", at=1_780_000_000.0,
        ...             device={"dimm": "CPU1_DIMM_B2", "socket": "1"})
    """

    host: str
    signal_id: str
    category: str
    severity: str
    at: float
    """When it was logged (Unix seconds; from ``HostClock.stamp``, never from the reading time)."""
    device: Mapping[str, str] = field(default_factory=dict)
    """Device fields (``dimm``, ``socket``, ``nvme``, ``pci``...) as the catalogue extracts them."""
    count: int = 1
    """Errors it stands for (``EDAC MC0: 4 CE ...`` is 4)."""


def describe_device(device: Mapping[str, str]) -> str:
    """A device dict as a summary shows it: the value alone, or ``key value`` pairs."""
    if len(device) == 1:
        return next(iter(device.values()))
    return " ".join(f"{k} {v}" for k, v in device.items())


def device_key(device: Mapping[str, str]) -> str:
    """``k=v,...`` sorted: the device part of an event's ``key``."""
    return ",".join(f"{k}={device[k]}" for k in sorted(device))


def _hours(seconds: float) -> str:
    """``45 min``, ``6 h``, ``5.5 h``, ``3 d``: a duration as a summary shows it."""
    hours = seconds / HOUR_S
    if hours < 1:
        return f"{seconds / 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f}".removesuffix(".0") + " h"
    return f"{hours / 24:.1f}".removesuffix(".0") + " d"


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class ThresholdCrossed:
    """A unit's leaky bucket overflowed: ``threshold`` errors within its period.

    ``summary()``: ``DIMM CPU1_DIMM_B2 on db-17: 14 corrected memory errors in 24 h, threshold 10 ...``
    """

    host: str
    rule_id: str
    unit: str
    what: str
    device: dict[str, str]
    category: str
    signals: tuple[str, ...]
    """Signal ids that fed the unit's counter."""
    at: float
    count: int
    """Errors in the trailing period at ``at`` (every error counted)."""
    threshold: int
    period_s: float
    crossing: int
    """The bucket's overflow number (1 the first time)."""
    rates: Rates
    trend: Trend
    source: str
    kind: Literal["threshold"] = "threshold"

    @property
    def key(self) -> str:
        """Identity of the fault: later crossings of the same unit share it (one finding, updated)."""
        return f"threshold|{self.host}|{self.rule_id}|{device_key(self.device)}"

    def summary(self) -> str:
        """One line: what, where, how fast."""
        text = (f"{self.unit} {describe_device(self.device)} on {self.host}: {self.count} {self.what} "
                f"in {_hours(self.period_s)}, threshold {self.threshold}; "
                f"{self.rates.per_hour['1h']:.3g}/h over the last hour")
        return text + _trend_note(self.trend)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return _plain(self) | {"rates": self.rates.to_dict(), "trend": self.trend.to_dict(),
                               "key": self.key, "summary": self.summary()}


@dataclass(frozen=True)
class TrendRising:
    """A stream's rate turned rising (the Laplace test; see ``fleet.trends``)."""

    host: str
    track: str
    """``rule`` (a threshold unit: DIMM, socket...) or ``signal`` (a signal on one device)."""
    name: str
    """The rule id or the signal id."""
    unit: str
    what: str
    device: dict[str, str]
    category: str
    at: float
    trend: Trend
    kind: Literal["trend"] = "trend"

    @property
    def key(self) -> str:
        """Identity of the stream: a stream that rises again later shares it."""
        return f"trend|{self.host}|{self.track}|{self.name}|{device_key(self.device)}"

    def summary(self) -> str:
        """One line: what is rising, where, and when it reaches its threshold."""
        where = f"{self.unit} {describe_device(self.device)}" if self.device else self.unit
        return (f"{where} on {self.host}: {self.what} rising, {self.trend.rates.counts['24h']} in 24 h "
                f"({self.trend.rates.counts['7d']} in 7 d)" + _trend_note(self.trend))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return _plain(self) | {"trend": self.trend.to_dict(), "key": self.key, "summary": self.summary()}


@dataclass(frozen=True)
class PatternFound:
    """A signal on one device recurs at a steady period."""

    host: str
    signal_id: str
    category: str
    device: dict[str, str]
    at: float
    pattern: Pattern
    kind: Literal["pattern"] = "pattern"

    @property
    def key(self) -> str:
        """Identity of the stream."""
        return f"pattern|{self.host}|{self.signal_id}|{device_key(self.device)}"

    def summary(self) -> str:
        """One line: what recurs, how often, when next."""
        p = self.pattern
        where = f" {describe_device(self.device)}" if self.device else ""
        period = _hours(p.period_s or 0.0)
        nxt = f"next expected ~{_when(p.next_at)}" if p.next_at is not None else "no next time"
        return (f"{self.signal_id}{where} on {self.host} recurs every ~{period} ({p.episodes} times); "
                f"{nxt}, confidence {p.confidence:.2f}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return _plain(self) | {"pattern": self.pattern.to_dict(), "key": self.key, "summary": self.summary()}


def _trend_note(trend: Trend) -> str:
    note = ""
    if trend.rising:
        note += f"; rising x{trend.growth_per_day:.2g}/day (Laplace p={trend.p_value:.1g})"
    fc = trend.forecast
    if fc is not None and fc.hours_to_threshold is not None:
        per = f"{fc.threshold}/{_hours(fc.period_s)}"
        if fc.hours_to_threshold == 0:
            note += f"; fitted rate {fc.expected_now:.3g}/{_hours(fc.period_s)}, at or over {per}"
        else:
            note += f"; fitted rate reaches {per} in ~{fc.hours_to_threshold:.0f} h"
    return note


def _plain(event: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in event.__dict__.items():
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[name] = value
    return out
