"""The monitor: deltas and their catalogue hits in, fleet events out, one JSON-able state."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from tasseograph.errors import UsageError
from tasseograph.fleet.correlation import GroupChange
from tasseograph.fleet.events import ThresholdCrossed
from tasseograph.fleet.inventory import parse_csv
from tasseograph.fleet.monitor import FleetMonitor, errors_in, observations
from tasseograph.parsing import parse_delta
from tasseograph.signals import detect

BOOT = datetime(2026, 11, 20, 6, 0, 0, tzinfo=UTC).timestamp()
INVENTORY = parse_csv("host,rack,switch\nweb-01,r12,sw-12a\nweb-02,r12,sw-12a\nweb-03,r12,sw-12a\n"
                      "web-04,r12,sw-12a\ndb-17,r03,sw-03a\n")


def test_errors_stated_in_a_line_are_counted() -> None:
    assert errors_in("EDAC MC0: 4 CE error on CPU#0Channel#2_DIMM#1 (channel:2 slot:1 page:0x0)") == 4
    assert errors_in("EDAC MC1: 1 CE memory read error on CPU_SrcID#1_Ha#0_Chan#1_DIMM#0 (channel:1)") == 1
    assert errors_in("RAS KERNEL INFO 3 ddr errors(s) detected and corrected on rank 0, symbol 4, bit 2") == 3
    assert errors_in("ixgbe 0000:03:00.0 eth0: NIC Link is Down") == 1


def test_three_hosts_of_a_rack_losing_link_within_two_minutes_form_one_group() -> None:
    monitor = FleetMonitor(INVENTORY)
    changes = []
    for i, host in enumerate(["web-01", "web-02", "web-03"]):
        monitor.clock(host).set_anchor(BOOT)
        mono = 86_400.0 + 40.0 * i
        delta = parse_delta(f"[{mono:.6f}] ixgbe 0000:03:00.0 eth0: NIC Link is Down\n", host=host)
        changes += monitor.ingest(delta, detect(delta.lines), received=BOOT + 90_000.0)
    groups = [c for c in changes if isinstance(c, GroupChange)]
    assert len(groups) == 1
    group = groups[0].group
    assert group.members == ["web-01", "web-02", "web-03"] and group.first_at == BOOT + 86_400.0
    assert {group.label: group.value, **group.shared} == {"switch": "sw-12a", "rack": "r12"}


def _edac(mono: float, count: int = 1) -> str:
    return (f"[{mono:.6f}] EDAC MC1: {count} CE memory read error on CPU1_DIMM_B2 (channel:1 slot:0 "
            f"page:0x{int(mono):x} offset:0x0 grain:32 syndrome:0x0 -  err_code:0000:009f socket:1 ha:0 rank:0)")


def test_a_dimm_ramp_crosses_its_threshold_with_the_device_and_a_forecast() -> None:
    monitor = FleetMonitor(INVENTORY)
    monitor.clock("db-17").set_anchor(BOOT)
    events = []
    for day in range(4):  # 1, 2, 4 then 8 errors a day (the last line states 4 errors at once)
        lines = [_edac(day * 86_400.0 + 3_600.0 * (k + 1), 4 if (day, k) == (3, 4) else 1) for k in range(2**day)]
        delta = parse_delta("\n".join(lines) + "\n", host="db-17")
        events += monitor.ingest(delta, detect(delta.lines), received=BOOT + (day + 1) * 86_400.0)
    (crossed,) = [e for e in events if isinstance(e, ThresholdCrossed) and e.rule_id == "memory.dimm_corrected"]
    assert crossed.device == {"dimm": "CPU1_DIMM_B2"} and crossed.count == 10
    # The bucket drained at each new day (a full period after its last drain): day 3 alone fills it.
    assert crossed.at == BOOT + 3 * 86_400.0 + 7 * 3_600.0
    assert crossed.trend.forecast is not None and crossed.trend.growth_per_day > 1
    assert crossed.summary().startswith("DIMM CPU1_DIMM_B2 on db-17: 10 corrected memory errors in 24 h, threshold 10")


def test_without_device_fields_a_hit_still_counts_on_its_signal() -> None:
    delta = parse_delta(_edac(100.0, 4) + "\n" + _edac(160.0) + "\n", host="db-17")
    times = FleetMonitor().clock("db-17").stamp(delta.lines, received=BOOT)
    bare = [dataclasses.replace(h, device={}) for h in detect(delta.lines)]  # a line that names no device
    (obs_a, obs_b) = observations("db-17", delta.lines, bare, times)
    assert (obs_a.count, obs_b.count, dict(obs_a.device)) == (4, 1, {})


def test_state_round_trips_through_json_and_a_catch_up_matches_live() -> None:
    lines = [f"[{86_400.0 + 30.0 * i:.6f}] ixgbe 0000:03:00.0 eth0: NIC Link is Down" for i in range(3)]
    live = FleetMonitor(INVENTORY)
    caught = FleetMonitor(INVENTORY)
    live_events, caught_events = [], []
    for host in ("web-01", "web-02", "web-03"):
        live.clock(host).set_anchor(BOOT)
        caught.clock(host).set_anchor(BOOT)
        for i, line in enumerate(lines):
            delta = parse_delta(line + "\n", host=host)
            live_events += live.ingest(delta, detect(delta.lines), received=BOOT + 86_400.0 + 30.0 * i + 5)
            live = FleetMonitor.from_dict(json.loads(json.dumps(live.to_dict())), INVENTORY)
        delta = parse_delta("\n".join(lines) + "\n", host=host)
        caught_events += caught.ingest(delta, detect(delta.lines), received=BOOT + 5 * 86_400.0)
    assert [e.to_dict() for e in live_events] == [e.to_dict() for e in caught_events]
    assert live.to_dict()["correlation"]["groups"] == caught.to_dict()["correlation"]["groups"]


@pytest.mark.parametrize(("data", "message"), [({"version": 2}, "version 2"), ([], "not an object"),
                                               ({"version": 1, "counters": {"version": 9}}, "fleet counter state")])
def test_a_damaged_or_foreign_state_is_one_clear_error(data: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        FleetMonitor.from_dict(data, INVENTORY)  # type: ignore[arg-type]
