"""STUB (to be replaced by the signals work): the deterministic signal catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tasseograph.schema import Category, KernelLine, Severity


@dataclass(frozen=True)
class SignalHit:
    """One episode of a catalogue signal in a delta (after grouping and rate escalation)."""

    signal_id: str
    category: Category
    severity: Severity
    summary: str
    evidence: tuple[str, ...]
    """Up to a few raw lines, verbatim (``KernelLine.raw``), that show it."""
    line_indices: tuple[int, ...]
    """Indices into the delta's lines of every line of the episode."""
    count: int = 1
    resolved: bool = False
    """True when a recovery line closed the episode."""


def detect(lines: Sequence[KernelLine]) -> list[SignalHit]:
    """Find catalogue signals in ``lines``."""
    return []


def is_boring(message: str) -> bool:
    """True when the message is known-boring noise (ACPI chatter, systemd, USB, init)."""
    return False
