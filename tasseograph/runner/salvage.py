"""What of a spool chunk is log text: junk lines set apart, signal lines never lost.

A spool file may hold binary garbage (a crashed writer, a mis-pointed ``cp``, console noise
full of control bytes) next to the lines that matter. The chunk is judged line by line:

* a line that is text (control and undecodable bytes under ``JUNK_SHARE`` of it) is kept as
  it is; invalid UTF-8 in it is shown as ``\\xNN`` later, when the delta is decoded;
* a junk line is searched for runs of text; any run the signal catalogue matches is kept as a
  line of its own (an ``EDAC ... UE`` line glued to 3 KB of garbage still alerts);
* the rest of a junk line is dropped from the delta, and the caller keeps the whole raw chunk
  in the quarantine folder, so nothing is lost, only set apart.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tasseograph.parsing.decoding import visible
from tasseograph.signals import classify

JUNK_SHARE = 0.3
"""Share of control and undecodable bytes from which a line is junk rather than text."""
MIN_RUN = 8
"""Shortest run of text inside a junk line that is checked for a signal."""
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13, 27)) + b"\x7f"
# Text runs inside a decoded junk line: anything but C0/C1 controls and the replacement character.
_RUN = re.compile("[^\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]{" + str(MIN_RUN) + ",}")


@dataclass(frozen=True)
class Salvage:
    """A chunk split into the text to queue and what was set apart."""

    text: bytes
    """The text lines (and signal runs rescued from junk lines), each ending in a newline."""
    junk_lines: int = 0
    junk_bytes: int = 0
    rescued: int = 0
    """Signal lines cut out of junk lines."""


def junk_share(data: bytes) -> float:
    """Share of ``data``'s bytes that are control bytes (not tab, newline, CR, ESC) or not UTF-8."""
    if not data:
        return 0.0
    controls = len(data) - len(data.translate(None, _CONTROL))
    invalid = data.decode("utf-8", "replace").count("\ufffd")
    return (controls + invalid) / len(data)


def salvage(data: bytes) -> Salvage:
    """Split a chunk (whole lines; NUL padding already removed) into text and junk.

    Example:
        >>> salvage(b"\\x8f\\x01\\x02\\x03\\x04junk\\nEDAC MC0: 1 UE memory read error on DIMM0\\n").text
        b'EDAC MC0: 1 UE memory read error on DIMM0\\n'
    """
    if junk_share(data) == 0.0:
        return Salvage(data)  # ordinary text: no line-level work
    kept: list[bytes] = []
    junk_lines = junk_bytes = rescued = 0
    for line in data.split(b"\n"):
        if not line:
            continue
        if junk_share(line) < JUNK_SHARE:
            kept.append(line + b"\n")
            continue
        runs = signal_runs(line)
        rescued += len(runs)
        kept.extend(run.encode("utf-8") + b"\n" for run in runs)
        junk_lines += 1
        junk_bytes += len(line) + 1
    return Salvage(b"".join(kept), junk_lines, junk_bytes, rescued)


def signal_runs(line: bytes) -> list[str]:
    """The runs of text in a junk line that the signal catalogue matches."""
    text = line.decode("utf-8", "replace")
    return [run.strip() for run in _RUN.findall(text) if classify(visible(run)) is not None]


def quarantine(folder: Path, host: str, name: str, start: int, data: bytes) -> Path:
    """Keep a chunk's raw bytes as ``folder/<host>/<name>@<start>`` (written atomically, 0600).

    The name is fixed by the chunk's place in its file, so a scan repeated after a crash
    rewrites the same file rather than adding another.

    Raises:
        OSError: the folder cannot be created or written.
    """
    target = folder / host / f"{name}@{start}"
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = target.with_name(f".{target.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)
    return target
