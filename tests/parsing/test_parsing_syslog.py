"""Syslog files and journalctl short formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tasseograph.parsing import parse_delta
from tasseograph.schema import KernelLine


def only_line(text: str, year: int | None = 2026) -> KernelLine:
    (line,) = parse_delta(text, format="syslog", year=year).lines
    return line


def test_kern_log_line_with_dmesg_stamp() -> None:
    line = only_line("Nov 22 08:00:00 db-07 kernel: [  12.345678] EDAC MC0: 1 CE memory read error")
    assert line.message == "EDAC MC0: 1 CE memory read error"
    assert (line.host, line.monotonic) == ("db-07", 12.345678)
    assert line.time == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_journal_short_without_dmesg_stamp() -> None:
    line = only_line("May 06 22:22:51 aragorn kernel: ata1.00: configured for UDMA/100")
    assert (line.message, line.host, line.monotonic) == ("ata1.00: configured for UDMA/100", "aragorn", None)


def test_journal_short_monotonic_as_the_spool_playbook_writes_it() -> None:
    text = ("[   12.345678] node07 kernel: EDAC MC0: 1 CE memory read error on DIMM_A1\n"
            "[   13.000000] node07 kernel: pci 0000:00:01.0: BAR 0\n")
    delta = parse_delta(text)  # detected, not forced
    assert delta.format == "syslog" and delta.host == "node07"
    first, second = delta.lines
    assert (first.message, first.host, first.monotonic) == ("EDAC MC0: 1 CE memory read error on DIMM_A1", "node07", 12.345678)
    assert second.message == "pci 0000:00:01.0: BAR 0"
    other = only_line("[   14.000000] node07 systemd[1]: Started Session 4.")
    assert (other.message, other.host) == ("systemd[1]: Started Session 4.", "node07")


def test_short_precise_keeps_microseconds_and_a_padded_day_parses() -> None:
    line = only_line("Jul  3 04:08:03.250001 h kernel: x")
    assert line.time == datetime(2026, 7, 3, 4, 8, 3, 250001, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-11-22T08:00:00.123456+00:00", datetime(2026, 11, 22, 8, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-22T08:00:00+0000", datetime(2026, 11, 22, 8, 0, tzinfo=UTC)),
        ("2026-11-22T08:00:00Z", datetime(2026, 11, 22, 8, 0, tzinfo=UTC)),
        (
            "2019-08-19T04:18:38.274652-04:00",
            datetime(2019, 8, 19, 4, 18, 38, 274652, tzinfo=timezone(timedelta(hours=-4))),
        ),
    ],
)
def test_rfc3339_and_short_iso(stamp: str, expected: datetime) -> None:
    line = only_line(f"{stamp} linux-dgwd kernel: [ 261.273226] Memory failure: 0xe16677")
    assert (line.time, line.host, line.monotonic, line.message) == (
        expected,
        "linux-dgwd",
        261.273226,
        "Memory failure: 0xe16677",
    )
    assert line.time is not None and line.time.utcoffset() == expected.utcoffset()


def test_a_line_without_host() -> None:
    line = only_line("Feb 23 03:28:16  kernel: EDAC MC1: 1 CE memory scrubbing error")
    assert (line.host, line.message) == (None, "EDAC MC1: 1 CE memory scrubbing error")


def test_other_programs_keep_their_tag() -> None:
    line = only_line("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; ")
    assert (line.host, line.message) == ("combo", "sshd(pam_unix)[19939]: authentication failure;")


def test_a_line_without_tag_keeps_its_text() -> None:
    line = only_line("Jun 19 04:09:11 combo syslogd 1.4.1: restart.")
    assert (line.host, line.message) == ("combo", "syslogd 1.4.1: restart.")


def test_openwrt_logread_gives_facility_and_level() -> None:
    line = only_line("Mon Dec 31 10:50:01 2018 kern.err kernel: [40153.078673] PCI Status             <10>")
    assert (line.facility, line.level, line.host) == (0, 3, None)
    assert line.time == datetime(2018, 12, 31, 10, 50, 1, tzinfo=UTC)
    assert (line.monotonic, line.message) == (40153.078673, "PCI Status             <10>")


def test_rfc3164_priority() -> None:
    line = only_line("<4>Nov 22 08:00:00 db-07 kernel: thermal throttling")
    assert (line.level, line.facility, line.message) == (4, 0, "thermal throttling")


def test_rfc5424() -> None:
    text = '<3>1 2026-11-22T08:00:00.5Z db-07 kernel - - [meta seq="1\\]"] \ufeff[ 7.25] nvme nvme0: reset'
    line = only_line(text)
    assert (line.level, line.facility, line.host, line.monotonic) == (3, 0, "db-07", 7.25)
    assert line.message == "nvme nvme0: reset"
    assert line.time == datetime(2026, 11, 22, 8, 0, 0, 500000, tzinfo=UTC)


def test_rfc5424_other_app_with_nil_fields() -> None:
    line = only_line("<30>1 - - smartd 811 - - Device: /dev/sda, SMART Failure")
    assert (line.host, line.time, line.level, line.facility) == (None, None, 6, 3)
    assert line.message == "smartd[811]: Device: /dev/sda, SMART Failure"


def test_the_reference_year_is_injectable_and_rolls_over_at_new_year() -> None:
    text = "Dec 31 23:59:59 h kernel: a\nJan  1 00:00:01 h kernel: b\nJan  1 00:00:02 2024 h kernel: c\n"
    lines = parse_delta(text, year=2025).lines
    assert [line.time for line in lines] == [
        datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC),
        datetime(2024, 1, 1, 0, 0, 2, tzinfo=UTC),  # a stamp with its own year keeps it
    ]


def test_without_a_year_the_current_one_is_used_unless_that_is_the_future() -> None:
    now = datetime.now(UTC)
    past = now - timedelta(days=2)
    future = now + timedelta(days=3)
    line = only_line(past.strftime("%b %d %H:%M:%S h kernel: x"), year=None)
    assert line.time == past.replace(microsecond=0)
    line = only_line(future.strftime("%b %d %H:%M:%S h kernel: x"), year=None)
    assert line.time is not None and line.time.year == future.year - 1


def test_feb_29_in_a_common_year_gives_no_time() -> None:
    assert only_line("Feb 29 12:00:00 h kernel: x", year=2026).time is None


def test_a_line_without_header_is_kept_whole() -> None:
    text = "Nov 22 08:00:00 h kernel: a\nMessage from syslogd@h at Nov 22 08:00:01 ...\n"
    lines = parse_delta(text, format="syslog").lines
    assert lines[1].message == "Message from syslogd@h at Nov 22 08:00:01 ..."
    assert lines[1].time is None
