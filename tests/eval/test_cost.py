"""The cost replay and its pricing: folding cuts tokens without losing evidence, levers and hosts priced apart."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tasseograph.errors import TasseographError
from tasseograph.eval.cost import Pricing, cost_keys, cost_of_logdir, cost_report
from tasseograph.eval.costreplay import ReplaySettings, run_replay
from tasseograph.eval.logdir import LogDir, read_logdir
from tasseograph.stages import Options

EDAC = ("EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#1 "
        "(channel:0 slot:1 page:0x3f1 offset:0x0 grain:32 syndrome:0x0)")
HEARTBEAT = "mlx5_core 0000:5e:00.0: firmware heartbeat missed, resetting"
ODD = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
       "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango")
"""Words that make each hour's odd line a template the host has never seen."""


def _line(t: int, host: str, message: str) -> str:
    h, rest = divmod(t, 3600)
    return f"2026-11-01T{h:02d}:{rest // 60:02d}:{rest % 60:02d}.000000+00:00 {host} kernel: [{5000 + t}.000000] {message}"


def _host_log(host: str, every: int, seed: int) -> str:
    """20 hours of a host's usual driver chatter (fresh numbers each time), an odd new line each hour,
    and near the end a corrected memory error and a NIC firmware reset."""
    rng = random.Random(seed)
    out = []
    for t in range(0, 20 * 3600, every):
        out.append(_line(t + 7, host, f"mydrv 0000:3b:00.0: queue {rng.randint(0, 63)} rebalanced to cpu "
                                      f"{rng.randint(0, 31)}"))
        out.append(_line(t + 9, host, f"nfs: server filer-{rng.randint(1, 4)} OK"))
        out.append(_line(t + 11, host, "bond0: link status definitely up for interface eth1, 10000 Mbps full duplex"))
    out += [_line(h * 3600 + 30, host, f"mydrv 0000:3b:00.0: {ODD[h]} event ignored") for h in range(20)]
    out += [_line(19 * 3600 + 100, host, EDAC), _line(19 * 3600 + 101, host, HEARTBEAT)]
    return "\n".join(sorted(out)) + "\n"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> LogDir:
    root = tmp_path_factory.mktemp("logs")
    (root / "busy.log").write_text(_host_log("busy", 300, 1))
    (root / "calm.log").write_text(_host_log("calm", 3600, 2))
    return read_logdir(root)


def _evidence(message: str) -> bool:
    return "EDAC" in message or "heartbeat" in message or "event ignored" in message


def _settings(*, fold: bool, sizes: tuple[int, ...] = (1,)) -> ReplaySettings:
    return ReplaySettings(opts=Options(redact=True, fold=fold), batch_sizes=sizes)


def test_folding_sends_fewer_tokens_and_keeps_every_evidence_line(logs: LogDir) -> None:
    folded = run_replay(logs, _settings(fold=True), evidence=_evidence)
    plain = run_replay(logs, _settings(fold=False), evidence=_evidence)
    sent = {name: sum(t.sent_tokens for t in r.hosts.values()) for name, r in (("fold", folded), ("plain", plain))}
    assert sum(t.folded_lines for t in folded.hosts.values()) > 0
    assert sent["fold"] < sent["plain"]
    assert folded.evidence is not None and folded.evidence.lines >= 2 * 22
    assert folded.evidence.retention == 1.0 and folded.evidence.lost == []


def test_evidence_retention_fails_when_evidence_is_folded_or_skipped(logs: LogDir) -> None:
    # Call the usual nfs chatter evidence: the baseline skips and folds it, and the measure must say so.
    replay = run_replay(logs, _settings(fold=True), evidence=lambda m: m.startswith("nfs: server"))
    assert replay.evidence is not None and replay.evidence.retention is not None
    assert replay.evidence.retention < 0.5 and replay.evidence.lost[0].startswith(("busy: nfs", "calm: nfs"))


