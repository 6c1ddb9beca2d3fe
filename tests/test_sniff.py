"""Input that does not look like a kernel log is named as such; kernel logs in any shape are not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tasseograph.parsing import parse_delta
from tasseograph.sniff import not_a_kernel_log

PLAIN_KERNEL = """\
Linux version 6.8.0-45-generic (buildd@lcy02-amd64-075) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0)
Command line: BOOT_IMAGE=/vmlinuz-6.8.0-45-generic root=UUID=4f2a9c1e-77d1-4b8e-9a0c-2b51e3f0d6a8 ro quiet
BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable
nvme nvme0: pci function 0000:5e:00.0
nvme nvme0: 32/0/0 default/read/poll queues
EDAC MC0: Giving out device to module skx_edac controller Skylake Socket#0 IMC#0: DEV 0000:3a:0a.0 (INTERRUPT)
ixgbe 0000:18:00.1 eno2: NIC Link is Up 10 Gbps, Flow Control: RX/TX
"""


def test_a_plain_kernel_log_without_timestamps_is_one() -> None:
    delta = parse_delta(PLAIN_KERNEL)
    assert delta.format == "plain" and not_a_kernel_log(delta) is None


def test_prose_is_not_a_kernel_log() -> None:
    prose = "The quick brown fox jumps over the lazy dog.\n" * 3 + "Meeting moved to Thursday at 10.\n"
    reason = not_a_kernel_log(parse_delta(prose))
    assert reason is not None and "0 of 4 lines look like kernel messages" in reason


def test_binary_bytes_are_named_binary() -> None:
    junk = bytes(range(256)) * 40
    reason = not_a_kernel_log(parse_delta(junk))
    assert reason is not None and reason.startswith("binary data")


def test_empty_input_and_recognised_formats_never_warn() -> None:
    assert not_a_kernel_log(parse_delta("")) is None
    assert not_a_kernel_log(parse_delta("[   12.500000] The quick brown fox.\n")) is None  # dmesg format


def test_the_real_healthy_boot_logs_pass_with_and_without_timestamps(shared: Path) -> None:
    logs = sorted((shared / "datasets" / "dmesg-real" / "noise").glob("*.log"))
    if not logs:
        pytest.skip("no boot logs under dmesg-real/noise")
    stamp = re.compile(r"^\[[^\]]*\]\s*", re.MULTILINE)
    for log in logs:
        text = log.read_bytes().decode("utf-8", "replace")
        assert not_a_kernel_log(parse_delta(text)) is None, log.name
        assert not_a_kernel_log(parse_delta(stamp.sub("", text))) is None, f"{log.name} without timestamps"
