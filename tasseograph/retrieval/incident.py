"""What the incident library holds: one past incident, as it is indexed and as a prompt shows it.

An :class:`Incident` is a labelled case (``datasets/``, the shared real set) or a finding an
operator confirmed, reduced to what retrieval needs:

- its *document*: the distinct templates (``compress.template``) of the lines that matter (not
  blank, not known noise, or behind a catalogue signal), plus the catalogue's signal ids, which
  the library's TF-IDF reads;
- its *fingerprint*: a hash of the distinct templates of all its lines, so two excerpts that
  differ only in numbers, timestamps, order or repeat counts are the same content (a query is
  never answered with a near-copy of itself);
- its *excerpt*: at most ``EXCERPT_LINES`` lines as the prompt shows them (timestamps gone,
  repeats collapsed, evidence and signal lines first, then the notable lines nearest to them),
  and its verdict, with the labeller's or the operator's note.

Everything here is bounded: lines are cut to ``LINE_CHARS``, notes to ``NOTE_CHARS``, and a
document keeps at most ``DOCUMENT_LINES`` templates, so one gigantic delta cannot blow up the index.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tasseograph.cases import Case
from tasseograph.compress import OMITTED_MARKER, message_text, template_many
from tasseograph.parsing import parse_delta
from tasseograph.schema import KernelLine, Status
from tasseograph.signals import SignalHit, detect, is_boring

IncidentKind = Literal["labelled", "confirmed"]
EXCERPT_LINES = 8
"""Most lines of a past incident shown in a prompt (markers for what was left out come on top)."""
CONTEXT_LINES = 2
"""Lines shown around the evidence of a non-ok incident (the notable ones nearest to it)."""
EVIDENCE_LINES = 3
"""Most evidence lines quoted in a past incident's verdict."""
LINE_CHARS = 240
"""Longest line of an excerpt (longer ones are cut with an ellipsis)."""
NOTE_CHARS = 300
"""Longest note (the labeller's reason, or what the operator found) shown with an incident."""
SUMMARY_CHARS = 120
MIN_REST_CHARS = 40
"""A note's rest shorter than this ("Critical.") repeats the verdict and is not shown."""
DOCUMENT_LINES = 400
"""Most distinct templates indexed per incident or query (signal lines first)."""
FINGERPRINT_HEX = 16
SIGNAL_TERM = "signal:"
"""Prefix of the document terms that name a catalogue signal (``signal:nvme.timeout``)."""
_SENTENCE = re.compile(r"(?<=[.;])\s")
"""Where a note's first sentence ends (a colon often introduces the rest of the sentence)."""


