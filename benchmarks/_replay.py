"""Replay labelled per-host deltas through the local half of ``analyze`` (no model call).

For every delta: parse, signals, pre-filter decision, compression (on and off), the tokens
that would be sent, and whether the evidence of a non-ok case still reaches the model (or is
caught by a signal) under each pipeline setting. The token reduction and cost benchmarks both
read these records, so their figures come from one code path: the pipeline's own functions
(``Delta.from_text``, ``signals.detect``, ``pipeline.prefilter_reason``, ``compress.compress``).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tasseograph.compress import compress, estimate_tokens
from tasseograph.eval.datasets import Case, load_dataset
from tasseograph.pipeline import Options, prefilter_reason
from tasseograph.schema import Delta, KernelLine
from tasseograph.signals import SignalHit, detect

PipelineKey = Literal["none", "prefilter", "compress", "both"]
PIPELINES: tuple[PipelineKey, ...] = ("none", "prefilter", "compress", "both")
MAX_LINES = Options().max_lines
"""The pipeline's default line budget after compression (truncation is part of what is measured)."""
PLAN_DELTA_BYTES = 3_000
"""The plan's average delta; whole boot logs are cut into deltas of about this size."""
_ANNOTATION = re.compile(r"\s+\[x\d+ similar[^\]]*\]$")


@dataclass
class DeltaRecord:
    """What the local pipeline did with one delta."""

    dataset: str
    case_id: str
    status: str
    lines: int
    raw_tokens: int
    """Estimated tokens of the delta as received (characters / 4)."""
    skipped: bool
    has_signal: bool
    sent_tokens: dict[str, int]
    """Estimated delta tokens sent to the model, per pipeline setting (0 when skipped)."""
    retained: dict[str, bool] = field(default_factory=dict)
    """Per pipeline setting, for non-ok cases: every evidence line reached the model or a signal."""
    evidence_unmatched: int = 0
    """Evidence lines not found among the parsed lines (a parsing problem, counted as lost)."""


def load_cases(path: Path, *, tiny: bool) -> list[Case]:
    """A dataset's cases as per-host deltas (boot logs cut into ~3 KB deltas)."""
    chunk = _plan_chunk_lines(path) if path.is_dir() and (path / "index.jsonl").exists() else 0
    cases = load_dataset(path, chunk_lines=chunk).cases
    return cases[:40] if tiny else cases


def _plan_chunk_lines(folder: Path) -> int:
    """Lines per delta so that a boot log's deltas average the plan's 3 KB."""
    sizes = [(len(f.read_bytes()), f.read_bytes().count(b"\n") + 1) for f in folder.glob("*.log")]
    mean_line = sum(b for b, _ in sizes) / sum(n for _, n in sizes)
    return max(1, round(PLAN_DELTA_BYTES / mean_line))


def merge_consecutive(cases: Sequence[Case], multiple: int) -> list[Case]:
    """Deltas of ``multiple`` x the interval: each run of ``multiple`` consecutive deltas joined.

    Consecutive deltas of a dataset are the same host's next intervals where the data has host
    streams (Loghub windows ordered by time, boot-log chunks in order); for case collections
    the next case stands in for the next interval. The joined delta is non-ok when any part is.
    """
    if multiple == 1:
        return list(cases)
    merged = []
    for i in range(0, len(cases), multiple):
        part = cases[i : i + multiple]
        worst = next((c.status for c in part if c.status == "critical"), None) or next(
            (c.status for c in part if c.status != "ok"), "ok"
        )
        merged.append(
            Case(
                id="+".join(c.id for c in part),
                text="\n".join(c.text for c in part),
                status=worst,
                evidence=tuple(e for c in part for e in c.evidence),
                host=part[0].host,
                group=part[0].group,
            )
        )
    return merged


def replay(dataset: str, cases: Iterable[Case]) -> list[DeltaRecord]:
    """Run every case through the local pipeline and record what it sent and kept."""
    return [replay_case(dataset, case) for case in cases]


