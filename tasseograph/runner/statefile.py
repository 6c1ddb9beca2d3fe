"""The state file itself: opened with care, checked, backed up, recovered.

``state.py`` says what the file holds; this module keeps the file usable and says, in one line,
what went wrong when it is not. Each job is one function, so another storage backend can take
the same place: :func:`open_state` (create it private, check it, back it up before a schema
migration), :func:`check_state` (``PRAGMA integrity_check`` and what the file holds),
:func:`backup_state` (SQLite's online backup: consistent while the runner writes),
:func:`recover_state` (a new file from every row that can still be read), :func:`read_back`
(what a fresh connection reads from disk, before spool files are deleted) and
:func:`state_errors` (SQLite's errors as :class:`~tasseograph.errors.StateError` lines).

Recovery, as the README's "Reliability" section tells it: the damaged file is moved aside, every
readable row of every table is copied into a new file, and, when the queue could not be read
whole, the source cursors are left out so the sources are read again. The spool keeps every file
whose lines had no verdict yet, so no line is lost; some may be analysed twice.
"""

from __future__ import annotations

import logging
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tasseograph.errors import StateCorruptError, StateError
from tasseograph.runner.state import SCHEMA_VERSION, State, connect

log = logging.getLogger(__name__)

_CORRUPT = ("malformed", "not a database", "disk image", "file is encrypted", "corrupt")
_RECOVERY = "run `tasseograph state check`, then `tasseograph state recover` (README: Reliability)"
SQLITE_MAGIC = b"SQLite format 3\x00"


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
        return StateCorruptError(f"{where} is damaged ({text}); spool files were kept; {_RECOVERY}", path=str(path))
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


def open_state(path: Path) -> State:
    """Open (or create, mode 0600) the state file, after checking it and backing it up before a migration.

    Raises:
        StateCorruptError: the file is damaged (nothing was changed).
        StateError: it cannot be opened or written (disk full, read-only, locked), or a newer
            tasseograph wrote it (nothing was changed).
    """
    with state_errors(path):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise state_error(exc, path) from None
        if path.exists() and path.stat().st_size > 0:
            check_header(path)
            problems = quick_check(path)
            if problems:
                raise StateCorruptError(f"state file {path} is damaged ({problems[0]}); {_RECOVERY}", path=str(path))
            version = schema_version(path)
            if version > SCHEMA_VERSION:
                raise StateError(f"state file {path} is schema version {version}, written by a newer tasseograph "
                                 f"(this one reads up to {SCHEMA_VERSION}): upgrade tasseograph, or use another "
                                 "--state", path=str(path))
            if version < SCHEMA_VERSION:
                backup = backup_state(path, path.with_name(f"{path.name}.v{version}.bak"))
                log.warning("state file %s is schema version %d: backed up to %s before the upgrade to %d",
                            path, version, backup, SCHEMA_VERSION)
        _warn_if_shared(path)
        return State(path)


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


def read_back(path: Path, source: str) -> tuple[dict[str, str], set[str]]:
    """A source's cursors and pending origins as a fresh connection reads them from disk.

    The runner's own connection may serve pages from its cache after the file was damaged under
    it; a spool file is deleted only when this read agrees that its lines are judged.

    Raises:
        StateCorruptError: the committed data cannot be read back, or the file is shorter than
            its own header says (truncated under the runner).
    """
    check_header(path)
    with state_errors(path), closing(connect(path, readonly=True)) as conn:
        cursors = dict(conn.execute("SELECT key, value FROM cursors WHERE source=?", (source,)).fetchall())
        pending = {r[0] for r in conn.execute("SELECT DISTINCT origin FROM delta_origins WHERE source=?", (source,))}
    return cursors, pending


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
        raise StateCorruptError(f"state file {path} is damaged (no SQLite header); {_RECOVERY}", path=str(path))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if size < pages * page_size and not _checkpoint_pending(path):
        raise StateCorruptError(f"state file {path} is damaged (cut short: {size} bytes, its header says "
                                f"{pages * page_size}); spool files were kept; {_RECOVERY}", path=str(path))


def _checkpoint_pending(path: Path) -> bool:
    """True when the WAL beside ``path`` holds every page the file lacks (an interrupted checkpoint)."""
    wal = path.with_name(path.name + "-wal")
    try:
        if wal.stat().st_size == 0:
            return False
    except OSError:
        return False
    return quick_check(path) == []


