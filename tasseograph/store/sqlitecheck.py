"""The SQLite state file opened with care, checked and recovered.

:func:`open_state` (create it private, check it, back it up before a schema migration),
:func:`check_state` (``PRAGMA integrity_check`` and what the file holds) and
:func:`recover_state` (a new file from every row that can still be read). The file-level
helpers (connect, header check, one-line errors, backup) are in ``sqlitefile.py``.

Recovery, as the README's "Reliability" section tells it: the damaged file is moved aside, every
readable row of every table is copied into a new file, and, when the queue could not be read
whole, the source cursors are left out so the sources are read again. The spool keeps every file
whose lines had no verdict yet, so no line is lost; some may be analysed twice.
"""

from __future__ import annotations

import logging
import sqlite3
import stat
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tasseograph.errors import StateCorruptError, StateError
from tasseograph.store.schema import SCHEMA_VERSION
from tasseograph.store.sqlite import SQLiteStore
from tasseograph.store.sqlitefile import (
    RECOVERY,
    backup_state,
    check_header,
    connect,
    quick_check,
    schema_version,
    state_error,
    state_errors,
)

log = logging.getLogger(__name__)


def open_state(path: Path) -> SQLiteStore:
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
                raise StateCorruptError(f"state file {path} is damaged ({problems[0]}); {RECOVERY}", path=str(path))
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
        return SQLiteStore(path)


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
        fresh = SQLiteStore(path)
        try:
            _copy_rows(aside, fresh, recovery)
        finally:
            fresh.close()
    return recovery


def _copy_rows(old: Path, fresh: SQLiteStore, recovery: Recovery) -> None:
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


def _readable_tables(src: sqlite3.Connection, fresh: SQLiteStore) -> list[str]:
    wanted = [r[0] for r in fresh.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
              if not r[0].startswith("sqlite_")]
    try:
        present = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError:
        return []
    return [t for t in wanted if t in present]


def _copy_table(src: sqlite3.Connection, fresh: SQLiteStore, table: str, recovery: Recovery) -> bool:
    """Copy every row that reads back; True when the whole table was read."""
    columns = [r[1] for r in fresh.conn.execute(f'PRAGMA table_info("{table}")')]
    try:  # a file from an older version lacks the newer columns: they keep their defaults
        present = {r[1] for r in src.execute(f'PRAGMA table_info("{table}")')}
        columns = [c for c in columns if c in present] or columns
    except sqlite3.DatabaseError:
        pass
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
