"""The leaky bucket mcelog and rasdaemon use for their error thresholds.

The rule, as both implement it (mcelog ``leaky-bucket.c``, rasdaemon ``ras-page-isolation.c``):
when an event arrives at least one period after the bucket was last drained, the count drops by
``threshold x elapsed / period`` (not below 0) and the drain clock restarts; then the event's
count is added; when the count reaches the threshold the bucket *overflows* (the trigger fires)
and empties, so a device that keeps erring fires again after another ``threshold`` errors.
Between drains nothing leaks: "10 per 24 h" means 10 errors with no full day between drains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class LeakyBucket:
    """One device's bucket for one threshold rule."""

    threshold: int
    period_s: float
    count: int = 0
    """Events in the bucket now."""
    drained_at: float | None = None
    """When the bucket last drained (its first event, at first)."""
    overflows: int = 0
    """Times it overflowed (the trigger fired)."""

    def add(self, at: float, count: int = 1) -> bool:
        """Account ``count`` events at ``at``; True when the bucket overflowed."""
        if self.drained_at is None:
            self.drained_at = at
        elapsed = at - self.drained_at
        if elapsed >= self.period_s:
            leak = int(elapsed / self.period_s * self.threshold)
            self.count = max(0, self.count - leak)
            self.drained_at = at
        self.count += count
        if self.count >= self.threshold:
            self.count = 0
            self.overflows += 1
            return True
        return False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``from_dict`` reads it back)."""
        return {"threshold": self.threshold, "period_s": self.period_s, "count": self.count,
                "drained_at": self.drained_at, "overflows": self.overflows}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LeakyBucket:
        """The bucket ``to_dict`` saved."""
        return cls(int(data["threshold"]), float(data["period_s"]), int(data["count"]),
                   data.get("drained_at"), int(data.get("overflows", 0)))
