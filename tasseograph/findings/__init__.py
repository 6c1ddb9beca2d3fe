"""Findings: one fault on one host, followed across deltas, with a lifecycle and an audit trail.

Pure logic (no SQL, no HTTP, no clock of its own: every time is passed in):

* ``identity``: what makes two sightings the same finding (:class:`FindingKey`, its id).
* ``record``: the finding (:class:`FindingRecord`), one report of it (:class:`Sighting`), one
  audit entry (:class:`FindingEvent`).
* ``lifecycle``: states and the legal moves (acknowledge, snooze, dismiss, resolve, reopen; a
  sighting opens, regresses or escalates; a snooze or a reminder wakes).
* ``resolution``: when an open finding resolves by itself (recovery line, clean re-check) and
  when it stays ``uncertain``: absence is not resolution.
* ``suppression``: operators' rules that keep matching findings from paging.
* ``notes``: operators' notes as the host's notes for the prompt.
* ``sightings``: a verdict's findings as sightings.

The runner stores them (``runner/findingstore.py``) and drives them (``runner/tracking.py``);
fleet rules raise findings through the same :class:`Sighting` (``source="fleet"``).
"""

from __future__ import annotations

from tasseograph.findings.identity import FindingKey, fingerprint, key_for
from tasseograph.findings.lifecycle import (
    MOVES,
    acknowledge,
    dismiss,
    observe,
    open_finding,
    reopen,
    resolve,
    snooze,
    wake,
)
from tasseograph.findings.notes import OperatorNote, prompt_notes
from tasseograph.findings.record import (
    DISMISS_REASONS,
    OPEN_STATES,
    STATES,
    SYSTEM_ACTOR,
    FindingEvent,
    FindingRecord,
    Sample,
    Sighting,
)
from tasseograph.findings.resolution import Check, ResolutionSettings, recheck, recovered
from tasseograph.findings.sightings import last_lines, sightings_of
from tasseograph.findings.suppression import Suppression

__all__ = [
    "DISMISS_REASONS",
    "MOVES",
    "OPEN_STATES",
    "STATES",
    "SYSTEM_ACTOR",
    "Check",
    "FindingEvent",
    "FindingKey",
    "FindingRecord",
    "OperatorNote",
    "ResolutionSettings",
    "Sample",
    "Sighting",
    "Suppression",
    "acknowledge",
    "dismiss",
    "fingerprint",
    "key_for",
    "last_lines",
    "observe",
    "open_finding",
    "prompt_notes",
    "recheck",
    "recovered",
    "reopen",
    "resolve",
    "sightings_of",
    "snooze",
    "wake",
]
