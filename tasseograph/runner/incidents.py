"""The runner's memory of this fleet: findings an operator confirmed, read from the state as
plain records for the incident library (``tasseograph.retrieval.confirmed``).

A finding counts when an operator acknowledged it as real or resolved it with a cause; a finding
the runner closed by itself (recovery lines, clean re-checks) or one dismissed as noise does not.
"""

from __future__ import annotations

from pydantic import ValidationError

from tasseograph.findings.record import SYSTEM_ACTOR
from tasseograph.retrieval.confirmed import MAX_CONFIRMED, ConfirmedIncident
from tasseograph.runner.findingstore import FindingStore

CONFIRMED_STATES = ("acknowledged", "resolved")


def confirmed_records(store: FindingStore, limit: int = MAX_CONFIRMED) -> list[ConfirmedIncident]:
    """The newest ``limit`` findings an operator confirmed, with their evidence and the operator's note."""
    out: list[ConfirmedIncident] = []
    for record in store.query(states=CONFIRMED_STATES):
        moves = [e for e, _ in store.events(finding_id=record.id)
                 if e.to_state == record.state and e.actor != SYSTEM_ACTOR and e.at >= record.state_since]
        if not moves:
            continue  # closed by the runner itself: nobody confirmed it
        lines = [line for s in record.samples for line in s.evidence.splitlines() if line.strip()]
        note = moves[-1].note or (record.resolved_reason or "")
        try:
            out.append(ConfirmedIncident(host=record.key.host, lines=lines or [record.summary],
                                         category=record.key.category, severity=record.max_severity,
                                         note=note, summary=record.summary, id=record.id, at=moves[-1].at))
        except ValidationError:
            continue  # a fleet-wide or odd finding the prompt's contract cannot show
        if len(out) == limit:
            break
    return out
