"""Does an input look like a kernel log at all? A warning for the caller, never a refusal.

Any bytes parse (the ``plain`` format takes whatever it is given), so ``tasseograph analyze
/bin/ls`` would otherwise answer ``OK`` as if a healthy kernel had been read. A delta in a
recognised log format (dmesg, kmsg, journal JSON, syslog) is a log; a ``plain`` one must show
it: binary bytes (escaped as ``\\xNN`` by the decoder) on many lines, or almost no line that a
kernel would print (a catalogue signal, known kernel noise, or a ``subsystem: message`` shape),
give a one-line reason.
"""

from __future__ import annotations

import re

from tasseograph.schema import Delta
from tasseograph.signals import classify, is_boring

SAMPLE_LINES = 200
"""Non-blank lines judged (the head of the input)."""
MAX_BINARY_SHARE = 0.3
"""Above this share of lines holding escaped binary bytes, the input is binary data."""
MIN_KERNEL_SHARE = 0.2
"""Below this share of kernel-like lines, a ``plain`` input is not a kernel log."""
_ESCAPED = re.compile(r"\\x[0-9a-fA-F]{2}")
# "nvme nvme0: ...", "EDAC MC0: ...", "ata3.00: ...", "pci 0000:00:1c.0: ...", "Command line: ..."
_KERNEL_SHAPE = re.compile(r"^\s*[A-Za-z][\w.+/-]*(?: [\w.:+/#\[\]-]+){0,2}: \S")


def not_a_kernel_log(delta: Delta) -> str | None:
    """Why ``delta`` does not look like a kernel log, or None when it does (or is empty).

    Example:
        >>> not_a_kernel_log(parse_delta(open("/bin/ls", "rb").read()))
        'binary data (494 of 494 lines hold non-text bytes)'
    """
    if delta.format != "plain":
        return None
    sample = [line.message for line in delta.lines if line.message.strip()][:SAMPLE_LINES]
    if not sample:
        return None
    binary = sum(bool(_ESCAPED.search(m)) for m in sample)
    if binary > MAX_BINARY_SHARE * len(sample):
        return f"binary data ({binary} of {len(sample)} lines hold non-text bytes)"
    kernel = sum(_kernel_like(m) for m in sample)
    if kernel < MIN_KERNEL_SHARE * len(sample):
        return f"no log format recognised and {kernel} of {len(sample)} lines look like kernel messages"
    return None


def _kernel_like(message: str) -> bool:
    return bool(_KERNEL_SHAPE.match(message)) or is_boring(message) or classify(message) is not None
