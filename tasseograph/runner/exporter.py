"""Prometheus exposition of the runner's metrics, read from the store at scrape time.

Every value comes from the store through a custom collector, so a cron run and a daemon expose
the same numbers and counters keep counting across runs (they are stored with the verdicts,
in the same transaction, so they are exact); with several runners on one PostgreSQL store each
one's endpoint shows the fleet's totals. ``Metrics`` takes a ``CollectorRegistry``; it never
touches the global ``REGISTRY``. The names, help texts and labels are in ``runner/metrics.py``.
"""

from __future__ import annotations

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
from tasseograph.store import is_url, open_store
from tasseograph.store.records import Snapshot


class Collector(_CollectorBase):
    """Reads the store at each collect (its own read-only connection: scrapes run in another thread)."""

    def __init__(self, location: Path | str, *, daily_usd: float = 0.0, monthly_usd: float = 0.0) -> None:
        self.location = location
        self.caps = {"day": daily_usd, "month": monthly_usd}

    def collect(self) -> Iterator[Metric]:
        """All runner metrics."""
        if not is_url(self.location) and not Path(self.location).exists():
            return
        now = time.time()
        store = open_store(self.location, readonly=True, application="tasseograph-metrics")
        try:
            snap = store.snapshot(now, refused_prefix=REFUSED_PREFIX)
        finally:
            store.close()
        yield from self._counters(snap)
        yield from self._gauges(snap, now)

    @staticmethod
    def _counters(snap: Snapshot) -> Iterator[Metric]:
        values: dict[str, list[tuple[dict[str, str], float]]] = {name: [] for name in names.COUNTERS}
        for name, labels, value in snap.counters:
            if name in values:
                values[name].append((labels, value))
        for name, (doc, label_names) in names.COUNTERS.items():
            family = CounterMetricFamily(name.removesuffix("_total"), doc, labels=label_names)
            rows = values[name] or ([({}, 0.0)] if not label_names else [])
            for labels, value in rows:
                family.add_metric([labels.get(k, "") for k in label_names], value)
            yield family

    def _gauges(self, snap: Snapshot, now: float) -> Iterator[Metric]:
        last = _gauge(names.LAST_CHECK)
        for host, ts in snap.last_checks.items():
            last.add_metric([host], ts)
        yield last
        yield _gauge(names.QUEUE_DEPTH, snap.queue_depth)
        yield _gauge(names.QUEUE_OLDEST_AGE, (now - snap.queue_oldest) if snap.queue_oldest is not None else 0.0)
        yield from self._budget(snap)
        circuit = snap.meta.get("circuit") or {}
        state = circuit.get("state", "closed") if isinstance(circuit, dict) else "closed"
        fam = _gauge(names.CIRCUIT_STATE)
        for name in CIRCUIT_STATES:
            fam.add_metric([name], 1.0 if name == state else 0.0)
        yield fam
        sizes = _gauge(names.BASELINE_TEMPLATES)
        for host, poisoned, n in snap.baseline_sizes:
            sizes.add_metric([host, "poisoned" if poisoned else "learned"], n)
        yield sizes
        findings = _gauge(names.FINDINGS)
        for state_name, severity, n in snap.findings:
            findings.add_metric([state_name, severity], n)
        yield findings
        yield _gauge(names.SPOOL_REFUSED, snap.refused)
        yield _gauge(names.ALERTS_FIRING, snap.alerts_firing)
        last_run = snap.meta.get("last_run")
        yield _gauge(names.LAST_RUN, float(last_run) if isinstance(last_run, int | float) else 0.0)

    def _budget(self, snap: Snapshot) -> Iterator[Metric]:
        budget = snap.meta.get("budget") or {}
        exhausted = budget.get("exhausted") if isinstance(budget, dict) else None
        spent, limit, state = _gauge(names.BUDGET_SPENT), _gauge(names.BUDGET_LIMIT), _gauge(names.BUDGET_EXHAUSTED)
        for period, value in (("day", snap.spent_day), ("month", snap.spent_month)):
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
        >>> metrics = Metrics(registry, Path("state.db"))  # or a postgresql:// URL
        >>> registry.get_sample_value(metrics.API_ERRORS)
    """

    def __init__(self, registry: CollectorRegistry, state: Path | str, *, daily_usd: float = 0.0,
                 monthly_usd: float = 0.0) -> None:
        self.registry = registry
        registry.register(Collector(state, daily_usd=daily_usd, monthly_usd=monthly_usd))
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
