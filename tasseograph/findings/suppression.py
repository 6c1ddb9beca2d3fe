"""Suppressions: an operator's rule that findings matching a host pattern and a signal pattern send
no alert, with a reason, who set it, and an optional expiry. They are reversible: a suppression
hides nothing from the record (matching findings are still counted, listed and audited), it only
keeps them from paging while it is in force.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from tasseograph.errors import FindingError
from tasseograph.findings.identity import FindingKey

PATTERN_CHARS = 200


@dataclass(frozen=True)
class Suppression:
    """One suppression rule.

    Example:
        >>> rule = Suppression(1, "db-*", "aer.corrected", "known riser quirk", "alice", created=1.8e9)
        >>> rule.matches(FindingKey("db-17", "network", "aer.corrected"), now=1.8e9)
        True
    """

    id: int
    host: str
    """Shell-style pattern of host names (``db-*``)."""
    signal: str
    """Shell-style pattern of finding signals (``aer.*``, ``model.thermal``, ``*``)."""
    reason: str
    created_by: str
    created: float
    until: float | None = None
    """When it lapses by itself (None: when someone lifts it)."""
    removed: float | None = None
    removed_by: str | None = None

    def in_force(self, now: float) -> bool:
        """True when neither lifted nor lapsed at ``now``."""
        return self.removed is None and (self.until is None or now < self.until)

    def matches(self, key: FindingKey, *, now: float) -> bool:
        """True when in force and both patterns match the key."""
        return (self.in_force(now) and fnmatch.fnmatchcase(key.host, self.host)
                and fnmatch.fnmatchcase(key.signal, self.signal))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {"id": self.id, "host": self.host, "signal": self.signal, "reason": self.reason,
                "created_by": self.created_by, "created": self.created, "until": self.until,
                "removed": self.removed, "removed_by": self.removed_by}


def check_pattern(what: str, pattern: str) -> str:
    """A host or signal pattern, stripped, or a clear error for an empty or oversized one.

    Raises:
        FindingError: the pattern is empty, too long, or holds control characters.
    """
    text = pattern.strip()
    if not text:
        raise FindingError(f"--{what} needs a pattern (use '*' for every {what})")
    if len(text) > PATTERN_CHARS or any(ord(c) < 32 for c in text):
        raise FindingError(f"--{what} {pattern[:40]!r}...: a pattern is at most {PATTERN_CHARS} printable characters")
    return text


def matching(suppressions: list[Suppression], key: FindingKey, now: float) -> Suppression | None:
    """The first suppression in force that matches ``key``."""
    return next((s for s in suppressions if s.matches(key, now=now)), None)
