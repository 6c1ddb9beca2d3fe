"""Findings through the runner: a replayed host timeline, one finding and one alert for a fault
seen 50 times, interim checks counted once, operators' moves and notes, suppressions, snoozes,
reminders, fleet sightings, metrics and retention."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from tasseograph.findings import lifecycle
from tasseograph.findings.identity import FindingKey
from tasseograph.findings.record import FindingRecord, Sighting
from tasseograph.runner.alerts import to_iso
from tasseograph.runner.exporter import Metrics
from tasseograph.runner.findingstore import FindingStore
from tasseograph.runner.worker import Runner
from tests.runner.conftest import (
    CRITICAL_LINE,
    FakeAlertmanager,
    KeywordModel,
    api_error,
    make_config,
    make_runner,
    write_spool,
)

T0 = 1_796_600_000.0
HOUR = 3600.0
LINK_DOWN = "[ {t:.6f}] ixgbe 0000:03:00.0 eth0: NIC Link is Down"
LINK_UP = "[ {t:.6f}] ixgbe 0000:03:00.0 eth0: NIC Link is Up 10 Gbps, Flow Control: RX/TX"
CE = ("[ {t:.6f}] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 "
      "page:0x{page:x} offset:0x380 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0092 socket:0 ha:0)")
UE = ("[ {t:.6f}] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 "
      "page:0x{page:x} offset:0x0 grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0090 socket:0 ha:0)")
NVME_TIMEOUT = "[ {t:.6f}] nvme nvme0: I/O 12 QID 5 timeout, aborting"
QUIET = "[ {t:.6f}] systemd-journald[412]: Data hash table of /var/log/journal/system.journal has a fill level at 75.0"


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Host:
    """One host's spool and runner on a simulated clock."""

    def __init__(self, tmp_path: Path, name: str = "db-17", *, model: Any = None, **overrides: Any) -> None:
        self.tmp_path, self.name, self.clock, self.files = tmp_path, name, Clock(), 0
        self.am = FakeAlertmanager()
        config = make_config(tmp_path, **{"alerts.alertmanager_url": self.am.url, "alerts.resolve_after_checks": 3,
                                          "alerts.resolve_after": "30m", **overrides})
        self.runner: Runner = make_runner(config, clock=self.clock, **({"model": model} if model else {}))

    def pass_(self, *lines: str, after: float = 300.0, host: str | None = None) -> None:
        self.clock.now += after
        if lines:
            self.files += 1
            uptime = self.clock.now - T0 + 1000
            text = "".join(line.format(t=uptime + i * 0.25, page=0x3f000 + self.files * 7 + i) + "\n"
                           for i, line in enumerate(lines))
            write_spool(self.tmp_path / "spool", host or self.name, f"{self.files:05d}.log", text)
        asyncio.run(self.runner.cycle())

    @property
    def store(self) -> FindingStore:
        return FindingStore(self.runner.state.conn)

    def finding(self, signal: str) -> FindingRecord:
        (record,) = [r for r in self.store.query(states=("active", "regressed", "acknowledged", "snoozed",
                                                         "dismissed", "resolved")) if r.key.signal == signal]
        return record

    def moves(self, signal: str) -> list[tuple[str, str]]:
        return [(e.action, e.to_state) for e, _ in self.store.events(finding_id=self.finding(signal).id)]

    def firing(self) -> dict[str, str]:
        """finding id -> severity of the alerts Alertmanager was last told are firing."""
        last: dict[str, dict[str, Any]] = {}
        for alert in self.am.alerts():
            last[json.dumps(alert["labels"], sort_keys=True)] = alert
        return {a["labels"]["finding_id"]: a["labels"]["severity"] for a in last.values()
                if a["endsAt"] > a["startsAt"] and a["endsAt"] > to_iso(self.clock.now)}

    def close(self) -> None:
        self.runner.state.close()
        self.am.close()


@pytest.fixture
def host(tmp_path: Path) -> Any:
    h = Host(tmp_path)
    yield h
    h.close()


