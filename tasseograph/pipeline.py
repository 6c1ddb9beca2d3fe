"""``analyze``: one delta in, one verdict out.

Steps: parse, detect signals, pre-filter, compress, redact, render the prompt, call the model,
parse its reply (one repair retry), restore redacted text, merge the signals the model missed.
A bad model reply never raises out of here: it is recorded in ``Verdict.model_error`` and the
verdict falls back to the signals.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fnmatch
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tasseograph.baseline import HostBaseline
from tasseograph.compress import Compressed, compress
from tasseograph.config import default_model_name
from tasseograph.errors import ModelAPIError, ModelReplyError, UsageError
from tasseograph.evidence import resolve_evidence
from tasseograph.models.base import Model, ModelReply, ModelRequest
from tasseograph.models.registry import get_model
from tasseograph.novelty import TAGS, FleetTemplates, novel_lines
from tasseograph.pricing import reply_cost
from tasseograph.prompts import DEFAULT_PROMPT, Prompt, get_prompt
from tasseograph.redact import Redactor
from tasseograph.replies import parse_reply
from tasseograph.schema import (
    STATUS_RANK,
    CompressionStats,
    Delta,
    Finding,
    FindingSource,
    NovelLine,
    NoveltyScope,
    TriageReply,
    Usage,
    Verdict,
    reply_json_schema,
    worst_status,
)
from tasseograph.signals import SignalHit, detect, is_boring

REPAIR_INSTRUCTION = (
    "Your previous reply could not be used: {error}. Reply again with only the JSON object "
    'of the contract: {{"status": ..., "issues": [...]}}, no prose and no code fences.'
)


@dataclass(frozen=True)
class Options:
    """Pipeline switches (all keyword options of ``analyze``)."""

    prefilter: bool = True
    """Skip the model call when the delta is empty or holds only known-boring lines."""
    compress: bool = True
    """Strip timestamps, collapse repeats and cut oversized deltas before the prompt."""
    redact: bool | None = None
    """Replace IPs, MACs, serials, host and user names; None means on for API models."""
    max_lines: int = 200
    """Most lines sent to the model after compression (signal lines are always kept)."""
    repair: bool = True
    """Ask the model once more when its reply is not the JSON contract."""
    merge_signals: bool = True
    """Add the catalogue signals the model missed (off only to score a model on its own)."""
    signal_floor: str = "warning"
    """Lowest signal severity merged when the model missed it (``warning`` or ``critical``)."""
    examples: tuple[Any, ...] = ()
    """Few-shot examples passed to the prompt template."""
    notes: str = ""
    """Operators' knowledge of this host ("AER spam on this board is a known quirk"), given to
    prompts that take it (``triage-v2``); redacted like the log."""
    suppress: tuple[str, ...] = ()
    """Signal ids (shell-style patterns, e.g. ``pcie.aer_corrected``) an operator muted for this
    host; muted hits are listed in ``Verdict.suppressed`` instead of becoming findings."""
    batch_pricing: bool = False
    """Price the call at the Message Batches discount."""
    baseline: HostBaseline | None = None
    """This host's template baseline (``tasseograph.baseline``): a delta of only noise and
    templates the host produced in ok deltas, at their usual rate, with no signal, is skipped
    like the pre-filter skips. The caller learns from each verdict (``HostBaseline.learn``).
    Lines whose template the host never produced are marked new (``tasseograph.novelty``)."""
    fleet: FleetTemplates | None = None
    """The fleet's templates (``FleetTemplates.from_baselines``): lines no warm host ever produced
    are marked new to the fleet, shown to the model first, and listed in ``Verdict.novel``."""

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> Options:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise UsageError(f"unknown analyze option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if kwargs.get("signal_floor", "warning") not in ("warning", "critical"):
            raise UsageError("signal_floor must be 'warning' or 'critical'")
        if kwargs.get("baseline") is not None and not isinstance(kwargs["baseline"], HostBaseline):
            raise UsageError(f"baseline must be a tasseograph.HostBaseline, not {type(kwargs['baseline']).__name__}")
        if kwargs.get("fleet") is not None and not isinstance(kwargs["fleet"], FleetTemplates):
            raise UsageError(f"fleet must be a tasseograph.FleetTemplates, not {type(kwargs['fleet']).__name__}")
        for key in ("examples", "suppress"):
            if key in kwargs:
                value = kwargs[key]
                kwargs = {**kwargs, key: (value,) if isinstance(value, str) else tuple(value)}
        return cls(**kwargs)


def resolve_model(model: str | Model | None) -> Model:
    """A model object from a name, an object, or the configured default."""
    if model is None:
        return get_model(default_model_name())
    if isinstance(model, str):
        return get_model(model)
    return model


def resolve_prompt(prompt: str | Prompt | None) -> Prompt:
    """A prompt object from a name (``id`` or ``id@version``), an object, or the default."""
    if prompt is None:
        return get_prompt(DEFAULT_PROMPT)
    if isinstance(prompt, str):
        return get_prompt(prompt)
    return prompt


def to_delta(delta: Delta | str | bytes, host: str | None = None) -> Delta:
    """Accept a ``Delta`` or raw text/bytes in any supported format."""
    if isinstance(delta, Delta):
        return delta
    if isinstance(delta, str | bytes):
        return Delta.from_text(delta, host=host)
    raise UsageError(f"analyze() takes a Delta, str or bytes, not {type(delta).__name__}")


def analyze(
    delta: Delta | str | bytes,
    *,
    model: str | Model | None = None,
    prompt: str | Prompt | None = None,
    host: str | None = None,
    **options: Any,
) -> Verdict:
    """Triage one host's new kernel lines.

    Args:
        delta: a ``Delta``, or raw kernel log text/bytes in any supported format
            (dmesg, dmesg -T, dmesg -x, /dev/kmsg, journalctl -k json/short, syslog).
        model: a model name (``"rules"``, ``"anthropic:claude-haiku-4-5"``, ``"openai:qwen3"``)
            or a ``Model`` object. Default: ``$TASSEOGRAPH_MODEL``, else Haiku when
            ``$ANTHROPIC_API_KEY`` is set, else ``local``.
        prompt: a prompt id (``"triage-v1"``, ``"triage-v1@1"``) or ``Prompt``; API models only.
        host: host name for raw text input (a ``Delta`` carries its own).
        **options: pipeline switches, see ``Options``.

    Returns:
        The verdict: status, findings (each marked ``llm`` or ``signal``), usage, cost, latency.

    Raises:
        UsageError: unknown model, prompt or option; missing API key.
    """
    coro = analyze_async(delta, model=model, prompt=prompt, host=host, **options)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from inside an event loop (a notebook, say): run on a private loop in a thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def analyze_async(
    delta: Delta | str | bytes,
    *,
    model: str | Model | None = None,
    prompt: str | Prompt | None = None,
    host: str | None = None,
    **options: Any,
) -> Verdict:
    """The async twin of ``analyze`` (same arguments, same result)."""
    opts = Options.from_kwargs(options)
    the_model = resolve_model(model)
    the_prompt = None if the_model.local else resolve_prompt(prompt)
    the_delta = to_delta(delta, host)
    hits, muted = split_suppressed(detect(the_delta.lines), opts.suppress)
    started = time.perf_counter()
    skip = prefilter_reason(the_delta, hits, muted) if opts.prefilter else None
    if skip is None and opts.baseline is not None:
        if opts.baseline.host != the_delta.host:
            raise UsageError(f"baseline of host {opts.baseline.host!r} given for a delta of {the_delta.host!r}")
        skip = opts.baseline.skip_reason(the_delta, hits, muted)
    if skip is not None:
        return Verdict(
            status="ok", host=the_delta.host, model=the_model.name,
            prompt=the_prompt.ref if the_prompt else None, skipped=True, skip_reason=skip,
            compression=CompressionStats(lines_in=len(the_delta.lines)),
            suppressed=[h.signal_id for h in muted],
        )
    novel = novel_lines(the_delta, baseline=opts.baseline, fleet=opts.fleet, hits=hits)
    verdict = await _call_and_merge(the_delta, hits, the_model, the_prompt, opts, novel)
    verdict.suppressed = [h.signal_id for h in muted]
    verdict.latency_s = time.perf_counter() - started
    return verdict


def split_suppressed(
    hits: Sequence[SignalHit], patterns: Sequence[str]
) -> tuple[list[SignalHit], list[SignalHit]]:
    """Hits that stay, and those an operator muted (``fnmatch`` patterns on signal ids)."""
    kept: list[SignalHit] = []
    muted: list[SignalHit] = []
    for hit in hits:
        if any(fnmatch.fnmatchcase(hit.signal_id, p) for p in patterns):
            muted.append(hit)
        else:
            kept.append(hit)
    return kept, muted


def prefilter_reason(delta: Delta, hits: Sequence[SignalHit], muted: Sequence[SignalHit] = ()) -> str | None:
    """Why the model call can be skipped, or None when it must be made.

    Lines of ``muted`` hits (signals an operator suppressed on this host) count as boring.
    """
    if not delta.lines:
        return "empty delta"
    if hits:
        return None
    ignore = {i for hit in muted for i in hit.line_indices}
    if all(
        i in ignore or is_boring(line.message) or not line.message.strip() for i, line in enumerate(delta.lines)
    ):
        return "only known-boring lines"
    return None


def build_request(
    delta: Delta, hits: Sequence[SignalHit], model: Model, prompt: Prompt | None, opts: Options,
    novel: Mapping[int, NoveltyScope] | None = None,
) -> tuple[ModelRequest, Compressed | None, Redactor | None]:
    """Compress, redact and render: everything up to the model call (novel lines go first)."""
    if prompt is None:
        return ModelRequest(system="", user="", prompt_id=None, delta=delta, signals=tuple(hits)), None, None
    first = {i: TAGS[scope] for i, scope in (novel or {}).items()}
    packed = compress(delta, hits, max_lines=opts.max_lines, enabled=opts.compress, first=first)
    redact = (not model.local) if opts.redact is None else opts.redact
    redactor = Redactor(hosts=[delta.host]) if redact else None
    lines = [redactor.redact(line) for line in packed.lines] if redactor else packed.lines
    host = redactor.redact(delta.host) if redactor else delta.host
    notes = redactor.redact(opts.notes) if redactor and opts.notes else opts.notes
    rendered = prompt.render(lines=lines, host=host, examples=opts.examples, notes=notes)
    request = ModelRequest(
        system=rendered.system, user=rendered.user, prompt_id=prompt.ref, delta=delta,
        signals=tuple(hits), schema=reply_json_schema(),
    )
    return request, packed, redactor


async def _call_and_merge(
    delta: Delta, hits: Sequence[SignalHit], model: Model, prompt: Prompt | None, opts: Options,
    novel: Mapping[int, NoveltyScope],
) -> Verdict:
    request, packed, redactor = build_request(delta, hits, model, prompt, opts, novel)
    usage = Usage()
    cost = 0.0
    escalated = False
    reply_obj: TriageReply | None = None
    error: str | None = None
    unjudged: tuple[int, ...] = ()
    try:
        reply = await model.complete(request)
        unjudged = reply.unjudged
        usage, cost, escalated = usage + reply.usage, reply_cost(model, reply, batch=opts.batch_pricing), reply.escalated
        reply_obj, repair, error = await _parse_with_repair(model, request, reply, opts.repair)
        if repair is not None:
            usage, cost = usage + repair.usage, cost + reply_cost(model, repair, batch=opts.batch_pricing)
            escalated = escalated or repair.escalated
    except ModelAPIError as exc:
        error = f"{type(exc).__name__}: {exc}"
    declared = getattr(model, "finding_source", "llm")
    source: FindingSource = "signal" if declared == "signal" else "model" if declared == "model" else "llm"
    if source == "signal":
        # The model *is* the catalogue: keep each hit's id and count rather than its reply echo.
        findings = merge_findings([], hits)
    else:
        llm_findings = _findings_from_reply(reply_obj, delta, redactor, source) if reply_obj else []
        findings = merge_findings(llm_findings, hits, floor=opts.signal_floor) if opts.merge_signals else llm_findings
    for f in findings:
        f.host = delta.host
    return Verdict(
        status=worst_status([f.severity for f in findings]),
        findings=findings,
        host=delta.host,
        model=model.name,
        prompt=prompt.ref if prompt else None,
        usage=usage,
        cost_usd=cost,
        escalated=escalated,
        model_error=error,
        compression=packed.stats if packed else CompressionStats(lines_in=len(delta.lines)),
        novel=novel_report(delta, novel, unjudged, findings, judged_by_model=not model.local and error is None),
    )


def novel_report(
    delta: Delta, novel: Mapping[int, NoveltyScope], unjudged: Sequence[int], findings: Sequence[Finding], *,
    judged_by_model: bool,
) -> list[NovelLine]:
    """``Verdict.novel``: lines new to the host or fleet, and lines the model could not judge.

    A novel line counts as judged when an (API) model read it or a finding quotes it; otherwise
    it is "unknown kernel message, not judged".
    """
    marks: dict[int, NoveltyScope] = {**{i: "model" for i in unjudged}, **novel}
    quoted = {q for f in findings for q in f.evidence.splitlines()}
    return [
        NovelLine(line=delta.lines[i].raw, scope=scope,
                  judged=delta.lines[i].raw in quoted or (judged_by_model and i not in unjudged))
        for i, scope in sorted(marks.items()) if 0 <= i < len(delta.lines)
    ]


async def _parse_with_repair(
    model: Model, request: ModelRequest, reply: ModelReply, repair: bool
) -> tuple[TriageReply | None, ModelReply | None, str | None]:
    """The parsed reply, the repair reply (if one was asked for), and the error if none parsed."""
    try:
        return parse_reply(reply, model=model.name), None, None
    except ModelReplyError as first:
        if not repair:
            return None, None, f"ModelReplyError: {first}"
        retry = ModelRequest(
            system=request.system, user=request.user, prompt_id=request.prompt_id,
            delta=request.delta, signals=request.signals, schema=request.schema,
            max_tokens=request.max_tokens, temperature=request.temperature,
            messages=(("assistant", reply.text or "(empty)"), ("user", REPAIR_INSTRUCTION.format(error=first))),
        )
        second = await model.complete(retry)
        try:
            return parse_reply(second, model=model.name), second, None
        except ModelReplyError as exc:
            return None, second, f"ModelReplyError after one repair retry: {exc}"


def _findings_from_reply(
    reply: TriageReply, delta: Delta, redactor: Redactor | None, source: FindingSource
) -> list[Finding]:
    findings = []
    for issue in reply.issues:
        evidence = redactor.restore(issue.evidence) if redactor else issue.evidence
        summary = redactor.restore(issue.summary) if redactor else issue.summary
        findings.append(
            Finding(
                severity=issue.severity, category=issue.category, summary=summary,
                evidence=resolve_evidence(evidence, delta), source=source,
            )
        )
    return findings


def merge_findings(llm: list[Finding], hits: Sequence[SignalHit], *, floor: str = "warning") -> list[Finding]:
    """Add the signals the model missed, so nothing detectable is lost.

    A signal counts as reported when the model has a finding of the same category at the same
    or a higher severity. Signals below ``floor`` are left to the model's judgement; a
    critical signal is never dropped.
    """
    merged = list(llm)
    for hit in hits:
        if STATUS_RANK[hit.severity] < STATUS_RANK[floor]:
            continue
        for category in (hit.category, *hit.also):
            covered = any(
                f.category == category and STATUS_RANK[f.severity] >= STATUS_RANK[hit.severity] for f in llm
            )
            if not covered:
                merged.append(
                    Finding(
                        severity=hit.severity, category=category, summary=hit.summary,
                        evidence="\n".join(hit.evidence), source="signal", signal_id=hit.signal_id,
                        count=hit.count, normalized=hit.normalized, device=dict(hit.device),
                    )
                )
    return merged


def combine_verdicts(verdicts: Sequence[Verdict]) -> Verdict:
    """One verdict for a delta that was analyzed in consecutive chunks (bounded memory).

    Status is the worst, findings are concatenated in order, usage/cost/latency add up, and
    the first model error (if any) is kept.
    """
    if not verdicts:
        raise UsageError("combine_verdicts() needs at least one verdict")
    first = verdicts[0]
    usage = Usage()
    for v in verdicts:
        usage = usage + v.usage
    stats = CompressionStats(
        lines_in=sum(v.compression.lines_in for v in verdicts),
        lines_out=sum(v.compression.lines_out for v in verdicts),
        tokens_before=sum(v.compression.tokens_before for v in verdicts),
        tokens_after=sum(v.compression.tokens_after for v in verdicts),
        truncated=any(v.compression.truncated for v in verdicts),
    )
    return Verdict(
        status=worst_status([v.status for v in verdicts]),
        findings=[f for v in verdicts for f in v.findings],
        host=first.host, model=first.model, prompt=first.prompt, usage=usage,
        cost_usd=sum(v.cost_usd for v in verdicts), latency_s=sum(v.latency_s for v in verdicts),
        skipped=all(v.skipped for v in verdicts),
        escalated=any(v.escalated for v in verdicts),
        skip_reason=first.skip_reason if all(v.skipped for v in verdicts) else None,
        model_error=next((v.model_error for v in verdicts if v.model_error), None),
        compression=stats,
        novel=[n for v in verdicts for n in v.novel],
    )

