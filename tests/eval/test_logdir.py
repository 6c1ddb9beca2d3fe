"""Reading a folder of per-host kernel log archives: layouts, clocks, and one-line errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tasseograph.errors import InputError, UsageError
from tasseograph.eval.logdir import read_logdir


def _syslog(host: str, second: int, message: str) -> str:
    return f"2026-11-01T08:{second // 60:02d}:{second % 60:02d}.000000+00:00 {host} kernel: [{1000 + second}.000000] {message}"


def test_spool_layout_names_hosts_by_folder_and_reads_rotations_oldest_first(tmp_path: Path) -> None:
    host = tmp_path / "db-07"
    host.mkdir()
    (host / "kern.log.2.gz").write_bytes(gzip.compress((_syslog("db-07", 0, "oldest line") + "\n").encode()))
    (host / "kern.log.1").write_text(_syslog("db-07", 60, "middle line") + "\n")
    (host / "kern.log").write_text(_syslog("db-07", 120, "newest line") + "\n")
    logs = read_logdir(tmp_path)
    assert list(logs.hosts) == ["db-07"]
    lines = logs.hosts["db-07"].lines
    assert [raw.rsplit("] ", 1)[1] for _, raw in lines] == ["oldest line", "middle line", "newest line"]
    assert lines[1][0] - lines[0][0] == pytest.approx(60.0) and logs.hosts["db-07"].wall


def test_a_central_syslog_file_is_split_by_the_hosts_its_lines_name(tmp_path: Path) -> None:
    text = "\n".join([_syslog("web-01", 0, "e1000e: eth0 NIC Link is Up"), _syslog("web-02", 5, "usb 1-1: new device"),
                      _syslog("web-01", 9, "bond0: link status up")])
    (tmp_path / "messages").write_text(text + "\n")
    logs = read_logdir(tmp_path)
    assert sorted(logs.hosts) == ["web-01", "web-02"]
    assert len(logs.hosts["web-01"].lines) == 2 and len(logs.hosts["web-02"].lines) == 1


def test_a_dmesg_dump_counts_from_its_boot_at_the_folders_start(tmp_path: Path) -> None:
    (tmp_path / "web-01.log").write_text(_syslog("web-01", 0, "hello") + "\n")
    (tmp_path / "gpu-3.dmesg").write_text("[    0.000000] Linux version 6.1.0\n[  600.500000] usb 1-1: new device\n")
    logs = read_logdir(tmp_path)
    gpu = logs.hosts["gpu-3"]
    assert not gpu.wall and gpu.first == pytest.approx(logs.origin)
    assert gpu.last - gpu.first == pytest.approx(600.5)


def test_files_that_are_not_kernel_logs_are_skipped_and_listed(tmp_path: Path) -> None:
    (tmp_path / "web-01.log").write_text(_syslog("web-01", 0, "hello") + "\n")
    (tmp_path / "notes.txt").write_text("no stamps here\njust prose\n")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 8)
    logs = read_logdir(tmp_path)
    assert list(logs.hosts) == ["web-01"]
    assert set(logs.skipped) == {"notes.txt", "blob.bin"}


def test_bad_folders_and_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a folder"):
        read_logdir(tmp_path / "missing")
    with pytest.raises(UsageError, match="no kernel log with timestamps"):
        read_logdir(tmp_path)
    (tmp_path / "h1").mkdir()
    (tmp_path / "h1" / "kern.log.1.gz").write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(InputError, match=r"h1/kern.log.1.gz: not a readable gzip file") as info:
        read_logdir(tmp_path)
    assert "\n" not in str(info.value)
