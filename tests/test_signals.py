"""The signal catalogue: data-file contract, every entry against its examples, grouping and
escalation behaviour on small realistic fixtures, and agreement of the per-delta and bulk paths."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pydantic import ValidationError

from tasseograph.devices import declared_keys, load_device_keys
from tasseograph.schema import KernelLine
from tasseograph.signals import (
    NoiseSpec,
    SignalHit,
    SignalSpec,
    boring_mask,
    classify,
    detect,
    is_boring,
    load_noise,
    load_signals,
    scan,
    signal_mask,
)

SIGNALS = load_signals()
NOISE = load_noise()
SPEC = {s.id: s for s in SIGNALS}
_STAMP = re.compile(r"^\s*\[\s*(\d+\.\d+)\]\s?")


def lines_of(text: str) -> list[KernelLine]:
    """Kernel lines built here (not by the parser, which has its own tests): ``[ t]`` stripped."""
    out = []
    for n, raw in enumerate(text.strip("\n").splitlines(), start=1):
        stamp = _STAMP.match(raw)
        message = raw[stamp.end():] if stamp else raw
        monotonic = float(stamp.group(1)) if stamp else None
        out.append(KernelLine(lineno=n, raw=raw, message=message, monotonic=monotonic))
    return out


def only(hits: list[SignalHit], signal_id: str) -> SignalHit:
    found = [h for h in hits if h.signal_id == signal_id]
    assert len(found) == 1, [h.signal_id for h in hits]
    return found[0]


# --- the data files -------------------------------------------------------------------------


def test_catalogue_is_large_and_ids_are_unique() -> None:
    ids = [s.id for s in SIGNALS]
    assert len(ids) == len(set(ids)) >= 60
    assert len({n.id for n in NOISE}) == len(NOISE) >= 20


@pytest.mark.parametrize("spec", SIGNALS, ids=lambda s: s.id)
def test_signal_examples_classify_as_their_entry(spec: SignalSpec) -> None:
    for example in spec.examples:
        assert classify(example) == spec.id, example
        assert not is_boring(example)
        # the raw form with a dmesg timestamp still matches (patterns are never anchored)
        assert classify(f"[  123.456789] {example}") == spec.id


@pytest.mark.parametrize("spec", SIGNALS, ids=lambda s: s.id)
def test_every_pattern_has_an_example_in_the_kernels_words(spec: SignalSpec) -> None:
    """Each message form an entry recognises is shown by at least one of its examples."""
    for pattern in spec.patterns:
        assert any(re.search(pattern, e, re.ASCII) for e in spec.examples), f"{spec.id}: no example for {pattern!r}"


@pytest.mark.parametrize("spec", SIGNALS, ids=lambda s: s.id)
def test_signal_example_names_its_device(spec: SignalSpec) -> None:
    """Every entry that names devices says which device its first example is about, and
    ``detect`` puts exactly that on the hit (and so on the finding)."""
    if not declared_keys(spec.patterns, spec.fields):
        assert not spec.example_device
        return
    assert spec.example_device, f"{spec.id}: declares device keys but no example_device"
    lines = lines_of("\n".join([spec.examples[0]] * spec.min_count))
    hits = [h for h in detect(lines) if h.signal_id == spec.id]
    assert hits, f"{spec.id}: the first example alone gives no hit"
    assert hits[0].device == spec.example_device


@pytest.mark.parametrize("spec", NOISE, ids=lambda s: s.id)
def test_noise_examples_are_boring_and_no_signal(spec: NoiseSpec) -> None:
    for example in spec.examples:
        assert classify(example) is None, example
        assert is_boring(example), example


def _all_patterns() -> list[tuple[str, str]]:
    out = []
    for s in SIGNALS:
        for field in ("patterns", "context", "resolve", "critical_if"):
            out += [(f"{s.id}.{field}", p) for p in getattr(s, field)]
    out += [(f"{n.id}.patterns", p) for n in NOISE for p in n.patterns]
    out += [(f"devices.{k.name}", k.pattern) for k in load_device_keys() if k.pattern]
    return out


@pytest.mark.parametrize(("where", "pattern"), _all_patterns(), ids=lambda x: str(x)[:60])
def test_every_pattern_compiles_with_re2(where: str, pattern: str) -> None:
    # pyarrow raises ArrowInvalid on lookarounds, backreferences and other non-RE2 syntax
    pc.match_substring_regex(pa.array(["x"]), pattern=re.sub(r"\(\?P<\w+>", "(?:", pattern))


def test_loader_rejects_unknown_keys_and_global_flags() -> None:
    base = {"id": "x", "category": "storage", "severity": "warning", "summary": "s", "patterns": ["a"], "examples": ["a"]}
    SignalSpec.model_validate(base)
    with pytest.raises(ValidationError, match="escalate"):
        SignalSpec.model_validate({**base, "escalate": 3})
    with pytest.raises(ValidationError, match="scoped flag"):
        SignalSpec.model_validate({**base, "patterns": ["(?i)foo"]})
    with pytest.raises(ValidationError, match="status"):
        SignalSpec.model_validate({**base, "decode": "mci_status"})


def test_bulk_path_classifies_every_example_like_the_python_path() -> None:
    examples = [e for s in SIGNALS for e in s.examples] + [e for n in NOISE for e in n.examples]
    result = scan(examples)
    by_index = dict(zip(result.indices, result.signal_ids, strict=True))
    assert [by_index.get(i) for i in range(len(examples))] == [classify(e) for e in examples]
    assert boring_mask(examples) == [is_boring(e) for e in examples]


# --- behaviour on fixtures --------------------------------------------------------------------


def test_mci_status_uc_bit_decides_severity() -> None:
    corrected = detect(lines_of("[ 9.1] mce: [Hardware Error]: CPU 2: Machine Check: 0 Bank 6: cc59dec000041152"))
    fatal = detect(lines_of("[ 9.1] mce: [Hardware Error]: CPU 0: Machine Check: 0 Bank 5: b200000080060001"))
    assert only(corrected, "mce.record").severity == "warning"
    assert only(fatal, "mce.record").severity == "critical"


def test_gpu_off_the_bus_three_line_record_is_one_critical_hit() -> None:
    hits = detect(lines_of("""
