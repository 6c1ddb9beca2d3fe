"""Line times: wall stamps as given, monotonic stamps anchored to the boot, and what happens without an anchor."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tasseograph.errors import UsageError
from tasseograph.fleet.clock import HostClock, anchor_from_pair
from tasseograph.parsing import parse_delta


def approx(value: float):
    """Unix times are ~1.8e9: compare to the microsecond, not relatively."""
    return pytest.approx(value, abs=1e-6)


BOOT = datetime(2026, 11, 20, 6, 0, 0, tzinfo=UTC).timestamp()

DMESG = """\
[  812.204311] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x849923 offset:0x380 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0092 socket:0 ha:0 channel_mask:4 rank:0)
[ 4021.913000] ixgbe 0000:03:00.0 eth0: NIC Link is Down
[ 4023.100452] ixgbe 0000:03:00.0 eth0: NIC Link is Up 10 Gbps, Flow Control: RX/TX
"""


def _lines(text: str):
    return parse_delta(text).lines


def test_explicit_anchor_gives_boot_plus_monotonic() -> None:
    clock = HostClock("db-17")
    clock.set_anchor(BOOT, boot_id="7f3a")
    times = clock.stamp(_lines(DMESG), received=BOOT + 9_999)
    assert [t.basis for t in times] == ["anchored"] * 3
    assert times[0].at == approx(BOOT + 812.204311)
    assert times[2].at - times[1].at == approx(1.187452)


def test_wall_stamps_are_used_as_given_and_anchor_the_monotonic_ones() -> None:
    syslog = (
        "Nov 20 08:00:05 db-17 kernel: [ 7205.000000] nvme nvme0: I/O 12 QID 5 timeout, aborting\n"
        "Nov 20 08:00:06 db-17 kernel: [ 7205.900000] nvme nvme0: Abort status: 0x0\n"
    )
    clock = HostClock("db-17")
    times = clock.stamp(parse_delta(syslog, year=2026).lines, received=BOOT + 50_000)
    assert [t.basis for t in times] == ["wall", "wall"]
    assert times[0].at == datetime(2026, 11, 20, 8, 0, 5, tzinfo=UTC).timestamp()
    # The pair bounds the boot at 08:00:05 - 7205 s = 06:00:00; reception only adds lag.
    assert clock.anchored and clock.boot_time == approx(BOOT)
    later = clock.stamp(_lines("[ 9000.500000] nvme nvme0: I/O 13 QID 5 timeout, reset controller\n"),
                        received=BOOT + 60_000)
    assert later[0].basis == "anchored" and later[0].at == approx(BOOT + 9000.5)


def _journal(realtime: float, mono: float, message: str) -> str:
    return json.dumps({
        "__CURSOR": "s=9c1b;i=4f2;b=7f3a;m=1;t=2;x=3", "__REALTIME_TIMESTAMP": str(int(realtime * 1e6)),
        "__MONOTONIC_TIMESTAMP": str(int(mono * 1e6)), "_SOURCE_MONOTONIC_TIMESTAMP": str(int(mono * 1e6)),
        "_BOOT_ID": "7f3a", "PRIORITY": "4", "SYSLOG_FACILITY": "0", "_HOSTNAME": "db-17", "MESSAGE": message,
    })


def test_a_journal_backlog_stamped_at_reception_gets_the_kernel_time() -> None:
    # journald starts 40 s after boot and stamps the kernel's early lines with its own start time.
    text = "\n".join([
        _journal(BOOT + 40.0, 3.2, "ata2.00: failed to IDENTIFY (I/O error, err_mask=0x4)"),
        _journal(BOOT + 700.0, 700.0, "e1000e 0000:00:19.0 eno1: NIC Link is Up 1000 Mbps Full Duplex"),
        _journal(BOOT + 86_400.0, 86_400.0, "EDAC MC0: 1 CE memory read error on DIMM_A1 (channel:0 slot:0 page:0x1)"),
    ]) + "\n"
    clock = HostClock("db-17", max_lag_s=30)
    times = clock.stamp(_lines(text), received=BOOT + 90_000)
    assert clock.boot_time == approx(BOOT)
    assert times[0].basis == "anchored" and times[0].at == approx(BOOT + 3.2)
    assert [t.basis for t in times[1:]] == ["wall", "wall"]


def test_without_an_anchor_the_boot_is_bounded_from_arrival_and_tightened() -> None:
    clock = HostClock("web-01")
    first = clock.stamp(_lines(DMESG), received=BOOT + 4_100.0)
    assert {t.basis for t in first} == {"estimated"}
    # Newest line (4023.1 s) arrived at BOOT + 4100: the boot is at most 76.9 s late.
    assert clock.boot_time == approx(BOOT + 4_100.0 - 4023.100452)
    clock.stamp(_lines("[ 5000.000000] usb 1-1: USB disconnect, device number 2\n"), received=BOOT + 5_001.0)
    assert clock.boot_time == approx(BOOT + 1.0)
    assert not clock.anchored


def test_catch_up_after_downtime_matches_live_once_anchored() -> None:
    live = HostClock("db-17")
    live.set_anchor(BOOT)
    live_times = [t.at for line in _lines(DMESG) for t in live.stamp([line], received=BOOT + 4_500.0)]
    caught_up = HostClock("db-17")
    caught_up.set_anchor(BOOT)
    late = caught_up.stamp(_lines(DMESG), received=BOOT + 3 * 86_400.0)
    assert [t.at for t in late] == live_times


def test_a_monotonic_stamp_going_back_is_a_reboot_and_drops_the_anchor() -> None:
    clock = HostClock("db-17")
    clock.set_anchor(BOOT)
    clock.stamp(_lines(DMESG), received=BOOT + 5_000.0)
    rebooted = clock.stamp(_lines("[    2.100000] Linux version 6.8.0-45-generic\n"), received=BOOT + 6_000.0)
    assert rebooted[0].basis == "estimated"
    assert rebooted[0].at == approx(BOOT + 6_000.0)
    assert not clock.anchored


def test_boot_ids_switch_anchors_and_remember_earlier_boots() -> None:
    clock = HostClock("db-17")
    clock.set_anchor(BOOT, boot_id="boot-a")
    clock.set_anchor(BOOT + 100_000, boot_id="boot-b")
    old = clock.stamp(_lines("[  10.000000] nvme nvme0: pci function 0000:5e:00.0\n"), received=BOOT + 200_000,
                      boot_id="boot-a")
    assert old[0].basis == "anchored" and old[0].at == approx(BOOT + 10.0)
    unknown = clock.stamp(_lines("[  10.000000] nvme nvme0: pci function 0000:5e:00.0\n"), received=BOOT + 200_000,
                          boot_id="boot-c")
    assert unknown[0].basis == "estimated"


def test_lines_without_any_stamp_take_the_arrival_time() -> None:
    times = HostClock("db-17").stamp(_lines("NIC Link is Down\nsomething else entirely\n"), received=BOOT)
    assert [(t.at, t.basis) for t in times] == [(BOOT, "arrival"), (BOOT, "arrival")]


def test_anchor_from_a_dmesg_and_dmesg_T_pair() -> None:
    plain = _lines("[ 3600.250000] EDAC MC0: 1 CE on DIMM_A1 (channel:0 slot:0 page:0x1)\n"
                   "[ 7201.900000] ixgbe 0000:03:00.0 eth0: NIC Link is Down\n")
    stamped = _lines("[Fri Nov 20 07:00:00 2026] EDAC MC0: 1 CE on DIMM_A1 (channel:0 slot:0 page:0x1)\n"
                     "[Fri Nov 20 08:00:01 2026] ixgbe 0000:03:00.0 eth0: NIC Link is Down\n")
    boot = anchor_from_pair(plain, stamped)
    # 07:00:00 - 3600.25 and 08:00:01 - 7201.9 (each truncated to the second by dmesg -T)
    # bound the boot to [05:59:59.75, 06:00:00.1): the middle is 05:59:59.925.
    assert boot == approx(BOOT - 0.075)
    with pytest.raises(UsageError, match="no message"):
        anchor_from_pair(plain, _lines("[Fri Nov 20 07:00:00 2026] something else\n"))


def test_state_round_trips_through_json() -> None:
    clock = HostClock("db-17")
    clock.set_anchor(BOOT, boot_id="boot-a")
    clock.stamp(_lines(DMESG), received=BOOT + 5_000)
    clock.set_anchor(BOOT + 9, boot_id="boot-b")
    again = HostClock.from_dict(json.loads(json.dumps(clock.to_dict())))
    assert again == clock
    with pytest.raises(UsageError, match="host clock"):
        HostClock.from_dict({"host": "x", "bogus": 1})
