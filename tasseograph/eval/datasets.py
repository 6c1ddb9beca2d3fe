"""Labelled datasets for the harness: JSONL cases, Loghub raw logs, folders of whole logs.

Three readers, one output type (``Dataset`` of ``Case``):

- ``FORMAT.md`` JSONL (one file, or a folder of ``*.jsonl`` files such as the repo's
  ``datasets/``);
- Loghub BGL / Thunderbird raw logs, grouped per host x time window (default 5 minutes) or in
  fixed N-line windows; a window is labelled by its worst line, and the alert tags are kept
  as per-line truth. The label field is stripped from the text the model sees;
- a folder of whole raw logs with an ``index.jsonl`` marking the ones with a real problem.

Splits are deterministic: JSONL cases are split per status by a hash of the id (stratified),
Loghub windows chronologically (first part train, last part test), as the published protocols do.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from tasseograph.errors import InputError, UsageError
from tasseograph.labelled import jsonl_files, read_jsonl
from tasseograph.schema import STATUS_RANK, Status

Split = Literal["all", "train", "test"]
Kind = Literal["jsonl", "loghub", "folder"]

DEFAULT_WINDOW_S = 300
DEFAULT_TEST_FRACTION = 0.2
LOG_SUFFIXES = (".log", ".txt", ".dmesg")

# Severity of a Loghub alert tag. The main Loghub figure is binary (any tag is positive); this
# mapping only feeds critical recall. KERN* tags where the compute node's kernel faulted or
# stopped are critical; a failed Lustre mount (KERNMNTF) and a tree-network receive error the
# node survives (KERNREC) are warning; APP* tags (ciod control-stream failures: severed link,
# reset, timeout, failed read) are warning, as they are mostly consequences seen on I/O nodes.
# Any tag not listed (e.g. Thunderbird's) counts as warning.
BGL_CRITICAL_TAGS = frozenset({"KERNDTLB", "KERNSTOR", "KERNTERM", "KERNRTSP", "KERNPAN", "KERNMC"})


def tag_severity(tag: str) -> Status:
    """Severity of one Loghub label field (``-`` is ok; see ``BGL_CRITICAL_TAGS``)."""
    if tag == "-":
        return "ok"
    return "critical" if tag in BGL_CRITICAL_TAGS else "warning"


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

    def as_example(self) -> dict[str, Any]:
        """The case as a few-shot example: ``text`` plus the ``reply`` the contract expects."""
        evidence = "\n".join(self.evidence)
        issues = [
            {"severity": self.status, "category": cat, "summary": f"labelled {cat} problem", "evidence": evidence}
            for cat in self.categories
        ] if self.status != "ok" else []
        return {"id": self.id, "text": self.text, "reply": {"status": self.status, "issues": issues}}


@dataclass
class Dataset:
    """A named list of cases plus what is known about their truth."""

    name: str
    kind: Kind
    path: str
    cases: list[Case]
    severity_known: bool = True
    """False when only ok vs not-ok is known (critical recall is then undefined)."""
    categories_known: bool = True
    """False for Loghub and log folders (per-category scores are then not computed)."""
    active_share: float | None = None
    """Share of (host, interval) slots with new lines, measured from timestamps."""
    interval_s: float | None = None
    split: Split = "all"
    notes: list[str] = field(default_factory=list)

    @property
    def n_positive(self) -> int:
        """Cases whose truth is not ok."""
        return sum(c.status != "ok" for c in self.cases)


# --- entry point -----------------------------------------------------------------------


def load_dataset(
    path: str | Path,
    *,
    name: str | None = None,
    window: Literal["time", "lines"] = "time",
    window_s: int = DEFAULT_WINDOW_S,
    window_lines: int = 100,
    split: Split = "all",
    test_fraction: float = DEFAULT_TEST_FRACTION,
    chunk_lines: int = 0,
) -> Dataset:
    """Load any supported dataset, detecting its kind from the path and content.

    Args:
        path: a JSONL file, a folder of JSONL files, a Loghub ``.log`` file, or a folder of
            raw logs (``index.jsonl`` beside them marks the ones with a real problem).
        name: display name (default: derived from the path).
        window: Loghub grouping: ``time`` (host x ``window_s``) or ``lines`` (``window_lines``).
        split: ``all``, or the ``train`` / ``test`` part of a deterministic split.
        test_fraction: share of cases (or of the timeline, for Loghub) in the test part.
        chunk_lines: log folders only: cut each log into deltas of this many lines (0: whole log).

    Raises:
        UsageError: the path does not exist or is of no known kind.
        InputError: a file cannot be read as its kind.
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(f"dataset not found: {p}")
    kind = detect_kind(p)
    label = name or _default_name(p, kind, window, window_s, window_lines)
    if kind == "folder":
        ds = load_log_folder(p, name=label, chunk_lines=chunk_lines)
    elif kind == "loghub":
        if window == "time":
            ds = load_loghub_time(p, name=label, window_s=window_s)
        else:
            ds = load_loghub_lines(p, name=label, window_lines=window_lines)
    else:
        ds = load_jsonl(p, name=label)
    return apply_split(ds, split, test_fraction)


