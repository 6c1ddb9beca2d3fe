"""``escalate:SMALL>LARGE``: ask a cheap model first and a larger one only when it matters.

``escalate:anthropic:claude-haiku-4-5>anthropic:claude-sonnet-4-5`` sends every delta to Haiku
and hands it to Sonnet when Haiku says ``warning`` (the ambiguous middle), or, with
``on="non-ok"``, whenever Haiku flags anything; a reply that is not the JSON contract escalates
too. The harness scores the same policies from cached responses (``eval/escalation.py``); this
backend is how production runs them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from tasseograph.errors import ModelAPIError, ModelReplyError, UsageError
from tasseograph.models.base import Model, ModelReply, ModelRequest
from tasseograph.pricing import reply_cost
from tasseograph.replies import parse_reply

log = logging.getLogger(__name__)
SEPARATOR = ">"


class TieredOptions(BaseModel):
    """Options of the escalating backend."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    on: Literal["warning", "non-ok"] = "warning"
    """Escalate when the small model says ``warning`` only, or on any non-ok status."""


class TieredModel(Model):
    """Two models in series; the larger answers only for the deltas the smaller escalates."""

    composite_name = True
    """Its id holds two model names (each may carry ``?options``): the registry passes it whole."""

    def __init__(self, model_id: str | None = None, **options: Any) -> None:
        from tasseograph.models.registry import get_model

        small, sep, large = (model_id or "").partition(SEPARATOR)
        if not sep or not small.strip() or not large.strip():
            raise UsageError(
                "an escalating model is named 'escalate:SMALL>LARGE', e.g. "
                "'escalate:anthropic:claude-haiku-4-5>anthropic:claude-sonnet-4-5'"
            )
        try:
            self.options = TieredOptions(**options)
        except ValidationError as exc:
            raise UsageError(f"escalate: bad option: {exc.errors()[0]['msg']}") from None
        self.small: Model = get_model(small.strip())
        self.large: Model = get_model(large.strip())
        self.name = f"escalate:{self.small.name}{SEPARATOR}{self.large.name}"
        self.local = self.small.local and self.large.local
        # Budgets estimate a call at the larger tier's prices (a pessimistic bound); the actual
        # cost of each reply is computed per tier and carried in ``ModelReply.cost_usd``.
        self.price_id = self.large.price_id or self.small.price_id

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Ask the small model; hand the request to the large one when its answer calls for it."""
        first = await self.small.complete(request)
        first_cost = reply_cost(self.small, first)
        if not self._escalate(first):
            return replace(first, cost_usd=first_cost)
        try:
            second = await self.large.complete(request)
        except ModelAPIError as exc:
            # The small model's answer still stands; the signal merge backs it up either way.
            log.warning("escalation to %s failed (%s); keeping %s's answer", self.large.name, exc, self.small.name)
            return replace(first, cost_usd=first_cost)
        return replace(
            second,
            usage=first.usage + second.usage,
            cost_usd=first_cost + reply_cost(self.large, second),
            latency_s=first.latency_s + second.latency_s,
            model_id=f"{first.model_id}{SEPARATOR}{second.model_id}",
            escalated=True,
        )

    def _escalate(self, reply: ModelReply) -> bool:
        try:
            status = parse_reply(reply, model=self.small.name).status
        except ModelReplyError:
            return True
        return status == "warning" or (self.options.on == "non-ok" and status != "ok")

