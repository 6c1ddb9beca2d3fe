"""Against the fake Anthropic API (tests/fakeapi.py) injecting 429, 529, 500, timeouts and bad
replies at random: every queued delta is eventually analysed, and none twice."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tasseograph.errors import ModelReplyError
from tasseograph.models.anthropic import AnthropicModel
from tasseograph.models.base import ModelReply, ModelRequest
from tasseograph.replies import parse_reply
from tests.fakeapi import (
    TEST_KEY,
    FakeAPIServer,
    garbage,
    overloaded,
    rate_limited,
    server_error,
    text,
    timeout,
)
from tests.runner.conftest import CRITICAL_LINE, make_config, make_runner, write_spool

_MARKER = re.compile(r"marker-\d+")


class Counting:
    """Counts, per delta marker, the usable answers (replies that parse as the contract).

    An unusable first reply whose repair call then fails leaves the delta queued, so it is
    asked again later; that is a retry, not a second analysis, and is not counted twice.
    """

    def __init__(self, inner: AnthropicModel) -> None:
        self.inner = inner
        self.name, self.local, self.price_id = inner.name, inner.local, inner.price_id
        self.answered: Counter[str] = Counter()
        self.replies = 0

    async def complete(self, request: ModelRequest) -> ModelReply:
        reply = await self.inner.complete(request)
        self.replies += 1
        try:
            parse_reply(reply)
        except ModelReplyError:
            return reply
        self.answered.update(set(_MARKER.findall(request.delta.text())))
        return reply


@pytest.mark.parametrize("batch_size", [1, 4])
def test_every_delta_analysed_once_despite_faults(tmp_path: Path, batch_size: int) -> None:
    faults = (rate_limited, overloaded, server_error, lambda: timeout(1.5), garbage,
              lambda: text("I cannot comply."))
    with FakeAPIServer(fault_rate=0.3, faults=faults, seed=batch_size) as server:
        model = Counting(AnthropicModel("claude-haiku-4-5", base_url=server.url, api_key=TEST_KEY,
                                        timeout=1.0, max_retries=0))
        config = make_config(tmp_path, **{"model.batch_size": batch_size, "model.concurrency": 8,
                                          "retry.failure_threshold": 3, "retry.open_for": 0})
        runner = make_runner(config, model=model)
        n = 40
        for i in range(n):
            line = CRITICAL_LINE if i % 10 == 0 else f"mydrv 0000:0{i % 10}:00.0: status word {i}"
            write_spool(tmp_path / "spool", f"host{i:02d}", "1.log", f"[ {i}.0] marker-{i} {line}\n")
        for _ in range(100):
            asyncio.run(runner.cycle())
            if runner.state.queue_stats(0)[0] == 0:
                break
        rows = runner.state.verdict_rows()
        assert sorted(ref for _, ref, _ in rows) == sorted({ref for _, ref, _ in rows})
        assert len(rows) == n and runner.state.queue_stats(0)[0] == 0
        assert sorted(model.answered) == sorted(f"marker-{i}" for i in range(n))
        assert set(model.answered.values()) == {1}  # none analysed twice
        assert server.request_count > model.replies  # faults did happen
        errors = runner.state.conn.execute(
            "SELECT value FROM counters WHERE name='dmesg_llm_api_errors_total'").fetchone()
        assert errors is not None and errors[0] > 0
        statuses = {host: json.loads(v)["status"] for host, _, v in rows}
        assert all(statuses[f"host{i:02d}"] == "critical" for i in range(0, n, 10))
        assert TEST_KEY.encode() not in (tmp_path / "state.db").read_bytes()
        runner.state.close()
