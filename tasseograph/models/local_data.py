"""Training data of the ``local`` model: the sources, and each case's lines marked by the catalogue.

Every non-blank line of a labelled case that the noise catalogue does not call boring is one
example for the line (alarm) model: positive when it is an evidence line of a not-ok case,
negative otherwise. Lines a catalogue signal covers are learned from too (they carry the
vocabulary of failure), but only lines no signal covers are ever judged by the classifier
(``candidate``), so the thresholds are chosen on those.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tasseograph.cases import (
    Case,
    jsonl_files,
    pick_sources,
    project_datasets,
    read_jsonl_cases,
    read_log_folder,
    shared_dir,
)
from tasseograph.compress import message_text
from tasseograph.errors import UsageError
from tasseograph.models.linear import feature_text
from tasseograph.parsing import parse_delta
from tasseograph.signals import DATA_DIR, classify, detect, is_boring

NOISE_CHUNK_LINES = 50
"""Whole logs are cut into deltas of this many lines, as a poller would send them."""
_CODE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class TrainingSource:
    """One labelled source: a FORMAT.md JSONL file or folder, or a folder of whole logs."""

    name: str
    path: Path
    cases: tuple[Case, ...]
    severity_known: bool = True
    categories_known: bool = True
    split: str = "all"
    """``all``, or ``train`` when only the train part of a split was given (the rest is scored)."""

    def sha256(self) -> str:
        """Hash of the files the cases were read from."""
        h = hashlib.sha256()
        for f in _files(self.path):
            h.update(f.name.encode())
            h.update(f.read_bytes())
        return h.hexdigest()


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if _is_log_folder(path):
        return sorted(f for f in path.iterdir() if f.is_file())
    return jsonl_files(path)


def _is_log_folder(path: Path) -> bool:
    return path.is_dir() and ((path / "index.jsonl").exists() or not jsonl_files(path))


def load_source(name: str, path: Path) -> TrainingSource:
    """Read a training source; a folder with ``index.jsonl`` (or no JSONL) is a folder of whole logs.

    Whole logs are cut into ``NOISE_CHUNK_LINES``-line deltas; their truth is problem vs healthy
    only, so they teach the line model but not severity or categories.
    """
    if not path.exists():
        raise UsageError(f"training source {name!r} not found: {path}")
    if _is_log_folder(path):
        cases, _ = read_log_folder(path, chunk_lines=NOISE_CHUNK_LINES)
        return TrainingSource(name, path, tuple(cases), severity_known=False, categories_known=False)
    return TrainingSource(name, path, tuple(read_jsonl_cases(path)))


def available_sources() -> dict[str, Path]:
    """The default training sources that exist here: ``repo`` always, ``dev`` and ``noise`` with ../shared."""
    out = {"repo": project_datasets()}
    shared = shared_dir()
    if shared is not None:
        for name, rel in (("dev", "datasets/dmesg-real/dev.jsonl"), ("noise", "datasets/dmesg-real/noise")):
            if (shared / rel).exists():
                out[name] = shared / rel
    return out


def default_sources(names: Sequence[str] | None = None) -> list[TrainingSource]:
    """The named default sources (all available ones when ``names`` is None).

    Raises:
        UsageError: a name is unknown or its data is absent here.
    """
    chosen = pick_sources(available_sources(), names, what="local model training",
                          hint="dev and noise need ../shared")
    if not chosen:
        raise UsageError("local model: no training source chosen")
    return [load_source(n, path) for n, path in chosen.items()]


def training_digest() -> str:
    """Hash of what training depends on besides the data: the catalogues and the training code.

    Which lines are candidates depends on the catalogue files (``tasseograph/data/*.toml``); the code of the
    ``local_*`` and ``linear`` modules decides the rest. A change to any of them retrains the
    cached default model.
    """
    h = hashlib.sha256()
    for path in [*sorted(DATA_DIR.glob("*.toml")), *sorted(_CODE.glob("local_*.py")), _CODE / "linear.py"]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


# --- examples ------------------------------------------------------------------------------


@dataclass
class LineExample:
    """One non-boring line of a training case."""

    text: str
    """Feature text (``feature_text`` of the message)."""
    alarm: bool
    """An evidence line of a not-ok case."""
    candidate: bool
    """No catalogue signal covers it: the classifier would judge it."""


@dataclass
class CaseExample:
    """A training case reduced to what the fits need."""

    source: TrainingSource
    case: Case
    lines: list[LineExample] = field(default_factory=list)
    signalled: bool = False
    """A catalogue signal fired in it."""
    format: str = "unknown"
    """Input format its text was parsed as (``dmesg``, ``syslog``, ``plain``...)."""

    @property
    def group(self) -> str:
        """Cross-validation group: cases of one host or log stay on one side of a split."""
        return f"{self.source.name}/{self.case.host or self.case.id}"

    def evidence_doc(self) -> str:
        """The case's evidence lines as one text (what severity and category learn from)."""
        return "\n".join(x.text for x in self.lines if x.alarm)


def case_examples(source: TrainingSource) -> list[CaseExample]:
    """Every case of ``source`` as line examples, marked by the catalogue."""
    out = []
    for case in source.cases:
        delta = parse_delta(case.text, host=case.host)
        hits = detect(delta.lines)
        covered = {i for hit in hits for i in hit.line_indices}
        evidence = {e.strip() for e in case.evidence}
        ex = CaseExample(source, case, signalled=bool(hits), format=delta.format)
        for i, line in enumerate(delta.lines):
            message = message_text(line)
            if not message.strip() or is_boring(message):
                continue
            alarm = case.status != "ok" and line.raw.strip() in evidence
            candidate = i not in covered and classify(message) is None
            ex.lines.append(LineExample(feature_text(message), alarm, candidate))
        out.append(ex)
    return out


def severity_docs(cases: Sequence[CaseExample]) -> tuple[list[str], list[bool]]:
    """Evidence text of each not-ok case of known severity, and whether it is critical."""
    chosen = [c for c in cases if c.case.status != "ok" and c.source.severity_known and c.evidence_doc()]
    return [c.evidence_doc() for c in chosen], [c.case.status == "critical" for c in chosen]


def category_docs(cases: Sequence[CaseExample]) -> tuple[list[str], list[str]]:
    """Evidence text of each not-ok case with known categories, once per category."""
    pairs = [(c.evidence_doc(), k) for c in cases if c.case.status != "ok" and c.source.categories_known
             and c.evidence_doc() for k in c.case.categories]
    return [d for d, _ in pairs], [k for _, k in pairs]