def detect_kind(p: Path) -> Kind:
    """``jsonl``, ``loghub`` or ``folder``, from the path and the first line of content."""
    if p.is_dir():
        if (p / "index.jsonl").exists() or not jsonl_files(p):
            if not any(f.suffix in LOG_SUFFIXES for f in p.iterdir()):
                raise UsageError(f"{p}: no *.jsonl cases and no *.log files in this folder")
            return "folder"
        return "jsonl"
    if p.suffix == ".jsonl":
        return "jsonl"
    with p.open("rb") as fh:
        head = fh.readline(4096).decode("utf-8", "replace")
    if head.lstrip().startswith("{"):
        return "jsonl"
    if _LOGHUB_LINE.match(head):
        return "loghub"
    raise UsageError(
        f"{p}: not a JSONL case file nor a Loghub BGL/Thunderbird log "
        "(expected '{\"id\": ...}' or '<label> <unix-time> <date> <host> ...' on the first line)"
    )


_LOGHUB_LINE = re.compile(r"^(-|[A-Z][A-Z_0-9]*) \d{9,11} \d{4}\.\d{2}\.\d{2} \S+ ")


def _default_name(p: Path, kind: Kind, window: str, window_s: int, window_lines: int) -> str:
    stem = p.name if p.is_dir() else p.stem
    if kind == "loghub":
        return f"{stem}/{window_s // 60}min" if window == "time" else f"{stem}/{window_lines}lines"
    return stem


# --- JSONL -----------------------------------------------------------------------------


def load_jsonl(path: Path, *, name: str) -> Dataset:
    """Read FORMAT.md cases from a file or from every ``*.jsonl`` under a folder."""
    files = jsonl_files(path) if path.is_dir() else [path]
    prefix = len(files) > 1
    cases: list[Case] = []
    for f in files:
        cases.extend(_read_jsonl_file(f, prefix=f.stem if prefix else ""))
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:3]
        raise InputError(f"{path}: duplicate case ids {dup}")
    return Dataset(name=name, kind="jsonl", path=str(path), cases=cases)


def _read_jsonl_file(f: Path, *, prefix: str) -> list[Case]:
    return [
        Case(
            id=f"{prefix}/{rec.id}" if prefix else rec.id, text=rec.text, status=rec.label.status,
            categories=tuple(rec.label.categories), evidence=tuple(rec.evidence), host=rec.host,
            group=f.stem,
        )
        for rec in read_jsonl(f)
    ]


# --- Loghub ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoghubLine:
    """One raw Loghub line split into its label and the text a model may see."""

    tag: str
    ts: int
    host: str
    text: str


def read_loghub(path: Path) -> list[LoghubLine]:
    """Parse a Loghub BGL/Thunderbird log (CRLF endings, no final newline)."""
    raw = path.read_bytes().decode("utf-8", "replace")
    out = []
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(" ", 4)
        if len(fields) < 5 or not fields[1].isdigit():
            raise InputError(f"{path}:{n}: not a Loghub line ('<label> <unix-time> <date> <host> ...')")
        # The label is the answer: it never goes into the text the model sees.
        out.append(LoghubLine(tag=fields[0], ts=int(fields[1]), host=fields[3], text=line.split(" ", 1)[1]))
    return out


def _window_case(cid: str, lines: Sequence[LoghubLine], host: str) -> Case:
    status = max((tag_severity(x.tag) for x in lines), key=STATUS_RANK.__getitem__)
    evidence = tuple(x.text for x in lines if x.tag != "-")
    return Case(
        id=cid, text="\n".join(x.text for x in lines), status=status, evidence=evidence, host=host,
        line_tags=tuple(x.tag for x in lines), start=float(lines[0].ts), group=host,
    )


