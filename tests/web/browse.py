"""Debian's chromium, headless through Playwright, on the served fleet page (see ``tests/browser.py``).

Regenerate the README's screenshot of the fleet page (a state the real runner writes over the
test fleet of ``tests/web/conftest.py``)::

    python -m tests.web.browse docs/dashboard.png
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.browser import CHROMIUM_FLAGS, SCREENSHOT_WIDTH, VIEWPORT, chromium, save_png


@contextmanager
def browser(base: str, *, viewport: dict[str, int] | None = None) -> Iterator[tuple[Any, list[str]]]:
    """A fresh headless Chromium page, and the list of every URL it requests outside ``base`` (the
    page must need none: no CDN, no font, no script)."""
    from playwright.sync_api import sync_playwright

    exe = chromium()
    if exe is None:
        raise RuntimeError("chromium not found (apt-get install chromium)")
    elsewhere: list[str] = []
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="tg-chromium-") as profile:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=exe, headless=True,
                                                    args=list(CHROMIUM_FLAGS), viewport=viewport or VIEWPORT)

        def outside(route: Any) -> None:
            url = route.request.url
            if url.startswith(base) or url.startswith("data:"):
                route.continue_()
            else:
                elsewhere.append(url)
                route.abort()

        ctx.route("**/*", outside)
        try:
            yield ctx.new_page(), elsewhere
        finally:
            ctx.close()


def fleet_screenshot(base: str, png: Path, *, width: int = SCREENSHOT_WIDTH) -> Path:
    """The fleet page at ``base``, full height, ``width`` CSS pixels wide."""
    with browser(base, viewport={"width": width, "height": 900}) as (page, _):
        page.goto(base + "/", wait_until="load")
        return save_png(page.screenshot(full_page=True, type="png"), png)


def main(out: Path) -> Path:
    """Build the test fleet's state with the real runner, serve it, and screenshot the fleet page."""
    from tasseograph.fleet.inventory import load_inventory
    from tasseograph.web.pages import Site
    from tests.web.conftest import build_fleet
    from tests.web.serving import served

    with tempfile.TemporaryDirectory(prefix="tg-fleet-") as tmp:
        fleet = build_fleet(Path(tmp))
        with served(Site(fleet.state, load_inventory(fleet.inventory))) as base:
            return fleet_screenshot(base, out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.web.browse OUT_PNG")
    print(main(Path(sys.argv[1])))
