"""The offline report as a reader meets it: opened in headless Chromium, every plot drawn and readable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tasseograph.eval.cli import main
from tests.browser import IMAGE_PROBE, VIEWPORT, page, require_chromium
from tests.conftest import REPO

pytestmark = pytest.mark.slow

PLOTS = ("Precision and recall", "False-alarm rate against recall", "Confusion matrices")


@pytest.fixture(scope="module")
def offline_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tasseograph-eval run evals/offline.toml`` (with ../shared when present), as the README runs it."""
    require_chromium()
    out = tmp_path_factory.mktemp("offline")
    result = CliRunner().invoke(main, ["run", str(REPO / "evals" / "offline.toml"), "--out", str(out),
                                       "--cache", str(out / "cache.sqlite")])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def seen(offline_report: Path) -> dict[str, Any]:
    """What Chromium shows of the report: title, headings, tables (cell text), body text, images."""
    with page(offline_report / "report.html") as p:
        return {
            "title": p.title(),
            "headings": p.eval_on_selector_all("h2", "els => els.map(e => e.textContent)"),
            "tables": p.eval_on_selector_all(
                "table", "ts => ts.map(t => Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.textContent)))"),
            "body": p.inner_text("body"),
            "images": p.evaluate(IMAGE_PROBE),
        }


def test_every_plot_is_loaded_drawn_and_shown_at_full_size(seen: dict[str, Any]) -> None:
    images, headings = seen["images"], seen["headings"]
    assert [any(h.startswith(t) for h in headings) for t in PLOTS] == [True] * len(PLOTS)
    assert len(images) == len(PLOTS)  # all runs are local here: the cost plot is left out, with a reason
    for img in images:
        assert img["complete"] and img["naturalWidth"] > 200 and img["naturalHeight"] > 200, img["alt"]
        # Shown at natural size (no downscaling), so the plots' >= 11 px text is what the reader gets.
        assert img["naturalWidth"] <= VIEWPORT["width"] and img["shownWidth"] == img["naturalWidth"], img["alt"]
        # Not blank: a real share of the image is ink, in several colours (bars, cells, markers).
        assert img["inkedShare"] > 0.03 and img["colours"] >= 3, img


def test_tables_headings_and_provenance_are_there(offline_report: Path, seen: dict[str, Any]) -> None:
    summary = json.loads((offline_report / "summary.json").read_text(encoding="utf-8"))
    runs, stamp = summary["runs"], summary["provenance"]
    headings, tables, body = seen["headings"], seen["tables"], seen["body"]
    assert seen["title"] == "tasseograph eval: offline"
    assert headings[0] == f"Results ({len(runs)} runs)"
    assert {"Misses and false alarms", "Notes", "Provenance"} <= set(headings)
    assert any(h.startswith("Cost per host-month") for h in headings) and "Not drawn: every run cost $0" in body
    results, prov = tables[0], tables[-1]
    assert results[0][:2] == ["dataset", "model"] and len(results) == len(runs) + 1
    assert dict(prov)["commit"] == stamp["commit"] and dict(prov)["command"].startswith("tasseograph-eval run")
    assert stamp["commit"][:12] in body
    # Columns the same in every run are said once above the table, not repeated in each row.
    assert "quality" not in results[0] and "Same in every row:" in body