def load_loghub_time(path: Path, *, name: str, window_s: int = DEFAULT_WINDOW_S) -> Dataset:
    """Group a Loghub log by host x ``window_s`` slot (the per-host deltas a poller would see)."""
    lines = read_loghub(path)
    groups: dict[tuple[str, int], list[LoghubLine]] = defaultdict(list)
    for x in lines:
        groups[(x.host, x.ts // window_s)].append(x)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    cases = [_window_case(f"{host}@{slot * window_s}", grp, host) for (host, slot), grp in ordered]
    hosts = {x.host for x in lines}
    slots = max(x.ts for x in lines) // window_s - min(x.ts for x in lines) // window_s + 1
    share = len(groups) / (len(hosts) * slots)
    ds = Dataset(
        name=name, kind="loghub", path=str(path), cases=cases, categories_known=False,
        active_share=share, interval_s=float(window_s),
        notes=[f"active share {share:.3g} measured from timestamps: {len(groups)} active (host, "
               f"{window_s}s) slots of {len(hosts)} hosts x {slots} slots"],
    )
    return _loghub_notes(ds)


def load_loghub_lines(path: Path, *, name: str, window_lines: int = 100) -> Dataset:
    """Cut a Loghub log into fixed, non-overlapping windows of ``window_lines`` lines."""
    if window_lines < 1:
        raise UsageError("window_lines must be at least 1")
    lines = read_loghub(path)
    cases = []
    for i in range(0, len(lines), window_lines):
        chunk = lines[i : i + window_lines]
        hosts = {x.host for x in chunk}
        cases.append(_window_case(f"lines{i + 1}-{i + len(chunk)}", chunk, "mixed" if len(hosts) > 1 else chunk[0].host))
    ds = Dataset(name=name, kind="loghub", path=str(path), cases=cases, categories_known=False)
    return _loghub_notes(ds)


def _loghub_notes(ds: Dataset) -> Dataset:
    ds.notes.append("Loghub: binary truth from alert tags; categories undefined; severity from tag_severity()")
    if ds.n_positive == 0:
        ds.notes.append("no alert in this log: recall and F1 are undefined, only false alarms are scored")
    return ds


# --- folders of whole logs -------------------------------------------------------------


def load_log_folder(path: Path, *, name: str, chunk_lines: int = 0) -> Dataset:
    """Whole raw logs as cases; ``index.jsonl`` says which hold a real hardware problem.

    Severity is not known for these logs (only problem vs healthy), so critical recall and
    per-category scores are not computed. With ``chunk_lines`` each log is cut into deltas;
    a chunk is positive when it holds one of the log's ``problem_lines``.
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
    notes = ["log folder: truth is problem vs healthy per log; severity and categories unknown"]
    if not index:
        notes.append("no index.jsonl: every log is assumed healthy")
    return Dataset(
        name=name, kind="folder", path=str(path), cases=cases, severity_known=False,
        categories_known=False, notes=notes,
    )


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


# --- splits ----------------------------------------------------------------------------


def apply_split(ds: Dataset, split: Split, test_fraction: float = DEFAULT_TEST_FRACTION) -> Dataset:
    """Keep the ``train`` or ``test`` part of ``ds`` (``all`` keeps everything).

    JSONL: stratified by status, ordered by a hash of the id, so a case's side never depends on
    the other cases of its status beyond their number. Loghub and log folders: chronological
    (file order), the last ``test_fraction`` of cases being the test part.
    """
    if split == "all":
        return ds
    if not 0 < test_fraction < 1:
        raise UsageError(f"test_fraction must be between 0 and 1 (got {test_fraction})")
    test_ids = _test_ids(ds, test_fraction)
    keep = [c for c in ds.cases if (c.id in test_ids) == (split == "test")]
    return replace(ds, cases=keep, split=split, name=f"{ds.name}[{split}]", notes=list(ds.notes))


def _test_ids(ds: Dataset, frac: float) -> set[str]:
    if ds.kind != "jsonl":
        n_test = math.ceil(len(ds.cases) * frac)
        return {c.id for c in ds.cases[len(ds.cases) - n_test :]}
    by_status: dict[str, list[Case]] = defaultdict(list)
    for c in ds.cases:
        by_status[c.status].append(c)
    out: set[str] = set()
    for group in by_status.values():
        ranked = sorted(group, key=lambda c: hashlib.sha256(c.id.encode()).hexdigest())
        out.update(c.id for c in ranked[: math.ceil(len(ranked) * frac)])
    return out


# --- where the data lives --------------------------------------------------------------


def repo_root() -> Path:
    """The checkout this package runs from (holds ``datasets/`` and ``evals/``)."""
    return Path(__file__).resolve().parents[2]


def shared_dir() -> Path | None:
    """``$TASSEOGRAPH_SHARED`` or ``../shared`` beside the checkout, when it exists."""
    env = os.environ.get("TASSEOGRAPH_SHARED")
    for cand in ([Path(env)] if env else []) + [repo_root().parent / "shared"]:
        if (cand / "datasets").is_dir():
            return cand
    return None
