"""Counters per device: each default threshold, one trend per fault, patterns, persistence and determinism."""

from __future__ import annotations

import json
import random

import pytest

from tasseograph.errors import UsageError
from tasseograph.fleet.counters import FleetCounters
from tasseograph.fleet.events import Observation, PatternFound, ThresholdCrossed, TrendRising
from tasseograph.fleet.history import DAY_S, HOUR_S

T0 = 1_780_000_000.0
DIMM = {"dimm": "CPU1_DIMM_B2", "socket": "1", "channel": "1", "mc": "MC1"}


def ce(at: float, device: dict[str, str] = DIMM, *, count: int = 1, host: str = "db-17",
       signal: str = "edac.ce", severity: str = "warning") -> Observation:
    return Observation(host, signal, "memory", severity, T0 + at, device, count)


def crossings(events) -> list[ThresholdCrossed]:
    return [e for e in events if isinstance(e, ThresholdCrossed)]


def test_dimm_ten_corrected_errors_a_day_crosses_and_says_what_where_how_fast() -> None:
    counters = FleetCounters()
    nine = counters.observe_many(ce(i * 2 * HOUR_S) for i in range(9))
    assert crossings(nine) == []
    (event,) = crossings(counters.observe(ce(20 * HOUR_S, count=5)))
    assert (event.rule_id, event.device, event.count, event.threshold) == (
        "memory.dimm_corrected", {"dimm": "CPU1_DIMM_B2"}, 14, 10)
    assert event.summary().startswith("DIMM CPU1_DIMM_B2 on db-17: 14 corrected memory errors in 24 h, threshold 10")
    assert event.rates.counts["1h"] == 5 and event.signals == ("edac.ce",)
    assert "mcelog" in event.source


def test_nine_a_day_for_a_month_never_crosses_the_dimm_threshold() -> None:
    counters = FleetCounters()
    events = counters.observe_many(ce(day * DAY_S + k * 2.5 * HOUR_S) for day in range(30) for k in range(9))
    assert not [e for e in crossings(events) if e.rule_id == "memory.dimm_corrected"]


def test_socket_hundred_across_dimms_that_each_stay_below_ten() -> None:
    counters = FleetCounters()
    obs = [ce(i * 600.0, {"dimm": f"CPU1_DIMM_{d}", "socket": "1"}) for i, d in
           enumerate(f"{letter}{n}" for n in range(1, 11) for letter in "ABCDEFGHIJ")]
    events = crossings(counters.observe_many(obs))
    assert [(e.rule_id, e.device) for e in events] == [("memory.socket_corrected", {"socket": "1"})]
    assert events[0].count == 100 and events[0].at == T0 + 99 * 600.0


def test_page_fifty_soft_offline_threshold() -> None:
    counters = FleetCounters()
    page = {"csrow": "2", "channel": "0", "page": "0x849923"}
    events = crossings(counters.observe_many(ce(i * 60.0, page) for i in range(50)))
    page_events = [e for e in events if e.rule_id == "memory.page_corrected"]
    assert len(page_events) == 1 and page_events[0].device == {"page": "0x849923"} and page_events[0].count == 50
    assert "rasdaemon" in page_events[0].source
    # The same errors crossed the DIMM rule (csrow + channel) every ten.
    assert sum(e.rule_id == "memory.dimm_corrected" for e in events) == 5


def test_cpu_eighteen_corrected_machine_checks() -> None:
    counters = FleetCounters()
    obs = [ce(i * 3_000.0, {"cpu": "7", "bank": "1"}, signal="mce.record") for i in range(18)]
    (event,) = crossings(counters.observe_many(obs))
    assert (event.rule_id, event.unit, event.device) == ("cpu.corrected", "CPU", {"cpu": "7"})


def test_uncorrected_and_unrelated_events_do_not_fill_corrected_buckets() -> None:
    counters = FleetCounters()
    events = counters.observe_many([*(ce(i, severity="critical", signal="mce.record") for i in range(30)),
                                    *(ce(i, {"nic": "eth0"}, signal="net.link_down") for i in range(30))])
    assert crossings(events) == []


def _ramp(rng: random.Random, host: str = "db-17") -> list[Observation]:
    return [ce(day * DAY_S + rng.uniform(0, DAY_S), {**DIMM, "page": hex(rng.randrange(1 << 24))}, host=host)
            for day in range(7) for _ in range(2**day)]


