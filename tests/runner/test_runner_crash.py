"""``kill -9`` at random points over a few hundred deltas from many hosts: after restarts the
stored verdicts equal a clean run's, nothing is lost, and no alert is posted as a new one twice."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.runner.conftest import CRITICAL_LINE, FakeAlertmanager, write_spool

HOSTS = 25
FILES_PER_HOST = 8
WAVES = 3
KILLS_PER_WAVE = 3
MAX_KILL_ATTEMPTS = 15
SEED = 20261202
TASSEOGRAPH = [sys.executable, "-c", "from tasseograph.cli import main; main()"]
LINES = [
    CRITICAL_LINE,
    "EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0",
    "nvme nvme0: I/O 12 QID 3 timeout, aborting",
    "mydrv 0000:03:00.0: periodic status ok",
    "usb 1-1: new high-speed USB device number 2 using xhci_hcd",
]


def spool_plan(rng: random.Random) -> list[list[tuple[str, str, str]]]:
    """Waves of (host, file name, text): the same plan for both runs."""
    files = []
    for h in range(HOSTS):
        for f in range(FILES_PER_HOST):
            lines = [f"[{h * 100 + f:6d}.{i:03d}] {rng.choice(LINES)}" for i in range(rng.randint(1, 4))]
            files.append((f"node{h:02d}", f"{f:04d}.log", "\n".join(lines) + "\n"))
    per_wave = -(-len(files) // WAVES)
    return [files[w * per_wave:(w + 1) * per_wave] for w in range(WAVES)]


def write_config(root: Path, am_url: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "tasseograph.toml"
    path.write_text(f"""state = "{root / 'state.db'}"
[model]
name = "rules"
[sources.spool]
dir = "{root / 'spool'}"
settle = 0
[polling]
adaptive = false
[alerts]
alertmanager_url = "{am_url}"
warning_min_checks = 2
warning_window = "1d"
resolve_after_checks = 2
resolve_after = 0
resolve_quiet = 0
repost = "1d"
""", encoding="utf-8")
    return path


def run(config: Path) -> float:
    """One complete ``run --once``; returns how long it took."""
    started = time.monotonic()
    proc = subprocess.run([*TASSEOGRAPH, "run", "--once", "--config", str(config)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    return time.monotonic() - started


def run_and_kill(config: Path, after: float) -> bool:
    """Start ``run --once`` and SIGKILL it ``after`` seconds in; True if it was still running."""
    proc = subprocess.Popen([*TASSEOGRAPH, "run", "--once", "--config", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    return proc.wait() == -signal.SIGKILL


def stored(root: Path) -> dict[str, Any]:
    conn = sqlite3.connect(root / "state.db")
    try:
        rows = conn.execute("SELECT ref, verdict FROM verdicts").fetchall()
        queued = conn.execute("SELECT COUNT(*) FROM deltas").fetchone()[0]
    finally:
        conn.close()
    assert queued == 0
    refs = [ref for ref, _ in rows]
    assert len(refs) == len(set(refs)), "a delta got two verdicts"
    out = {}
    for ref, text in rows:
        v = json.loads(text)
        out[ref] = (v["status"], sorted((f["severity"], f["category"], f["summary"], f["evidence"], f["source"])
                                       for f in v["findings"]))
    return out


def test_kill_9_loses_nothing_and_never_double_alerts(tmp_path: Path) -> None:
    plan = spool_plan(random.Random(SEED))
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    am_clean, am_crash = FakeAlertmanager(), FakeAlertmanager()
    try:
        durations = []
        config = write_config(clean, am_clean.url)
        startup = run(config)  # nothing to do yet: the cost of starting Python and the imports
        for wave in plan:
            for host, name, text in wave:
                write_spool(clean / "spool", host, name, text)
            durations.append(run(config))
        longest = max(durations)

        rng = random.Random(SEED + 1)
        config = write_config(crashed, am_crash.url)
        kills = 0
        for wave in plan:
            for host, name, text in wave:
                write_spool(crashed / "spool", host, name, text)
            hits = attempts = 0
            # At least KILLS_PER_WAVE kills, and more until one lands in a running process: a fast
            # cycle can end before a kill drawn late in the window arrives.
            while attempts < KILLS_PER_WAVE or (hits == 0 and attempts < MAX_KILL_ATTEMPTS):
                hits += run_and_kill(config, rng.uniform(startup * 0.8, longest))
                attempts += 1
            kills += hits
            run(config)
        run(config)  # anything a last kill left behind

        expected, got = stored(clean), stored(crashed)
        assert len(expected) == HOSTS * FILES_PER_HOST
        assert got == expected
        assert kills >= WAVES  # the kills really hit running processes
        clean_episodes = {k: len(v) for k, v in am_clean.episodes().items()}
        crash_episodes = {k: len(v) for k, v in am_crash.episodes().items()}
        assert clean_episodes and crash_episodes == clean_episodes
        conn = sqlite3.connect(crashed / "state.db")
        (started,) = conn.execute("SELECT SUM(value) FROM counters WHERE name='dmesg_llm_alerts_total'").fetchone()
        conn.close()
        assert started == sum(crash_episodes.values())  # each episode started once, in one transaction
        assert not list((crashed / "spool").rglob("*.log"))
    finally:
        am_clean.close()
        am_crash.close()