@dataclass
class StateReport:
    """What ``check_state`` found."""

    path: Path
    problems: list[str] = field(default_factory=list)
    """``PRAGMA integrity_check`` findings (empty: sound)."""
    schema_version: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    """Rows per table (tables that could not be counted are missing)."""
    mode: int = 0
    """Permission bits of the file."""

    @property
    def ok(self) -> bool:
        """True when the file is sound."""
        return not self.problems


def check_state(path: Path) -> StateReport:
    """``PRAGMA integrity_check`` and a count of what the file holds (read-only: safe while the runner runs).

    Raises:
        StateError: there is no file at ``path``.
    """
    if not path.exists():
        raise StateError(f"no state file at {path}: check the path (config key `state`)", path=str(path))
    report = StateReport(path, mode=stat.S_IMODE(path.stat().st_mode))
    try:
        with closing(connect(path, readonly=True)) as conn:
            found = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            report.problems = [] if found == ["ok"] else found
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            for table in tables:
                try:
                    report.rows[table] = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                except sqlite3.DatabaseError as exc:
                    report.problems.append(f"{table}: {exc}")
    except sqlite3.DatabaseError as exc:
        report.problems.append(str(exc))
        return report
    report.schema_version = schema_version(path)
    return report


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


@dataclass
class Recovery:
    """What ``recover_state`` did."""

    moved_to: Path
    """Where the damaged file now is."""
    copied: dict[str, int] = field(default_factory=dict)
    """Rows copied per table."""
    incomplete: list[str] = field(default_factory=list)
    """Tables that could not be read whole."""
    cursors_dropped: bool = False
    """True when the queue was not read whole, so sources are read again from their start."""


def recover_state(path: Path, *, now: datetime | None = None) -> Recovery:
    """Move the damaged state file aside and build a new one from every row that can be read.

    Raises:
        StateError: there is no file at ``path``, or the new file cannot be written.
    """
    if not path.exists():
        raise StateError(f"no state file at {path}: nothing to recover", path=str(path))
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            part.rename(Path(f"{aside}{suffix}"))
    recovery = Recovery(moved_to=aside)
    with state_errors(path):
        fresh = State(path)
        try:
            _copy_rows(aside, fresh, recovery)
        finally:
            fresh.close()
    return recovery


def _copy_rows(old: Path, fresh: State, recovery: Recovery) -> None:
    try:
        src = sqlite3.connect(f"file:{old}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error:
        recovery.incomplete.append("(whole file)")
        recovery.cursors_dropped = True
        return
    with closing(src):
        tables = _readable_tables(src, fresh)
        recovery.cursors_dropped = "deltas" not in tables or not _copy_table(src, fresh, "deltas", recovery)
        for table in tables:
            if table in ("deltas", "cursors"):
                continue
            _copy_table(src, fresh, table, recovery)
        if not recovery.cursors_dropped and "cursors" in tables:
            _copy_table(src, fresh, "cursors", recovery)
        elif "cursors" in tables:
            recovery.copied["cursors"] = 0


def _readable_tables(src: sqlite3.Connection, fresh: State) -> list[str]:
    wanted = [r[0] for r in fresh.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
              if not r[0].startswith("sqlite_")]
    try:
        present = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError:
        return []
    return [t for t in wanted if t in present]


def _copy_table(src: sqlite3.Connection, fresh: State, table: str, recovery: Recovery) -> bool:
    """Copy every row that reads back; True when the whole table was read."""
    columns = [r[1] for r in fresh.conn.execute(f'PRAGMA table_info("{table}")')]
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    copied, whole = 0, True
    with fresh.transaction() as conn:
        if table == "meta":
            conn.execute("DELETE FROM meta WHERE key != 'schema_version'")
        try:
            for row in src.execute(f'SELECT {names} FROM "{table}"'):
                if table == "meta" and row[0] == "schema_version":
                    continue
                conn.execute(f'INSERT OR REPLACE INTO "{table}" ({names}) VALUES ({marks})', row)
                copied += 1
        except sqlite3.DatabaseError:
            whole = False
            recovery.incomplete.append(table)
    recovery.copied[table] = copied
    return whole


def _warn_if_shared(path: Path) -> None:
    if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning("state file %s holds raw log lines but is readable by others (mode %o): chmod 600 %s",
                    path, stat.S_IMODE(path.stat().st_mode), path)
