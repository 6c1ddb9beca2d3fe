"""Evidence mapping: the model's quotes back to the delta's raw lines."""

from __future__ import annotations

import json
import time

import pytest

from tasseograph.compress import compress
from tasseograph.evidence import evidence_is_valid, resolve_evidence
from tasseograph.parsing import parse_delta
from tasseograph.redact import Redactor
from tasseograph.schema import Delta, KernelLine

RAW = [
    "[   12.300000] nvme nvme0: I/O 12 QID 5 timeout, aborting",
    "[   13.000000] e1000e eth0: NIC Link is Down",
    "[   50.100000] nvme nvme0: I/O 99 QID 2 timeout, aborting",
    "[   98.100000] nvme nvme0: I/O 7 QID 1 timeout, aborting",
    "[   99.000000] IPv4: martian source 10.0.0.7 from 10.0.0.9, on dev eth0",
]


def make_delta(raw: list[str] = RAW) -> Delta:
    lines = []
    for i, r in enumerate(raw):
        stamp, _, msg = r.partition("] ")
        lines.append(KernelLine(lineno=i + 1, raw=r, message=msg, monotonic=float(stamp.strip("[ "))))
    return Delta(host="web-01", lines=lines)


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        (RAW[1], [RAW[1]]),  # the raw line itself
        ("e1000e eth0: NIC Link is Down", [RAW[1]]),  # without timestamp
        ("[13.0] e1000e eth0: NIC Link is Down", [RAW[1]]),  # timestamp reformatted
        ('"e1000e eth0: NIC Link is Down"', [RAW[1]]),  # wrapped in quotes
        ("e1000e  eth0:   NIC Link is Down", [RAW[1]]),  # spacing squeezed/widened
        ("nvme nvme0: I/O 99 QID 2 timeout, abor...", [RAW[2]]),  # truncated
        ("martian source 10.0.0.7 ... on dev eth0", [RAW[4]]),  # elided in the middle
        ("nvme nvme0: I/O 12 QID 5 timeout, aborting  [x3 similar, 12.3s..98.1s]", [RAW[0], RAW[3]]),  # collapsed
        ("nvme nvme0: I/O 5 QID 9 timeout, aborting", [RAW[0]]),  # numbers differ: template match
        ("e1000e eth0: NIC Link is Down\nnvme nvme0: I/O 7 QID 1 timeout, aborting", [RAW[1], RAW[3]]),  # joined
        ("e1000e eth0: NIC Link is Down\n[... 3 lines omitted ...]", [RAW[1]]),  # our marker dropped
        ("e1000e eth0: NIC Link is Down  [new to the fleet]", [RAW[1]]),  # novelty tag (tasseograph.novelty)
        ("nvme nvme0: I/O 12 QID 5 timeout, aborting  [x3 similar, 12.3s..98.1s]  [new to this host]",
         [RAW[0], RAW[3]]),  # collapsed and tagged
    ],
)
def test_quotes_map_to_raw_lines(quote: str, expected: list[str]) -> None:
    d = make_delta()
    resolved = resolve_evidence(quote, d)
    assert resolved == "\n".join(expected)
    assert evidence_is_valid(resolved, d)


def test_unmatched_text_is_kept_and_reported_invalid() -> None:
    d = make_delta()
    resolved = resolve_evidence("disk on fire\ne1000e eth0: NIC Link is Down", d)
    assert resolved == f"disk on fire\n{RAW[1]}"
    assert not evidence_is_valid(resolved, d)


def test_redacted_quote_restored_then_resolved() -> None:
    d = make_delta()
    redactor = Redactor(hosts=["web-01"])
    shown = [redactor.redact(line) for line in compress(d).lines]
    quote = next(line for line in shown if "martian" in line)
    assert "<IP-1>" in quote
    assert resolve_evidence(redactor.restore(quote), d) == RAW[4]


def test_evidence_is_valid_accepts_parts_and_empty() -> None:
    d = make_delta()
    assert evidence_is_valid("NIC Link is Down", d)
    assert evidence_is_valid("", d)
    assert not evidence_is_valid("NIC Link is Up", d)


def test_dev_set_evidence_is_valid(shared) -> None:  # type: ignore[no-untyped-def]
    for raw in (shared / "datasets/dmesg-real/dev.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(raw)
        d = parse_delta(case["text"])
        for line in case["evidence"]:
            assert evidence_is_valid(line, d)
            assert line.strip() in resolve_evidence(line, d)


def test_fast_on_large_deltas() -> None:
    raw = [f"[{i:12.6f}] sd 0:0:{i % 8}:0: [sd{chr(97 + i % 8)}] routine message {i}" for i in range(20_000)]
    raw[-1] = "[ 99999.000000] EDAC MC0: 1 UE memory read error on DIMM_A1"
    d = make_delta(raw)
    started = time.perf_counter()
    for _ in range(10):
        assert resolve_evidence("EDAC MC0: 1 UE memory read error on DIMM_A1", d) == raw[-1]
    assert time.perf_counter() - started < 2.0
