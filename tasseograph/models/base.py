"""The contract every model backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tasseograph.schema import Delta, Usage

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
    fake: bool = False
    """True when the project's fake API server answered (its marker header): plumbing, not a model."""


@runtime_checkable
class Model(Protocol):
    """A triage model: an async ``complete`` plus a little metadata."""

    name: str
    """Full registry name, e.g. ``anthropic:claude-haiku-4-5`` or ``rules``."""
    local: bool
    """True when it needs no network and no key (no prompt is rendered for it)."""
    price_id: str | None
    """Key into the price file, or None when the model costs nothing."""

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Answer one triage request."""
        ...
