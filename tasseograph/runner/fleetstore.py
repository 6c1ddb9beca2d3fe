"""Where the fleet signals' tables lived before ``tasseograph.store``: the old names, kept for code
written against them. New code imports ``tasseograph.store.fleet``."""

from __future__ import annotations

from tasseograph.store.fleet import EventKey, EventRow, FleetStore, GroupRow, Loaded

__all__ = ["EventKey", "EventRow", "FleetStore", "GroupRow", "Loaded"]
