"""Merging findings: the catalogue signals a model missed, and one problem reported per chunk.

``merge_findings`` is the backstop DESIGN.md asks for: after the model answers, every catalogue
signal it did not report becomes a finding of its own, so nothing detectable is lost.
``merge_chunks`` folds the findings of a long input analyzed in consecutive chunks: one signal on
one device is one finding, with its count summed and its first and last line kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tasseograph.schema import STATUS_RANK, Category, Finding, KernelLine, Seen
from tasseograph.signals import MAX_EVIDENCE, SignalHit


def merge_findings(
    found: list[Finding], hits: Sequence[SignalHit], *, floor: str = "warning", lines: Sequence[KernelLine] = ()
) -> list[Finding]:
    """Add the signals the model missed, so nothing detectable is lost.

    A signal counts as reported when the model has a finding of the same category at the same
    or a higher severity. Signals below ``floor`` are left to the model's judgement; a
    critical signal is never dropped.

    Args:
        found: the model's findings.
        hits: the delta's catalogue hits (muted ones left out).
        floor: lowest signal severity merged (``warning`` or ``critical``).
        lines: the delta's lines, to date the signal findings (first and last line).
    """
    merged = list(found)
    for hit in hits:
        if STATUS_RANK[hit.severity] < STATUS_RANK[floor]:
            continue
        for category in (hit.category, *hit.also):
            covered = any(
                f.category == category and STATUS_RANK[f.severity] >= STATUS_RANK[hit.severity] for f in found
            )
            if not covered:
                merged.append(signal_finding(hit, category, lines))
    return merged


def signal_finding(hit: SignalHit, category: Category, lines: Sequence[KernelLine] = ()) -> Finding:
    """The finding a catalogue hit stands for, in one of its categories."""
    first, last = _span(hit.line_indices, lines)
    return Finding(
        severity=hit.severity, category=category, summary=hit.summary, evidence="\n".join(hit.evidence),
        source="signal", signal_id=hit.signal_id, count=hit.count, first_seen=first, last_seen=last,
        normalized=hit.normalized, device=dict(hit.device),
    )


def place(findings: Iterable[Finding], lines: Sequence[KernelLine]) -> None:
    """Date findings that carry no span yet by their evidence lines (exact quotes of ``lines``)."""
    index: dict[str, list[int]] | None = None
    for f in findings:
        if f.first_seen is not None or not f.evidence:
            continue
        if index is None:
            index = {}
            for i, line in enumerate(lines):
                index.setdefault(line.evidence, []).append(i)
        at = sorted(i for quote in f.evidence.splitlines() for i in index.get(quote, ()))
        f.first_seen, f.last_seen = _span(at, lines)


MAX_DEVICES = 50
"""Devices one signal keeps findings of over a long input; further devices fold into one finding
("on 212 more devices"), so a file whose every line names a new device cannot grow without bound."""


def merge_chunks(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per problem over consecutive chunks of one input.

    Findings of one signal on one device (and category and host) merge, as do model findings
    with the same category and summary: the count adds up, the severity is the worst, the
    first and last lines are the earliest and latest, and the evidence keeps the first chunk's
    lines plus the last line seen. Order is that of first appearance. Past ``MAX_DEVICES``
    devices of one signal, the rest merge into one finding with no device.
    """
    merger = ChunkMerger()
    merger.add(findings)
    return merger.findings()


class ChunkMerger:
    """``merge_chunks`` as a running fold: add each chunk's findings as it is judged (memory stays
    bounded by the problems, not by the chunks)."""

    def __init__(self, max_devices: int = MAX_DEVICES) -> None:
        self.max_devices = max_devices
        self._out: dict[tuple[Any, ...], Finding] = {}
        self._first_evidence: dict[tuple[Any, ...], list[str]] = {}
        self._devices: dict[tuple[Any, ...], int] = {}
        self._folded: dict[tuple[Any, ...], set[tuple[tuple[str, str], ...]]] = {}

    def add(self, findings: Iterable[Finding]) -> None:
        """Fold more findings in."""
        for f in findings:
            key = _chunk_key(f)
            if key not in self._out and f.device:
                key = self._room_for(key, f)
            seen = self._out.get(key)
            if seen is None:
                self._out[key] = f.model_copy() if key[-1] != _FOLDED else _folded_copy(f)
                self._first_evidence[key] = f.evidence.splitlines()
                continue
            seen.count += f.count
            if STATUS_RANK[f.severity] > STATUS_RANK[seen.severity]:
                seen.severity = f.severity
            seen.normalized = seen.normalized or f.normalized
            seen.first_seen = seen.first_seen or f.first_seen
            seen.last_seen = f.last_seen or seen.last_seen
            head = self._first_evidence[key][: MAX_EVIDENCE - 1]
            seen.evidence = "\n".join([*head, *(line for line in f.evidence.splitlines()[-1:] if line not in head)])
            if key[-1] == _FOLDED:
                self._folded[key].add(tuple(sorted(f.device.items())))
                seen.summary = f"{f.summary} (on {len(self._folded[key])} more devices)"

    def findings(self) -> list[Finding]:
        """The merged findings, in order of first appearance."""
        return list(self._out.values())

    def _room_for(self, key: tuple[Any, ...], f: Finding) -> tuple[Any, ...]:
        """``key`` while the signal has room for another device, else its folded finding's key."""
        problem = key[:3] + key[4:]  # the key without the device
        if self._devices.get(problem, 0) < self.max_devices:
            self._devices[problem] = self._devices.get(problem, 0) + 1
            return key
        folded = (*problem, _FOLDED)
        self._folded.setdefault(folded, set()).add(tuple(sorted(f.device.items())))
        return folded


_FOLDED = "more devices"


def _folded_copy(f: Finding) -> Finding:
    return f.model_copy(update={"device": {}, "summary": f"{f.summary} (on 1 more device)"})


def _chunk_key(f: Finding) -> tuple[Any, ...]:
    device = tuple(sorted(f.device.items()))
    if f.signal_id is not None:
        return ("signal", f.signal_id, f.category, device, f.host)
    return (f.source, f.category, f.summary, device, f.host)


def _span(indices: Sequence[int], lines: Sequence[KernelLine]) -> tuple[Seen | None, Seen | None]:
    valid = [i for i in indices if 0 <= i < len(lines)]
    if not valid:
        return None, None
    return Seen.of(lines[min(valid)]), Seen.of(lines[max(valid)])
