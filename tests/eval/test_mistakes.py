"""Evidence lines in the mistakes list are bounded, single-line and free of control characters."""

from __future__ import annotations

from tasseograph.eval.mistakes import MAX_EVIDENCE_CHARS, clip


def test_gigantic_line_is_clipped() -> None:
    line = "[ 1.000000] nvme nvme0: " + "A" * 1_000_000
    out = clip(line)
    assert len(out) == MAX_EVIDENCE_CHARS and out.endswith("…") and out.startswith("[ 1.000000] nvme nvme0: ")


def test_only_the_first_line_and_no_control_characters() -> None:
    assert clip("  [ 2.0] ata3.00: failed command: READ FPDMA QUEUED\x1b[31m\x00\n[ 2.1] second") == \
        "[ 2.0] ata3.00: failed command: READ FPDMA QUEUED?[31m?"
    assert clip("") == "" and clip("\n\n") == ""
