"""What one line counts as on the bulk path, in plain Python: the reference the compiled core equals.

Three rules make a bulk summary, and each has its one-message Python form here:

- ``verdict_code(message)``: ``NEITHER``, ``BORING`` or ``SIGNAL + k`` for catalogue entry k
  (``signals.classify`` first, then ``signals.is_boring``; a signal line is never boring).
- ``bulk_template(message)``: ``compress.template`` (numbers, hex, MACs masked; device names and
  PCI addresses kept) and then ``mask_nodes``: the token right after a date or time of three or
  more numbers (``2005.06.03 R02-M1-N0-C:J12-U11``, ``12:01:01 dn228/dn228``) is the node that
  logged the line, so it becomes ``<NODE>``. Without it a cluster's log has one template per
  node and line shape.
- ``SpaceSaving``: the bounded template table (heavy hitters, Metwally et al. 2005). At most
  ``capacity`` templates are held; a new one arriving when the table is full takes the place of
  the entry with the smallest ``(count, tick)`` and starts from that count, recorded as its
  ``error``. Every count then satisfies ``true <= count <= true + error`` and ``error <= lines /
  capacity``; any template with more than ``lines / capacity`` lines is in the table.

``tasseograph._scancore`` implements the same three in C; ``tests/test_bulkref.py`` and the bulk
parity tests hold them equal line by line.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field

from tasseograph import compress, signals

NEITHER, BORING, SIGNAL = 0, 1, 2
"""Verdict codes of a message; a signal line's code is ``SIGNAL`` plus its catalogue position."""
NODE_MASK = "<NODE>"
"""What a node name becomes in a bulk template."""

_STAMP = re.compile(r"<N>(?:[.:-]<N>){2,}")
_DIGIT = re.compile(r"[0-9]")
_ALPHA = re.compile(r"[A-Za-z]")


def mask_nodes(template: str) -> str:
    """``template`` with the token after each date or time stamp masked as ``<NODE>``.

    Tokens are split on single spaces. A stamp token is three or more ``<N>`` joined by ``.``,
    ``:`` or ``-`` in full; the token after it is a node when it holds a letter and a digit.
    """
    if "<N>" not in template:
        return template
    parts = template.split(" ")
    after_stamp = False
    for i, part in enumerate(parts):
        stamp = _STAMP.fullmatch(part) is not None
        if after_stamp and _DIGIT.search(part) and _ALPHA.search(part):
            parts[i] = NODE_MASK
        after_stamp = stamp
    return " ".join(parts)


def bulk_template(message: str) -> str:
    """The template a bulk summary counts ``message`` under (see the module docstring)."""
    return mask_nodes(compress.template(message))


def verdict_code(message: str) -> int:
    """``SIGNAL + k`` for the first catalogue entry k matching ``message``, else ``BORING`` or ``NEITHER``."""
    signal_id = signals.classify(message)
    if signal_id is not None:
        return SIGNAL + signal_positions()[signal_id]
    return BORING if signals.is_boring(message) else NEITHER


def signal_positions() -> dict[str, int]:
    """Catalogue position of every signal id."""
    return {spec.id: k for k, spec in enumerate(signals.load_signals())}


@dataclass
class TemplateSlot:
    """One template in a ``SpaceSaving`` table."""

    count: int
    """Lines counted (an upper bound: at most ``error`` more than the true count)."""
    error: int
    """How far ``count`` may overstate: the count of the entry it replaced (0: exact)."""
    tick: int
    """When the count last changed (ties in eviction go to the oldest)."""
    first: int
    """When the template entered the table (ties in listing go to the earliest)."""


@dataclass
class SpaceSaving:
    """A template counter of bounded size (space-saving heavy hitters; see the module docstring)."""

    capacity: int
    slots: dict[str, TemplateSlot] = field(default_factory=dict)
    tick: int = 0
    evictions: int = 0
    """Templates that took the place of another (0: every count is exact)."""
    _heap: list[tuple[int, int, str]] = field(default_factory=list, repr=False)

    def add(self, template: str, n: int = 1) -> None:
        """Count ``n`` lines of ``template`` (one step of the clock, whatever ``n``)."""
        self.tick += 1
        slot = self.slots.get(template)
        if slot is not None:
            slot.count += n
            slot.tick = self.tick
        elif len(self.slots) < self.capacity:
            slot = self.slots[template] = TemplateSlot(n, 0, self.tick, self.tick)
        else:
            floor = self.slots.pop(self._victim()).count
            slot = self.slots[template] = TemplateSlot(floor + n, floor, self.tick, self.tick)
            self.evictions += 1
        heapq.heappush(self._heap, (slot.count, slot.tick, template))
        if len(self._heap) > 4 * self.capacity + 64:  # stale entries: rebuild, so memory stays bounded
            self._heap = [(s.count, s.tick, t) for t, s in self.slots.items()]
            heapq.heapify(self._heap)

    def _victim(self) -> str:
        """The template with the smallest (count, tick); heap entries that are stale are dropped."""
        while True:
            count, tick, template = heapq.heappop(self._heap)
            slot = self.slots.get(template)
            if slot is not None and (slot.count, slot.tick) == (count, tick):
                return template

    @property
    def error_bound(self) -> int:
        """Most any count may overstate: 0 while nothing was evicted, else the smallest count held."""
        return min(s.count for s in self.slots.values()) if self.evictions else 0

    def top(self, n: int) -> list[tuple[str, TemplateSlot]]:
        """The ``n`` largest counts, most lines first (ties: the earliest to enter first)."""
        ranked = sorted(self.slots.items(), key=lambda kv: (-kv[1].count, kv[1].first))
        return ranked[:n]
