"""Operators' notes as the host's prompt notes: newest first, bounded, one line each."""

from __future__ import annotations

from tasseograph.findings.notes import HEADER, MAX_NOTES, NOTE_CHARS, OperatorNote, prompt_notes

T0 = 1_796_600_000.0


def test_notes_are_newest_first_bounded_and_one_line_each() -> None:
    notes = [OperatorNote(T0 + i * 3600, "acknowledged", f"memory edac.ce DIMM B{i}", f"note {i}\nsecond line")
             for i in range(MAX_NOTES + 3)]
    notes.append(OperatorNote(T0 + 10**6, "dismissed", "network net.link_down NIC eth3", "expected: " + "x" * 900))
    notes.append(OperatorNote(T0 + 2 * 10**6, "snoozed", "thermal thermal.throttle", "   "))
    text = prompt_notes(notes)
    lines = text.splitlines()
    assert lines[0] == HEADER and len(lines) == MAX_NOTES + 1
    assert lines[1].startswith("- dismissed 2026-") and lines[1].endswith("...")
    assert len(lines[1].split(": ", 1)[1]) == NOTE_CHARS
    assert lines[2].endswith(f"DIMM B{MAX_NOTES + 2}: note {MAX_NOTES + 2} second line")
    assert all("\n" not in line for line in lines)


def test_no_notes_no_block() -> None:
    assert prompt_notes([]) == ""
    assert prompt_notes([OperatorNote(T0, "acknowledged", "memory edac.ue", "")]) == ""