def test_a_replayed_host_timeline_gives_the_expected_transitions(host: Host) -> None:
    host.pass_(LINK_DOWN)
    host.pass_(LINK_UP)
    host.pass_(LINK_DOWN)
    host.pass_(LINK_UP)
    for _ in range(3):  # a corrected-error burst in three checks within the hour: a warning that pages
        host.pass_(CE, CE, CE)
    ce = host.finding("edac.ce")
    assert host.firing() == {ce.id: "warning"}
    host.pass_(UE)
    ue = host.finding("edac.ue")
    assert host.firing() == {ce.id: "warning", ue.id: "critical"}
    for _ in range(3):  # quiet checks an hour apart: the warning resolves, the uncorrected error cannot
        host.pass_(QUIET, after=HOUR)
    assert host.firing() == {ue.id: "critical"}
    host.pass_(CE, CE)  # the burst comes back

    assert host.moves("net.link_down") == [("opened", "active"), ("resolved", "resolved"), ("regressed", "regressed"),
                                           ("resolved", "resolved")]
    assert host.moves("edac.ce") == [("opened", "active"), ("resolved", "resolved"), ("regressed", "regressed")]
    assert host.moves("edac.ue") == [("opened", "active")]
    link, ce, ue = host.finding("net.link_down"), host.finding("edac.ce"), host.finding("edac.ue")
    assert (link.state, link.regressions, link.times_seen, link.resolved_reason) == ("resolved", 1, 2, "recovery")
    assert (ce.state, ce.regressions, ce.times_seen, ce.occurrences) == ("regressed", 1, 4, 11)
    assert (ue.state, ue.judgement, ue.clean_checks) == ("active", "uncertain", 4)
    assert [e.note for e, _ in host.store.events(finding_id=ce.id) if e.action == "resolved"] == [
        "clean_recheck: absent from 3 checks of its host over 2.1 h"]  # the UE check, then two quiet ones
    assert ce.key.device_dict["dimm"] == ue.key.device_dict["dimm"] == "CPU_SrcID#0_Ha#0_Chan#2_DIMM#0"
    # 11 corrected errors on the DIMM within a day crossed mcelog's threshold: that fleet finding pages;
    # the regressed warning itself pages only when sustained again.
    dimm = host.finding("fleet.memory.dimm_corrected")
    assert dimm.key.device_dict == {"dimm": "CPU_SrcID#0_Ha#0_Chan#2_DIMM#0"} and dimm.state == "active"
    assert host.firing() == {ue.id: "critical", dimm.id: "warning"}


def test_the_same_fault_in_50_deltas_is_one_finding_seen_50_times_with_one_alert(host: Host) -> None:
    for _ in range(50):
        host.pass_(UE)
    (finding,) = host.store.query()
    assert (finding.times_seen, finding.state, finding.key.signal) == (50, "active", "edac.ue")
    episodes = host.am.episodes()
    assert len(episodes) == 1 and [len(starts) for starts in episodes.values()] == [1]
    assert host.store.checks_since(finding.id, 0) == 50


def test_an_interim_check_counts_its_delta_once_with_the_final_verdict(tmp_path: Path) -> None:
    failing = {"on": True}

    def fail(_: Any) -> None:
        if failing["on"]:
            raise api_error()

    h = Host(tmp_path, model=KeywordModel(fail=fail))
    try:
        h.pass_(CRITICAL_LINE)
        (finding,) = h.store.query()
        assert finding.times_seen == 1 and h.firing() == {finding.id: "critical"}  # the catalogue alerted at once
        failing["on"] = False
        h.pass_()
        (finding,) = h.store.query()
        assert finding.times_seen == 1 and [len(s) for s in h.am.episodes().values()] == [1]
        assert h.store.deltas(finding.id)[0]["interim"] is False
    finally:
        h.close()


