"""Several hosts' deltas in one API call, each finding attributed back to its host.

The prompt is a batch prompt (``triage-batch-v1``): ``Prompt.render_batch(hosts=[(host, lines)])``
with one log block per host, and the reply's issues carry a ``"host"`` field. Attribution, in
order: the issue's host (placeholders restored when host names were redacted); else the one
host whose delta holds the issue's evidence; else the finding is counted as unattributed and
dropped (the catalogue signals of every host are still merged, so nothing detectable is lost).
Usage and cost are split across the hosts by their share of the prompt.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasseograph.compress import Compressed, compress
from tasseograph.errors import ModelReplyError
from tasseograph.evidence import resolve_evidence
from tasseograph.models.base import Model, ModelReply, ModelRequest
from tasseograph.pipeline import REPAIR_INSTRUCTION, Options, merge_findings
from tasseograph.pricing import reply_cost
from tasseograph.prompts import Prompt
from tasseograph.redact import Redactor
from tasseograph.replies import extract_json
from tasseograph.schema import (
    Category,
    CompressionStats,
    Delta,
    Finding,
    Severity,
    Status,
    Usage,
    Verdict,
    reply_json_schema,
    worst_status,
)
from tasseograph.signals import SignalHit

log = logging.getLogger(__name__)

BASE_MAX_TOKENS = 512
PER_HOST_MAX_TOKENS = 256
MAX_TOKENS_CAP = 4096


@dataclass
class Item:
    """One host's delta, parsed, with its signal hits."""

    key: int
    """The caller's id for it (the queue's delta id)."""
    delta: Delta
    hits: list[SignalHit]
    packed: Compressed | None = None
    notes: str = ""
    """Operators' notes for the host (``[hosts."pattern"]`` in the runner's config)."""


@dataclass
class BatchResult:
    """Verdicts by item key, plus findings no host could be found for."""

    verdicts: dict[int, Verdict] = field(default_factory=dict)
    unattributed: int = 0


class BatchIssue(BaseModel):
    """An issue of a batch reply: the single-host contract plus ``host``."""

    model_config = ConfigDict(extra="ignore")

    host: str | None = None
    severity: Severity
    category: Category
    summary: str
    evidence: str = ""


class BatchReply(BaseModel):
    """The JSON object a batch prompt asks for."""

    model_config = ConfigDict(extra="ignore")

    status: Status = "ok"
    issues: list[BatchIssue] = Field(default_factory=list)


def batch_reply_schema() -> dict[str, Any]:
    """JSON Schema of the batch reply (the single contract with a required ``host`` per issue)."""
    schema = reply_json_schema()
    issue = dict(schema["properties"]["issues"]["items"])  # type: ignore[index]
    issue["properties"] = {"host": {"type": "string"}, **issue["properties"]}
    issue["required"] = ["host", *issue["required"]]
    schema["properties"] = {**schema["properties"], "issues": {"type": "array", "items": issue}}  # type: ignore[dict-item]
    return schema


def build_request(items: Sequence[Item], model: Model, prompt: Prompt, opts: Options) -> tuple[ModelRequest, Redactor | None]:
    """Compress and redact every item and render one batch prompt."""
    redact = (not model.local) if opts.redact is None else opts.redact
    redactor = Redactor(hosts=[it.delta.host for it in items]) if redact else None
    blocks, notes = [], {}
    for it in items:
        it.packed = compress(it.delta, it.hits, max_lines=opts.max_lines, enabled=opts.compress)
        lines = [redactor.redact(line) for line in it.packed.lines] if redactor else it.packed.lines
        shown = redactor.redact(it.delta.host) if redactor else it.delta.host
        blocks.append((shown, lines))
        if it.notes:
            notes[shown] = redactor.redact(it.notes) if redactor else it.notes
    rendered = prompt.render_batch(hosts=blocks, examples=opts.examples, notes=notes)
    merged = Delta(host="batch", lines=[line for it in items for line in it.delta.lines])
    request = ModelRequest(
        system=rendered.system, user=rendered.user, prompt_id=prompt.ref, delta=merged,
        signals=tuple(h for it in items for h in it.hits), schema=batch_reply_schema(),
        max_tokens=min(MAX_TOKENS_CAP, BASE_MAX_TOKENS + PER_HOST_MAX_TOKENS * len(items)),
    )
    return request, redactor


