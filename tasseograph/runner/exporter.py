"""Prometheus exposition of the runner's metrics, read from the state file at scrape time.

Every value comes from SQLite through a custom collector, so a cron run and a daemon expose
the same numbers and counters keep counting across runs (they are stored with the verdicts,
in the same transaction, so they are exact). ``Metrics`` takes a ``CollectorRegistry``; it never
touches the global ``REGISTRY``. The names, help texts and labels are in ``runner/metrics.py``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server, write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as _CollectorBase

from tasseograph.runner import metrics as names
from tasseograph.runner.backoff import CIRCUIT_STATES
from tasseograph.runner.spool import REFUSED_PREFIX
from tasseograph.runner.state import connect, day_key


class Collector(_CollectorBase):
    """Reads the state file at each collect (its own read-only connection: scrapes run in another thread)."""

    def __init__(self, path: Path, *, daily_usd: float = 0.0, monthly_usd: float = 0.0) -> None:
        self.path = path
        self.caps = {"day": daily_usd, "month": monthly_usd}

    def collect(self) -> Iterator[Metric]:
        """All runner metrics."""
        if not self.path.exists():
            return
        conn = connect(self.path, readonly=True)
        try:
            yield from self._counters(conn)
            yield from self._gauges(conn, time.time())
        finally:
            conn.close()

    def _counters(self, conn: sqlite3.Connection) -> Iterator[Metric]:
        values: dict[str, list[tuple[dict[str, str], float]]] = {name: [] for name in names.COUNTERS}
        for name, labels, value in conn.execute("SELECT name, labels, value FROM counters"):
            if name in values:
                values[name].append((json.loads(labels), value))
        for name, (doc, label_names) in names.COUNTERS.items():
            family = CounterMetricFamily(name.removesuffix("_total"), doc, labels=label_names)
            rows = values[name] or ([({}, 0.0)] if not label_names else [])
            for labels, value in rows:
                family.add_metric([labels.get(k, "") for k in label_names], value)
            yield family

    def _gauges(self, conn: sqlite3.Connection, now: float) -> Iterator[Metric]:
        last = _gauge(names.LAST_CHECK)
        for host, ts in conn.execute("SELECT host, last_check FROM hosts WHERE last_check IS NOT NULL"):
            last.add_metric([host], ts)
        yield last
        depth, oldest = conn.execute("SELECT COUNT(*), MIN(created) FROM deltas").fetchone()
        yield _gauge(names.QUEUE_DEPTH, depth)
        yield _gauge(names.QUEUE_OLDEST_AGE, (now - oldest) if oldest is not None else 0.0)
        yield from self._budget(conn, now)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        circuit = json.loads(meta.get("circuit", "{}")).get("state", "closed")
        fam = _gauge(names.CIRCUIT_STATE)
        for state in CIRCUIT_STATES:
            fam.add_metric([state], 1.0 if state == circuit else 0.0)
        yield fam
        yield self._baseline_sizes(conn)
        yield self._findings(conn)
        (refused,) = conn.execute(
            "SELECT COUNT(*) FROM cursors WHERE source='spool' AND key LIKE ? AND value NOT LIKE 'ignored%'",
            (REFUSED_PREFIX + "%",)).fetchone()
        yield _gauge(names.SPOOL_REFUSED, refused)
        (firing,) = conn.execute("SELECT COUNT(*) FROM alerts WHERE state='firing'").fetchone()
        yield _gauge(names.ALERTS_FIRING, firing)
        yield _gauge(names.LAST_RUN, float(json.loads(meta.get("last_run", "0"))))

    @staticmethod
    def _baseline_sizes(conn: sqlite3.Connection) -> Metric:
        fam = _gauge(names.BASELINE_TEMPLATES)
        try:
            rows = conn.execute("SELECT host, poisoned, COUNT(*) FROM baseline_templates GROUP BY host, poisoned")
        except sqlite3.OperationalError:  # a file the runner has not opened since version 2: no table yet
            return fam
        for host, poisoned, n in rows:
            fam.add_metric([host, "poisoned" if poisoned else "learned"], n)
        return fam

    @staticmethod
    def _findings(conn: sqlite3.Connection) -> Metric:
        fam = _gauge(names.FINDINGS)
        try:
            rows = conn.execute("SELECT state, severity, COUNT(*) FROM findings GROUP BY state, severity").fetchall()
        except sqlite3.OperationalError:  # a file the runner has not opened since version 4
            return fam
        for state, severity, n in rows:
            fam.add_metric([state, severity], n)
        return fam

    def _budget(self, conn: sqlite3.Connection, now: float) -> Iterator[Metric]:
        day = day_key(now)
        (d,) = conn.execute("SELECT COALESCE(SUM(usd),0) FROM spend WHERE day=?", (day,)).fetchone()
        (m,) = conn.execute("SELECT COALESCE(SUM(usd),0) FROM spend WHERE day LIKE ?", (day[:7] + "-%",)).fetchone()
        row = conn.execute("SELECT value FROM meta WHERE key='budget'").fetchone()
        exhausted = json.loads(row[0]).get("exhausted") if row else None
        spent, limit, state = _gauge(names.BUDGET_SPENT), _gauge(names.BUDGET_LIMIT), _gauge(names.BUDGET_EXHAUSTED)
        for period, value in (("day", d), ("month", m)):
            spent.add_metric([period], value)
            limit.add_metric([period], self.caps[period])
            state.add_metric([period], 1.0 if exhausted == period else 0.0)
        yield from (spent, limit, state)


def _gauge(name: str, value: float | None = None) -> GaugeMetricFamily:
    """A gauge family as ``metrics.GAUGES`` describes it (a value only for unlabelled ones)."""
    doc, labels = names.GAUGES[name]
    if labels:
        return GaugeMetricFamily(name, doc, labels=list(labels))
    return GaugeMetricFamily(name, doc, value=value)


class Metrics:
    """The runner's metrics on a registry the caller owns.

    Example:
        >>> registry = CollectorRegistry()
        >>> metrics = Metrics(registry, Path("state.db"))
        >>> registry.get_sample_value(metrics.API_ERRORS)
    """

    def __init__(self, registry: CollectorRegistry, state_path: Path, *, daily_usd: float = 0.0,
                 monthly_usd: float = 0.0) -> None:
        self.registry = registry
        registry.register(Collector(state_path, daily_usd=daily_usd, monthly_usd=monthly_usd))
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def write_textfile(self, path: Path) -> None:
        """Write the node_exporter textfile (atomically: a temp file renamed over it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_to_textfile(str(path), self.registry)

    def serve(self, listen: str) -> int:
        """Serve ``/metrics`` on ``host:port`` in a daemon thread; returns the bound port."""
        host, _, port = listen.rpartition(":")
        server, thread = start_http_server(int(port), addr=host or "0.0.0.0", registry=self.registry)
        self._server, self._thread = server, thread
        return int(server.server_address[1])

    def stop(self) -> None:
        """Stop the HTTP server, if any."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
