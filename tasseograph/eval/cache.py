"""Response cache: every API model reply stored under a key of what determines its content.

The key is a sha256 over the model name, the output-relevant parameters (max_tokens,
temperature, structured-output schema, any ``cache_params()`` the backend declares), the prompt
``id@version``, the rendered system, user and extra messages, and the epoch. Timeouts, retries
and concurrency are left out: they do not change what the model says. The epoch is in the key
so that ``--epochs N`` repeats are real repeats, never replays of epoch 0.

Cached replies keep their original usage, latency and batch flag, so cost and latency figures
replay exactly and a replay makes no request at all.

Local models (rules, sklearn) are never cached: they are deterministic and free, and caching
them would only hide changes to the code under test. ``CachingModel`` passes them through.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tasseograph.errors import UsageError
from tasseograph.models.base import Model, ModelReply, ModelRequest, cache_ttl, finding_source
from tasseograph.schema import Usage

KEY_VERSION = 1
"""Bump when the key recipe changes, so old entries can never be served for new requests."""


class CacheMiss(UsageError):
    """``--replay-only`` was asked and a request is not in the cache."""


@dataclass
class CachedReply:
    """A stored reply plus where it came from."""

    reply: ModelReply
    batch: bool = False
    """True when it was answered through the Message Batches API (priced at the discount)."""
    origin: str = ""
    """Where the reply came from (an API base URL, ``fake``, ``cassette``)."""


class ResponseCache(Protocol):
    """Two-method storage behind the cache (SQLite on disk, a dict in tests)."""

    def get(self, key: str) -> CachedReply | None:
        """The stored reply for ``key``, or None."""
        ...

    def put(self, key: str, entry: CachedReply, *, model: str = "") -> None:
        """Store ``entry`` under ``key`` (replacing any older one)."""
        ...


def request_key(model: Model, request: ModelRequest, *, epoch: int = 0) -> str:
    """The cache key of ``request`` sent to ``model`` in ``epoch`` (sha256 hex)."""
    declared = callable(getattr(model, "cache_params", None))
    material = {
        "v": KEY_VERSION,
        # A backend that declares its output-relevant settings (cache_params) has its name's
        # ``?options`` covered by them: the same request by name or by suite options is one entry.
        "model": model.name.partition("?")[0] if declared else model.name,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "schema": _digest(json.dumps(request.schema, sort_keys=True)) if request.schema else None,
        "backend": backend_params(model),
        "prompt": request.prompt_id,
        "system": request.system,
        "user": request.user,
        "messages": [list(m) for m in request.messages],
        "epoch": epoch,
    }
    return _digest(json.dumps(material, sort_keys=True, ensure_ascii=False))


def backend_params(model: Model) -> dict[str, Any]:
    """The backend settings that change what a model says (not timeouts or retries).

    A backend may declare them with ``cache_params()``; otherwise the structured-output mode is
    taken from its options. A non-default ``base_url`` is included so replies from a local fake
    server or a proxy can never be served for the real API (and vice versa).
    """
    declared = getattr(model, "cache_params", None)
    if callable(declared):
        return dict(declared())
    opts = getattr(model, "options", None)
    out: dict[str, Any] = {}
    for name in ("structured",):
        if hasattr(opts, name):
            out[name] = getattr(opts, name)
    base = getattr(opts, "base_url", None) or getattr(model, "base_url", None) or _env_base_url(model.name)
    if base:
        out["base_url"] = str(base)
    return out


_BASE_URL_ENV = {"anthropic": "ANTHROPIC_BASE_URL", "openai": "OPENAI_BASE_URL"}


def _env_base_url(name: str) -> str | None:
    """The base URL the provider's SDK takes from the environment when none is passed."""
    env = _BASE_URL_ENV.get(name.partition(":")[0])
    return os.environ.get(env) or None if env else None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reply_to_json(entry: CachedReply) -> str:
    """Serialise a cached reply (usage, latency and origin included)."""
    r = entry.reply
    return json.dumps({
        "text": r.text, "data": r.data, "usage": r.usage.model_dump(), "model_id": r.model_id,
        "request_id": r.request_id, "latency_s": r.latency_s, "batch": entry.batch, "origin": entry.origin,
        "fake": r.fake,
    })


