"""The fleet page as a person meets it: served from a state the real runner wrote, opened in
headless Chromium. Screenshots of each page are kept under the test's tmp dir (the path is
printed; ``python -m tests.web.browse docs/dashboard.png`` makes the README's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasseograph.fleet.inventory import load_inventory
from tasseograph.web.pages import Site
from tests.browser import require_chromium, save_png
from tests.web.browse import browser
from tests.web.conftest import FIRST_PASS, SCRIPT, Fleet
from tests.web.serving import served

pytestmark = pytest.mark.slow

RED = "rgb(198, 40, 40)"
"""``--critical`` in style.css."""


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def chrome(fleet: Fleet) -> Iterator[tuple[str, Any, list[str]]]:
    """The served page's base URL, one Chromium page, and the URLs it asked for elsewhere."""
    require_chromium()
    site = Site(fleet.state, load_inventory(fleet.inventory), where=("--state", str(fleet.state)))
    with served(site) as base, browser(base) as (page, elsewhere):
        yield base, page, elsewhere


def shoot(page: Any, shots: Path, name: str) -> None:
    png = save_png(page.screenshot(full_page=True, type="png"), shots / f"{name}.png")
    print(f"screenshot: {png}")


def test_the_critical_host_is_first_red_and_hosts_are_grouped_by_rack(chrome: tuple[str, Any, list[str]],
                                                                      shots: Path) -> None:
    base, page, elsewhere = chrome
    page.goto(base + "/", wait_until="load")
    shoot(page, shots, "fleet")
    groups = page.eval_on_selector_all(".group h3 b", "els => els.map(e => e.textContent)")
    assert groups == ["r1", "r2"]
    first = page.locator(".tile").first
    assert first.get_attribute("data-host") == "db-01"
    assert first.locator("a").evaluate("el => getComputedStyle(el).backgroundColor") == RED
    rack2 = page.eval_on_selector_all('.group[data-group="r2"] .tile .name', "els => els.map(e => e.textContent)")
    assert rack2 == ["web-01", "web-03", "web-02"]
    queue = page.inner_text('[data-card="Queue"]')
    assert "1 queued" in queue
    page.select_option("select[name=group]", "row")
    page.click("form.inline button")
    page.wait_for_url("**/?group=row")
    assert page.eval_on_selector_all(".group h3 b", "els => els.map(e => e.textContent)") == ["a"]
    assert elsewhere == []


def test_the_filter_narrows_the_findings_list(chrome: tuple[str, Any, list[str]], shots: Path) -> None:
    base, page, _ = chrome
    page.goto(base + "/findings", wait_until="load")
    assert page.locator("table.findings tbody tr").count() == 5
    page.fill("input[name=host]", "db-*")
    page.click("form.filters button")
    page.wait_for_url("**/findings?host=db-*")
    hosts = page.eval_on_selector_all("table.findings tbody tr", "rs => rs.map(r => r.dataset.host)")
    assert hosts == ["db-01"]
    assert "--host 'db-*'" in page.inner_text(".result-line")
    shoot(page, shots, "findings")


def test_the_finding_page_shows_its_evidence_line_and_markup_as_text(chrome: tuple[str, Any, list[str]],
                                                                     fleet: Fleet, shots: Path) -> None:
    base, page, elsewhere = chrome
    page.goto(f"{base}/findings/{fleet.ids['db-01'][0]}", wait_until="load")
    evidence = page.inner_text(".evidence pre.log")
    assert evidence.strip() == FIRST_PASS["db-01"].strip()
    shoot(page, shots, "finding")
    shown = []
    for ref in fleet.ids["web-01"]:
        page.goto(f"{base}/findings/{ref}", wait_until="load")
        assert page.title().startswith("Finding ")  # the line's <script> never ran (it sets the title)
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        shown.append(page.inner_text(".evidence"))
    assert sum(SCRIPT in text for text in shown) == 1
    assert elsewhere == []


def test_the_host_page_shows_its_timeline(chrome: tuple[str, Any, list[str]], shots: Path) -> None:
    base, page, _ = chrome
    page.goto(base + "/hosts/web-02", wait_until="load")
    what = page.eval_on_selector_all("table.timeline tbody tr", "rs => rs.map(r => r.dataset.what)")
    assert what[:3] == ["opened", "seen", "acknowledged"]
    assert "acknowledged" in page.inner_text("h1")
    shoot(page, shots, "host")
