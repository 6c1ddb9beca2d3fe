"""Where a figure came from: commit, time, machine, versions, command line and input hashes.

Every file that carries measured figures is stamped by ``collect()``: the eval harness's
``summary.json``, ``report.md`` and ``report.html``, and every ``benchmarks/results/*.json``.
A figure without its commit and machine cannot be compared with the next one.

Standard library only, and nothing heavy is imported: package versions are read from the
installed metadata, so stamping a result never loads numpy, pandas or an SDK.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

KEY_PACKAGES = (
    "tasseograph", "pydantic", "numpy", "pandas", "pyarrow", "scikit-learn", "matplotlib", "anthropic", "openai",
)
"""Distributions whose versions shape results; callers add their own (``drain3`` for benchmarks)."""

REQUIRED_FIELDS = (
    "commit", "dirty", "generated_utc", "host", "cpu", "python", "packages", "command", "suite",
)
"""The fields every results file carries (a test checks the committed ones)."""

GIT_TIMEOUT_S = 10.0
"""A hung git (network filesystem, lock) must not hang a report."""

_CODE_CHECKOUT = Path(__file__).resolve().parents[1]
_SECRET_ARG = re.compile(r"(?i)\b((?:api[_-]?)?key|token|secret|password)=[^&\s]+")
_SECRET_VALUE = re.compile(r"\b(sk-[A-Za-z0-9_-]{8,})")


@dataclass(frozen=True)
class Provenance:
    """What produced a result file, as written into it.

    Example:
        >>> p = collect(suite=Path("evals/offline.toml"))
        >>> p.line()
        'commit 60704ea (dirty) · 2026-12-07T12:40:00Z · ci-7 · AMD EPYC (2 CPUs) · ...'
    """

    commit: str
    """Full commit hash of the code that ran, or ``unknown`` outside a git checkout."""
    dirty: bool | None
    """True when the checkout had uncommitted changes; None when unknown."""
    generated_utc: str
    host: str
    cpu: str
    cpus: int
    python: str
    platform: str
    packages: dict[str, str]
    """Installed versions of ``KEY_PACKAGES`` (``not installed`` when absent)."""
    command: str
    """The command line, program name first, secrets masked."""
    cwd: str
    suite: dict[str, Any] | None
    """``path``, ``sha256`` and the suite checkout's ``commit``/``dirty``; None outside a suite run."""
    data: dict[str, str] = field(default_factory=dict)
    """sha256 of each input dataset (file or folder), by path."""
    load_avg: list[float] = field(default_factory=list)
    """1, 5 and 15-minute load averages: a busy machine reads slow."""

    def as_dict(self) -> dict[str, Any]:
        """The JSON object written into result files."""
        return asdict(self)

    def line(self) -> str:
        """One human line for a report header."""
        return describe(self.as_dict())


def collect(
    *,
    suite: Path | None = None,
    data: Iterable[Path] = (),
    argv: Sequence[str] | None = None,
    packages: Iterable[str] = (),
    outputs: Iterable[str] = (),
) -> Provenance:
    """Stamp a result: the code's commit, now, this machine, versions, command and inputs.

    Args:
        suite: the suite file that was run (hashed; its own checkout's commit is recorded too).
        data: dataset files or folders that were read (each hashed).
        argv: the command line (default ``sys.argv``).
        packages: distributions to report beside ``KEY_PACKAGES``.
        outputs: checkout-relative paths the caller writes (committed results): changes there
            do not make the tree dirty, or each result would mark the next one dirty.
    """
    commit, dirty = git_state(_CODE_CHECKOUT, ignore=outputs)
    return Provenance(
        commit=commit,
        dirty=dirty,
        generated_utc=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        host=socket.gethostname(),
        cpu=cpu_model(),
        cpus=os.cpu_count() or 0,
        python=platform.python_version(),
        platform=platform.platform(terse=True),
        packages=package_versions([*KEY_PACKAGES, *packages]),
        command=command_line(argv),
        cwd=os.getcwd(),
        suite=_suite(suite) if suite is not None else None,
        data={str(p): tree_sha256(p) for p in data},
        load_avg=[round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else [],
    )


def _suite(path: Path) -> dict[str, Any]:
    commit, dirty = git_state(path.resolve().parent)
    return {"path": str(path), "sha256": tree_sha256(path), "commit": commit, "dirty": dirty}


def git_state(directory: Path, *, ignore: Iterable[str] = ()) -> tuple[str, bool | None]:
    """``(commit, dirty)`` of the git checkout holding ``directory``; ``("unknown", None)`` outside one.

    Dirty means any change in the whole checkout (untracked files included) outside ``ignore``
    (paths relative to the checkout's top).
    """
    pathspecs = [":(top)", *(f":(top,exclude){p}" for p in ignore)]
    try:
        head = _git(directory, "rev-parse", "HEAD")
        status = _git(directory, "status", "--porcelain", "--", *pathspecs)
    except (OSError, subprocess.SubprocessError):
        return "unknown", None
    return head.strip(), bool(status.strip())


def _git(directory: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(directory), *args], capture_output=True, text=True, check=True, timeout=GIT_TIMEOUT_S,
    ).stdout


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what ``platform`` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """Installed version of each distribution, read from metadata (nothing is imported)."""
    out: dict[str, str] = {}
    for name in dict.fromkeys(names):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command as a user would type it again, with anything that looks like a secret masked.

    For this process (``argv`` None), ``python -m pkg.mod`` is recovered from ``__main__``'s
    spec; a console script is named without its install directory.
    """
    args = list(sys.argv if argv is None else argv) or ["python"]
    spec = getattr(sys.modules.get("__main__"), "__spec__", None) if argv is None else None
    if spec is not None and args[0].endswith(".py"):
        head = ["python", "-m", spec.name.removesuffix(".__main__")]
    elif args[0] == "-c":
        head = ["python", "-c"]
    else:
        head = [Path(args[0]).name]
    return shlex.join([*head, *(_mask(a) for a in args[1:])])


def _mask(arg: str) -> str:
    return _SECRET_VALUE.sub("***", _SECRET_ARG.sub(lambda m: f"{m.group(1)}=***", arg))


def tree_sha256(path: Path) -> str:
    """sha256 of a file, or of a folder's files (relative names and bytes, in sorted order)."""
    digest = hashlib.sha256()
    if path.is_file():
        _feed(digest, path)
        return digest.hexdigest()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(f.relative_to(path)).encode("utf-8", "surrogateescape") + b"\0")
        _feed(digest, f)
    return digest.hexdigest()


def _feed(digest: Any, path: Path) -> None:
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)


def describe(p: Mapping[str, Any]) -> str:
    """One line from a provenance dict (as read back from a results file)."""
    dirty = {True: " (dirty)", False: "", None: ""}[p.get("dirty")]
    pk = p.get("packages") or {}
    versions = ", ".join(f"{k} {v}" for k, v in pk.items() if v != "not installed")
    suite = p.get("suite")
    suite_part = f" · suite {suite['path']} sha256:{suite['sha256'][:12]}" if suite else ""
    return (f"commit {str(p.get('commit', 'unknown'))[:12]}{dirty} · {p.get('generated_utc')} · {p.get('host')} · "
            f"{p.get('cpu')} ({p.get('cpus')} CPUs) · Python {p.get('python')} · {versions} · "
            f"`{p.get('command')}`{suite_part}")


def missing_fields(p: Mapping[str, Any]) -> list[str]:
    """The ``REQUIRED_FIELDS`` absent from a provenance dict (empty when it is complete)."""
    return [k for k in REQUIRED_FIELDS if k not in p]
