"""A verdict's findings as sightings: one per key, and where each last shows in the delta."""

from __future__ import annotations

from tasseograph.findings.sightings import last_lines, sightings_of
from tasseograph.parsing import parse_delta
from tasseograph.schema import Finding, Verdict

CE = "[ 4101.2] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x8499)"
CE2 = CE.replace("4101.2", "4190.7").replace("0x8499", "0x11f0")


def test_findings_of_one_key_in_a_verdict_are_one_sighting() -> None:
    verdict = Verdict(status="critical", findings=[
        Finding(severity="warning", category="memory", summary="ECC corrected", evidence=CE, source="llm"),
        Finding(severity="critical", category="memory", summary="ECC corrected, rising", evidence=CE2,
                source="llm", count=3),
        Finding(severity="warning", category="thermal", summary="fan slow", evidence="[ 5.0] fan3: 0 RPM"),
    ])
    memory, thermal = sightings_of("db-17", verdict, at=1.0, ref="db-17/1.log:0-300")
    assert memory.key.signal == "edac.ce" and memory.severity == "critical"
    assert (memory.count, memory.summary, memory.ref) == (4, "ECC corrected, rising", "db-17/1.log:0-300")
    assert memory.evidence.splitlines() == [CE, CE2]
    assert thermal.key.signal == "model.thermal"


def test_last_lines_places_each_sighting_at_its_last_quoted_line() -> None:
    delta = parse_delta("\n".join([CE, "[ 4150.0] usb 1-1: new device", CE2, "[ 4200.0] all quiet"]), host="db-17")
    verdict = Verdict(status="warning", findings=[
        Finding(severity="warning", category="memory", summary="x", evidence=f"{CE}\n{CE2}", source="signal",
                signal_id="edac.ce", device={"dimm": "CPU_SrcID#0_Ha#0_Chan#2_DIMM#0"})])
    (sighting,) = sightings_of("db-17", verdict, at=1.0)
    assert last_lines(delta.lines, [sighting]) == {sighting.key.id: 2}
