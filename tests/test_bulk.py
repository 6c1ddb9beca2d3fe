"""``tasseograph.bulk``: the whole-stream summary equals the per-delta path's, in bounded memory.

Every behaviour is checked on both engines (``compiled``: skipped where the extension is not
built, required in CI; ``python``), and both against ``reference_summary``: the per-line
reference of ``tasseograph.bulkref`` over the per-delta parser's messages.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import tasseograph
from tasseograph import bulk, bulkcore, bulkref
from tasseograph.compress import template
from tasseograph.errors import InputError, UsageError
from tasseograph.parsing import parse_delta
from tasseograph.signals import classify, is_boring
from tests.test_bulkref import compiled_or_skip

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
    """A summary without what depends on timing or on the engine."""
    return summary.model_dump(exclude={"seconds", "engine"})


def reference_summary(
    data: bytes, *, format: str | None = None, capacity: int = bulk.TEMPLATE_CAPACITY, top: int = bulk.TOP_TEMPLATES
) -> bulk.BulkSummary:
    """The summary the per-line reference gives: ``parse_delta``'s messages, one at a time, in order."""
    table = bulkref.SpaceSaving(capacity)
    tally = [0] * (bulkref.SIGNAL + len(bulkref.signal_positions()))
    messages = [line.message for line in parse_delta(data, format=format).lines]
    for message in messages:
        tally[bulkref.verdict_code(message)] += 1
        table.add(bulkref.bulk_template(message))
    return bulk.table_summary(len(messages), tally, table, top)


@pytest.fixture(params=["compiled", "python"])
def engine(request: pytest.FixtureRequest) -> str:
    """Each bulk engine in turn."""
    if request.param == "compiled":
        compiled_or_skip()
    return str(request.param)


def test_excerpt_counts_equal_the_per_delta_path(engine: str) -> None:
    summary = bulk.scan_bytes(EXCERPT, engine=engine)
    assert summary.engine == engine
    messages = per_delta(EXCERPT)
    ids = Counter(sid for m in messages if (sid := classify(m)) is not None)
    assert ids == KNOWN_IDS  # the excerpt shows what it is meant to: else the checks below are vacuous
    assert summary.lines == len(messages) == 16
    assert {s.signal_id: s.lines for s in summary.signals} == ids
    assert summary.signal_lines == sum(ids.values())
    assert summary.boring_lines == sum(is_boring(m) for m in messages) >= 5
    templates = Counter(template(m) for m in messages)
    assert summary.templates == len(templates) and summary.template_error == 0
    assert [(t.template, t.lines) for t in summary.top_templates] == templates.most_common(bulk.TOP_TEMPLATES)
    assert comparable(summary) == comparable(reference_summary(EXCERPT))


def test_signals_carry_the_catalogue_and_come_most_severe_first(engine: str) -> None:
    summary = bulk.scan_bytes(EXCERPT, engine=engine)
    assert [(s.signal_id, s.severity, s.category) for s in summary.signals] == [
        ("edac.ue", "critical", "memory"),
        ("edac.ce", "warning", "memory"),
        ("nvme.timeout", "warning", "storage"),
    ]
    assert summary.worst_severity == "critical"
    assert summary.signals[0].summary == "EDAC uncorrected memory error"


def test_worst_severity_is_warning_without_a_critical_line(engine: str) -> None:
    no_ue = b"\n".join(line for line in EXCERPT.splitlines() if b" UE " not in line)
    assert bulk.scan_bytes(no_ue, engine=engine).worst_severity == "warning"


def test_repeats_are_counted_as_lines_of_one_template(engine: str) -> None:
    top = bulk.scan_bytes(EXCERPT, top=2, engine=engine).top_templates
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
    one = bulk.scan_bytes(data, chunk_lines=1_000, engine="python")
    many = bulk.scan_bytes(data, chunk_lines=100, engine="python")
    assert many.lines == one.lines == 1_000
    assert comparable(many) == comparable(one) == comparable(reference_summary(data))
    assert one.signal_lines > 0 and one.boring_lines > 0


