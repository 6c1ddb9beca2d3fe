"""The evidence-retention check of the benchmarks' replay: it must be able to fail."""

from __future__ import annotations

from benchmarks._replay import merge_consecutive, replay_case
from tasseograph.eval.datasets import Case

BORING = "[    1.{:06d}] usb 1-1: new high-speed USB device number {} using xhci_hcd"


def _case(text: str, evidence: tuple[str, ...], status: str = "warning") -> Case:
    return Case(id="c1", text=text, status=status, evidence=evidence, host="h1")  # type: ignore[arg-type]


def test_a_line_cut_by_truncation_is_lost_only_when_compressed() -> None:
    # 600 distinct non-signal lines: compression keeps the head and tail, the middle is cut.
    lines = [
        f"[    2.{i:06d}] mydriver: odd state {chr(65 + i % 26)}{chr(65 + i // 26 % 26)} seen at slot-{chr(97 + i % 7)}"
        for i in range(600)
    ]
    middle = lines[300]
    record = replay_case("t", _case("\n".join(lines), (middle,)))
    assert record.retained["none"] is True
    assert record.retained["compress"] is False
    assert record.retained["both"] is False


def test_a_collapsed_repeat_still_counts_as_sent() -> None:
    lines = [f"[    3.{i:06d}] mydriver: retry {i} on port 7 failed" for i in range(50)]
    record = replay_case("t", _case("\n".join(lines), (lines[37],)))
    assert record.retained["compress"] is True
    assert record.sent_tokens["compress"] < record.raw_tokens


def test_a_skipped_delta_loses_its_evidence() -> None:
    lines = [BORING.format(i, i) for i in range(5)]
    record = replay_case("t", _case("\n".join(lines), (lines[2],)))
    if record.skipped:  # only meaningful when the noise catalogue calls USB enumeration boring
        assert record.retained["prefilter"] is False
        assert record.sent_tokens["both"] == 0
    assert record.retained["none"] is True


def test_ok_cases_are_not_scored() -> None:
    record = replay_case("t", _case("[    1.000000] hello", (), status="ok"))
    assert record.retained == {}


def test_merging_keeps_the_worst_status_and_all_evidence() -> None:
    parts = [_case("a", ()), _case("b", ("b",), "critical"), _case("c", ("c",))]
    parts[0] = Case(id="ok", text="a", status="ok", host="h1")
    merged = merge_consecutive(parts, 3)
    assert len(merged) == 1
    assert merged[0].status == "critical" and merged[0].evidence == ("b", "c")
