"""One runner cycle: ingest new lines, analyse what is due, update alert state, post alerts.

Queue discipline (why ``kill -9`` is harmless): a delta is removed from the queue only in the
transaction that stores its verdict (``State.finish``); a failed call leaves it queued with a
backoff time; a crash in the middle of a call simply means the call is made again.

Each due delta runs through the stages of ``tasseograph.stages`` once: prepared (signals
detected once, with the host's notes, suppressions and stored baseline), rendered once per call
(the budget estimate reads that request), judged, finished; the prepared hits go to baseline
learning. A judged failure of any kind but ``bad_reply`` keeps the delta queued (counted by
kind); a bad reply is finished with the signals and its ``ModelFailure``.

Degraded modes, each with a signals-only verdict from the ``rules`` model:

* budget cap reached: the delta is finished with the catalogue's verdict (``fallback="budget"``,
  ``model_error.kind == "budget"``) for the rest of the UTC day or month, and one alert says so;
* circuit open (or a failed call): the delta stays queued for the model, but its catalogue
  verdict is applied at once as an *interim* check, so critical signals still alert;
* a delta older than ``retry.max_age``: finished with the catalogue's verdict.

Findings (``runner/tracking.py``): the transaction that stores a verdict also counts its
findings as sightings of findings with a lifecycle, re-checks the host's open ones and changes
their alerts (one per finding); an interim check counts and alerts but re-checks nothing. The
host's operators' notes on its findings join its ``[hosts]`` notes for the prompt.

Fleet signals (``[fleet]``, ``runner/fleetwatch.py``): the same transaction (the interim check's,
when one came first: a delta is counted once) counts the prepared hits per host and device at
the lines' own times, correlates hosts over the inventory, and raises fleet findings; the
cycle's upkeep resolves those whose condition cleared.

Per-host baselines (``[baseline]``): a delta the host's baseline calls normal is finished
without a call, like a pre-filter skip; in a delta that is sent, the host's usual lines are
folded into one summary line (``[baseline] fold``). The baseline learns only from verdicts a model gave
(never from skips, fallbacks or unusable replies), in the transaction that stores the verdict.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tasseograph.batch import finish_batch, group_calls, render_batch
from tasseograph.errors import AlertError, ConfigError, SourceError, UsageError
from tasseograph.models.base import Model
from tasseograph.models.registry import get_model
from tasseograph.models.rules import RulesModel
from tasseograph.parsing import parse_delta
from tasseograph.prompts import Prompt, get_prompt
from tasseograph.runner import alerts, metrics
from tasseograph.runner.backoff import Backoff, CircuitBreaker
from tasseograph.runner.budget import Budget, Spent, estimate_cost
from tasseograph.runner.callcap import HOUR, CallCaps
from tasseograph.runner.config import ModelSection, RunnerConfig
from tasseograph.runner.credentials import Scrubber, known_secrets
from tasseograph.runner.fleetwatch import FleetWatch
from tasseograph.runner.polling import PollingPolicy
from tasseograph.runner.sources import Source, split_chunk
from tasseograph.runner.spool import Consumed, delete_judged
from tasseograph.runner.state import Chunk, QueuedDelta, State, bump, day_key, learn_baseline
from tasseograph.runner.tracking import FindingTracker
from tasseograph.schema import ModelFailure, Verdict
from tasseograph.signals import detect
from tasseograph.stages import Judged, Options, Prepared, Rendered, finish, judge, prepare, render, run

log = logging.getLogger(__name__)

POISON_ATTEMPTS = 3
"""A delta whose analysis raises unexpectedly this often gets a signals-only verdict."""
ALERT_POST_CHUNK = 200


@dataclass
class CycleReport:
    """What one cycle did (the CLI prints it as one line per pass)."""

    ingested: int = 0
    """New deltas queued."""
    analysed: int = 0
    """Verdicts stored (each takes its delta off the queue)."""
    failed: int = 0
    fallback: int = 0
    interim: int = 0
    alerts_posted: int = 0
    hosts: set[str] = field(default_factory=set)
    """Hosts with new lines or a stored verdict this pass."""
    statuses: Counter[str] = field(default_factory=Counter)
    """Stored verdicts by status."""
    skipped: int = 0
    """Stored verdicts decided without a model call (pre-filter or baseline)."""
    cost_usd: float = 0.0
    queued: int = 0
    """Deltas still queued after the pass (not yet due, or waiting to retry)."""


@dataclass
class _Work:
    """A queued delta, prepared (signals detected once, skip decided) with its host's options."""

    queued: QueuedDelta
    prepared: Prepared
    opts: Options
    """The runner's options with this host's notes, suppressions and baseline."""


