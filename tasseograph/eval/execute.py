"""Run a dataset through ``analyze_async`` with one model and prompt: bounded, cached, rate-limit aware.

Each case is analysed by the production pipeline with the model wrapped twice: a shared
``CachingModel`` (API models only) and a per-case ``_Recorder`` that keeps the replies of that
case, so tokens, cost and latency are summed per case from the replies themselves (replayed
replies carry their original usage and latency, so a replay reproduces the figures exactly).

When the provider rate-limits beyond the SDK's own retries, every worker pauses together
(``RateGate``) before the request is tried again, instead of each hammering the API.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from tasseograph.compress import compress
from tasseograph.errors import Overloaded, RateLimited
from tasseograph.eval.cache import (
    CachedReply,
    CacheStats,
    CachingModel,
    Deferred,
    ResponseCache,
    backend_params,
    origin_of,
)
from tasseograph.eval.datasets import Case, Dataset
from tasseograph.evidence import evidence_is_valid
from tasseograph.models.base import Model, ModelReply, ModelRequest, cache_ttl, finding_source
from tasseograph.parsing import parse_delta
from tasseograph.pipeline import analyze_async, resolve_prompt
from tasseograph.pricing import cost_usd
from tasseograph.schema import CompressionStats, Delta, Usage, Verdict
from tasseograph.stages import Options

DEFAULT_CONCURRENCY = 8
RATE_RETRIES = 3
"""Extra attempts after the SDK's own retries are spent on a 429/529."""
RATE_PAUSE_S = 5.0
"""First shared pause after a rate limit; doubles per attempt, capped at ``RATE_PAUSE_MAX_S``."""
RATE_PAUSE_MAX_S = 60.0
DEFAULT_MAX_LINES = Options().max_lines


@dataclass
class CaseResult:
    """One case's outcome in one run (one row of ``cases.parquet``)."""

    case_id: str
    epoch: int
    truth_status: str
    truth_categories: tuple[str, ...]
    pred_status: str
    pred_categories: tuple[str, ...] = ()
    findings: list[dict[str, Any]] = field(default_factory=list)
    skipped: bool = False
    skip_reason: str | None = None
    model_error: str | None = None
    evidence_valid: int = 0
    """Findings whose evidence is verbatim in the delta."""
    n_findings: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    latency_s: float = 0.0
    n_requests: int = 0
    cache_hits: int = 0
    confidence: float | None = None
    """The model's own confidence when its reply carries one (sklearn: p(not ok))."""
    lines_in: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    host: str | None = None
    group: str = ""
    truth_tags: str = ""
    origins: tuple[str, ...] = ()
    served_models: tuple[str, ...] = ()
    """Model ids the server reported in its replies (a local server's id for what it really ran)."""
    examples: tuple[str, ...] = ()
    """Ids of the past incidents the prompt showed (``examples="fixed"`` or ``"retrieved"``)."""


@dataclass
class RunSpec:
    """What to run: a dataset, a model, a prompt and pipeline options."""

    dataset: Dataset
    model: str
    prompt: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    options_label: str = "default"
    model_options: dict[str, Any] = field(default_factory=dict)
    epochs: int = 1


@dataclass
class RunResult:
    """The outcome of one ``RunSpec`` (one entry of ``summary.json`` once scored)."""

    spec: RunSpec
    model_name: str
    prompt: str | None
    local: bool
    cases: list[CaseResult]
    cache: CacheStats = field(default_factory=CacheStats)
    policy: str = "single"
    pending: dict[str, ModelRequest] = field(default_factory=dict)
    """Requests held back for a Message Batch (the run is incomplete while non-empty)."""
    price_id: str | None = None
    model_obj: Any = None
    """The model object that ran (needed to submit its pending requests as a batch)."""
    origin: str = ""
    """Where the model's answers come from (``local``, ``api`` or a base URL)."""


