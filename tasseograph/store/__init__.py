"""The runner's state behind one interface (``base.Store``), on SQLite or PostgreSQL.

>>> store = open_store("/var/lib/tasseograph/state.db")          # SQLite, the default
>>> store = open_store("postgresql://tasseograph@db1/tasseograph")  # several runners, one fleet

:func:`open_store` picks the backend from the location (``--state``, config key ``state``): a
``postgresql://`` (or ``postgres://``) URL is PostgreSQL, anything else a SQLite file path.
:func:`shown` is the location fit for a message (credentials masked); :func:`store_errors`
turns either engine's errors into one :class:`~tasseograph.errors.StateError` line.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tasseograph.errors import StateError
from tasseograph.runner.credentials import mask_url
from tasseograph.store.base import DEFAULT_LEASE, Store
from tasseograph.store.records import Chunk, CursorUpdate, Event, QueuedDelta, Snapshot
from tasseograph.store.sqlitefile import state_error

URL_SCHEMES = ("postgresql://", "postgres://")

__all__ = [
    "DEFAULT_LEASE", "URL_SCHEMES", "Chunk", "CursorUpdate", "Event", "QueuedDelta", "Snapshot", "Store",
    "is_url", "open_store", "shown", "store_errors", "without_password",
]


def is_url(location: str | Path) -> bool:
    """True for a PostgreSQL URL, False for a SQLite file path."""
    return isinstance(location, str) and location.lower().startswith(URL_SCHEMES)


def shown(location: str | Path) -> str:
    """The location fit for a log line or an error: a URL's password (in its user part or its
    ``password=`` parameter) masked."""
    if not is_url(location):
        return str(location)
    text = mask_url(str(location))
    parts = urllib.parse.urlsplit(text)
    if "password" not in parts.query.lower():
        return text
    query = [(k, "***" if k.lower() == "password" else v) for k, v in urllib.parse.parse_qsl(parts.query)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, safe="*")))


def without_password(location: str | Path) -> str:
    """The location as a command to copy names it: a URL without its password (libpq then reads it
    from ``PGPASSWORD`` or ``~/.pgpass``), user, host and options kept."""
    if not is_url(location):
        return str(location)
    parts = urllib.parse.urlsplit(str(location))
    netloc = parts.netloc.rpartition("@")
    if netloc[1]:
        user = netloc[0].partition(":")[0]
        parts = parts._replace(netloc=f"{user}@{netloc[2]}" if user else netloc[2])
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k.lower() != "password"]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def open_store(location: str | Path, *, migrate: bool = True, readonly: bool = False,
               lease: float = DEFAULT_LEASE, application: str = "tasseograph") -> Store:
    """Open the store at ``location`` (a path or a ``postgresql://`` URL), migrated to this version.

    A SQLite file is checked first and backed up before a migration (``sqlitecheck.open_state``);
    ``readonly`` opens either without writing or migrating (the metrics exporter, the fleet page).

    Raises:
        StateError: the store cannot be opened, is damaged, or a newer tasseograph wrote it.
        UsageError: a URL was given and the PostgreSQL driver is not installed.
    """
    store: Store
    if is_url(location):
        from tasseograph.store.postgres import PostgresStore

        store = PostgresStore(str(location), shown=shown(location), migrate=migrate and not readonly,
                              application=application, readonly=readonly)
    elif readonly:
        from tasseograph.store.sqlite import SQLiteStore

        with store_errors(location):
            store = SQLiteStore(Path(location), readonly=True)
    else:
        from tasseograph.store.sqlitecheck import open_state

        store = open_state(Path(location))
    store.lease = lease
    return store


@contextmanager
def store_errors(location: str | Path | Store) -> Iterator[None]:
    """Either engine's errors on the store as one :class:`StateError` line that says what to do."""
    where = location.location if isinstance(location, Store) else shown(location)
    try:
        yield
    except sqlite3.Error as exc:
        raise state_error(exc, Path(where)) from None
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):
            text = " ".join(str(exc).split())
            raise StateError(f"PostgreSQL at {where}: {text}", path=where) from None
        raise
