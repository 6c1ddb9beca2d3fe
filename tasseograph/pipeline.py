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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tasseograph.config import default_model_name
from tasseograph.errors import UsageError
from tasseograph.merge import merge_chunks
from tasseograph.models.base import Model
from tasseograph.models.registry import get_model
from tasseograph.parsing import parse_delta
from tasseograph.schema import CompressionStats, Delta, Usage, Verdict, worst_status
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


def combine_verdicts(verdicts: Sequence[Verdict]) -> Verdict:
    """One verdict for a delta that was analyzed in consecutive chunks (bounded memory).

    Status is the worst; findings of one problem merge across chunks (``merge.merge_chunks``:
    one signal on one device is one finding with its total count and first/last line);
    usage, cost and latency add up; the first model error (if any) is kept; the novel lines of
    every chunk are listed.
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
        findings=merge_chunks(f for v in verdicts for f in v.findings),
        host=first.host, model=first.model, prompt=first.prompt, usage=usage,
        cost_usd=sum(v.cost_usd for v in verdicts), latency_s=sum(v.latency_s for v in verdicts),
        skipped=all(v.skipped for v in verdicts),
        escalated=any(v.escalated for v in verdicts),
        skip_reason=first.skip_reason if all(v.skipped for v in verdicts) else None,
        model_error=next((v.model_error for v in verdicts if v.model_error), None),
        suppressed=list(dict.fromkeys(s for v in verdicts for s in v.suppressed)),
        compression=stats,
        novel=[n for v in verdicts for n in v.novel],
        examples=list(dict.fromkeys(e for v in verdicts for e in v.examples)),
    )
