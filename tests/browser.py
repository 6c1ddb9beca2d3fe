"""Headless Chromium for the report tests and the README screenshot (Debian's chromium, driven by Playwright).

Playwright's own browser download is not used: it drives ``/usr/bin/chromium`` with the flags a
closed network needs (no background connections, no component updates) and a fresh profile.

Make the screenshot the README shows (after ``tasseograph-eval run evals/offline.toml --out out/offline``)::

    python -m tests.browser out/offline/report.html docs/report-offline.png
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
VIEWPORT = {"width": 1400, "height": 1000}
SCREENSHOT_WIDTH = 1000
"""Width of the committed screenshot (the README shows it scaled to its column)."""

# Run in the page: what a reader would see of each image (loaded, its size, how much is drawn).
IMAGE_PROBE = """() => Array.from(document.images).map(img => {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const px = c.width && c.height ? ctx.getImageData(0, 0, c.width, c.height).data : [];
  let inked = 0; const colours = new Set();
  for (let i = 0; i < px.length; i += 4) {
    if (px[i] < 235 || px[i + 1] < 235 || px[i + 2] < 235) { inked++; colours.add(px[i] << 16 | px[i + 1] << 8 | px[i + 2]); }
  }
  const box = img.getBoundingClientRect();
  return {alt: img.alt, complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
          shownWidth: box.width, shownHeight: box.height, inkedShare: px.length ? inked / (px.length / 4) : 0,
          colours: colours.size};
})"""


def chromium() -> str | None:
    """Debian's chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """The chromium path; outside CI a missing browser or Playwright skips the test, in CI it fails it."""
    path = chromium()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        why = "headless Chromium needs Debian's chromium (apt-get install chromium) and playwright (pip)"
        if os.environ.get("CI"):
            pytest.fail(why + ": CI must have both (.ci/run installs them)")
        pytest.skip(why)
    return path


@contextmanager
def page(html: Path, *, viewport: dict[str, int] | None = None) -> Iterator[Any]:
    """A Playwright page with ``html`` loaded, in a fresh headless Chromium profile."""
    from playwright.sync_api import sync_playwright

    exe = chromium()
    if exe is None:
        raise RuntimeError("chromium not found (apt-get install chromium)")
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="tg-chromium-") as profile:
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=exe, headless=True, args=list(CHROMIUM_FLAGS),
            viewport=viewport or VIEWPORT, offline=True,
        )
        try:
            p = ctx.new_page()
            p.goto(html.resolve().as_uri(), wait_until="load")
            yield p
        finally:
            ctx.close()


def screenshot(html: Path, png: Path, *, width: int = SCREENSHOT_WIDTH) -> Path:
    """A full-page screenshot of ``html``, ``width`` CSS pixels wide, palette-compressed for the repository."""
    with page(html, viewport={"width": width, "height": 900}) as p:
        raw = p.screenshot(full_page=True, type="png")
    return save_png(raw, png)


def save_png(raw: bytes, png: Path) -> Path:
    """Screenshot bytes ``raw``, palette-compressed for the repository, written to ``png``."""
    from PIL import Image

    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".png") as tmp:
        Path(tmp.name).write_bytes(raw)
        with Image.open(tmp.name) as im:
            im.convert("RGB").quantize(colors=128).save(png, optimize=True)
    return png


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m tests.browser REPORT_HTML OUT_PNG")
    print(screenshot(Path(sys.argv[1]), Path(sys.argv[2])))