[ 50.1] NVRM: The NVIDIA GPU 0000:b3:00.0
[ 50.1] NVRM: (PCI ID: 10de:26b5) installed in this system has
[ 50.1] NVRM: fallen off the bus and is not responding to commands.
"""))
    hit = only(hits, "gpu.fallen_off_bus")
    assert (hit.severity, hit.category, hit.line_indices) == ("critical", "driver", (0, 1, 2))


ATA_UNC = """
[ 222.90] ata3.00: exception Emask 0x0 SAct 0xf SErr 0x0 action 0x0
[ 222.90] ata3.00: failed command: READ FPDMA QUEUED
[ 222.91] ata3.00: cmd 60/f0:08:75:79:2d/00:00:14:00:00/40 tag 1 ncq 122880 in
[ 222.91]          res 41/40:00:e0:79:2d/00:00:14:00:00/40 Emask 0x409 (media error) <F>
[ 222.92] ata3.00: status: { DRDY ERR }
[ 222.92] ata3.00: error: { UNC }
[ 222.94] ata3.00: configured for UDMA/133
[ 222.94] ata3: EH complete
"""


def test_ata_command_record_is_grouped_and_one_unc_is_a_warning() -> None:
    hits = detect(lines_of(ATA_UNC))
    assert [h.signal_id for h in hits] == ["ata.media_error"]  # the EH record folds into it
    hit = hits[0]
    assert (hit.severity, hit.count, hit.resolved) == ("warning", 1, True)
    assert set(hit.line_indices) >= {0, 1, 2, 3, 4, 5, 7}


def test_repeated_unc_on_one_port_is_critical() -> None:
    hit = only(detect(lines_of(ATA_UNC + ATA_UNC)), "ata.media_error")
    assert (hit.severity, hit.count) == ("critical", 2)
    assert len(hit.evidence) <= 5


def test_one_episode_per_device() -> None:
    hits = detect(lines_of("""