def test_a_signal_makes_its_call_at_once_on_the_real_time_api(logs: LogDir) -> None:
    replay = run_replay(logs, _settings(fold=True))
    signal_calls = [c for c in replay.calls[1] if c.signal]
    assert sorted(c.hosts for c in signal_calls) == [("busy",), ("calm",)]
    assert all(c.nonok == 1 for c in signal_calls)
    # The EDAC line is logged at 19:01:40: delivered at 19:05 and analysed on that cycle, not at the
    # healthy host's next 15-30 minute poll.
    midnight = logs.origin - 7
    assert all(c.at - midnight == pytest.approx(19 * 3600 + 300) for c in signal_calls)


def test_cost_is_a_range_over_hosts_and_each_lever_is_priced_apart(logs: LogDir) -> None:
    replay = run_replay(logs, _settings(fold=True, sizes=(1, 10)))
    report = cost_report(logs, replay, Pricing(fleet_hosts=1000))
    by_host = {h.host: h for h in report.hosts}
    assert by_host["busy"].activity == 1.0 and by_host["calm"].activity == pytest.approx(1 / 12, abs=0.02)
    assert by_host["busy"].usd_per_month > by_host["calm"].usd_per_month > 0  # type: ignore[operator]
    assert report.cost.hosts == 2 and report.cost.max == by_host["busy"].usd_per_month
    levers = {row.label: row for row in report.levers}
    head = report.levers[0]
    batches = levers["Message Batches for calls without a signal"]
    assert 0 < batches.batched_share < 1  # the signal call stays on the real-time API
    assert batches.usd_per_host_month.mean < head.usd_per_host_month.mean  # type: ignore[operator]
    flat = levers["replies at the plan's flat 100 output tokens"]
    assert flat.usd_per_host_month.mean > head.usd_per_host_month.mean  # type: ignore[operator]
    assert head.fleet_usd_per_month == pytest.approx(head.usd_per_host_month.mean * 1000)  # type: ignore[operator]
    assert cost_keys(report) == {"cost_per_host_month_median_usd": report.cost.median,
                                 "cost_per_host_month_p90_usd": report.cost.p90}
    assert report.inputs.model == "claude-haiku-4-5" and report.inputs.interval_s == 300


def test_the_price_follows_the_prices_file(logs: LogDir) -> None:
    replay = run_replay(logs, _settings(fold=True))
    haiku = cost_report(logs, replay, Pricing(model="claude-haiku-4-5"))
    sonnet = cost_report(logs, replay, Pricing(model="claude-sonnet-4-5"))
    assert sonnet.cost.median == pytest.approx(3 * haiku.cost.median, rel=0.01)  # type: ignore[operator]
    with pytest.raises(TasseographError, match="no price for model"):
        cost_report(logs, replay, Pricing(model="gpt-nope"))


def test_a_log_that_begins_at_a_boot_prices_the_boot_apart(tmp_path: Path) -> None:
    boot = [f"[{i * 0.5:12.6f}] mydrv 0000:3b:00.0: port {i} set up with {4 * i} queues, firmware 2.{i}"
            for i in range(40)]
    runtime = [f"[{3600.0 * k + 17:12.6f}] mydrv 0000:3b:00.0: queue {k} rebalanced to cpu {k % 8}" for k in range(1, 6)]
    (tmp_path / "gpu-3.dmesg").write_text("\n".join(boot + runtime) + "\n")
    logs = read_logdir(tmp_path)
    host = cost_report(logs, run_replay(logs, _settings(fold=True))).hosts[0]
    assert host.clock == "monotonic" and host.boot_usd is not None and host.boot_usd > 0
    assert host.usd_per_month is not None and host.usd_per_month > host.boot_usd


def test_cost_of_logdir_is_the_commands_default_run(logs: LogDir) -> None:
    report = cost_of_logdir(logs.root)
    again = cost_report(logs, run_replay(logs, ReplaySettings()))
    assert report.cost == again.cost and report.inputs.fold and report.inputs.baseline.startswith("on")
