"""Where the runner's state lived before ``tasseograph.store``: the old names, kept for code written
against them (``State`` is the SQLite backend). New code imports ``tasseograph.store``."""

from __future__ import annotations

from tasseograph.store.baselines import learn_baseline, load_baseline, save_baseline
from tasseograph.store.queue import QUARANTINE_EVENTS
from tasseograph.store.records import Chunk, CursorUpdate, Event, QueuedDelta, day_key, labels_key
from tasseograph.store.schema import SCHEMA_VERSION
from tasseograph.store.sqlite import SQLiteStore as State
from tasseograph.store.sqlitefile import connect
from tasseograph.store.tx import bump

__all__ = [
    "QUARANTINE_EVENTS", "SCHEMA_VERSION", "Chunk", "CursorUpdate", "Event", "QueuedDelta", "State", "bump",
    "connect", "day_key", "labels_key", "learn_baseline", "load_baseline", "save_baseline",
]
