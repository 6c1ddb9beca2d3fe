"""A fleet replay through the runner's own code, on a simulated clock, scored (``tasseograph-eval fleet``).

The replay (``python -m datasets.fleet``: per-host spool files whose mtime is the end of their
interval, an inventory, the ground truth) is fed to the real ``Runner`` as a collector would
feed it: every ``step_s`` of simulated time (5 minutes, the cron interval of
``deploy/crontab``), the spool files due by then are linked into a live spool directory and one
runner cycle runs (``tasseograph run --once``), with the simulated time as its clock. Nothing
sleeps: a month replays as fast as the runner can judge it. Everything else is the runner as
deployed: the spool source, the queue and adaptive polling, the model (``rules`` or ``local``,
both offline), findings with their lifecycle, the fleet signals over the inventory, and the
alert outbox. Alertmanager is a stand-in in the same process (``CountingAlertmanager``) that
records every post, so nothing depends on a network.

What counts (``notifications``): each alert episode the runner sends for a finding (a label set
and its ``startsAt``, however often it is re-posted), and each resolution; the runner's own
alerts (budget, API down) are counted apart. The naive policy it is compared with alerts once
per non-ok verdict the same run stored. ``tasseograph.eval.fleetscore`` scores the rest.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from tasseograph.errors import UsageError
from tasseograph.eval.fleetscore import FleetScore, GroundTruth, Notification, score_replay
from tasseograph.eval.standin import STAND_IN_URL, CountingAlertmanager, Delivered, InhibitRule
from tasseograph.runner.alerts import FINDING_ALERT, FLEET_EVENT
from tasseograph.runner.config import RunnerConfig
from tasseograph.runner.sources import build_sources
from tasseograph.runner.state import State
from tasseograph.runner.worker import Runner
from tasseograph.schema import Category

STEP_S = 300.0
"""Simulated time between runner cycles (``tasseograph run --once`` every 5 minutes)."""
DRAIN_S = 7_200.0
"""Cycles go on this long after the last spool file, so adaptive polling's waiting deltas are judged."""
CATEGORIES = frozenset(get_args(Category))


@dataclass
class SimClock:
    """The runner's clock during a replay: set by the driver, never read from the machine."""

    now: float

    def __call__(self) -> float:
        return self.now


@dataclass
class RunnerReplay:
    """What a replay through the runner produced."""

    score: FleetScore
    counts: dict[str, Any]
    notifications: list[Notification] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    """The fleet findings the run raised (id, kind, summary, members), for the report."""


