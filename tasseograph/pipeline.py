"""``analyze``: one delta in, one verdict out.

It runs the stages of ``tasseograph.stages`` in order: prepare (parse, detect the signals once,
suppress, pre-filter or baseline), render (compress, redact, prompt), judge (call, one reply
parser, one repair retry), finish (restore, merge the signals the model missed, verdict).
A failed call or a bad reply never raises out of here: it is recorded in
``Verdict.model_error`` (a ``ModelFailure``) and the verdict falls back to the signals.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tasseograph.config import default_model_name
from tasseograph.errors import UsageError
from tasseograph.merge import ChunkMerger
from tasseograph.models.base import Model
from tasseograph.models.registry import get_model
from tasseograph.parsing import parse_delta
from tasseograph.schema import CompressionStats, Delta, NovelLine, Status, Usage, Verdict, worst_status
from tasseograph.stages import Options, prepare, run

if TYPE_CHECKING:  # prompts (and jinja2) load only for models that render one
    from tasseograph.prompts import Prompt


def resolve_model(model: str | Model | None) -> Model:
    """A model object from a name, an object, or the configured default."""
    if model is None:
        return get_model(default_model_name())
    if isinstance(model, str):
        return get_model(model)
    return model


def resolve_prompt(prompt: str | Prompt | None) -> Prompt:
    """A prompt object from a name (``id`` or ``id@version``), an object, or the default."""
    from tasseograph.prompts import DEFAULT_PROMPT, get_prompt

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
        return parse_delta(delta, host=host)
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
        The verdict: status, findings (each marked ``llm``, ``model`` or ``signal``), usage,
        cost, latency; ``model_error`` (and ``degraded``) when the model's answer is missing.

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
    return await run(prepare(to_delta(delta, host), opts), the_model, the_prompt, opts)


MAX_NOVEL = 1000
"""Novel lines a combined verdict lists (the first ones); a huge unknown input cannot grow it."""


def combine_verdicts(verdicts: Iterable[Verdict]) -> Verdict:
    """One verdict for a delta that was analyzed in consecutive chunks (bounded memory).

    Takes the chunks' verdicts one at a time (a generator is consumed as it goes, so only the
    running totals are kept). Status is the worst; findings of one problem merge across chunks
    (``merge.merge_chunks``: one signal on one device is one finding with its total count and
    first/last line); usage, cost and latency add up; the first model error (if any) is kept;
    the first ``MAX_NOVEL`` novel lines are listed.
    """
    first: Verdict | None = None
    merger = ChunkMerger()
    usage, stats = Usage(), CompressionStats()
    status: Status = "ok"
    cost = latency = 0.0
    all_skipped, escalated = True, False
    error = None
    suppressed: dict[str, None] = {}
    novel: list[NovelLine] = []
    examples: dict[str, None] = {}
    for v in verdicts:
        first = first or v
        merger.add(v.findings)
        usage = usage + v.usage
        c = v.compression
        stats = CompressionStats(
            lines_in=stats.lines_in + c.lines_in, lines_out=stats.lines_out + c.lines_out,
            tokens_before=stats.tokens_before + c.tokens_before, tokens_after=stats.tokens_after + c.tokens_after,
            truncated=stats.truncated or c.truncated,
            folded_lines=stats.folded_lines + c.folded_lines,
            folded_templates=stats.folded_templates + c.folded_templates,
        )
        status = worst_status([status, v.status])
        cost, latency = cost + v.cost_usd, latency + v.latency_s
        all_skipped, escalated = all_skipped and v.skipped, escalated or v.escalated
        error = error or v.model_error
        suppressed.update(dict.fromkeys(v.suppressed))
        novel.extend(v.novel[: MAX_NOVEL - len(novel)])
        examples.update(dict.fromkeys(v.examples))
    if first is None:
        raise UsageError("combine_verdicts() needs at least one verdict")
    return Verdict(
        status=status, findings=merger.findings(), host=first.host, model=first.model, prompt=first.prompt,
        usage=usage, cost_usd=cost, latency_s=latency, skipped=all_skipped, escalated=escalated,
        skip_reason=first.skip_reason if all_skipped else None, model_error=error, suppressed=list(suppressed),
        compression=stats, novel=novel, examples=list(examples),
    )