[ 10.0] blk_update_request: I/O error, dev sda, sector 100
[ 11.0] blk_update_request: I/O error, dev sdb, sector 200
"""))
    assert sorted(h.summary.split("(")[-1] for h in hits) == ["sda)", "sdb)"]
    assert all(h.severity == "warning" for h in hits)


def test_callbacks_suppressed_count_as_repeats() -> None:
    hit = only(detect(lines_of("""
[ 33713.70] blk_update_request: 59 callbacks suppressed
[ 33713.70] blk_update_request: critical medium error, dev sdb, sector 5120
""")), "blk.medium_error")
    assert (hit.count, hit.severity) == (60, "critical")


def test_hung_task_in_the_io_path_is_critical_otherwise_warning() -> None:
    io = """
[ 9129.2] INFO: task jbd2/sda1-8:22455 blocked for more than 120 seconds.
[ 9129.2] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
[ 9129.3] Call Trace:
[ 9129.3]  io_schedule+0x9d/0x140
"""
    other = """
[ 9129.2] INFO: task myapp:4242 blocked for more than 120 seconds.
[ 9129.3] Call Trace:
[ 9129.3]  futex_wait_queue_me+0xc4/0x120
"""
    assert only(detect(lines_of(io)), "kernel.hung_task").severity == "critical"
    hit = only(detect(lines_of(other)), "kernel.hung_task")
    assert hit.severity == "warning"
    assert hit.line_indices == (0, 1, 2)  # the trace belongs to the episode


def test_logrotate_hung_in_jbd2_wait_is_critical_from_its_trace() -> None:
    text = """
[ 100.0] INFO: task logrotate:17344 blocked for more than 120 seconds.
[ 100.0] Call Trace:
[ 100.0]  jbd2_log_wait_commit+0x98/0x120 [jbd2]
"""
    assert only(detect(lines_of(text)), "kernel.hung_task").severity == "critical"


def test_soft_lockup_with_a_hung_task_is_critical() -> None:
    lockup = "[ 53021.3] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [cc1plus:171665]"
    assert only(detect(lines_of(lockup)), "kernel.soft_lockup").severity == "warning"
    both = lockup + "\n[ 53100.0] INFO: task myapp:4242 blocked for more than 120 seconds."
    assert only(detect(lines_of(both)), "kernel.soft_lockup").severity == "critical"


def test_thermal_throttling_closes_on_normal_and_stays_warning() -> None:
    hit = only(detect(lines_of("""
[ 76747.1] mce: CPU2: Core temperature above threshold, cpu clock throttled (total events = 2675)
[ 76747.1] mce: CPU6: Package temperature above threshold, cpu clock throttled (total events = 3654)
[ 76747.3] mce: CPU2: Core temperature/speed normal
""")), "thermal.throttle")
    assert (hit.severity, hit.count, hit.resolved) == ("warning", 2, True)


def test_link_down_at_boot_is_noise_at_runtime_it_flaps() -> None:
    boot = "[ 21.2] e1000e: enp2s0 NIC Link is Down\n[ 24.2] e1000e: enp2s0 NIC Link is Up 1000 Mbps Full Duplex"
    assert detect(lines_of(boot)) == []
    runtime = """
[ 723.7] r8169 0002:01:00.0 eth1: Link is Down
[ 727.0] r8169 0002:01:00.0 eth1: Link is Up - 1Gbps/Full - flow control off
[ 742.6] r8169 0002:01:00.0 eth1: Link is Down
"""
    hit = only(detect(lines_of(runtime)), "net.link_down")
    assert (hit.severity, hit.count, hit.resolved) == ("warning", 2, False)


def test_aer_uncorrected_then_recovery_de_escalates() -> None:
    text = """
