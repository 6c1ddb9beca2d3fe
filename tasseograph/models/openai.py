"""OpenAI-compatible chat servers (vLLM, Ollama, llama.cpp server, OpenAI) through the ``openai`` SDK.

One request shape serves them all: ``POST /v1/chat/completions`` with the nested
``response_format={"type": "json_schema", "json_schema": {"name", "strict", "schema"}}``.
Some servers fail open (HTTP 200, unconstrained text) or ignore the schema, so the schema is
also stated in the system prompt and every reply is validated client-side anyway.

The default base URL is a local vLLM (``http://127.0.0.1:8000/v1``); local servers take any
key, so a missing ``$OPENAI_API_KEY`` is an error only for a remote ``base_url``.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Literal
from urllib.parse import urlsplit

import openai
from pydantic import SecretStr

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
from tasseograph.models.common import HTTPOptions, is_retryable, scrub, validate_options
from tasseograph.pricing import resolve_price_id
from tasseograph.schema import Usage, reply_json_schema

KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"
DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
LOCAL_DUMMY_KEY = "local-server-needs-no-key"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
SCHEMA_NOTE = "\n\nReply with one JSON object and nothing else. Its JSON Schema:\n"


class OpenAIOptions(HTTPOptions):
    """Options of the OpenAI-compatible backend (``base_url`` ends in ``/v1``)."""

    structured: Literal["json_schema", "none"] = "json_schema"
    """Send ``response_format`` json_schema, or rely on the prompt alone."""
    schema_in_prompt: bool = True
    """Also state the schema in the system prompt (servers that fail open still see it)."""


def is_local(url: str) -> bool:
    """True when ``url`` points at this machine."""
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


class OpenAIModel(Model):
    """A model served behind an OpenAI-compatible chat completions API.

    Example:
        >>> model = OpenAIModel("qwen3-8b")  # vLLM on 127.0.0.1:8000
    """

    local = False  # it needs a rendered prompt, even when the server runs on this host

    def __init__(self, model_id: str | None = None, **options: Any) -> None:
        if not model_id:
            raise UsageError("name the served model: --model openai:MODEL (e.g. openai:qwen3-8b)")
        self.model_id = model_id
        self.name = f"openai:{model_id}"
        self.options = validate_options(OpenAIOptions, options, self.name)
        self.base_url = self.options.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        self._api_key = self._resolve_key()
        # Local models cost nothing; a hosted one is priced only if the price file lists it.
        self.price_id = resolve_price_id(model_id)

    def __repr__(self) -> str:
        return f"OpenAIModel({self.model_id!r}, base_url={self.base_url!r})"

    def _resolve_key(self) -> SecretStr:
        key = self.options.api_key or SecretStr(os.environ.get(KEY_ENV, "").strip())
        if key.get_secret_value():
            return key
        if is_local(self.base_url):
            return SecretStr(LOCAL_DUMMY_KEY)
        raise MissingAPIKeyError(self.name, KEY_ENV)

    def _make_client(self) -> openai.AsyncOpenAI:
        # A client per call, closed after it: `analyze` runs each call under its own asyncio.run,
        # and an HTTP pool left bound to a finished loop fails when reused or collected.
        return openai.AsyncOpenAI(
            api_key=self._api_key.get_secret_value(),
            base_url=self.base_url,
            timeout=self.options.timeout,
            max_retries=self.options.max_retries,
        )

    def build_params(self, request: ModelRequest) -> dict[str, Any]:
        """The ``chat.completions.create`` parameters for ``request``."""
        schema = request.schema or reply_json_schema()
        system = request.system + (SCHEMA_NOTE + json.dumps(schema) if self.options.schema_in_prompt else "")
        messages = [{"role": "system", "content": system}] if system.strip() else []
        messages.append({"role": "user", "content": request.user})
        messages.extend({"role": role, "content": text} for role, text in request.messages)
        params: dict[str, Any] = {
            "model": self.model_id,
            "messages": messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if self.options.structured == "json_schema":
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "triage", "strict": True, "schema": schema},
            }
        return params

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Send one request; the SDK retries transient failures.

        Raises:
            ModelAPIError: (or a subclass) once retries are spent.
        """
        started = time.perf_counter()
        params = self.build_params(request)
        try:
            async with self._make_client() as client:
                completion = await client.chat.completions.create(**params)
        except openai.OpenAIError as exc:
            failure = self._translate(exc)
        else:
            return self._to_reply(completion, time.perf_counter() - started)
        # Raised outside `except` so no __context__ links to the SDK error (its request holds the key).
        raise failure

    def _to_reply(self, completion: Any, latency_s: float) -> ModelReply:
        text = (completion.choices[0].message.content or "") if completion.choices else ""
        return ModelReply(
            text=text, usage=usage_of(completion.usage), model_id=completion.model,
            request_id=getattr(completion, "_request_id", None) or completion.id,
            latency_s=latency_s,
        )

    def _translate(self, exc: openai.OpenAIError) -> ModelError:
        if isinstance(exc, openai.APITimeoutError):
            return ModelTimeout(
                f"{self.name}: no answer within {self.options.timeout:g}s after "
                f"{self.options.max_retries} retries", model=self.name, retryable=True,
            )
        if isinstance(exc, openai.APIConnectionError):
            return ModelAPIError(
                f"{self.name}: cannot reach {self.base_url}; is the server running?",
                model=self.name, retryable=True,
            )
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            cls = RateLimited if status == 429 else Overloaded if status in (503, 529) else ModelAPIError
            detail = scrub(_api_message(exc), self._api_key)
            return cls(
                f"{self.name}: HTTP {status}: {detail}".rstrip(": "), model=self.name, status_code=status,
                request_id=exc.request_id, retryable=is_retryable(status),
            )
        return ModelAPIError(f"{self.name}: {type(exc).__name__}: {scrub(str(exc), self._api_key)}", model=self.name)


def _api_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return ""


def usage_of(usage: Any) -> Usage:
    """Token usage from an OpenAI ``CompletionUsage`` (prompt tokens include cached ones)."""
    if usage is None:
        return Usage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = (getattr(details, "cached_tokens", None) or 0) if details is not None else 0
    return Usage(
        input_tokens=max(usage.prompt_tokens - cached, 0),
        output_tokens=usage.completion_tokens,
        cache_read_tokens=cached,
    )
