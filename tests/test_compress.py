"""Compression: templates, collapsing repeats, cutting oversized deltas, stats."""

from __future__ import annotations

import json
import re

import pytest

from tasseograph.compress import compress, estimate_tokens, message_text, template, template_many
from tasseograph.parsing import parse_delta
from tasseograph.schema import Delta, KernelLine
from tasseograph.signals import SignalHit


def delta(*messages: str, start: float = 10.0) -> Delta:
    lines = [
        KernelLine(lineno=i + 1, raw=f"[{start + i:12.6f}] {m}", message=m, monotonic=start + i)
        for i, m in enumerate(messages)
    ]
    return Delta(host="web-01", lines=lines)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("nvme nvme0: I/O 12 QID 5 timeout, aborting", "nvme nvme0: I/O <N> QID <N> timeout, aborting"),
        ("sd 2:0:0:0: [sdb] tag#12 FAILED Result", "sd <N>:<N>:<N>:<N>: [sdb] tag#<N> FAILED Result"),
        ("pcieport 0000:00:1c.0: AER: Corrected error received: 0000:03:00.0",
         "pcieport 0000:00:1c.0: AER: Corrected error received: 0000:03:00.0"),
        ("mce: CPU 3: Machine Check: 0 Bank 5: be00000000800400", "mce: CPU <N>: Machine Check: <N> Bank <N>: <HEX>"),
        ("RIP: 0010:foo+0x12/0x340", "RIP: <N>:foo+<HEX>/<HEX>"),
        ("e1000e eth0: MAC 00:1b:21:aa:bb:cc", "e1000e eth0: MAC <MAC>"),
        ("ACPI: Added _OSI(Module Device)", "ACPI: Added _OSI(Module Device)"),
    ],
)
def test_template_masks_values_and_keeps_devices(message: str, expected: str) -> None:
    assert template(message) == expected


def test_template_many_agrees_with_template(shared) -> None:  # type: ignore[no-untyped-def]
    messages = []
    for path in sorted((shared / "datasets/dmesg-real/noise").glob("*.log")):
        text = path.read_text(encoding="utf-8", errors="replace")
        messages += [re.sub(r"^\[\s*\d+\.\d+\]\s?", "", line) for line in text.splitlines()]
    for line in (shared / "datasets/dmesg-real/dev.jsonl").read_text(encoding="utf-8").splitlines():
        messages += json.loads(line)["text"].splitlines()
    assert template_many(messages) == [template(m) for m in messages]


def test_repeats_collapse_to_the_first_instance_with_count_and_span() -> None:
    d = delta(
        "nvme nvme0: I/O 12 QID 5 timeout, aborting",
        "eth0: link up",
        "nvme nvme0: I/O 99 QID 2 timeout, aborting",
        "nvme nvme0: I/O 7 QID 1 timeout, aborting",
    )
    out = compress(d)
    assert out.lines == [
        "nvme nvme0: I/O 12 QID 5 timeout, aborting  [x3 similar, 10.0s..13.0s]",
        "eth0: link up",
    ]
    assert out.stats.lines_in == 4 and out.stats.lines_out == 2 and not out.stats.truncated
    assert out.stats.tokens_after < out.stats.tokens_before


def test_different_devices_stay_apart() -> None:
    out = compress(delta("sd 0:0:0:0: [sda] I/O error", "sd 0:0:1:0: [sdb] I/O error"))
    assert len(out.lines) == 2


def test_wall_clock_span_when_no_monotonic_time() -> None:
    from datetime import UTC, datetime

    lines = [
        KernelLine(lineno=i, raw=f"raw {i}", message=f"link down {i}", time=datetime(2026, 12, 2, 6, 50, i, tzinfo=UTC))
        for i in range(3)
    ]
    assert compress(Delta(lines=lines)).lines == ["link down 0  [x3 similar, 06:50:00..06:50:02]"]


def test_leftover_dmesg_stamp_is_stripped() -> None:
    line = KernelLine(lineno=1, raw="[    7.069979] MCE: In-kernel MCE decoding enabled.", message="[    7.069979] MCE: In-kernel MCE decoding enabled.")
    assert message_text(line) == "MCE: In-kernel MCE decoding enabled."


def test_oversized_delta_keeps_head_tail_and_every_signal_line() -> None:
    messages = [f"unique message number {chr(65 + i % 26)}{i // 26} here" for i in range(500)]
    messages = [m.replace(" number", f"{'x' * (i % 7)}") for i, m in enumerate(messages)]
    d = delta(*messages)
    hit = SignalHit(
        signal_id="x", category="storage", severity="critical", summary="s",
        evidence=(d.lines[250].raw,), line_indices=(250, 400),
    )
    out = compress(d, [hit], max_lines=20)
    assert out.stats.truncated
    assert messages[250] in out.lines and messages[400] in out.lines
    assert out.lines[0] == messages[0] and out.lines[-1] == messages[-1]
    markers = [line for line in out.lines if line.startswith("[... ")]
    assert markers and all(re.fullmatch(r"\[\.\.\. \d+ lines? omitted \.\.\.\]", m) for m in markers)
    kept = [line for line in out.lines if not line.startswith("[... ")]
    omitted = sum(int(m.split()[1]) for m in markers)
    assert len(kept) == 20 and len(kept) + omitted == 500


