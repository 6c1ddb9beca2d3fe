"""Operators' notes on a host's findings, as the prompt's notes for that host.

What an operator writes when acknowledging, snoozing or dismissing a finding ("riser swap booked
for Friday", "expected: this port is unplugged on purpose") is knowledge about the host. While
the finding stays in that state, the note joins the host's ``[hosts]`` notes and takes the same
path to the prompt (redacted like the log for API models). Bounded: the newest
:data:`MAX_NOTES`, each cut to :data:`NOTE_CHARS`, on one line each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tasseograph.findings.record import clip

MAX_NOTES = 5
NOTE_CHARS = 240
HEADER = "Operators' notes on this host's open findings (newest first):"


@dataclass(frozen=True)
class OperatorNote:
    """The note an operator left with the move that put a finding in its current state."""

    at: float
    action: str
    """``acknowledged``, ``snoozed`` or ``dismissed``."""
    what: str
    """The finding as a list shows it (``memory edac.ue DIMM CPU1_DIMM_B2``)."""
    note: str


def prompt_notes(notes: Sequence[OperatorNote]) -> str:
    """The notes as a block for the prompt (empty when there are none), newest first."""
    picked = sorted((n for n in notes if n.note.strip()), key=lambda n: n.at, reverse=True)[:MAX_NOTES]
    if not picked:
        return ""
    lines = [HEADER]
    for n in picked:
        day = datetime.fromtimestamp(n.at, UTC).strftime("%Y-%m-%d")
        text = " ".join(n.note.split())
        lines.append(f"- {n.action} {day}, {n.what}: {clip(text, NOTE_CHARS)}")
    return "\n".join(lines)
