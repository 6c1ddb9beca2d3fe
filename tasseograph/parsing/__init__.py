"""Kernel log input: detect the format, decode untrusted bytes, and parse records.

Formats (``FORMATS``): ``dmesg`` (default, ``-T``, ``-x``, ``-r``, ``-H``, iso), ``kmsg``
(/dev/kmsg records with their dictionary lines), ``journal-json`` (``journalctl -o json``),
``syslog`` (kern.log, RFC 3164/3339/5424, ``journalctl -o short*``, OpenWrt logread) and
``plain`` (anything else, or a mix: one record per line, nothing lost).

Example:
    >>> delta = parse_delta(b"<3>[   12.345678] nvme nvme0: I/O 12 QID 3 timeout, reset controller")
    >>> delta.format, delta.lines[0].level, delta.lines[0].message
    ('dmesg', 3, 'nvme nvme0: I/O 12 QID 3 timeout, reset controller')
"""

from __future__ import annotations

from tasseograph.parsing.decoding import CHUNK_BYTES, MAX_LINE_BYTES, TRUNCATION_MARK
from tasseograph.parsing.delta import (
    build_delta,
    iter_lines,
    iter_message_arrays,
    iter_message_batches,
    iter_messages,
    open_stream,
    parse_delta,
    read_delta,
    split_by_host,
)
from tasseograph.parsing.detect import FORMATS, detect_format, resolve_format

__all__ = [
    "CHUNK_BYTES",
    "FORMATS",
    "MAX_LINE_BYTES",
    "TRUNCATION_MARK",
    "build_delta",
    "detect_format",
    "iter_lines",
    "iter_message_arrays",
    "iter_message_batches",
    "iter_messages",
    "open_stream",
    "parse_delta",
    "read_delta",
    "resolve_format",
    "split_by_host",
]
