"""Writing a replay: per-host logs (spool layout or one file per host), the inventory, the truth.

Lines are RFC 3339 syslog lines with the kernel's monotonic stamp, as rsyslog writes kern.log
with ``RSYSLOG_FileFormat`` (``2026-11-01T00:05:13.123456+00:00 web-001 kernel: [ 1234.567890] msg``):
the parsers read both stamps, so ``HostClock`` gets its boot anchor from the lines themselves.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path

from datasets.fleet.schedule import Host
from tasseograph.eval.fleetscore import GroundTruth

INVENTORY_COLUMNS = ("host", "rack", "row", "switch", "pdu", "chassis", "model", "firmware", "kernel")


def format_line(host: Host, at: float, message: str) -> str:
    """One log line: wall time, host, ``kernel:``, monotonic stamp, message."""
    stamp = datetime.fromtimestamp(at, UTC).isoformat(timespec="microseconds")
    return f"{stamp} {host.name} kernel: [{host.monotonic(at):12.6f}] {message}\n"


def write_spool(hosts: list[Host], out: Path, interval_s: float) -> int:
    """``out/spool/<host>/<interval start>.log`` for every interval with lines; returns files written.

    Each file's mtime is its interval's end, so the runner's spool source (oldest first) reads
    them in time order.
    """
    files = 0
    for host in hosts:
        folder = out / "spool" / host.name
        folder.mkdir(parents=True, exist_ok=True)
        chunks: dict[int, list[str]] = {}
        for at, message in host.lines:
            chunks.setdefault(int(at // interval_s), []).append(format_line(host, at, message))
        for index in sorted(chunks):
            begin = index * interval_s
            name = datetime.fromtimestamp(begin, UTC).strftime("%Y%m%dT%H%M%SZ") + ".log"
            path = folder / name
            path.write_text("".join(chunks[index]), encoding="utf-8", errors="surrogateescape")
            os.utime(path, (begin + interval_s, begin + interval_s))
            files += 1
    return files


def write_host_files(hosts: list[Host], out: Path) -> int:
    """``out/hosts/<host>.log``: each host's whole log in one file; returns files written."""
    folder = out / "hosts"
    folder.mkdir(parents=True, exist_ok=True)
    for host in hosts:
        text = "".join(format_line(host, at, message) for at, message in host.lines)
        (folder / f"{host.name}.log").write_text(text, encoding="utf-8", errors="surrogateescape")
    return len(hosts)


def inventory_csv(hosts: list[Host]) -> str:
    """The inventory as CSV text (header first; ``tasseograph.fleet.load_inventory`` reads it)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(INVENTORY_COLUMNS)
    for host in hosts:
        writer.writerow([host.name, *(host.labels.get(c, "") for c in INVENTORY_COLUMNS[1:])])
    return buf.getvalue()


def write_all(hosts: list[Host], truth: GroundTruth, out: Path, *, layout: str) -> int:
    """Logs in ``layout`` (``spool`` or ``host``), ``inventory.csv`` and ``ground_truth.json``."""
    out.mkdir(parents=True, exist_ok=True)
    files = write_spool(hosts, out, truth.interval_s) if layout == "spool" else write_host_files(hosts, out)
    (out / "inventory.csv").write_text(inventory_csv(hosts), encoding="utf-8")
    (out / "ground_truth.json").write_text(truth.model_dump_json(indent=1) + "\n", encoding="utf-8")
    return files
