"""What makes two sightings the same finding: signal, device, and the model's fingerprint."""

from __future__ import annotations

import pytest

from tasseograph.findings.identity import FindingKey, fingerprint, key_for
from tasseograph.parsing import parse_delta
from tasseograph.pipeline import analyze
from tasseograph.schema import Finding

CE_PAGE_A = ("[ 4101.220011] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 "
             "page:0x849923 offset:0x380 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0092 socket:0 ha:0 "
             "channel_mask:4 rank:0)")
CE_PAGE_B = CE_PAGE_A.replace("4101.220011", "5230.001992").replace("0x849923", "0x2f1e3c").replace("0x380", "0x9c0")
CE_OTHER_DIMM = CE_PAGE_A.replace("Chan#2_DIMM#0 (channel:2", "Chan#3_DIMM#1 (channel:3").replace("slot:0", "slot:1")


def signal_finding(line: str) -> Finding:
    (finding,) = analyze(parse_delta(line, host="db-17"), model="rules").findings
    return finding


def test_a_signal_finding_is_keyed_by_signal_and_device_not_by_the_failing_page() -> None:
    a, b = key_for("db-17", signal_finding(CE_PAGE_A)), key_for("db-17", signal_finding(CE_PAGE_B))
    assert a == b and a.signal == "edac.ce"
    assert a.device_dict["dimm"] == "CPU_SrcID#0_Ha#0_Chan#2_DIMM#0" and "page" not in a.device_dict
    assert key_for("db-17", signal_finding(CE_OTHER_DIMM)) != a
    assert key_for("db-18", signal_finding(CE_PAGE_A)).id != a.id


def test_a_model_finding_on_a_catalogue_line_keeps_the_signal_finding_identity() -> None:
    catalogue = key_for("db-17", signal_finding(CE_PAGE_A))
    model = Finding(severity="warning", category="memory", summary="Correctable ECC errors on a DIMM",
                    evidence=CE_PAGE_B, source="llm")
    assert key_for("db-17", model) == catalogue


MODEL_LINE = "[ 812.1] mydrv 0000:03:00.0: firmware heartbeat lost after 3021 ms (state 0x1f02, fw 7.3)"


@pytest.mark.parametrize("reworded, same", [
    ("[ 9001.7] mydrv 0000:03:00.0: firmware heartbeat lost after 17 ms (state 0xdead, fw 7.3)", True),
    ("mydrv 0000:03:00.0: firmware heartbeat lost after 250 ms (state 0x0, fw 7.4)", True),
    ("[ 812.1] mydrv 0000:04:00.0: firmware heartbeat lost after 3021 ms (state 0x1f02, fw 7.3)", False),
    ("[ 812.1] mydrv 0000:03:00.0: firmware watchdog reset after 3021 ms (state 0x1f02, fw 7.3)", False),
])
def test_a_model_finding_fingerprint_survives_numbers_and_addresses_but_not_another_device(
        reworded: str, same: bool) -> None:
    first = Finding(severity="warning", category="driver", summary="Firmware heartbeat lost", evidence=MODEL_LINE)
    second = Finding(severity="warning", category="driver", summary="NIC firmware stopped answering heartbeats",
                     evidence=reworded)
    a, b = key_for("web-3", first), key_for("web-3", second)
    assert a.signal == "model.driver" and a.fingerprint
    assert (a == b) is same


def test_a_model_finding_without_evidence_is_keyed_by_its_summary() -> None:
    a = Finding(severity="warning", category="thermal", summary="Fan 3 at 0 RPM", evidence="")
    b = Finding(severity="warning", category="thermal", summary="fan 3 at 0 rpm", evidence=" ")
    assert key_for("h", a) == key_for("h", b)
    assert fingerprint("thermal", "fan 3 at 0 rpm") != fingerprint("storage", "fan 3 at 0 rpm")


def test_ids_are_stable_across_versions() -> None:
    # Operators keep ids in tickets and silences: the hash must not change between releases.
    key = FindingKey.make("db-17", "memory", "edac.ue", device={"dimm": "CPU1_DIMM_B2", "page": "0x1f"})
    assert key.device == (("dimm", "CPU1_DIMM_B2"),)
    assert key.id == "f108c2f9843c"  # sha256 of ["db-17","memory","edac.ue","",[["dimm","CPU1_DIMM_B2"]]]
    assert key.describe() == "edac.ue DIMM CPU1_DIMM_B2"
