"""Several hosts in one call: every finding lands on its own host."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tasseograph.baseline import BaselineSettings, HostBaseline
from tasseograph.batch import analyze_batch, batch_reply_schema, finish_batch, render_batch
from tasseograph.errors import ModelAPIError
from tasseograph.models.base import ModelReply, ModelRequest
from tasseograph.parsing import parse_delta
from tasseograph.prompts import get_prompt
from tasseograph.schema import Usage
from tasseograph.stages import Options, Prepared, judge, prepare
from tests.runner.conftest import KeywordModel, make_config, make_runner, write_spool


def test_batch_attributes_findings_to_hosts(tmp_path: Path) -> None:
    config = make_config(tmp_path, **{"model.batch_size": 3, "model.redact": True})
    model = KeywordModel(price_id="claude-haiku-4-5", usage=Usage(input_tokens=900, output_tokens=90))
    runner = make_runner(config, model=model)
    lines = {"db-1": "TEST-CRIT-storage sdb dead", "db-2": "TEST-WARN-thermal cpu3 hot", "db-3": "all fine"}
    for host, line in lines.items():
        write_spool(tmp_path / "spool", host, "1.log", f"[ 1.0] {line} on {host}\n")
    asyncio.run(runner.cycle())
    assert len(model.calls) == 1  # one call for three hosts
    assert "db-1" not in model.calls[0].user  # host names were redacted before leaving
    rows = {host: json.loads(v) for host, _, v in runner.state.verdict_rows()}
    assert {h: v["status"] for h, v in rows.items()} == {"db-1": "critical", "db-2": "warning", "db-3": "ok"}
    for host, v in rows.items():
        assert all(f["host"] == host for f in v["findings"])
        assert all(host in f["evidence"] for f in v["findings"])
    assert sum(v["usage"]["input_tokens"] for v in rows.values()) == 900
    assert abs(sum(v["cost_usd"] for v in rows.values()) - (900 * 1 + 90 * 5) / 1e6) < 1e-12


class ScriptedModel:
    """Answers every batch with fixed issues (for attribution edge cases)."""

    local, name = False, "fake:scripted"
    price_id: str | None = None

    def __init__(self, issues: list[dict[str, str]]) -> None:
        self.issues = issues

    async def complete(self, request: ModelRequest) -> ModelReply:
        return ModelReply(data={"status": "warning", "issues": self.issues})


def items() -> list[Prepared]:
    return [prepare(parse_delta(text, host=host), Options(redact=False))
            for host, text in [("a", "[ 1.0] eth0 link down\n"), ("b", "[ 1.0] nvme0 timeout\n")]]


def test_attribution_falls_back_to_evidence_and_counts_the_lost() -> None:
    issue = {"severity": "warning", "category": "network", "summary": "s"}
    model = ScriptedModel([
        {**issue, "host": "b", "evidence": "nvme0 timeout"},
        {**issue, "host": "HOST-9", "evidence": "eth0 link down"},  # wrong host: evidence decides
        {**issue, "host": "nope", "evidence": "never logged"},  # nobody: dropped and counted
    ])
    result = asyncio.run(analyze_batch(items(), model, get_prompt("triage-batch-v1"), Options(redact=False)))
    assert [f.host for f in result.verdicts[0].findings] == ["a"]
    assert [f.host for f in result.verdicts[1].findings] == ["b"]
    assert result.unattributed == 1


def test_bad_batch_reply_falls_back_to_signals() -> None:
    class Garbage:
        local, name = False, "fake:garbage"
        price_id: str | None = None
        calls = 0

        async def complete(self, request: ModelRequest) -> ModelReply:
            Garbage.calls += 1
            return ModelReply(text="I cannot comply.")

    result = asyncio.run(analyze_batch(items(), Garbage(), get_prompt("triage-batch-v1"), Options(redact=False)))
    assert Garbage.calls == 2  # one repair retry
    for v in result.verdicts:
        assert v.model_error is not None and v.model_error.kind == "bad_reply" and "repair" in v.model_error.message


def test_batch_schema_requires_host() -> None:
    schema = batch_reply_schema()
    assert schema["properties"]["issues"]["items"]["required"][0] == "host"


def test_batch_call_carries_each_hosts_operator_notes_redacted(tmp_path: Path) -> None:
    config = make_config(tmp_path, **{"model.batch_size": 3, "model.redact": True,
                                      "hosts": {"db-1": {"notes": "db-1 logs AER corrected errors on 0000:03:00.0; board quirk"}}})
    model = KeywordModel(price_id="claude-haiku-4-5")
    runner = make_runner(config, model=model)
    for host in ("db-1", "db-2"):
        write_spool(tmp_path / "spool", host, "1.log", f"[ 1.0] all fine on {host}\n")
    asyncio.run(runner.cycle())
    runner.state.close()
    (call,) = model.calls
    assert call.prompt_id == "triage-batch-v1@2"
    assert call.user.count("<operator_notes") == 1 and "board quirk" in call.user
    assert "db-1" not in call.user  # the host name is redacted in the notes as in the log
    notes_host = call.user.split('<operator_notes host="', 1)[1].split('"', 1)[0]
    first_log = call.user.split('<kernel_log host="', 1)[1].split('"', 1)[0]
    assert notes_host == first_log  # the notes sit beside db-1's block, under its placeholder


def test_evidence_attribution_reads_journal_messages_not_their_json_escaping() -> None:
    message = 'XFS (dm-3): metadata I/O error in "xfs_trans_read_buf_map" at daddr 0x1d2f60 len 8 error 5'
    records = {host: json.dumps({"__REALTIME_TIMESTAMP": "1733500000000000", "_HOSTNAME": host,
                                 "MESSAGE": message if host == "b" else "eth0: link up"}) for host in ("a", "b")}
    prepared = [prepare(parse_delta(records[h] + "\n", host=h), Options(redact=False)) for h in ("a", "b")]
    issue = {"severity": "critical", "category": "storage", "summary": "xfs metadata I/O error", "host": "unknown"}
    result = asyncio.run(analyze_batch(prepared, ScriptedModel([{**issue, "evidence": message}]),
                                       get_prompt("triage-batch-v1"), Options(redact=False)))
    assert result.unattributed == 0
    assert [f.evidence for f in result.verdicts[1].findings if f.source == "llm"] == [message]
    assert not [f for f in result.verdicts[0].findings if f.source == "llm"]



class DownModel(ScriptedModel):
    """An API that cannot be reached."""

    async def complete(self, request: ModelRequest) -> ModelReply:
        raise ModelAPIError("connection refused", model=self.name)


def test_a_batch_shows_each_hosts_new_lines_first_and_lists_them_unjudged_only_when_the_call_failed() -> None:
    known = "[ 1.0] mydrv 0000:3b:00.0: queue 3 rebalanced to cpu 7"
    new = "[ 2.0] qzx_hba 0000:5e:00.0: firmware fatal error detected, adapter reset failed"
    baseline = HostBaseline("a", BaselineSettings(warmup_deltas=1))
    baseline.learn(parse_delta(known + "\n", host="a"), "ok", now=1_000.0)
    opts, prompt = Options(redact=False), get_prompt("triage-batch-v1")
    prepared = [prepare(parse_delta(f"{known}\n{new}\n", host="a"), Options(redact=False, baseline=baseline)),
                prepare(parse_delta("[ 1.0] eth0 link down\n", host="b"), opts)]
    assert [p.novel for p in prepared] == [{1: "host"}, {}]
    rendered = render_batch(prepared, ScriptedModel([]), prompt, opts)
    user = rendered.request.user
    assert user.index("adapter reset failed  [new to this host]") < user.index("queue 3 rebalanced")
    answered = finish_batch(prepared, rendered, asyncio.run(judge(rendered, ScriptedModel([]), opts)),
                            ScriptedModel([]), prompt, opts)
    assert [(n.line, n.scope, n.judged) for n in answered.verdicts[0].novel] == [(new, "host", True)]
    failed = finish_batch(prepared, rendered, asyncio.run(judge(rendered, DownModel([]), opts)), DownModel([]),
                          prompt, opts)
    assert [(n.line, n.judged) for n in failed.verdicts[0].novel] == [(new, False)]
    assert failed.verdicts[1].novel == []
