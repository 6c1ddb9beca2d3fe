"""New to this host / new to the fleet: which lines are marked, what the prompt and the verdict do with them."""

from __future__ import annotations

import pytest

import tasseograph
from tasseograph import BaselineSettings, FleetTemplates, HostBaseline, analyze
from tasseograph.compress import compress
from tasseograph.errors import UsageError
from tasseograph.models.base import ModelReply, ModelRequest
from tasseograph.novelty import novel_lines
from tasseograph.pipeline import resolve_prompt
from tasseograph.schema import NOT_JUDGED
from tasseograph.signals import detect
from tasseograph.stages import Options, prepare, render

KNOWN = "[ 4410.000000] mydrv 0000:3b:00.0: queue 3 rebalanced to cpu 7"
OTHER_HOST = "[ 4411.000000] bond0: (slave ens1f1): link status definitely up, 25000 Mbps full duplex"
NEW = "[ 4412.000000] qzx_hba 0000:5e:00.0: firmware fatal error detected, adapter reset failed"
BORING = "[ 4413.000000] systemd[1]: Started Session 9 of user root."
UE = "[ 4414.000000] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0x3f1 offset:0x0 grain:32)"


def _host(name: str, *lines: str, warm: bool = True) -> HostBaseline:
    baseline = HostBaseline(name, BaselineSettings(warmup_deltas=1 if warm else 5))
    baseline.learn(tasseograph.parse_delta("\n".join(lines), host=name), "ok", now=1_000.0)
    return baseline


def _delta(*lines: str, host: str = "web1") -> tasseograph.Delta:
    return tasseograph.parse_delta("\n".join(lines), host=host)


def test_scopes_host_and_fleet_and_what_is_never_novel() -> None:
    web1 = _host("web1", KNOWN)
    fleet = FleetTemplates.from_baselines([web1, _host("db1", OTHER_HOST)])
    delta = _delta(KNOWN, OTHER_HOST, NEW, BORING, UE)
    marks = novel_lines(delta, baseline=web1, fleet=fleet, hits=detect(delta.lines))
    # KNOWN: this host's; OTHER_HOST: another host's (new here only); NEW: nobody's; noise and signals: never
    assert marks == {1: "host", 2: "fleet"}
    assert novel_lines(delta, baseline=web1, hits=detect(delta.lines)) == {1: "host", 2: "host"}


def test_nothing_is_new_to_a_cold_baseline_or_an_empty_fleet() -> None:
    cold = _host("web1", KNOWN, warm=False)
    assert not cold.warm
    assert novel_lines(_delta(NEW), baseline=cold) == {}
    fleet = FleetTemplates.from_baselines([cold])
    assert not fleet.warm and novel_lines(_delta(NEW), fleet=fleet) == {}


def test_the_prompt_keeps_novel_lines_and_shows_them_first_tagged() -> None:
    filler = [f"[ {100 + i}.000000] mydrv 0000:3b:00.0: queue {i} rebalanced to cpu {i % 8} step{i}" for i in range(40)]
    delta = _delta(*filler, NEW)
    cut = compress(delta, max_lines=5, first={40: "new to this host"})
    assert cut.lines[0].endswith("adapter reset failed  [new to this host]")
    assert cut.stats.truncated
    # the gap markers count only omitted lines (the moved line is not one of them)
    omitted = sum(int(x.split()[1]) for x in cut.lines if x.startswith("[... "))
    kept = len([x for x in cut.lines if not x.startswith("[... ")])
    assert omitted + kept == len(delta.lines)
    plain = compress(delta, max_lines=5)
    assert not any("adapter reset failed" in x for x in plain.lines[:1])


def test_an_llm_reads_novel_lines_first_and_they_count_as_judged() -> None:
    web1 = _host("web1", KNOWN)
    delta = _delta(KNOWN, NEW, host="web1")
    marks = novel_lines(delta, baseline=web1)

    class Reader:
        name, local, price_id = "reader", False, None
        seen: list[str] = []

        async def complete(self, request: ModelRequest) -> ModelReply:
            Reader.seen.append(request.user)
            return ModelReply(text='{"status": "ok", "issues": []}')

    opts = Options(baseline=web1, redact=False)
    prepared = prepare(delta, opts)
    assert prepared.novel == marks
    request = render(prepared, Reader(), resolve_prompt(None), opts).request
    assert request.user.index("[new to this host]") < request.user.index("queue 3 rebalanced")
    verdict = analyze(delta, model=Reader(), baseline=web1, redact=False)
    assert [(n.scope, n.judged) for n in verdict.novel] == [("host", True)]


def test_the_offline_verdict_says_not_judged_without_paging() -> None:
    web1 = _host("web1", KNOWN)
    fleet = FleetTemplates.from_baselines([web1])
    verdict = analyze(_delta(KNOWN, NEW, host="web1"), model="rules", baseline=web1, fleet=fleet)
    assert verdict.status == "ok" and verdict.findings == []
    assert [(n.line, n.scope, n.judged) for n in verdict.novel] == [(NEW, "fleet", False)]
    from tasseograph.cli import format_text

    assert f"{NOT_JUDGED} (1)" in format_text(verdict)


def test_fleet_option_must_be_fleet_templates() -> None:
    with pytest.raises(UsageError, match="FleetTemplates"):
        analyze(KNOWN, model="rules", fleet={"a"})
