"""The plain values that cross the store's interface: what a source hands in, what a claim hands out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Chunk:
    """New lines of one host from one source, with the cursor update that goes with them."""

    host: str
    source: str
    ref: str
    """Where the lines came from (``web1/0001.log:0-2048``); kept with the verdict."""
    data: bytes
    due: float = 0.0
    """When the delta should be analysed (the worker sets it from the polling policy)."""
    origin: str = ""
    """The source file the lines came from (a spool cursor key); it is kept until every delta
    holding its lines has a verdict (``Store.pending_origins``)."""
    received: float | None = None
    """When the lines reached the collector (a spool file's mtime), when the source knows it:
    the fleet clocks date lines without a usable stamp by it, however late they are read."""
    boot_id: str | None = None
    """The boot the lines belong to (kmsg), when the source knows it."""


@dataclass(frozen=True)
class CursorUpdate:
    """A cursor to write (``value`` None deletes it)."""

    source: str
    key: str
    value: str | None


@dataclass(frozen=True)
class Event:
    """Something a source must report rather than skip: reboot, overrun, binary file."""

    host: str
    source: str
    kind: str
    detail: str


@dataclass(frozen=True)
class QueuedDelta:
    """A delta waiting in the queue (claimed by ``owner`` when it came from ``Store.claim``)."""

    id: int
    host: str
    source: str
    ref: str
    data: bytes
    created: float
    attempts: int
    interim: bool
    owner: str | None = None
    """The runner holding its lease; None for a delta only listed (``Store.due``), not claimed."""
    received: float | None = None
    """When the lines reached the collector (``Chunk.received``; None: the queue time stands in)."""
    boot_id: str | None = None
    """The boot the lines belong to (``Chunk.boot_id``)."""


@dataclass(frozen=True)
class SourceLease:
    """The hosts of one source a runner may read until its lease runs out."""

    source: str
    owner: str
    keys: frozenset[str] = field(default_factory=frozenset)


@dataclass
class Snapshot:
    """What the metrics exporter reads at a scrape, in one go."""

    counters: list[tuple[str, dict[str, str], float]] = field(default_factory=list)
    last_checks: dict[str, float] = field(default_factory=dict)
    queue_depth: int = 0
    queue_oldest: float | None = None
    """``created`` of the oldest queued delta."""
    spent_day: float = 0.0
    spent_month: float = 0.0
    meta: dict[str, object] = field(default_factory=dict)
    """The meta table's JSON values (``circuit``, ``budget``, ``last_run``...)."""
    baseline_sizes: list[tuple[str, bool, int]] = field(default_factory=list)
    """(host, poisoned, templates)."""
    findings: list[tuple[str, str, int]] = field(default_factory=list)
    """(state, severity, findings)."""
    refused: int = 0
    alerts_firing: int = 0


def day_key(ts: float) -> str:
    """UTC day ``YYYY-MM-DD`` of a timestamp (budget periods are UTC)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def labels_key(labels: dict[str, str]) -> str:
    """Canonical JSON of a label set (the counters table key)."""
    return json.dumps(labels, sort_keys=True, separators=(",", ":"))