[ 5.0] pcieport 0000:00:00.0: AER: PCIe Bus Error: severity=Uncorrected (Non-Fatal), type=Transaction Layer, (Requester ID)
[ 5.0] pcieport 0000:00:00.0: AER:   device [8086:a110] error status/mask=00004000/00000000
[ 5.0] pcieport 0000:00:00.0: AER:    [14] CmpltTO
[ 5.1] pcieport 0000:00:00.0: AER: device recovery successful
"""
    hit = only(detect(lines_of(text)), "aer.uncorrected")
    assert (hit.severity, hit.resolved, hit.line_indices) == ("warning", True, (0, 1, 2, 3))
    assert only(detect(lines_of(text.rsplit("\n", 2)[0])), "aer.uncorrected").severity == "critical"


def test_watchdog_rate_not_count_decides() -> None:
    hours_apart = "\n".join(
        f"[ {t}.0] r8125 0000:22:04.0 eth4: NETDEV WATCHDOG: CPU: 3: transmit queue 0 timed out 5010 ms"
        for t in (1356, 3680, 24736, 28094)
    )
    every_5s = "\n".join(
        f"[ {t}.0] i40e 0000:3b:00.0 ens1f0: NETDEV WATCHDOG: CPU: 8: transmit queue 3 timed out {ms} ms"
        for t, ms in ((100, 5012), (105, 10024), (110, 15036))
    )
    assert only(detect(lines_of(hours_apart)), "net.tx_watchdog").severity == "warning"
    assert only(detect(lines_of(every_5s)), "net.tx_watchdog").severity == "critical"


def test_stuck_transmit_queue_for_minutes_is_critical() -> None:
    short = "[ 1356.2] r8125 0000:22:04.0 eth4: NETDEV WATCHDOG: CPU: 3: transmit queue 0 timed out 5010 ms"
    long = "[ 115546.7] mtk_soc_eth 1e100000.ethernet eth0: NETDEV WATCHDOG: CPU: 1: transmit queue 4 timed out 190940 ms"
    assert only(detect(lines_of(short)), "net.tx_watchdog").severity == "warning"
    assert only(detect(lines_of(long)), "net.tx_watchdog").severity == "critical"


def test_one_corrected_aer_event_is_not_recurring() -> None:
    event = """
[ 41.67] pcieport 0000:00:1c.1: AER: Corrected error received: 0000:00:1c.1
[ 41.67] pcieport 0000:00:1c.1: PCIe Bus Error: severity=Corrected, type=Data Link Layer, (Transmitter ID)
[ 41.67] pcieport 0000:00:1c.1:   device [8086:8c12] error status/mask=00001000/00002000
[ 41.67] pcieport 0000:00:1c.1:    [12] Timeout
"""
    assert detect(lines_of(event)) == []
    hit = only(detect(lines_of(event.strip() + event)), "aer.corrected")
    assert (hit.severity, hit.count, hit.line_indices) == ("warning", 2, tuple(range(8)))


def test_virtual_media_read_errors_are_noise() -> None:
    text = """