def test_acknowledged_pages_only_when_severity_rises(host: Host) -> None:
    for _ in range(3):  # an NVMe timeout in three checks within the hour: a warning that pages
        host.pass_(NVME_TIMEOUT)
    nvme = host.finding("nvme.timeout")
    assert host.firing() == {nvme.id: "warning"}
    with host.runner.state.transaction() as conn:
        host.runner.tracker.move(conn, nvme.id[:6], partial(lifecycle.acknowledge, by="alice",
                                                            note="replacing the drive Friday", now=host.clock.now),
                                 host.clock.now)
    for _ in range(3):
        host.pass_(NVME_TIMEOUT)
    assert host.firing() == {} and host.finding("nvme.timeout").state == "acknowledged"
    ended = [a for a in host.am.alerts() if a["labels"]["finding_id"] == nvme.id][-1]
    assert ended["annotations"]["ended"] == "acknowledged by alice: replacing the drive Friday"
    host.pass_(NVME_TIMEOUT, NVME_TIMEOUT, NVME_TIMEOUT)  # three in one delta: the catalogue calls it critical
    assert host.finding("nvme.timeout").state == "active"
    assert host.firing() == {nvme.id: "critical"}
    assert host.moves("nvme.timeout")[-1] == ("escalated", "active")


def test_operators_notes_reach_the_hosts_prompt(tmp_path: Path) -> None:
    model = KeywordModel(name="fake:keyword")
    h = Host(tmp_path, model=model, **{"model.prompt": "triage-v2", "hosts": {"db-*": {"notes": "riser quirk"}}})
    try:
        h.pass_("[ {t:.6f}] mydrv 0000:03:00.0: TEST-WARN-driver firmware heartbeat lost")
        (finding,) = h.store.query()
        with h.runner.state.transaction() as conn:
            h.runner.tracker.move(conn, finding.id, partial(
                lifecycle.dismiss, reason="expected", by="bob", now=h.clock.now,
                note="mydrv heartbeats stop during db-17 firmware updates; ignore until the update ends"),
                h.clock.now)
        h.pass_("[ {t:.6f}] mydrv 0000:03:00.0: link renegotiated")
        prompt = model.calls[-1].user
        assert "riser quirk" in prompt and "dismissed" in prompt
        assert "heartbeats stop during" in prompt and "db-17" not in prompt  # redacted like the log
        with h.runner.state.transaction() as conn:
            h.runner.tracker.move(conn, finding.id, partial(lifecycle.reopen, by="bob", now=h.clock.now), h.clock.now)
        h.pass_("[ {t:.6f}] mydrv 0000:03:00.0: link renegotiated")
        assert "heartbeats stop during" not in model.calls[-1].user  # only while the finding stays dismissed
    finally:
        h.close()


def test_a_suppression_silences_its_findings_until_lifted_or_lapsed(host: Host) -> None:
    host.pass_(UE)
    (ue,) = host.store.query()
    assert host.firing() == {ue.id: "critical"}
    with host.runner.state.transaction() as conn:
        rule, matched = host.runner.tracker.suppress(conn, host="db-*", signal="edac.*", reason="DIMM swap today",
                                                     by="carol", now=host.clock.now, until=host.clock.now + 2 * HOUR)
    assert [r.id for r in matched] == [ue.id]
    host.pass_(UE)
    assert host.firing() == {} and host.finding("edac.ue").times_seen == 2  # counted, not paged
    host.pass_(UE, after=2 * HOUR)  # the suppression lapsed: it pages again
    assert host.firing() == {ue.id: "critical"}
    actions = [(e.action, e.suppression_id, e.actor) for e, _ in host.store.events() if e.suppression_id]
    assert actions == [("suppressed", rule.id, "carol"), ("suppressed", rule.id, "carol"),
                       ("unsuppressed", rule.id, "tasseograph")]


