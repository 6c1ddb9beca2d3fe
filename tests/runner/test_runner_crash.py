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


def progress(db: Path) -> tuple[int, int]:
    """(deltas ever enqueued, deltas with a verdict): each delta is one queue row or one verdict row."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05)
        try:
            queued = conn.execute("SELECT COUNT(*) FROM deltas").fetchone()[0]
            done = conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or busy for a moment
        return -1, -1
    return queued + done, done


def run_and_kill(config: Path, db: Path, total: int, rng: random.Random) -> bool | None:
    """Start ``run --once`` and SIGKILL it at a random point of its remaining work.

    The point is drawn over the work still to do (each delta to enqueue, then each verdict to
    store) and the kill is sent once the state shows it, so it lands inside the cycle however
    fast or slow this machine is. True if the kill hit a running process, None if no work was left.
    """
    enqueued, done = progress(db)
    enqueued, done = max(enqueued, 0), max(done, 0)
    to_enqueue, to_judge = total - enqueued, total - done
    if to_enqueue + to_judge == 0:
        return None
    target = rng.randint(1, to_enqueue + to_judge)
    proc = subprocess.Popen([*TASSEOGRAPH, "run", "--once", "--config", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        now_enqueued, now_done = progress(db)
        if (now_enqueued - enqueued >= target if target <= to_enqueue
                else now_done - done >= target - to_enqueue):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    return proc.wait(timeout=120) == -signal.SIGKILL


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
        config = write_config(clean, am_clean.url)
        for wave in plan:
            for host, name, text in wave:
                write_spool(clean / "spool", host, name, text)
            run(config)

        rng = random.Random(SEED + 1)
        config = write_config(crashed, am_crash.url)
        kills = written = 0
        for wave in plan:
            for host, name, text in wave:
                write_spool(crashed / "spool", host, name, text)
            written += len(wave)
            for _ in range(KILLS_PER_WAVE):
                hit = run_and_kill(config, crashed / "state.db", written, rng)
                kills += bool(hit)
            run(config)
        run(config)  # anything a last kill left behind

        expected, got = stored(clean), stored(crashed)
        assert len(expected) == HOSTS * FILES_PER_HOST
        assert got == expected
        assert kills >= WAVES * KILLS_PER_WAVE - 2  # the kills really hit running processes
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
