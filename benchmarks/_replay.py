"""Replay labelled per-host deltas through the local half of ``analyze`` (no model call).

For every delta: parse, signals, pre-filter decision, compression (on and off), the tokens
that would be sent, and whether the evidence of a non-ok case still reaches the model (or is
caught by a signal) under each pipeline setting. The token reduction and cost benchmarks both
read these records, so their figures come from one code path: the pipeline's own functions
(``parse_delta``, ``signals.detect``, ``stages.prefilter_reason``, ``compress.compress``).

With ``baseline`` settings, each host stream is also replayed in time order through a per-host
``tasseograph.HostBaseline`` (``baseline.check`` before the "call", ``baseline.learn`` after it), using
only what a deployment would know at that moment: a delta is learned from only after it was
judged, i.e. not when the pre-filter or the baseline skipped it. No LLM runs here, so the judgement
is a stand-in: a delta counts as judged ok only when its label is ok AND the local ``rules``
model (the signal catalogue) finds nothing; a labelled non-ok delta, or one with a signal,
poisons its templates (as the deployed verdict would: the signal merge makes it non-ok).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tasseograph.baseline import BaselineSettings, HostBaseline
from tasseograph.compress import compress, estimate_tokens
from tasseograph.eval.datasets import Case, load_dataset
from tasseograph.parsing import parse_delta
from tasseograph.schema import Delta, KernelLine
from tasseograph.signals import SignalHit, detect
from tasseograph.stages import Options, prefilter_reason

PipelineKey = Literal["none", "prefilter", "compress", "both", "baseline", "baseline+compress"]
PIPELINES: tuple[PipelineKey, ...] = ("none", "prefilter", "compress", "both", "baseline", "baseline+compress")
"""``baseline``: the pre-filter plus the per-host baseline; ``baseline+compress``: that plus compression."""
BASE_INTERVAL_S = 300.0
"""The plan's polling interval: stands in for time in streams without timestamps."""
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
    baseline_skipped: bool = False
    """Skipped under the baseline lever: by the pre-filter, or by the host's baseline."""
    baseline_reason: str = ""
    """The baseline's decision (why it skipped or not); empty when no baseline ran."""


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
                start=part[0].start,
            )
        )
    return merged


def replay(
    dataset: str, cases: Iterable[Case], *, baseline: BaselineSettings | None = None, multiple: int = 1
) -> list[DeltaRecord]:
    """Run every case through the local pipeline and record what it sent and kept.

    With ``baseline``, every host stream (``stream_key``) runs in time order through its own
    baseline; records come back in the order of ``cases`` either way.
    """
    cases = list(cases)
    if baseline is None:
        return [replay_case(dataset, case) for case in cases]
    records: list[DeltaRecord | None] = [None] * len(cases)
    for key, order in host_streams(cases).items():
        host_baseline = HostBaseline(host=key, settings=baseline)
        for n, i in enumerate(order):
            start = cases[i].start
            now = start if start is not None else n * BASE_INTERVAL_S * multiple
            records[i] = replay_case(dataset, cases[i], baseline=host_baseline, now=now)
    return [r for r in records if r is not None]


def stream_key(case: Case) -> str:
    """The host stream a case belongs to; a case without a host is a stream of its own."""
    return case.host or f"case:{case.id}"


def host_streams(cases: Sequence[Case]) -> dict[str, list[int]]:
    """Indices of each host's cases, in time order (dataset order where there is no time)."""
    streams: dict[str, list[int]] = {}
    for i, case in enumerate(cases):
        streams.setdefault(stream_key(case), []).append(i)
    for order in streams.values():
        if all(cases[i].start is not None for i in order):
            order.sort(key=lambda i: (cases[i].start, i))
    return streams


def replay_case(
    dataset: str, case: Case, *, baseline: HostBaseline | None = None, now: float = 0.0
) -> DeltaRecord:
    """One delta through parse, signals, pre-filter and compression (both on and off).

    With a ``baseline``, also its skip decision at ``now``, then (when the delta was "sent")
    what the host's baseline learns from the stand-in verdict (see the module docstring).
    """
    delta = parse_delta(case.text, host=case.host)
    hits = detect(delta.lines)
    skipped = prefilter_reason(delta, hits) is not None
    base_skipped, reason = skipped, ""
    if baseline is not None:
        decision = baseline.check(delta, hits, now=now)
        base_skipped, reason = skipped or decision.skip, decision.reason
        if not base_skipped:
            baseline.learn(delta, _stand_in_verdict(case.status, bool(hits)), now=now, hits=hits)
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
            "baseline": 0 if base_skipped else raw_tokens,
            "baseline+compress": 0 if base_skipped else on,
        },
        baseline_skipped=base_skipped,
        baseline_reason=reason,
    )
    if case.status != "ok" and case.evidence:
        _score_evidence(record, case, delta, hits, packed_on.lines, packed_off.lines)
    return record


def _stand_in_verdict(label: str, has_signal: bool) -> str:
    """The verdict a deployment would store, with the label standing in for the LLM's answer.

    Ok only when the label AND the catalogue (``rules``) say ok: a signal makes the deployed
    verdict non-ok through the signal merge, whatever the model said.
    """
    if label != "ok":
        return label
    return "warning" if has_signal else "ok"


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
        "baseline": keep_off and not record.baseline_skipped,
        "baseline+compress": keep_on and not record.baseline_skipped,
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


def baseline_skip_share(records: Sequence[DeltaRecord]) -> float:
    """Share of deltas answered without a model call under the baseline lever (pre-filter included)."""
    return sum(r.baseline_skipped for r in records) / len(records) if records else 0.0


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
