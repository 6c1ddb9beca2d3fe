"""The response cache: stable keys, epoch separation, replay with original usage, replay-only misses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tasseograph.eval.cache import CacheMiss, CachingModel, MemoryCache, SQLiteCache, request_key
from tasseograph.models.base import ModelReply, ModelRequest
from tasseograph.schema import Delta, Usage
from tasseograph.testing import FakeModel

REQ = ModelRequest(system="You triage kernel logs.", user="<log>\nnvme0: timeout\n</log>", prompt_id="triage-v1@1",
                   delta=Delta(), schema={"type": "object"})


def _fake(**kw: object) -> FakeModel:
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=7, cache_write_tokens=3)
    return FakeModel(name="fakeapi", default={"status": "ok", "issues": []}, usage=usage, **kw)  # type: ignore[arg-type]


def test_key_is_stable_and_sensitive_to_what_changes_the_reply() -> None:
    model = _fake()
    k = request_key(model, REQ)
    assert k == request_key(model, replace(REQ))
    assert len(k) == 64
    assert k != request_key(model, REQ, epoch=1)
    assert k != request_key(model, replace(REQ, user=REQ.user + " "))
    assert k != request_key(model, replace(REQ, temperature=0.5))
    assert k != request_key(model, replace(REQ, max_tokens=10))
    assert k != request_key(model, replace(REQ, prompt_id="triage-v2@1"))
    assert k != request_key(model, replace(REQ, messages=(("assistant", "x"),)))
    assert k != request_key(FakeModel(name="other"), REQ)


def test_key_ignores_the_parsed_delta() -> None:
    # Only the rendered prompt bytes matter; local fields such as the parsed delta do not.
    model = _fake()
    assert request_key(model, REQ) == request_key(model, replace(REQ, delta=Delta(host="elsewhere")))


async def test_second_call_is_served_from_cache_with_original_usage() -> None:
    inner = _fake()
    cached = CachingModel(inner, MemoryCache())
    first = await cached.complete(REQ)
    second = await cached.complete(REQ)
    assert len(inner.calls) == 1
    assert second.usage == first.usage
    assert (cached.stats.hits, cached.stats.misses) == (1, 1)


async def test_epochs_are_never_served_from_each_other() -> None:
    inner = _fake()
    cache = MemoryCache()
    await CachingModel(inner, cache, epoch=0).complete(REQ)
    await CachingModel(inner, cache, epoch=1).complete(REQ)
    assert len(inner.calls) == 2
    await CachingModel(inner, cache, epoch=1).complete(REQ)
    assert len(inner.calls) == 2


async def test_replay_only_miss_raises_a_clear_error() -> None:
    cached = CachingModel(_fake(), MemoryCache(), replay_only=True)
    with pytest.raises(CacheMiss, match="--replay-only: no cached reply for model 'fakeapi'"):
        await cached.complete(REQ)


async def test_sqlite_cache_round_trips_usage_latency_and_origin(tmp_path: Path) -> None:
    inner = _fake()
    inner.default = ModelReply(data={"status": "ok", "issues": []}, usage=Usage(input_tokens=5), latency_s=1.25)
    path = tmp_path / "c.sqlite"
    await CachingModel(inner, SQLiteCache(path), origin="http://127.0.0.1:1").complete(REQ)
    again = CachingModel(inner, SQLiteCache(path), replay_only=True)
    entry = await again.complete_entry(REQ)
    assert entry.reply.latency_s == 1.25
    assert entry.reply.usage.input_tokens == 5
    assert entry.origin == "http://127.0.0.1:1"
    assert len(inner.calls) == 1


async def test_local_models_pass_through_uncached() -> None:
    inner = _fake(local=True)
    cache = MemoryCache()
    cached = CachingModel(inner, cache)
    await cached.complete(REQ)
    await cached.complete(REQ)
    assert len(inner.calls) == 2
    assert len(cache) == 0


async def test_collect_mode_defers_misses() -> None:
    from tasseograph.eval.cache import Deferred

    cached = CachingModel(_fake(), MemoryCache(), collect=True)
    with pytest.raises(Deferred):
        await cached.complete(REQ)
    assert list(cached.pending.values()) == [REQ]


def test_options_by_name_or_by_suite_share_a_key_and_each_option_counts() -> None:
    from tasseograph.models.registry import get_model

    by_name = get_model("openai:gemma3?max_tokens=200&temperature=0&base_url=http://127.0.0.1:18080/v1")
    by_suite = get_model("openai:gemma3", max_tokens=200, temperature=0.0, base_url="http://127.0.0.1:18080/v1")
    assert request_key(by_name, REQ) == request_key(by_suite, REQ)
    for changed in ({"max_tokens": 201}, {"temperature": 0.5}, {"stop": "\n"}, {"structured": "json_object"},
                    {"base_url": "http://127.0.0.1:18081/v1"}):
        other = get_model("openai:gemma3", **{"max_tokens": 200, "temperature": 0.0,
                                              "base_url": "http://127.0.0.1:18080/v1", **changed})
        assert request_key(other, REQ) != request_key(by_suite, REQ), changed
    # Timeouts and retries do not change what a model says.
    patient = get_model("openai:gemma3?timeout=300&max_retries=0", max_tokens=200, temperature=0.0,
                        base_url="http://127.0.0.1:18080/v1")
    assert request_key(patient, REQ) == request_key(by_suite, REQ)


async def test_a_fake_server_reply_is_stored_as_fake(tmp_path: Path) -> None:
    inner = _fake()
    inner.default = ModelReply(data={"status": "ok", "issues": []}, fake=True)
    await CachingModel(inner, SQLiteCache(tmp_path / "c.sqlite"), origin="http://127.0.0.1:1").complete(REQ)
    entry = await CachingModel(inner, SQLiteCache(tmp_path / "c.sqlite"), replay_only=True).complete_entry(REQ)
    assert entry.origin == "fake" and entry.reply.fake
