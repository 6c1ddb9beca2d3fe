"""STUB (to be replaced by the compression work): map quoted evidence back to real lines."""

from __future__ import annotations

from tasseograph.schema import Delta


def resolve_evidence(evidence: str, delta: Delta) -> str:
    """Return the delta's raw line(s) that ``evidence`` quotes (best effort)."""
    return evidence


def evidence_is_valid(evidence: str, delta: Delta) -> bool:
    """True when every line of ``evidence`` is a line (or a verbatim part of one) of the delta."""
    raw = {line.raw for line in delta.lines}
    return all(e in raw for e in evidence.splitlines() if e.strip())