class RateGate:
    """A pause shared by all workers of a run after the provider rate-limits us."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()

    async def wait(self) -> None:
        """Block while a pause is in force."""
        await self._open.wait()

    async def pause(self, seconds: float) -> None:
        """Hold every worker for ``seconds``."""
        if not self._open.is_set():
            await self._open.wait()
            return
        self._open.clear()
        try:
            await asyncio.sleep(seconds)
        finally:
            self._open.set()


class _Recorder(Model):
    """Per-case view of a model: records each reply (and whether it came from the cache)."""

    def __init__(self, inner: Model, gate: RateGate, pause_s: float) -> None:
        self.inner = inner
        self.name = inner.name
        self.local = inner.local
        self.price_id = inner.price_id
        self.finding_source = finding_source(inner)
        self.cache_ttl = cache_ttl(inner)
        self.gate = gate
        self.pause_s = pause_s
        self.entries: list[CachedReply] = []
        self.hits = 0

    async def complete(self, request: ModelRequest) -> ModelReply:
        for attempt in range(RATE_RETRIES + 1):
            await self.gate.wait()
            try:
                entry = await self._once(request)
                self.entries.append(entry)
                return entry.reply
            except (RateLimited, Overloaded) as exc:
                if not exc.retryable or attempt == RATE_RETRIES:
                    raise
                await self.gate.pause(min(self.pause_s * 2**attempt, RATE_PAUSE_MAX_S))
        raise AssertionError("unreachable")

    async def _once(self, request: ModelRequest) -> CachedReply:
        if isinstance(self.inner, CachingModel):
            before = self.inner.stats.hits
            entry = await self.inner.complete_entry(request)
            self.hits += self.inner.stats.hits - before
            return entry
        reply = await self.inner.complete(request)
        return CachedReply(reply=reply, origin="local" if self.local else origin_of(reply, _origin(self.inner)))


async def run_spec(
    spec: RunSpec,
    model: Model,
    cache: ResponseCache | None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    replay_only: bool = False,
    collect: bool = False,
    progress: Any = None,
    rate_pause_s: float = RATE_PAUSE_S,
) -> RunResult:
    """Analyse every case of ``spec`` (x epochs) and record the outcome.

    Args:
        spec: dataset, model name, prompt, options, epochs.
        model: the model object (built once by the caller).
        cache: response cache for API models (None: no caching).
        concurrency: most cases in flight at once.
        replay_only: a cache miss raises ``CacheMiss``.
        collect: misses are held back for a Message Batch (see ``RunResult.pending``).
        progress: a ``rich.progress.Progress`` to advance, or None.
    """
    gate = RateGate()
    sem = asyncio.Semaphore(max(1, concurrency))
    prompt = None if model.local else resolve_prompt(spec.prompt).ref
    result = RunResult(spec=spec, model_name=model.name, prompt=prompt, local=model.local, cases=[],
                       price_id=model.price_id, model_obj=model, origin="local" if model.local else _origin(model))
    task = progress.add_task(f"{spec.dataset.name} · {model.name}", total=len(spec.dataset.cases) * spec.epochs) if progress else None
    for epoch in range(spec.epochs):
        wrapped: Model = model
        if cache is not None and not model.local:
            wrapped = CachingModel(model, cache, epoch=epoch, replay_only=replay_only, collect=collect)

        async def one(case: Case, wrapped: Model = wrapped, epoch: int = epoch) -> CaseResult | None:
            async with sem:
                out = await _run_case(case, wrapped, spec, epoch, gate, rate_pause_s)
            if progress is not None:
                progress.advance(task)
            return out

        rows = await asyncio.gather(*(one(c) for c in spec.dataset.cases))
        result.cases.extend(r for r in rows if r is not None)
        if isinstance(wrapped, CachingModel):
            _add_stats(result.cache, wrapped.stats)
            result.pending.update(wrapped.pending)
    if getattr(model, "fake_server", False):
        # Even failed requests tell: the fake server marks its error responses too.
        result.origin = "fake"
    return result


def _origin(model: Model) -> str:
    return str(backend_params(model).get("base_url", "api"))


def _add_stats(total: CacheStats, part: CacheStats) -> None:
    total.hits += part.hits
    total.misses += part.misses
    total.deferred += part.deferred


async def _run_case(case: Case, model: Model, spec: RunSpec, epoch: int, gate: RateGate, pause_s: float) -> CaseResult | None:
    delta = parse_delta(case.text, host=case.host)
    rec = _Recorder(model, gate, pause_s)
    started = time.perf_counter()
    try:
        verdict = await analyze_async(delta, model=rec, prompt=spec.prompt, **case_options(spec.options, case, rec))
    except Deferred:
        return None
    wall = time.perf_counter() - started
    return _case_result(case, epoch, verdict, delta, rec, wall, spec.options.get("max_lines", DEFAULT_MAX_LINES))


def case_options(options: dict[str, Any], case: Case, model: Model) -> dict[str, Any]:
    """The run's options for one case: past incidents come from a library without the case itself
    (its id, near-copies of its content, its log's other excerpts), for retrieved and fixed examples alike.
    A suite names the library by its sources (a list); models that render no prompt ignore them."""
    library = options.get("library")
    if model.local or options.get("examples") not in ("fixed", "retrieved"):
        return {key: v for key, v in options.items() if key != "library"} if isinstance(library, list) else options
    from tasseograph.retrieval import default_library, fingerprint_text

    if library is None or isinstance(library, list):
        library = default_library(library)
    return {**options, "library": library.excluding(case.id, fingerprint=fingerprint_text(case.text))}


def _estimate(delta: Delta, max_lines: int) -> CompressionStats:
    """Token estimates for deltas the pipeline did not compress (local models, skipped deltas)."""
    return compress(delta, (), max_lines=max_lines).stats


def _case_result(case: Case, epoch: int, verdict: Verdict, delta: Delta, rec: _Recorder, wall: float,
                 spec_max_lines: int) -> CaseResult:
    usage = Usage()
    cost = 0.0
    ttl = cache_ttl(rec)
    for e in rec.entries:
        usage = usage + e.reply.usage
        cost += cost_usd(rec.price_id, e.reply.usage, batch=e.batch, cache_ttl=ttl)
    # Replayed API replies carry the latency measured when they were recorded; local models are timed now.
    latency = sum(e.reply.latency_s for e in rec.entries) if not rec.local else (0.0 if verdict.skipped else wall)
    last = rec.entries[-1].reply.data if rec.entries else None
    conf = last.get("confidence") if isinstance(last, dict) else None
    stats = verdict.compression if verdict.compression.tokens_before else _estimate(delta, spec_max_lines)
    findings = [f.model_dump(include={"severity", "category", "summary", "evidence", "source", "signal_id"})
                for f in verdict.findings]
    return CaseResult(
        case_id=case.id, epoch=epoch, truth_status=case.status, truth_categories=case.categories,
        pred_status=verdict.status, pred_categories=tuple(sorted({f.category for f in verdict.findings})),
        findings=findings, skipped=verdict.skipped, skip_reason=verdict.skip_reason,
        model_error=str(verdict.model_error) if verdict.model_error is not None else None,
        evidence_valid=sum(evidence_is_valid(f.evidence, delta) for f in verdict.findings),
        n_findings=len(verdict.findings), usage=usage, cost_usd=cost, latency_s=latency,
        n_requests=len(rec.entries), cache_hits=rec.hits,
        confidence=float(conf) if isinstance(conf, int | float) else None,
        lines_in=len(delta.lines), tokens_before=stats.tokens_before, tokens_after=stats.tokens_after, host=case.host, group=case.group,
        truth_tags=" ".join(sorted(set(case.line_tags) - {"-"})),
        origins=tuple(sorted({e.origin for e in rec.entries})),
        served_models=tuple(sorted({e.reply.model_id for e in rec.entries if e.reply.model_id})),
        examples=tuple(verdict.examples),
    )
