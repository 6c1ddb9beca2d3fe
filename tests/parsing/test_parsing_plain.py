"""Plain text and mixed files: one record a line, fields when a line has them."""

from __future__ import annotations

from tasseograph.parsing import parse_delta

MIXED = (
    "[    1.000000] dmesg line\n"
    "Nov 22 08:00:00 h kernel: [    2.000000] syslog line\n"
    "   indented plain line   \n"
    "mce: [Hardware Error]: Machine check events logged\n"
    "Message from syslogd@pwnagotchi at Feb 10 17:37:44 ...\n"
    " kernel:reboot: HARDWARE PROTECTION shutdown (Temperature too high)\n"
)


def test_a_mix_reads_as_plain_and_keeps_every_line() -> None:
    delta = parse_delta(MIXED, year=2026)
    assert delta.format == "plain"
    assert [line.raw for line in delta.lines] == MIXED.splitlines()


def test_prefixed_lines_in_plain_still_get_their_fields() -> None:
    lines = parse_delta(MIXED, year=2026).lines
    assert (lines[0].message, lines[0].monotonic) == ("dmesg line", 1.0)
    assert (lines[1].message, lines[1].monotonic, lines[1].host) == ("syslog line", 2.0, "h")
    assert lines[2].message == "indented plain line"
    assert lines[3].message == "mce: [Hardware Error]: Machine check events logged"
    assert lines[5].message == "kernel:reboot: HARDWARE PROTECTION shutdown (Temperature too high)"


def test_bgl_style_lines() -> None:
    text = (
        "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02 RAS KERNEL INFO parity\n"
    )
    (line,) = parse_delta(text).lines
    assert (line.message, line.time, line.monotonic) == (text.strip(), None, None)
