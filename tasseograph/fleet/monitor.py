"""One entry point for a runner: a host's delta and its signal hits in, fleet events out.

``FleetMonitor.ingest`` gives the delta's lines their logged time (``HostClock``), turns each
signal hit into counted observations (``FleetCounters``) and host events (``Correlator``),
and returns what that caused: thresholds crossed, trends turned rising, patterns found, groups
formed or grown. Its whole state is one JSON-able dict (``to_dict``); the inventory and the
settings are configuration and are passed in again on ``from_dict``.

How a hit is counted: each of its lines that the catalogue classifies as the hit's own signal
is one observation at that line's time (context lines such as a machine check's register dump
are not), counting the errors the line states (``EDAC MC0: 4 CE ...`` is 4, else 1); repeats a
``N callbacks suppressed`` line hid are added to the last observation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tasseograph.fleet.clock import HostClock, LineTime
from tasseograph.fleet.correlation import Correlator, GroupChange, HostEvent
from tasseograph.fleet.counters import FleetCounters, FleetEvent
from tasseograph.fleet.events import Observation
from tasseograph.fleet.inventory import Inventory
from tasseograph.fleet.saved import check_saved
from tasseograph.fleet.settings import FleetSettings
from tasseograph.schema import Delta, KernelLine
from tasseograph.signals import SignalHit, classify

STATE_VERSION = 1
_ERROR_COUNT = re.compile(r"\bEDAC [^:]*: (\d+) [CU]E\b|\b(\d+) ddr errors?\(s\)")
"""Lines that state how many errors they report."""


def errors_in(message: str) -> int:
    """How many errors one signal line reports (1 unless it states a count)."""
    m = _ERROR_COUNT.search(message)
    if m is None:
        return 1
    return max(1, int(m.group(1) or m.group(2)))


def observations(host: str, lines: Sequence[KernelLine], hits: Sequence[SignalHit],
                 times: Sequence[LineTime]) -> list[Observation]:
    """The counted observations of a delta's hits (see the module docstring for the rule).

    ``SignalHit.device`` (the catalogue's device fields) is read when the hit has it.
    """
    out: list[Observation] = []
    for hit in hits:
        device: Mapping[str, str] = getattr(hit, "device", None) or {}
        own = [i for i in hit.line_indices if classify(lines[i].message) == hit.signal_id] or list(hit.line_indices[:1])
        counts = [errors_in(lines[i].message) for i in own]
        counts[-1] += max(0, hit.count - len(own))
        out.extend(Observation(host, hit.signal_id, hit.category, hit.severity, times[i].at, dict(device), n)
                   for i, n in zip(own, counts, strict=True))
    return out


def host_events(observed: Sequence[Observation]) -> list[HostEvent]:
    """One correlation event per observation (the correlator keeps one per host, signal and
    minute, so how lines were cut into deltas does not matter)."""
    return [HostEvent(o.host, o.category, o.signal_id, o.at) for o in observed]


class FleetMonitor:
    """Clocks, counters and correlation for a fleet, behind one call per delta.

    Example:
        >>> monitor = FleetMonitor(load_inventory(Path("inventory.csv")))
        >>> delta = parse_delta(data, host="db-17")
        >>> for event in monitor.ingest(delta, detect(delta.lines), received=now):
        ...     print(event.kind, event.summary())
    """

    def __init__(self, inventory: Inventory | None = None, settings: FleetSettings | None = None) -> None:
        self.settings = settings or FleetSettings()
        self.inventory = inventory or Inventory()
        self.clocks: dict[str, HostClock] = {}
        self.counters = FleetCounters(self.settings.counters)
        self.correlator = Correlator(self.inventory, self.settings.correlation)

    def clock(self, host: str) -> HostClock:
        """``host``'s clock (created on first use)."""
        if host not in self.clocks:
            self.clocks[host] = HostClock(host)
        return self.clocks[host]

    def ingest(self, delta: Delta, hits: Sequence[SignalHit], *, received: float,
               boot_id: str | None = None) -> list[FleetEvent | GroupChange]:
        """Count a delta's hits and correlate them; return the events they caused.

        Args:
            delta: one host's new lines (``delta.host`` names the host).
            hits: the catalogue's hits on those lines (``signals.detect``), muted ones left out.
            received: Unix time the lines arrived (used only for lines without a usable stamp).
            boot_id: the boot the lines belong to, when the source knows it.
        """
        times = self.stamp(delta, received=received, boot_id=boot_id)
        return self.count(observations(delta.host, delta.lines, hits, times))

    def stamp(self, delta: Delta, *, received: float, boot_id: str | None = None) -> list[LineTime]:
        """The first half of ``ingest``: each line's logged time (the host's clock learns from them)."""
        times = self.clock(delta.host).stamp(delta.lines, received=received, boot_id=boot_id)
        if times:
            self.counters.see_host(delta.host, min(t.at for t in times))
        return times

    def count(self, observed: Sequence[Observation]) -> list[FleetEvent | GroupChange]:
        """The second half of ``ingest``: count observations and correlate them; the events caused."""
        events: list[FleetEvent | GroupChange] = []
        events.extend(self.counters.observe_many(observed))
        events.extend(self.correlator.add(host_events(observed)))
        return events

    def sweep(self, now: float) -> None:
        """Periodic upkeep at ``now`` (see ``FleetCounters.sweep``)."""
        self.counters.sweep(now)

    def to_dict(self) -> dict[str, Any]:
        """The whole state as plain JSON types."""
        return {"version": STATE_VERSION,
                "clocks": {h: self.clocks[h].to_dict() for h in sorted(self.clocks)},
                "counters": self.counters.to_dict(), "correlation": self.correlator.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], inventory: Inventory | None = None,
                  settings: FleetSettings | None = None) -> FleetMonitor:
        """A monitor ``to_dict`` saved, over today's inventory and settings.

        Raises:
            UsageError: the data is not a saved state of a version this code reads.
        """
        data = check_saved(data, STATE_VERSION, "fleet state")
        monitor = cls(inventory, settings)
        monitor.clocks = {h: HostClock.from_dict(c) for h, c in data.get("clocks", {}).items()}
        monitor.counters = FleetCounters.from_dict(data["counters"], monitor.settings.counters)
        monitor.correlator = Correlator.from_dict(data["correlation"], monitor.inventory, monitor.settings.correlation)
        return monitor
