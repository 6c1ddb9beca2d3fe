"""Hard spend caps per UTC day and month.

Before each API call the runner asks ``Budget.allows(spent, estimate)`` with a pessimistic
estimate of the call (all input tokens uncached plus ``max_tokens`` of output, twice when a
repair retry may follow), so the caps hold even when the call turns out dear. At a cap the
runner stops calling, judges deltas by the signal catalogue alone, raises one alert and
sets the ``metrics.BUDGET_EXHAUSTED`` gauge to 1 until the next day or month.
"""

from __future__ import annotations

from dataclasses import dataclass

from tasseograph.compress import estimate_tokens
from tasseograph.models.base import Model, ModelRequest
from tasseograph.pricing import cost_usd
from tasseograph.schema import Usage


@dataclass(frozen=True)
class Spent:
    """USD spent so far in the current UTC day and month."""

    day: float
    month: float


@dataclass(frozen=True)
class Budget:
    """The caps (0 means no cap)."""

    daily_usd: float = 0.0
    monthly_usd: float = 0.0

    def allows(self, spent: Spent, estimate: float) -> bool:
        """True when a call estimated at ``estimate`` USD stays within both caps."""
        return all(cap <= 0 or used + estimate <= cap
                   for cap, used in ((self.daily_usd, spent.day), (self.monthly_usd, spent.month)))

    def exhausted(self, spent: Spent, floor: float = 0.0) -> str | None:
        """Which cap is reached (``"day"``/``"month"``), counting ``floor`` as the least call cost."""
        if self.monthly_usd > 0 and spent.month + floor >= self.monthly_usd:
            return "month"
        if self.daily_usd > 0 and spent.day + floor >= self.daily_usd:
            return "day"
        return None


def estimate_cost(model: Model, request: ModelRequest, *, repair: bool = True) -> float:
    """A pessimistic USD estimate of one call (an estimate: characters / 4 tokens)."""
    if model.price_id is None:
        return 0.0
    text = request.system + request.user + "".join(t for _, t in request.messages)
    usage = Usage(input_tokens=estimate_tokens(text), output_tokens=request.max_tokens)
    once = cost_usd(model.price_id, usage)
    return once * 2 if repair else once
