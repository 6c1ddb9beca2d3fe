"""Whether a state can be read here, without writing to it: the check the read-only commands
(``tasseograph dashboard``, ``tasseograph review``) make before they open it."""

from __future__ import annotations

from pathlib import Path

from tasseograph.errors import StateError
from tasseograph.store import Store, is_url, open_store, shown, store_errors
from tasseograph.store.schema import SCHEMA_VERSION
from tasseograph.store.sqlitefile import check_header, schema_version, state_errors


def readable_version(location: Path | str, *, min_version: int, too_old: str) -> int:
    """The schema version of the state at ``location`` (a file or a ``postgresql://`` URL), once it
    is known to be readable here: at least ``min_version``, at most this tasseograph's.

    Args:
        too_old: what a state older than ``min_version`` is, and what to do (it follows
            "state X is schema version N, " in the message).

    Raises:
        StateCorruptError: the file is not an SQLite database or was cut short.
        StateError: there is no file (or the database cannot be reached), it holds no state yet,
            or its schema is one this tasseograph does not read.
    """
    where = shown(location)
    if is_url(location):
        store = open_store(location, readonly=True, migrate=False)
        try:
            with store_errors(store):
                version = int(store.get_meta("schema_version") or 0) if "meta" in _tables(store) else 0
        finally:
            store.close()
    else:
        path = Path(location)
        if not path.is_file():
            raise StateError(f"no state file at {path}: run `tasseograph run --once` first, or pass --state PATH "
                             "(or the --config the runner uses)", path=str(path))
        check_header(path)
        with state_errors(path):
            version = schema_version(path)
    if version == 0:
        raise StateError(f"state {where} is empty: it holds no tasseograph state yet; `tasseograph run --once` "
                         "fills it", path=where)
    if version < min_version:
        raise StateError(f"state {where} is schema version {version}, {too_old}", path=where)
    if version > SCHEMA_VERSION:
        raise StateError(f"state {where} is schema version {version}, written by a newer tasseograph (this one "
                         f"reads up to {SCHEMA_VERSION}): upgrade tasseograph", path=where)
    return version


def _tables(store: Store) -> set[str]:
    """The tables a PostgreSQL store holds (its current schema)."""
    rows = store.reader.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                "current_schema()").fetchall()
    return {r[0] for r in rows}
