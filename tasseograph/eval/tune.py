"""``tasseograph-eval tune``: prompt variants x few-shot counts, best configuration under a cost cap.

Few-shot examples are drawn from the *train* part of a split and every configuration is scored
on the held-apart *test* part, so no prompt is graded on its own examples. Examples are passed
to the prompt template as ``{"text", "reply"}`` dicts (``Case.as_example``), chosen deterministically:
round-robin over critical, warning and ok, each status ordered by a hash of the case id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tasseograph.eval.datasets import Case

STATUS_ORDER = ("critical", "warning", "ok")


def pick_examples(train: Sequence[Case], k: int) -> list[dict[str, Any]]:
    """``k`` examples from ``train``, balanced across statuses, deterministic."""
    queues = {s: sorted((c for c in train if c.status == s), key=lambda c: hashlib.sha256(c.id.encode()).hexdigest())
              for s in STATUS_ORDER}
    out: list[Case] = []
    while len(out) < k and any(queues.values()):
        for s in STATUS_ORDER:
            if queues[s] and len(out) < k:
                out.append(queues[s].pop(0))
    return [c.as_example() for c in out]


@dataclass(frozen=True)
class Choice:
    """The winning configuration, or why there is none."""

    summary: dict[str, Any] | None
    reason: str


def best_under_cap(summaries: Sequence[dict[str, Any]], cost_cap: float | None) -> Choice:
    """Highest F1 (then recall, then lower cost) among runs within ``cost_cap`` USD per host-month."""
    within = [s for s in summaries if cost_cap is None or (s["cost_per_host_month_usd"] or 0.0) <= cost_cap]
    if not within:
        return Choice(None, f"no configuration costs at most ${cost_cap} per host-month")

    def rank(s: dict[str, Any]) -> tuple[float, float, float]:
        return (s["f1"] if s["f1"] is not None else -1.0, s["recall"] if s["recall"] is not None else -1.0,
                -(s["cost_per_host_month_usd"] or 0.0))

    best = max(within, key=rank)
    cap = "no cost cap" if cost_cap is None else f"cost cap ${cost_cap}/host-month"
    return Choice(best, f"best F1 under {cap}: prompt {best['prompt']}, {best['options_label']}")
