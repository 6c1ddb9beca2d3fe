"""Fleet profiles: turn a measured cost per call into a cost per host per month."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SECONDS_PER_MONTH = 30 * 86_400
"""A billing month, as the plan counts it (30 days)."""


class FleetProfile(BaseModel):
    """The fleet a cost figure is stated for."""

    model_config = ConfigDict(extra="forbid")

    hosts: int = Field(600, gt=0)
    """Number of hosts."""
    interval_s: float = Field(300.0, gt=0)
    """Polling interval in seconds (the plan: 5 minutes)."""
    active_share: float = Field(1.0, ge=0, le=1)
    """Share of intervals in which a host has any new kernel line (the rest send nothing)."""

    def checks_per_host_month(self) -> float:
        """Deltas a host produces in a month (intervals with new lines)."""
        return SECONDS_PER_MONTH / self.interval_s * self.active_share


def cost_per_host_month(mean_cost_per_delta: float, profile: FleetProfile) -> float:
    """USD per host per month, from the mean cost of one delta (skipped deltas count as 0).

    Args:
        mean_cost_per_delta: mean USD over all deltas, skipped ones included at zero.
        profile: the fleet the figure is stated for.
    """
    return mean_cost_per_delta * profile.checks_per_host_month()