[ 30.1] blk_update_request: I/O error, dev sr0, sector 0 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 0
[ 30.1] Buffer I/O error on dev sr0, logical block 0, async page read
[ 30.2] print_req_error: I/O error, dev fd0, sector 0
"""
    lines = lines_of(text)
    assert detect(lines) == []
    assert all(is_boring(line.message) for line in lines)


def test_comreset_failure_recovers_or_escalates() -> None:
    once = "[ 95.0] ata1: COMRESET failed (errno=-16)\n[ 96.0] ata1: SATA link up 6.0 Gbps (SStatus 133 SControl 300)"
    hit = only(detect(lines_of(once)), "ata.comreset_failed")
    assert (hit.severity, hit.resolved) == ("warning", True)
    twice = "[ 95.0] ata1: COMRESET failed (errno=-16)\n[ 106.0] ata1: COMRESET failed (errno=-16)"
    assert only(detect(lines_of(twice)), "ata.comreset_failed").severity == "critical"


def test_evidence_is_raw_and_signal_lines_are_never_boring() -> None:
    lines = lines_of("[ 5.1] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#0_DIMM#0 (channel:0)")
    hit = only(detect(lines), "edac.ue")
    assert hit.evidence == (lines[0].raw,)
    assert not is_boring(lines[0].message)
    assert detect([]) == []


def test_masks_have_one_entry_per_message() -> None:
    messages = ["systemd[1]: Started Journal Service.", "EDAC MC0: 1 CE memory read error on DIMM", "hello"]
    assert signal_mask(messages) == [False, True, False]
    assert boring_mask(messages) == [True, False, False]
    assert signal_mask(pa.chunked_array([messages])) == [False, True, False]


def test_dictionary_encoded_messages_give_the_same_results() -> None:
    """Matching each distinct message once (dictionary arrays) changes nothing per row."""
    examples = [e for s in SIGNALS for e in s.examples] + [e for n in NOISE for e in n.examples]
    messages = (examples + ["hello", ""] + examples[::-1]) * 3
    plain = pa.array(messages, type=pa.string())
    encoded = plain.dictionary_encode()
    assert scan(encoded) == scan(plain) == scan(messages)
    assert boring_mask(encoded) == boring_mask(plain) == [is_boring(m) for m in messages]
    assert boring_mask(encoded, scanned=scan(encoded)) == boring_mask(plain)
    with_nulls = pa.array([*messages[:50], None], type=pa.string()).dictionary_encode()
    assert scan(with_nulls).indices == scan(messages[:50]).indices
    assert boring_mask(with_nulls) == [*boring_mask(messages[:50]), False]
    assert scan(pa.array([], type=pa.string()).dictionary_encode()).indices == ()


# --- per-delta and bulk paths agree (shared data) ------------------------------------------------


def _dev_cases(shared: Path) -> list[dict[str, object]]:
    text = (shared / "datasets/dmesg-real/dev.jsonl").read_text(encoding="utf-8")
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def _assert_paths_agree(lines: list[KernelLine]) -> None:
    bulk = scan([line.message for line in lines])
    python = {i for i, line in enumerate(lines) if classify(line.message)}
    assert set(bulk.indices) == python
    in_hits = {i for h in detect(lines) for i in h.line_indices}
    # detect may drop whole episodes: boot-time ones (min_uptime_s) and too-small ones (min_count)
    droppable = {
        i for i in python
        if SPEC[classify(lines[i].message) or ""].min_count > 1
        or (lines[i].monotonic is not None and lines[i].monotonic < 120)
    }
    assert python - in_hits <= droppable


def test_detect_and_scan_agree_on_the_dev_set(shared: Path) -> None:
    for case in _dev_cases(shared):
        _assert_paths_agree(lines_of(str(case["text"])))


def test_detect_and_scan_agree_on_fixtures() -> None:
    for text in (ATA_UNC, "[ 1.0] foo\n[ 2.0] Buffer I/O error on dev sdb, logical block 640, lost async page write"):
        _assert_paths_agree(lines_of(text))


def test_small_and_bulk_detection_paths_agree(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deltas under SMALL_DELTA_LINES use Python's regex, larger ones the RE2 scan: same hits."""
    import tasseograph.signals as signals
    from tasseograph.parsing import parse_delta

    for log in sorted((shared / "datasets" / "dmesg-real" / "noise").glob("*.log"))[:3]:
        lines = parse_delta(log.read_bytes()).lines
        monkeypatch.setattr(signals, "SMALL_DELTA_LINES", 10**9)
        small = signals.detect(lines)
        monkeypatch.setattr(signals, "SMALL_DELTA_LINES", 0)
        assert signals.detect(lines) == small


# --- device identity ------------------------------------------------------------------------------

TWO_DIMMS = """
[ 8512.10] EDAC MC1: 1 CE memory read error on CPU_SrcID#1_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0x8d1e27 offset:0x6c0 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0090 socket:1 ha:0 channel_mask:1 rank:0)
[ 8633.52] EDAC MC1: 1 CE memory read error on CPU_SrcID#1_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x3f0a11 offset:0x140 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0091 socket:1 ha:0 channel_mask:2 rank:1)
[ 9120.77] EDAC MC1: 1 CE memory read error on CPU_SrcID#1_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0x5b2c90 offset:0x280 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0090 socket:1 ha:0 channel_mask:1 rank:0)
"""


