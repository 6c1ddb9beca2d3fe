"""Merging findings: missed signals join the model's findings; one problem over many chunks is one finding."""

from __future__ import annotations

from datetime import UTC, datetime

from tasseograph.merge import merge_chunks, merge_findings, place
from tasseograph.parsing import parse_delta
from tasseograph.schema import Finding, Seen
from tasseograph.signals import detect

UE = "EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0x{page:x} offset:0x0 grain:32)"


def _signal(count: int, first: float, last: float, severity: str = "critical", **extra: object) -> Finding:
    return Finding(severity=severity, category="memory", summary="EDAC uncorrected error", evidence=f"UE at {first}",
                   source="signal", signal_id="edac.ue", count=count, first_seen=Seen(lineno=int(first), monotonic=first),
                   last_seen=Seen(lineno=int(last), monotonic=last), **extra)


def test_signal_findings_carry_their_first_and_last_line() -> None:
    delta = parse_delta("".join(f"[ {100 + i}.5] " + UE.format(page=0x1a2b + i) + "\n" for i in range(3)))
    (finding,) = merge_findings([], detect(delta.lines), lines=delta.lines)
    assert finding.first_seen == Seen(lineno=1, monotonic=100.5) and finding.last_seen == Seen(lineno=3, monotonic=102.5)


def test_one_signal_over_chunks_is_one_finding_with_summed_count_worst_severity_and_span() -> None:
    merged = merge_chunks([_signal(2, 10.0, 20.0, "warning"), _signal(3, 500.0, 900.0), _signal(1, 1200.0, 1200.0)])
    assert len(merged) == 1
    f = merged[0]
    assert (f.count, f.severity, f.first_seen.monotonic, f.last_seen.monotonic) == (6, "critical", 10.0, 1200.0)
    assert f.evidence.splitlines() == ["UE at 10.0", "UE at 1200.0"]


def test_the_same_signal_on_two_devices_stays_two_findings() -> None:
    dimm_a = _signal(1, 1.0, 1.0, device={"dimm": "CPU1_DIMM_A1"})
    dimm_b = _signal(1, 2.0, 2.0, device={"dimm": "CPU1_DIMM_B2"})
    again_a = _signal(4, 3.0, 9.0, device={"dimm": "CPU1_DIMM_A1"})
    merged = merge_chunks([dimm_a, dimm_b, again_a])
    assert [(f.device.get("dimm"), f.count) for f in merged] == [("CPU1_DIMM_A1", 5), ("CPU1_DIMM_B2", 1)]


def test_a_chunk_that_needed_folding_marks_the_merged_finding() -> None:
    merged = merge_chunks([_signal(1, 1.0, 1.0), _signal(2, 5.0, 6.0, normalized=True), _signal(1, 9.0, 9.0)])
    assert [(f.count, f.normalized) for f in merged] == [(4, True)]


def test_signal_findings_carry_the_hits_device_and_folding() -> None:
    line = "[ 100.5] " + UE.format(page=0x1a2b).replace("E", "\u0415", 1)  # a Cyrillic look-alike
    delta = parse_delta(line + "\n")
    (hit,) = detect(delta.lines)
    (finding,) = merge_findings([], [hit], lines=delta.lines)
    assert finding.normalized and hit.normalized
    assert finding.device == hit.device != {}


def test_model_findings_merge_only_when_they_say_the_same() -> None:
    base = {"severity": "warning", "category": "storage", "evidence": "nvme nvme0: I/O 12 QID 3 timeout"}
    same = [Finding(summary="nvme0 timeouts", **base), Finding(summary="nvme0 timeouts", **base)]
    other = Finding(summary="nvme0 controller reset", **base)
    merged = merge_chunks([*same, other])
    assert [(f.summary, f.count) for f in merged] == [("nvme0 timeouts", 2), ("nvme0 controller reset", 1)]


def test_model_findings_are_placed_by_their_quoted_lines() -> None:
    record = '{"MESSAGE": "nvme nvme0: I/O 12 QID 3 timeout, aborting", "__REALTIME_TIMESTAMP": "1733500000000000"}'
    delta = parse_delta("\n".join([record, record.replace("12", "13")]) + "\n")
    f = Finding(severity="warning", category="storage", summary="timeouts",
                evidence="nvme nvme0: I/O 13 QID 3 timeout, aborting")
    place([f], delta.lines)
    assert f.first_seen == f.last_seen == Seen(lineno=2, time=datetime.fromtimestamp(1733500000, UTC))


def test_past_max_devices_one_signal_folds_further_devices_into_one_finding() -> None:
    from tasseograph.merge import MAX_DEVICES

    chunks = [_signal(1, float(i), float(i), device={"pci": f"0000:{i // 256:02x}:{i % 256:02x}.0"})
              for i in range(MAX_DEVICES + 12)]
    merged = merge_chunks([*chunks, chunks[MAX_DEVICES + 3]])  # a folded device seen again counts once
    kept, folded = merged[:MAX_DEVICES], merged[MAX_DEVICES:]
    assert [f.device["pci"] for f in kept] == [c.device["pci"] for c in chunks[:MAX_DEVICES]]
    (rest,) = folded
    assert rest.device == {} and rest.count == 13 and rest.summary.endswith("(on 12 more devices)")
    assert rest.severity == "critical" and rest.first_seen.monotonic == float(MAX_DEVICES)


def test_combine_verdicts_folds_a_generator_of_chunk_verdicts() -> None:
    from tasseograph.pipeline import combine_verdicts
    from tasseograph.schema import Verdict

    def chunks():  # consumed once, as the CLI hands them over
        for i in range(3):
            yield Verdict(status="critical" if i == 1 else "ok", host="db-17", model="rules",
                          findings=[_signal(1, float(i), float(i))] if i else [])

    combined = combine_verdicts(chunks())
    assert combined.status == "critical" and [(f.count, f.signal_id) for f in combined.findings] == [(2, "edac.ue")]