def test_disabled_sends_raw_lines_and_still_records_stats() -> None:
    d = delta("a 1", "a 2", "a 3")
    out = compress(d, enabled=False)
    assert out.lines == [line.raw for line in d.lines]
    assert out.stats.lines_in == out.stats.lines_out == 3
    assert out.stats.tokens_before == out.stats.tokens_after == estimate_tokens(d.text())


def test_empty_delta() -> None:
    out = compress(Delta())
    assert out.lines == [] and out.stats.lines_in == 0 and out.stats.tokens_after == 0


def test_estimate_tokens_rounds_up() -> None:
    assert [estimate_tokens("x" * n) for n in (0, 1, 4, 5)] == [0, 1, 1, 2]


def test_dev_set_compresses(shared) -> None:  # type: ignore[no-untyped-def]
    before = after = 0
    for line in (shared / "datasets/dmesg-real/dev.jsonl").read_text(encoding="utf-8").splitlines():
        stats = compress(parse_delta(json.loads(line)["text"])).stats
        before += stats.tokens_before
        after += stats.tokens_after
    assert after < 0.8 * before


def test_cutting_drops_known_boring_lines_before_notable_ones() -> None:
    boring = [f"usb 1-{i}: new high-speed USB device number {i} using xhci_hcd dev{chr(97 + i % 26)}{i}" for i in range(300)]
    notable = "mystery widget frobnicated unexpectedly"
    d = delta(*boring[:150], notable, *boring[150:])
    out = compress(d, max_lines=20)
    assert notable in out.lines and out.stats.truncated
    assert len([line for line in out.lines if not line.startswith("[... ")]) == 20


# --- baseline-aware folding ----------------------------------------------------------------

USUAL = (
    "bond0: link status definitely up for interface eth1, 10000 Mbps full duplex",
    "myapp[4242]: periodic sync done in 42 ms",
    "myapp[4243]: periodic sync done in 57 ms",
    "systemd[1]: Started Session 9 of user root.",
)


def test_folding_leaves_one_summary_line_for_the_usual_templates() -> None:
    d = delta(USUAL[0], "mydrv 0000:3b:00.0: firmware heartbeat missed", *USUAL[1:])
    out = compress(d, fold={0, 2, 3, 4})
    assert out.lines == [
        "mydrv 0000:3b:00.0: firmware heartbeat missed",
        "[... 4 lines of 3 usual templates omitted ...]",
    ]
    assert (out.stats.folded_lines, out.stats.folded_templates) == (4, 3)
    assert out.stats.tokens_after < compress(d).stats.tokens_after


def test_a_template_with_one_line_outside_the_fold_is_sent_whole() -> None:
    d = delta(*USUAL[1:3], "systemd[1]: Started Session 9 of user root.")
    out = compress(d, fold={0, 2})  # line 1 is the same template as line 0, but not usual
    assert out.lines[0] == "myapp[4242]: periodic sync done in 42 ms  [x2 similar, 10.0s..11.0s]"
    assert out.lines[-1] == "[... 1 line of 1 usual template omitted ...]"


def test_signal_lines_and_lines_to_put_first_are_never_folded() -> None:
    edac = "EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0x1)"
    d = delta(edac, USUAL[0], "mydrv: queue 3 rebalanced")
    hit = SignalHit(signal_id="edac.ce", category="memory", severity="warning", summary="CE", evidence=(edac,),
                    line_indices=(0,))
    out = compress(d, [hit], fold={0, 1, 2}, first={2: "new to this host"})
    assert out.lines == [
        "mydrv: queue 3 rebalanced  [new to this host]",
        edac,
        "[... 1 line of 1 usual template omitted ...]",
    ]


def test_folded_lines_are_not_counted_again_by_the_cut() -> None:
    rare = [f"mydrv 0000:3b:00.0: queue {i} rebalanced to cpu {i % 8} step{i}" for i in range(30)]
    d = delta(*[line for pair in zip(rare, [USUAL[1]] * 30, strict=True) for line in pair])
    out = compress(d, max_lines=6, fold=set(range(1, 60, 2)))
    markers = [int(x.split()[1]) for x in out.lines if x.startswith("[... ") and "usual" not in x]
    kept = [x for x in out.lines if not x.startswith("[... ")]
    assert out.lines[-1] == "[... 30 lines of 1 usual template omitted ...]"
    assert sum(markers) + len(kept) + out.stats.folded_lines == len(d.lines)
