"""Findings an operator confirmed, as past incidents: the library's memory of this fleet.

A finding becomes memory when an operator said it was real: acknowledged it, or resolved it
with a cause ("DIMM B2 replaced"). :func:`confirmed_incident` takes such a finding as a plain
record (host, evidence lines, category, severity, the operator's note) so any store can feed
it: the runner's state does (``tasseograph.runner.incidents``), and so can a script reading a
ticket system. Records are validated at this boundary: a bad one is a ``UsageError`` naming it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tasseograph.errors import UsageError
from tasseograph.parsing import parse_delta
from tasseograph.retrieval.incident import (
    LINE_CHARS,
    NOTE_CHARS,
    SUMMARY_CHARS,
    Incident,
    Reading,
    clip,
    excerpt,
)
from tasseograph.schema import Category, Severity

MAX_CONFIRMED = 1000
"""Most confirmed incidents a library keeps (the newest; older ones are dropped first)."""
MAX_RECORD_LINES = 50
"""Most evidence lines read from one record."""


class ConfirmedIncident(BaseModel):
    """One finding an operator confirmed, as a plain record.

    Example:
        >>> ConfirmedIncident(host="db-17", lines=["EDAC MC0: 1 UE memory read error on DIMM_B2"],
        ...                   category="memory", severity="critical", note="DIMM B2 replaced")
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    lines: list[str] = Field(min_length=1)
    """The evidence: kernel log lines as logged (timestamps may stay; they are stripped)."""
    category: Category
    severity: Severity
    note: str = ""
    """What the operator found or did ("riser reseated, errors stopped"); shown with the incident."""
    summary: str = ""
    """The finding's summary, when there is one."""
    id: str = ""
    """The finding's id, when the record comes from a store (default: a hash of the record)."""
    at: float | None = None
    """When it was confirmed (Unix time); newer records win when the library is full."""

    @field_validator("lines")
    @classmethod
    def _some_text(cls, lines: list[str]) -> list[str]:
        kept = [line for line in lines[:MAX_RECORD_LINES] if line.strip()]
        if not kept:
            raise ValueError("needs at least one non-blank evidence line")
        return kept


def confirmed_incident(record: ConfirmedIncident) -> Incident:
    """A confirmed finding as a past incident (its evidence lines are its excerpt and its document)."""
    delta = parse_delta("\n".join(record.lines), host=record.host)
    reading = Reading.of(delta.lines)
    shown = range(len(delta.lines))
    ident = record.id or hashlib.sha256(record.model_dump_json().encode("utf-8")).hexdigest()[:12]
    summary = record.summary or f"{record.severity} {record.category} problem confirmed by an operator"
    return Incident(
        id=f"confirmed:{ident}", kind="confirmed", status=record.severity, categories=(record.category,),
        lines=excerpt(reading, shown), document=reading.document(), fingerprint=reading.fingerprint(),
        evidence=tuple(clip(m, LINE_CHARS) for m in reading.messages if m.strip()),
        summary=clip(summary, SUMMARY_CHARS), note=clip(record.note, NOTE_CHARS), host=record.host, at=record.at,
    )


def confirmed_incidents(records: Iterable[ConfirmedIncident | dict[str, object]],
                        limit: int = MAX_CONFIRMED) -> list[Incident]:
    """Past incidents from operator-confirmed records (dicts are validated), the newest ``limit``.

    Raises:
        UsageError: a record is not a valid ``ConfirmedIncident`` (the message names it and the field).
    """
    checked: list[ConfirmedIncident] = []
    for n, record in enumerate(records, start=1):
        try:
            checked.append(record if isinstance(record, ConfirmedIncident) else ConfirmedIncident.model_validate(record))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"]) or "record"
            raise UsageError(f"confirmed incident {n}: {where}: {err['msg']}") from None
    return [confirmed_incident(r) for r in newest(checked, limit)]


def newest(records: Sequence[ConfirmedIncident], limit: int) -> list[ConfirmedIncident]:
    """The ``limit`` newest records (undated ones count as oldest), in a stable order."""
    ranked = sorted(enumerate(records), key=lambda item: (-(item[1].at or 0.0), item[0]))
    return [r for _, r in ranked[: max(limit, 0)]]
