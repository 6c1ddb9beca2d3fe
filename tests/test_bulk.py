"""``tasseograph.bulk``: the whole-stream summary equals the per-delta path's, in bounded memory."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest

import tasseograph
from tasseograph import bulk
from tasseograph.compress import template
from tasseograph.errors import InputError, UsageError
from tasseograph.parsing import parse_delta
from tasseograph.signals import classify, is_boring

EXCERPT = b"""\
[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0)
[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=1b2c ro quiet
[    0.412345] ACPI: PCI Interrupt Link [LNKA] (IRQs 3 4 5 6 7 10 11 14 15) *0, disabled.
[    1.204518] ata1: SATA link up 6.0 Gbps (SStatus 133 SControl 300)
[    2.318842] usb 1-1.2: USB disconnect, device number 4
[    3.100000] systemd[1]: Started Journal Service.
[ 1200.000001] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x849923 offset:0x380 grain:32 syndrome:0x0)
[ 1260.000002] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x849924 offset:0x380 grain:32 syndrome:0x0)
[ 1300.500000] nvme nvme0: I/O 12 QID 5 timeout, aborting
[ 1301.500000] nvme nvme0: I/O 13 QID 5 timeout, aborting
[ 1302.000000] nvme nvme0: Abort status: 0x0
[ 1320.000003] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x849925 offset:0x380 grain:32 syndrome:0x0)
[ 1400.000000] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0xe16677 offset:0x0 grain:32)
[ 1400.100000] systemd[1]: Started Journal Service.
[ 1500.000000] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx
[ 1500.100000] systemd[1]: Started Journal Service.
"""
KNOWN_IDS = {"edac.ce": 3, "nvme.timeout": 2, "edac.ue": 1}


def per_delta(data: bytes) -> list[str]:
    """The messages ``analyze`` sees for ``data``."""
    return [line.message for line in parse_delta(data).lines]


def comparable(summary: bulk.BulkSummary) -> dict[str, object]:
    """A summary without what depends on timing or on the chunking (``distinct_messages``)."""
    return summary.model_dump(exclude={"seconds", "distinct_messages"})


def test_excerpt_counts_equal_the_per_delta_path() -> None:
    summary = bulk.scan_bytes(EXCERPT)
    messages = per_delta(EXCERPT)
    ids = Counter(sid for m in messages if (sid := classify(m)) is not None)
    assert ids == KNOWN_IDS  # the excerpt shows what it is meant to: else the checks below are vacuous
    assert summary.lines == len(messages) == 16
    assert {s.signal_id: s.lines for s in summary.signals} == ids
    assert summary.signal_lines == sum(ids.values())
    assert summary.boring_lines == sum(is_boring(m) for m in messages) >= 5
    templates = Counter(template(m) for m in messages)
    assert summary.templates == len(templates)
    assert [(t.template, t.lines) for t in summary.top_templates] == templates.most_common(bulk.TOP_TEMPLATES)


def test_signals_carry_the_catalogue_and_come_most_severe_first() -> None:
    summary = bulk.scan_bytes(EXCERPT)
    assert [(s.signal_id, s.severity, s.category) for s in summary.signals] == [
        ("edac.ue", "critical", "memory"),
        ("edac.ce", "warning", "memory"),
        ("nvme.timeout", "warning", "storage"),
    ]
    assert summary.worst_severity == "critical"
    assert summary.signals[0].summary == "EDAC uncorrected memory error"


def test_worst_severity_is_warning_without_a_critical_line() -> None:
    no_ue = b"\n".join(line for line in EXCERPT.splitlines() if b" UE " not in line)
    assert bulk.scan_bytes(no_ue).worst_severity == "warning"


def test_repeats_are_counted_as_lines_of_one_template() -> None:
    top = bulk.scan_bytes(EXCERPT, top=2).top_templates
    assert [(t.template, t.lines) for t in top] == [
        ("systemd[<N>]: Started Journal Service.", 3),
        (template("EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x849923 offset:0x380 grain:32 syndrome:0x0)"), 3),
    ]


def thousand_lines() -> bytes:
    """1,000 lines: the excerpt's forms with changing numbers, so chunks see new and repeated messages."""
    forms = EXCERPT.splitlines()
    return b"\n".join(forms[i % len(forms)].replace(b"0x84992", b"0x8%d" % (i % 7)) for i in range(1_000))


