"""The report's plots carry information and stay readable: text size, cell contrast, legends that
cover nothing, a Pareto line exactly when the legend names it, the right truth rows."""

from __future__ import annotations

from typing import Any

import pytest
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from tasseograph.eval import plots


def run(dataset: str, model: str, tp: int, fp: int, fn: int, tn: int, *, cost: float = 0.0,
        kind: str = "jsonl", matrix: list[list[int]] | None = None) -> dict[str, Any]:
    """The summary fields the plots read, consistent with the counts given."""
    pos = tp + fn
    return {
        "dataset": dataset, "dataset_kind": kind, "model": model, "prompt": None, "policy": "single",
        "options_label": "default", "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / pos if pos else None, "precision_ci": None, "recall_ci": None,
        "tp": tp, "fp": fp, "fn": fn, "tn": tn, "cost_per_host_month_usd": cost, "severity_known": kind != "folder",
        "confusion": {"labels": ["ok", "warning", "critical"],
                      "matrix": matrix or [[tn, fp, 0], [fn, tp, 0], [0, 0, 0]]},
    }


RUNS = [
    run("dev", "rules", 41, 0, 0, 19), run("dev", "sklearn", 41, 1, 0, 18),
    run("bgl-5min", "rules", 88, 133, 39, 1680, matrix=[[1680, 133, 0], [39, 5, 0], [0, 0, 83]]),
    run("noise-logs", "rules", 2, 0, 0, 6, kind="folder", matrix=[[6, 0, 0], [0, 0, 2], [0, 0, 0]]),
    run("thunderbird", "rules", 0, 0, 0, 558),
]


def _draw(fig: Figure) -> Any:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("make", [
    lambda: plots.pr_figure(RUNS), lambda: plots.tradeoff_figure(RUNS, plots.FALSE_ALARMS),
    lambda: plots.confusion_figure(RUNS),
], ids=["pr", "false-alarms", "confusion"])
def test_every_text_is_at_least_11_px(make: Any) -> None:
    fig = make()
    _draw(fig)
    sizes = {t.get_text(): t.get_fontsize() * plots.DPI / 72 for t in _texts(fig)}
    assert sizes and min(sizes.values()) >= plots.MIN_TEXT_PX, min(sizes.items(), key=lambda kv: kv[1])


def test_confusion_counts_contrast_with_their_cells() -> None:
    fig = plots.confusion_figure(RUNS)
    assert fig is not None
    cmap = colormaps["Blues"]
    checked = 0
    for ax in (a for a in fig.axes if a.get_visible()):
        image = ax.get_images()[0]
        shares = image.get_array()
        for t in ax.texts:
            j, i = (round(v) for v in t.get_position())
            bg = plots.relative_luminance(cmap(float(shares[i][j])))
            fg = plots.relative_luminance(_rgb(t.get_color()))
            assert plots.contrast(bg, fg) >= 4.5, (t.get_text(), shares[i][j])
            checked += 1
    assert checked == 3 * 3 * 4 + 2 * 3  # four 3x3 matrices and one 2x3 (the log folder)


def _rgb(colour: str) -> tuple[float, float, float]:
    h = colour.lstrip("#")
    return int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255


def test_truth_rows_are_only_those_the_data_has() -> None:
    assert plots.truth_rows(RUNS[3]) == (["ok", "problem"], [[6, 0, 0], [0, 0, 2]])
    assert plots.truth_rows(RUNS[2])[0] == ["ok", "warning", "critical"]


def test_pr_legend_covers_no_bar() -> None:
    fig = plots.pr_figure(RUNS)
    assert fig is not None
    renderer = _draw(fig)
    (ax,) = fig.axes
    legend = ax.get_legend().get_window_extent(renderer)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["precision", "recall"]
    assert not any(legend.overlaps(bar.get_window_extent(renderer)) for bar in ax.patches)


def test_tradeoff_legend_is_below_every_panel_and_pareto_named_only_when_drawn() -> None:
    fig = plots.tradeoff_figure(RUNS, plots.FALSE_ALARMS)
    assert fig is not None
    renderer = _draw(fig)
    legend = fig.legends[0]
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["dev", "bgl-5min", "noise-logs"]  # thunderbird: no recall
    assert not any(legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer)) for ax in panels)
    # Two dev runs at (0%, 1.0) and (5%, 1.0): one front point, so no line anywhere, and no legend entry.
    assert all(len(ax.get_lines()) == 0 for ax in panels)
    assert not any("Pareto" in t.get_text() for t in legend.get_texts())
    trade = [run("dev", "rules", 38, 0, 3, 19), run("dev", "sklearn", 41, 5, 0, 14)]
    fig = plots.tradeoff_figure(trade, plots.FALSE_ALARMS)
    assert fig is not None
    (ax,) = [a for a in fig.axes if a.get_visible()]
    (line,) = ax.get_lines()
    assert len(line.get_xdata()) == 2 and any("Pareto" in t.get_text() for t in fig.legends[0].get_texts())


def test_runs_without_recall_are_left_out_with_the_reason() -> None:
    groups, left_out = plots.tradeoff_groups(RUNS, plots.FALSE_ALARMS)
    assert list(groups) == ["dev", "bgl-5min", "noise-logs"]
    assert left_out == ["thunderbird (no positive case, so recall is undefined)"]


def test_cost_is_plotted_only_when_some_run_costs_money() -> None:
    assert not plots.costs_anything(RUNS)
    paid = [*RUNS, run("dev", "anthropic:claude-haiku-4-5", 40, 1, 1, 18, cost=0.42)]
    assert plots.costs_anything(paid)
    fig = plots.tradeoff_figure(paid, plots.COST)
    assert fig is not None
    renderer = _draw(fig)
    dev = next(a for a in fig.axes if a.get_title() == "dev")
    xs = sorted(float(c.get_offsets()[0][0]) for c in dev.collections)
    assert xs == [0.0, 0.0, 0.42]  # the free runs sit at $0, beside the priced one
    labels = [t.get_text() for t in dev.get_xticklabels() if t.get_text()]
    assert labels[0] == "$0" and all(lab.startswith("$") for lab in labels)
    boxes = [t.get_window_extent(renderer) for t in dev.get_xticklabels() if t.get_text()]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])  # tick labels apart


def test_png_is_a_real_image() -> None:
    fig = plots.confusion_figure(RUNS[:1])
    assert fig is not None
    png = plots.render_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
