"""The contract every model backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from tasseograph.schema import Delta, FindingSource, Usage

if TYPE_CHECKING:
    from tasseograph.signals import SignalHit


@dataclass(frozen=True)
class ModelRequest:
    """Everything a backend may need for one triage call.

    API backends send ``system`` and ``user``; local backends (rules, sklearn) judge
    ``delta``/``signals`` directly and ignore the prompt text.
    """

    system: str
    """Rendered system prompt (stable across calls, so it can be cached)."""
    user: str
    """Rendered user message holding the (compressed, redacted) delta."""
    prompt_id: str | None
    """``id@version`` of the prompt, or None when no prompt was rendered."""
    delta: Delta
    """The delta as parsed (not redacted): local models read it."""
    signals: tuple[SignalHit, ...] = ()
    """Catalogue hits in the delta."""
    schema: dict[str, Any] = field(default_factory=dict)
    """JSON Schema of the reply contract."""
    max_tokens: int = 1024
    temperature: float = 0.0
    messages: tuple[tuple[str, str], ...] = ()
    """Extra (role, text) turns after the user message, used by the repair retry."""


@dataclass
class ModelReply:
    """What a backend returned: raw text and/or an already-parsed JSON object."""

    text: str = ""
    """The reply text as received (may contain fences or thinking blocks)."""
    data: dict[str, Any] | None = None
    """The JSON object, when the backend got it structured (tool use, local models)."""
    usage: Usage = field(default_factory=Usage)
    model_id: str = ""
    """Model id as the provider reported it."""
    request_id: str | None = None
    latency_s: float = 0.0
    cost_usd: float | None = None
    """Cost already computed by the backend (tiered models mix prices); None: price the usage."""
    escalated: bool = False
    """True when a tiered model handed the request to its larger tier."""
    unjudged: tuple[int, ...] = ()
    """Indices of delta lines the model looked at but could not judge (the ``local`` classifier knows
    too few of their words); the verdict lists them as "unknown kernel message, not judged"."""
    fake: bool = False
    """True when the project's fake API server answered (its marker header): plumbing, not a model."""


CacheTTL = Literal["5m", "1h"]
"""Lifetime of a prompt-cache write (the 1 h TTL writes cost more)."""


@runtime_checkable
class Model(Protocol):
    """A triage model: an async ``complete`` plus a little metadata.

    ``name``, ``local``, ``price_id`` and ``complete`` are required. The capabilities below them
    have defaults: a backend that subclasses ``Model`` inherits them, one that only matches the
    protocol may leave them out (``finding_source(model)`` and ``cache_ttl(model)`` read them
    with the defaults), and any backend declares a capability by setting the attribute.
    """

    name: str
    """Full registry name, e.g. ``anthropic:claude-haiku-4-5`` or ``rules``."""
    local: bool
    """True when it needs no network and no key (no prompt is rendered for it)."""
    price_id: str | None
    """Key into the price file, or None when the model costs nothing."""
    finding_source: FindingSource = "llm"
    """What its findings are marked: ``llm`` (a language model), ``model`` (a local learned
    model) or ``signal`` (the catalogue itself; its reply is replaced by the catalogue's hits)."""
    cache_ttl: CacheTTL = "5m"
    """TTL of the prompt-cache writes its usage reports (priced differently)."""
    composite_name: bool = False
    """True when its ids hold other model names (``escalate:A>B``, each may carry ``?options``):
    the registry then passes the id whole instead of splitting ``?options`` off it."""

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Answer one triage request."""
        ...


def finding_source(model: Model) -> FindingSource:
    """The model's declared ``finding_source`` (the protocol's default when it declares none)."""
    declared = getattr(model, "finding_source", Model.finding_source)
    return declared if declared in ("signal", "model") else "llm"


def cache_ttl(model: Model) -> CacheTTL:
    """The model's declared ``cache_ttl`` (the protocol's default when it declares none)."""
    return "1h" if getattr(model, "cache_ttl", Model.cache_ttl) == "1h" else "5m"
