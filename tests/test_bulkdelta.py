"""``tasseograph.bulkdelta``: analyze on a big file builds few records and reaches the same verdict."""

from __future__ import annotations

import io
import itertools
import random

import pytest

from tasseograph import bulkdelta
from tasseograph.bulkref import BORING, SIGNAL
from tasseograph.parsing import build_delta, open_stream, parse_delta
from tasseograph.pipeline import analyze
from tests.test_bulkref import compiled_or_skip

BORING_LINES = [
    b"systemd[1]: Started Journal Service.",
    b"usb 1-1.2: USB disconnect, device number %d",
    b"ACPI: PCI Interrupt Link [LNKA] (IRQs 3 4 5 6 7 10 11 14 15) *0, disabled.",
]
EPISODES = [
    # a link flap that recovers on a boring "Link is Up" line far from the signal
    [b"ixgbe 0000:03:00.0 eth0: NIC Link is Down"] + [b"systemd[1]: Started Journal Service."] * 40
    + [b"ixgbe 0000:03:00.0 eth0: NIC Link is Up 10 Gbps, Flow Control: None"],
    # a suppressed burst of NVMe timeouts, then a UE with a CE before it
    [b"nvme nvme0: 5 callbacks suppressed", b"nvme nvme0: I/O 12 QID 5 timeout, aborting",
     b"nvme nvme0: I/O 13 QID 5 timeout, aborting", b"nvme nvme0: Abort status: 0x0"],
    [b"EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x84 offset:0x0)",
     b"EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0xe1 offset:0x0)"],
    # an ATA error record: header, continuation lines, recovery
    [b"ata3.00: exception Emask 0x0 SAct 0x1 SErr 0x0 action 0x0", b"ata3.00: irq_stat 0x40000008",
     b"ata3.00: failed command: READ FPDMA QUEUED", b"ata3.00: cmd 60/08:00:00:00:00/00:00:00:00:00/40 tag 0 ncq",
     b"ata3.00: status: { DRDY ERR }", b"ata3.00: error: { UNC }", b"ata3: EH complete"],
    [b"a line nobody catalogued %d"],
]  # fmt: skip


def big_log(seed: int, lines: int = 6_000) -> bytes:
    """Mostly boring lines with episodes and unknown lines scattered in, dmesg stamps rising."""
    rng = random.Random(seed)
    out: list[bytes] = []
    while len(out) < lines:
        if rng.random() < 0.01:
            out += [line % len(out) if b"%d" in line else line for line in rng.choice(EPISODES)]
        else:
            out.append(rng.choice(BORING_LINES).replace(b"%d", b"%d" % rng.randrange(100)))
    return b"".join(b"[%12.6f] %s\n" % (i * 0.01, line) for i, line in enumerate(out))


def every_record(data: bytes, chunk_lines: int) -> list:
    """Chunks of every record: what analyze read before (the per-delta parser, chunk by chunk)."""
    fmt, lines = open_stream(io.BytesIO(data))
    out = []
    while chunk := list(itertools.islice(lines, chunk_lines)):
        out.append(build_delta(chunk, fmt, None))
    return out


def verdict_view(verdict) -> dict:
    return verdict.model_dump(exclude={"latency_s", "compression"})


@pytest.mark.parametrize("seed", range(4))
def test_selected_records_give_the_verdict_of_every_record(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    compiled_or_skip()
    monkeypatch.setattr(bulkdelta, "BULK_MIN_BYTES", 1)
    data = big_log(seed)
    parts = list(bulkdelta.iter_deltas(io.BytesIO(data), host=None, chunk_lines=2_000))
    full = every_record(data, 2_000)
    assert [p.lines for p in parts] == [len(d.lines) for d in full]
    kept = sum(len(p.delta.lines) for p in parts)
    assert kept < 0.6 * sum(p.lines for p in parts)  # most boring lines got no record
    for part, whole in zip(parts, full, strict=True):
        by_lineno = {line.lineno: line for line in whole.lines}
        assert all(by_lineno[line.lineno] == line for line in part.delta.lines)  # the same records
        got, expected = analyze(part.delta, model="rules"), analyze(whole, model="rules")
        assert got.findings, "every chunk holds episodes: else the comparison is vacuous"
        assert verdict_view(got) == verdict_view(expected)
    recovered = [f for p in parts for f in analyze(p.delta, model="rules").findings if "recovered" in f.summary]
    assert recovered  # a recovery line far from its signal was kept


def test_keep_mask_keeps_the_lines_before_signals_and_a_sample() -> None:
    codes = [BORING] * 1_000
    codes[500] = 0  # a line nobody catalogued: itself only
    codes[700] = SIGNAL  # a signal: and the lines before it
    keep = bulkdelta.keep_mask(codes)
    c = bulkdelta.CONTEXT_LINES
    assert [i for i in range(400, 800) if keep[i]] == [500, *range(700 - c, 701)]
    assert sum(keep) == 2 * bulkdelta.SAMPLE_LINES + c + 2


def test_only_boring_lines_still_skip_the_model_call(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled_or_skip()
    monkeypatch.setattr(bulkdelta, "BULK_MIN_BYTES", 1)
    data = b"".join(b"[%d.0] systemd[1]: Started Journal Service.\n" % i for i in range(3_000))
    (part,) = bulkdelta.iter_deltas(io.BytesIO(data), host="h1", chunk_lines=5_000)
    assert part.lines == 3_000 and len(part.delta.lines) == 2 * bulkdelta.SAMPLE_LINES
    verdict = analyze(part.delta, model="rules")
    assert verdict.skipped and verdict.skip_reason == "only known-boring lines" and part.delta.host == "h1"


def test_small_inputs_and_other_formats_get_every_record() -> None:
    small = big_log(0, lines=300)
    (part,) = bulkdelta.iter_deltas(io.BytesIO(small), host=None, chunk_lines=1_000)
    assert part.delta.lines == parse_delta(small).lines
    kmsg = b"".join(b"6,%d,5678901,-;usb 1-1: new device %d\n SUBSYSTEM=usb\n" % (i, i) for i in range(200))
    (part,) = bulkdelta.iter_deltas(io.BytesIO(kmsg), host=None, chunk_lines=1_000)
    assert part.delta.format == "kmsg" and part.delta.lines == parse_delta(kmsg).lines


def test_empty_input_gives_one_empty_delta() -> None:
    (part,) = bulkdelta.iter_deltas(io.BytesIO(b""), host=None, chunk_lines=100)
    assert part.lines == 0 and part.delta.lines == []