def test_a_full_template_table_stays_within_its_stated_error(engine: str) -> None:
    # Fresh words on every line: 1,000 templates into a table of 50.
    lines = [b"[ %d.0] EDAC MC0: 1 CE read error on DIMM_%s" % (i, b"abcdefghij"[i % 10 :]) for i in range(200)]
    lines += [b"[ %d.0] usb 1-1: new device w%sx" % (i, bytes([97 + i % 26]) * (i % 37)) for i in range(1_000)]
    data = b"\n".join(lines)
    summary = bulk.scan_bytes(data, engine=engine, capacity=50, top=50)
    truth = Counter(bulkref.bulk_template(m) for m in per_delta(data))
    assert len(truth) > 500 and summary.templates == 50
    assert 0 < summary.template_error <= summary.lines / 50
    for t in summary.top_templates:
        assert truth[t.template] <= t.lines <= truth[t.template] + t.error
    heavy = {t for t, n in truth.items() if n > summary.lines / 50}
    assert heavy and heavy <= {t.template for t in summary.top_templates}
    assert summary.signals[0].lines == 200  # signal and boring counts stay exact


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
    assert comparable(summary) == comparable(bulk.scan_bytes(data, engine="python"))


def test_empty_input_gives_an_empty_summary(engine: str) -> None:
    summary = bulk.scan_stream(io.BytesIO(b""), engine=engine)
    assert (summary.lines, summary.signal_lines, summary.boring_lines, summary.templates) == (0, 0, 0, 0)
    assert summary.signals == [] and summary.top_templates == [] and summary.worst_severity is None
    assert set(summary.seconds) == (set(bulk.STAGES) if engine == "python" else {"scan"})


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02\xff\xfe binary \x00 junk\n" * 10,
        b"[    1.0] caf\xe9 invalid utf-8 \xc3\x28\n",
        b"\xff\xfe\x00E\x00D\x00A\x00C\x00" * 100,
    ],
    ids=["binary", "invalid-utf8", "utf16-no-newline"],
)
def test_bad_bytes_are_summarised_like_the_per_delta_path(data: bytes, engine: str) -> None:
    summary = bulk.scan_bytes(data, engine=engine)
    messages = per_delta(data)
    assert summary.lines == len(messages) > 0
    assert [t.template for t in summary.top_templates] == list(Counter(template(m) for m in messages))
    assert comparable(summary) == comparable(reference_summary(data))


def test_scan_file_equals_scan_stream(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "dmesg.txt"
    path.write_bytes(EXCERPT)
    assert comparable(bulk.scan_file(path, engine=engine)) == comparable(bulk.scan_stream(io.BytesIO(EXCERPT)))


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="absent.log"):
        bulk.scan_file(tmp_path / "absent.log")


def test_text_stream_is_an_input_error() -> None:
    with pytest.raises(InputError, match="binary mode"):
        bulk.scan_stream(io.StringIO("[ 1.0] hello\n"))  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"chunk_lines": 0}, {"top": -1}, {"capacity": 0}, {"engine": "turbo"}])
def test_bad_arguments_are_usage_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        bulk.scan_bytes(EXCERPT, **kwargs)


def test_without_the_compiled_core_auto_warns_once_and_runs_python(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    reason = "the compiled bulk core is not built (test); " + bulkcore.BUILD_HINT
    monkeypatch.setattr(bulkcore, "unavailable", lambda: reason)
    bulk._warn_once.cache_clear()
    with caplog.at_level(logging.WARNING, logger="tasseograph.bulk"):
        first = bulk.scan_bytes(EXCERPT)
        bulk.scan_bytes(EXCERPT)
    assert first.engine == "python" and first.signal_lines == 6
    assert [r.getMessage() for r in caplog.records] == [f"tasseograph: {reason}. Using the slower Python bulk path."]
    with pytest.raises(UsageError, match="libhyperscan-dev"):
        bulk.scan_bytes(EXCERPT, engine="compiled")


def test_top_zero_lists_none_but_counts_all(engine: str) -> None:
    summary = bulk.scan_bytes(EXCERPT, top=0, engine=engine)
    assert summary.top_templates == [] and summary.templates > 10


def test_stage_seconds_are_timed(engine: str) -> None:
    seconds = bulk.scan_bytes(EXCERPT * 50, engine=engine).seconds
    assert list(seconds) == (list(bulk.STAGES) if engine == "python" else ["scan"])
    assert all(s > 0 for s in seconds.values())


def test_public_names() -> None:
    assert tasseograph.scan_stream is bulk.scan_stream
    assert tasseograph.scan_file is bulk.scan_file
    assert tasseograph.BulkSummary is bulk.BulkSummary
