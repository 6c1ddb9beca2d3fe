"""Correlation: K-1 vs K hosts, window edges, the most specific label, growth, cohorts, late events, state."""

from __future__ import annotations

import json

import pytest

from tasseograph.fleet.correlation import Correlator, HostEvent, correlate, hypergeometric_tail
from tasseograph.fleet.inventory import parse_csv
from tasseograph.fleet.settings import CorrelationSettings

T0 = 1_780_000_000.0
# Two racks of four in row A; rack r2 has two switches; a third rack in row B.
# Models: most of the fleet is R740; three hosts are R650.
INVENTORY = parse_csv("""\
host,rack,row,switch,model
h1,r1,A,sw-1,R740
h2,r1,A,sw-1,R740
h3,r1,A,sw-1,R740
h4,r1,A,sw-1,R740
h5,r2,A,sw-2a,R740
h6,r2,A,sw-2a,R740
h7,r2,A,sw-2b,R740
h8,r2,A,sw-2b,R740
h9,r3,B,sw-3,R650
h10,r3,B,sw-3,R740
h11,r4,C,sw-4,R650
h12,r5,D,sw-5,R650
h13,r6,E,sw-6,R740
h14,r7,F,sw-7,R740
""", source="test.csv")


def down(host: str, at: float, signal: str = "net.link_down", category: str = "network") -> HostEvent:
    return HostEvent(host, category, signal, T0 + at)


def test_k_minus_one_hosts_form_no_group_and_the_kth_forms_one() -> None:
    corr = Correlator(INVENTORY)
    assert corr.add([down("h1", 0), down("h2", 30)]) == []
    (change,) = corr.add([down("h3", 90)])
    group = change.group
    assert change.change == "formed" and group.members == ["h1", "h2", "h3"]
    # switch and rack hold the same four hosts: the switch is named, the rack and row are shared.
    assert (group.label, group.value) == ("switch", "sw-1")
    assert group.shared == {"rack": "r1", "row": "A", "model": "R740"}
    assert group.labels() == {"switch": "sw-1", "rack": "r1", "row": "A", "model": "R740"}
    assert change.key == f"group|{group.id}"
    assert group.first_at == T0 and group.formed_at == T0 + 90
    assert group.summary().startswith("3 of 4 hosts with switch=sw-1 showed network within 90 s: h1, h2, h3")


@pytest.mark.parametrize(("third_at", "grouped"), [(600.0, True), (601.0, False)])
def test_the_window_is_inclusive_at_its_edge(third_at: float, grouped: bool) -> None:
    groups = correlate([down("h1", 0), down("h2", 300), down("h3", third_at)], INVENTORY)
    assert bool(groups) is grouped


def test_the_most_specific_label_that_holds_k_hosts_is_named() -> None:
    (group,) = correlate([down("h5", 0), down("h6", 10), down("h7", 20)], INVENTORY)
    assert (group.label, group.value) == ("rack", "r2")  # no switch has three of them
    (group,) = correlate([down("h1", 0), down("h5", 10), down("h8", 20)], INVENTORY)
    assert (group.label, group.value, group.shared) == ("row", "A", {"model": "R740"})


def test_two_racks_together_are_one_row_group_with_a_breakdown_and_apart_are_two() -> None:
    together = [down(h, i * 5.0) for i, h in enumerate(["h1", "h5", "h2", "h6", "h3", "h7"])]
    (group,) = correlate(together, INVENTORY)
    assert (group.label, group.value, len(group.members)) == ("row", "A", 6)
    assert group.breakdown["rack"] == {"r1": 3, "r2": 3}
    assert "(rack r1: 3, r2: 3; switch sw-1: 3, sw-2a: 2, sw-2b: 1)" in group.summary()
    apart = [down(h, i * 5.0) for i, h in enumerate(["h1", "h2", "h3"])] + \
            [down(h, 3_600 + i * 5.0) for i, h in enumerate(["h5", "h6", "h7"])]
    assert [(g.label, g.value) for g in correlate(apart, INVENTORY)] == [("switch", "sw-1"), ("rack", "r2")]


def test_a_later_host_grows_the_group_instead_of_alerting_again() -> None:
    corr = Correlator(INVENTORY)
    (formed,) = corr.add([down("h1", 0), down("h2", 20), down("h3", 40)])
    (grew,) = corr.add([down("h4", 500)])
    assert grew.change == "grew" and grew.group.id == formed.group.id
    assert grew.group.members == ["h1", "h2", "h3", "h4"] and grew.group.last_at == T0 + 500
    assert corr.add([down("h4", 520)]) == []  # the same host again: no news
    assert len(corr.groups) == 1


def test_same_category_or_same_signal() -> None:
    events = [down("h1", 0), down("h2", 5, "net.tx_watchdog"), down("h3", 9, "nic.firmware_error")]
    assert len(correlate(events, INVENTORY)) == 1
    assert correlate(events, INVENTORY, CorrelationSettings(by="signal")) == []
    memory = [down(h, i, "edac.ce", "memory") for i, h in enumerate(["h1", "h2"])]
    assert correlate([*memory, down("h3", 9)], INVENTORY) == []  # two memory, one network


