"""Where the findings tables' SQL lived before ``tasseograph.store``: the old names, kept for code
written against them. New code imports ``tasseograph.store.findings``."""

from __future__ import annotations

from tasseograph.store.findings import MIN_PREFIX, FindingStore

__all__ = ["MIN_PREFIX", "FindingStore"]
