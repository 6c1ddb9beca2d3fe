"""The model's review: the digest through ``prompts/review-v1``, the reply parsed and checked.

What happens, in order:

1. the offline review's items (already grouped) are rendered into the prompt, the top ones
   first, each with its stored evidence lines fenced as untrusted ``<kernel_log>`` text;
2. the cost is estimated before anything is sent (input: characters / 4; output: its cap) and
   a ``--budget`` below it refuses the call with one line (:class:`ReviewBudgetError`);
3. the reply is validated (:class:`ReviewReply`); each item's evidence must resolve to lines
   the state stored for the findings it cites (or, citing none the digest knows, to any stored
   line): items that do not are dropped and counted;
4. critical items of the offline ranking that no kept item cites are listed apart
   (``Review.left_out``): a log line that talks the model out of an item cannot hide a failure;
5. a failed call or a reply that is not a review falls back to the offline review, with the
   failure stated (``Review.fallback``): it is never shown as the model's.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasseograph.compress import estimate_tokens
from tasseograph.errors import ModelError, ReviewBudgetError
from tasseograph.evidence import evidence_is_valid, resolve_evidence
from tasseograph.findings.record import OPEN_STATES, FindingRecord
from tasseograph.models.base import Model, ModelRequest
from tasseograph.parsing import parse_delta
from tasseograph.pricing import PER_MILLION, get_price, reply_cost
from tasseograph.prompts import get_prompt
from tasseograph.replies import extract_json
from tasseograph.review.rank import stored_lines
from tasseograph.review.report import Review, ReviewItem
from tasseograph.schema import Category, Delta, Severity

DEFAULT_REVIEW_MODEL = "anthropic:claude-sonnet-4-6"
"""The model ``tasseograph review`` asks when an API key is set and ``--model`` is not given."""
REVIEW_PROMPT = "review-v1"
MAX_OUTPUT_TOKENS = 4096
PROMPT_ITEMS = 40
"""Most digest items shown to the model (the offline ranking's top ones; minor ones after)."""
ALL_LINES = 1000
"""Stored lines per finding an item's evidence may resolve to (every sample's lines)."""


class ReviewReplyItem(BaseModel):
    """One item of the model's reply."""

    model_config = ConfigDict(extra="ignore")

    title: str
    severity: Severity
    category: Category
    finding_ids: list[str] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    why: str = ""
    evidence: list[str] = Field(default_factory=list)
    next_step: str = ""


class ReviewReply(BaseModel):
    """The reply contract of ``review-v1``."""

    model_config = ConfigDict(extra="ignore")

    items: list[ReviewReplyItem]


def reply_schema() -> dict[str, Any]:
    """JSON Schema of the reply, strict enough for structured-output APIs."""
    item = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "severity": {"type": "string", "enum": ["warning", "critical"]},
            "category": {"type": "string", "enum": ["memory", "storage", "network", "thermal", "driver"]},
            "finding_ids": {"type": "array", "items": {"type": "string"}},
            "hosts": {"type": "array", "items": {"type": "string"}},
            "why": {"type": "string"},
            "evidence": {"type": "array", "items": {"type": "string"}},
            "next_step": {"type": "string"},
        },
        "required": ["title", "severity", "category", "finding_ids", "hosts", "why", "evidence", "next_step"],
        "additionalProperties": False,
    }
    return {"type": "object", "properties": {"items": {"type": "array", "items": item}},
            "required": ["items"], "additionalProperties": False}


def prompt_context(offline: Review, *, top: int, window: str) -> dict[str, Any]:
    """The template's variables: the offline review's items (ranked, then minor), silent hosts, new templates."""
    items = [*offline.items, *offline.minor][:PROMPT_ITEMS]
    return {
        "window": window, "findings": offline.findings, "top": top,
        "items": [i.model_dump() for i in items],
        "silent_hosts": [f"{s.host} (last check {s.last_check:.0f}, last status {s.last_status})"
                         for s in offline.silent_hosts],
        "silent_after": f"{offline.silent_after_s:.0f}s",
        "new_templates": [f"{t.template} ({t.hosts} hosts, {t.lines} lines)" for t in offline.new_templates],
    }


def estimate_usd(model: Model, system: str, user: str, max_tokens: int) -> float:
    """The call's cost at most: input estimated (characters / 4), output at its cap (0 for a free model)."""
    if model.price_id is None:
        return 0.0
    price = get_price(model.price_id)
    tokens_in = estimate_tokens(system) + estimate_tokens(user)
    return (tokens_in * price.input + max_tokens * price.output) / PER_MILLION


