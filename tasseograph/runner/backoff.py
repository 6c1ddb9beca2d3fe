"""Retry pacing for the model API: exponential backoff with jitter, and a circuit breaker.

The SDK already retries each call a few times (honouring ``retry-after``); this layer paces
the *queue*: a delta whose call failed waits ``Backoff.delay(attempts)`` before its next try,
and after ``threshold`` consecutive failed calls the circuit opens, so the runner stops
calling for ``open_for`` seconds, then lets one trial call through (half-open). While the
circuit is open, deltas stay queued and critical signals still alert (see ``worker.py``).
The breaker's state lives in SQLite so cron runs share it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal

CircuitState = Literal["closed", "open", "half_open"]
CIRCUIT_STATES: tuple[CircuitState, ...] = ("closed", "open", "half_open")


@dataclass
class Backoff:
    """Capped exponential backoff with "equal jitter": half fixed, half random.

    Example:
        >>> Backoff(base=5, cap=900, rng=random.Random(1)).delay(3)  # between 10 and 20 s
    """

    base: float
    cap: float
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
        ceiling = min(self.cap, self.base * 2 ** max(attempt - 1, 0))
        # Never under half the ceiling, so a burst of failures cannot retry all at once.
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


@dataclass
class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; half-opens ``open_for`` seconds later."""

    threshold: int
    open_for: float
    state: CircuitState = "closed"
    failures: int = 0
    opened_at: float = 0.0

    def allows(self, now: float) -> bool:
        """True when a call may be made now (moves open to half-open when its time is up)."""
        if self.state == "open" and now - self.opened_at >= self.open_for:
            self.state = "half_open"
        return self.state != "open"

    @property
    def trial(self) -> bool:
        """True in half-open: only one call goes through until it succeeds."""
        return self.state == "half_open"

    def success(self) -> None:
        """A call succeeded: close the circuit."""
        self.state, self.failures = "closed", 0

    def failure(self, now: float, *, fatal: bool = False) -> None:
        """A call failed; ``fatal`` (not retryable, e.g. a bad key or spend limit) opens at once."""
        self.failures += 1
        if fatal or self.state == "half_open" or self.failures >= self.threshold:
            self.state, self.opened_at = "open", now

    def dump(self) -> dict[str, Any]:
        """The state to persist."""
        return {"state": self.state, "failures": self.failures, "opened_at": self.opened_at}

    @classmethod
    def load(cls, data: dict[str, Any] | None, *, threshold: int, open_for: float) -> CircuitBreaker:
        """A breaker from persisted state (or a closed one)."""
        data = data or {}
        state = data.get("state", "closed")
        return cls(threshold=threshold, open_for=open_for,
                   state=state if state in CIRCUIT_STATES else "closed",
                   failures=int(data.get("failures", 0)), opened_at=float(data.get("opened_at", 0.0)))
