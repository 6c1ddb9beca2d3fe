"""The labelled cases the default library holds, read once and cached on disk.

``repo`` is the project's ``datasets/`` (always there); ``dev`` is the real dev set in
``../shared`` (or ``$TASSEOGRAPH_SHARED``) when present. Reading them (parsing every case, the
catalogue pass, templating) is cached as JSON in ``$XDG_CACHE_HOME/tasseograph/``, keyed by the
data files and the code and catalogue that shape an incident, like the ``local`` model's
training: a changed case, catalogue entry or retrieval module gives a new key. The index itself
is refit from the cached documents on load (milliseconds; nothing is unpickled).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from tasseograph.cases import jsonl_files, pick_sources, project_datasets, read_jsonl_cases, shared_dir
from tasseograph.errors import UsageError
from tasseograph.retrieval.incident import Incident, from_case
from tasseograph.retrieval.library import MIN_SIMILARITY, IncidentLibrary

CACHE_FORMAT = 1
DEV_SET = "datasets/dmesg-real/dev.jsonl"
_PACKAGE = Path(__file__).resolve().parent.parent
_CODE = (
    *sorted((_PACKAGE / "retrieval").glob("*.py")), *sorted((_PACKAGE / "parsing").glob("*.py")),
    _PACKAGE / "compress.py", _PACKAGE / "cases.py", _PACKAGE / "signals.py", _PACKAGE / "textnorm.py",
    *sorted((_PACKAGE / "data").glob("*.toml")),
)
"""What shapes an incident besides its data: a change to any of them rebuilds the cache."""


def available_sources() -> dict[str, Path]:
    """The labelled sources present here: ``repo`` always, ``dev`` when the shared data is there."""
    out = {"repo": project_datasets()}
    shared = shared_dir()
    if shared is not None and (shared / DEV_SET).is_file():
        out["dev"] = shared / DEV_SET
    return out


def chosen_sources(names: Sequence[str] | None = None) -> dict[str, Path]:
    """The named sources (every available one when ``names`` is None).

    Raises:
        UsageError: a name is unknown or its data is absent here.
    """
    return pick_sources(available_sources(), names, what="incident library",
                        hint="dev needs ../shared or TASSEOGRAPH_SHARED")


def cache_path(sources: Mapping[str, Path]) -> Path:
    """Where the incidents read from ``sources`` are cached (keyed by the data and the code)."""
    h = hashlib.sha256(f"format {CACHE_FORMAT}".encode())
    for path in _CODE:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    for name, path in sorted(sources.items()):
        for f in jsonl_files(path) if path.is_dir() else [path]:
            h.update(f"{name}:{f.relative_to(path) if path.is_dir() else f.name}".encode())
            h.update(f.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tasseograph"
    return base / f"incidents-{h.hexdigest()[:16]}.json"


def read_incidents(name: str, path: Path) -> list[Incident]:
    """Every labelled case of one source as a past incident."""
    return [from_case(case, name) for case in read_jsonl_cases(path)]


def labelled_incidents(sources: Mapping[str, Path]) -> tuple[list[Incident], list[str]]:
    """The incidents of ``sources`` (from the cache when it is current) and each source's label."""
    path = cache_path(sources)
    cached = _load(path)
    if cached is None:
        cached = {name: read_incidents(name, p) for name, p in sources.items()}
        _store(path, cached)
    return [i for name in sources for i in cached[name]], [f"{name} ({len(cached[name])})" for name in sources]


def _load(path: Path) -> dict[str, list[Incident]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != CACHE_FORMAT:
            return None
        return {name: [Incident.from_dict(d) for d in items] for name, items in data["sources"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # absent, half-written by an older version, or damaged: read the data again


def _store(path: Path, incidents: Mapping[str, list[Incident]]) -> None:
    """Write the cache atomically; a read-only cache folder only costs the next start a re-read."""
    blob = json.dumps({"format": CACHE_FORMAT, "sources": {n: [i.to_dict() for i in items]
                                                           for n, items in incidents.items()}})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(blob)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def library_from(sources: Mapping[str, Path], *, min_similarity: float = MIN_SIMILARITY) -> IncidentLibrary:
    """A library of the labelled cases in ``sources`` (name -> a JSONL file or folder)."""
    for name, path in sources.items():
        if not path.exists():
            raise UsageError(f"incident library: source {name!r} not found: {path}")
    incidents, labels = labelled_incidents(sources)
    return IncidentLibrary.build(incidents, min_similarity=min_similarity, sources=labels)


@functools.cache
def _default(names: tuple[str, ...] | None) -> IncidentLibrary:
    return library_from(chosen_sources(names))


def default_library(names: Sequence[str] | None = None) -> IncidentLibrary:
    """The labelled cases of the named sources (default: every one present), indexed once per process.

    Raises:
        UsageError: a name is unknown or its data is absent here.
    """
    return _default(tuple(names) if names is not None else None)
