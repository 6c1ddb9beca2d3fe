"""Exceptions raised by tasseograph.

The tree::

    TasseographError
    ├── UsageError              the caller asked for something that cannot be done
    │   ├── UnknownModelError   no model of that name (with suggestions)
    │   ├── UnknownPromptError  no prompt of that id/version
    │   ├── MissingAPIKeyError  an API model was chosen but its key env var is unset
    │   ├── ConfigError         a config or suite file is invalid (names the file and key)
    │   └── FindingError        a findings command cannot be done as asked
    │       ├── UnknownFindingError  no finding or suppression has this id (or the prefix is ambiguous)
    │       └── IllegalMoveError     the finding's state forbids the move (acknowledge a resolved one)
    ├── InputError              the input cannot be read as a kernel log
    ├── StateError              the runner's state file cannot be used (disk full, read-only, locked)
    │   └── StateCorruptError   the state file is damaged (``tasseograph state check`` / ``recover``)
    └── ModelError              a model call failed
        ├── ModelAPIError       the provider answered with an error (status_code, request_id)
        │   ├── RateLimited
        │   ├── Overloaded
        │   └── ModelTimeout
        └── ModelReplyError     the reply was not the JSON contract (body kept, truncated)

Every message says what to do next. The CLI prints ``str(exc)`` on one line and exits non-zero.
``analyze`` never raises ``ModelError`` for a bad reply: it records it in ``Verdict.model_error``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class TasseographError(Exception):
    """Base class of every error tasseograph raises on purpose."""


class UsageError(TasseographError):
    """The caller asked for something that cannot be done as asked."""


class UnknownModelError(UsageError):
    """No model is registered under this name."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        hint = difflib.get_close_matches(name, self.known, n=3, cutoff=0.5)
        more = f" Did you mean {', '.join(hint)}?" if hint else ""
        super().__init__(
            f"unknown model {name!r}.{more} Known providers: {', '.join(self.known)} "
            "(use 'provider:model-id', e.g. 'anthropic:claude-haiku-4-5')."
        )


class UnknownPromptError(UsageError):
    """No prompt template has this id (and version)."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        hint = difflib.get_close_matches(name, self.known, n=3, cutoff=0.5)
        more = f" Did you mean {', '.join(hint)}?" if hint else ""
        super().__init__(f"unknown prompt {name!r}.{more} Known prompts: {', '.join(self.known)}.")


class MissingAPIKeyError(UsageError):
    """An API model was chosen but no key is configured."""

    def __init__(self, model: str, env_var: str) -> None:
        self.model = model
        self.env_var = env_var
        super().__init__(
            f"model {model!r} needs an API key: set the {env_var} environment variable, "
            "or use an offline model such as --model rules."
        )


class ConfigError(UsageError):
    """A configuration or suite file is invalid."""


class FindingError(UsageError):
    """A findings command cannot be done as asked."""


class UnknownFindingError(FindingError):
    """No finding or suppression has this id, or an id prefix matches several."""


class IllegalMoveError(FindingError):
    """The finding's state does not allow this move (the message says what would)."""

    def __init__(self, message: str, *, finding_id: str, state: str, move: str) -> None:
        self.finding_id = finding_id
        self.state = state
        self.move = move
        super().__init__(message)


class InputError(TasseographError):
    """The input cannot be read as a kernel log."""


class StateError(TasseographError):
    """The runner's state file cannot be read or written (the message says why and what to do)."""

    def __init__(self, message: str, *, path: str = "") -> None:
        self.path = path
        super().__init__(message)


class StateCorruptError(StateError):
    """The runner's state file is damaged: check it, then recover it."""


class ModelError(TasseographError):
    """A model call failed."""

    def __init__(self, message: str, *, model: str = "") -> None:
        self.model = model
        super().__init__(message)


class ModelAPIError(ModelError):
    """The provider answered with an error status, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        model: str = "",
        status_code: int | None = None,
        request_id: str | None = None,
        retryable: bool = False,
    ) -> None:
        self.status_code = status_code
        self.request_id = request_id
        self.retryable = retryable
        super().__init__(message, model=model)


class RateLimited(ModelAPIError):
    """HTTP 429: slow down, or the spend limit was reached."""


class Overloaded(ModelAPIError):
    """HTTP 529 (or 503): the provider is overloaded; retry later."""


class ModelTimeout(ModelAPIError):
    """The request timed out."""


class ModelReplyError(ModelError):
    """The model's reply did not follow the JSON reply contract."""

    MAX_BODY = 2000

    def __init__(self, message: str, *, model: str = "", body: str = "") -> None:
        self.body = body[: self.MAX_BODY]
        super().__init__(message, model=model)
