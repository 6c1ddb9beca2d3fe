"""Test doubles for the model contract: ``FakeModel`` (a queue of replies) and ``FunctionModel``.

They test plumbing (the pipeline, the repair retry, the signal merge, reports), never model
quality. Register them like any plugin::

    fake = FakeModel(replies=[{"status": "ok", "issues": []}])
    tasseograph.register("fake", fake.factory, replace=True)
    tasseograph.analyze(text, model="fake")
    assert fake.calls[0].prompt_id == "triage-v1@1"
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from tasseograph.models.base import Model, ModelReply, ModelRequest
from tasseograph.schema import Usage

ReplyLike = ModelReply | dict[str, Any] | str | BaseException
"""A scripted reply: a ``ModelReply``; a dict (parsed JSON); a str (raw text); or an exception to raise."""


def as_reply(item: ModelReply | dict[str, Any] | str, usage: Usage | None = None) -> ModelReply:
    """Coerce a scripted reply into a ``ModelReply``."""
    if isinstance(item, ModelReply):
        return item
    if isinstance(item, dict):
        return ModelReply(data=item, usage=usage or Usage(), model_id="fake")
    return ModelReply(text=item, usage=usage or Usage(), model_id="fake")


class FakeModel(Model):
    """A model that answers from a queue and remembers every request.

    Args:
        replies: scripted replies, consumed in order (see ``ReplyLike``).
        default: what to answer once the queue is empty; None raises ``AssertionError``.
        name: registry name reported in verdicts.
        local: pretend to be a local model (no prompt rendered) or an API one.
        price_id: price-file key, to test costing.
        usage: usage attached to dict/str replies.
    """

    __test__ = False

    def __init__(
        self,
        model_id: str | None = None,
        *,
        replies: Iterable[ReplyLike] = (),
        default: ModelReply | dict[str, Any] | str | None = None,
        name: str = "fake",
        local: bool = False,
        price_id: str | None = None,
        usage: Usage | None = None,
    ) -> None:
        self.name = f"{name}:{model_id}" if model_id else name
        self.local = local
        self.price_id = price_id
        self.usage = usage
        self.default = default
        self.queue: deque[ReplyLike] = deque(replies)
        self.calls: list[ModelRequest] = []

    def add(self, *replies: ReplyLike) -> None:
        """Append replies to the queue."""
        self.queue.extend(replies)

    def factory(self, model_id: str | None = None, **options: Any) -> Model:  # noqa: ARG002 (registry signature)
        """A registry factory that always returns this instance (so tests can inspect ``calls``)."""
        return self

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Record the request and return the next scripted reply."""
        self.calls.append(request)
        if self.queue:
            item = self.queue.popleft()
        elif self.default is not None:
            item = self.default
        else:
            raise AssertionError(f"FakeModel {self.name!r} has no reply left for call {len(self.calls)}")
        if isinstance(item, BaseException):
            raise item
        return as_reply(item, self.usage)


class FunctionModel(Model):
    """A model whose reply is computed by ``fn(request)`` (sync or async).

    ``fn`` may return anything ``FakeModel`` accepts as a reply, or raise.
    """

    __test__ = False

    def __init__(
        self,
        fn: Callable[[ModelRequest], ModelReply | dict[str, Any] | str | Awaitable[Any]],
        *,
        name: str = "function",
        local: bool = False,
        price_id: str | None = None,
    ) -> None:
        self.fn = fn
        self.name = name
        self.local = local
        self.price_id = price_id
        self.calls: list[ModelRequest] = []

    def factory(self, model_id: str | None = None, **options: Any) -> Model:  # noqa: ARG002 (registry signature)
        """A registry factory that always returns this instance."""
        return self

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Record the request and return ``fn(request)``."""
        self.calls.append(request)
        result = self.fn(request)
        if inspect.isawaitable(result):
            result = await result
        return as_reply(result)
