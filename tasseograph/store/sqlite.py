"""The SQLite backend: one file in WAL mode, one runner at a time (the default, for one machine).

``synchronous=FULL`` because a spool file is deleted once its lines' verdicts are committed: a
commit lost to a power cut would otherwise lose the lines. The file is created mode 0600 (it
holds raw log lines). Writers take ``BEGIN IMMEDIATE``, so a transaction never fails half-way
on a lock. The file's own care is in ``sqlitefile.py`` (connect, header, errors, backup) and
``sqlitecheck.py`` (open with checks, check, recover).

One runner uses a file at a time (``tasseograph run`` holds ``<file>.lock``), so a claim takes
over at once the leases a killed run left behind (``Dialect.single_runner``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

from tasseograph.store import queue
from tasseograph.store.base import Store
from tasseograph.store.schema import SQLITE_MIGRATIONS
from tasseograph.store.sqlitefile import check_header, connect, state_errors
from tasseograph.store.tx import SQLITE, Tx


class SQLiteStore(Store):
    """The state in one SQLite file (see the module docstring)."""

    dialect = SQLITE

    def __init__(self, path: Path | str, *, migrate: bool = True, readonly: bool = False) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = connect(self.path, readonly=readonly)
        self._reader = Tx(self.conn, SQLITE, autocommit=True)
        if migrate and not readonly:
            self.migrate()

    @property
    def reader(self) -> Tx:
        """Statements in autocommit mode on the store's connection."""
        return self._reader

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on any exception)."""
        self.conn.execute("BEGIN IMMEDIATE")
        tx = Tx(self.conn, SQLITE)
        try:
            yield tx
            tx.flush()
        except BaseException:
            # SQLite may have rolled back already (a full disk does): the original error matters.
            if self.conn.in_transaction:
                with suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def schema_version(self) -> int:
        """The file's ``meta.schema_version`` (0 before the first migration)."""
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:  # no meta table yet
            return 0
        return int(row[0]) if row else 0

    def migrate(self) -> None:
        """Apply the migrations the file lacks, each in one transaction with its version bump."""
        for step in SQLITE_MIGRATIONS:
            if self.schema_version() >= step.version:
                continue
            with self.transaction() as tx:
                step.apply(tx)
                tx.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key)"
                           " DO UPDATE SET value = excluded.value", (str(step.version),))

    def read_back(self, source: str) -> tuple[dict[str, str], set[str]]:
        """A source's cursors and pending origins as a fresh connection reads them from disk.

        The store's own connection may serve pages from its cache after the file was damaged
        under it; a spool file is deleted only when this read agrees that its lines are judged.

        Raises:
            StateCorruptError: the committed data cannot be read back, or the file is shorter
                than its own header says (truncated under the runner).
        """
        check_header(self.path)
        with state_errors(self.path), closing(connect(self.path, readonly=True)) as conn:
            tx = Tx(conn, SQLITE)
            return queue.cursors(tx, source), queue.pending_origins(tx, source)