def _fallback(offline: Review, model: Model, prompt: str, why: str, **extra: Any) -> Review:
    return offline.model_copy(update={"model": model.name, "prompt": prompt, "fallback": why, **extra})


def _checked(item: ReviewReplyItem, by_id: dict[str, FindingRecord], every_line: list[str]) -> ReviewItem | None:
    """The reply item as a review item, or None when its evidence does not resolve to stored lines."""
    cited = [by_id[i] for i in dict.fromkeys(item.finding_ids) if i in by_id]
    pool = stored_lines(cited, ALL_LINES) if cited else every_line
    quotes = [q for q in item.evidence if q.strip()]
    if not quotes or not pool:
        return None
    delta = parse_delta("\n".join(pool))
    if not all(evidence_is_valid(q, delta) for q in quotes):
        return None
    lines = list(dict.fromkeys(line for q in quotes for line in resolve_evidence(q, delta).splitlines()))
    open_records = [r for r in cited if r.state in OPEN_STATES]
    state = ("resolved" if cited and not open_records
             else "acknowledged" if open_records and all(r.state == "acknowledged" for r in open_records) else "open")
    hosts = sorted({h for r in cited for h in (r.members or [r.key.host])}) or sorted(set(item.hosts))
    return ReviewItem(
        rank=0, title=item.title, severity=item.severity, category=item.category, hosts=hosts,
        devices=sorted({r.key.describe() for r in cited if r.key.device}), finding_ids=[r.id for r in cited],
        why=item.why, evidence=lines, next_step=item.next_step, state=state,
        labels={k: v for r in cited for k, v in r.labels.items()},
        first_seen=min((r.first_seen for r in cited), default=None),
        last_seen=max((r.last_seen for r in cited), default=None))


async def model_review(offline: Review, findings: list[FindingRecord], model: Model, *, top: int, window: str,
                       budget: float | None = None, prompt_name: str = REVIEW_PROMPT) -> Review:
    """Ask ``model`` for the review of ``offline``'s digest; the offline review, labelled, when it fails.

    Args:
        offline: the deterministic review (its items are the candidates shown to the model).
        findings: the digest's findings (evidence is checked against their stored lines).
        budget: USD the call may cost at most (estimated before calling); None: no cap.

    Raises:
        ReviewBudgetError: the estimate is over ``budget`` (nothing was sent).
    """
    prompt = get_prompt(prompt_name)
    rendered = prompt.render_review(**prompt_context(offline, top=top, window=window))
    estimate = estimate_usd(model, rendered.system, rendered.user, MAX_OUTPUT_TOKENS)
    if budget is not None and estimate > budget:
        raise ReviewBudgetError(
            f"the review would cost up to ${estimate:.4f} with {model.name} (about "
            f"{estimate_tokens(rendered.system + rendered.user)} input tokens, {MAX_OUTPUT_TOKENS} output at most), "
            f"over --budget ${budget:.4f}: raise the budget, narrow --since, or use --model offline",
            estimate_usd=estimate, budget_usd=budget)
    request = ModelRequest(system=rendered.system, user=rendered.user, prompt_id=prompt.ref, delta=Delta(),
                           schema=reply_schema(), max_tokens=MAX_OUTPUT_TOKENS)
    try:
        reply = await model.complete(request)
    except ModelError as exc:
        return _fallback(offline, model, prompt.ref, f"the call to {model.name} failed: {str(exc).splitlines()[0]}",
                         estimated_usd=estimate)
    cost = reply_cost(model, reply)
    try:
        data = reply.data if reply.data is not None else extract_json(reply.text, model=model.name)
        parsed = ReviewReply.model_validate(data)
    except (ModelError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        return _fallback(offline, model, prompt.ref, f"{model.name}'s reply is not a review: {first[:160]}",
                         estimated_usd=estimate, cost_usd=cost, plumbing=reply.fake)
    by_id = {r.id: r for r in findings}
    every_line = stored_lines(findings, ALL_LINES * 10)
    items: list[ReviewItem] = []
    dropped: list[str] = []
    for raw in parsed.items:
        checked = _checked(raw, by_id, every_line)
        if checked is None:
            dropped.append(raw.title[:120])
        elif len(items) < top:
            checked.rank = len(items) + 1
            items.append(checked)
    cited = {i for item in items for i in item.finding_ids}
    left_out = [i for i in offline.items if i.severity == "critical" and not cited & set(i.finding_ids)]
    return offline.model_copy(update={
        "source": "model", "items": items, "minor": [], "left_out": left_out, "model": model.name, "prompt": prompt.ref,
        "dropped": len(dropped), "dropped_titles": dropped, "cost_usd": cost, "estimated_usd": estimate,
        "plumbing": reply.fake})
