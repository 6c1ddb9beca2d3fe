"""dmesg output in its common shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tasseograph.parsing import parse_delta
from tasseograph.schema import KernelLine


def only_line(text: str) -> KernelLine:
    delta = parse_delta(text, format="dmesg")
    (line,) = delta.lines
    return line


@pytest.mark.parametrize(
    ("text", "message", "monotonic", "level", "facility"),
    [
        (
            "[   12.345678] nvme nvme0: I/O 12 QID 3 timeout",
            "nvme nvme0: I/O 12 QID 3 timeout",
            12.345678,
            None,
            None,
        ),
        ("[12345.000001] x", "x", 12345.000001, None, None),
        ("<3>[   12.300000] ata1: failed", "ata1: failed", 12.3, 3, 0),
        ("<14>[    1.000000] from user space", "from user space", 1.0, 6, 1),
        ("kern  :err   : [   12.300000] EDAC MC0: 1 CE", "EDAC MC0: 1 CE", 12.3, 3, 0),
        ("daemon:warn  : [    0.5] systemd thing", "systemd thing", 0.5, 4, 3),
        ("[    0.000000 <    0.000000>] Linux version 6.8", "Linux version 6.8", 0.0, None, None),
        (
            "> [ 5285.052945] CPU2: Core temperature above threshold",
            "CPU2: Core temperature above threshold",
            5285.052945,
            None,
            None,
        ),
        ("[Feb22 04:01] CPU5: Core temperature", "CPU5: Core temperature", None, None, None),
        ("[  +0.000001] CPU1: Package temperature", "CPU1: Package temperature", None, None, None),
    ],
)
def test_prefix_forms(
    text: str, message: str, monotonic: float | None, level: int | None, facility: int | None
) -> None:
    line = only_line(text)
    assert (line.raw, line.message, line.monotonic, line.level, line.facility) == (
        text,
        message,
        monotonic,
        level,
        facility,
    )


def test_dmesg_t_wall_time_is_read_as_utc() -> None:
    line = only_line("[Tue Nov 22 08:00:00 2026] EDAC MC1: 262 CE memory read error")
    assert line.time == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert line.monotonic is None
    assert line.message == "EDAC MC1: 262 CE memory read error"


def test_dmesg_t_with_a_padded_day_and_quote_marker() -> None:
    line = only_line("> [Wed Dec  9 03:36:07 2018] INFO: task logrotate:17344 blocked")
    assert line.time == datetime(2018, 12, 9, 3, 36, 7, tzinfo=UTC)


def test_iso_time_format() -> None:
    line = only_line("2026-11-22T08:00:00,123456+01:00 mce: [Hardware Error]")
    assert line.time == datetime(2026, 11, 22, 7, 0, 0, 123456, tzinfo=UTC)
    assert line.message == "mce: [Hardware Error]"


def test_an_impossible_dmesg_t_date_gives_no_time_not_an_error() -> None:
    assert only_line("[Tue Feb 30 08:00:00 2026] x").time is None


def test_stack_trace_indentation_is_kept_and_trailing_blanks_go() -> None:
    delta = parse_delta("[  500.627912]  unwind_backtrace from show_stack+0x18/0x1c  \n")
    assert delta.lines[0].message == " unwind_backtrace from show_stack+0x18/0x1c"
    assert delta.lines[0].raw == "[  500.627912]  unwind_backtrace from show_stack+0x18/0x1c  "


def test_a_line_without_prefix_is_its_own_record() -> None:
    text = "[    6.5] ata5: link down\n[    6.6] ata5: x\n[    6.7] ata5: y\n[    6.8] ata5: z\n      res 51/04 Emask 0x1\n"
    delta = parse_delta(text)
    assert delta.format == "dmesg"
    assert [(line.lineno, line.message, line.monotonic) for line in delta.lines][3:] == [
        (4, "ata5: z", 6.8),
        (5, "      res 51/04 Emask 0x1", None),
    ]


def test_a_prefix_with_no_message_is_still_a_record() -> None:
    line = only_line("[    1.000000]")
    assert (line.message, line.monotonic) == ("", 1.0)


def test_coloured_dmesg_is_parsed_and_its_raw_keeps_the_codes_visibly() -> None:
    delta = parse_delta(b"\x1b[32m[    1.500000] \x1b[0m\x1b[33mnvme0: warn\x1b[0m\n")
    (line,) = delta.lines
    assert delta.format == "dmesg"
    assert (line.message, line.monotonic) == ("nvme0: warn", 1.5)
    assert line.raw == "\\x1b[32m[    1.500000] \\x1b[0m\\x1b[33mnvme0: warn\\x1b[0m"
