"""Format detection from the first lines, and format names."""

from __future__ import annotations

import pytest

from tasseograph.errors import UsageError
from tasseograph.parsing import FORMATS, detect_format, resolve_format


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("[    0.000000] Linux version 6.8.0\n[    0.000001] Command line: ro\n", "dmesg"),
        ("[Tue Nov 22 08:00:00 2026] a\n[Tue Nov 22 08:00:01 2026] b\n", "dmesg"),
        ("<6>[    1.0] a\n<3>[    2.0] b\n", "dmesg"),
        ("kern  :info  : [    1.0] a\nkern  :err   : [    2.0] b\n", "dmesg"),
        ("\x1b[32m[    1.000000] \x1b[0mcoloured\n", "dmesg"),
        ("6,1,100,-;a\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:1c.0\n6,2,200,-;b\n", "kmsg"),
        ('{"MESSAGE": "a", "__CURSOR": "s=1;i=2"}\n{"MESSAGE": "b", "PRIORITY": "6"}\n', "journal-json"),
        (
            "-- Logs begin at Mon 2026-11-02 --\nNov 22 08:00:00 h kernel: a\n-- Boot 5a1b --\nNov 22 08:00:01 h kernel: b\n",
            "syslog",
        ),
        ("2026-11-22T08:00:00+0000 h kernel: a\n", "syslog"),
        ("<4>1 2026-11-22T08:00:00Z h kernel - - - a\n", "syslog"),
        ("[    5.000000] node07 kernel: a\n[    6.100000] node07 kernel: b\n", "syslog"),
        ("[    1.0] pci 0000:00:01.0: BAR 0\n[    1.1] pci 0000:00:02.0: BAR 2\n", "dmesg"),
        ("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure\r\n", "syslog"),
        ("mce: [Hardware Error]: Machine check events logged\n", "plain"),
        ("[    1.0] dmesg\nNov 22 08:00:00 h kernel: syslog\n", "plain"),
        ("", "plain"),
        ("\n\n   \n", "plain"),
        ("-- No entries --\n", "plain"),
        ("\x00\x01\x02\xff binary junk", "plain"),
    ],
)
def test_detect_format(sample: str, expected: str) -> None:
    assert detect_format(sample) == expected


def test_a_few_odd_lines_do_not_break_detection() -> None:
    sample = "".join(f"[{i:5d}.000000] line {i}\n" for i in range(9)) + "    wrapped continuation\n"
    assert detect_format(sample) == "dmesg"


def test_only_the_first_lines_are_read() -> None:
    sample = "".join(f"[{i:5d}.000000] line {i}\n" for i in range(40)) + "not dmesg\n" * 1000
    assert detect_format(sample) == "dmesg"


def test_format_names_and_aliases() -> None:
    assert FORMATS == ("dmesg", "kmsg", "journal-json", "syslog", "plain")
    assert [resolve_format(n) for n in ("DMESG", "short-iso", "json", "kern.log", "auto", None)] == [
        "dmesg", "syslog", "journal-json", "syslog", None, None,
    ]  # fmt: skip


def test_an_unknown_format_is_a_usage_error_with_a_hint() -> None:
    with pytest.raises(UsageError, match="Did you mean 'syslog'"):
        resolve_format("sislog")