@dataclass
class _Group:
    """Deltas answered by one model call, and that call's request (rendered once)."""

    works: list[_Work]
    rendered: Rendered


def build_model(config: RunnerConfig) -> Model:
    """The configured model, with the key from ``api_key_file`` when one is set."""
    options: dict[str, Any] = dict(config.model.options)
    key = config.model.api_key()
    if key is not None:
        options["api_key"] = key
    return get_model(config.model.name, **options)


class Runner:
    """The cycle logic; the CLI wraps it in cron (``--once``) or daemon mode."""

    def __init__(self, config: RunnerConfig, state: State, sources: Sequence[Source], *,
                 model: Model | None = None, fallback: Model | None = None,
                 alert_client: alerts.AlertmanagerClient | None = None,
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None,
                 fleet: FleetWatch | None = None) -> None:
        self.config, self.state, self.sources = config, state, list(sources)
        self.model = model if model is not None else build_model(config)
        self.fallback = fallback if fallback is not None else RulesModel()
        mc = config.model
        self.prompt: Prompt | None = None if self.model.local else get_prompt(mc.prompt)
        self.batch_prompt = get_prompt(mc.batch_prompt) if mc.batch_size > 1 and not self.model.local else None
        self.opts = Options(prefilter=mc.prefilter, compress=mc.compress,
                            redact=None if self.model.local else mc.redact, max_lines=mc.max_lines,
                            fold=config.baseline.enabled and config.baseline.fold,
                            **memory_options(mc, self.prompt, state))
        p = config.polling
        self.policy = PollingPolicy(p.adaptive, p.healthy_min, p.healthy_max, p.anomaly, p.anomaly_hold)
        self.budget = Budget(config.budget.daily_usd, config.budget.monthly_usd)
        self.caps = CallCaps(config.budget.max_calls_per_delta, config.budget.max_calls_per_host_hour)
        if self.model.price_id is not None and config.budget.monthly_usd <= 0:
            log.warning("%s costs money and [budget] monthly_usd is not set: spend has no monthly cap", self.model.name)
        self.baseline = config.baseline.settings() if config.baseline.enabled else None
        self.backoff = Backoff(config.retry.base, config.retry.max, rng or random.Random())
        a = config.alerts
        self.fleet = fleet if fleet is not None else build_fleet(config)
        self.rules = a.rules()
        if self.fleet is not None and self.fleet.inventory.labels:
            self.rules = dataclasses.replace(self.rules, host_labels=self.fleet.inventory.labels_of)
        self.tracker = FindingTracker(self.rules, retention=config.findings.retention)
        self.alert_client = alert_client
        if alert_client is None and a.alertmanager_url:
            self.alert_client = alerts.AlertmanagerClient(a.alertmanager_url, timeout=a.timeout)
        self.clock = clock
        self._consumed: list[Consumed] = []
        self.scrubber = Scrubber(known_secrets(config.model.api_key_file))

    async def cycle(self) -> CycleReport:
        """Ingest, analyse, post alerts; safe to interrupt at any point."""
        report = CycleReport()
        now = self.clock()
        report.ingested = self.ingest(now, report)
        await self.process(now, report)
        delete_judged(self.state, self._consumed)
        self._consumed = []
        with self._fleet_guard(), self.state.transaction() as conn:
            if self.fleet is not None:
                self.fleet.sweep(conn, self.tracker, self.clock())
            self.tracker.sweep(conn, self.clock())
        report.alerts_posted = self.post_alerts(self.clock())
        if self.config.retention > 0:
            self.state.prune(now - self.config.retention)
        self.state.set_meta("last_run", self.clock())
        report.queued = self.state.queue_stats(now)[0]
        return report

    # --- ingest ------------------------------------------------------------------------

    def ingest(self, now: float, report: CycleReport | None = None) -> int:
        """Read every source and queue what is new (one transaction per source)."""
        total = 0
        hosts = self.state.hosts()
        for source in self.sources:
            try:
                scan = source.scan(self.state.cursors(source.name), now)
            except SourceError as exc:
                log.warning("%s", exc)
                self.state.bump(metrics.SOURCE_ERRORS, {"source": source.name})
                continue
            for event in scan.events:
                log.warning("%s %s on %s: %s", event.source, event.kind, event.host, event.detail)
            limit = self.config.sources.max_delta_bytes
            chunks = [self._schedule(p, hosts, now) for c in scan.chunks for p in split_chunk(c, limit)]
            append = self._appender(now) if self.policy.adaptive else None
            self.state.ingest(chunks, scan.cursors, scan.events, now=now, append=append)
            if report is not None:
                report.hosts.update(c.host for c in chunks)
            for action in scan.after_commit:
                try:
                    action()
                except OSError as exc:
                    log.warning("spool clean-up failed: %s", exc)
            self._consumed.extend(scan.consumed)
            total += len(chunks)
        return total

    def _schedule(self, chunk: Chunk, hosts: dict[str, tuple[float | None, str | None, float | None]],
                  now: float) -> Chunk:
        last_check, _, last_anomaly = hosts.get(chunk.host, (None, None, None))
        urgent = bool(self.policy.adaptive and detect(parse_delta(chunk.data, host=chunk.host).lines))
        return dataclasses.replace(chunk, due=self.policy.due(chunk.host, last_check, last_anomaly, now, urgent=urgent))

    def _appender(self, now: float) -> Callable[[sqlite3.Connection, Chunk], int | None]:
        limit = self.config.sources.max_delta_bytes

        def append(conn: sqlite3.Connection, chunk: Chunk) -> int | None:
            # A host not yet due collects its lines in one waiting delta: one call instead of many.
            row = conn.execute(
                "SELECT id, data, received FROM deltas WHERE host=? AND source=? AND attempts=0 AND interim=0"
                " AND due>? AND length(data)+?<=? AND COALESCE(boot_id, '')=? ORDER BY id DESC LIMIT 1",
                (chunk.host, chunk.source, now, len(chunk.data), limit, chunk.boot_id or ""),
            ).fetchone()
            if row is None:
                return None
            # Joined in Python: SQLite's || would turn the bytes into text. The lines arrived by the
            # later chunk's time.
            received = max((t for t in (row[2], chunk.received) if t is not None), default=None)
            conn.execute("UPDATE deltas SET data=?, ref=ref||' '||?, due=MIN(due, ?), received=? WHERE id=?",
                         (bytes(row[1]) + chunk.data, chunk.ref, chunk.due, received, row[0]))
            return int(row[0])

        return append

    # --- analysis ------------------------------------------------------------------------

    async def process(self, now: float, report: CycleReport) -> None:
        """Analyse every due delta (see the module docstring for the degraded modes)."""
        self._budget_exhausted(now)  # a new day or month lifts the cap (and resolves its alert)
        calls: list[_Work] = []
        for queued in self.state.due(now):
            w = self._prepare(queued, now)
            if now - queued.created >= self.config.retry.max_age:
                await self._fallback(w, "max_age", now, report)
            elif w.prepared.skip is not None or self.model.local:
                self._finish(w, await run(w.prepared, self.model, self.prompt, w.opts), now, report)
            else:
                calls.append(w)
        if calls:
            await self._call_model(calls, now, report)

    def _prepare(self, queued: QueuedDelta, now: float) -> _Work:
        host = queued.host
        baseline = self.state.baseline(host, self.baseline, now=now) if self.baseline is not None else None
        opts = dataclasses.replace(self.opts, **self._host_options(host), baseline=baseline)
        return _Work(queued, prepare(parse_delta(queued.data, host=host), opts, now=now), opts)

    def _host_options(self, host: str) -> dict[str, Any]:
        """The host's ``[hosts]`` notes and suppressions, with operators' notes on its findings."""
        options = self.config.host_options(host)
        if self.config.findings.prompt_notes:
            learned = self.tracker.host_notes(self.state.conn, host)
            options["notes"] = "\n\n".join(n for n in (options["notes"], learned) if n)
        return options

    async def _call_model(self, calls: list[_Work], now: float, report: CycleReport) -> None:
        if self._budget_exhausted(now):
            for w in calls:
                await self._fallback(w, "budget", now, report)
            return
        breaker = CircuitBreaker.load(self.state.get_meta("circuit"), threshold=self.config.retry.failure_threshold,
                                      open_for=self.config.retry.open_for)
        calls, capped = self.caps.split(calls, host=lambda w: w.queued.host,
                                        delta=lambda w: (w.queued.host, w.queued.created),
                                        calls_last_hour=lambda host: self.state.model_calls(host, now - HOUR))
        if capped:
            log.warning("%d delta piece(s) past the model call caps get the signal catalogue's verdict (%s)",
                        len(capped), ", ".join(sorted({cap for _, cap in capped})))
        for w, cap in capped:
            await self._fallback(w, cap, now, report)
        groups, over_budget = self._admit([self._render(g) for g in self._groups(calls)], now)
        for w in over_budget:
            await self._fallback(w, "budget", now, report)
        if groups and breaker.allows(now) and breaker.trial:
            await self._run_group(groups.pop(0), breaker, now, report)
        sem = asyncio.Semaphore(self.config.model.concurrency)

        async def run_one(group: _Group) -> None:
            async with sem:
                await self._run_group(group, breaker, now, report)

        await asyncio.gather(*(run_one(g) for g in groups))
        self.state.set_meta("circuit", breaker.dump())
        with self.state.transaction() as conn:
            alerts.system_alert(conn, alerts.CIRCUIT_ALERT, breaker.state != "closed",
                                f"model API failing: circuit {breaker.state}; critical signals still alert",
                                now, self.rules)

    def _groups(self, calls: list[_Work]) -> list[list[_Work]]:
        if self.batch_prompt is None:
            return [[w] for w in calls]
        return group_calls(calls, self.config.model.batch_size, lambda w: w.queued.host)

    def _render(self, works: list[_Work]) -> _Group:
        if self.batch_prompt is not None and len(works) > 1:
            return _Group(works, render_batch([w.prepared for w in works], self.model, self.batch_prompt, self.opts))
        w = works[0]
        return _Group(works, render(w.prepared, self.model, self.prompt, w.opts))

    def _admit(self, groups: list[_Group], now: float) -> tuple[list[_Group], list[_Work]]:
        """Groups the budget can pay for, and the deltas it cannot (which mark the cap reached)."""
        day, month = self.state.spent(now)
        reserved = 0.0
        for i, group in enumerate(groups):
            estimate = self._estimate(group)
            spent = Spent(day + reserved, month + reserved)
            if not self.budget.allows(spent, estimate):
                self._set_budget(self.budget.exhausted(spent, estimate) or "day", now)
                return groups[:i], [w for g in groups[i:] for w in g.works]
            reserved += estimate
        return groups, []

    def _estimate(self, group: _Group) -> float:
        if self.model.price_id is None or (self.budget.daily_usd <= 0 and self.budget.monthly_usd <= 0):
            return 0.0
        return estimate_cost(self.model, group.rendered.request, repair=self.opts.repair)

    async def _run_group(self, group: _Group, breaker: CircuitBreaker, now: float, report: CycleReport) -> None:
        if not breaker.allows(now):
            await self._interim(group.works, now, report)
            return
        try:
            judged = await judge(group.rendered, self.model, self.opts)
            failure = judged.failure
            if failure is not None and failure.kind != "bad_reply":
                self._failed(group.works, failure, breaker, now, report)
                await self._interim(group.works, now, report)
                return
            verdicts = self._verdicts(group, judged)
        except Exception as exc:  # a poison delta must not stall the queue forever
            log.exception("analysis failed for %s", [w.queued.ref for w in group.works])
            await self._poisoned(group.works, exc, now, report)
            return
        breaker.success()
        for w, verdict in zip(group.works, verdicts, strict=True):
            self._finish(w, verdict, now, report)

    def _verdicts(self, group: _Group, judged: Judged) -> list[Verdict]:
        works = group.works
        if self.batch_prompt is not None and len(works) > 1:
            result = finish_batch([w.prepared for w in works], group.rendered, judged, self.model,
                                  self.batch_prompt, self.opts)
            if result.unattributed:
                self.state.bump(metrics.UNATTRIBUTED_FINDINGS, {}, result.unattributed)
            return result.verdicts
        w = works[0]
        return [finish(w.prepared, group.rendered, judged, self.model, self.prompt, w.opts)]

    def _failed(self, works: list[_Work], failure: ModelFailure, breaker: CircuitBreaker, now: float,
                report: CycleReport) -> None:
        log.warning("model call failed (%d delta(s) stay queued): %s", len(works), failure.message)
        report.failed += len(works)
        breaker.failure(now, fatal=not failure.retryable)
        self.state.retry_later([w.queued.id for w in works], lambda n: now + self.backoff.delay(n),
                               self.scrubber.text(str(failure)))
        with self.state.transaction() as conn:
            bump(conn, metrics.API_ERRORS, {})
            bump(conn, metrics.API_ERRORS_BY_KIND, {"kind": failure.kind})

    async def _poisoned(self, works: list[_Work], exc: Exception, now: float, report: CycleReport) -> None:
        self.state.retry_later([w.queued.id for w in works], lambda n: now + self.backoff.delay(n),
                               self.scrubber.text(f"{type(exc).__name__}: {exc}"))
        for w in works:
            if w.queued.attempts + 1 >= POISON_ATTEMPTS:
                await self._fallback(w, "error", now, report)

    async def _interim(self, works: list[_Work], now: float, report: CycleReport) -> None:
        for w in works:
            if w.queued.interim:
                continue
            verdict = await self._signals_verdict(w)
            with self._fleet_guard():
                self.state.mark_interim(w.queued.id, self._interim_alerts(w, verdict, now))
            report.interim += 1

    def _interim_alerts(self, w: _Work, verdict: Verdict, now: float) -> Callable[[sqlite3.Connection], None]:
        def work(conn: sqlite3.Connection) -> None:
            self.tracker.verdict(conn, host=w.queued.host, delta_id=w.queued.id, ref=w.queued.ref,
                                 delta=w.prepared.delta, verdict=verdict, now=now, interim=True)
            self._observe_fleet(conn, w, now)

        return work

    def _observe_fleet(self, conn: sqlite3.Connection, w: _Work, now: float) -> None:
        """Count the delta's hits in the fleet state (inside its verdict's or interim check's transaction)."""
        if self.fleet is None:
            return
        q = w.queued
        self.fleet.observe(conn, self.tracker, ref=q.ref, delta=w.prepared.delta, hits=w.prepared.hits,
                           received=q.received if q.received is not None else q.created, boot_id=q.boot_id,
                           now=now)

    @contextmanager
    def _fleet_guard(self) -> Iterator[None]:
        """A transaction that fails after the fleet monitor changed leaves memory ahead of the file:
        forget it (the next use reads the committed state)."""
        try:
            yield
        except BaseException:
            if self.fleet is not None:
                self.fleet.discard()
            raise

    async def _signals_verdict(self, w: _Work) -> Verdict:
        """The catalogue's verdict on the prepared delta (its hits, no new detection)."""
        rendered = render(w.prepared, self.fallback, None, w.opts)
        return finish(w.prepared, rendered, await judge(rendered, self.fallback, w.opts), self.fallback, None, w.opts)

    async def _fallback(self, w: _Work, reason: str, now: float, report: CycleReport) -> None:
        verdict = await self._signals_verdict(w)
        if reason == "budget":
            verdict.model_error = ModelFailure(kind="budget", message=f"{self.model.name} not called: the spend cap "
                                               "is reached (signal catalogue only until the period ends)")
        self._finish(w, verdict, now, report, fallback=reason)

    def _finish(self, w: _Work, verdict: Verdict, now: float, report: CycleReport, *,
                fallback: str | None = None) -> None:
        host = w.queued.host
        verdict = self.scrubber.verdict(verdict)  # a model that echoes the key cannot get it stored

        def work(conn: sqlite3.Connection) -> None:
            self.tracker.verdict(conn, host=host, delta_id=w.queued.id, ref=w.queued.ref, delta=w.prepared.delta,
                                 verdict=verdict, now=now)
            if not w.queued.interim:  # an interim check counted it already
                self._observe_fleet(conn, w, now)
            if w.prepared.rate_jumps:
                bump(conn, metrics.BASELINE_RATE_JUMPS, {"host": host})
            # A fallback verdict is the catalogue's, not a model's judgement: nothing to learn.
            if self.baseline is not None and fallback is None:
                learn_baseline(conn, host, w.prepared.delta, verdict, self.baseline, now=now,
                               hits=w.prepared.all_hits)

        with self._fleet_guard():
            stored = self.state.finish(w.queued, verdict, now=now, fallback=fallback, alert_work=work)
        if stored:
            report.analysed += 1
            report.fallback += fallback is not None
            report.hosts.add(host)
            report.statuses[verdict.status] += 1
            report.skipped += verdict.skipped
            report.cost_usd += verdict.cost_usd

    # --- budget ----------------------------------------------------------------------------

    def _budget_exhausted(self, now: float) -> bool:
        """True while this period's cap was reached (the state and its alert are kept in step)."""
        if self.model.price_id is None:
            return False
        meta = self.state.get_meta("budget") or {}
        period = meta.get("exhausted")
        current = _period_key(period, now) if period else None
        if period and meta.get("key") == current:
            return True
        if period:
            self.state.set_meta("budget", {})
            with self.state.transaction() as conn:
                alerts.system_alert(conn, alerts.BUDGET_ALERT, False, "", now, self.rules)
        return False

    def _set_budget(self, period: str, now: float) -> None:
        cap = self.budget.daily_usd if period == "day" else self.budget.monthly_usd
        self.state.set_meta("budget", {"exhausted": period, "key": _period_key(period, now), "since": now})
        which = {"day": "daily", "month": "monthly"}[period]
        log.warning("%s budget of $%.2f reached: signal catalogue only until the %s ends", which, cap, period)
        with self.state.transaction() as conn:
            alerts.system_alert(conn, alerts.BUDGET_ALERT, True,
                                f"tasseograph {which} LLM budget (${cap:.2f}) reached: signals only until the "
                                f"{period} ends (UTC)", now, self.rules)

    # --- alerts ----------------------------------------------------------------------------

    def post_alerts(self, now: float) -> int:
        """Post the alert outbox and due re-posts; returns how many alerts were accepted."""
        if self.alert_client is None:
            return 0
        due = alerts.due_for_post(self.state.conn, now, self.rules)
        posted = 0
        for start in range(0, len(due), ALERT_POST_CHUNK):
            chunk = due[start:start + ALERT_POST_CHUNK]
            try:
                self.alert_client.post([a for _, _, a in chunk])
            except AlertError as exc:
                log.warning("%s (will retry next cycle)", exc)
                self.state.bump(metrics.ALERT_POST_ERRORS, {})
                break
            with self.state.transaction() as conn:
                alerts.mark_posted(conn, [(oid, fp) for oid, fp, _ in chunk], now)
            posted += len(chunk)
        return posted


