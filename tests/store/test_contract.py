"""The store's contract, run against both backends (SQLite and a real PostgreSQL).

Every table group is exercised here on both engines; a new table adds its test to this file (the
``store`` fixture is parametrized), so a backend cannot drift from the other. Where the engines
differ on purpose (one runner per SQLite file: a claim there takes over another owner's lease
at once), the test says so through ``store.single_runner``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasseograph.baseline import BaselineSettings, HostBaseline, TemplateStats
from tasseograph.errors import LeaseLostError
from tasseograph.findings import lifecycle
from tasseograph.findings.identity import FindingKey
from tasseograph.findings.record import FindingEvent, Sighting
from tasseograph.schema import Finding, Usage, Verdict
from tasseograph.store import Chunk, CursorUpdate, Event, Store, open_store
from tasseograph.store import alerts as alert_state
from tasseograph.store.baselines import load_baseline, save_baseline
from tasseograph.store.findings import FindingStore
from tasseograph.store.schema import SCHEMA_VERSION, TABLES

T0 = 1_796_600_000.0
LEASE = 0.4
"""Seconds a claim lasts in these tests (PostgreSQL's clock decides when it ran out)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same empty store on each backend, with short leases."""
    location = str(tmp_path / "state.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = open_store(location, lease=LEASE)
    yield opened
    opened.close()


def other(store: Store) -> Store:
    """A second connection to the same store (another runner)."""
    return open_store(store.location if store.single_runner else store.url, lease=LEASE)  # type: ignore[attr-defined]


def chunk(host: str = "web1", data: bytes = b"[1.0] usb 1-1: new device\n", **kw: object) -> Chunk:
    return Chunk(host=host, source="spool", ref=f"{host}/1.log:0-{len(data)}", data=data, **kw)  # type: ignore[arg-type]


def verdict(status: str = "critical", cost: float = 0.0) -> Verdict:
    findings = [] if status == "ok" else [Finding(severity=status, category="memory", summary="EDAC UE",
                                                  evidence="EDAC MC0: 1 UE memory read error", source="signal",
                                                  signal_id="edac.ue", device={"dimm": "DIMM_A1"})]
    return Verdict(status=status, findings=findings, model="rules", cost_usd=cost,
                   usage=Usage(input_tokens=120, output_tokens=30))


def counter(store: Store, name: str, labels: dict[str, str]) -> float:
    for n, got, value in store.snapshot(T0, refused_prefix="!refused/").counters:
        if n == name and got == labels:
            return value
    return 0.0


def test_every_table_exists_at_the_current_version(store: Store) -> None:
    assert store.get_meta("schema_version") == SCHEMA_VERSION
    for table in TABLES:
        (n,) = store.reader.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        assert n == 0 or table == "meta", table


def test_ingest_queues_moves_cursors_and_records_events(store: Store) -> None:
    store.ingest([chunk(origin="web1/1:2"), chunk("db2")], [CursorUpdate("spool", "web1/1:2", '{"offset": 26}')],
                 [Event("web1", "spool", "quarantined", "junk")], now=T0)
    assert store.cursors("spool") == {"web1/1:2": '{"offset": 26}'}
    assert store.pending_origins("spool") == {"web1/1:2"}
    assert store.queue_stats(T0 + 5) == (2, 5.0)
    assert [(d.host, d.data) for d in store.due(T0)] == [("web1", chunk().data), ("db2", chunk().data)]
    assert counter(store, "dmesg_llm_source_events_total", {"host": "web1", "kind": "quarantined"}) == 1
    assert counter(store, "dmesg_llm_spool_quarantined_total", {}) == 1
    store.ingest([], [CursorUpdate("spool", "web1/1:2", None)], now=T0)
    assert store.cursors("spool") == {}


def test_a_chunk_merges_into_its_hosts_waiting_delta_but_never_into_a_claimed_one(store: Store) -> None:
    store.ingest([chunk(data=b"a\n", due=T0 + 600)], [], now=T0)
    store.ingest([chunk(data=b"b\n", due=T0 + 300)], [], now=T0 + 1, merge_limit=1024)
    (only,) = store.due(T0 + 600)
    assert only.data == b"a\nb\n" and only.ref.count("web1/1.log") == 2
    store.claim("runner-a", T0 + 600)
    store.ingest([chunk(data=b"c\n", due=T0 + 900)], [], now=T0 + 2, merge_limit=1024)
    assert sorted(d.data for d in store.due(T0 + 900)) == [b"a\nb\n", b"c\n"]


def test_finish_stores_once_and_counts_with_the_verdict(store: Store) -> None:
    store.ingest([chunk(origin="web1/1:2")], [], now=T0)
    (claimed,) = store.claim("runner-a", T0)
    assert claimed.owner == "runner-a"
    assert store.finish(claimed, verdict(cost=0.25), now=T0 + 1)
    assert not store.finish(claimed, verdict(cost=0.25), now=T0 + 2)  # gone: nothing twice
    assert store.queue_stats(T0)[0] == 0 and store.pending_origins("spool") == set()
    ((host, _ref, text),) = store.verdict_rows()
    assert host == "web1" and json.loads(text)["status"] == "critical"
    assert store.hosts()["web1"] == (T0 + 1, "critical", T0 + 1)
    assert store.spent(T0) == (0.25, 0.25)
    assert counter(store, "dmesg_llm_checks_total", {"host": "web1", "status": "critical"}) == 1
    assert counter(store, "dmesg_llm_tokens_total", {"kind": "input"}) == 120
    assert store.model_calls("web1", T0) == 1


def test_only_the_holder_of_a_live_lease_stores_the_verdict(store: Store) -> None:
    second = other(store)
    try:
        store.ingest([chunk()], [], now=T0)
        (mine,) = store.claim("runner-a", T0)
        if not store.single_runner:
            assert second.claim("runner-b", T0) == []  # live lease: passed over
            time.sleep(LEASE + 0.2)
        (theirs,) = second.claim("runner-b", T0)
        assert theirs.id == mine.id
        assert not store.finish(mine, verdict(), now=T0)  # the lease went to runner-b
        assert second.finish(theirs, verdict(), now=T0)
        assert len(store.verdict_rows()) == 1
    finally:
        second.close()


def test_a_runner_takes_its_own_leases_again_and_hands_them_back(store: Store) -> None:
    store.ingest([chunk(), chunk("db2")], [], now=T0)
    first = store.claim("runner-a", T0, limit=1)
    assert [d.host for d in first] == ["web1"]
    assert [d.host for d in store.claim("runner-a", T0)] == ["web1", "db2"]
    assert store.renew("runner-a", [d.id for d in first]) == 1
    assert store.release("runner-a") == 2
    assert {d.owner for d in store.claim("runner-b", T0)} == {"runner-b"}


def test_a_failed_call_backs_off_and_an_interim_check_needs_the_lease(store: Store) -> None:
    store.ingest([chunk()], [], now=T0)
    (d,) = store.claim("runner-a", T0)
    store.retry_later([d.id], lambda attempts: T0 + 60 * attempts, "HTTP 529", owner="runner-a")
    assert store.due(T0 + 30) == [] and store.due(T0 + 60)[0].attempts == 1
    ran: list[int] = []
    assert store.mark_interim(d, lambda tx: ran.append(1))
    assert store.due(T0 + 60)[0].interim and ran == [1]
    store.release("runner-a")
    store.claim("runner-b", T0 + 60)
    if not store.single_runner:
        assert not store.mark_interim(d, lambda tx: ran.append(2))
        assert ran == [1]


def test_concurrent_claims_take_disjoint_deltas(store: Store) -> None:
    store.ingest([chunk(f"h{i:02d}") for i in range(40)], [], now=T0)
    got: dict[str, list[int]] = {}

    def take(name: str) -> None:
        with other(store) as s:  # a connection per thread, as a runner per process has
            got[name] = [d.id for d in s.claim(name, T0, limit=15)]

    threads = [threading.Thread(target=take, args=(f"r{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for ids in got.values() for i in ids]
    if store.single_runner:  # one runner per file: a claim takes over what another left
        assert len(set(claimed)) >= 15
    else:
        assert len(claimed) == len(set(claimed)) == 40


def test_source_leases_let_one_runner_read_a_host_and_the_ingest_hands_them_back(store: Store) -> None:
    second = other(store)
    try:
        assert store.claim_sources("spool", ["web1", "db2"], "runner-a") == {"web1", "db2"}
        theirs = second.claim_sources("spool", ["web1", "app3"], "runner-b")
        assert theirs == ({"web1", "app3"} if store.single_runner else {"app3"})
        if store.single_runner:
            return
        store.ingest([chunk()], [CursorUpdate("spool", "web1/1:2", "{}")], now=T0,
                     leases=("spool", "runner-a", ["web1", "db2"]))
        assert second.claim_sources("spool", ["web1"], "runner-b") == {"web1"}  # handed back
        with pytest.raises(LeaseLostError):
            store.ingest([chunk()], [], now=T0, leases=("spool", "runner-a", ["web1"]))
        assert store.queue_stats(T0)[0] == 1  # the refused ingest stored nothing
    finally:
        second.close()


def test_an_expired_source_lease_refuses_the_ingest(store: Store) -> None:
    if store.single_runner:
        pytest.skip("one runner per SQLite file: its leases never pass to another")
    store.claim_sources("spool", ["web1"], "runner-a")
    time.sleep(LEASE + 0.2)
    with pytest.raises(LeaseLostError, match="web1"):
        store.ingest([chunk()], [CursorUpdate("spool", "web1/1:2", "{}")], now=T0,
                     leases=("spool", "runner-a", ["web1"]))
    assert store.queue_stats(T0)[0] == 0 and store.cursors("spool") == {}


def test_outbox_rows_are_claimed_in_order_by_one_runner(store: Store) -> None:
    labels = {"alertname": "DmesgHardwareIssue", "host": "web1", "severity": "critical"}
    with store.transaction() as tx:
        alert_state.fire(tx, "fp1", labels, {"summary": "x"}, T0)
        alert_state.fire(tx, "fp1", labels, {"summary": "x"}, T0 + 1)  # still firing: no new episode
        alert_state.resolve(tx, "fp1", T0 + 2, ended="acked")
        alert_state.fire(tx, "fp2", {**labels, "host": "db2"}, {"summary": "y"}, T0)
    second = other(store)
    try:
        mine = store.claim_outbox("runner-a", limit=1)
        assert [(r[1], r[4]) for r in mine] == [("fp1", "firing")]
        theirs = second.claim_outbox("runner-b", limit=10)
        if store.single_runner:
            assert len(theirs) == 3
            return
        # fp1's resolution waits for its firing row (held by runner-a): order is kept per alert.
        assert [(r[1], r[4]) for r in theirs] == [("fp2", "firing")]
        store.mark_posted([(mine[0][0], "fp1")], T0 + 3)
        second.unclaim_alerts("runner-b")
        rest = second.claim_outbox("runner-b", limit=10)
        assert [(r[1], r[4]) for r in rest] == [("fp1", "resolved"), ("fp2", "firing")]
        assert json.loads(rest[0][3])["ended"] == "acked"
    finally:
        second.close()
    assert counter(store, "dmesg_llm_alerts_total", {"alertname": "DmesgHardwareIssue", "severity": "critical"}) == 2


def test_reposts_are_claimed_once_and_given_back_after_a_failed_post(store: Store) -> None:
    with store.transaction() as tx:
        alert_state.fire(tx, "fp1", {"alertname": "A", "severity": "warning"}, {}, T0)
    (row,) = store.claim_outbox("r", limit=10)
    store.mark_posted([(row[0], "fp1")], T0)
    assert store.claim_reposts(T0 + 100, 300, limit=10) == []  # posted 100 s ago: not due
    due = store.claim_reposts(T0 + 400, 300, limit=10)
    assert [r[0] for r in due] == ["fp1"]
    assert store.claim_reposts(T0 + 400, 300, limit=10) == []
    store.unclaim_alerts("r", [("fp1", due[0][4])])
    assert [r[0] for r in store.claim_reposts(T0 + 400, 300, limit=10)] == ["fp1"]


def test_spend_holds_keep_runners_together_under_the_cap(store: Store) -> None:
    cap = 1.0
    second = other(store)
    try:
        def allows(day: float, month: float) -> bool:
            return day + 0.4 <= cap

        assert store.reserve_spend("runner-a", 0.4, T0, allows)
        assert second.reserve_spend("runner-b", 0.4, T0, allows)
        assert not store.reserve_spend("runner-a", 0.4, T0, allows)  # 0.8 held: no room for 0.4 more
        store.release_spend("runner-a")
        assert store.reserve_spend("runner-a", 0.4, T0, allows)
    finally:
        second.close()


def test_meta_updates_do_not_lose_each_other(store: Store) -> None:
    def add() -> None:
        with other(store) as s:
            for _ in range(10):
                s.update_meta("n", lambda v: (v or 0) + 1)

    threads = [threading.Thread(target=add) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get_meta("n") == 30


def test_findings_their_links_events_and_suppressions(store: Store) -> None:
    key = FindingKey("web1", "memory", "edac.ue", device=(("dimm", "DIMM_A1"),))
    record, events = lifecycle.open_finding(Sighting(key, "critical", "EDAC UE", "EDAC MC0: 1 UE", at=T0))
    with store.transaction() as tx:
        fs = FindingStore(tx)
        fs.save([record], T0)
        fs.add_events(events)
        assert fs.link(record.id, 7, T0, "critical", interim=True)
        assert not fs.link(record.id, 7, T0 + 1, "critical", interim=False)
        rule = fs.add_suppression(host="web*", signal="edac.*", reason="known board", by="alice", now=T0,
                                  until=None)
    fs = store.findings()
    assert fs.find(record.id[:6]).key == key
    assert [r.id for r in fs.query(host="web*", states=["active"])] == [record.id]
    assert fs.checks_since(record.id, T0) == 1
    assert [e.action for e, _ in fs.events(host="web1")] == ["opened"]
    assert fs.suppression(rule.id).reason == "known board"
    with store.transaction() as tx:
        FindingStore(tx).add_events([FindingEvent(T0 + 5, "bob", "acknowledged", "active", "acknowledged", "on it",
                                                  record.id)])
        FindingStore(tx).lift(rule.id, by="bob", at=T0 + 6)
    assert store.findings().suppressions() == []
    assert counter(store, "dmesg_llm_finding_transitions_total", {"action": "opened"}) == 1


def test_baselines_round_trip(store: Store) -> None:
    settings = BaselineSettings()
    before = HostBaseline(host="web1", settings=settings)
    after = HostBaseline(host="web1", settings=settings, ok_deltas=3,
                         templates={"usb <*>: new device": TemplateStats(lines=4, deltas=3, first_seen=T0,
                                                                           last_seen=T0 + 9, poisoned=False)})
    with store.transaction() as tx:
        save_baseline(tx, before, after, now=T0)
    got = load_baseline(store.reader, "web1", settings)
    assert got.ok_deltas == 3 and got.templates == after.templates
    assert store.snapshot(T0, refused_prefix="!refused/").baseline_sizes == [("web1", False, 1)]


def test_prune_forgets_old_verdicts_not_the_queue(store: Store) -> None:
    store.ingest([chunk(), chunk("db2")], [], now=T0)
    first, _ = store.claim("r", T0)
    store.finish(first, verdict(), now=T0)
    assert store.prune(T0 + 1) == 1
    assert store.verdict_rows() == [] and store.queue_stats(T0)[0] == 1


def test_the_snapshot_reads_what_the_exporter_shows(store: Store) -> None:
    store.ingest([chunk()], [CursorUpdate("spool", "!refused/bad host", "symlink: refused")], now=T0)
    store.set_meta("circuit", {"state": "open"})
    snap = store.snapshot(T0 + 10, refused_prefix="!refused/")
    assert (snap.queue_depth, snap.queue_oldest, snap.refused) == (1, T0, 1)
    assert snap.meta["circuit"] == {"state": "open"}


def test_the_fleet_tables_round_trip(store: Store) -> None:
    from tasseograph.store.fleet import GENERATION, EventRow, FleetStore, GroupRow, generation

    event = EventRow("web1", "net.link_down", T0 + 0.5, "network", None, "ixgbe eth2: NIC Link is Down", "web1/1.log:0-9")
    with store.transaction() as tx:
        fs = FleetStore(tx)
        fs.save_host("web1", {"anchor": 1.0}, T0, T0, counted=1)
        fs.save_host("web1", {"anchor": 2.5}, T0, T0 + 1, counted=2)  # counts add up, the clock is replaced
        fs.save_tracks([("signal|web1|edac.ce|mc=MC0", "web1", '{"n": 1}')], [], T0)
        fs.save_tracks([("signal|web1|edac.ce|mc=MC0", "web1", '{"n": 2}')], [], T0 + 1)
        fs.save_events([event], [], [])
        fs.save_groups([GroupRow("g1", "rack=r1", "network", {"last_at": T0 + 0.5, "hosts": ["web1"]})], [])
        fs.set_meta("watermark", T0 + 0.5)
        assert generation(tx) is None
        fs.set_meta(GENERATION, "abc")
    with store.transaction() as tx:
        FleetStore(tx).save_events([], [(event.ident, "g1")], [])
    fs = FleetStore(store.reader)
    loaded = fs.load()
    assert (loaded.clocks, loaded.since, loaded.deltas) == ({"web1": {"anchor": 2.5}}, {"web1": T0}, {"web1": 3})
    assert loaded.tracks == {"signal|web1|edac.ce|mc=MC0": ("web1", '{"n": 2}')}
    assert [(e.ident, e.group_id, e.line) for e in loaded.events] == [(event.ident, "g1", event.line)]
    assert [(g.id, g.scope, g.data["hosts"]) for g in loaded.groups] == [("g1", "rack=r1", ["web1"])]
    assert loaded.meta == {"watermark": T0 + 0.5, GENERATION: "abc"} and generation(store.reader) == "abc"
    assert fs.deltas_counted("web1") == 3 and fs.deltas_counted("db2") == 0
    with store.transaction() as tx:
        fs = FleetStore(tx)
        fs.save_tracks([], ["signal|web1|edac.ce|mc=MC0"], T0 + 2)
        fs.save_events([], [], [event.ident])
        fs.save_groups([], ["g1"])
    empty = FleetStore(store.reader).load()
    assert (empty.tracks, empty.events, empty.groups) == ({}, [], [])