async def analyze_batch(items: Sequence[Item], model: Model, prompt: Prompt, opts: Options) -> BatchResult:
    """One call for all ``items``; ``ModelAPIError`` propagates (the caller retries the batch).

    A reply that is not the contract after one repair retry gives every item a signals-only
    verdict with ``model_error`` set, as ``analyze`` does for one delta.
    """
    request, redactor = build_request(items, model, prompt, opts)
    reply = await model.complete(request)
    usage, cost = reply.usage, reply_cost(model, reply, batch=opts.batch_pricing)
    parsed, error = _parse(reply, model)
    if parsed is None and opts.repair:
        retry = _repair_request(request, reply, error or "")
        second = await model.complete(retry)
        usage, cost = usage + second.usage, cost + reply_cost(model, second, batch=opts.batch_pricing)
        parsed, error = _parse(second, model)
        error = f"{error} (after one repair retry)" if error else None
    by_host, unattributed = attribute(parsed.issues if parsed else [], items, redactor)
    result = BatchResult(unattributed=unattributed)
    shares = _shares(items)
    for it, share in zip(items, shares, strict=True):
        findings = merge_findings(by_host.get(it.key, []), it.hits, floor=opts.signal_floor)
        for f in findings:
            f.host = it.delta.host
        result.verdicts[it.key] = Verdict(
            status=worst_status([f.severity for f in findings]), findings=findings, host=it.delta.host,
            model=model.name, prompt=prompt.ref, usage=_scale(usage, share), cost_usd=cost * share,
            model_error=error, latency_s=reply.latency_s,
            compression=it.packed.stats if it.packed else CompressionStats(lines_in=len(it.delta.lines)),
        )
    return result


def attribute(issues: Sequence[BatchIssue], items: Sequence[Item], redactor: Redactor | None) -> tuple[dict[int, list[Finding]], int]:
    """Findings per item key from a batch reply's issues, and how many found no host."""
    by_name = {it.delta.host: it for it in items}
    out: dict[int, list[Finding]] = {}
    lost = 0
    for issue in issues:
        evidence = redactor.restore(issue.evidence) if redactor else issue.evidence
        host = redactor.restore(issue.host) if redactor and issue.host else issue.host
        named = by_name.get((host or "").strip())
        targets = [named] if named is not None else _by_evidence(evidence, items)
        if not targets:
            lost += 1
            log.warning("batch reply issue names no known host (%r); dropped: %s", issue.host, issue.summary)
            continue
        summary = redactor.restore(issue.summary) if redactor else issue.summary
        for item in targets:
            out.setdefault(item.key, []).append(Finding(
                severity=issue.severity, category=issue.category, summary=summary,
                evidence=resolve_evidence(evidence, item.delta), source="llm", host=item.delta.host,
            ))
    return out, lost


def _by_evidence(evidence: str, items: Sequence[Item]) -> list[Item]:
    """Every item whose delta holds a quoted line (the same line on two hosts is two findings)."""
    quoted = [e.strip() for e in evidence.splitlines() if e.strip()]
    return [it for it in items if quoted and any(q in line.raw for q in quoted for line in it.delta.lines)]


def _parse(reply: ModelReply, model: Model) -> tuple[BatchReply | None, str | None]:
    try:
        data = reply.data if reply.data is not None else extract_json(reply.text, model=model.name)
        return BatchReply.model_validate(_lower(data)), None
    except ModelReplyError as exc:
        return None, f"ModelReplyError: {exc}"
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        return None, f"ModelReplyError: batch reply does not match the contract ({where})"


def _lower(data: Any) -> Any:
    if isinstance(data, dict) and isinstance(data.get("issues"), list):
        for issue in data["issues"]:
            for key in ("severity", "category"):
                if isinstance(issue, dict) and isinstance(issue.get(key), str):
                    issue[key] = issue[key].strip().lower()
    return data


def _repair_request(request: ModelRequest, reply: ModelReply, error: str) -> ModelRequest:
    return ModelRequest(
        system=request.system, user=request.user, prompt_id=request.prompt_id, delta=request.delta,
        signals=request.signals, schema=request.schema, max_tokens=request.max_tokens,
        temperature=request.temperature,
        messages=(("assistant", reply.text or "(empty)"), ("user", REPAIR_INSTRUCTION.format(error=error))),
    )


def _shares(items: Sequence[Item]) -> list[float]:
    weights = [max(it.packed.stats.tokens_after if it.packed else 0, 1) for it in items]
    total = sum(weights)
    return [w / total for w in weights]


def _scale(usage: Usage, share: float) -> Usage:
    return Usage(
        input_tokens=round(usage.input_tokens * share), output_tokens=round(usage.output_tokens * share),
        cache_read_tokens=round(usage.cache_read_tokens * share),
        cache_write_tokens=round(usage.cache_write_tokens * share),
    )
