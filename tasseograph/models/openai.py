"""OpenAI-compatible chat servers (vLLM, Ollama, llama.cpp server, OpenAI) through the ``openai`` SDK.

Structured output is negotiated per server (``structured = "auto"``, the default). The ladder:

1. ``response_format={"type": "json_schema", "json_schema": {...}}`` (OpenAI, vLLM, Ollama);
2. ``{"type": "json_object", "schema": {...}}`` (llama.cpp's server, which answers HTTP 500 to
   ``json_schema``);
3. no ``response_format``: the schema in the system prompt alone.

The first request to a server whose mode is not yet known is sent without SDK retries; an HTTP
4xx/5xx whose error names ``response_format`` moves one rung down at once, and the rung that
works is remembered per base URL for the life of the process (``negotiated_mode``), so a server
that rejects ``json_schema`` costs one failed request in all, not three per case. Concurrent
first requests wait for that probe. Some servers fail open (HTTP 200, unconstrained text), so
the schema is also stated in the system prompt and every reply is validated client-side anyway.

The default base URL is a local vLLM (``http://127.0.0.1:8000/v1``); local servers take any
key, so a missing ``$OPENAI_API_KEY`` is an error only for a remote ``base_url``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import weakref
from typing import Any, Literal

import openai
from pydantic import Field, SecretStr, field_validator

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
from tasseograph.models.common import (
    HTTPOptions,
    ServerWatch,
    is_local,
    is_retryable,
    scrub,
    validate_options,
)
from tasseograph.pricing import resolve_price_id
from tasseograph.schema import Usage, reply_json_schema

log = logging.getLogger(__name__)

KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"
DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
LOCAL_DUMMY_KEY = "local-server-needs-no-key"
SCHEMA_NOTE = "\n\nReply with one JSON object and nothing else. Its JSON Schema:\n"
Mode = Literal["json_schema", "json_object", "none"]
LADDER: tuple[Mode, ...] = ("json_schema", "json_object", "none")
"""Structured-output modes, most to least constrained; negotiation only moves down."""
FORMAT_WORDS = ("response_format", "json_schema", "json_object")
"""An error naming one of these is the server saying it does not take that structured mode."""
MAX_ERROR_DETAIL = 300
"""Characters of a server's error body kept in a message when it has no ``message`` field."""
MAX_STOP = 4
"""OpenAI's limit on stop sequences (servers that take more still get at most this many)."""

_negotiated: dict[str, Mode] = {}
_probe_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


