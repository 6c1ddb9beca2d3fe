"""Several hosts' deltas in one model call, each finding attributed back to its host.

The same stages as ``analyze`` (``tasseograph.stages``): each delta is prepared on its own,
``render_batch`` renders them into one batch prompt (``triage-batch-v1``:
``Prompt.render_batch(hosts=[(host, lines)])``, one log block per host), ``stages.judge`` makes
the call with the one reply parser and repair retry, and ``finish_batch`` gives each delta its
verdict. The reply's issues carry a ``"host"`` field. Attribution, in order: the issue's host
(placeholders restored when host names were redacted); else the one host whose delta holds
the issue's evidence; else the finding is counted as unattributed and dropped (the catalogue
signals of every host are still merged, so nothing detectable is lost). Usage and cost are
split across the hosts by their share of the prompt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from tasseograph.errors import UsageError
from tasseograph.merge import merge_findings
from tasseograph.models.base import Model, ModelRequest
from tasseograph.redact import Redactor
from tasseograph.schema import Delta, Finding, ReplyIssue, Verdict, reply_json_schema
from tasseograph.stages import (
    Judged,
    Options,
    Prepared,
    Rendered,
    findings_from_issues,
    judge,
    pack,
    redactor_for,
    shown_examples,
    verdict_of,
)

if TYPE_CHECKING:
    from tasseograph.prompts import Prompt

log = logging.getLogger(__name__)

_T = TypeVar("_T")

BASE_MAX_TOKENS = 512
PER_HOST_MAX_TOKENS = 256
MAX_TOKENS_CAP = 4096


@dataclass
class BatchResult:
    """One verdict per delta (in the order given), plus findings no host could be found for."""

    verdicts: list[Verdict] = field(default_factory=list)
    unattributed: int = 0


def batch_reply_schema() -> dict[str, Any]:
    """JSON Schema of the batch reply (the single contract with a required ``host`` per issue)."""
    schema = reply_json_schema()
    issue = dict(schema["properties"]["issues"]["items"])  # type: ignore[index]
    issue["properties"] = {"host": {"type": "string"}, **issue["properties"]}
    issue["required"] = ["host", *issue["required"]]
    schema["properties"] = {**schema["properties"], "issues": {"type": "array", "items": issue}}  # type: ignore[dict-item]
    return schema


def render_batch(items: Sequence[Prepared], model: Model, prompt: Prompt, opts: Options) -> Rendered:
    """Compress (new lines first, tagged) and redact every delta and render one batch prompt."""
    redactor = redactor_for(model, opts, [it.delta.host for it in items])
    blocks, notes, packed = [], {}, []
    for it in items:
        packed_lines = pack(it, opts)
        packed.append(packed_lines)
        lines = [redactor.redact(line) for line in packed_lines.lines] if redactor else packed_lines.lines
        shown = redactor.redact(it.delta.host) if redactor else it.delta.host
        blocks.append((shown, lines))
        if it.notes:
            notes[shown] = redactor.redact(it.notes) if redactor else it.notes
    rendered = prompt.render_batch(hosts=blocks, examples=batch_examples(items, model, prompt, opts), notes=notes)
    merged = Delta(host="batch", lines=[line for it in items for line in it.delta.lines])
    request = ModelRequest(
        system=rendered.system, user=rendered.user, prompt_id=prompt.ref, delta=merged,
        signals=tuple(h for it in items for h in it.hits), schema=batch_reply_schema(),
        max_tokens=min(MAX_TOKENS_CAP, BASE_MAX_TOKENS + PER_HOST_MAX_TOKENS * len(items)),
    )
    return Rendered(request, tuple(packed), redactor)


def batch_examples(items: Sequence[Prepared], model: Model, prompt: Prompt, opts: Options) -> tuple[Any, ...]:
    """The system part's examples of a batch prompt: as given, or the library's fixed set.

    Raises:
        UsageError: ``examples="retrieved"`` (past incidents are chosen per delta, one host per call).
    """
    if not isinstance(opts.examples, str) or not items:
        return opts.examples if not isinstance(opts.examples, str) else ()
    if opts.examples == "retrieved":
        raise UsageError("examples='retrieved' needs one host per call: set batch_size to 1 (or use 'fixed')")
    return shown_examples(items[0], model, prompt, opts).examples


def finish_batch(items: Sequence[Prepared], rendered: Rendered, judged: Judged, model: Model, prompt: Prompt,
                 opts: Options) -> BatchResult:
    """Each delta's verdict from one judged batch call (a failed call: signals only, with the error)."""
    issues = judged.reply.issues if judged.reply else []
    by_item, unattributed = attribute(issues, items, rendered.redactor)
    result = BatchResult(unattributed=unattributed)
    for i, (it, share) in enumerate(zip(items, _shares(rendered), strict=True)):
        findings = merge_findings(by_item[i], it.hits, floor=opts.signal_floor, lines=it.delta.lines)
        result.verdicts.append(verdict_of(it, findings, judged, model, prompt, share=share, stats=rendered.stats(i)))
    return result


def group_calls(items: Sequence[_T], size: int, host: Callable[[_T], str]) -> list[list[_T]]:
    """Items in calls of at most ``size``, in order, first fit; one block per host in a batch
    prompt, so a host's second delta goes to another call."""
    groups: list[list[_T]] = []
    for item in items:
        name = host(item)
        target = next((g for g in groups if len(g) < size and all(host(x) != name for x in g)), None)
        if target is None:
            groups.append([item])
        else:
            target.append(item)
    return groups


async def analyze_batch(items: Sequence[Prepared], model: Model, prompt: Prompt, opts: Options) -> BatchResult:
    """Render, judge and finish ``items`` in one call (the runner runs the three itself, to
    estimate the call's cost from the rendered request in between)."""
    rendered = render_batch(items, model, prompt, opts)
    return finish_batch(items, rendered, await judge(rendered, model, opts), model, prompt, opts)


def attribute(
    issues: Sequence[ReplyIssue], items: Sequence[Prepared], redactor: Redactor | None
) -> tuple[list[list[Finding]], int]:
    """Findings per item (in order) from a batch reply's issues, and how many found no host."""
    by_name = {it.delta.host: i for i, it in enumerate(items)}
    out: list[list[Finding]] = [[] for _ in items]
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
        for i in targets:
            out[i].extend(findings_from_issues([issue], items[i].delta, redactor, "llm"))
    return out, lost


def _by_evidence(evidence: str, items: Sequence[Prepared]) -> list[int]:
    """Every item whose delta holds a quoted line (the same line on two hosts is two findings)."""
    quoted = [e.strip() for e in evidence.splitlines() if e.strip()]
    return [i for i, it in enumerate(items)
            if quoted and any(q in line.raw or q in line.message for q in quoted for line in it.delta.lines)]


def _shares(rendered: Rendered) -> list[float]:
    weights = [max(p.stats.tokens_after, 1) for p in rendered.packed]
    total = sum(weights)
    return [w / total for w in weights]
