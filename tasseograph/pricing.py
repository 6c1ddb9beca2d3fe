"""STUB (to be replaced by the backends work): prices and cost."""

from __future__ import annotations

from tasseograph.schema import Usage


def cost_usd(price_id: str | None, usage: Usage, *, batch: bool = False) -> float:
    """Cost of ``usage`` at ``price_id``'s prices (0 when ``price_id`` is None)."""
    return 0.0
