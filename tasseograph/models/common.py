"""Helpers shared by the API backends: option validation, key scrubbing, retry classification."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from tasseograph.errors import UsageError

OptionsT = TypeVar("OptionsT", bound=BaseModel)

FAKE_SERVER_HEADER = "x-tasseograph-fake-server"
"""Header the project's own fake API server (``tests/fakeapi.py``) sends on every response, and
cassettes recorded from it replay: replies that carry it test plumbing, never a model."""
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
RETRYABLE_STATUS = frozenset({408, 409, 429})
"""Statuses worth retrying besides every 5xx (the SDKs' own classification)."""
REDACTED = "[REDACTED]"


class HTTPOptions(BaseModel):
    """Options every HTTP API backend takes; each backend adds its own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: SecretStr | None = None
    """API key; default from the backend's environment variable (``ANTHROPIC_API_KEY``,
    ``OPENAI_API_KEY``; optional for a local OpenAI-compatible server)."""
    base_url: str | None = None
    """API root; default from ``ANTHROPIC_BASE_URL`` / ``OPENAI_BASE_URL``, else the public
    Anthropic API or a local vLLM (``http://127.0.0.1:8000/v1``)."""
    timeout: float = Field(60.0, gt=0)
    """Seconds per HTTP attempt (the SDKs' default of 10 minutes is far too long for triage)."""
    max_retries: int = Field(2, ge=0, le=10)
    """SDK retries on 408/409/429/5xx (and 529), connection errors and timeouts."""


def validate_options(cls: type[OptionsT], options: dict[str, Any], model: str) -> OptionsT:
    """Validate backend options, turning pydantic's error into one ``UsageError`` line.

    The message names the bad keys and why, never their values (one of them may be a key).
    """
    try:
        return cls.model_validate(options)
    except ValidationError as exc:
        known = ", ".join(cls.model_fields)
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"bad option(s) for {model}: {problems} (known options: {known})") from None


def is_local(url: str) -> bool:
    """True when ``url`` points at this machine."""
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def is_retryable(status: int | None) -> bool:
    """True for statuses the SDKs retry: 408, 409, 429 and every 5xx (529 included)."""
    return status is not None and (status in RETRYABLE_STATUS or status >= 500)


def scrub(text: str, secret: SecretStr | None) -> str:
    """``text`` with the secret replaced, for messages built from server-sent text."""
    value = secret.get_secret_value() if secret is not None else ""
    return text.replace(value, REDACTED) if len(value) >= 8 else text


class ServerWatch:
    """An HTTP response hook that notes whether any response came from the project's fake server.

    Recognised by its marker header only: a real model served on localhost (vLLM, Ollama,
    llama.cpp) is a real measurement, so the host name proves nothing.
    """

    def __init__(self) -> None:
        self.fake = False

    async def on_response(self, response: Any) -> None:
        """The ``event_hooks["response"]`` callback of the SDK's HTTP client."""
        if response.headers.get(FAKE_SERVER_HEADER):
            self.fake = True

    def hooks(self) -> dict[str, list[Any]]:
        """``event_hooks`` for ``DefaultAsyncHttpxClient``."""
        return {"response": [self.on_response]}
