"""The states of a finding and the moves between them.

::

    (first sighting) ─▶ active ─ack─▶ acknowledged          snoozed ─(until passes)─▶ active
                          │  ▲                              dismissed ─(will_fix_later reminder)─▶ active
                          ▼  │ reopen
                        resolved ─(seen again)─▶ regressed (regressions + 1)

* Operators: ``acknowledge`` (who, note), ``snooze`` (until a time), ``dismiss`` (``not_a_problem``,
  ``expected``, or ``will_fix_later`` with a reminder date that brings it back), ``resolve`` (by
  hand) and ``reopen``. :data:`MOVES` lists the states each may start from; any other start is an
  :class:`~tasseograph.errors.IllegalMoveError` whose message says what would work.
* The runner: a sighting opens a finding, or brings a resolved one back as ``regressed``; a
  sighting at a severity above the one an operator acknowledged, snoozed or dismissed brings it
  back to ``active`` (an acknowledged warning that turns critical pages again); a snooze that
  ends or a reminder that falls due makes it ``active``; resolution rules
  (``findings.resolution``) resolve it.

Every move returns the :class:`FindingEvent` that records it. Functions change the record in
place; the caller stores record and events together.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tasseograph.errors import FindingError, IllegalMoveError
from tasseograph.findings.record import (
    DISMISS_REASONS,
    QUIETED_STATES,
    SAMPLE_CHARS,
    SUMMARY_CHARS,
    SYSTEM_ACTOR,
    FindingEvent,
    FindingRecord,
    FindingState,
    Sample,
    Sighting,
    clip,
    worse,
)
from tasseograph.schema import STATUS_RANK

MOVES: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({"active", "regressed", "acknowledged"}),
    "snooze": frozenset({"active", "regressed", "acknowledged", "snoozed"}),
    "dismiss": frozenset({"active", "regressed", "acknowledged", "snoozed", "dismissed"}),
    "resolve": frozenset({"active", "regressed", "acknowledged", "snoozed"}),
    "reopen": frozenset({"acknowledged", "snoozed", "dismissed", "resolved"}),
}
"""Operator moves and the states each may start from."""
NOTE_CHARS = 1000
"""Longest operator note kept."""


def stamp(ts: float) -> str:
    """``2026-12-07T12:40:05Z``: a Unix time as the CLI and notes show it."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_finding(sighting: Sighting) -> tuple[FindingRecord, list[FindingEvent]]:
    """A new finding from its first sighting, and its ``opened`` event."""
    s = sighting
    record = FindingRecord(
        key=s.key, source=s.source, summary=clip(s.summary, SUMMARY_CHARS), severity=s.severity,
        max_severity=s.severity, state="active", state_since=s.at, first_seen=s.at, last_seen=s.at,
        times_seen=1, occurrences=max(1, s.count), judged_at=s.at, labels=dict(s.labels),
        members=list(s.members), details=dict(s.details),
    )
    record.add_sample(_sample(s))
    event = FindingEvent(s.at, SYSTEM_ACTOR, "opened", "", "active", f"{s.severity}: {record.summary}", record.id)
    return record, [event]


def observe(record: FindingRecord, sighting: Sighting) -> list[FindingEvent]:
    """Count one more sighting of a known finding; the moves it causes (regressed, escalated)."""
    s = sighting
    record.times_seen += 1
    record.occurrences += max(1, s.count)
    record.first_seen = min(record.first_seen, s.at)
    record.last_seen = max(record.last_seen, s.at)
    record.severity = s.severity
    record.max_severity = worse(record.max_severity, s.severity)
    record.summary, record.source = clip(s.summary, SUMMARY_CHARS), s.source
    # A group's labels are what its members share now (a group that grew to a whole rack no longer
    # shares one switch); other sources only add labels.
    record.labels = dict(s.labels) if s.members else {**record.labels, **s.labels}
    record.members = sorted(set(record.members) | set(s.members))
    record.details.update(s.details)
    record.add_sample(_sample(s))
    record.judgement, record.judged_at, record.clean_checks = "present", s.at, 0
    if record.state == "resolved":
        record.regressions += 1
        _clear(record)
        return [_move(record, "regressed", "regressed", SYSTEM_ACTOR, f"seen again ({s.severity}): {record.summary}",
                      s.at)]
    quieted = record.quieted_severity or s.severity
    if record.state in QUIETED_STATES and STATUS_RANK[s.severity] > STATUS_RANK[quieted]:
        note = f"severity rose from {quieted} to {s.severity} while {record.state}"
        _clear(record)
        return [_move(record, "active", "escalated", SYSTEM_ACTOR, note, s.at)]
    return []


def acknowledge(record: FindingRecord, *, by: str, note: str, now: float) -> FindingEvent:
    """An operator owns it: it stops paging until its severity rises."""
    _allowed(record, "acknowledge")
    _quiet(record)
    return _move(record, "acknowledged", "acknowledged", by, note, now)