def test_two_dimms_are_two_hits_and_one_dimm_keeps_its_count() -> None:
    hits = detect(lines_of(TWO_DIMMS))
    assert [(h.signal_id, h.device.get("dimm"), h.count) for h in hits] == [
        ("edac.ce", "CPU_SrcID#1_Ha#0_Chan#0_DIMM#0", 2),
        ("edac.ce", "CPU_SrcID#1_Ha#0_Chan#1_DIMM#0", 1),
    ]
    first, second = hits
    # the page is a property of one error: kept only when every line agrees on it
    assert first.device == {"mc": "MC1", "dimm": "CPU_SrcID#1_Ha#0_Chan#0_DIMM#0", "socket": "1", "channel": "0", "slot": "0"}
    assert second.device["page"] == "0x3f0a11"
    assert "DIMM CPU_SrcID#1_Ha#0_Chan#0_DIMM#0" in first.summary
    assert first.line_indices == (0, 2)


def test_a_line_naming_the_device_partly_joins_its_episode() -> None:
    # before the netdev is named the driver prints the PCI address alone
    hits = detect(lines_of("""
[ 4410.2] i40e 0000:3b:00.0 ens1f0: tx_timeout recovery level 2, txqueue 5
[ 4411.9] i40e 0000:3b:00.0: Firmware recovery mode detected. Limiting functionality.
[ 4420.0] i40e 0000:5e:00.1: Firmware recovery mode detected. Limiting functionality.
"""))
    assert [(h.device, h.count) for h in hits] == [({"pci": "0000:3b:00.0"}, 2), ({"pci": "0000:5e:00.1"}, 1)]


def test_signal_grouped_episode_keeps_only_what_every_line_agrees_on() -> None:
    one_cpu = detect(lines_of("[ 9.1] watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [kworker/3:1:211]"))
    assert only(one_cpu, "kernel.soft_lockup").device == {"cpu": "3"}
    two_cpus = detect(lines_of("""
[ 9.1] mce: CPU2: Core temperature above threshold, cpu clock throttled (total events = 2675)
[ 9.1] mce: CPU6: Core temperature above threshold, cpu clock throttled (total events = 2671)
"""))
    assert only(two_cpus, "thermal.throttle").device == {}


def test_recovery_closes_the_episode_of_the_device_it_names() -> None:
    hits = detect(lines_of("""
[ 723.7] ixgbe 0000:03:00.0 eth0: NIC Link is Down
[ 724.1] ixgbe 0000:03:00.1 eth1: NIC Link is Down
[ 727.0] ixgbe 0000:03:00.1 eth1: NIC Link is Up 10 Gbps, Flow Control: RX/TX
"""))
    assert {h.device["nic"]: h.resolved for h in hits} == {"eth0": False, "eth1": True}


def test_findings_of_the_rules_model_carry_the_device() -> None:
    from tasseograph import analyze

    verdict = analyze(TWO_DIMMS, model="rules")
    assert sorted(f.device.get("dimm", "") for f in verdict.findings) == [
        "CPU_SrcID#1_Ha#0_Chan#0_DIMM#0", "CPU_SrcID#1_Ha#0_Chan#1_DIMM#0",
    ]
    assert all(f.source == "signal" and f.device["mc"] == "MC1" for f in verdict.findings)


# --- severity rules of the catalogue's newer entries (fixtures in each kernel's own wording) -------


def test_aer_record_in_6x_wording_is_one_episode_on_the_failing_device() -> None:
    text = """
[ 8841.20] pcieport 0000:80:03.1: AER: Uncorrectable (Non-Fatal) error message received from 0000:83:00.0
[ 8841.20] nvme 0000:83:00.0: PCIe Bus Error: severity=Uncorrectable (Non-Fatal), type=Transaction Layer, (Requester ID)
[ 8841.20] nvme 0000:83:00.0:   device [144d:a80a] error status/mask=00004000/00400000
[ 8841.20] nvme 0000:83:00.0:    [14] CmpltTO                (First)
[ 8841.31] pcieport 0000:80:03.1: AER: device recovery successful
"""
    hit = only(detect(lines_of(text)), "aer.uncorrected")
    assert hit.device == {"pci": "0000:83:00.0"}
    assert (hit.severity, hit.resolved, hit.line_indices) == ("warning", True, (0, 1, 2, 3, 4))
    unresolved = only(detect(lines_of(text.strip().rsplit("\n", 1)[0])), "aer.uncorrected")
    assert unresolved.severity == "critical"