def test_a_snooze_and_a_reminder_bring_findings_back(host: Host) -> None:
    host.pass_(UE)
    host.pass_(LINK_DOWN.replace("eth0", "eth1").replace("03:00.0", "04:00.0"))
    ue, link = host.finding("edac.ue"), host.finding("net.link_down")
    now = host.clock.now
    with host.runner.state.transaction() as conn:
        host.runner.tracker.move(conn, ue.id, partial(lifecycle.snooze, until=now + HOUR, by="d", now=now), now)
        host.runner.tracker.move(conn, link.id, partial(lifecycle.dismiss, reason="will_fix_later", by="d", now=now,
                                                        remind_at=now + 3 * HOUR), now)
    host.pass_()
    assert host.firing() == {}
    host.pass_(after=HOUR)
    assert host.finding("edac.ue").state == "active" and host.firing() == {ue.id: "critical"}
    host.pass_(after=2 * HOUR)
    assert host.moves("net.link_down")[-1] == ("reminded", "active")


def test_fleet_rules_raise_findings_through_the_same_lifecycle(host: Host) -> None:
    key = FindingKey.make("rack=r12", "network", "fleet.group.net.link_down")
    group = Sighting(key, "critical", "3 of 14 hosts with rack=r12 showed net.link_down within 2 min",
                     "web-3, web-4, web-9", T0, source="fleet", labels={"rack": "r12"},
                     members=("web-3", "web-4", "web-9"), details={"window_s": 120})
    with host.runner.state.transaction() as conn:
        (record,) = host.runner.tracker.sightings(conn, [group], T0)
    assert (record.state, record.members, record.source) == ("active", ["web-3", "web-4", "web-9"], "fleet")
    host.pass_()
    (alert,) = host.am.alerts()
    assert alert["labels"]["rack"] == "r12" and alert["labels"]["host"] == "rack=r12"
    assert alert["annotations"]["members"] == "web-3, web-4, web-9"
    with host.runner.state.transaction() as conn:
        host.runner.tracker.sightings(conn, [Sighting(key, "critical", "4 of 14 ...", "", T0 + 60, source="fleet",
                                                      members=("web-3", "web-11"))], T0 + 60)
    stored = host.store.get(record.id)
    assert stored is not None and stored.times_seen == 2 and stored.members == ["web-11", "web-3", "web-4", "web-9"]


def test_findings_metrics_and_retention(tmp_path: Path) -> None:
    h = Host(tmp_path, **{"findings.retention": "2d"})
    try:
        h.pass_(UE)
        h.pass_(LINK_DOWN)
        h.pass_(LINK_UP)
        registry = CollectorRegistry()
        Metrics(registry, h.runner.config.state)
        assert registry.get_sample_value("dmesg_llm_findings", {"state": "active", "severity": "critical"}) == 1
        assert registry.get_sample_value("dmesg_llm_findings", {"state": "resolved", "severity": "warning"}) == 1
        assert registry.get_sample_value("dmesg_llm_finding_transitions_total", {"action": "opened"}) == 2
        h.pass_(after=3 * 86400)
        assert [r.key.signal for r in h.store.query(states=("active", "resolved"))] == ["edac.ue"]  # closed one gone
        assert [e.action for e, _ in h.store.events()] == []  # the audit trail past retention is gone
        assert registry.get_sample_value("dmesg_llm_finding_transitions_total", {"action": "opened"}) == 2
    finally:
        h.close()


def test_a_host_that_goes_silent_leaves_its_finding_open_and_uncertain(host: Host) -> None:
    host.pass_(UE)
    host.pass_(CE)
    (ue,) = [r for r in host.store.query() if r.key.signal == "edac.ue"]
    for _ in range(3):
        host.pass_(after=86400.0)  # no lines from the host: nothing was checked
    ue_now, ce_now = host.finding("edac.ue"), host.finding("edac.ce")
    assert (ue_now.state, ue_now.judgement, ue_now.clean_checks) == ("active", "uncertain", 1)
    assert (ce_now.state, ce_now.judgement, ce_now.clean_checks) == ("active", "uncertain", 0)
    assert host.firing() == {ue.id: "critical"}  # the alert stays: silence is not a fix
    assert [e.action for e, _ in host.store.events(finding_id=ue.id)] == ["opened"]