def test_a_cohort_group_needs_the_concentration_to_be_unlikely_by_chance() -> None:
    # Three R650 hosts (of 3 in a fleet of 14) are 3 of the 3 affected: unlikely by chance.
    (group,) = correlate([down("h9", 0), down("h11", 60), down("h12", 120)], INVENTORY)
    assert (group.label, group.value) == ("model", "R650") and group.chance is not None and group.chance < 0.01
    # Three R740 hosts among eight affected across the fleet: most of the fleet is R740.
    spread = [down(h, i * 10.0) for i, h in enumerate(["h1", "h5", "h10", "h13", "h14", "h9", "h11", "h12"])]
    groups = correlate(spread, INVENTORY, CorrelationSettings(label_order=("model",)))
    assert [(g.label, g.value) for g in groups] == [("model", "R650")]
    lax = correlate(spread, INVENTORY, CorrelationSettings(max_chance=1.0))
    assert ("model", "R740") in {(g.label, g.value) for g in lax}


def test_a_host_catching_up_late_still_joins_with_its_own_times() -> None:
    corr = Correlator(INVENTORY)
    assert corr.add([down("h1", 0), down("h2", 60)]) == []
    corr.add([down("h13", 7_200)])  # hours later on another host: the clock moves on
    (change,) = corr.add([down("h3", 100)])  # h3's lines arrive after its downtime
    assert change.group.members == ["h1", "h2", "h3"] and change.group.first_at == T0


def test_events_older_than_retention_are_forgotten() -> None:
    corr = Correlator(INVENTORY, CorrelationSettings(retain_s=3_600))
    corr.add([down("h1", 0), down("h2", 60)])
    corr.add([down("h13", 7_200)])
    assert corr.add([down("h3", 100)]) == []


def test_hosts_outside_the_inventory_are_counted_but_never_grouped() -> None:
    corr = Correlator(INVENTORY)
    assert corr.add([down("stray-1", 0), down("stray-2", 1), down("stray-3", 2)]) == []
    assert "stray-1" in corr.known


def test_state_round_trips_and_continues() -> None:
    corr = Correlator(INVENTORY)
    corr.add([down("h1", 0), down("h2", 20), down("h13", 25), down("h3", 40)])
    again = Correlator.from_dict(json.loads(json.dumps(corr.to_dict())), INVENTORY)
    assert again.to_dict() == corr.to_dict()
    (grew,) = again.add([down("h4", 300)])
    assert grew.change == "grew" and grew.group.members == ["h1", "h2", "h3", "h4"]


# A rack of ten: two switches of five, two PDUs alternating across the whole rack.
RACK = parse_csv("host,rack,switch,pdu,model\n" + "".join(
    f"n{i},r9,{'sw-9a' if i < 5 else 'sw-9b'},pdu-9-{i % 2 + 1},R740\n" for i in range(10)), source="rack.csv")


def test_a_group_widens_to_the_place_all_its_members_share() -> None:
    corr = Correlator(RACK)
    # n0, n2, n4 share sw-9a and pdu-9-1 (five hosts each): the switch is named on the tie.
    (formed,) = corr.add([down("n0", 0), down("n2", 10), down("n4", 20)])
    assert (formed.group.label, formed.group.value) == ("switch", "sw-9a")
    (grew,) = corr.add([down("n6", 40)])  # the other switch, same PDU: the PDU holds all four
    assert grew.group.id == formed.group.id and (grew.group.label, grew.group.value) == ("pdu", "pdu-9-1")
    assert grew.group.breakdown["switch"] == {"sw-9a": 3, "sw-9b": 1}
    (grew,) = corr.add([down("n1", 50)])  # the other PDU: only the rack holds all five
    assert (grew.group.label, grew.group.value, grew.group.label_hosts) == ("rack", "r9", 10)


def test_a_whole_rack_losing_link_is_one_group_named_for_the_rack() -> None:
    events = [down(f"n{i}", i * 7.0) for i in (1, 3, 5, 7, 9, 0, 2, 4, 6, 8)]
    (group,) = correlate(events, RACK)
    assert (group.label, group.value, len(group.members)) == ("rack", "r9", 10)


def test_cohort_groups_do_not_widen() -> None:
    corr = Correlator(INVENTORY)
    corr.add([down("h9", 0), down("h11", 60), down("h12", 120)])  # model=R650
    assert corr.add([down("h10", 130)]) == []  # r3 with h9, but R740: does not join the cohort group


def test_hypergeometric_tail_on_hand_cases() -> None:
    assert hypergeometric_tail(3, 14, 3, 3) == pytest.approx(1 / 364)  # all 3 affected in a cohort of 3
    assert hypergeometric_tail(3, 14, 11, 8) == 1.0  # 8 of 14 affected: at least 5 fall in the 11
    assert hypergeometric_tail(1, 10, 5, 0) == 0.0