class OpenAIOptions(HTTPOptions):
    """Options of the OpenAI-compatible backend (``base_url`` ends in ``/v1``).

    Set them in the name (``openai:gemma3?max_tokens=300&timeout=300``), in a suite's
    ``options = {...}`` or in the runner's ``[model] options``.
    """

    structured: Literal["auto", "json_schema", "json_object", "none"] = "auto"
    """``auto`` negotiates (json_schema, then json_object with the schema, then the prompt alone)
    and remembers the answer per server; any other value is sent as is, never changed."""
    schema_in_prompt: bool = True
    """Also state the schema in the system prompt (servers that fail open still see it)."""
    max_tokens: int | None = Field(None, gt=0)
    """Most tokens a reply may have (default: the pipeline's 1,024). A small local model on a
    CPU needs a tight cap: a triage reply is rarely over 300 tokens."""
    temperature: float | None = Field(None, ge=0, le=2)
    """Sampling temperature (default: the pipeline's 0, for repeatable verdicts)."""
    stop: list[str] | None = Field(None, max_length=MAX_STOP)
    """Stop sequences (a name repeats the key: ``?stop=%0A%0A&stop=</s>``)."""

    @field_validator("stop", mode="before")
    @classmethod
    def _one_stop(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def negotiated_mode(base_url: str) -> Mode | None:
    """The structured-output mode a server was found to accept in this process (None: not probed)."""
    return _negotiated.get(base_url.rstrip("/"))


def forget_negotiated() -> None:
    """Forget every server's negotiated mode (tests; or after a server was upgraded)."""
    _negotiated.clear()


def _probe_lock(base_url: str) -> asyncio.Lock:
    # One lock per event loop: `analyze` runs each call under its own asyncio.run.
    per_loop = _probe_locks.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(base_url, asyncio.Lock())


class _FormatRejected(Exception):
    """The server refused a structured-output mode (carries the translated error)."""

    def __init__(self, error: ModelAPIError) -> None:
        super().__init__(str(error))
        self.error = error


class OpenAIModel(Model):
    """A model served behind an OpenAI-compatible chat completions API.

    Example:
        >>> model = OpenAIModel("qwen3-8b")  # vLLM on 127.0.0.1:8000
        >>> model = get_model("openai:gemma3-270m?max_tokens=300&timeout=300")
    """

    local = False  # it needs a rendered prompt, even when the server runs on this host

    def __init__(self, model_id: str | None = None, **options: Any) -> None:
        if not model_id:
            raise UsageError("name the served model: --model openai:MODEL (e.g. openai:qwen3-8b)")
        self.model_id = model_id
        self.name = f"openai:{model_id}"
        self.options = validate_options(OpenAIOptions, options, self.name)
        self.base_url = (self.options.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        self._api_key = self._resolve_key()
        self._watch = ServerWatch()
        # Local models cost nothing; a hosted one is priced only if the price file lists it.
        self.price_id = resolve_price_id(model_id)

    def __repr__(self) -> str:
        return f"OpenAIModel({self.model_id!r}, base_url={self.base_url!r})"

    @property
    def fake_server(self) -> bool:
        """True once any response came from the project's fake API server (its marker header)."""
        return self._watch.fake

    def _resolve_key(self) -> SecretStr:
        key = self.options.api_key or SecretStr(os.environ.get(KEY_ENV, "").strip())
        if key.get_secret_value():
            return key
        if is_local(self.base_url):
            return SecretStr(LOCAL_DUMMY_KEY)
        raise MissingAPIKeyError(self.name, KEY_ENV)

    def cache_params(self) -> dict[str, Any]:
        """What the response cache keys on besides the prompt: settings that change the reply."""
        o = self.options
        out: dict[str, Any] = {"structured": o.structured, "base_url": self.base_url}
        out.update({k: v for k, v in (("max_tokens", o.max_tokens), ("temperature", o.temperature),
                                      ("stop", o.stop)) if v is not None})
        return out

    def _make_client(self, max_retries: int) -> openai.AsyncOpenAI:
        # A client per call, closed after it: `analyze` runs each call under its own asyncio.run,
        # and an HTTP pool left bound to a finished loop fails when reused or collected.
        return openai.AsyncOpenAI(
            api_key=self._api_key.get_secret_value(),
            base_url=self.base_url,
            timeout=self.options.timeout,
            max_retries=max_retries,
            http_client=openai.DefaultAsyncHttpxClient(event_hooks=self._watch.hooks()),
        )

    def mode(self) -> Mode:
        """The structured-output mode the next request will use."""
        if self.options.structured != "auto":
            return self.options.structured
        return negotiated_mode(self.base_url) or LADDER[0]

    def build_params(self, request: ModelRequest, mode: Mode | None = None) -> dict[str, Any]:
        """The ``chat.completions.create`` parameters for ``request`` in ``mode`` (default: ``mode()``)."""
        mode = mode or self.mode()
        schema = request.schema or reply_json_schema()
        system = request.system + (SCHEMA_NOTE + json.dumps(schema) if self.options.schema_in_prompt else "")
        messages = [{"role": "system", "content": system}] if system.strip() else []
        messages.append({"role": "user", "content": request.user})
        messages.extend({"role": role, "content": text} for role, text in request.messages)
        o = self.options
        params: dict[str, Any] = {
            "model": self.model_id,
            "messages": messages,
            "max_tokens": o.max_tokens or request.max_tokens,
            "temperature": request.temperature if o.temperature is None else o.temperature,
        }
        if o.stop:
            params["stop"] = o.stop
        if mode == "json_schema":
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "triage", "strict": True, "schema": schema},
            }
        elif mode == "json_object":
            params["response_format"] = {"type": "json_object", "schema": schema}
        return params

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Send one request (negotiating the structured mode on a server's first use).

        Raises:
            ModelAPIError: (or a subclass) once retries are spent.
        """
        started = time.perf_counter()
        if self.options.structured != "auto" or negotiated_mode(self.base_url):
            completion = await self._send(request, self.mode(), self.options.max_retries)
        else:
            async with _probe_lock(self.base_url):
                completion = await self._negotiate(request)
        return self._to_reply(completion, time.perf_counter() - started)

    async def _negotiate(self, request: ModelRequest) -> Any:
        """Walk down the ladder until the server takes a mode; remember it for this base URL."""
        for mode in LADDER:
            settled = negotiated_mode(self.base_url)
            if settled:  # another request settled it while this one waited for the lock
                return await self._send(request, settled, self.options.max_retries)
            # No SDK retries on a probe: a server that rejects the mode answers the same way again.
            retries = 0 if mode != LADDER[-1] else self.options.max_retries
            try:
                try:
                    completion = await self._send(request, mode, retries)
                except ModelAPIError as exc:
                    if not exc.retryable or retries or not self.options.max_retries:
                        raise
                    # Trouble that is not about the mode (a timeout, a 503): the retries left, as usual.
                    completion = await self._send(request, mode, self.options.max_retries - 1)
            except _FormatRejected as exc:
                log.warning("%s at %s does not take response_format %s (%s); trying the next mode",
                            self.name, self.base_url, mode, exc)
                continue
            _negotiated[self.base_url] = mode
            return completion
        raise AssertionError("unreachable: the last rung sends no response_format")

    async def _send(self, request: ModelRequest, mode: Mode, max_retries: int) -> Any:
        """One SDK call; SDK errors come out translated (``_FormatRejected`` for a refused mode)."""
        params = self.build_params(request, mode)
        try:
            async with self._make_client(max_retries) as client:
                return await client.chat.completions.create(**params)
        except openai.OpenAIError as exc:
            failure = self._translate(exc)
        # Raised outside `except` so no __context__ links to the SDK error (its request holds the key).
        if "response_format" in params and _names_format(failure):
            if self.options.structured == "auto":
                raise _FormatRejected(failure)
            failure = type(failure)(
                f"{failure} (set structured=\"auto\" to let tasseograph pick a mode this server takes)",
                model=self.name, status_code=failure.status_code, request_id=failure.request_id,
            )
        raise failure

    def _to_reply(self, completion: Any, latency_s: float) -> ModelReply:
        text = (completion.choices[0].message.content or "") if completion.choices else ""
        return ModelReply(
            text=text, usage=usage_of(completion.usage), model_id=completion.model,
            request_id=getattr(completion, "_request_id", None) or completion.id,
            latency_s=latency_s, fake=self._watch.fake,
        )

    def _translate(self, exc: openai.OpenAIError) -> ModelAPIError:
        if isinstance(exc, openai.APITimeoutError):
            return ModelTimeout(
                f"{self.name}: no answer within {self.options.timeout:g}s after "
                f"{self.options.max_retries} retries; raise the timeout option (e.g. ?timeout=300) "
                "or lower max_tokens", model=self.name, retryable=True,
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


def _names_format(error: ModelError) -> bool:
    """True for an HTTP 4xx/5xx whose message names the structured-output parameter."""
    status = getattr(error, "status_code", None)
    text = str(error).lower()
    return status is not None and status >= 400 and any(word in text for word in FORMAT_WORDS)


def _api_message(exc: openai.APIStatusError) -> str:
    """The server's error text on one line, cut short (llama.cpp's carries a whole traceback)."""
    body = exc.body
    inner = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get("message"), str):
        text = str(inner["message"])
    elif body:
        # FastAPI-style servers answer {"detail": [...]}.
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    else:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_DETAIL else text[: MAX_ERROR_DETAIL - 3] + "..."


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
