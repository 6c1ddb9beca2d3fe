"""One transaction on a backend's connection: the only handle the table-group modules write SQL to.

The table groups (``queue.py``, ``findings.py``, ``alerts.py``, ``baselines.py``) are written
once, in SQL both engines read (``?`` placeholders, ``INSERT ... ON CONFLICT``, ``RETURNING``,
explicit column lists). What differs is here, in :class:`Dialect`: the placeholder style, the
row locks that let several runners share a PostgreSQL queue (``FOR UPDATE SKIP LOCKED``), the
database's own clock for leases (runners' clocks drift; the database has one), and advisory
locks that serialise read-modify-write work on one host's findings or one alert.

Counter bumps are gathered during the transaction and written at its end in a fixed order, so
two runners bumping the same counters never deadlock on them.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tasseograph.store.records import labels_key


class Cursor(Protocol):
    """What both drivers' cursors give back."""

    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Any: ...


@dataclass(frozen=True)
class Dialect:
    """The few places where SQLite and PostgreSQL SQL differ."""

    name: str
    now: str
    """SQL for the database's clock in Unix seconds (leases are measured on it)."""
    skip_locked: str = ""
    """Appended to a claim's inner ``SELECT``: rows another runner is claiming are passed over."""
    for_update: str = ""
    """Appended to a ``SELECT`` whose rows are about to be changed (waits for a claim in progress)."""
    single_runner: bool = True
    """True when one runner at a time uses the store (SQLite's lock file): a claim then takes
    over leases a killed run left, at once."""
    translate: bool = False
    """True when ``?`` placeholders become ``%s`` (psycopg)."""


SQLITE = Dialect(name="sqlite", now="((julianday('now') - 2440587.5) * 86400.0)")
POSTGRES = Dialect(name="postgresql", now="EXTRACT(EPOCH FROM clock_timestamp())::double precision",
                   skip_locked=" FOR UPDATE SKIP LOCKED", for_update=" FOR UPDATE", single_runner=False,
                   translate=True)


@functools.lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled). No statement here holds a
    ``?`` inside a string literal."""
    return sql.replace("%", "%%").replace("?", "%s")


def lock_key(name: str) -> int:
    """A stable 32-bit key for an advisory lock on ``name``."""
    return zlib.crc32(name.encode("utf-8"))


@dataclass
class Tx:
    """A transaction (or, with ``autocommit``, a reader) on one connection.

    Example:
        >>> with store.transaction() as tx:
        ...     tx.execute("UPDATE deltas SET due = ? WHERE id = ?", (now, 7))
    """

    conn: Any
    dialect: Dialect
    autocommit: bool = False
    """A reader: each statement commits on its own (counter bumps are written at once)."""
    _bumps: dict[tuple[str, str], float] = field(default_factory=dict)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement (``?`` placeholders)."""
        if self.dialect.translate:
            return self.conn.execute(to_pyformat(sql), tuple(params))
        return self.conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row."""
        rows = [tuple(r) for r in rows]
        if not rows:
            return
        if self.dialect.translate:
            with self.conn.cursor() as cur:
                cur.executemany(to_pyformat(sql), rows)
        else:
            self.conn.executemany(sql, rows)

    def lock(self, name: str, *, shared: bool = False) -> None:
        """Hold an advisory lock on ``name`` until the transaction ends (PostgreSQL; SQLite's
        ``BEGIN IMMEDIATE`` already lets one writer in at a time)."""
        if self.dialect.name == "postgresql":
            fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
            self.conn.execute(f"SELECT {fn}(%s)", (lock_key(name),))

    def bump(self, name: str, labels: dict[str, str], by: float = 1.0) -> None:
        """Add ``by`` to a persistent counter, written when the transaction commits."""
        key = (name, labels_key(labels))
        self._bumps[key] = self._bumps.get(key, 0.0) + by
        if self.autocommit:
            self.flush()

    def flush(self) -> None:
        """Write the gathered counter bumps, in key order (called before the commit)."""
        if not self._bumps:
            return
        rows = [(name, labels, by, by) for (name, labels), by in sorted(self._bumps.items())]
        self._bumps.clear()
        self.executemany("INSERT INTO counters (name, labels, value) VALUES (?,?,?)"
                         " ON CONFLICT (name, labels) DO UPDATE SET value = counters.value + ?", rows)


def bump(tx: Tx | Any, name: str, labels: dict[str, str], by: float = 1.0) -> None:
    """Add ``by`` to a persistent counter inside the caller's transaction (``tx``; a bare SQLite
    connection, as older callers pass, is written to at once)."""
    if isinstance(tx, Tx):
        tx.bump(name, labels, by)
        return
    tx.execute("INSERT INTO counters (name, labels, value) VALUES (?,?,?)"
               " ON CONFLICT (name, labels) DO UPDATE SET value = counters.value + ?",
               (name, labels_key(labels), by, by))
