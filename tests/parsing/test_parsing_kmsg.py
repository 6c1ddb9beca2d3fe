"""/dev/kmsg records and their dictionary lines."""

from __future__ import annotations

import io

from tasseograph.parsing import iter_messages, parse_delta

KMSG = (
    "6,1234,5678901,-;pcieport 0000:00:1c.0: AER: Corrected error received\n"
    " SUBSYSTEM=pci\n"
    " DEVICE=+pci:0000:00:1c.0\n"
    "3,1235,5679000,c;nvme nvme0: controller is down; will reset\n"
    "12,1236,5679100,-,caller=T1;user message\n"
)


def test_records_with_dictionary_lines() -> None:
    delta = parse_delta(KMSG)
    assert delta.format == "kmsg"
    first, second, third = delta.lines
    assert first.raw == (
        "6,1234,5678901,-;pcieport 0000:00:1c.0: AER: Corrected error received\n"
        " SUBSYSTEM=pci\n DEVICE=+pci:0000:00:1c.0"
    )
    assert first.message == "pcieport 0000:00:1c.0: AER: Corrected error received"
    assert (first.lineno, first.seq, first.level, first.facility, first.monotonic) == (
        1,
        1234,
        6,
        0,
        5.678901,
    )
    assert (second.lineno, second.seq, second.level, second.message) == (
        4,
        1235,
        3,
        "nvme nvme0: controller is down; will reset",
    )
    assert (third.lineno, third.level, third.facility, third.message) == (5, 4, 1, "user message")


def test_no_input_line_is_lost() -> None:
    raws = [part for line in parse_delta(KMSG).lines for part in line.raw.split("\n")]
    assert raws == KMSG.splitlines()


def test_a_line_that_is_not_a_record_stands_alone_and_takes_no_dictionary() -> None:
    text = "6,1,100,-;first\ngarbage line\n SUBSYSTEM=pci\n6,2,200,-;second\n"
    lines = parse_delta(text, format="kmsg").lines
    assert [(line.lineno, line.raw, line.message, line.seq) for line in lines] == [
        (1, "6,1,100,-;first", "first", 1),
        (2, "garbage line", "garbage line", None),
        (3, " SUBSYSTEM=pci", " SUBSYSTEM=pci", None),
        (4, "6,2,200,-;second", "second", 2),
    ]


def test_a_dictionary_line_at_the_start_stands_alone() -> None:
    lines = parse_delta(" DEVICE=+pci:0000:00:1c.0\n6,1,100,-;x\n", format="kmsg").lines
    assert [line.raw for line in lines] == [" DEVICE=+pci:0000:00:1c.0", "6,1,100,-;x"]


def test_messages_skip_dictionary_lines() -> None:
    messages = list(iter_messages(io.BytesIO(KMSG.encode())))
    assert messages == [line.message for line in parse_delta(KMSG).lines]
    assert len(messages) == 3