def test_correctable_6x_wording_recurring_is_a_warning() -> None:
    event = """
[ 902.1] pcieport 0000:00:1c.0: AER: Correctable error message received from 0000:02:00.0
[ 902.1] igb 0000:02:00.0: PCIe Bus Error: severity=Correctable, type=Physical Layer, (Receiver ID)
[ 902.1] igb 0000:02:00.0:   device [8086:1533] error status/mask=00000001/00002000
[ 902.1] igb 0000:02:00.0:    [ 0] RxErr
"""
    assert detect(lines_of(event)) == []
    hit = only(detect(lines_of(event.strip() + event)), "aer.corrected")
    assert (hit.severity, hit.count, hit.device) == ("warning", 2, {"pci": "0000:02:00.0"})


def test_nvme_timeout_while_resetting_is_critical() -> None:
    one = "[ 311.0] nvme nvme1: I/O 17 QID 3 timeout, aborting"
    assert only(detect(lines_of(one)), "nvme.timeout").severity == "warning"
    stuck = one + "\n[ 341.0] nvme nvme1: I/O 4 QID 0 timeout, disable controller"
    hit = only(detect(lines_of(stuck)), "nvme.timeout")
    assert (hit.severity, hit.count, hit.device) == ("critical", 2, {"nvme": "nvme1"})


def test_scsi_aborts_escalate_per_device() -> None:
    aborts = "\n".join(
        f"[ {t}.0] sd 0:0:{target}:0: attempting task abort!scmd(0x00000000{t:08x}), outstanding for 30120 ms & timeout 30000 ms"
        for t, target in ((1200, 5), (1231, 5), (1262, 5), (1263, 7))
    )
    hits = {h.device["scsi"]: h for h in detect(lines_of(aborts)) if h.signal_id == "scsi.abort"}
    assert {k: (h.count, h.severity) for k, h in hits.items()} == {"0:0:5:0": (3, "critical"), "0:0:7:0": (1, "warning")}
    failed = "[ 50.0] sd 0:0:2:0: task abort: FAILED scmd(0x000000004d1c2e90)"
    assert only(detect(lines_of(failed)), "scsi.abort").severity == "critical"


def test_raid_controller_event_class_and_text_decide_severity() -> None:
    cache = "[ 90.0] megaraid_sas 0000:02:00.0: 6610 (714513700s/0x0008/CRIT) - Controller cache pinned for missing or offline VD 01/1"
    drive = "[ 95.0] megaraid_sas 0000:02:00.0: 6618 (714513790s/0x0004/CRIT) - PD 05(e0x20/s5) is now FAILED"
    assert only(detect(lines_of(cache)), "hba.raid_event").severity == "warning"
    assert only(detect(lines_of(drive)), "hba.raid_event").severity == "critical"


def test_xfs_log_io_error_is_critical_and_async_write_retry_is_not() -> None:
    retry = "[ 70.0] XFS (dm-4): Failing async write on buffer block 0x3c0a1b8. Retrying async write."
    assert only(detect(lines_of(retry)), "xfs.error").severity == "warning"
    log = "[ 71.0] XFS (dm-4): log I/O error -5"
    hit = only(detect(lines_of(log)), "xfs.error")
    assert (hit.severity, hit.device) == ("critical", {"disk": "dm-4"})


