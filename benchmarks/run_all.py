"""Run every benchmark, in order, into one result folder; then print ``summary.json``.

Run: ``python -m benchmarks.run_all`` (``--tiny`` for a smoke run, ``--out DIR``). Each
benchmark runs in its own process, so one's memory and threads never skew another's figures.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

from benchmarks._common import REPO, RESULTS, parse_args, refresh_readme

BENCHMARKS = ("throughput", "cold_start", "token_reduction", "cost_per_host_month", "fleet_cost", "eval_replay")
"""Module names under ``benchmarks/``; the timing ones first, while the machine is quietest."""


def main(argv: Sequence[str] | None = None) -> None:
    """Run every benchmark; stop at the first that fails."""
    args = parse_args(__doc__.splitlines()[0], argv)
    for name in BENCHMARKS:
        cmd = [
            sys.executable,
            "-m",
            f"benchmarks.{name}",
            "--out",
            str(args.out),
            *(["--tiny"] if args.tiny else []),
        ]
        print(f"== {' '.join(cmd[1:])}", flush=True)
        subprocess.run(cmd, cwd=REPO, check=True)
    if args.out.resolve() == RESULTS.resolve():
        refresh_readme(args.out, BENCHMARKS)
    print((args.out / "summary.json").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
