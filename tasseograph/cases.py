"""Labelled kernel-log cases: the FORMAT.md JSONL reader, whole-log folders, and where the data lives.

The core holds these (not ``tasseograph.eval``) because models train on them: the ``sklearn``
and ``local`` models build their default from the repository's ``datasets/`` and, when present,
the shared real data, and ``models/`` never imports ``eval``. The harness adds Loghub, windows
and splits on top (``tasseograph.eval.datasets``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasseograph import paths
from tasseograph.errors import InputError, UsageError
from tasseograph.schema import Category, Status

LOG_SUFFIXES = (".log", ".txt", ".dmesg")


@dataclass(frozen=True)
class Case:
    """One labelled delta."""

    id: str
    text: str
    status: Status
    categories: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    host: str | None = None
    line_tags: tuple[str, ...] = ()
    """Per-line truth for Loghub windows (``-`` or the alert tag), in line order."""
    start: float | None = None
    """Unix time of the first line, when the data has timestamps."""
    group: str = ""
    """What the case belongs to: a Loghub host, a log file, a JSONL file."""
    note: str = ""
    """Why it got its label (FORMAT.md's ``note``), when the file says."""
    origin: str = ""
    """The log the excerpt was cut from (FORMAT.md's ``source``: a URL, or repo and path), when known:
    excerpts of one log share it, so a fair test never shows a case its own log's other excerpts."""

    def as_example(self) -> dict[str, Any]:
        """The case as a few-shot example: ``text`` plus the ``reply`` the contract expects."""
        evidence = "\n".join(self.evidence)
        issues = [
            {"severity": self.status, "category": cat, "summary": f"labelled {cat} problem", "evidence": evidence}
            for cat in self.categories
        ] if self.status != "ok" else []
        return {"id": self.id, "text": self.text, "reply": {"status": self.status, "issues": issues}}


class _Label(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status
    categories: list[Category] = Field(default_factory=list)


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    text: str
    label: _Label
    evidence: list[str] = Field(default_factory=list)
    host: str | None = None


# --- FORMAT.md JSONL -----------------------------------------------------------------------


def jsonl_files(p: Path) -> list[Path]:
    """The case files under a folder (``index.jsonl`` of a log folder is not one)."""
    return sorted(f for f in p.rglob("*.jsonl") if f.name != "index.jsonl")


def read_jsonl_cases(path: Path) -> list[Case]:
    """FORMAT.md cases from a file or from every ``*.jsonl`` under a folder.

    Case ids are prefixed with the file's stem when a folder holds several files.

    Raises:
        InputError: a line is not a FORMAT.md case, or two cases share an id.
    """
    files = jsonl_files(path) if path.is_dir() else [path]
    prefix = len(files) > 1
    cases: list[Case] = []
    for f in files:
        cases.extend(_read_jsonl_file(f, prefix=f.stem if prefix else ""))
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:3]
        raise InputError(f"{path}: duplicate case ids {dup}")
    return cases


def _read_jsonl_file(f: Path, *, prefix: str) -> list[Case]:
    cases = []
    for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = _Record.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            first = str(exc).splitlines()[0] if isinstance(exc, json.JSONDecodeError) else _first_error(exc)
            raise InputError(f"{f}:{n}: not a FORMAT.md case: {first}") from exc
        cases.append(
            Case(
                id=f"{prefix}/{rec.id}" if prefix else rec.id, text=rec.text, status=rec.label.status,
                categories=tuple(rec.label.categories), evidence=tuple(rec.evidence), host=rec.host,
                group=f.stem, note=str((rec.model_extra or {}).get("note") or ""),
                origin=origin_of((rec.model_extra or {}).get("source")),
            )
        )
    return cases


def origin_of(source: object) -> str:
    """A FORMAT.md ``source`` as one string naming the log it came from ("" when unknown).

    A dict names the log by its ``repo`` and ``path``, else its ``url``; a plain string (such as
    ``synthetic:tasseograph``) names a generator, not a log, and gives "".
    """
    if not isinstance(source, dict):
        return ""
    if source.get("repo") and source.get("path"):
        return f"{source['repo']}:{source['path']}"
    return str(source.get("url") or "")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"])
    return f"{loc}: {err['msg']}"


# --- folders of whole logs -----------------------------------------------------------------


def read_log_folder(path: Path, *, chunk_lines: int = 0) -> tuple[list[Case], bool]:
    """Whole raw logs as cases, and whether an ``index.jsonl`` said which hold a real problem.

    Severity is not known for these logs (only problem vs healthy): a problem log (or chunk)
    is labelled ``warning``. With ``chunk_lines`` each log is cut into deltas; a chunk is
    positive when it holds one of the log's ``problem_lines``.
    """
    index = _read_index(path)
    files = sorted(f for f in path.iterdir() if f.suffix in LOG_SUFFIXES)
    cases: list[Case] = []
    for f in files:
        meta = index.get(f.name, {})
        text = f.read_bytes().decode("utf-8", "replace")
        problem = {p.strip() for p in meta.get("problem_lines", [])}
        bad = bool(meta.get("has_hardware_problem", False))
        cases.extend(_log_cases(f.name, text, bad, problem, chunk_lines))
    return cases, bool(index)


def _read_index(path: Path) -> dict[str, dict[str, Any]]:
    idx = path / "index.jsonl"
    if not idx.exists():
        return {}
    out = {}
    for line in idx.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            out[rec["file"]] = rec
    return out


def _log_cases(fname: str, text: str, bad: bool, problem: set[str], chunk_lines: int) -> Iterable[Case]:
    status: Status = "warning" if bad else "ok"
    if chunk_lines <= 0:
        yield Case(id=fname, text=text, status=status, evidence=tuple(sorted(problem)), host=fname, group=fname)
        return
    lines = text.splitlines()
    for i in range(0, len(lines), chunk_lines):
        chunk = lines[i : i + chunk_lines]
        hits = tuple(x for x in chunk if x.strip() in problem)
        yield Case(
            id=f"{fname}:{i + 1}", text="\n".join(chunk), status="warning" if hits else "ok",
            evidence=hits, host=fname, group=fname,
        )


# --- where the data lives ------------------------------------------------------------------


def project_datasets() -> Path:
    """The project's labelled set: the copy a wheel installs (``tasseograph/_datasets``), else the checkout's ``datasets/``."""
    installed = Path(__file__).resolve().parent / "_datasets"
    return installed if installed.is_dir() else repo_root() / "datasets"


def repo_root() -> Path:
    """The checkout this package runs from (holds ``datasets/`` and ``evals/``)."""
    return Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """``$TASSEOGRAPH_SHARED``, else ``shared/`` beside the checkout this package runs from, when it
    holds ``datasets/`` (the rules of ``tasseograph.paths``, so a bad variable is an error here too)."""
    return paths.shared_dir(paths.checkout_root(Path(__file__).resolve().parent))


def pick_sources(available: Mapping[str, Path], names: Sequence[str] | None, *, what: str, hint: str
                 ) -> dict[str, Path]:
    """The named data sources among ``available`` (every one when ``names`` is None), in order.

    Raises:
        UsageError: a name is unknown or its data is absent here (``what`` names the asker,
            ``hint`` says where the absent data comes from).
    """
    chosen = list(available) if names is None else list(names)
    missing = [n for n in chosen if n not in available]
    if missing:
        raise UsageError(f"{what}: unknown or absent {'source' if len(missing) == 1 else 'sources'} "
                         f"{', '.join(missing)}; available here: {', '.join(available)} ({hint})")
    return {n: available[n] for n in chosen}
