"""How many deltas a second the runner's store lets through: SQLite with one runner, PostgreSQL with 1, 2, 3.

Every configuration gets the same spool: ``hosts`` x ``passes`` files (one delta each), each the
next slice of a real healthy boot log from ``../shared`` (``dmesg-real/noise``) with, on a third of
the hosts, signal lines with fresh numbers on every line (``benchmarks.findings.spool_plan``:
corrected errors at new pages, NVMe timeouts with new command ids, NIC flaps, a few uncorrected
errors) and, on another third, lines of the real dev set (``dmesg-real/dev.jsonl``) with every
number made new. The ``rules`` model judges (no key, no server): what is measured is the runner
and its store, not a model.

Each figure is the wall time from starting ``tasseograph run --once`` (N processes at once,
sharing the store) to the last one's exit, for the whole spool, as deltas per second; and its ratio
to the SQLite single runner measured in the same command (the machine's load moves both). The
PostgreSQL server is Debian's, started here in a temp dir on 127.0.0.1 with ``fsync`` on (as
durable as the SQLite file); every run gets a new empty database. Configurations alternate
``repeats`` times and the best run of each counts.

``python -m benchmarks.store [--tiny] [--out DIR]``
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import fmt, md_table, parse_args, shared_dir, write_result
from benchmarks.findings import spool_plan

SEED = 20261207
FULL = {"hosts": 50, "passes": 40, "runners": (1, 2, 3), "repeats": 2}
TINY = {"hosts": 4, "passes": 2, "runners": (1, 2), "repeats": 1}
TASSEOGRAPH = [sys.executable, "-c", "from tasseograph.cli import main; main()"]
_NUMBER = re.compile(r"0x[0-9a-fA-F]+|\d+")


def dev_lines() -> list[str]:
    """The messages of the real dev set's excerpts (their stamps are rewritten)."""
    out = []
    with (shared_dir() / "datasets" / "dmesg-real" / "dev.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            for text in json.loads(line)["text"].splitlines():
                message = text.split("] ", 1)[1] if text.startswith("[") and "] " in text else text
                if message.strip():
                    out.append(message)
    return out


def fresh(rng: random.Random, message: str) -> str:
    """``message`` with every number new (hex stays hex), as the next failing host would log it."""
    def repl(m: re.Match[str]) -> str:
        text = m.group(0)
        return f"0x{rng.randrange(1 << 24):x}" if text.startswith("0x") else str(rng.randrange(10 ** len(text)))

    return _NUMBER.sub(repl, message)


def build_plan(hosts: int, passes: int) -> list[tuple[str, str, str]]:
    """(host, file name, text) of every delta."""
    rng = random.Random(SEED)
    dev = dev_lines()
    files = []
    for p, wave in enumerate(spool_plan(hosts, passes)):
        for h, (host, text) in enumerate(wave):
            if h % 3 == 1:
                start = rng.randrange(max(1, len(dev) - 5))
                stamp = 1000.0 + p * 300.0 + 0.5
                text += "".join(f"[{stamp + i * 0.01:12.6f}] {fresh(rng, m)}\n" for i, m in enumerate(dev[start:start + 5]))
            files.append((host, f"{p:04d}.log", text))
    return files


def write_spool(root: Path, files: list[tuple[str, str, str]]) -> None:
    for host, name, text in files:
        folder = root / host
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
        old = time.time() - 120
        os.utime(folder / name, (old, old))


def write_config(root: Path, state: str) -> Path:
    path = root / "tasseograph.toml"
    path.write_text(f"""state = "{state}"
[model]
name = "rules"
[sources.spool]
dir = "{root / 'spool'}"
settle = 0
[polling]
adaptive = false
[store]
claim_batch = 50
""", encoding="utf-8")
    path.chmod(0o600)
    return path


def one_run(files: list[tuple[str, str, str]], runners: int, state: str | None) -> tuple[float, int]:
    """Seconds for ``runners`` processes to judge the whole spool (``state`` None: a SQLite file);
    the verdicts stored."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_spool(root / "spool", files)
        config = write_config(root, state or str(root / "state.db"))
        started = time.monotonic()
        procs = [subprocess.Popen([*TASSEOGRAPH, "run", "--once", "-q", "--config", str(config)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(runners)]
        for proc in procs:
            _, err = proc.communicate(timeout=3600)
            if proc.returncode != 0:
                raise SystemExit(f"runner failed: {err.decode()[-2000:]}")
        elapsed = time.monotonic() - started
        left = list((root / "spool").rglob("*.log"))
        if left:
            raise SystemExit(f"{len(left)} spool files left unjudged after the run")
        verdicts = count_verdicts(state or str(root / "state.db"))
    return elapsed, verdicts


def count_verdicts(state: str) -> int:
    from tasseograph.store import open_store

    store = open_store(state)
    try:
        return len(store.verdict_rows())
    finally:
        store.close()


def main(argv: list[str] | None = None) -> None:
    from tests.pgserver import PgServer

    args = parse_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    size: dict[str, Any] = TINY if args.tiny else FULL
    files = build_plan(size["hosts"], size["passes"])
    server = PgServer(durable=True).start()
    best: dict[str, float] = {}
    verdicts: dict[str, int] = {}
    try:
        n = 0
        for _ in range(size["repeats"]):
            configs: list[tuple[str, int, str | None]] = [("SQLite, 1 runner", 1, None)]
            for k in size["runners"]:
                n += 1
                configs.append((f"PostgreSQL, {k} runner{'s' if k > 1 else ''}", k, server.create_database(f"b{n}")))
            for label, k, url in configs:
                seconds, got = one_run(files, k, url)
                best[label] = min(best.get(label, seconds), seconds)
                verdicts[label] = got
    finally:
        server.stop()
    bad = {label: got for label, got in verdicts.items() if got != len(files)}
    if bad:
        raise SystemExit(f"verdicts stored differ from the {len(files)} deltas: {bad}")
    reference = best["SQLite, 1 runner"]
    rows, figures = [], {}
    for label, seconds in best.items():
        rate = len(files) / seconds
        figures[label] = {"seconds": round(seconds, 3), "deltas_per_s": round(rate, 1),
                          "ratio_to_sqlite": round(reference / seconds, 3)}
        rows.append([label, fmt(seconds), fmt(rate), fmt(reference / seconds)])
    payload = {
        "tiny": args.tiny,
        "input": f"{size['hosts']} hosts x {size['passes']} passes = {len(files)} spool files (one delta each): "
                 "real healthy boot-log lines, fresh signal lines on a third of the hosts, real dev-set lines with "
                 "new numbers on another third",
        "deltas": len(files), "model": "rules", "repeats": size["repeats"],
        "postgres": "Debian's server, temp dir, 127.0.0.1, fsync on", "cpus": os.cpu_count(),
        "results": figures,
    }
    markdown = (
        f"# Store: deltas per second by backend and runners\n\nInput: {payload['input']} (`benchmarks/store.py`). "
        "Wall time from starting `tasseograph run --once` (N processes at once on one store) to the last exit, "
        f"whole spool judged by the `rules` model; best of {size['repeats']} alternating runs. PostgreSQL: "
        f"{payload['postgres']}, on the same {os.cpu_count()}-CPU machine as the runners.\n\n"
        + md_table(["store", "seconds", "deltas/s", "x SQLite (same command)"], rows))
    write_result(args.out, "store", payload, markdown)


if __name__ == "__main__":
    main()
