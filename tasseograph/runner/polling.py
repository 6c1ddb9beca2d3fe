"""Adaptive polling: when each host's queued lines are next analysed.

Healthy hosts are analysed every ``healthy_min``..``healthy_max`` seconds (each host gets a
fixed point in that range from a hash of its name, which spreads the fleet's calls evenly
instead of bunching them); a host with a warning or critical verdict is analysed every
``anomaly`` seconds until ``anomaly_hold`` has passed since its last anomaly. Lines that carry a
catalogue signal are analysed at once whatever the schedule, so a critical error never waits
for a healthy host's long interval.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class PollingPolicy:
    """The schedule (seconds)."""

    adaptive: bool = True
    healthy_min: float = 900.0
    healthy_max: float = 1800.0
    anomaly: float = 300.0
    anomaly_hold: float = 3600.0

    def interval(self, host: str, last_anomaly: float | None, now: float) -> float:
        """Seconds between analyses of ``host`` now."""
        if not self.adaptive:
            return 0.0
        if last_anomaly is not None and now - last_anomaly < self.anomaly_hold:
            return self.anomaly
        span = max(self.healthy_max - self.healthy_min, 0.0)
        return self.healthy_min + span * host_fraction(host)

    def due(self, host: str, last_check: float | None, last_anomaly: float | None, now: float,
            *, urgent: bool = False) -> float:
        """When lines of ``host`` arriving now should be analysed."""
        if urgent or last_check is None or not self.adaptive:
            return now
        return max(now, last_check + self.interval(host, last_anomaly, now))


def host_fraction(host: str) -> float:
    """A stable number in [0, 1) from the host name."""
    digest = hashlib.sha256(host.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
