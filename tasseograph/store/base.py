"""The storage interface: everything the runner keeps, whatever the engine under it.

:class:`Store` is the one way the runner, the findings commands, ``tasseograph state`` and the
metrics exporter read and write their state. A backend (``sqlite.py``, ``postgres.py``) says
how to connect, how a transaction starts and ends (and which failures it may retry), how the
schema is migrated and how the store is checked; the table groups hold the SQL, once for both
engines: ``queue.py`` (cursors, queue, leases, verdicts), ``findings.py`` (findings, links,
events, suppressions), ``alerts.py`` (alert state and outbox), ``baselines.py``, ``ledger.py``
(spend, holds, meta, the scrape snapshot).

Work that must commit together is done through one call (:meth:`Store.ingest`,
:meth:`Store.finish`, :meth:`Store.mark_interim`), or through :meth:`Store.transaction` with
the table groups' functions. Leases are measured on the database's clock and last
``Store.lease`` seconds (``store.lease``).
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from tasseograph.baseline import BaselineSettings, HostBaseline
from tasseograph.schema import Verdict
from tasseograph.store import alerts, ledger, queue
from tasseograph.store.baselines import load_baseline
from tasseograph.store.findings import FindingStore
from tasseograph.store.records import Chunk, CursorUpdate, Event, QueuedDelta, Snapshot
from tasseograph.store.tx import Dialect, Tx

T = TypeVar("T")
DEFAULT_LEASE = 300.0
"""Seconds a claim on a delta, a host's source or an outbox row lasts (the runner renews its
deltas' leases before each model call)."""
FINDINGS_LOCK = "findings"
"""Held shared by every verdict's transaction and exclusively by the sweep and operators' moves."""
Work = Callable[[Tx], None]


