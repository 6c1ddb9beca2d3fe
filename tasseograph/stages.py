"""``analyze`` as four named stages with typed hand-offs.

prepare -> ``Prepared`` -> render -> ``Rendered`` -> judge -> ``Judged`` -> finish -> ``Verdict``

* **prepare**: detect the catalogue signals once, set aside the ones an operator muted, decide
  whether the model may be skipped (pre-filter, then the host's baseline), and mark the lines
  new to the host or the fleet (``tasseograph.novelty``).
* **render**: compress (new lines kept and put first, tagged; with ``fold``, the host's usual
  templates folded into one summary line), redact and render the prompt (nothing for local models).
* **judge**: call the model, parse its reply with the one reply parser, ask once more when
  the reply is not the contract. A failed call is recorded as a ``ModelFailure``, never raised.
* **finish**: restore redacted text, map evidence to the delta's lines, merge the signals the
  model missed, list the new lines no model read (``Verdict.novel``), and build the verdict.

``tasseograph.analyze`` runs them in order; the runner's worker runs them with its queue,
budget and circuit breaker in between (the budget estimate reads the rendered request, the
baseline learns from the prepared hits), and the multi-host batch path (``tasseograph.batch``)
renders and finishes several prepared deltas around one judge.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tasseograph.baseline import HostBaseline
from tasseograph.compress import Compressed, compress
from tasseograph.errors import ModelError, ModelReplyError, UsageError
from tasseograph.merge import merge_findings, place
from tasseograph.models.base import Model, ModelReply, ModelRequest, finding_source
from tasseograph.novelty import TAGS, FleetTemplates, novel_lines
from tasseograph.pricing import reply_cost
from tasseograph.redact import Redactor
from tasseograph.replies import parse_reply
from tasseograph.schema import (
    CompressionStats,
    Delta,
    Finding,
    FindingSource,
    ModelFailure,
    NovelLine,
    NoveltyScope,
    ReplyIssue,
    TriageReply,
    Usage,
    Verdict,
    reply_json_schema,
    worst_status,
)
from tasseograph.signals import SignalHit, detect, is_boring

if TYPE_CHECKING:  # prompts (and jinja2) load only for models that render one; the library only when used
    from tasseograph.prompts import Prompt
    from tasseograph.retrieval.library import IncidentLibrary
    from tasseograph.retrieval.prompting import Shown

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
    examples: tuple[Any, ...] | str = ()
    """Few-shot examples: a tuple of ``{"text", "reply"}`` examples (in the prompt's system part),
    ``"fixed"`` (``k`` balanced past incidents from ``library``, in the system part, the same for
    every delta) or ``"retrieved"`` (the ``k`` past incidents most like each delta, in the user
    part after the cached system part; prompts that show them: ``triage-v3``)."""
    k: int = 4
    """Past incidents per prompt with ``examples="fixed"`` or ``"retrieved"`` (1 to 16)."""
    library: IncidentLibrary | None = None
    """The incident library (``tasseograph.retrieval``) behind ``"fixed"`` and ``"retrieved"``;
    None: the labelled cases of ``datasets/`` and, when present, the shared dev set (built once per process)."""
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
    fold: bool = False
    """Baseline-aware compression: with a warm ``baseline``, lines of this host's usual templates
    and known noise (``HostBaseline.usual_lines``) are folded into one summary line, so the model
    reads what is new; signal lines, lines the catalogue matches and new lines are always sent."""
    fleet: FleetTemplates | None = None
    """The fleet's templates (``FleetTemplates.from_baselines``): lines no warm host ever produced
    are marked new to the fleet, shown to the model first, and listed in ``Verdict.novel``."""

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> Options:
        """Options from ``analyze``'s keyword arguments, each checked.

        Raises:
            UsageError: an unknown option or a bad value.
        """
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
        if "suppress" in kwargs:
            value = kwargs["suppress"]
            kwargs = {**kwargs, "suppress": (value,) if isinstance(value, str) else tuple(value)}
        if "examples" in kwargs or "k" in kwargs or kwargs.get("library") is not None:
            kwargs = _retrieval_kwargs(kwargs)
        return cls(**kwargs)


def _retrieval_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``examples``, ``k`` and ``library`` checked (the retrieval package loads only when they are given)."""
    from tasseograph.retrieval.library import IncidentLibrary, check_k
    from tasseograph.retrieval.prompting import parse_mode

    out = dict(kwargs)
    if "examples" in out:
        out["examples"] = parse_mode(out["examples"])
    check_k(out.get("k", 4))
    if out.get("library") is not None and not isinstance(out["library"], IncidentLibrary):
        raise UsageError(f"library must be a tasseograph.IncidentLibrary, not {type(out['library']).__name__}")
    return out


# --- prepare ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A delta with its signals, and whether the model may be skipped for it."""

    delta: Delta
    hits: tuple[SignalHit, ...]
    """Catalogue hits that stay (the operator's muted ones are in ``muted``)."""
    muted: tuple[SignalHit, ...] = ()
    skip: str | None = None
    """Why no model call is needed (pre-filter or baseline), or None."""
    rate_jumps: tuple[str, ...] = ()
    """Baselined templates that came far above their usual rate."""
    notes: str = ""
    """Operators' notes for the host, as the prompt will show them (before redaction)."""
    novel: Mapping[int, NoveltyScope] = field(default_factory=dict)
    """Lines new to the host or the fleet (index -> scope), marked when the model is asked."""
    usual: frozenset[int] = frozenset()
    """Lines the host's baseline calls usual, folded by compression (``Options.fold``)."""

    @property
    def all_hits(self) -> tuple[SignalHit, ...]:
        """Every hit, muted ones included (lines a baseline must never learn)."""
        return self.hits + self.muted


def prepare(delta: Delta, opts: Options, *, now: float | None = None) -> Prepared:
    """Detect the delta's signals once and decide whether the model call can be skipped.

    Args:
        delta: the host's new lines.
        opts: ``suppress``, ``prefilter``, ``baseline`` and ``notes`` are read here.
        now: Unix time for the baseline's expiry (default: the clock).

    Raises:
        UsageError: the baseline belongs to another host.
    """
    hits, muted = split_suppressed(detect(delta.lines), opts.suppress)
    skip = prefilter_reason(delta, hits, muted) if opts.prefilter else None
    jumps: tuple[str, ...] = ()
    if skip is None and opts.baseline is not None:
        if opts.baseline.host != delta.host:
            raise UsageError(f"baseline of host {opts.baseline.host!r} given for a delta of {delta.host!r}")
        decision = opts.baseline.check(delta, hits, muted, now=now)
        skip = decision.reason if decision.skip else None
        jumps = decision.rate_jumps
    novel = novel_lines(delta, baseline=opts.baseline, fleet=opts.fleet, hits=hits) if skip is None else {}
    usual = frozenset[int]()
    if skip is None and opts.fold and opts.baseline is not None:
        usual = opts.baseline.usual_lines(delta, hits, now=now, rate_jumps=jumps)
    return Prepared(delta, tuple(hits), tuple(muted), skip, jumps, opts.notes, novel, usual)


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


def skipped(prepared: Prepared, model: Model, prompt: Prompt | None) -> Verdict:
    """The verdict of a delta the model was not asked about (``prepared.skip`` says why)."""
    return Verdict(
        status="ok", host=prepared.delta.host, model=model.name, prompt=prompt.ref if prompt else None,
        skipped=True, skip_reason=prepared.skip, compression=CompressionStats(lines_in=len(prepared.delta.lines)),
        suppressed=[h.signal_id for h in prepared.muted],
    )


# --- render ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """The request for one model call, and what finish needs to read its reply."""

    request: ModelRequest
    packed: tuple[Compressed, ...] = ()
    """Each delta's compressed lines, in order (none for local models: no prompt)."""
    redactor: Redactor | None = None
    """Restores what redaction replaced, in the reply."""
    examples: tuple[str, ...] = ()
    """Ids of the past incidents the prompt shows (``Verdict.examples``)."""

    def stats(self, i: int = 0) -> CompressionStats | None:
        """Compression stats of the ``i``-th delta, when it was compressed."""
        return self.packed[i].stats if i < len(self.packed) else None


def redactor_for(model: Model, opts: Options, hosts: Sequence[str]) -> Redactor | None:
    """The redactor of one call: on for API models unless ``opts.redact`` says otherwise."""
    redact = (not model.local) if opts.redact is None else opts.redact
    return Redactor(hosts=hosts) if redact else None


def pack(prepared: Prepared, opts: Options) -> Compressed:
    """One delta's prompt lines: compressed around its signals, new lines first and tagged, the
    host's usual lines folded (when ``prepare`` marked them)."""
    first = {i: TAGS[scope] for i, scope in prepared.novel.items()}
    return compress(prepared.delta, prepared.hits, max_lines=opts.max_lines, enabled=opts.compress, first=first,
                    fold=prepared.usual)


def render(prepared: Prepared, model: Model, prompt: Prompt | None, opts: Options) -> Rendered:
    """Compress, redact and render one delta's prompt (a bare request for local models)."""
    delta = prepared.delta
    if prompt is None:
        return Rendered(ModelRequest(system="", user="", prompt_id=None, delta=delta, signals=prepared.hits))
    packed = pack(prepared, opts)
    shown = shown_examples(prepared, model, prompt, opts)
    redactor = redactor_for(model, opts, [delta.host, *shown.hosts])
    lines = [redactor.redact(line) for line in packed.lines] if redactor else packed.lines
    host = redactor.redact(delta.host) if redactor else delta.host
    notes = redactor.redact(prepared.notes) if redactor and prepared.notes else prepared.notes
    rendered = prompt.render(lines=lines, host=host, examples=shown.examples, notes=notes,
                             incidents=shown.incident_examples(redactor))
    request = ModelRequest(
        system=rendered.system, user=rendered.user, prompt_id=prompt.ref, delta=delta,
        signals=prepared.hits, schema=reply_json_schema(),
    )
    return Rendered(request, (packed,), redactor, shown.ids)


def shown_examples(prepared: Prepared, model: Model, prompt: Prompt, opts: Options) -> Shown:
    """The examples one prompt shows: as given, or past incidents from the library (``"fixed"``,
    ``"retrieved"``: see ``tasseograph.retrieval.prompting``).

    Raises:
        UsageError: ``"retrieved"`` with a prompt that does not show past incidents.
    """
    from tasseograph.retrieval.prompting import Shown, choose

    if not isinstance(opts.examples, str):
        return Shown(examples=opts.examples)
    if opts.examples == "retrieved" and not prompt.takes_incidents:
        raise UsageError(f"examples='retrieved' needs a prompt that shows past incidents (triage-v3), "
                         f"not {prompt.ref}")
    from tasseograph.retrieval.sources import default_library

    library = opts.library if opts.library is not None else default_library()
    redact = (not model.local) if opts.redact is None else opts.redact
    return choose(prepared.delta, prepared.hits, mode="fixed" if opts.examples == "fixed" else "retrieved",
                  k=opts.k, library=library, redact=redact)


# --- judge -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    """What the model said (parsed), what it cost, or why there is no answer."""

    reply: TriageReply | None = None
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    escalated: bool = False
    latency_s: float = 0.0
    """Wall time of the call(s), the repair retry included."""
    failure: ModelFailure | None = None
    """Set when ``reply`` is None: the call failed, or the reply was not the contract."""
    unjudged: tuple[int, ...] = ()
    """Delta lines the model read but could not judge (``ModelReply.unjudged``)."""


async def judge(rendered: Rendered, model: Model, opts: Options) -> Judged:
    """Call the model, parse its reply, and ask once more when it is not the contract.

    A model error (API failure or unusable reply) is returned as ``Judged.failure``, never
    raised; the usage and cost of the replies that did arrive are kept.
    """
    started = time.perf_counter()
    tally = _Tally()
    request = rendered.request
    try:
        reply = await tally.call(model, request, opts)
        try:
            parsed = parse_reply(reply, model=model.name)
        except ModelReplyError as first:
            if not opts.repair:
                raise
            second = await tally.call(model, repair_request(request, reply, str(first)), opts)
            try:
                parsed = parse_reply(second, model=model.name)
            except ModelReplyError as exc:
                raise ModelReplyError(f"after one repair retry: {exc}", model=model.name, body=exc.body) from None
    except ModelError as exc:
        return tally.judged(None, started, ModelFailure.from_error(exc))
    return tally.judged(parsed, started)


@dataclass
class _Tally:
    """Usage and cost of one judge's calls, summed as replies arrive."""

    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    escalated: bool = False
    unjudged: tuple[int, ...] | None = None

    async def call(self, model: Model, request: ModelRequest, opts: Options) -> ModelReply:
        reply = await model.complete(request)
        self.usage = self.usage + reply.usage
        self.cost_usd += reply_cost(model, reply, batch=opts.batch_pricing)
        self.escalated = self.escalated or reply.escalated
        if self.unjudged is None:  # the first reply read the delta; a repair retry only rewrites it
            self.unjudged = reply.unjudged
        return reply

    def judged(self, reply: TriageReply | None, started: float, failure: ModelFailure | None = None) -> Judged:
        latency = time.perf_counter() - started
        return Judged(reply, self.usage, self.cost_usd, self.escalated, latency, failure, self.unjudged or ())


def repair_request(request: ModelRequest, reply: ModelReply, error: str) -> ModelRequest:
    """The same request plus the bad reply and a request to answer in the contract."""
    return ModelRequest(
        system=request.system, user=request.user, prompt_id=request.prompt_id, delta=request.delta,
        signals=request.signals, schema=request.schema, max_tokens=request.max_tokens,
        temperature=request.temperature,
        messages=(("assistant", reply.text or "(empty)"), ("user", REPAIR_INSTRUCTION.format(error=error))),
    )


# --- finish ----------------------------------------------------------------------------------


def finish(prepared: Prepared, rendered: Rendered, judged: Judged, model: Model, prompt: Prompt | None,
           opts: Options) -> Verdict:
    """The verdict: the model's findings restored and mapped to the delta, plus missed signals."""
    delta = prepared.delta
    source = finding_source(model)
    if source == "signal":
        # The model *is* the catalogue: keep each hit's id and count rather than its reply echo.
        findings = merge_findings([], prepared.hits, lines=delta.lines)
    else:
        issues = judged.reply.issues if judged.reply else []
        found = findings_from_issues(issues, delta, rendered.redactor, source)
        findings = (merge_findings(found, prepared.hits, floor=opts.signal_floor, lines=delta.lines)
                    if opts.merge_signals else found)
    verdict = verdict_of(prepared, findings, judged, model, prompt, share=1.0, stats=rendered.stats())
    verdict.examples = list(rendered.examples)
    return verdict


def findings_from_issues(
    issues: Sequence[ReplyIssue], delta: Delta, redactor: Redactor | None, source: FindingSource
) -> list[Finding]:
    """Findings from a reply's issues: redacted text restored, evidence mapped to the delta's lines."""
    from tasseograph.evidence import resolve_evidence

    findings = []
    for issue in issues:
        evidence = redactor.restore(issue.evidence) if redactor else issue.evidence
        summary = redactor.restore(issue.summary) if redactor else issue.summary
        findings.append(Finding(
            severity=issue.severity, category=issue.category, summary=summary,
            evidence=resolve_evidence(evidence, delta), source=source,
        ))
    place(findings, delta.lines)
    return findings


def verdict_of(prepared: Prepared, findings: list[Finding], judged: Judged, model: Model, prompt: Prompt | None,
               *, share: float, stats: CompressionStats | None) -> Verdict:
    """A judged delta's verdict; ``share`` is its part of the call's usage and cost (batches)."""
    delta = prepared.delta
    for f in findings:
        f.host = delta.host
    return Verdict(
        status=worst_status([f.severity for f in findings]), findings=findings, host=delta.host,
        model=model.name, prompt=prompt.ref if prompt else None, usage=judged.usage.scaled(share),
        cost_usd=judged.cost_usd * share, latency_s=judged.latency_s, escalated=judged.escalated,
        model_error=judged.failure, suppressed=[h.signal_id for h in prepared.muted],
        compression=stats or CompressionStats(lines_in=len(delta.lines)),
        novel=novel_report(prepared, judged.unjudged, findings,
                           judged_by_model=not model.local and judged.failure is None),
    )


def novel_report(
    prepared: Prepared, unjudged: Sequence[int], findings: Sequence[Finding], *, judged_by_model: bool
) -> list[NovelLine]:
    """``Verdict.novel``: lines new to the host or fleet, and lines the model could not judge.

    A novel line counts as judged when an (API) model read it or a finding quotes it; otherwise
    it is "unknown kernel message, not judged".
    """
    lines = prepared.delta.lines
    marks: dict[int, NoveltyScope] = {**{i: "model" for i in unjudged}, **prepared.novel}
    quoted = {q for f in findings for q in f.evidence.splitlines()}
    return [
        NovelLine(line=lines[i].evidence, scope=scope,
                  judged=lines[i].evidence in quoted or (judged_by_model and i not in unjudged))
        for i, scope in sorted(marks.items()) if 0 <= i < len(lines)
    ]


async def run(prepared: Prepared, model: Model, prompt: Prompt | None, opts: Options) -> Verdict:
    """Every stage after prepare, for one delta: skipped, or rendered, judged and finished."""
    if prepared.skip is not None:
        return skipped(prepared, model, prompt)
    rendered = render(prepared, model, prompt, opts)
    judged = await judge(rendered, model, opts)
    return finish(prepared, rendered, judged, model, prompt, opts)