def test_chunk_size_does_not_change_the_answer() -> None:
    data = thousand_lines()
    one = bulk.scan_bytes(data, chunk_lines=1_000)
    many = bulk.scan_bytes(data, chunk_lines=100)
    assert many.lines == one.lines == 1_000
    assert comparable(many) == comparable(one)
    assert one.signal_lines > 0 and one.boring_lines > 0


def test_one_chunk_at_a_time_and_a_bounded_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "MEMO_SIZE", 30)
    # 25 distinct messages per chunk (so the memo is used), 250 in all (so it must be cleared).
    data = b"\n".join(b"[ %d.0] usb 1-1: USB disconnect, device number %d" % (i, i // 4) for i in range(1_000))
    chunks = bulk.iter_message_chunks(io.BytesIO(data), chunk_lines=100)
    scanner = bulk.BulkScanner()
    for chunk in chunks:
        assert len(chunk) == 100
        scanner.feed(chunk)
        assert 0 < len(scanner.verdicts.memo) <= 30
    summary = scanner.summary()
    assert summary.lines == summary.boring_lines == 1_000
    assert comparable(summary) == comparable(bulk.scan_bytes(data))


def test_empty_input_gives_an_empty_summary() -> None:
    summary = bulk.scan_stream(io.BytesIO(b""))
    assert (summary.lines, summary.signal_lines, summary.boring_lines, summary.templates) == (0, 0, 0, 0)
    assert summary.signals == [] and summary.top_templates == [] and summary.worst_severity is None
    assert set(summary.seconds) == set(bulk.STAGES)


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02\xff\xfe binary \x00 junk\n" * 10,
        b"[    1.0] caf\xe9 invalid utf-8 \xc3\x28\n",
        b"\xff\xfe\x00E\x00D\x00A\x00C\x00" * 100,
    ],
    ids=["binary", "invalid-utf8", "utf16-no-newline"],
)
def test_bad_bytes_are_summarised_like_the_per_delta_path(data: bytes) -> None:
    summary = bulk.scan_bytes(data)
    messages = per_delta(data)
    assert summary.lines == len(messages) > 0
    assert [t.template for t in summary.top_templates] == list(Counter(template(m) for m in messages))


def test_scan_file_equals_scan_stream(tmp_path: Path) -> None:
    path = tmp_path / "dmesg.txt"
    path.write_bytes(EXCERPT)
    assert comparable(bulk.scan_file(path)) == comparable(bulk.scan_stream(io.BytesIO(EXCERPT)))


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="absent.log"):
        bulk.scan_file(tmp_path / "absent.log")


def test_text_stream_is_an_input_error() -> None:
    with pytest.raises(InputError, match="binary mode"):
        bulk.scan_stream(io.StringIO("[ 1.0] hello\n"))  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"chunk_lines": 0}, {"top": -1}])
def test_bad_arguments_are_usage_errors(kwargs: dict[str, int]) -> None:
    with pytest.raises(UsageError):
        bulk.scan_bytes(EXCERPT, **kwargs)


def test_top_zero_lists_none_but_counts_all() -> None:
    summary = bulk.scan_bytes(EXCERPT, top=0)
    assert summary.top_templates == [] and summary.templates > 10


def test_stage_seconds_are_timed() -> None:
    seconds = bulk.scan_bytes(EXCERPT * 50).seconds
    assert list(seconds) == list(bulk.STAGES)
    assert all(s > 0 for s in seconds.values())


def test_public_names() -> None:
    assert tasseograph.scan_stream is bulk.scan_stream
    assert tasseograph.scan_file is bulk.scan_file
    assert tasseograph.BulkSummary is bulk.BulkSummary