class Store(ABC):
    """The runner's state (see the module docstring). Not thread-safe: one per thread."""

    dialect: Dialect
    location: str
    """Where the store is, fit for a message (a URL's credentials masked)."""
    lease: float = DEFAULT_LEASE

    # --- what a backend provides ----------------------------------------------------------

    @abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[Tx]:
        """A write transaction: committed when the block ends, rolled back on any exception."""

    @property
    @abstractmethod
    def reader(self) -> Tx:
        """Statements outside a transaction (each reads the latest committed state)."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    def atomic(self, work: Callable[[Tx], T]) -> T:
        """``work`` in one transaction; a backend may run it again after a transient conflict
        (a deadlock between runners), so ``work`` must read what it changes inside ``tx``."""
        with self.transaction() as tx:
            return work(tx)

    def read_back(self, source: str) -> tuple[dict[str, str], set[str]]:
        """A source's cursors and pending origins as committed (before spool files are deleted)."""
        return queue.cursors(self.reader, source), queue.pending_origins(self.reader, source)

    @property
    def single_runner(self) -> bool:
        """True when one runner at a time uses the store (see ``Dialect.single_runner``)."""
        return self.dialect.single_runner

    # --- cursors and ingest ----------------------------------------------------------------

    def cursors(self, source: str) -> dict[str, str]:
        """All cursors of a source, key to value."""
        return queue.cursors(self.reader, source)

    def pending_origins(self, source: str) -> set[str]:
        """Origins (source files) of a source with lines in a delta still waiting for its verdict."""
        return queue.pending_origins(self.reader, source)

    def claim_sources(self, source: str, keys: Sequence[str], owner: str) -> set[str]:
        """Lease hosts of a source to ``owner`` for reading; returns those granted (others are
        being read by another runner)."""
        return self.atomic(lambda tx: queue.claim_sources(tx, source, keys, owner, self.lease))

    def ingest(self, chunks: Sequence[Chunk], cursors: Sequence[CursorUpdate], events: Sequence[Event] = (), *,
               now: float, merge_limit: int = 0, leases: tuple[str, str, Sequence[str]] | None = None) -> None:
        """Queue chunks, move cursors and record events in one transaction.

        Args:
            merge_limit: > 0 merges a chunk into its host's waiting delta up to this many bytes.
            leases: ``(source, owner, keys)``: the source leases the scan was made under; they
                are checked and handed back in the same transaction.

        Raises:
            LeaseLostError: a lease ran out before the commit (nothing was stored).
        """
        def work(tx: Tx) -> None:
            if leases is not None:
                queue.check_and_release_sources(tx, leases[0], leases[2], leases[1])
            queue.ingest(tx, chunks, cursors, events, now=now, merge_limit=merge_limit)

        self.atomic(work)

    # --- the queue ---------------------------------------------------------------------------

    def due(self, now: float, limit: int = 1000) -> list[QueuedDelta]:
        """Deltas due for analysis and not backing off, oldest first (claims nothing)."""
        return queue.due(self.reader, now, limit)

    def claim(self, owner: str, now: float, *, limit: int = 1000) -> list[QueuedDelta]:
        """Lease due deltas to ``owner`` for ``lease`` seconds, oldest first."""
        return self.atomic(lambda tx: queue.claim(tx, owner, now, limit=limit, lease=self.lease))

    def renew(self, owner: str, ids: Sequence[int]) -> int:
        """Extend the owner's leases on ``ids``; returns how many it still held."""
        return self.atomic(lambda tx: queue.renew(tx, owner, ids, self.lease))

    def release(self, owner: str) -> int:
        """Hand back the owner's leases on deltas it leaves queued."""
        return self.atomic(lambda tx: queue.release(tx, owner))

    def retry_later(self, delta_ids: Sequence[int], next_try: Callable[[int], float], error: str, *,
                    owner: str | None = None) -> None:
        """Keep deltas queued after a failed call; ``next_try(attempts)`` gives the new time."""
        self.atomic(lambda tx: queue.retry_later(tx, delta_ids, next_try, error, owner=owner))

    def mark_interim(self, delta: QueuedDelta | int, work: Work, *, locks: Sequence[str] = ()) -> bool:
        """Record that a signals-only check ran for a still-queued delta, with ``work`` (its findings
        and alerts) in the same transaction; False (nothing done) when the caller lost its lease.

        ``locks``: advisory locks ``work`` needs, taken first (see :meth:`finish`)."""
        item = delta if isinstance(delta, QueuedDelta) else None
        delta_id = delta.id if isinstance(delta, QueuedDelta) else delta

        def run(tx: Tx) -> bool:
            for name in locks:
                tx.lock(name)
            if item is not None:
                self._lock_host(tx, item.host)
            if not queue.mark_interim(tx, delta_id, owner=item.owner if item else None):
                return False
            work(tx)
            return True

        return self.atomic(run)

    def queue_stats(self, now: float) -> tuple[int, float]:
        """Queue depth and the age in seconds of the oldest queued delta."""
        return queue.queue_stats(self.reader, now)

    # --- verdicts ----------------------------------------------------------------------------

    def finish(self, delta: QueuedDelta, verdict: Verdict, *, now: float, fallback: str | None = None,
               alert_work: Work | None = None, locks: Sequence[str] = ()) -> bool:
        """Store a verdict and take its delta off the queue, in one transaction.

        Returns False (and changes nothing) when the delta is no longer queued or another runner
        holds its lease, so a verdict can never be stored, counted or alerted twice. ``locks``:
        advisory locks ``alert_work`` needs (the fleet state's), taken before the store's own, so
        every runner takes them in one order.
        """
        def run(tx: Tx) -> bool:
            for name in locks:
                tx.lock(name)
            self._lock_host(tx, delta.host)
            if not queue.dequeue(tx, delta):
                return False
            queue.store_verdict(tx, delta, verdict, now=now, fallback=fallback)
            if alert_work is not None:
                alert_work(tx)
            return True

        return self.atomic(run)

    @staticmethod
    def _lock_host(tx: Tx, host: str) -> None:
        # Before any row is touched: the sweep (exclusive) and verdicts (shared, then per host)
        # take their locks in one order, so runners never deadlock on findings.
        tx.lock(FINDINGS_LOCK, shared=True)
        tx.lock(f"host:{host}")

    def prune(self, before: float) -> int:
        """Delete verdicts, sightings, links, source events and learned baseline templates older than
        ``before``; returns the verdicts deleted (findings have their own retention)."""
        return self.atomic(lambda tx: queue.prune(tx, before))

    def model_calls(self, host: str, since: float) -> int:
        """Verdicts of ``host`` since ``since`` for which a model was called (not skipped, no fallback)."""
        return queue.model_calls(self.reader, host, since)

    def hosts(self) -> dict[str, tuple[float | None, str | None, float | None]]:
        """Per host: last check time, last status, last anomaly time."""
        return queue.hosts(self.reader)

    def verdict_rows(self) -> list[tuple[str, str, str]]:
        """``(host, ref, verdict JSON)`` of every stored verdict, in order (tests, exports)."""
        return queue.verdict_rows(self.reader)

    # --- spend, counters, meta -----------------------------------------------------------------

    def spent(self, now: float) -> tuple[float, float]:
        """USD spent in the UTC day and UTC month of ``now``."""
        return ledger.spent(self.reader, now)

    def reserve_spend(self, owner: str, usd: float, now: float, allows: Callable[[float, float], bool]) -> bool:
        """Hold ``usd`` for a call when ``allows(day, month)`` (spend plus every runner's live holds)."""
        return self.atomic(lambda tx: ledger.reserve(tx, owner, usd, now, allows, self.lease))

    def release_spend(self, owner: str) -> None:
        """Drop the owner's spend holds (its calls' cost is stored with their verdicts)."""
        self.atomic(lambda tx: ledger.release_holds(tx, owner))

    def bump(self, name: str, labels: dict[str, str], by: float = 1.0) -> None:
        """Add to a persistent counter in its own transaction."""
        self.atomic(lambda tx: tx.bump(name, labels, by))

    def get_meta(self, key: str) -> Any:
        """A JSON value from the meta table, or None."""
        return ledger.get_meta(self.reader, key)

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value in the meta table."""
        self.atomic(lambda tx: ledger.set_meta(tx, key, value))

    def update_meta(self, key: str, change: Callable[[Any], Any]) -> Any:
        """Replace a meta value by ``change(old)`` atomically (runners share it); returns the new one."""
        return self.atomic(lambda tx: ledger.update_meta(tx, key, change))

    def baseline(self, host: str, settings: BaselineSettings, *, now: float) -> HostBaseline:
        """The host's baseline as stored (expired templates left out)."""
        baseline = load_baseline(self.reader, host, settings)
        baseline.expire(now)
        return baseline

    def snapshot(self, now: float, *, refused_prefix: str) -> Snapshot:
        """Everything a metrics scrape reads."""
        return ledger.snapshot(self.reader, now, refused_prefix=refused_prefix)

    def findings(self) -> FindingStore:
        """The findings tables for reading (write through a transaction: ``FindingStore(tx)``)."""
        return FindingStore(self.reader)

    # --- alert delivery -----------------------------------------------------------------------

    def claim_outbox(self, owner: str, *, limit: int) -> list[alerts.Outboxed]:
        """Outbox rows to post, claimed for ``owner`` (see ``store/alerts.py``)."""
        return self.atomic(lambda tx: alerts.claim_outbox(tx, owner, limit=limit, lease=self.lease))

    def claim_reposts(self, now: float, repost: float, *, limit: int) -> list[tuple[str, str, str, float, float]]:
        """Firing alerts due for a re-post, marked posted now."""
        return self.atomic(lambda tx: alerts.claim_reposts(tx, now, repost, limit=limit))

    def mark_posted(self, posted: Sequence[tuple[int | None, str]], now: float) -> None:
        """Drop posted outbox rows and note their alerts' post time."""
        self.atomic(lambda tx: alerts.mark_posted(tx, posted, now))

    def unclaim_alerts(self, owner: str, reposts: Sequence[tuple[str, float]] = ()) -> None:
        """After a failed post: the owner's outbox rows back to everyone, re-posts due again."""
        self.atomic(lambda tx: alerts.unclaim(tx, owner, reposts))

    # --- context -------------------------------------------------------------------------------

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rows_of(store: Store, table: str) -> Iterator[tuple[Any, ...]]:
    """Every row of a table (tests and copies between stores)."""
    yield from (tuple(r) for r in store.reader.execute(f'SELECT * FROM "{table}"'))
