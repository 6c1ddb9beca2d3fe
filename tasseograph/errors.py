"""Exceptions raised by tasseograph.

The tree::

    TasseographError
    ├── UsageError              the caller asked for something that cannot be done
    │   ├── UnknownModelError   no model of that name (with suggestions)
    │   ├── UnknownPromptError  no prompt of that id/version
    │   ├── MissingAPIKeyError  an API model was chosen but its key env var is unset
    │   ├── ConfigError         a config or suite file is invalid (names the file and key)
    │   ├── LocalServerError    the local model server cannot be set up (package, weights, start)
    │   └── FindingError        a findings command cannot be done as asked
    │       ├── UnknownFindingError  no finding or suppression has this id (or the prefix is ambiguous)
    │       └── IllegalMoveError     the finding's state forbids the move (acknowledge a resolved one)
    ├── InputError              the input cannot be read as a kernel log
    ├── StateError              the runner's state file cannot be used (disk full, read-only, locked)
    │   ├── StateCorruptError   the state file is damaged (``tasseograph state check`` / ``recover``)
    │   └── LeaseLostError      another runner took over work this runner's lease covered (it is skipped)
    ├── ModelError              a model call failed
    │   ├── ModelAPIError       the provider answered with an error (status_code, request_id)
    │   │   ├── RateLimited
    │   │   ├── Overloaded
    │   │   └── ModelTimeout
    │   └── ModelReplyError     the reply was not the JSON contract (body kept, truncated)
    ├── SourceError             the runner could not read a log source this cycle
    └── AlertError              Alertmanager could not be reached or refused the alerts

Every message says what to do next. The CLI prints ``str(exc)`` on one line and exits non-zero.
``analyze`` never raises ``ModelError``: it records it in ``Verdict.model_error`` as a
``ModelFailure`` whose ``kind`` comes from the error's ``failure_kind``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Literal

FailureKind = Literal[
    "unreachable", "timeout", "rate_limited", "overloaded", "auth", "bad_request", "bad_reply", "budget"
]
"""Why a model's answer is missing from a verdict (``ModelFailure.kind``)."""
AUTH_STATUS = frozenset({401, 402, 403})
"""Statuses that say the key, its permissions or the account's billing are at fault."""
TIMEOUT_STATUS = frozenset({408, 504})


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


class LocalServerError(UsageError):
    """The local model server cannot be set up: llama-cpp-python or the weights missing, a bad
    digest, or a server that never answered."""


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


class ReviewBudgetError(UsageError):
    """A fleet review's estimated cost is over ``--budget`` (nothing was sent)."""

    def __init__(self, message: str, *, estimate_usd: float, budget_usd: float) -> None:
        self.estimate_usd = estimate_usd
        self.budget_usd = budget_usd
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


class LeaseLostError(StateError):
    """This runner's lease (on a host's source or a queued delta) ran out and another runner took
    the work over: what this runner read is dropped, nothing is stored twice."""


class ModelError(TasseographError):
    """A model call failed."""

    retryable = False

    def __init__(self, message: str, *, model: str = "") -> None:
        self.model = model
        super().__init__(message)

    @property
    def failure_kind(self) -> FailureKind:
        """The ``ModelFailure.kind`` this error becomes in a verdict."""
        return "unreachable"


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

    @property
    def failure_kind(self) -> FailureKind:
        """From the status: none (no answer) is ``unreachable``, 401/402/403 ``auth``, 408/504
        ``timeout``, 429 ``rate_limited``, other 4xx ``bad_request``, 5xx ``overloaded``."""
        status = self.status_code
        if status is None:
            return "unreachable"
        if status in AUTH_STATUS:
            return "auth"
        if status in TIMEOUT_STATUS:
            return "timeout"
        if status == 429:
            return "rate_limited"
        return "overloaded" if status >= 500 else "bad_request"


class RateLimited(ModelAPIError):
    """HTTP 429: slow down, or the spend limit was reached."""

    @property
    def failure_kind(self) -> FailureKind:
        """Always ``rate_limited``."""
        return "rate_limited"


class Overloaded(ModelAPIError):
    """HTTP 529 (or 503): the provider is overloaded; retry later."""

    @property
    def failure_kind(self) -> FailureKind:
        """Always ``overloaded``."""
        return "overloaded"


class ModelTimeout(ModelAPIError):
    """The request timed out."""

    @property
    def failure_kind(self) -> FailureKind:
        """Always ``timeout``."""
        return "timeout"


class ModelReplyError(ModelError):
    """The model's reply did not follow the JSON reply contract."""

    MAX_BODY = 2000

    def __init__(self, message: str, *, model: str = "", body: str = "") -> None:
        self.body = body[: self.MAX_BODY]
        super().__init__(message, model=model)

    @property
    def failure_kind(self) -> FailureKind:
        """Always ``bad_reply``."""
        return "bad_reply"


class SourceError(TasseographError):
    """A log source could not be read this cycle (the runner still reads the others)."""


class AlertError(TasseographError):
    """Alertmanager could not be reached or refused the alerts (the runner retries next cycle)."""