def build_fleet(config: RunnerConfig) -> FleetWatch | None:
    """The fleet signals ``[fleet]`` configures (None when off).

    Raises:
        ConfigError: the inventory or the thresholds file is missing or invalid (one line).
    """
    if not config.fleet.enabled:
        return None
    return FleetWatch(config.fleet.settings(), config.fleet.load_inventory())


def _period_key(period: str, now: float) -> str:
    day = day_key(now)
    return day if period == "day" else day[:7]


def memory_options(mc: ModelSection, prompt: Prompt | None, state: State) -> dict[str, Any]:
    """``examples``, ``k`` and the incident library for the pipeline (nothing for local models or
    ``examples = "none"``): the labelled cases plus the findings operators confirmed in ``state``,
    read once, here, not per delta (a long-running runner sees newer confirmations on restart).

    Raises:
        ConfigError: ``retrieved`` with a prompt that shows no past incidents, or an absent library source.
    """
    if prompt is None or mc.examples == "none":
        return {}
    if mc.examples == "retrieved" and not prompt.takes_incidents:
        raise ConfigError(f"model.examples = 'retrieved' needs a prompt that shows past incidents "
                          f"(model.prompt = 'triage-v3'), not {prompt.ref}")
    from tasseograph.retrieval import confirmed_incidents, default_library
    from tasseograph.runner.findingstore import FindingStore
    from tasseograph.runner.incidents import confirmed_records

    try:
        library = default_library(mc.library)
    except UsageError as exc:
        raise ConfigError(f"model.library: {exc}") from None
    library = library.with_confirmed(confirmed_incidents(confirmed_records(FindingStore(state.conn))))
    return {"examples": mc.examples, "k": mc.k, "library": library}
