"""When an open finding resolves by itself (recovery line, clean re-check) and when it stays uncertain."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasseograph.findings import lifecycle, resolution
from tasseograph.findings.record import FindingRecord
from tasseograph.findings.resolution import Check, ResolutionRule, ResolutionSettings, recheck, recovered
from tasseograph.findings.sightings import last_lines, sightings_of
from tasseograph.parsing import parse_delta
from tasseograph.pipeline import analyze
from tasseograph.schema import KernelLine

T0 = 1_796_600_000.0
SETTINGS = ResolutionSettings(clean_checks=3, quiet=1800.0, uncertain_after=86400.0)
LINK_DOWN = "[ 8123.000104] ixgbe 0000:03:00.0 eth0: NIC Link is Down"
LINK_UP = "[ 8131.200214] ixgbe 0000:03:00.0 eth0: NIC Link is Up 10 Gbps, Flow Control: RX/TX"


def open_from(text: str, at: float = T0) -> FindingRecord:
    delta = parse_delta(text, host="h1")
    (sighting,) = sightings_of("h1", analyze(delta, model="rules"), at=at)
    record, _ = lifecycle.open_finding(sighting)
    return record


def lines(text: str) -> list[KernelLine]:
    return parse_delta(text, host="h1").lines


def check_with(record: FindingRecord, text: str, at: float) -> Check:
    delta = parse_delta(text, host="h1")
    seen = sightings_of("h1", analyze(delta, model="rules"), at=at)
    return Check(at, len(delta.lines), frozenset(s.key.id for s in seen),
                 recovered(delta.lines, [record], last_lines(delta.lines, seen)))


EXAMPLES = [r for r in resolution.load_rules() if r.example is not None]


@pytest.mark.parametrize("rule", EXAMPLES, ids=[r.signals[0] for r in EXAMPLES])
def test_every_recovery_rule_resolves_its_example(rule: ResolutionRule) -> None:
    assert rule.example is not None
    signal_line, recovery_line = rule.example
    record = open_from(signal_line)
    assert any(record.key.signal == s or record.key.signal.startswith(s.rstrip("*")) for s in rule.signals)
    (event,) = recheck(record, check_with(record, recovery_line, T0 + 60), SETTINGS)
    assert (event.action, record.state, record.resolved_reason) == ("resolved", "resolved", "recovery")


def test_rules_without_an_example_have_no_recovery() -> None:
    assert all(r.example is not None for r in resolution.load_rules() if r.recovery)


def test_a_recovery_line_for_another_device_or_before_the_last_sighting_resolves_nothing() -> None:
    record = open_from(LINK_DOWN)
    other = LINK_UP.replace("eth0", "eth1").replace("03:00.0", "04:00.0")
    assert recheck(record, check_with(record, other, T0 + 60), SETTINGS) == []
    flap = f"{LINK_UP}\n{LINK_DOWN.replace('8123.0', '8140.0')}"
    assert recheck(record, check_with(record, flap, T0 + 120), SETTINGS) == []
    assert record.state == "active" and record.judgement == "present"
    blip = f"{LINK_DOWN.replace('8123.0', '8150.0')}\n{LINK_UP.replace('8131.2', '8152.0')}"
    (event,) = recheck(record, check_with(record, blip, T0 + 180), SETTINGS)
    assert event.note == "recovery: the kernel logged its recovery line"


@pytest.mark.parametrize("fake", [
    LINK_UP.replace("Link is Up", "Link is \u0406p"),  # Cyrillic I for U: folded, it would read "Up"
    LINK_UP.replace("Link is Up", "Link is U\u200bp"),  # a zero-width space
])
def test_a_look_alike_recovery_line_does_not_resolve(fake: str) -> None:
    record = open_from(LINK_DOWN)
    assert recheck(record, check_with(record, fake, T0 + 60), SETTINGS) == []
    assert record.state == "active"


CE = "[ 4101.2] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x8499)"
UE = "[ 4101.2] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x8499)"
QUIET = "[ 9000.0] systemd-journald[412]: Received client request to flush runtime journal."


def test_a_warning_resolves_by_a_clean_recheck_only_after_enough_checks_and_quiet() -> None:
    record = open_from(CE)
    for i in range(1, 3):
        assert recheck(record, check_with(record, QUIET, T0 + 3600 * i), SETTINGS) == []
        assert (record.judgement, record.clean_checks, record.state) == ("uncertain", i, "active")
    (event,) = recheck(record, check_with(record, QUIET, T0 + 3600 * 3), SETTINGS)
    assert (event.action, record.resolved_reason) == ("resolved", "clean_recheck")
    assert "absent from 3 checks" in event.note


def test_quiet_time_counts_too_and_an_empty_check_proves_nothing() -> None:
    record = open_from(CE)
    for i in range(1, 6):
        assert recheck(record, check_with(record, QUIET, T0 + 60 * i), SETTINGS) == []  # 5 checks in 5 minutes
    assert recheck(record, Check(T0 + 7200, 0), SETTINGS) == [] and record.clean_checks == 5
    assert recheck(record, check_with(record, QUIET, T0 + 7200), SETTINGS)[0].action == "resolved"


def test_a_sighting_resets_the_clean_checks() -> None:
    record = open_from(CE)
    recheck(record, check_with(record, QUIET, T0 + 3600), SETTINGS)
    recheck(record, check_with(record, QUIET, T0 + 7200), SETTINGS)
    delta = parse_delta(CE, host="h1")
    (again,) = sightings_of("h1", analyze(delta, model="rules"), at=T0 + 7300)
    lifecycle.observe(record, again)
    assert (record.clean_checks, record.judgement) == (0, "present")


@pytest.mark.parametrize("line", [
    UE,
    "[ 300.1] ata3.00: error: { UNC }",  # a warning whose rule says a quiet disk is not a repaired one
])
def test_absence_never_resolves_a_critical_or_a_media_error(line: str) -> None:
    record = open_from(line)
    for i in range(1, 20):
        assert recheck(record, check_with(record, QUIET, T0 + 86400 * i), SETTINGS) == []
    assert (record.state, record.judgement, record.clean_checks) == ("active", "uncertain", 19)


def test_a_dismissed_or_resolved_finding_is_not_rechecked() -> None:
    record = open_from(LINK_DOWN)
    lifecycle.dismiss(record, reason="expected", by="alice", now=T0 + 1)
    assert recheck(record, check_with(record, LINK_UP, T0 + 60), SETTINGS) == []
    assert record.state == "dismissed"


def test_the_rule_file_is_checked_against_the_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "resolution.toml"
    monkeypatch.setattr(resolution, "RESOLUTION_FILE", bad)
    cases = {
        '[[rule]]\nsignals = ["no.such_signal"]\nwhy = "x"\n': "names no catalogue signal",
        '[[rule]]\nsignals = ["edac.ue"]\nrecovery = true\nwhy = "x"\n': "has no recovery line",
        '[[rule]]\nsignals = ["edac.ue"]\nwhy = "x"\nextra = 1\n': "extra",
    }
    try:
        for text, message in cases.items():
            bad.write_text(text, encoding="utf-8")
            resolution.load_rules.cache_clear()
            with pytest.raises(ValueError, match=message):
                resolution.load_rules()
    finally:
        monkeypatch.undo()
        resolution.load_rules.cache_clear()
