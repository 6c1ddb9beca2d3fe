"""The fleet replay generator (``datasets/fleet``) on ``--small``: determinism, real lines, ground truth."""

from __future__ import annotations

import filecmp
import random
import re
from pathlib import Path

import pytest

from datasets.fleet.__main__ import main as generate
from datasets.fleet.replay import replay
from datasets.fleet.schedule import freshen
from datasets.fleet.sources import load_pools
from tasseograph.eval.fleetscore import GroundTruth
from tasseograph.fleet import HostClock, load_inventory
from tasseograph.parsing import parse_delta
from tests.conftest import shared_dir

SHARED = shared_dir()
pytestmark = pytest.mark.skipif(SHARED is None, reason="shared data not found: set TASSEOGRAPH_SHARED or put shared/ beside the checkout")
_MASK = re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-f]{6,}\b|\d+")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fleet") / "seed1"
    assert generate(["--small", "--seed", "1", "--out", str(out), "--shared", str(SHARED)]) == 0
    return out


@pytest.fixture(scope="module")
def truth(small: Path) -> GroundTruth:
    return GroundTruth.model_validate_json((small / "ground_truth.json").read_text(encoding="utf-8"))


def host_lines(root: Path, host: str):
    data = b"".join(p.read_bytes() for p in sorted((root / "spool" / host).glob("*.log")))
    return parse_delta(data, host=host).lines


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(small: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    assert generate(["--small", "--seed", "1", "--out", str(again), "--shared", str(SHARED)]) == 0
    assert generate(["--small", "--seed", "2", "--out", str(other), "--shared", str(SHARED)]) == 0
    files = sorted(p.relative_to(small) for p in small.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(small, again, [str(f) for f in files], shallow=False)
    assert mismatch == [] and errors == []
    spool = [f for f in files if f.parts[0] == "spool"]
    assert spool and all((small / f).stat().st_mtime == (again / f).stat().st_mtime for f in spool)
    assert (small / "ground_truth.json").read_bytes() != (other / "ground_truth.json").read_bytes()


def test_inventory_mix_and_incidents_are_as_stated(small: Path, truth: GroundTruth) -> None:
    inventory = load_inventory(small / "inventory.csv")
    assert len(inventory.hosts) == truth.hosts == 24 and sum(truth.mix.values()) == 24
    assert set(inventory.labels) >= {"rack", "row", "switch", "pdu", "model", "firmware", "kernel"}
    kinds = sorted(i.kind for i in truth.incidents) + sorted(n.kind for n in truth.noise)
    assert kinds == ["dimm_ramp", "rack_link", "recurring_reset",
                     "chronic_ce", "one_off", "one_off", "one_off", "pair_link_flap"]
    assert {p.name for p in (small / "spool").iterdir()} <= set(inventory.hosts)


def test_every_line_is_a_real_line_with_only_numbers_changed(small: Path) -> None:
    pools = load_pools(SHARED)
    real = {_MASK.sub("#", m) for pool in pools.benign.values() for m in pool}
    real |= {_MASK.sub("#", m) for boot in pools.boots for _, m in boot}
    real |= {_MASK.sub("#", m) for block in [*pools.ce_blocks, pools.reset_block, pools.ue_lines] for m in block}
    real |= {_MASK.sub("#", m) for pair in pools.link for m in pair}
    real |= {_MASK.sub("#", m) for _, block in pools.one_off for m in block}
    for host in ("web-001", "db-002", "api-024"):
        for line in host_lines(small, host):
            assert _MASK.sub("#", line.message) in real, line.raw


def test_lines_carry_wall_and_monotonic_stamps_that_anchor_each_boot(small: Path) -> None:
    for host in sorted(p.name for p in (small / "spool").iterdir())[:6]:
        lines = host_lines(small, host)
        assert all(line.time is not None and line.monotonic is not None for line in lines)
        clock = HostClock(host)
        times = clock.stamp(lines, received=lines[-1].time.timestamp() + 300)
        assert {t.basis for t in times} == {"wall"} and clock.anchored
        assert [t.at for t in times] == sorted(t.at for t in times)


def test_ground_truth_matches_the_written_lines(small: Path, truth: GroundTruth) -> None:
    inventory = load_inventory(small / "inventory.csv")
    for incident in truth.incidents:
        written = [line for h in incident.hosts for line in host_lines(small, h)
                   if incident.start - 1 <= line.time.timestamp() <= incident.end + 601]
        assert len(written) >= incident.lines, incident.id
        if incident.kind == "rack_link":
            assert incident.group is not None and len(incident.hosts) > truth.min_hosts
            assert {inventory.labels_of(h)[incident.group["label"]] for h in incident.hosts} == {incident.group["value"]}
            assert sum("Link is Down" in line.message for line in written) == len(incident.hosts)
        if incident.kind == "dimm_ramp":
            ue = [line for line in written if " UE " in line.message]
            assert len(ue) == 1 and abs(ue[0].time.timestamp() - incident.ue_at) < 1e-5
            ce = [line.time.timestamp() for line in written if " CE " in line.message]
            assert len(ce) == len(incident.occurrences)
            mid = (incident.start + incident.end) / 2
            assert sum(t > mid for t in ce) > 2 * sum(t <= mid for t in ce)  # a ramp, not a flat stream
        if incident.kind == "recurring_reset":
            gaps = [b - a for a, b in zip(incident.occurrences, incident.occurrences[1:], strict=False)]
            assert gaps and all(0.85 * incident.period_s <= g <= 1.15 * incident.period_s for g in gaps)
    for noise in truth.noise:
        if noise.kind == "pair_link_flap":
            assert len(noise.hosts) == truth.min_hosts - 1
            assert len({inventory.labels_of(h)["switch"] for h in noise.hosts}) == 1


def test_freshen_redraws_volatile_numbers_and_keeps_devices() -> None:
    line = ("EDAC MC1: 1 CE memory scrubbing error on CPU_SrcID#1_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 "
            "page:0xee30a0 offset:0x0 grain:32 syndrome:0x0 -  area:DRAM err_code:0008:00c2 socket:1)")
    fresh = freshen(line, random.Random(3), 1_790_000_000.0)
    assert fresh != line and "page:0xee30a0" not in fresh
    assert "CPU_SrcID#1_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0x" in fresh and "socket:1)" in fresh
    assert freshen("EDAC sbridge MC1: PROCESSOR 0:306e4 TIME 1519356496 SOCKET 1", random.Random(1),
                   1_790_000_000.5).endswith("TIME 1790000000 SOCKET 1")


@pytest.mark.parametrize(("args", "message"), [
    (["--start", "yesterday"], "error: --start 'yesterday' is not an ISO time"),
    (["--days", "1"], "error: --days 1: a replay needs at least 4 days"),
    (["--hosts", "10"], "error: --hosts 10: a replay needs at least 24 hosts"),
])
def test_bad_arguments_are_one_line_errors(args: list[str], message: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert generate(["--small", "--out", str(tmp_path / "out"), "--shared", str(SHARED), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_missing_shared_data_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("datasets.fleet.__main__.shared_dir", lambda _given: None)
    assert generate(["--small", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: shared data not found")


def test_the_library_replay_scores_the_small_fleet(small: Path, truth: GroundTruth) -> None:
    score, counts = replay(small)
    assert counts["deltas"] == sum(1 for _ in (small / "spool").rglob("*.log"))
    # The fleet logic finds the switch-wide event as a group and every incident, and notifies
    # far less than one alert per delta with a catalogue hit.
    assert score.correlated_groups_recall == 1.0 and score.incident_recall == 1.0
    assert score.notification_reduction is not None and score.notification_reduction > 5
    assert score.duplicate_alerts == 0