def test_iommu_own_hardware_error_is_critical_a_page_fault_is_not() -> None:
    fault = "[ 4.5] ahci 0000:01:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0002 address=0xdff7a840 flags=0x0050]"
    hw = "[ 9.1] iommu ivhd0: AMD-Vi: Event logged [COMMAND_HARDWARE_ERROR address=0x1c2f40000 flags=0x0030]"
    assert only(detect(lines_of(fault)), "iommu.fault").severity == "warning"
    assert only(detect(lines_of(hw)), "iommu.fault").severity == "critical"


def test_multipath_path_comes_back_or_keeps_failing() -> None:
    once = """
[ 5001.0] device-mapper: multipath: 253:3: Failing path 8:48.
[ 5031.0] device-mapper: multipath: 253:3: Reinstating path 8:48.
"""
    hit = only(detect(lines_of(once)), "dm.multipath_path_failed")
    assert (hit.severity, hit.resolved, hit.device) == ("warning", True, {"disk": "8:48"})
    flapping = "\n".join(f"[ {5000 + 60 * k}.0] device-mapper: multipath: 253:3: Failing path 8:48." for k in range(4))
    assert only(detect(lines_of(flapping)), "dm.multipath_path_failed").severity == "critical"


def test_cmci_storm_new_wording_names_cpu_and_bank_and_subsides() -> None:
    hit = only(detect(lines_of("""
[ 3301.2] mce: CPU12 BANK7 CMCI storm detected
[ 3395.8] mce: CPU12 BANK7 CMCI storm subsided
""")), "mce.cmci_storm")
    assert (hit.severity, hit.resolved, hit.device) == ("warning", True, {"cpu": "12", "bank": "7"})


def test_firmware_first_record_names_its_dimm_from_the_cper_lines() -> None:
    record = """
[ 7721.40] {3}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 1
[ 7721.40] {3}[Hardware Error]: It has been corrected by h/w and requires no further action
[ 7721.40] {3}[Hardware Error]: event severity: corrected
[ 7721.40] {3}[Hardware Error]:  Error 0, type: corrected
[ 7721.40] {3}[Hardware Error]:   section_type: memory error
[ 7721.40] {3}[Hardware Error]:   physical_address: 0x000000394b2c8f40
[ 7721.40] {3}[Hardware Error]:   node:1 card:0 module:0 rank:1 bank:2 device:0 row:14982 column:904
[ 7721.40] {3}[Hardware Error]:   DIMM location: CPU2 B1<SP>
[ 7721.40] {3}[Hardware Error]:   error_type: 2, single-bit ECC
""".replace("<SP>", " ")  # cper prints "DIMM location: <bank> <device> " with a trailing space
    hit = only(detect(lines_of(record)), "ghes.corrected")
    assert (hit.severity, hit.device, hit.line_indices) == ("warning", {"dimm": "CPU2 B1"}, tuple(range(9)))
    other_dimm = record.replace("CPU2 B1", "CPU1 A3").replace("7721", "7802")
    two = only(detect(lines_of(record + other_dimm)), "ghes.corrected")
    assert (two.count, two.device) == (2, {})  # two DIMMs in one episode: no single device to name
    unnamed = record.replace("CPU2 B1 ", "not present. DMI handle: 0x0032 ")
    assert only(detect(lines_of(unnamed)), "ghes.corrected").device == {}


def test_raw_machine_check_takes_its_socket_from_the_processor_line() -> None:
    hit = only(detect(lines_of("""
[ 12.1] mce: [Hardware Error]: CPU 5: Machine Check: 0 Bank 7: 8c00004000010091
[ 12.1] mce: [Hardware Error]: TSC 0 ADDR 3b2c8f40 MISC 140141086
[ 12.1] mce: [Hardware Error]: PROCESSOR 0:50657 TIME 1733571102 SOCKET 1 APIC 24 microcode 5003604
""")), "mce.record")
    assert hit.device == {"cpu": "5", "bank": "7", "socket": "1"}


def test_hits_stay_hashable_and_compare_by_device() -> None:
    a, b = detect(lines_of(TWO_DIMMS))
    assert len({a, b}) == 2  # usable as set members and dict keys (the device dict is not hashed)
    assert a != b and a == detect(lines_of(TWO_DIMMS))[0]
