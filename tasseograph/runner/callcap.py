"""Caps on model calls, so no input can multiply the bill.

A host's new lines in one ingest are one delta; ``sources.max_delta_bytes`` cuts an oversized one
into pieces, each a model call. One 30 MB line once became 60 calls. Two caps bound that:

* ``budget.max_calls_per_delta``: the most pieces of one delta (one host, one ingest) sent to
  the model;
* ``budget.max_calls_per_host_hour``: the most model calls for one host in any hour (a host
  that floods its log cannot buy itself a call every cycle).

Past a cap the piece is judged by the signal catalogue alone: its verdict records the reason
(``fallback`` = ``delta_cap`` or ``host_cap``) and the skipped-calls counter
(``metrics.SKIPPED_CALLS{reason}``) counts it, so critical signals still alert.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

DELTA_CAP = "delta_cap"
HOST_CAP = "host_cap"
HOUR = 3600.0


@dataclass(frozen=True)
class CallCaps:
    """The two caps (0: no cap)."""

    per_delta: int = 4
    per_host_hour: int = 12

    def split(
        self,
        items: Sequence[T],
        *,
        host: Callable[[T], str],
        delta: Callable[[T], Hashable],
        calls_last_hour: Callable[[str], int],
    ) -> tuple[list[T], list[tuple[T, str]]]:
        """The items that may be sent to the model (in order), and the others with their cap.

        Args:
            items: queued deltas about to be sent, oldest first.
            host: the host of an item.
            delta: what identifies the delta an item is a piece of (pieces share it).
            calls_last_hour: model calls already made for a host in the last hour.
        """
        allowed: list[T] = []
        capped: list[tuple[T, str]] = []
        pieces: Counter[Hashable] = Counter()
        used: dict[str, int] = {}
        for item in items:
            name = host(item)
            if name not in used:
                used[name] = calls_last_hour(name) if self.per_host_hour else 0
            key = delta(item)
            if self.per_delta and pieces[key] >= self.per_delta:
                capped.append((item, DELTA_CAP))
            elif self.per_host_hour and used[name] >= self.per_host_hour:
                capped.append((item, HOST_CAP))
            else:
                pieces[key] += 1
                used[name] += 1
                allowed.append(item)
        return allowed, capped
