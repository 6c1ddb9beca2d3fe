"""Where the SQLite state file's care lived before ``tasseograph.store``: the old names, kept for code
written against them. New code imports ``tasseograph.store.sqlitefile`` / ``sqlitecheck``."""

from __future__ import annotations

from tasseograph.store.sqlitecheck import Recovery, StateReport, check_state, open_state, recover_state
from tasseograph.store.sqlitefile import (
    SQLITE_MAGIC,
    backup_state,
    check_header,
    quick_check,
    schema_version,
    state_error,
    state_errors,
)

__all__ = [
    "SQLITE_MAGIC", "Recovery", "StateReport", "backup_state", "check_header", "check_state", "open_state",
    "quick_check", "recover_state", "schema_version", "state_error", "state_errors",
]
