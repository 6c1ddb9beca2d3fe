"""``kill -9`` at random points over a few hundred deltas from many hosts, some spool files mixing
binary junk with critical lines: after restarts the stored verdicts equal a clean run's, no critical
line is lost, and no alert is posted as a new one twice. A second run cuts the state file short
under a running runner: one line and exit 2, a recovery, and still no critical line lost."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

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


def spool_plan(rng: random.Random, hosts: int = HOSTS, files_per_host: int = FILES_PER_HOST,
               waves: int = WAVES) -> list[list[tuple[str, str, bytes]]]:
    """Waves of (host, file name, bytes): the same plan for both runs; about a third of the files
    carry binary junk before, after or glued to their lines."""
    files = []
    for h in range(hosts):
        for f in range(files_per_host):
            lines = [f"[{h * 100 + f:6d}.{i:03d}] {rng.choice(LINES)}" for i in range(rng.randint(1, 4))]
            text = ("\n".join(lines) + "\n").encode()
            files.append((f"node{h:02d}", f"{f:04d}.log", with_junk(rng, text)))
    per_wave = -(-len(files) // waves)
    return [files[w * per_wave:(w + 1) * per_wave] for w in range(waves)]


def with_junk(rng: random.Random, text: bytes) -> bytes:
    """``text`` as written, or with a few KB of garbage before it, after it, or glued to its first line.

    A line glued to garbage is read only when it is a signal (the rest goes to quarantine), so a
    file of one routine line is not glued: every file still gets a verdict to compare.
    """
    mode = rng.choice(["clean", "clean", "before", "after", "glued"])
    if mode == "glued" and text.count(b"\n") == 1 and CRITICAL_LINE.encode() not in text:
        mode = "before"
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(512, 3072)))
    if mode == "before":
        return junk + b"\n" + text
    if mode == "after":
        return text + junk + b"\n"
    if mode == "glued":
        return junk.replace(b"\n", b"") + text
    return text


def critical_lines(plan: list[list[tuple[str, str, bytes]]]) -> dict[tuple[str, str], int]:
    """Critical lines written per (host, file)."""
    out = {}
    for wave in plan:
        for host, name, data in wave:
            n = data.count(CRITICAL_LINE.encode())
            if n:
                out[(host, name)] = n
    return out


def critical_found(db: Path) -> dict[tuple[str, str], int]:
    """Critical catalogue lines stored per (host, file): the episode counts of critical memory findings."""
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT ref, verdict FROM verdicts").fetchall()
    conn.close()
    out: dict[tuple[str, str], int] = {}
    for ref, text in rows:
        for f in json.loads(text)["findings"]:
            if f["severity"] == "critical" and f["signal_id"] == "edac.ue":
                host, _, rest = ref.partition("/")
                key = (host, rest.split(":", 1)[0])
                out[key] = out.get(key, 0) + f["count"]
    return out


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


def findings_of(root: Path) -> dict[tuple[str, str, str], tuple[int, str, int, list[str]]]:
    """Findings by key: times seen, state, regressions and the moves of their audit trail."""
    conn = sqlite3.connect(root / "state.db")
    try:
        rows = conn.execute("SELECT id, host, signal, device, times_seen, state, regressions FROM findings").fetchall()
        out = {}
        for finding_id, host, signal_id, device, times_seen, state, regressions in rows:
            moves = [r[0] for r in conn.execute("SELECT action FROM finding_events WHERE finding_id=? ORDER BY id",
                                                (finding_id,))]
            out[(host, signal_id, device)] = (times_seen, state, regressions, moves)
    finally:
        conn.close()
    assert out
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
        assert findings_of(crashed) == findings_of(clean)  # each delta counted once, the same moves
        assert critical_found(crashed / "state.db") == critical_lines(plan)  # junk hid no critical line
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


def run_and_cut(config: Path, db: Path, rng: random.Random) -> int:
    """Start ``run --once`` and cut the state file to a fraction of its size once the run has
    queued some deltas (mid-run, as a full disk or a careless ``truncate`` would); its exit code."""
    proc = subprocess.Popen([*TASSEOGRAPH, "run", "--once", "--config", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    before, _ = progress(db)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if progress(db)[0] - before >= 5:
            size = db.stat().st_size
            os.truncate(db, max(4096, int(size * rng.uniform(0.2, 0.6)) // 4096 * 4096))
            break
        time.sleep(0.001)
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err, err.decode()
    return proc.returncode


@pytest.mark.slow
def test_a_state_file_cut_short_mid_run_loses_no_critical_line(tmp_path: Path) -> None:
    rng = random.Random(SEED + 2)
    plan = spool_plan(rng, hosts=12, files_per_host=6, waves=2)
    am = FakeAlertmanager()
    root = tmp_path / "run"
    try:
        config = write_config(root, am.url)
        db = root / "state.db"
        first, second = plan
        for host, name, data in first:
            write_spool(root / "spool", host, name, data)
        run_and_kill(config, db, len(first), rng)
        run(config)
        judged_before = critical_found(db)

        for host, name, data in second:
            write_spool(root / "spool", host, name, data)
        code = run_and_cut(config, db, rng)
        kept = {(p.parent.name, p.name) for p in (root / "spool").rglob("*.log")}
        again = subprocess.run([*TASSEOGRAPH, "run", "--once", "--config", str(config)],
                               capture_output=True, timeout=120, check=False)
        assert code == 2 or again.returncode == 2, "the damage went unnoticed"
        err = again.stderr.decode().strip().splitlines()
        assert again.returncode == 2 and len(err) == 1 and "damaged" in err[0], again.stderr.decode()
        recover = subprocess.run([*TASSEOGRAPH, "state", "recover", "--config", str(config)],
                                 capture_output=True, timeout=120, check=False)
        assert recover.returncode == 0, recover.stderr.decode()
        run(config)
        run(config)

        written = critical_lines(plan)
        found = critical_found(db)
        # Every file left in the spool when the state broke is judged again in full ...
        for key in kept:
            assert found.get(key, 0) == written.get(key, 0), key
        # ... and a file deleted before that had its verdict (and alert) before the damage.
        deleted = {key for key in written if key[0] and key not in kept}
        assert all(key in found or key in judged_before or _alerted(am, key[0]) for key in deleted)
        assert not list((root / "spool").rglob("*.log"))
        hosts = {host for host, _ in written}
        assert hosts and all(_alerted(am, host) for host in hosts)
    finally:
        am.close()


def _alerted(am: FakeAlertmanager, host: str) -> bool:
    return any(a["labels"].get("host") == host and a["labels"].get("severity") == "critical" for a in am.alerts())
