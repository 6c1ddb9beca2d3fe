"""``python -m datasets.fleet --out DIR [--small] [--seed N]``: write a fleet replay (see README.md)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from datasets.fleet.schedule import Scale, build
from datasets.fleet.sources import SourceError, load_pools
from datasets.fleet.write import write_all

DEFAULT_START = "2026-11-01T00:00:00+00:00"


def shared_dir(given: str | None) -> Path | None:
    """``--shared``, ``$TASSEOGRAPH_SHARED`` or ``../shared`` beside the checkout."""
    repo = Path(__file__).resolve().parents[2]
    for cand in (given, os.environ.get("TASSEOGRAPH_SHARED"), str(repo.parent / "shared")):
        if cand and (Path(cand) / "datasets").is_dir():
            return Path(cand)
    return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m datasets.fleet", description=__doc__)
    p.add_argument("--out", required=True, help="directory to write (created)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--small", action="store_true", help="24 hosts x 4 days, one incident of each kind (tests)")
    p.add_argument("--hosts", type=int, help="override the number of hosts")
    p.add_argument("--days", type=float, help="override the number of days")
    p.add_argument("--start", default=DEFAULT_START, help="ISO time the replay starts (default %(default)s)")
    p.add_argument("--interval", type=float, default=300.0, help="spool interval in seconds (default 300)")
    p.add_argument("--layout", choices=("spool", "host"), default="spool",
                   help="spool: OUT/spool/HOST/STAMP.log per interval; host: OUT/hosts/HOST.log")
    p.add_argument("--shared", help="the shared data folder (default $TASSEOGRAPH_SHARED or ../shared)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Write the replay; one line on error, exit 2."""
    args = parse_args(argv)
    shared = shared_dir(args.shared)
    if shared is None:
        print("error: shared data not found: pass --shared or set TASSEOGRAPH_SHARED", file=sys.stderr)
        return 2
    try:
        start = datetime.fromisoformat(args.start)
    except ValueError:
        print(f"error: --start {args.start!r} is not an ISO time", file=sys.stderr)
        return 2
    scale = Scale.small() if args.small else Scale()
    overrides = {k: v for k, v in (("hosts", args.hosts), ("days", args.days)) if v is not None}
    scale = Scale(**{**scale.__dict__, **overrides})
    try:
        scale.check()
        pools = load_pools(shared)
        hosts, truth = build(pools, scale, seed=args.seed, start=start.replace(tzinfo=start.tzinfo or UTC).timestamp(),
                             interval_s=args.interval)
    except (SourceError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    files = write_all(hosts, truth, Path(args.out), layout=args.layout)
    lines = sum(len(h.lines) for h in hosts)
    print(f"{truth.hosts} hosts x {truth.days:g} days: {lines} lines in {files} files, "
          f"{len(truth.incidents)} incidents, {len(truth.noise)} noise events -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