@dataclass(frozen=True)
class Incident:
    """One past incident: its verdict, what the prompt shows of it, and what the index reads."""

    id: str
    """Unique in the library: ``repo:memory/syn-mem-001``, ``dev:D-001``, ``confirmed:<finding id>``."""
    kind: IncidentKind
    status: Status
    categories: tuple[str, ...]
    lines: tuple[str, ...]
    """The excerpt, as the prompt shows it."""
    evidence: tuple[str, ...]
    """The lines that justify a non-ok verdict, as the excerpt shows them."""
    document: tuple[str, ...]
    """What the index reads: distinct templates of the lines that matter, then ``signal:ID`` terms."""
    fingerprint: str
    """Hash of the distinct templates of all its lines (near-copies share it)."""
    summary: str = ""
    note: str = ""
    """Why it got its verdict (labelled cases), or what the operator found (confirmed ones)."""
    host: str | None = None
    origin: str = ""
    """The log it was cut from, when known (excerpts of one log share it)."""
    at: float | None = None
    """When an operator confirmed it (Unix time), for confirmed incidents."""

    @property
    def bare_id(self) -> str:
        """The id as its own file names it (``syn-mem-001``, ``D-001``), without source or folder."""
        return self.id.rpartition(":")[2].rpartition("/")[2]

    def reply(self) -> dict[str, Any]:
        """Its verdict in the reply contract (what a model should have answered)."""
        if self.status == "ok":
            return {"status": "ok", "issues": []}
        evidence = "\n".join(self.evidence[:EVIDENCE_LINES])
        return {"status": self.status, "issues": [
            {"severity": self.status, "category": cat, "summary": self.summary, "evidence": evidence}
            for cat in self.categories
        ]}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (the on-disk cache's form)."""
        return {"id": self.id, "kind": self.kind, "status": self.status, "categories": list(self.categories),
                "lines": list(self.lines), "evidence": list(self.evidence), "document": list(self.document),
                "fingerprint": self.fingerprint, "summary": self.summary, "note": self.note, "host": self.host,
                "origin": self.origin, "at": self.at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Incident:
        """The incident ``to_dict`` wrote."""
        tuples = {k: tuple(data[k]) for k in ("categories", "lines", "evidence", "document")}
        return cls(**{**data, **tuples})


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters (with an ellipsis when cut)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def first_sentence(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first sentence of a note, as a finding's summary."""
    return clip(_SENTENCE.split(text.strip(), maxsplit=1)[0].rstrip(".;"), limit)


def rest_of(text: str) -> str:
    """A note after its first sentence ("" when that is too short to add anything)."""
    parts = _SENTENCE.split(text.strip(), maxsplit=1)
    rest = parts[1].strip() if len(parts) > 1 else ""
    return rest if len(rest) >= MIN_REST_CHARS else ""


# --- documents and fingerprints ----------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One delta (or case) read once: messages, templates, catalogue hits, and which lines are notable."""

    lines: tuple[KernelLine, ...]
    messages: tuple[str, ...]
    templates: tuple[str, ...]
    hits: tuple[SignalHit, ...]
    notable: tuple[bool, ...]
    """Not blank, and either behind a signal or not known noise."""

    @classmethod
    def of(cls, lines: Sequence[KernelLine], hits: Sequence[SignalHit] | None = None) -> Reading:
        """Read ``lines`` (``hits``: the catalogue's, when the caller has them already)."""
        found = tuple(detect(lines) if hits is None else hits)
        messages = tuple(message_text(line) for line in lines)
        signal = {i for h in found for i in h.line_indices}
        notable = tuple(bool(m.strip()) and (i in signal or not is_boring(m)) for i, m in enumerate(messages))
        return cls(tuple(lines), messages, tuple(template_many(messages)), found, notable)

    def document(self) -> tuple[str, ...]:
        """Distinct templates of the notable lines (signal lines first), then the signal ids."""
        signal = sorted({i for h in self.hits for i in h.line_indices if 0 <= i < len(self.lines)})
        order = signal + [i for i, keep in enumerate(self.notable) if keep]
        if not order:  # only noise: its noise is all there is to compare
            order = [i for i, m in enumerate(self.messages) if m.strip()]
        picked = list(dict.fromkeys(self.templates[i] for i in order))[:DOCUMENT_LINES]
        return (*picked, *sorted({SIGNAL_TERM + h.signal_id for h in self.hits}))

    def fingerprint(self) -> str:
        """Hash of the distinct templates of every non-blank line (order and counts ignored)."""
        distinct = sorted({t for t, m in zip(self.templates, self.messages, strict=True) if m.strip()})
        return hashlib.sha256("\n".join(distinct).encode("utf-8")).hexdigest()[:FINGERPRINT_HEX]


def fingerprint_text(text: str) -> str:
    """The fingerprint of raw kernel log text (any supported format)."""
    return Reading.of(parse_delta(text).lines, hits=()).fingerprint()


# --- excerpts ----------------------------------------------------------------------------------


def excerpt(reading: Reading, must: Iterable[int], limit: int = EXCERPT_LINES) -> tuple[str, ...]:
    """The lines a prompt shows of a past incident, in log order, repeats collapsed, gaps marked.

    With ``must`` lines (evidence, signals): those, then up to ``CONTEXT_LINES`` notable lines
    nearest to them. Without (an ok case): its notable lines first, then its known-noise ones
    (the alarming-looking routine lines are what such a case teaches)."""
    groups: dict[str, list[int]] = {}
    for i, (msg, tmpl) in enumerate(zip(reading.messages, reading.templates, strict=True)):
        if msg.strip():
            groups.setdefault(tmpl, []).append(i)
    firsts = {tmpl: idx[0] for tmpl, idx in groups.items()}
    # In the caller's order of priority (evidence before signal lines), each template once.
    wanted = list(dict.fromkeys(reading.templates[i] for i in must
                                if 0 <= i < len(reading.lines) and reading.messages[i].strip()))
    if wanted:
        anchors = sorted(firsts[t] for t in wanted)
        near = sorted((t for t in groups if t not in wanted and reading.notable[firsts[t]]),
                      key=lambda t: (min(abs(firsts[t] - a) for a in anchors), firsts[t]))
        chosen = [*wanted[:limit], *near[: min(CONTEXT_LINES, max(limit - len(wanted), 0))]]
    else:
        chosen = sorted(groups, key=lambda t: (not reading.notable[firsts[t]], firsts[t]))[:limit]
    keep = set(firsts[t] for t in chosen)
    shown = {reading.templates[i] for i in keep}
    out: list[str] = []
    skipped = 0
    for i, msg in enumerate(reading.messages):
        if not msg.strip():
            continue
        if i in keep:
            if skipped:
                out.append(OMITTED_MARKER.format(n=skipped, lines="line" if skipped == 1 else "lines"))
                skipped = 0
            n = len(groups[reading.templates[i]])
            out.append(clip(msg, LINE_CHARS) + (f"  [x{n} similar]" if n > 1 else ""))
        elif reading.templates[i] not in shown:
            skipped += 1
    if skipped and out:
        out.append(OMITTED_MARKER.format(n=skipped, lines="line" if skipped == 1 else "lines"))
    return tuple(out)


def evidence_indices(lines: Sequence[KernelLine], evidence: Iterable[str]) -> list[int]:
    """Indices of the lines an evidence list quotes (whole lines, as FORMAT.md writes them)."""
    wanted = {e.strip() for e in evidence if e.strip()}
    return [i for i, line in enumerate(lines) if line.raw.strip() in wanted or line.evidence.strip() in wanted]


# --- builders ----------------------------------------------------------------------------------


def from_case(case: Case, source: str) -> Incident:
    """A labelled case as a past incident (``source`` names where it came from: ``repo``, ``dev``)."""
    delta = parse_delta(case.text, host=case.host)
    reading = Reading.of(delta.lines)
    marked = evidence_indices(delta.lines, case.evidence)
    signal = [i for h in reading.hits for i in h.line_indices]
    evidence = tuple(clip(reading.messages[i], LINE_CHARS) for i in marked) if case.status != "ok" else ()
    summary, note = f"{case.status} {'/'.join(case.categories)} problem", case.note
    if case.note and case.status != "ok":  # the note's first sentence is the summary; the rest says why
        summary, note = first_sentence(case.note), rest_of(case.note)
    return Incident(
        id=f"{source}:{case.id}", kind="labelled", status=case.status, categories=tuple(case.categories),
        lines=excerpt(reading, [*marked, *signal]), evidence=evidence, document=reading.document(),
        fingerprint=reading.fingerprint(), summary=summary, note=clip(note, NOTE_CHARS), host=case.host,
        origin=case.origin,
    )
