"""States and moves: what each move does, which starts are illegal, and what sightings cause."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tasseograph.errors import FindingError, IllegalMoveError
from tasseograph.findings import lifecycle
from tasseograph.findings.identity import FindingKey
from tasseograph.findings.record import MAX_SAMPLES, STATES, FindingRecord, Sighting

T0 = 1_796_600_000.0
KEY = FindingKey.make("db-17", "memory", "edac.ce", device={"dimm": "CPU1_DIMM_B2"})


def seen(at: float, severity: str = "warning", n: int = 1) -> Sighting:
    line = f"[ {at - T0 + 100:.6f}] EDAC MC0: {n} CE memory read error on CPU1_DIMM_B2 (channel:1 slot:0 page:0x{int(at):x})"
    return Sighting(KEY, severity, f"EDAC corrected memory error ({n}x)", line, at, count=n, ref=f"db-17/{int(at)}.log")


def opened(at: float = T0) -> FindingRecord:
    record, events = lifecycle.open_finding(seen(at))
    assert [(e.action, e.from_state, e.to_state) for e in events] == [("opened", "", "active")]
    return record


def in_state(state: str) -> FindingRecord:
    """A finding brought to ``state`` by the moves an operator or the runner would make."""
    record = opened()
    now = T0 + 60
    if state == "acknowledged":
        lifecycle.acknowledge(record, by="alice", note="on it", now=now)
    elif state == "snoozed":
        lifecycle.snooze(record, until=now + 3600, by="alice", now=now)
    elif state == "dismissed":
        lifecycle.dismiss(record, reason="expected", by="alice", now=now)
    elif state == "resolved":
        lifecycle.resolve(record, reason="by_hand", by="alice", now=now)
    elif state == "regressed":
        lifecycle.resolve(record, reason="by_hand", by="alice", now=now)
        lifecycle.observe(record, seen(now + 60))
    assert record.state == state
    return record


MOVES: dict[str, Callable[[FindingRecord], Any]] = {
    "acknowledge": lambda r: lifecycle.acknowledge(r, by="bob", note="swap booked", now=T0 + 600),
    "snooze": lambda r: lifecycle.snooze(r, until=T0 + 7200, by="bob", now=T0 + 600),
    "dismiss": lambda r: lifecycle.dismiss(r, reason="not_a_problem", by="bob", now=T0 + 600),
    "resolve": lambda r: lifecycle.resolve(r, reason="by_hand", by="bob", now=T0 + 600),
    "reopen": lambda r: lifecycle.reopen(r, by="bob", now=T0 + 600),
}


@pytest.mark.parametrize("move", sorted(MOVES))
@pytest.mark.parametrize("state", STATES)
def test_every_move_from_every_state_is_done_or_refused_with_a_next_step(move: str, state: str) -> None:
    record = in_state(state)
    if state in lifecycle.MOVES[move]:
        event = MOVES[move](record)
        assert (event.from_state, event.to_state, event.actor) == (state, record.state, "bob")
        assert event.finding_id == record.id and record.state_since == T0 + 600
        return
    with pytest.raises(IllegalMoveError) as caught:
        MOVES[move](record)
    message = str(caught.value)
    assert message.startswith(f"cannot {move} finding {record.id}: it is ") and "\n" not in message
    assert record.state == state  # nothing changed
    if state in ("resolved", "dismissed"):
        assert f"tasseograph findings reopen {record.id}" in message


def test_sightings_count_and_keep_a_bounded_sample_of_evidence() -> None:
    record = opened()
    for i in range(1, 12):
        assert lifecycle.observe(record, seen(T0 + 300 * i, n=2)) == []
    assert (record.times_seen, record.occurrences, record.state) == (12, 23, "active")
    assert (record.first_seen, record.last_seen) == (T0, T0 + 3300)
    assert len(record.samples) == MAX_SAMPLES
    assert record.samples[0].at == T0 and [s.at for s in record.samples[1:]] == [T0 + 300 * i for i in range(8, 12)]


def test_an_acknowledged_finding_comes_back_only_when_its_severity_rises() -> None:
    record = opened()
    lifecycle.acknowledge(record, by="alice", note="watching it", now=T0 + 10)
    assert lifecycle.observe(record, seen(T0 + 20)) == []
    assert record.state == "acknowledged" and record.times_seen == 2
    (event,) = lifecycle.observe(record, seen(T0 + 30, severity="critical"))
    assert (event.action, event.from_state, event.to_state) == ("escalated", "acknowledged", "active")
    assert "from warning to critical" in event.note
    assert record.max_severity == "critical" and record.quieted_severity is None


def test_a_resolved_finding_seen_again_regresses_and_counts_it() -> None:
    record = opened()
    lifecycle.resolve(record, reason="recovery", by="tasseograph", now=T0 + 10)
    assert record.judgement == "resolved" and record.resolved_reason == "recovery"
    (event,) = lifecycle.observe(record, seen(T0 + 20))
    assert (event.action, record.state, record.regressions, record.resolved_reason) == (
        "regressed", "regressed", 1, None)
    lifecycle.resolve(record, reason="by_hand", by="alice", now=T0 + 30)
    event = lifecycle.reopen(record, by="alice", note="still failing", now=T0 + 40)
    assert (event.action, record.state, record.regressions) == ("reopened", "regressed", 2)


def test_a_snooze_must_end_in_the_future_and_wakes_when_it_does() -> None:
    record = opened()
    with pytest.raises(FindingError, match="not in the future"):
        lifecycle.snooze(record, until=T0 - 1, by="alice", now=T0)
    lifecycle.snooze(record, until=T0 + 3600, by="alice", note="maintenance window", now=T0)
    assert lifecycle.wake(record, T0 + 3599) is None and record.state == "snoozed"
    event = lifecycle.wake(record, T0 + 3600)
    assert event is not None and (event.action, event.to_state, event.actor) == ("woke", "active", "tasseograph")
    assert record.snoozed_until is None


def test_will_fix_later_needs_a_reminder_that_brings_it_back() -> None:
    record = opened()
    with pytest.raises(FindingError, match="will_fix_later"):
        lifecycle.dismiss(record, reason="will_fix_later", by="alice", now=T0)
    with pytest.raises(FindingError, match="will_fix_later"):
        lifecycle.dismiss(record, reason="expected", by="alice", now=T0, remind_at=T0 + 60)
    with pytest.raises(FindingError, match="unknown dismissal reason"):
        lifecycle.dismiss(record, reason="meh", by="alice", now=T0)
    event = lifecycle.dismiss(record, reason="will_fix_later", by="alice", note="next maintenance",
                              now=T0, remind_at=T0 + 86400)
    assert "reminder" in event.note and "next maintenance" in event.note
    assert lifecycle.wake(record, T0 + 86399) is None
    woke = lifecycle.wake(record, T0 + 86400)
    assert woke is not None and woke.action == "reminded" and record.state == "active"
    assert record.dismiss_reason is None and record.remind_at is None


def test_an_expected_dismissal_stays_dismissed_whatever_is_seen_at_its_severity() -> None:
    record = opened()
    lifecycle.dismiss(record, reason="expected", by="alice", note="port unplugged on purpose", now=T0)
    for i in range(5):
        assert lifecycle.observe(record, seen(T0 + 100 * (i + 1))) == []
    assert lifecycle.wake(record, T0 + 10**7) is None
    assert (record.state, record.times_seen) == ("dismissed", 6)
