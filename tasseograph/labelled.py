"""Labelled deltas in the FORMAT.md JSONL format: the record schema and its reader.

One JSON object a line: ``{"id", "text", "label": {"status", "categories"}, "evidence", "host"}``.
The evaluation harness (``tasseograph.eval.datasets``) and the offline models' training
(``models/sklearn.py``) read the repository's ``datasets/`` through this module, so a model
never reaches up into the harness.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasseograph.errors import InputError
from tasseograph.schema import Category, Status


class Label(BaseModel):
    """The truth of one case."""

    model_config = ConfigDict(extra="forbid")
    status: Status
    categories: list[Category] = Field(default_factory=list)


class LabelledRecord(BaseModel):
    """One FORMAT.md case as stored (extra keys are kept, never required)."""

    model_config = ConfigDict(extra="allow")
    id: str
    text: str
    label: Label
    evidence: list[str] = Field(default_factory=list)
    host: str | None = None


def jsonl_files(path: Path) -> list[Path]:
    """Every case file under a folder (``index.jsonl`` of a log folder is not one), sorted."""
    return sorted(f for f in path.rglob("*.jsonl") if f.name != "index.jsonl")


def read_jsonl(path: Path) -> Iterator[LabelledRecord]:
    """The cases of one JSONL file, in order (blank lines skipped).

    Raises:
        InputError: a line is not JSON or not a FORMAT.md case (names the file and line).
    """
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield LabelledRecord.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            first = str(exc).splitlines()[0] if isinstance(exc, json.JSONDecodeError) else _first_error(exc)
            raise InputError(f"{path}:{n}: not a FORMAT.md case: {first}") from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"])
    return f"{loc}: {err['msg']}"
