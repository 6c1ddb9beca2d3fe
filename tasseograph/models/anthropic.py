"""Claude through the official ``anthropic`` SDK: Messages API, prompt caching, Message Batches.

``AnthropicModel("claude-haiku-4-5")`` is what ``--model anthropic:claude-haiku-4-5`` builds.
The SDK does the retrying (429, 529, 5xx, timeouts, honouring ``retry-after``); this module
shapes the request, reads usage (cache tokens included) and translates SDK exceptions into
``tasseograph.errors`` so nothing above it imports ``anthropic``.

The key comes from ``api_key=`` or ``$ANTHROPIC_API_KEY`` and is held as a ``SecretStr``; it
never appears in ``repr``, in error messages, or in a translated exception's chain.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import anthropic
from pydantic import SecretStr

from tasseograph.config import ANTHROPIC_KEY_ENV
from tasseograph.errors import (
    MissingAPIKeyError,
    ModelAPIError,
    ModelError,
    ModelTimeout,
    Overloaded,
    RateLimited,
    UsageError,
)
from tasseograph.models.base import Model, ModelReply, ModelRequest
from tasseograph.models.common import HTTPOptions, ServerWatch, is_retryable, scrub, validate_options
from tasseograph.pricing import resolve_price_id
from tasseograph.schema import Usage, reply_json_schema

T = TypeVar("T")
DEFAULT_MODEL = "claude-haiku-4-5"
TOOL_NAME = "report_triage"
TOOL_DESCRIPTION = "Report the triage verdict for the kernel log delta."
NO_SAMPLING_PARAMS = ("claude-sonnet-5", "claude-opus-4-7", "claude-opus-4-8", "claude-opus-5")
"""Models that reject ``temperature`` with HTTP 400 (Sonnet 5 per llm_api_facts.md; Opus 4.7 on)."""
SPEND_LIMIT_CODES = frozenset({"enforced_spend_limit_reached", "contract_spend_limit_reached"})
"""429s that retrying cannot fix."""


class AnthropicOptions(HTTPOptions):
    """Options of the Anthropic backend (``--option`` values and suite TOML land here)."""

    structured: Literal["tool", "json_schema", "none"] = "tool"
    """How JSON is enforced: a forced tool, ``output_config`` json_schema, or only the prompt."""
    cache_system: bool = True
    """Mark the system prompt as a cache breakpoint (cached only above the model's minimum)."""
    cache_ttl: Literal["5m", "1h"] = "5m"
    """Cache lifetime; a 1-hour write costs 2x input instead of 1.25x."""


@dataclass(frozen=True)
class BatchStatus:
    """Where a Message Batch stands."""

    id: str
    processing_status: str
    """``in_progress``, ``canceling`` or ``ended``."""
    request_counts: dict[str, int] = field(default_factory=dict)
    """Counts by outcome: processing, succeeded, errored, canceled, expired."""

    @property
    def done(self) -> bool:
        """True once every request has an outcome and results can be fetched."""
        return self.processing_status == "ended"


class AnthropicModel(Model):
    """A Claude model as a tasseograph ``Model``.

    Example:
        >>> model = AnthropicModel("claude-haiku-4-5", timeout=30)
        >>> reply = await model.complete(request)
    """

    local = False

    def __init__(self, model_id: str | None = None, **options: Any) -> None:
        self.model_id = model_id or DEFAULT_MODEL
        self.name = f"anthropic:{self.model_id}"
        self.options = validate_options(AnthropicOptions, options, self.name)
        self._api_key = self._resolve_key()
        self.price_id = self._resolve_price()
        self.cache_ttl = self.options.cache_ttl
        """TTL of this model's cache writes, for ``cost_usd(..., cache_ttl=)``."""
        self._watch = ServerWatch()

    def __repr__(self) -> str:
        return f"AnthropicModel({self.model_id!r}, structured={self.options.structured!r})"

    @property
    def fake_server(self) -> bool:
        """True once any response came from the project's fake API server (its marker header)."""
        return self._watch.fake

    def _resolve_key(self) -> SecretStr:
        key = self.options.api_key or SecretStr(os.environ.get(ANTHROPIC_KEY_ENV, "").strip())
        if not key.get_secret_value():
            raise MissingAPIKeyError(self.name, ANTHROPIC_KEY_ENV)
        return key

    def _resolve_price(self) -> str:
        price_id = resolve_price_id(self.model_id)
        if price_id is None:
            raise UsageError(
                f"no price for {self.name} in tasseograph/data/prices.toml: add the model "
                "there (its cost would otherwise go unreported)"
            )
        return price_id

    def _make_client(self) -> anthropic.AsyncAnthropic:
        # A client per call, closed after it: `analyze` runs each call under its own asyncio.run,
        # and an HTTP pool left bound to a finished loop fails when reused or collected.
        return anthropic.AsyncAnthropic(
            api_key=self._api_key.get_secret_value(),
            base_url=self.options.base_url,
            timeout=self.options.timeout,
            max_retries=self.options.max_retries,
            http_client=anthropic.DefaultAsyncHttpxClient(event_hooks=self._watch.hooks()),
        )

    # --- one call ----------------------------------------------------------------------

    def build_batch_params(self, request: ModelRequest) -> dict[str, Any]:
        """The ``messages.create`` parameters for ``request`` (also a batch item's ``params``)."""
        params: dict[str, Any] = {
            "model": self.model_id,
            "max_tokens": request.max_tokens,
            "messages": [{"role": "user", "content": request.user}]
            + [{"role": role, "content": text} for role, text in request.messages],
        }
        if request.system:
            params["system"] = [self._system_block(request.system)]
        if not self.model_id.startswith(NO_SAMPLING_PARAMS):
            params["temperature"] = request.temperature
        schema = request.schema or reply_json_schema()
        if self.options.structured == "tool":
            params["tools"] = [
                {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "input_schema": schema, "strict": True}
            ]
            params["tool_choice"] = {"type": "tool", "name": TOOL_NAME}
        elif self.options.structured == "json_schema":
            params["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        return params

    def _system_block(self, text: str) -> dict[str, Any]:
        block: dict[str, Any] = {"type": "text", "text": text}
        if self.options.cache_system:
            # The 5m TTL is the API default; leaving it out keeps request bodies minimal.
            ttl = {"ttl": "1h"} if self.options.cache_ttl == "1h" else {}
            block["cache_control"] = {"type": "ephemeral", **ttl}
        return block

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Send one request; the SDK retries transient failures.

        Raises:
            ModelAPIError: (or ``RateLimited``/``Overloaded``/``ModelTimeout``) once retries are spent.
        """
        started = time.perf_counter()
        params = self.build_batch_params(request)
        # SDK 1.x dropped `temperature` from create()'s signature; the API still takes it.
        if "temperature" in params:
            params["extra_body"] = {"temperature": params.pop("temperature")}
        message = await self._call(lambda client: client.messages.create(**params))
        if not isinstance(message, anthropic.types.Message):
            # The SDK hands back the raw text when a 200 is not JSON (a proxy's error page).
            raise ModelAPIError(
                f"{self.name}: the API answered HTTP 200 with a non-JSON body: "
                f"{scrub(str(message)[:120], self._api_key)!r}; check ANTHROPIC_BASE_URL or any proxy",
                model=self.name, status_code=200, retryable=True,
            )
        reply = to_reply(message)
        reply.latency_s = time.perf_counter() - started
        reply.fake = self._watch.fake
        return reply

    async def count_tokens(self, request: ModelRequest) -> int:
        """Input tokens of ``request`` by the API's free (rate-limited) counter: an estimate."""
        params = self.build_batch_params(request)
        keep = ("model", "messages", "system", "tools", "tool_choice", "output_config")
        args = {k: params[k] for k in keep if k in params}
        result = await self._call(lambda client: client.messages.count_tokens(**args))
        return result.input_tokens

    # --- Message Batches ---------------------------------------------------------------

    async def submit_batch(self, items: list[tuple[str, ModelRequest]]) -> str:
        """Submit requests as one Message Batch (50% off, results within 24 h); returns its id.

        Args:
            items: ``(custom_id, request)`` pairs; custom ids must be unique in the batch.
        """
        ids = [custom_id for custom_id, _ in items]
        if len(set(ids)) != len(ids):
            raise UsageError("batch custom_ids must be unique")
        requests: Any = [{"custom_id": cid, "params": self.build_batch_params(req)} for cid, req in items]
        batch = await self._call(lambda client: client.messages.batches.create(requests=requests))
        return batch.id

    async def batch_status(self, batch_id: str) -> BatchStatus:
        """The batch's processing status and request counts."""
        batch = await self._call(lambda client: client.messages.batches.retrieve(batch_id))
        return BatchStatus(batch.id, batch.processing_status, batch.request_counts.model_dump())

    async def batch_results(self, batch_id: str) -> dict[str, ModelReply | ModelError]:
        """Results of an ended batch by custom id: a reply, or the error of that request."""

        async def fetch(client: anthropic.AsyncAnthropic) -> dict[str, ModelReply | ModelError]:
            decoder = await client.messages.batches.results(batch_id)
            return {item.custom_id: self._batch_outcome(item.result) async for item in decoder}

        return await self._call(fetch)

    def _batch_outcome(self, result: Any) -> ModelReply | ModelError:
        if result.type == "succeeded":
            reply = to_reply(result.message)
            reply.fake = self._watch.fake
            return reply
        if result.type == "errored":
            err = result.error.error
            status = _ERROR_TYPE_STATUS.get(err.type)
            message = f"{self.name}: batch request errored: {err.type}: {scrub(err.message, self._api_key)}"
            return _error_class(status)(
                message, model=self.name, status_code=status, request_id=result.error.request_id,
                retryable=is_retryable(status),
            )
        return ModelAPIError(f"{self.name}: batch request {result.type}", model=self.name, retryable=True)

    # --- errors ------------------------------------------------------------------------

    async def _call(self, op: Callable[[anthropic.AsyncAnthropic], Awaitable[T]]) -> T:
        """Run ``op`` with a fresh client, translating SDK errors.

        The translated error is raised outside the ``except`` block so it carries no
        ``__context__``: the SDK exception holds the request, and the request holds the key.
        """
        try:
            async with self._make_client() as client:
                return await op(client)
        except anthropic.AnthropicError as exc:
            failure = self._translate(exc)
        raise failure

    def _translate(self, exc: anthropic.AnthropicError) -> ModelError:
        """An SDK exception as a tasseograph error, with the key scrubbed from its text."""
        if isinstance(exc, anthropic.APITimeoutError):
            return ModelTimeout(
                f"{self.name}: no answer within {self.options.timeout:g}s after "
                f"{self.options.max_retries} retries; raise the timeout option or retry later",
                model=self.name, retryable=True,
            )
        if isinstance(exc, anthropic.APIConnectionError):
            return ModelAPIError(
                f"{self.name}: cannot reach the API ({type(exc).__name__}); check the network "
                "or ANTHROPIC_BASE_URL", model=self.name, retryable=True,
            )
        if isinstance(exc, anthropic.APIStatusError):
            return self._translate_status(exc)
        return ModelAPIError(f"{self.name}: {type(exc).__name__}: {scrub(str(exc), self._api_key)}", model=self.name)

    def _translate_status(self, exc: anthropic.APIStatusError) -> ModelAPIError:
        status = exc.status_code
        detail = scrub(exc.api_message or "", self._api_key)
        message = f"{self.name}: HTTP {status} {exc.type or 'error'}: {detail}".rstrip(": ")
        retryable = is_retryable(status) and exc.error_code not in SPEND_LIMIT_CODES
        return _error_class(status)(
            message, model=self.name, status_code=status, request_id=exc.request_id, retryable=retryable
        )


_ERROR_TYPE_STATUS = {
    "invalid_request_error": 400, "authentication_error": 401, "billing_error": 402,
    "permission_error": 403, "not_found_error": 404, "rate_limit_error": 429,
    "api_error": 500, "timeout_error": 504, "overloaded_error": 529,
}
"""Anthropic error types to HTTP status, for batch results (they carry no status)."""


def _error_class(status: int | None) -> type[ModelAPIError]:
    if status == 429:
        return RateLimited
    if status in (503, 529):
        return Overloaded
    if status in (408, 504):
        return ModelTimeout
    return ModelAPIError


def to_reply(message: Any) -> ModelReply:
    """A ``ModelReply`` from an SDK ``Message``: the forced tool's input, else the text blocks."""
    data: dict[str, Any] | None = None
    texts: list[str] = []
    for block in message.content:
        if block.type == "tool_use" and block.name == TOOL_NAME and isinstance(block.input, dict):
            data = dict(block.input)
        elif block.type == "text":
            texts.append(block.text)
    # In tool mode the text is the tool input, so a repair retry can show the model its answer.
    text = json.dumps(data, ensure_ascii=False) if data is not None else "".join(texts)
    return ModelReply(
        text=text, data=data, usage=usage_of(message.usage), model_id=message.model,
        request_id=getattr(message, "_request_id", None),
    )


def usage_of(usage: Any) -> Usage:
    """Token usage from an SDK ``Usage`` (the cache fields may be absent or None)."""
    return Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_input_tokens or 0,
        cache_write_tokens=usage.cache_creation_input_tokens or 0,
    )
