"""The fleet page over HTTP, served by uvicorn from a state the real runner wrote: what each page
shows, that log lines stay text, and one-line error pages (never a traceback)."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasseograph.fleet.inventory import load_inventory
from tasseograph.runner.state import State
from tasseograph.web.pages import Site
from tests.runner.test_runner_migration import old_state
from tests.web.conftest import ACK_NOTE, FIRST_PASS, SCRIPT, Fleet, add_group, add_tracks, ramp_tracks
from tests.web.serving import Reply, fetch, served


def site_of(fleet: Fleet, **kw: object) -> Site:
    return Site(fleet.state, load_inventory(fleet.inventory), where=("--state", str(fleet.state)), **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def base(fleet: Fleet) -> Iterator[str]:
    with served(site_of(fleet)) as url:
        yield url


def page(url: str) -> Reply:
    reply = fetch(url)
    assert reply.headers["Content-Type"].startswith("text/html; charset=utf-8"), reply.headers
    assert "Traceback" not in reply.body and 'File "' not in reply.body
    return reply


def tiles(body: str) -> list[tuple[str, str]]:
    """``(host, status)`` of each tile, in page order."""
    return re.findall(r'data-host="([^"]+)" data-status="([^"]+)"', body)


def test_fleet_page_shows_the_worst_host_first_grouped_by_rack(base: str) -> None:
    reply = page(base + "/")
    assert reply.status == 200
    assert re.findall(r'data-group="([^"]+)"', reply.body) == ["r1", "r2"]  # r1 holds the critical host
    assert tiles(reply.body) == [("db-01", "critical"), ("db-02", "ok"), ("db-03", "unchecked"),
                                 ("web-01", "warning"), ("web-03", "warning"), ("web-02", "acknowledged")]
    assert "Content-Security-Policy" in reply.headers and "script-src" not in reply.headers["Content-Security-Policy"]
    assert reply.headers["Cache-Control"] == "no-store"


def test_grouping_follows_the_label_chosen_and_an_unknown_label_is_400(base: str) -> None:
    by_row = page(base + "/?group=row")
    assert re.findall(r'data-group="([^"]+)"', by_row.body) == ["a"]
    flat = page(base + "/?group=")
    assert "all hosts" in flat.body and tiles(flat.body)[0] == ("db-01", "critical")
    bad = page(base + "/?group=%3Cb%3Eslot")
    assert bad.status == 400 and "not an inventory label (labels: rack, row)" in bad.body
    assert "<b>slot" not in bad.body and "&lt;b&gt;slot" in bad.body


def test_health_panel_reads_the_queue_and_the_silent_host(base: str) -> None:
    body = page(base + "/").body
    queue = body.split('data-card="Queue"', 1)[1].split("</div>", 1)[0]
    assert "1 queued" in queue and "oldest" in queue
    silent = body.split('data-card="Silent hosts"', 1)[1].split("</div>", 1)[0]
    assert '<p class="value">1</p>' in silent and 'Silent:' in body and "db-03</a> (never checked)" in body
    assert 'data-card="Circuit"' in body and ">closed<" in body


def test_findings_filters_narrow_the_list_and_say_the_cli_command(base: str, fleet: Fleet) -> None:
    every = page(base + "/findings").body
    assert len(re.findall(r"<tr class=\"sev-", every)) == 5
    web = page(base + "/findings?host=web-*&severity=warning").body
    rows = re.findall(r'data-finding="[^"]+" data-host="([^"]+)"', web)
    assert sorted(rows) == ["web-01", "web-01", "web-02", "web-03"]
    acked = page(base + "/findings?state=acknowledged&category=storage").body
    assert re.findall(r'data-finding="([^"]+)"', acked) == [fleet.ids["web-02"][0]]
    assert "tasseograph findings list --state" in acked and "--status acknowledged --category storage" in acked
    bad = page(base + "/findings?since=yesterday")
    assert bad.status == 400 and "since &#39;yesterday&#39;" in bad.body


def test_a_log_line_with_markup_is_shown_as_text(base: str, fleet: Fleet) -> None:
    (nvme,) = [i for i in fleet.ids["web-01"] if page(f"{base}/findings/{i}").body.count("nvme") > 1]
    body = page(f"{base}/findings/{nvme}").body
    assert SCRIPT not in body and "<script" not in body
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in body
    host = page(base + "/hosts/web-01").body
    assert "<script" not in host


def test_a_finding_page_has_its_evidence_timeline_and_cli_commands(base: str, fleet: Fleet) -> None:
    acked = fleet.ids["web-02"][0]
    reply = page(f"{base}/findings/{acked}")
    assert reply.status == 200
    assert FIRST_PASS["web-02"].strip() in reply.body  # the evidence line
    assert re.findall(r'data-what="([^"]+)"', reply.body)[:3] == ["opened", "seen", "acknowledged"]
    assert ACK_NOTE in reply.body and "alice" in reply.body
    assert f"tasseograph findings resolve {acked} --note &#39;WHAT FIXED IT&#39; --state" in reply.body
    moves = re.findall(r'<span class="move">([a-z]+)</span>', reply.body)
    assert moves == ["acknowledge", "snooze", "dismiss", "resolve", "reopen", "suppress"]
    active = page(f"{base}/findings/{fleet.ids['db-01'][0]}").body
    assert "reopen" not in re.findall(r'<span class="move">([a-z]+)</span>', active)  # the lifecycle's moves
    assert page(f"{base}/findings/{acked[:6]}").status == 200


def test_a_host_page_has_its_findings_timeline_and_checks(base: str, fleet: Fleet) -> None:
    body = page(base + "/hosts/db-01").body
    assert "edac.ue" in body and fleet.ids["db-01"][0] in body
    assert re.findall(r'data-what="([^"]+)"', body)[:2] == ["opened", "seen"]
    assert "db-01/0001.log" in body and "rack=r1" in body
    # the runner counted db-01's uncorrected errors per device: the page draws that stream
    assert 'data-stream="edac.ue"' in body.split("Device counters", 1)[1]
    unchecked = page(base + "/hosts/db-03")
    assert unchecked.status == 200 and "never" in unchecked.body


@pytest.mark.parametrize(("path", "said"), [
    ("/hosts/no-such-host", "no host &#39;no-such-host&#39; in the state or the inventory"),
    ("/findings/ffffffffffff", "no finding &#39;ffffffffffff&#39;"),
    ("/nowhere", "no page at /nowhere"),
])
def test_unknown_pages_are_404_with_one_line(base: str, path: str, said: str) -> None:
    reply = page(base + path)
    assert reply.status == 404 and said in reply.body


def test_the_page_takes_no_writes(base: str, fleet: Fleet) -> None:
    reply = fetch(f"{base}/findings/{fleet.ids['db-01'][0]}", method="POST")
    assert reply.status == 405 and "acting on findings stays in the CLI" in reply.body


def test_device_counters_and_correlated_groups_show_when_the_state_has_them(fleet_copy: Fleet) -> None:
    now = time.time()
    add_tracks(fleet_copy.state, ramp_tracks("web-01", now), now)
    group = add_group(fleet_copy.state, ["web-01", "web-02", "web-03"])
    with served(site_of(fleet_copy)) as url:
        host = page(url + "/hosts/web-01").body
        fleet_page = page(url + "/").body
        finding = page(f"{url}/findings/{group}").body
    counters = host.split("Device counters", 1)[1]
    assert 'data-stream="edac.ce"' in counters and 'src="data:image/svg+xml;base64,' in counters
    assert "Correlated groups" in fleet_page and f'data-finding="{group}"' in fleet_page
    assert '<a href="/hosts/web-02">web-02</a>' in finding and "rack=r2" in finding


def test_an_empty_state_shows_an_empty_fleet(tmp_path: Path) -> None:
    State(tmp_path / "state.db").close()
    with served(Site(tmp_path / "state.db")) as url:
        fleet_page, findings = page(url + "/"), page(url + "/findings")
    assert fleet_page.status == 200 and "No host yet" in fleet_page.body and ">never<" in fleet_page.body
    assert findings.status == 200 and "No finding matches" in findings.body


def test_an_older_schema_or_a_vanished_file_is_503_with_one_line(tmp_path: Path) -> None:
    old = old_state(tmp_path / "old.db", 3)
    with served(Site(old)) as url:
        reply = page(url + "/")
        assert reply.status == 503 and "schema version 3, older than this page reads" in reply.body
        old.unlink()
        gone = page(url + "/findings")
    assert gone.status == 503 and "no state file at" in gone.body


def test_a_damaged_state_is_503_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    State(path).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE findings")
    conn.commit()
    conn.close()
    with served(Site(path)) as url:
        reply = page(url + "/")
    assert reply.status in (500, 503) and "Traceback" not in reply.body
