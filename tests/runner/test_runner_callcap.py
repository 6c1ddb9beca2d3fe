"""Cost amplification (issue 8, item 7): one monstrous spool line, or a host that floods its log,
cannot multiply the model calls; pieces past a cap get the catalogue's verdict, with the reason
recorded and counted."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tasseograph.runner.callcap import DELTA_CAP, HOST_CAP, CallCaps
from tests.runner.conftest import CRITICAL_LINE, KeywordModel, make_config, make_runner, write_spool


def stored(runner: object) -> list[tuple[str, str | None, str]]:
    conn = runner.state.conn  # type: ignore[attr-defined]
    return [(r[0], r[1], r[2]) for r in conn.execute("SELECT host, fallback, verdict FROM verdicts ORDER BY delta_id")]


def skipped(runner: object, reason: str) -> float:
    conn = runner.state.conn  # type: ignore[attr-defined]
    row = conn.execute("SELECT value FROM counters WHERE name='dmesg_llm_skipped_calls_total' AND labels=?",
                       (json.dumps({"reason": reason}, separators=(",", ":")),)).fetchone()
    return float(row[0]) if row else 0.0


def test_one_single_line_file_cannot_become_dozens_of_calls(tmp_path: Path) -> None:
    # The 30 MB single-line file of the issue, scaled down with max_delta_bytes: 60 pieces.
    line = f"[ 1.0] {CRITICAL_LINE} " + "A" * (60 * 1024) + "\n"
    write_spool(tmp_path / "spool", "web1", "huge.log", line)
    model = KeywordModel()
    runner = make_runner(make_config(tmp_path, **{"sources.max_delta_bytes": 1024}), model=model)
    asyncio.run(runner.cycle())
    rows = stored(runner)
    assert len(rows) >= 60
    assert len(model.calls) == 4  # budget.max_calls_per_delta
    capped = [r for r in rows if r[1] == DELTA_CAP]
    assert len(capped) == len(rows) - 4
    assert skipped(runner, DELTA_CAP) == len(capped)
    # The piece with the critical line was judged (by the model or the catalogue): it still alerts.
    assert any(json.loads(v)["status"] == "critical" for _, _, v in rows)
    runner.state.close()


def test_a_host_that_floods_its_log_is_capped_per_hour(tmp_path: Path) -> None:
    model = KeywordModel()
    config = make_config(tmp_path, **{"budget.max_calls_per_host_hour": 3})
    runner = make_runner(config, model=model)
    clock = [1_000_000.0]
    runner.clock = lambda: clock[0]
    for i in range(5):
        write_spool(tmp_path / "spool", "noisy", f"{i:04d}.log", f"[ {i}.0] mydrv: odd message {i}\n")
        write_spool(tmp_path / "spool", "other", f"{i:04d}.log", f"[ {i}.0] mydrv: odd message {i}\n")
        asyncio.run(runner.cycle())
        clock[0] += 600  # a cycle every 10 minutes: 5 within the hour
    by_host = [(h, f) for h, f, _ in stored(runner)]
    assert [f for h, f in by_host if h == "noisy"] == [None, None, None, HOST_CAP, HOST_CAP]
    assert skipped(runner, HOST_CAP) == 4  # both hosts send the same: both capped twice
    clock[0] += 3600
    write_spool(tmp_path / "spool", "noisy", "late.log", "[ 9.0] mydrv: odd message again\n")
    asyncio.run(runner.cycle())
    assert stored(runner)[-1][1] is None  # a new hour: calls again
    runner.state.close()


def test_caps_split_in_order_and_zero_means_no_cap() -> None:
    items = [("a", 1), ("a", 1), ("a", 1), ("b", 1), ("a", 2)]
    allowed, capped = CallCaps(per_delta=2, per_host_hour=3).split(
        items, host=lambda i: i[0], delta=lambda i: i, calls_last_hour=lambda h: 0)
    assert allowed == [("a", 1), ("a", 1), ("b", 1), ("a", 2)]
    assert capped == [(("a", 1), DELTA_CAP)]
    allowed, capped = CallCaps(per_delta=0, per_host_hour=0).split(
        items, host=lambda i: i[0], delta=lambda i: i, calls_last_hour=lambda h: 99)
    assert allowed == items and capped == []
    _, capped = CallCaps(per_delta=5, per_host_hour=2).split(
        items, host=lambda i: i[0], delta=lambda i: i, calls_last_hour=lambda h: 1)
    assert [c for _, c in capped] == [HOST_CAP, HOST_CAP, HOST_CAP]
