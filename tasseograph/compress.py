"""STUB (to be replaced by the compression work)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tasseograph.schema import CompressionStats, Delta
from tasseograph.signals import SignalHit


@dataclass
class Compressed:
    lines: list[str]
    stats: CompressionStats


def estimate_tokens(text: str) -> int:
    """Estimate tokens of log text (characters / 4, rounded up)."""
    return (len(text) + 3) // 4


def compress(delta: Delta, signals: Sequence[SignalHit] = (), *, max_lines: int = 200, enabled: bool = True) -> Compressed:
    """Compress a delta for the prompt."""
    lines = [line.raw for line in delta.lines]
    n = estimate_tokens("\n".join(lines))
    return Compressed(lines, CompressionStats(lines_in=len(lines), lines_out=len(lines), tokens_before=n, tokens_after=n))