def test_a_ramp_raises_one_trend_on_its_dimm_with_a_forecast() -> None:
    counters = FleetCounters()
    counters.see_host("db-17", T0)
    events = counters.observe_many(_ramp(random.Random(4)))
    trends = [e for e in events if isinstance(e, TrendRising)]
    assert len(trends) == 1
    (trend,) = trends
    assert (trend.track, trend.name, trend.device) == ("rule", "memory.dimm_corrected", {"dimm": "CPU1_DIMM_B2"})
    assert trend.trend.rising and trend.trend.p_value < 1e-4 and trend.trend.forecast is not None
    assert "rising" in trend.summary() and "DIMM CPU1_DIMM_B2 on db-17" in trend.summary()
    # Repeat crossings of one bucket carry their number and one key: the finding is one, updated.
    dimm = [e for e in crossings(events) if e.rule_id == "memory.dimm_corrected"]
    assert [e.crossing for e in dimm][:3] == [1, 2, 3]
    assert {e.key for e in dimm} == {"threshold|db-17|memory.dimm_corrected|dimm=CPU1_DIMM_B2"}
    assert trend.key == "trend|db-17|rule|memory.dimm_corrected|dimm=CPU1_DIMM_B2"


def test_recurring_nvme_resets_are_found_once() -> None:
    counters = FleetCounters()
    rng = random.Random(8)
    obs = [Observation("st-04", "nvme.timeout", "storage", "warning", T0 + k * 5 * HOUR_S + rng.uniform(-300, 300),
                       {"nvme": "nvme0"}) for k in range(10)]
    patterns = [e for e in counters.observe_many(obs) if isinstance(e, PatternFound)]
    assert len(patterns) == 1
    p = patterns[0]
    assert p.device == {"nvme": "nvme0"} and p.pattern.period_s == pytest.approx(5 * HOUR_S, rel=0.1)
    assert "recurs every ~5" in p.summary() and "confidence" in p.summary()


def test_state_survives_json_and_continues_as_if_never_stopped() -> None:
    obs = _ramp(random.Random(9))
    obs.sort(key=lambda o: o.at)
    whole = FleetCounters()
    whole.see_host("db-17", T0)
    expected = [e.to_dict() for e in whole.observe_many(obs)]
    first = FleetCounters()
    first.see_host("db-17", T0)
    got = [e.to_dict() for e in first.observe_many(obs[:40])]
    resumed = FleetCounters.from_dict(json.loads(json.dumps(first.to_dict())))
    got += [e.to_dict() for e in resumed.observe_many(obs[40:])]
    assert got == expected
    assert resumed.to_dict() == whole.to_dict()


def test_the_same_observations_in_any_order_give_the_same_events() -> None:
    obs = _ramp(random.Random(12)) + _ramp(random.Random(13), host="db-18")
    shuffled = obs[:]
    random.Random(1).shuffle(shuffled)
    a, b = FleetCounters(), FleetCounters()
    assert [e.to_dict() for e in a.observe_many(obs)] == [e.to_dict() for e in b.observe_many(shuffled)]
    assert a.to_dict() == b.to_dict()


def test_sweep_forgets_old_history_and_clears_a_trend_gone_quiet() -> None:
    counters = FleetCounters()
    counters.see_host("db-17", T0)
    counters.observe_many(_ramp(random.Random(4)))
    dimm = next(t for t in counters.tracks.values() if t.name == "memory.dimm_corrected")
    assert dimm.rising
    counters.sweep(T0 + 7.25 * DAY_S)
    assert dimm.rising  # six quiet hours after a steep ramp: still rising over the week
    counters.sweep(T0 + 10 * DAY_S)
    assert not dimm.rising  # three quiet days: the errors now sit mid-window
    counters.sweep(T0 + 30 * DAY_S)
    assert counters.tracks == {}


def test_bad_input_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        FleetCounters().observe(ce(0.0, count=0))
    with pytest.raises(UsageError):
        FleetCounters().observe(Observation("h", "edac.ce", "memory", "warning", float("nan")))
    with pytest.raises(UsageError, match="version"):
        FleetCounters.from_dict({"version": 99, "tracks": []})
