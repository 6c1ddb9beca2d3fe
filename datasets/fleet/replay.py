"""``python -m datasets.fleet.replay DIR``: replay a written fleet through the library and score it.

This checks the generator and the pure fleet logic together, on a simulated clock: every spool
file, in time order, is parsed (``parse_delta``), matched against the signal catalogue
(``signals.detect``) and handed to ``tasseograph.fleet.FleetMonitor`` as arriving at its
interval's end. It is *not* the runner (no queue, no model, no findings lifecycle, no
Alertmanager): ``tasseograph-eval fleet`` will replay through the runner's code.

What counts as a notification here (a stand-in for the runner's routing, stated so the figures
can be read):

* a catalogue hit of critical severity, once per (host, signal) until 24 h pass without one;
* a threshold crossing, once per (host, rule, unit) until 24 h pass without one;
* a trend turning rising, a pattern turning recurring, a correlated group forming (each is
  already a transition; a group growing is an update, not a notification).

Warning hits alone notify nothing: they reach an operator through thresholds, trends, patterns
and groups. The naive policy it is compared with sends one alert per delta (spool file) with
any catalogue hit.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tasseograph.eval.fleetscore import FleetScore, GroundTruth, Notification, score_replay
from tasseograph.fleet import (
    FleetMonitor,
    GroupChange,
    PatternFound,
    ThresholdCrossed,
    TrendRising,
    load_inventory,
)
from tasseograph.parsing import parse_delta
from tasseograph.signals import detect

REARM_S = 86_400.0
"""A key notifies again only after this long without an event."""


@dataclass
class Router:
    """The stand-in notification policy (see the module docstring)."""

    last: dict[str, float] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)

    def notify(self, key: str, at: float, kind: str, hosts: list[str], category: str | None) -> None:
        """Record a notification unless ``key`` had an event within ``REARM_S``."""
        previous = self.last.get(key)
        self.last[key] = at
        if previous is None or at - previous > REARM_S:
            self.notifications.append(Notification(at=at, kind=kind, key=key, hosts=hosts, category=category))

    def event(self, event: ThresholdCrossed | TrendRising | PatternFound | GroupChange) -> None:
        """Route one fleet event."""
        if isinstance(event, GroupChange):
            if event.change == "formed":
                g = event.group
                self.notify(event.key, g.formed_at, "group", list(g.members), g.key)
        else:
            self.notify(event.key, event.at, event.kind, [event.host], event.category)


def spool_files(root: Path) -> Iterator[tuple[str, Path]]:
    """``(host, file)`` of every spool file, in the order a collector would have delivered them."""
    files = [(p.name, host.name, p) for host in sorted((root / "spool").iterdir()) for p in host.glob("*.log")]
    for _, host, path in sorted(files):
        yield host, path


def replay(root: Path) -> tuple[FleetScore, dict[str, float]]:
    """Replay ``root`` (written by ``python -m datasets.fleet``) and score it.

    Returns the score and counts: deltas, deltas with a catalogue hit, fleet events, the size
    of the fleet state as JSON at the end, and the share of the replay's processing time spent
    in the fleet logic (``FleetMonitor``) rather than parsing and the catalogue (one process,
    one run: a ratio, not a timing).
    """
    truth = GroundTruth.model_validate_json((root / "ground_truth.json").read_text(encoding="utf-8"))
    monitor = FleetMonitor(load_inventory(root / "inventory.csv"))
    router = Router()
    deltas = non_ok = events = 0
    library_s = fleet_s = 0.0
    last_sweep = truth.start
    for host, path in spool_files(root):
        received = path.stat().st_mtime
        data = path.read_bytes()
        t0 = time.perf_counter()
        delta = parse_delta(data, host=host)
        hits = detect(delta.lines)
        t1 = time.perf_counter()
        fleet_events = monitor.ingest(delta, hits, received=received)
        if received - last_sweep >= 3_600.0:
            monitor.sweep(received)
            last_sweep = received
        t2 = time.perf_counter()
        library_s, fleet_s = library_s + (t1 - t0), fleet_s + (t2 - t1)
        deltas += 1
        non_ok += bool(hits)
        for hit in hits:
            if hit.severity == "critical":
                at = received - truth.interval_s
                router.notify(f"critical|{host}|{hit.signal_id}", at, "critical", [host], hit.category)
        for event in fleet_events:
            events += 1
            router.event(event)
    score = score_replay(truth, router.notifications, per_delta_alerts=non_ok)
    counts = {"deltas": deltas, "deltas_with_a_hit": non_ok, "fleet_events": events,
              "state_json_bytes": len(json.dumps(monitor.to_dict())),
              "fleet_logic_share_of_time": round(fleet_s / (fleet_s + library_s), 4)}
    return score, counts


def main(argv: list[str] | None = None) -> int:
    """Replay, print the score, optionally write it as JSON."""
    p = argparse.ArgumentParser(prog="python -m datasets.fleet.replay", description=__doc__.split("\n")[0])
    p.add_argument("dir", help="a directory written by python -m datasets.fleet (spool layout)")
    p.add_argument("--json", help="write the score here")
    args = p.parse_args(argv)
    root = Path(args.dir)
    if not (root / "ground_truth.json").is_file() or not (root / "spool").is_dir():
        print(f"error: {root} holds no spool replay (write one with python -m datasets.fleet --out DIR)",
              file=sys.stderr)
        return 2
    score, counts = replay(root)
    truth = GroundTruth.model_validate_json((root / "ground_truth.json").read_text(encoding="utf-8"))
    result = {"input": {"seed": truth.seed, "hosts": truth.hosts, "days": truth.days, "mix": truth.mix},
              "counts": counts, "score": score.model_dump()}
    text = json.dumps(result, indent=1)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
