"""The runner against the fake server: rate limits pause and retry, bad replies are counted."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tasseograph.eval.cache import MemoryCache
from tasseograph.eval.datasets import load_dataset
from tasseograph.eval.execute import RunSpec, run_spec
from tasseograph.eval.profile import FleetProfile
from tasseograph.eval.scoring import QUALITY_PLUMBING, summarize
from tasseograph.models.registry import get_model
from tests.fakeapi import TEST_KEY, FakeAPIServer, garbage, rate_limited


def _haiku(url: str):
    return get_model("anthropic:claude-haiku-4-5", base_url=url, api_key=TEST_KEY, max_retries=0)


def test_rate_limits_pause_every_worker_then_retry(fake_api: FakeAPIServer, tiny_jsonl: Path) -> None:
    ds = load_dataset(tiny_jsonl)
    ds.cases = ds.cases[:1]
    fake_api.script(rate_limited(), rate_limited())
    spec = RunSpec(dataset=ds, model="anthropic:claude-haiku-4-5", options={"prefilter": False})
    run = asyncio.run(run_spec(spec, _haiku(fake_api.url), MemoryCache(), rate_pause_s=0.01))
    (case,) = run.cases
    assert case.model_error is None and case.n_requests == 1
    assert fake_api.request_count == 3


def test_reply_failures_are_counted_not_raised(fake_api: FakeAPIServer, tiny_jsonl: Path) -> None:
    ds = load_dataset(tiny_jsonl)
    ds.cases = ds.cases[:2]
    fake_api.script(garbage(), garbage())  # not JSON at all: an API error, recorded as data
    spec = RunSpec(dataset=ds, model="anthropic:claude-haiku-4-5", options={"prefilter": False}, epochs=1)
    run = asyncio.run(run_spec(spec, _haiku(fake_api.url), MemoryCache(), concurrency=1, rate_pause_s=0.01))
    s = summarize(run, FleetProfile())
    assert s["reply_failure_rate"] == 1.0
    assert s["quality"] == QUALITY_PLUMBING
