"""Wall-clock time for every kernel line, taken from the lines themselves.

Windows, rates and correlations are judged on when a line was *logged*, not when the runner read
it, so a catch-up after downtime and a replay see the same timeline as live operation.

How a line gets its time (``LineTime.basis`` says which rule applied):

* ``wall``: the line carries a wall-clock stamp (syslog, ``journalctl -o json|short*``,
  ``dmesg -T``): used as given. One exception: when the host's boot anchor is known and the
  stamp is more than ``max_lag_s`` later than boot + the line's own monotonic stamp, the stamp
  is a *reception* time (journald reading the kernel's backlog at start-up, rsyslog catching
  up) and the kernel's own time is used instead (basis ``anchored``).
* ``anchored``: the line carries only a monotonic stamp (``dmesg``, ``/dev/kmsg``,
  ``journalctl -o short-monotonic``) and the host's boot time is known: boot + monotonic.
* ``estimated``: monotonic stamp, no known boot time. The boot time is estimated from arrival:
  the newest line of a batch was logged no later than the batch arrived, so boot <=
  ``received - max(monotonic)``; the clock keeps the smallest such bound seen this boot. Live,
  that is off by at most one polling interval. After downtime the first batch's bound is late
  by the time the lines waited, so times of that catch-up stay too late (their spacing is exact)
  until a real anchor arrives: give one (``set_anchor``, a ``dmesg``/``dmesg -T`` pair, a
  journal or syslog line carrying both stamps) when catch-ups must be exact.
* ``arrival``: neither stamp (plain text): the batch's arrival time.

Where a boot time comes from: ``set_anchor`` (e.g. ``/proc/stat`` ``btime`` with the kmsg boot
id), ``anchor_from_pair`` (the same ring buffer printed by ``dmesg`` and ``dmesg -T``), or lines
that carry both stamps (journal JSON, syslog lines with the kernel's ``[  12.3]``): each gives
``wall - monotonic``, an upper bound on the boot time because reception only adds lag; the
clock keeps the smallest of the last ``PAIR_MEMORY`` bounds of this boot.

Reboots: a new boot id, or a monotonic stamp that goes back by more than ``REBOOT_SLACK_S``,
starts a new boot: the old anchor no longer applies (anchors of earlier boot ids are remembered,
so replayed lines of an older boot still resolve). The monotonic clock of ``dmesg`` does not
count suspend and may drift from wall time over long uptimes; anchors from pairs follow it.
``dmesg -T`` and BSD syslog stamps carry no zone: the parsers read them as UTC, so hosts should
log in UTC (or pass ``utc_offset_s`` to ``anchor_from_pair``).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tasseograph.errors import UsageError
from tasseograph.schema import KernelLine

TimeBasis = Literal["wall", "anchored", "estimated", "arrival"]
BASES: tuple[TimeBasis, ...] = ("wall", "anchored", "estimated", "arrival")

REBOOT_SLACK_S = 1.0
"""A monotonic stamp this much below the last one seen means a new boot (printk stamps of
different CPUs can be out of order by far less)."""
PAIR_MEMORY = 32
"""Recent ``wall - monotonic`` bounds kept per boot (the anchor is their minimum)."""
KNOWN_BOOTS = 8
"""Anchors of earlier boot ids kept, for lines of an older boot replayed late."""
MAX_LAG_S = 120.0
"""A wall stamp later than boot + monotonic by more than this is a reception time."""


@dataclass(frozen=True)
class LineTime:
    """When one line was logged (Unix seconds) and which rule gave it."""

    at: float
    basis: TimeBasis


@dataclass
class HostClock:
    """One host's boot anchor and the rules that turn its lines' stamps into wall-clock times.

    Example:
        >>> clock = HostClock("db-17")
        >>> clock.set_anchor(1_780_000_000.0, boot_id="4c1d...")
        >>> [t.at for t in clock.stamp(delta.lines, received=now)]
    """

    host: str
    boot_id: str | None = None
    """Boot id of the current boot, when a source names it."""
    boot_time: float | None = None
    """Unix time of the current boot, when known (``anchor_basis`` says how)."""
    anchor_basis: Literal["explicit", "pair", "estimated"] | None = None
    """``explicit``/``pair``: a real anchor; ``estimated``: bounded from arrival times only."""
    last_monotonic: float | None = None
    """Latest monotonic stamp seen this boot (a smaller one means a reboot)."""
    pair_bounds: list[float] = field(default_factory=list)
    """Recent ``wall - monotonic`` bounds of this boot."""
    earlier_boots: dict[str, float] = field(default_factory=dict)
    """Boot id -> boot time of earlier boots with a real anchor."""
    max_lag_s: float = MAX_LAG_S

    def set_anchor(self, boot_time: float, *, boot_id: str | None = None) -> None:
        """Set the boot time explicitly (e.g. ``/proc/stat`` btime with the kmsg boot id)."""
        if boot_id is not None and boot_id != self.boot_id:
            self._new_boot(boot_id)
        self.boot_time, self.anchor_basis = float(boot_time), "explicit"

    @property
    def anchored(self) -> bool:
        """True when the boot time is known from a real anchor, not estimated."""
        return self.anchor_basis in ("explicit", "pair")

    def stamp(
        self, lines: Sequence[KernelLine], *, received: float, boot_id: str | None = None
    ) -> list[LineTime]:
        """The wall-clock time of each line, in order (see the module docstring for the rules).

        Args:
            lines: one batch of the host's lines, in log order.
            received: Unix time the batch arrived (used only when the lines lack a stamp).
            boot_id: the boot the lines belong to, when the source knows it (kmsg, journal).

        Returns:
            One ``LineTime`` per line.
        """
        if boot_id is not None and boot_id != self.boot_id:
            self._new_boot(boot_id)
        self._learn(lines, received)
        return [self._time_of(line, received) for line in lines]

    # --- learning ------------------------------------------------------------------------

    def _learn(self, lines: Sequence[KernelLine], received: float) -> None:
        newest: float | None = None
        for line in lines:
            mono = line.monotonic
            if mono is None:
                continue
            if self.last_monotonic is not None and mono < self.last_monotonic - REBOOT_SLACK_S:
                self._new_boot(None)
                newest = None
            self.last_monotonic = mono if self.last_monotonic is None else max(self.last_monotonic, mono)
            newest = mono if newest is None else max(newest, mono)
            if line.time is not None:
                self._pair(line.time.timestamp() - mono)
        if newest is not None and not self.anchored:
            bound = received - newest
            if self.boot_time is None or bound < self.boot_time:
                self.boot_time, self.anchor_basis = bound, "estimated"

    def _pair(self, bound: float) -> None:
        self.pair_bounds.append(bound)
        del self.pair_bounds[:-PAIR_MEMORY]
        if self.anchor_basis != "explicit":
            self.boot_time, self.anchor_basis = min(self.pair_bounds), "pair"

    def _new_boot(self, boot_id: str | None) -> None:
        if self.boot_id is not None and self.boot_time is not None and self.anchored:
            self.earlier_boots[self.boot_id] = self.boot_time
            while len(self.earlier_boots) > KNOWN_BOOTS:
                del self.earlier_boots[next(iter(self.earlier_boots))]
        self.boot_id = boot_id
        self.boot_time = self.earlier_boots.get(boot_id) if boot_id is not None else None
        self.anchor_basis = "explicit" if self.boot_time is not None else None
        self.last_monotonic = None
        self.pair_bounds = []

    # --- stamping ------------------------------------------------------------------------

    def _time_of(self, line: KernelLine, received: float) -> LineTime:
        mono = line.monotonic
        kernel = None if mono is None or self.boot_time is None else self.boot_time + mono
        if line.time is not None:
            wall = line.time.timestamp()
            if kernel is not None and self.anchored and wall - kernel > self.max_lag_s:
                return LineTime(kernel, "anchored")
            return LineTime(wall, "wall")
        if kernel is not None:
            return LineTime(kernel, "anchored" if self.anchored else "estimated")
        return LineTime(received, "arrival")

    # --- persistence ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``from_dict`` reads it back)."""
        return {
            "host": self.host,
            "boot_id": self.boot_id,
            "boot_time": self.boot_time,
            "anchor_basis": self.anchor_basis,
            "last_monotonic": self.last_monotonic,
            "pair_bounds": list(self.pair_bounds),
            "earlier_boots": dict(self.earlier_boots),
            "max_lag_s": self.max_lag_s,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HostClock:
        """The clock ``to_dict`` saved."""
        try:
            return cls(**{**data, "pair_bounds": list(data.get("pair_bounds", [])),
                          "earlier_boots": dict(data.get("earlier_boots", {}))})
        except TypeError as exc:
            raise UsageError(f"not a saved host clock: {exc}") from None


def anchor_from_pair(
    plain: Sequence[KernelLine], stamped: Sequence[KernelLine], *, utc_offset_s: float = 0.0
) -> float:
    """The boot time of a host from its ring buffer printed twice: ``dmesg`` and ``dmesg -T``.

    Lines are matched in order by message text. ``dmesg -T`` prints boot + monotonic truncated
    to the second, so each pair bounds the boot time to ``[wall - mono, wall - mono + 1)``; the
    answer is the middle of the intersection of those bounds (the median of the pairs when
    the bounds disagree, e.g. after suspend, which ``dmesg -T`` does not account for).

    Args:
        plain: lines of ``dmesg`` (monotonic stamps).
        stamped: lines of ``dmesg -T`` from the same boot (wall stamps).
        utc_offset_s: the host's UTC offset, since ``dmesg -T`` prints local time without a zone.

    Raises:
        UsageError: no line of one matches a line of the other.
    """
    monos: dict[str, list[float]] = {}
    for line in plain:
        if line.monotonic is not None:
            monos.setdefault(line.message, []).append(line.monotonic)
    offsets: list[float] = []
    for line in stamped:
        queue = monos.get(line.message)
        if line.time is not None and queue:
            offsets.append(line.time.timestamp() - utc_offset_s - queue.pop(0))
    if not offsets:
        raise UsageError(
            "anchor_from_pair: no message of the dmesg -T lines matches a dmesg line: "
            "capture both from the same boot, without -T for the first and with it for the second."
        )
    lo, hi = max(offsets), min(offsets) + 1.0
    return (lo + hi) / 2 if lo < hi else statistics.median(offsets)
