"""The per-host template baselines' tables (``baseline_hosts``, ``baseline_templates``)."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from tasseograph.baseline import BaselineSettings, HostBaseline, LearnOutcome, TemplateStats
from tasseograph.schema import Delta, Verdict
from tasseograph.signals import SignalHit
from tasseograph.store.tx import Tx


def load_baseline(tx: Tx, host: str, settings: BaselineSettings) -> HostBaseline:
    """Read one host's baseline (inside or outside a transaction)."""
    row = tx.execute("SELECT ok_deltas FROM baseline_hosts WHERE host = ?", (host,)).fetchone()
    templates = {
        r[0]: TemplateStats(lines=r[1], deltas=r[2], first_seen=r[3], last_seen=r[4], poisoned=bool(r[5]))
        for r in tx.execute("SELECT template, lines, deltas, first_seen, last_seen, poisoned FROM baseline_templates"
                            " WHERE host = ?", (host,))
    }
    return HostBaseline(host=host, settings=settings, ok_deltas=row[0] if row else 0, templates=templates)


def save_baseline(tx: Tx, before: HostBaseline, after: HostBaseline, *, now: float) -> None:
    """Write what changed from ``before`` to ``after`` (inside the caller's transaction)."""
    tx.execute("INSERT INTO baseline_hosts (host, ok_deltas, updated) VALUES (?,?,?) ON CONFLICT (host)"
               " DO UPDATE SET ok_deltas = excluded.ok_deltas, updated = excluded.updated",
               (after.host, after.ok_deltas, now))
    gone = [(after.host, k) for k in before.templates if k not in after.templates]
    tx.executemany("DELETE FROM baseline_templates WHERE host = ? AND template = ?", gone)
    changed = [(after.host, k, s.lines, s.deltas, s.first_seen, s.last_seen, int(s.poisoned))
               for k, s in after.templates.items() if before.templates.get(k) != s]
    tx.executemany(
        "INSERT INTO baseline_templates (host, template, lines, deltas, first_seen, last_seen, poisoned)"
        " VALUES (?,?,?,?,?,?,?) ON CONFLICT (host, template) DO UPDATE SET lines = excluded.lines,"
        " deltas = excluded.deltas, first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
        " poisoned = excluded.poisoned", changed)


def learn_baseline(tx: Tx, host: str, delta: Delta, verdict: Verdict, settings: BaselineSettings, *, now: float,
                   hits: Sequence[SignalHit] | None = None) -> LearnOutcome:
    """Teach the host's baseline one verdict and store the change (inside the caller's transaction).

    Called from the transaction that stores the verdict, so a crash leaves either both or
    neither: a delta is never learned twice, nor its verdict stored without the lesson.
    """
    before = load_baseline(tx, host, settings)
    after = copy.deepcopy(before)
    outcome = after.learn(delta, verdict, now=now, hits=hits)
    after.expire(now)
    if outcome != "ignored" or after.templates != before.templates:
        save_baseline(tx, before, after, now=now)
    return outcome


def fleet_templates_since(tx: Tx, since: float, limit: int) -> tuple[float | None, list[tuple[str, float, int, int]]]:
    """Templates no host's baseline held before ``since`` (read-only; ``tasseograph review``).

    Returns the oldest template time of any baseline (None when there is none: nothing can be
    new to a fleet with no history), and up to ``limit`` templates first seen at or after
    ``since`` (newest first), each as ``(template, first seen, hosts, lines)``.
    """
    (oldest,) = tx.execute("SELECT MIN(first_seen) FROM baseline_templates").fetchone()
    rows = tx.execute(
        "SELECT template, MIN(first_seen) AS first, COUNT(DISTINCT host), SUM(lines) FROM baseline_templates"
        " GROUP BY template HAVING MIN(first_seen) >= ? ORDER BY first DESC, template LIMIT ?",
        (since, limit)).fetchall()
    return (None if oldest is None else float(oldest)), [(r[0], float(r[1]), int(r[2]), int(r[3])) for r in rows]
