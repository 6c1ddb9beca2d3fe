"""The PostgreSQL backend (psycopg 3): one database shared by several runners.

``--state postgresql://user@host/db`` (or the config key ``state``). The driver is
``psycopg[binary]``: its wheel carries libpq, so nothing is built and the runner does not depend
on the machine's libpq version; it is imported only when a URL is given (the ``postgres``
extra: ``pip install -e '.[postgres]'`` in the checkout). The password comes from the URL, ``PGPASSWORD`` or ``~/.pgpass``
(libpq's own rules) and never appears in a message: the URL is shown masked.

Transactions run at READ COMMITTED. What several runners do at once is made safe by the
statements themselves (claims with ``FOR UPDATE SKIP LOCKED``, leases checked in the
transaction that ends them, counters added with ``value = value + x``) and by advisory locks
around read-modify-write work (one host's findings, one alert, the spend holds, a meta key).
A transaction two runners deadlock on is rolled back by the server and run again here
(:meth:`PostgresStore.atomic`).

Migrations run in one transaction under an advisory lock: runners starting at once migrate once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from tasseograph.errors import StateError, UsageError
from tasseograph.store.base import Store
from tasseograph.store.schema import POSTGRES_MIGRATIONS, SCHEMA_VERSION, TABLES
from tasseograph.store.tx import POSTGRES, Tx, lock_key

log = logging.getLogger(__name__)

T = TypeVar("T")
MIGRATION_LOCK = "tasseograph schema migration"
RETRIES = 8
"""Times a transaction is run again after a deadlock or serialization failure."""
CONNECT_TIMEOUT = 10
INSTALL_HINT = "pip install 'psycopg[binary]' (psycopg 3; in the checkout: pip install -e '.[postgres]')"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise UsageError(f"a postgresql:// state needs the psycopg driver: {INSTALL_HINT}") from None
    return psycopg


class PostgresStore(Store):
    """The state in a PostgreSQL database (see the module docstring)."""

    dialect = POSTGRES

    def __init__(self, url: str, *, shown: str, migrate: bool = True, application: str = "tasseograph",
                 readonly: bool = False) -> None:
        self.url = url
        self.location = shown
        self.application = application
        self.readonly = readonly
        """Every transaction read-only (the metrics exporter, the fleet page): the server refuses writes."""
        self._pg = _psycopg()
        self.conn: Any = None
        self._connect()
        if migrate:
            self.migrate()

    def _connect(self) -> None:
        try:
            self.conn = self._pg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                                         application_name=self.application)
            if self.readonly:
                self.conn.execute("SET default_transaction_read_only = on")
        except self._pg.Error as exc:
            raise StateError(f"cannot connect to PostgreSQL at {self.location}: {self._clean(exc)}; check that the "
                             "server runs and the URL, user and password (PGPASSWORD or ~/.pgpass) are right",
                             path=self.location) from None

    def _clean(self, exc: Exception) -> str:
        """The driver's message on one line, without the URL's password."""
        text = " ".join(str(exc).split())
        info = self._pg.conninfo.conninfo_to_dict(self.url) if "://" in self.url else {}
        password = str(info.get("password") or "")
        return text.replace(password, "***") if password else text

    @property
    def reader(self) -> Tx:
        """Statements in autocommit mode (each sees the latest commit)."""
        self._ensure()
        return Tx(self.conn, POSTGRES, autocommit=True)

    def _ensure(self) -> None:
        if self.conn is None or self.conn.closed or self.conn.broken:
            self._connect()

    def close(self) -> None:
        """Close the connection."""
        if self.conn is not None:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction (``BEGIN`` ... ``COMMIT``; rolled back on any exception)."""
        self._ensure()
        with self.errors(), self.conn.transaction():
            tx = Tx(self.conn, POSTGRES)
            yield tx
            tx.flush()

    def atomic(self, work: Callable[[Tx], T]) -> T:
        """``work`` in one transaction, run again when the server rolled it back for a deadlock or
        a serialization failure with another runner."""
        transient = (self._pg.errors.DeadlockDetected, self._pg.errors.SerializationFailure)
        for attempt in range(RETRIES):
            try:
                self._ensure()
                with self.conn.transaction():
                    tx = Tx(self.conn, POSTGRES)
                    result = work(tx)
                    tx.flush()
                return result
            except transient as exc:
                if attempt == RETRIES - 1:
                    raise StateError(f"PostgreSQL at {self.location}: {self._clean(exc)} (after {RETRIES} tries)",
                                     path=self.location) from None
                log.debug("transaction rolled back (%s): again", type(exc).__name__)
                time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
            except self._pg.Error as exc:
                raise self.error(exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def errors(self) -> Iterator[None]:
        """The driver's errors as one :class:`StateError` line."""
        try:
            yield
        except self._pg.Error as exc:
            raise self.error(exc) from None

    def error(self, exc: Exception) -> StateError:
        """The one-line error for a failure of the database."""
        if isinstance(exc, self._pg.OperationalError):
            return StateError(f"PostgreSQL at {self.location} is unreachable ({self._clean(exc)}): the runner "
                              "tries again next cycle; nothing is lost (the spool keeps its files)",
                              path=self.location)
        return StateError(f"PostgreSQL at {self.location}: {self._clean(exc)}", path=self.location)

    def schema_version(self) -> int:
        """The database's ``meta.schema_version`` (0 before the first migration)."""
        row = self.reader.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
        if not row[0]:
            return 0
        found = self.reader.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(found[0]) if found else 0

    def migrate(self) -> None:
        """Apply the migrations the database lacks, in one transaction under an advisory lock.

        Raises:
            StateError: a newer tasseograph migrated the database (nothing is changed).
        """
        with self.transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (lock_key(MIGRATION_LOCK),))
            tx.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = tx.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StateError(f"the PostgreSQL state at {self.location} is schema version {version}, written by "
                                 f"a newer tasseograph (this one reads up to {SCHEMA_VERSION}): upgrade tasseograph",
                                 path=self.location)
            for step in POSTGRES_MIGRATIONS:
                if version < step.version:
                    log.info("migrating %s to schema version %d: %s", self.location, step.version, step.what)
                    step.apply(tx)
                    version = step.version
            tx.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key)"
                       " DO UPDATE SET value = excluded.value", (str(version),))

    def table_rows(self) -> dict[str, int]:
        """Rows per table (``tasseograph state check``)."""
        out = {}
        for table in TABLES:
            (n,) = self.reader.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
            out[table] = int(n)
        return out