def read_truth(root: Path) -> GroundTruth:
    """The ground truth of a replay written by ``python -m datasets.fleet``.

    Raises:
        UsageError: ``root`` holds no spool replay.
    """
    truth_file, spool = root / "ground_truth.json", root / "spool"
    if not truth_file.is_file() or not spool.is_dir() or not (root / "inventory.csv").is_file():
        raise UsageError(f"{root} holds no fleet replay (spool/, inventory.csv, ground_truth.json): "
                         "write one with `python -m datasets.fleet --out DIR` or let `tasseograph-eval fleet` "
                         "generate it")
    try:
        return GroundTruth.model_validate_json(truth_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UsageError(f"{truth_file}: not a fleet replay's ground truth ({str(exc).splitlines()[0]})") from None


def spool_files(root: Path) -> list[tuple[float, str, Path]]:
    """``(mtime, host, path)`` of every spool file, in the order a collector delivered them."""
    out = []
    for host in sorted(p for p in (root / "spool").iterdir() if p.is_dir()):
        for path in host.glob("*.log"):
            out.append((path.stat().st_mtime, host.name, path))
    return sorted(out)


def replay_config(root: Path, work: Path, *, model: str) -> RunnerConfig:
    """The runner's configuration for a replay: the defaults, with the replay's spool, inventory and model."""
    return RunnerConfig().with_overrides({
        "state": str(work / "state.db"), "sources.spool.dir": str(work / "spool"), "sources.spool.settle": 0,
        "model.name": model, "fleet.inventory": str(root / "inventory.csv"),
        "alerts.alertmanager_url": STAND_IN_URL,
    })


def replay(root: Path, work: Path, *, model: str = "rules", inhibit: Sequence[InhibitRule] = (),
           step_s: float = STEP_S, progress: Callable[[str], None] | None = None) -> RunnerReplay:
    """Replay ``root`` through the runner in ``work`` (see the module docstring) and score it.

    Args:
        root: a replay written by ``python -m datasets.fleet`` (spool layout).
        work: an empty folder for the live spool and the state file.
        model: ``rules`` or ``local`` (offline models only: no key, no server).
        inhibit: the Alertmanager config's inhibit rules the stand-in applies (``standin.load_inhibit_rules``).
        step_s: simulated seconds between cycles.
        progress: called with a line now and then (simulated day, verdicts so far).

    Raises:
        UsageError: ``root`` holds no replay, or ``work`` is not empty.
    """
    truth = read_truth(root)
    if work.exists() and any(work.iterdir()):
        raise UsageError(f"{work} is not empty: a replay needs a fresh folder for its state and spool")
    files = spool_files(root)
    config = replay_config(root, work, model=model)
    clock = SimClock(truth.start)
    am = CountingAlertmanager(clock, inhibit)
    state = State(config.state)
    started, cpu = time.perf_counter(), time.process_time()
    cycles = 0
    try:
        runner = Runner(config, state, build_sources(config), alert_client=am, clock=clock)
        loop = asyncio.new_event_loop()
        try:
            pending = iter(files)
            nxt = next(pending, None)
            end = (files[-1][0] if files else truth.end) + DRAIN_S
            while clock.now < end:
                clock.now += step_s
                while nxt is not None and nxt[0] <= clock.now:
                    _deliver(nxt[2], work / "spool" / nxt[1])
                    nxt = next(pending, None)
                loop.run_until_complete(runner.cycle())
                cycles += 1
                if progress is not None and cycles % round(86_400 / step_s) == 0:
                    progress(f"day {(clock.now - truth.start) / 86_400:.0f}: {_verdicts(state.conn):,} verdicts")
        finally:
            loop.close()
        wall, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        notes, system = notifications(am.delivered)
        counts = _counts(state.conn, files=len(files), cycles=cycles, system_alerts=system, alert_episodes=am.episodes,
                         inhibited=am.inhibited, wall_s=wall, cpu_s=cpu_s, state_path=config.state)
        score = score_replay(truth, notes, per_delta_alerts=counts["non_ok_verdicts"])
        return RunnerReplay(score, counts, notes, _fleet_findings(state.conn))
    finally:
        state.close()


def _deliver(source: Path, folder: Path) -> None:
    """Put one spool file into the live spool as a collector would (a hard link keeps its mtime)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def notifications(delivered: Sequence[Delivered]) -> tuple[list[Notification], int]:
    """What the stand-in notified, as the scorer reads it; and how many of the runner's own alerts
    (budget, API down: not about hardware) it notified."""
    out: list[Notification] = []
    system = 0
    for d in delivered:
        if d.labels.get("alertname") != FINDING_ALERT:
            system += not d.resolved
            continue
        members = [m for m in d.annotations.get("members", "").split(", ") if m]
        category = d.labels.get("category")
        out.append(Notification(at=d.at, kind=d.annotations.get(FLEET_EVENT, "alert"), key=d.labels["finding_id"],
                                hosts=members or [d.labels["host"]],
                                category=category if category in CATEGORIES else None, resolved=d.resolved))
    return out, system


def _verdicts(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0])


def _counts(conn: sqlite3.Connection, **extra: Any) -> dict[str, Any]:
    state_path: Path = extra.pop("state_path")
    rows = dict(conn.execute("SELECT status, COUNT(*) FROM verdicts GROUP BY status").fetchall())
    findings = dict(conn.execute("SELECT source, COUNT(*) FROM findings GROUP BY source").fetchall())
    fleet_rows = {t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
                  for t in ("fleet_hosts", "fleet_tracks", "fleet_events", "fleet_groups")}
    return {
        "spool_files": extra.pop("files"), "cycles": extra.pop("cycles"), "verdicts": sum(rows.values()),
        "verdicts_by_status": rows, "non_ok_verdicts": sum(n for s, n in rows.items() if s != "ok"),
        "findings_by_source": findings, "fleet_rows": fleet_rows,
        "state_file_mb": round(state_path.stat().st_size / 2**20, 1), **extra,
    }


def _fleet_findings(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT id, host, signal, state, summary, members, details FROM findings"
                        " WHERE source = 'fleet' ORDER BY first_seen, id")
    out = []
    for fid, host, signal, state, summary, members, details in rows:
        kind = json.loads(details).get("kind", "")
        out.append({"id": fid, "host": host, "signal": signal, "kind": kind, "state": state, "summary": summary,
                    "members": json.loads(members)})
    return out


def iter_lines(result: RunnerReplay) -> Iterator[str]:
    """The replay's result as short text lines (what the CLI prints)."""
    s, c = result.score, result.counts
    yield (f"{c['spool_files']:,} spool files -> {c['verdicts']:,} verdicts ({c['non_ok_verdicts']:,} not ok) in "
           f"{c['cycles']:,} cycles; {c['wall_s']:.0f} s wall, {c['cpu_s']:.0f} s CPU")
    yield (f"notifications: {s.notifications} ({s.notifications_per_day:.2f} a day) vs {s.per_delta_alerts} "
           f"per-delta alerts: {_x(s.notification_reduction)} fewer")
    yield (f"incidents found: {_pct(s.incident_recall)} of {s.incidents} (precision {_pct(s.incident_precision)}); "
           f"correlated groups {_pct(s.correlated_groups_recall)} of {s.correlated_groups}; missed: "
           f"{', '.join(s.missed) or 'none'}")
    leads = ", ".join(f"{h:.0f} h" for h in s.trend_lead_time_h.values())
    yield f"trend lead time before the uncorrected error: {leads or 'no ramp'} (median {_h(s.trend_lead_time_h_median)})"
    yield f"duplicate alerts: {s.duplicate_alerts}; noise notified: {s.noise_notified}"


def _x(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1f}x"


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0%}"


def _h(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1f} h"
