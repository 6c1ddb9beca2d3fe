"""A bounded, time-binned history of one stream of events (errors of one device, resets of one disk).

Events are counted in bins of ``BIN_S`` seconds keyed by an integer bin index, so the history of
a CMCI storm (thousands of errors a minute) costs one entry per minute, JSON round trips are
exact, and the same events give the same history in any arrival order.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

BIN_S = 60.0
"""Resolution of every fleet history: events within one minute share a bin."""
HOUR_S = 3_600.0
DAY_S = 86_400.0
WEEK_S = 7 * DAY_S
RATE_WINDOWS: tuple[tuple[str, float], ...] = (("1h", HOUR_S), ("24h", DAY_S), ("7d", WEEK_S))
"""The trailing windows rates are reported over."""


def bin_of(at: float) -> int:
    """The bin index of Unix time ``at``."""
    return int(at // BIN_S)


@dataclass(frozen=True)
class Rates:
    """Event counts in the trailing 1 h / 24 h / 7 d and the rate per hour in each."""

    counts: dict[str, int]
    per_hour: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {"counts": dict(self.counts), "per_hour": dict(self.per_hour)}


@dataclass
class History:
    """Event counts per minute over a bounded span (``retention_s``), plus all-time totals."""

    bins: list[int] = field(default_factory=list)
    """Bin indices with at least one event, ascending."""
    counts: list[int] = field(default_factory=list)
    """Events in each of ``bins``."""
    total: int = 0
    """Events ever added (pruning does not lower it)."""
    first_at: float | None = None
    last_at: float | None = None

    def add(self, at: float, count: int = 1) -> bool:
        """Count ``count`` events at ``at``; True when they opened a new bin."""
        b = bin_of(at)
        i = bisect.bisect_left(self.bins, b)
        new = i == len(self.bins) or self.bins[i] != b
        if new:
            self.bins.insert(i, b)
            self.counts.insert(i, count)
        else:
            self.counts[i] += count
        self.total += count
        self.first_at = at if self.first_at is None else min(self.first_at, at)
        self.last_at = at if self.last_at is None else max(self.last_at, at)
        return new

    def count(self, since: float, until: float) -> int:
        """Events from the bin holding ``since`` to the bin holding ``until``, both included."""
        lo, hi = self._span(since, until)
        return sum(self.counts[lo:hi])

    def occurrences(self, since: float, until: float) -> Iterator[tuple[float, int]]:
        """``(bin middle, events)`` of every non-empty bin from ``since``'s to ``until``'s."""
        lo, hi = self._span(since, until)
        for i in range(lo, hi):
            yield (self.bins[i] + 0.5) * BIN_S, self.counts[i]

    def times(self) -> list[float]:
        """Middle of every non-empty bin kept, ascending."""
        return [(b + 0.5) * BIN_S for b in self.bins]

    def rates(self, now: float) -> Rates:
        """Counts and per-hour rates over the trailing ``RATE_WINDOWS`` ending at ``now``."""
        counts = {name: self.count(now - span, now) for name, span in RATE_WINDOWS}
        per_hour = {name: counts[name] / (span / HOUR_S) for name, span in RATE_WINDOWS}
        return Rates(counts, per_hour)

    def prune(self, before: float) -> None:
        """Forget bins that start before ``before``."""
        cut = bisect.bisect_left(self.bins, bin_of(before))
        del self.bins[:cut], self.counts[:cut]

    def _span(self, since: float, until: float) -> tuple[int, int]:
        return bisect.bisect_left(self.bins, bin_of(since)), bisect.bisect_right(self.bins, bin_of(until))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``from_dict`` reads it back)."""
        return {"bins": list(self.bins), "counts": list(self.counts), "total": self.total,
                "first_at": self.first_at, "last_at": self.last_at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """The history ``to_dict`` saved."""
        return cls(list(data["bins"]), list(data["counts"]), int(data["total"]),
                   data.get("first_at"), data.get("last_at"))
