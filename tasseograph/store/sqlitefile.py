"""The SQLite state file itself: opened private, its header checked, its errors said in one line, backed up.

Each job is one function: :func:`connect` (WAL, ``synchronous=FULL``, created 0600),
:func:`check_header` (SQLite's magic, and no shorter than its header says),
:func:`quick_check` and :func:`schema_version` (on a fresh read-only connection),
:func:`backup_state` (SQLite's online backup: consistent while the runner writes) and
:func:`state_errors` (SQLite's errors as :class:`~tasseograph.errors.StateError` lines).
Opening with checks, ``state check`` and ``state recover`` are in ``sqlitecheck.py``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

from tasseograph.errors import StateCorruptError, StateError

_CORRUPT = ("malformed", "not a database", "disk image", "file is encrypted", "corrupt")
RECOVERY = "run `tasseograph state check`, then `tasseograph state recover` (README: Reliability)"
SQLITE_MAGIC = b"SQLite format 3\x00"


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the state file in WAL mode with autocommit (transactions are explicit)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=10)
        conn.execute("PRAGMA busy_timeout=10000")
        return conn
    if not path.exists():
        # The file holds raw log lines: private from its first byte (SQLite gives -wal and -shm
        # the same mode). An empty file is an empty database.
        with suppress(FileExistsError):  # another process was first
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


@contextmanager
def state_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's errors on the state file into one :class:`StateError` line that says what to do."""
    try:
        yield
    except sqlite3.Error as exc:
        raise state_error(exc, path) from None


def state_error(exc: sqlite3.Error | OSError, path: Path) -> StateError:
    """The one-line error for a failure on the state file at ``path``."""
    text = str(exc)
    low = text.lower()
    where = f"state file {path}"
    if isinstance(exc, sqlite3.DatabaseError) and any(word in low for word in _CORRUPT):
        return StateCorruptError(f"{where} is damaged ({text}); spool files were kept; {RECOVERY}", path=str(path))
    if "disk is full" in low or "no space" in low:
        return StateError(f"{where}: the disk is full; free space on {path.parent} (nothing is lost: the "
                          "spool keeps its files until their verdicts are stored)", path=str(path))
    if "readonly" in low or "read-only" in low:
        return StateError(f"{where} is read-only: make it and {path.parent} writable by this user "
                          "(or mount the file system read-write)", path=str(path))
    if "locked" in low or "busy" in low:
        return StateError(f"{where} is locked by another process: is another runner using it?", path=str(path))
    if "unable to open" in low or isinstance(exc, OSError):
        return StateError(f"cannot open {where}: {text}; check that {path.parent} exists and is writable",
                          path=str(path))
    return StateError(f"{where}: {text}", path=str(path))


def quick_check(path: Path) -> list[str]:
    """``PRAGMA quick_check`` on a fresh read-only connection (pages read from disk, not a cache).

    Returns the problems found (empty when the file is sound).
    """
    try:
        with closing(connect(path, readonly=True)) as conn:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def schema_version(path: Path) -> int:
    """The file's ``meta.schema_version`` (0 for a file without one)."""
    with closing(connect(path, readonly=True)) as conn:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError:  # no meta table: an empty or foreign file
            return 0
    return int(row[0]) if row else 0


def check_header(path: Path) -> None:
    """Cheap sanity check of the file on disk: SQLite's magic, and no shorter than its header says.

    In WAL mode pages reach the main file only at a checkpoint, which also writes the page count
    into the header, so a sound file is never shorter than ``page count x page size``; a file cut
    short under the runner is, even while the runner's own page cache still serves every row.
    One exception: a checkpoint copies the WAL's pages in page order, header page first, so a
    process killed in the middle of one leaves the file short of pages the WAL still holds (the
    next checkpoint finishes the copy). A short file beside a WAL is therefore read through
    SQLite (``quick_check`` on a fresh connection) before it is called damaged.

    Raises:
        StateCorruptError: the file is not an SQLite database, or it was cut short.
    """
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise state_error(exc, path) from None
    if not header:
        return  # created, not yet written: SQLite fills it on the first commit
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise StateCorruptError(f"state file {path} is damaged (no SQLite header); {RECOVERY}", path=str(path))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if size < pages * page_size and not _checkpoint_pending(path):
        raise StateCorruptError(f"state file {path} is damaged (cut short: {size} bytes, its header says "
                                f"{pages * page_size}); spool files were kept; {RECOVERY}", path=str(path))


def _checkpoint_pending(path: Path) -> bool:
    """True when the WAL beside ``path`` holds every page the file lacks (an interrupted checkpoint)."""
    wal = path.with_name(path.name + "-wal")
    try:
        if wal.stat().st_size == 0:
            return False
    except OSError:
        return False
    return quick_check(path) == []


def backup_state(path: Path, dest: Path) -> Path:
    """A consistent copy of the state file at ``dest`` (mode 0600), taken with SQLite's online backup.

    Raises:
        StateError: the copy could not be made.
    """
    with state_errors(dest), closing(connect(path, readonly=True)) as src:
        dest.unlink(missing_ok=True)
        with closing(connect(dest)) as out:
            src.backup(out)
    return dest
