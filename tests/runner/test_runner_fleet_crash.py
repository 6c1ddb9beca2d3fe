"""``kill -9`` of ``tasseograph run`` at random points while it counts corrected errors per DIMM:
afterwards every host's deltas are counted exactly once (its fleet row's count equals its stored
verdicts), and the fleet tables and fleet findings equal a clean run's, so the fleet state was
written in the verdict's transaction: the old state or the new one, never half."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.runner.conftest import FakeAlertmanager, write_spool
from tests.runner.test_runner_crash import run, run_and_kill, write_config

HOSTS = 6
FILES_PER_HOST = 10
WAVES = 2
KILLS_PER_WAVE = 3
SEED = 20261207


def plan(rng: random.Random) -> list[list[tuple[str, str, str]]]:
    """Waves of (host, file name, text): each file 1-4 corrected errors on the host's DIMM, with
    fresh pages, dated over the last hours (the same plan for both runs)."""
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=FILES_PER_HOST)
    files = []
    for h in range(HOSTS):
        dimm = f"CPU_SrcID#{h % 2}_Ha#0_Chan#{h % 3}_DIMM#{h % 2}"
        for f in range(FILES_PER_HOST):
            lines = []
            for i in range(rng.randint(1, 4)):
                at = t0 + timedelta(hours=f, minutes=5 + 10 * i)
                up = 400_000.0 + (at - t0).total_seconds()
                lines.append(f"{at.isoformat(timespec='microseconds')} db-{h:02d} kernel: [{up:.6f}] EDAC MC{h % 2}: "
                             f"1 CE memory read error on {dimm} (page:0x{rng.randrange(1 << 20):x} offset:0x0 "
                             "grain:32 syndrome:0x0)")
            files.append((f"db-{h:02d}", f"{f:04d}.log", "\n".join(lines) + "\n"))
    per_wave = -(-len(files) // WAVES)
    return [files[w * per_wave:(w + 1) * per_wave] for w in range(WAVES)]


def fleet_state(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        verdicts = dict(conn.execute("SELECT host, COUNT(*) FROM verdicts GROUP BY host").fetchall())
        counted = dict(conn.execute("SELECT host, deltas FROM fleet_hosts").fetchall())
        assert counted == verdicts, "a delta was counted twice or not at all by the fleet logic"
        return {
            "counted": counted,
            "tracks": dict(conn.execute("SELECT key, data FROM fleet_tracks").fetchall()),
            "findings": sorted(conn.execute("SELECT host, signal, device, state FROM findings WHERE source='fleet'")),
        }
    finally:
        conn.close()


@pytest.mark.slow
def test_kill_9_leaves_the_fleet_state_of_the_stored_verdicts(tmp_path: Path) -> None:
    waves = plan(random.Random(SEED))
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    am = FakeAlertmanager()
    try:
        config = write_config(clean, am.url)
        for wave in waves:
            for host, name, text in wave:
                write_spool(clean / "spool", host, name, text)
            run(config)

        rng = random.Random(SEED + 1)
        config = write_config(crashed, am.url)
        kills = written = 0
        for wave in waves:
            for host, name, text in wave:
                write_spool(crashed / "spool", host, name, text)
            written += len(wave)
            for _ in range(KILLS_PER_WAVE):
                kills += bool(run_and_kill(config, crashed / "state.db", written, rng))
                fleet_state(crashed / "state.db")  # consistent after every kill
            run(config)
        run(config)
    finally:
        am.close()
    expected, got = fleet_state(clean / "state.db"), fleet_state(crashed / "state.db")
    assert sum(expected["counted"].values()) == HOSTS * FILES_PER_HOST
    assert any(signal == "fleet.memory.dimm_corrected" for _, signal, _, _ in expected["findings"])
    assert got == expected
    assert kills >= WAVES * KILLS_PER_WAVE - 2  # the kills really hit running processes
