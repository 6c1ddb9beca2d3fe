"""Suppressions: host and signal patterns, expiry, lifting, and bad patterns."""

from __future__ import annotations

import pytest

from tasseograph.errors import FindingError
from tasseograph.findings.identity import FindingKey
from tasseograph.findings.suppression import Suppression, check_pattern, matching

T0 = 1_796_600_000.0
AER = FindingKey.make("db-17", "network", "aer.corrected", device={"pci": "0000:3b:00.0"})
MODEL = FindingKey("web-3", "thermal", "model.thermal", "4be1c0a9e2f1")


def rule(host: str, signal: str, **kw: object) -> Suppression:
    return Suppression(1, host, signal, "known riser quirk", "alice", T0, **kw)


@pytest.mark.parametrize("host, signal, key, hit", [
    ("db-*", "aer.corrected", AER, True),
    ("db-*", "aer.*", AER, True),
    ("db-1?", "*", AER, True),
    ("web-*", "aer.corrected", AER, False),
    ("db-*", "edac.*", AER, False),
    ("*", "model.*", MODEL, True),
    ("*", "model.storage", MODEL, False),
    ("DB-*", "*", AER, False),  # host names are matched as written
])
def test_patterns_match_host_and_signal(host: str, signal: str, key: FindingKey, hit: bool) -> None:
    assert rule(host, signal).matches(key, now=T0) is hit


def test_a_suppression_lapses_at_its_expiry_and_when_lifted() -> None:
    timed = rule("db-*", "*", until=T0 + 3600)
    assert timed.matches(AER, now=T0 + 3599) and not timed.matches(AER, now=T0 + 3600)
    lifted = rule("db-*", "*", removed=T0 + 10, removed_by="bob")
    assert not lifted.in_force(T0 + 11)
    assert matching([lifted, timed], AER, T0 + 20) is timed
    assert matching([lifted, timed], AER, T0 + 4000) is None


@pytest.mark.parametrize("pattern", ["", "   ", "db\n-*", "x" * 201])
def test_bad_patterns_are_one_clear_error(pattern: str) -> None:
    with pytest.raises(FindingError, match="--host"):
        check_pattern("host", pattern)
    assert check_pattern("host", "  db-*  ") == "db-*"
