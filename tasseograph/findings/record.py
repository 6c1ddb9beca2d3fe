"""What a finding is: one fault on one host, followed across deltas.

A :class:`FindingRecord` keeps what an operator asks of a fault: when it was first and last
seen, how often, how bad it is now and was at worst, a few samples of its evidence, its state
and how often it came back. A :class:`Sighting` is one delta's (or one fleet rule's) report of
it; a :class:`FindingEvent` is one entry of the audit trail. Times are Unix seconds, passed in
by the caller (a replay runs on a simulated clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tasseograph.findings.identity import FindingKey
from tasseograph.schema import STATUS_RANK

FindingState = Literal["active", "acknowledged", "snoozed", "dismissed", "resolved", "regressed"]
STATES: tuple[FindingState, ...] = ("active", "regressed", "acknowledged", "snoozed", "dismissed", "resolved")
OPEN_STATES: frozenset[str] = frozenset({"active", "regressed", "acknowledged", "snoozed"})
"""States of a fault nobody has closed: it may still resolve by itself (recovery, clean re-check)."""
PAGING_STATES: frozenset[str] = frozenset({"active", "regressed"})
"""States in which a finding may page (its alert rules permitting)."""
QUIETED_STATES: frozenset[str] = frozenset({"acknowledged", "snoozed", "dismissed"})
"""States an operator put a finding in; a sighting above the severity they saw brings it back."""

DismissReason = Literal["not_a_problem", "expected", "will_fix_later"]
DISMISS_REASONS: tuple[DismissReason, ...] = ("not_a_problem", "expected", "will_fix_later")
ResolveReason = Literal["recovery", "clean_recheck", "by_hand"]
Judgement = Literal["present", "uncertain", "resolved"]
"""The last re-check of an open finding: seen in its host's latest check, absent without proof
that it cleared, or cleared (a recovery line, a clean re-check, or an operator)."""

SYSTEM_ACTOR = "tasseograph"
"""Actor of the moves the runner makes itself (a sighting, a recovery line, a snooze ending)."""
MAX_SAMPLES = 5
"""Evidence samples kept per finding: the first one and the latest ``MAX_SAMPLES - 1``."""
SAMPLE_CHARS = 1000
"""Longest evidence text kept per sample."""
SUMMARY_CHARS = 300


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis when cut)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def worse(a: str, b: str) -> str:
    """The more severe of two severities."""
    return a if STATUS_RANK[a] >= STATUS_RANK[b] else b


@dataclass(frozen=True)
class Sample:
    """One sighting's evidence, as kept on the finding."""

    at: float
    severity: str
    summary: str
    evidence: str
    ref: str = ""
    """Where the lines came from (the delta's spool file and byte range), when known."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {"at": self.at, "severity": self.severity, "summary": self.summary, "evidence": self.evidence,
                "ref": self.ref}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        """The sample ``to_dict`` wrote."""
        return cls(float(data["at"]), str(data["severity"]), str(data["summary"]), str(data["evidence"]),
                   str(data.get("ref", "")))


@dataclass(frozen=True)
class Sighting:
    """One report of a fault: a verdict's finding (grouped by key) or a fleet rule's event.

    Example:
        >>> key = FindingKey("db-17", "memory", "edac.ue", device=(("dimm", "CPU1_DIMM_B2"),))
        >>> Sighting(key, "critical", "EDAC uncorrected memory error", "EDAC MC0: 1 UE ...", at=1.8e9)
    """

    key: FindingKey
    severity: str
    summary: str
    evidence: str
    at: float
    source: str = "signal"
    """``signal``, ``llm``, ``model`` (as on ``Finding.source``) or ``fleet`` (a fleet rule)."""
    count: int = 1
    """Lines or episodes behind it in this sighting."""
    ref: str = ""
    labels: dict[str, str] = field(default_factory=dict, hash=False)
    """Extra alert labels (a fleet group's ``rack``, ``switch``...)."""
    members: tuple[str, ...] = ()
    """Hosts a fleet-wide finding spans (a correlated group's members)."""
    details: dict[str, Any] = field(default_factory=dict, hash=False)
    """What the source adds (a fleet rule's rates and forecast), as plain JSON types."""


@dataclass
class FindingRecord:
    """A finding as it stands: identity, counts, evidence samples and lifecycle state."""

    key: FindingKey
    source: str
    summary: str
    severity: str
    """The severity of its latest sighting."""
    max_severity: str
    state: FindingState
    state_since: float
    first_seen: float
    last_seen: float
    times_seen: int = 1
    """Checks (deltas) that carried it; a fleet rule's sightings count one each."""
    occurrences: int = 1
    """Lines or episodes behind it, summed over its sightings."""
    regressions: int = 0
    """Times it came back after it was resolved."""
    samples: list[Sample] = field(default_factory=list)
    quieted_severity: str | None = None
    """The severity an operator saw when acknowledging, snoozing or dismissing it."""
    snoozed_until: float | None = None
    dismiss_reason: str | None = None
    remind_at: float | None = None
    """When a ``will_fix_later`` dismissal brings it back."""
    resolved_reason: str | None = None
    judgement: Judgement = "present"
    judged_at: float = 0.0
    clean_checks: int = 0
    """Checks of its host since it was last seen that read new lines without it."""
    labels: dict[str, str] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The finding's id (stable: derived from its key)."""
        return self.key.id

    @property
    def is_open(self) -> bool:
        """True while nobody closed it and it has not cleared."""
        return self.state in OPEN_STATES

    def add_sample(self, sample: Sample) -> None:
        """Keep the first sample and the latest ones, at most ``MAX_SAMPLES``."""
        self.samples.append(sample)
        if len(self.samples) > MAX_SAMPLES:
            del self.samples[1]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (times in Unix seconds), key fields first."""
        return {
            "id": self.id, **self.key.to_dict(), "source": self.source, "summary": self.summary,
            "severity": self.severity, "max_severity": self.max_severity, "state": self.state,
            "state_since": self.state_since, "first_seen": self.first_seen, "last_seen": self.last_seen,
            "times_seen": self.times_seen, "occurrences": self.occurrences, "regressions": self.regressions,
            "judgement": self.judgement, "judged_at": self.judged_at, "clean_checks": self.clean_checks,
            "quieted_severity": self.quieted_severity, "snoozed_until": self.snoozed_until,
            "dismiss_reason": self.dismiss_reason, "remind_at": self.remind_at,
            "resolved_reason": self.resolved_reason, "labels": dict(self.labels), "members": list(self.members),
            "details": dict(self.details), "samples": [s.to_dict() for s in self.samples],
        }


Action = Literal[
    "opened", "regressed", "escalated", "acknowledged", "snoozed", "dismissed", "resolved", "reopened",
    "woke", "reminded", "suppressed", "unsuppressed", "suppression_expired",
]


@dataclass(frozen=True)
class FindingEvent:
    """One entry of the audit trail: who moved what from which state to which, and why."""

    at: float
    actor: str
    action: str
    from_state: str
    """Empty for a finding's first event."""
    to_state: str
    note: str = ""
    finding_id: str | None = None
    """None for a suppression's own events."""
    suppression_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {"at": self.at, "finding_id": self.finding_id, "suppression_id": self.suppression_id,
                "actor": self.actor, "action": self.action, "from": self.from_state, "to": self.to_state,
                "note": self.note}