def snooze(record: FindingRecord, *, until: float, by: str, note: str = "", now: float) -> FindingEvent:
    """Quiet until ``until``; then it is active again.

    Raises:
        IllegalMoveError: its state does not allow it.
        FindingError: ``until`` is not in the future.
    """
    _allowed(record, "snooze")
    if until <= now:
        raise FindingError(f"cannot snooze finding {record.id} until {stamp(until)}: that is not in the future")
    _quiet(record)
    record.snoozed_until = until
    return _move(record, "snoozed", "snoozed", by, _join(f"until {stamp(until)}", note), now)


def dismiss(record: FindingRecord, *, reason: str, by: str, note: str = "", now: float,
            remind_at: float | None = None) -> FindingEvent:
    """Not a fault to act on: ``not_a_problem``, ``expected``, or ``will_fix_later`` (with ``remind_at``).

    Raises:
        IllegalMoveError: its state does not allow it.
        FindingError: an unknown reason, or a reminder that is missing, misplaced or in the past.
    """
    _allowed(record, "dismiss")
    if reason not in DISMISS_REASONS:
        raise FindingError(f"unknown dismissal reason {reason!r}: use one of {', '.join(DISMISS_REASONS)}")
    if (reason == "will_fix_later") != (remind_at is not None):
        raise FindingError("a reminder date goes with --reason will_fix_later, and only with it")
    if remind_at is not None and remind_at <= now:
        raise FindingError(f"the reminder {stamp(remind_at)} is not in the future")
    _quiet(record)
    record.dismiss_reason, record.remind_at = reason, remind_at
    detail = reason + (f", reminder {stamp(remind_at)}" if remind_at is not None else "")
    return _move(record, "dismissed", "dismissed", by, _join(detail, note), now)


def resolve(record: FindingRecord, *, reason: str, by: str, note: str = "", now: float) -> FindingEvent:
    """It is fixed (``recovery``, ``clean_recheck`` or ``by_hand``); a later sighting is a regression."""
    _allowed(record, "resolve")
    _clear(record)
    record.resolved_reason = reason
    record.judgement, record.judged_at = "resolved", now
    return _move(record, "resolved", "resolved", by, _join(reason, note), now)


def reopen(record: FindingRecord, *, by: str, note: str = "", now: float) -> FindingEvent:
    """Back to open: ``regressed`` (regression count + 1) from resolved, else ``active``."""
    _allowed(record, "reopen")
    was_resolved = record.state == "resolved"
    _clear(record)
    if was_resolved:
        record.regressions += 1
        return _move(record, "regressed", "reopened", by, note, now)
    return _move(record, "active", "reopened", by, note, now)


def wake(record: FindingRecord, now: float) -> FindingEvent | None:
    """Make it active when its snooze ended or its ``will_fix_later`` reminder fell due."""
    if record.state == "snoozed" and record.snoozed_until is not None and record.snoozed_until <= now:
        until = record.snoozed_until
        _clear(record)
        return _move(record, "active", "woke", SYSTEM_ACTOR, f"snooze ended {stamp(until)}", now)
    if record.state == "dismissed" and record.remind_at is not None and record.remind_at <= now:
        _clear(record)
        return _move(record, "active", "reminded", SYSTEM_ACTOR, "reminder: dismissed as will_fix_later", now)
    return None


def _allowed(record: FindingRecord, move: str) -> None:
    if record.state in MOVES[move]:
        return
    if record.state == "resolved":
        hint = f"it is resolved ({record.resolved_reason}); `tasseograph findings reopen {record.id}` if it is not fixed"
    elif record.state == "dismissed":
        hint = f"it is dismissed ({record.dismiss_reason}); `tasseograph findings reopen {record.id}` first"
    else:
        hint = f"it is already {record.state}"
    raise IllegalMoveError(f"cannot {move} finding {record.id}: {hint}", finding_id=record.id,
                           state=record.state, move=move)


def _move(record: FindingRecord, to: FindingState, action: str, actor: str, note: str, at: float) -> FindingEvent:
    event = FindingEvent(at, actor, action, record.state, to, clip(note, NOTE_CHARS), record.id)
    record.state, record.state_since = to, at
    return event


def _quiet(record: FindingRecord) -> None:
    _clear(record)
    record.quieted_severity = record.severity


def _clear(record: FindingRecord) -> None:
    record.quieted_severity = record.snoozed_until = record.remind_at = None
    record.dismiss_reason = record.resolved_reason = None


def _join(detail: str, note: str) -> str:
    return f"{detail}: {note}" if note else detail


def _sample(s: Sighting) -> Sample:
    return Sample(s.at, s.severity, clip(s.summary, SUMMARY_CHARS), clip(s.evidence, SAMPLE_CHARS), s.ref)
