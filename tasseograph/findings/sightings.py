"""A verdict's findings as sightings: one per finding key, and where each last shows in the delta."""

from __future__ import annotations

from collections.abc import Sequence

from tasseograph.findings.identity import FindingKey, key_for
from tasseograph.findings.record import Sighting
from tasseograph.schema import STATUS_RANK, Finding, KernelLine, Verdict


def sightings_of(host: str, verdict: Verdict, *, at: float, ref: str = "") -> list[Sighting]:
    """One sighting per finding key of the verdict (its worst severity, counts summed, evidence joined)."""
    groups: dict[FindingKey, list[Finding]] = {}
    for finding in verdict.findings:
        groups.setdefault(key_for(host, finding), []).append(finding)
    out = []
    for key, found in groups.items():
        worst = max(found, key=lambda f: STATUS_RANK[f.severity])
        evidence = "\n".join(dict.fromkeys(f.evidence for f in found if f.evidence))
        out.append(Sighting(key, worst.severity, worst.summary, evidence, at, source=worst.source,
                            count=sum(max(1, f.count) for f in found), ref=ref))
    return out


def last_lines(lines: Sequence[KernelLine], sightings: Sequence[Sighting]) -> dict[str, int]:
    """Finding id to the index of the last line of ``lines`` its evidence quotes (evidence is verbatim)."""
    wanted: dict[str, set[str]] = {}
    for s in sightings:
        for quoted in s.evidence.splitlines():
            if quoted.strip():
                wanted.setdefault(quoted, set()).add(s.key.id)
    out: dict[str, int] = {}
    if not wanted:
        return out
    for i, line in enumerate(lines):
        for text in (line.raw, line.message):
            for finding_id in wanted.get(text, ()):
                out[finding_id] = i
    return out