def reply_from_json(blob: str) -> CachedReply:
    """Inverse of ``reply_to_json``."""
    d = json.loads(blob)
    reply = ModelReply(
        text=d["text"], data=d["data"], usage=Usage(**d["usage"]), model_id=d["model_id"],
        request_id=d["request_id"], latency_s=d["latency_s"], fake=d.get("fake", False),
    )
    return CachedReply(reply=reply, batch=d.get("batch", False), origin=d.get("origin", ""))


class MemoryCache:
    """An in-memory ``ResponseCache`` (tests, one-off runs)."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}

    def get(self, key: str) -> CachedReply | None:
        """The stored reply for ``key``, or None."""
        blob = self._data.get(key)
        return reply_from_json(blob) if blob is not None else None

    def put(self, key: str, entry: CachedReply, *, model: str = "") -> None:  # noqa: ARG002 (protocol)
        """Store ``entry`` under ``key``."""
        self._data[key] = reply_to_json(entry)

    def __len__(self) -> int:
        return len(self._data)


class SQLiteCache:
    """A ``ResponseCache`` in one SQLite file (safe to share between runs, not between hosts)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, created REAL, reply TEXT)"
        )
        self._db.commit()

    def get(self, key: str) -> CachedReply | None:
        """The stored reply for ``key``, or None."""
        with self._lock:
            row = self._db.execute("SELECT reply FROM responses WHERE key = ?", (key,)).fetchone()
        return reply_from_json(row[0]) if row else None

    def put(self, key: str, entry: CachedReply, *, model: str = "") -> None:
        """Store ``entry`` under ``key``."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)",
                (key, model, time.time(), reply_to_json(entry)),
            )
            self._db.commit()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])


@dataclass
class CacheStats:
    """What the cache did during a run."""

    hits: int = 0
    misses: int = 0
    deferred: int = 0
    """Misses held back for a Message Batch instead of being sent."""


class Deferred(Exception):
    """Raised for a miss collected for a batch; the runner discards that case's verdict."""


@dataclass
class CachingModel(Model):
    """Wrap any ``Model`` so its replies are served from, and stored in, a ``ResponseCache``.

    Example:
        >>> cached = CachingModel(get_model("anthropic:claude-haiku-4-5"), SQLiteCache("r.sqlite"))
        >>> verdict = await analyze_async(delta, model=cached)

    Args:
        inner: the model to call on a miss.
        cache: where replies live.
        epoch: repeat number, part of the key.
        replay_only: a miss raises ``CacheMiss`` instead of calling the model.
        collect: misses are recorded in ``pending`` (for a Message Batch) and raise ``Deferred``.
        origin: label stored with new replies (default: the backend's ``base_url`` if any).
    """

    inner: Model
    cache: ResponseCache
    epoch: int = 0
    replay_only: bool = False
    collect: bool = False
    origin: str = ""
    stats: CacheStats = field(default_factory=CacheStats)
    pending: dict[str, ModelRequest] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name = self.inner.name
        self.local = self.inner.local
        self.price_id = self.inner.price_id
        if not self.origin:
            self.origin = backend_params(self.inner).get("base_url", "api")
        self.finding_source = finding_source(self.inner)
        self.cache_ttl = cache_ttl(self.inner)

    def key(self, request: ModelRequest) -> str:
        """The cache key of ``request`` for this model and epoch."""
        return request_key(self.inner, request, epoch=self.epoch)

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Serve ``request`` from the cache, or call the inner model and store its reply."""
        return (await self.complete_entry(request)).reply

    async def complete_entry(self, request: ModelRequest) -> CachedReply:
        """Like ``complete``, but also says whether the reply was batched and where it came from."""
        if self.local:
            return CachedReply(reply=await self.inner.complete(request), origin="local")
        key = self.key(request)
        hit = self.cache.get(key)
        if hit is not None:
            self.stats.hits += 1
            return hit
        self.stats.misses += 1
        if self.replay_only:
            raise CacheMiss(
                f"--replay-only: no cached reply for model {self.name!r} prompt {request.prompt_id!r} "
                f"epoch {self.epoch} (key {key[:12]}); run once without --replay-only to record it"
            )
        if self.collect:
            self.stats.deferred += 1
            self.pending[key] = request
            raise Deferred(key)
        reply = await self.inner.complete(request)
        entry = CachedReply(reply=reply, origin=origin_of(reply, self.origin))
        self.cache.put(key, entry, model=self.name)
        return entry


def origin_of(reply: ModelReply, default: str) -> str:
    """Where a fresh reply came from: ``fake`` when the project's fake server sent it, else ``default``."""
    return "fake" if reply.fake else default