def replay_case(dataset: str, case: Case) -> DeltaRecord:
    """One delta through parse, signals, pre-filter and compression (both on and off)."""
    delta = Delta.from_text(case.text, host=case.host)
    hits = detect(delta.lines)
    skipped = prefilter_reason(delta, hits) is not None
    packed_on = compress(delta, hits, max_lines=MAX_LINES, enabled=True)
    packed_off = compress(delta, hits, max_lines=MAX_LINES, enabled=False)
    raw_tokens = estimate_tokens(case.text)
    on = packed_on.stats.tokens_after
    record = DeltaRecord(
        dataset=dataset,
        case_id=case.id,
        status=case.status,
        lines=len(delta.lines),
        raw_tokens=raw_tokens,
        skipped=skipped,
        has_signal=bool(hits),
        sent_tokens={
            "none": raw_tokens,
            "compress": on,
            "prefilter": 0 if skipped else raw_tokens,
            "both": 0 if skipped else on,
        },
    )
    if case.status != "ok" and case.evidence:
        _score_evidence(record, case, delta, hits, packed_on.lines, packed_off.lines)
    return record


def _score_evidence(
    record: DeltaRecord, case: Case, delta: Delta, hits: Sequence[SignalHit], on: list[str], off: list[str]
) -> None:
    caught = {i for hit in hits for i in hit.line_indices}
    sent_on = _sent_forms(on)
    sent_off = set(off)
    keep_on = keep_off = True
    for evidence in case.evidence:
        index = _find_line(delta.lines, evidence)
        if index is None:
            record.evidence_unmatched += 1
            keep_on = keep_off = False
            continue
        if index in caught:
            continue
        line = delta.lines[index]
        keep_off = keep_off and line.raw in sent_off
        keep_on = keep_on and _reaches(line, sent_on)
    record.retained = {
        "none": keep_off,
        "compress": keep_on,
        "prefilter": keep_off and not record.skipped,
        "both": keep_on and not record.skipped,
    }


def _find_line(lines: Sequence[KernelLine], evidence: str) -> int | None:
    """Index of the parsed line an evidence string quotes (whole line, or a line of a record)."""
    wanted = evidence.strip()
    for i, line in enumerate(lines):
        if line.raw.strip() == wanted or wanted in (part.strip() for part in line.raw.splitlines()):
            return i
    return None


def _sent_forms(sent: list[str]) -> set[str]:
    """Prompt lines, and their templates, with any repeat annotation removed."""
    from tasseograph.compress import template

    bare = {_ANNOTATION.sub("", s) for s in sent}
    return bare | {template(s) for s in bare}


def _reaches(line: KernelLine, sent: set[str]) -> bool:
    """True when the line's message, or its template (a collapsed repeat), is in the prompt."""
    from tasseograph.compress import message_text, template

    message = message_text(line)
    return message in sent or template(message) in sent


# --- aggregates -------------------------------------------------------------------------------


def skip_share(records: Sequence[DeltaRecord]) -> float:
    """Share of deltas the pre-filter answers without a model call."""
    return sum(r.skipped for r in records) / len(records) if records else 0.0


def sent_ratio(records: Sequence[DeltaRecord], pipeline: str) -> float:
    """Tokens sent / raw tokens over all deltas (skipped ones send nothing)."""
    raw = sum(r.raw_tokens for r in records)
    return sum(r.sent_tokens[pipeline] for r in records) / raw if raw else 1.0


def retention(records: Sequence[DeltaRecord], pipeline: str) -> float | None:
    """Share of non-ok cases with evidence whose evidence all reached the model or a signal."""
    scored = [r for r in records if r.retained]
    return sum(r.retained[pipeline] for r in scored) / len(scored) if scored else None


def median(values: Sequence[float]) -> float:
    """Median, 0 for no values."""
    return float(statistics.median(values)) if values else 0.0
