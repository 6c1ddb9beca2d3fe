"""The report's plots as matplotlib ``Figure`` objects, and their PNG bytes.

Each plot must tell a reader something in every mode: when every run is local and costs
nothing, cost against recall is one smear at $0, so the trade-off plot shows false alarms
against recall instead (cost appears only when some run cost money). Runs are compared only
within a dataset (one panel each), since recall on BGL and on the dev set are different things.
Text is at least ``MIN_TEXT_PX`` pixels high at the PNG's resolution, and the report shows the
PNGs at their natural size, so that is what a reader sees.

Figures are built without pyplot (no global figure registry to leak between calls).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator, PercentFormatter

from tasseograph.eval.report import run_label

DPI = 100
FONT_PT = 9.0
"""Smallest font used; 9 pt at ``DPI`` is 12.5 px."""
MIN_TEXT_PX = 11.0
MAX_CONFUSION = 24
"""Most confusion matrices drawn (one per run); the rest are in summary.json."""
CONFUSION_COLS = 4
PANEL_COLS = 3
DARK_TEXT, LIGHT_TEXT = "#111111", "#ffffff"
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")
MARKER_AREA = (160.0, 100.0, 64.0, 44.0)
"""Marker areas by model order: runs on the same spot show as concentric rings."""
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""Okabe-Ito: distinguishable with the common colour-vision deficiencies."""


def render_png(fig: Figure) -> bytes:
    """The figure as PNG bytes at ``DPI``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


# --- precision and recall ----------------------------------------------------------------


def pr_figure(summaries: list[dict[str, Any]]) -> Figure | None:
    """Horizontal bars of precision and recall per run, with their 95% CIs."""
    if not summaries:
        return None
    n = len(summaries)
    fig = Figure(figsize=(10, 0.5 * n + 1.4))
    ax = fig.add_subplot()
    for i, s in enumerate(summaries):
        for off, key, colour in ((-0.19, "precision", COLOURS[0]), (0.19, "recall", COLOURS[1])):
            v = s[key]
            if v is None:
                ax.text(0.01, i + off, f"{key} undefined", va="center", fontsize=FONT_PT, color=DARK_TEXT)
                continue
            ci = s.get(f"{key}_ci")
            err = [[max(0.0, v - ci[0])], [max(0.0, ci[1] - v)]] if ci else None
            ax.barh(i + off, v, height=0.36, color=colour, xerr=err, capsize=2)
    ax.set_yticks(range(n), [run_label(s) for s in summaries], fontsize=FONT_PT)
    ax.tick_params(axis="x", labelsize=FONT_PT)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(n - 0.5, -0.5)
    ax.grid(axis="x", alpha=0.3)
    # Above the axes, outside them: a legend inside would cover a bar.
    handles = [Line2D([], [], color=c, lw=8, label=k) for k, c in (("precision", COLOURS[0]), ("recall", COLOURS[1]))]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=FONT_PT, frameon=False)
    return fig


# --- trade-off: false alarms or cost against recall, per dataset ----------------------------


@dataclass(frozen=True)
class Axis:
    """The x axis of the trade-off plot: what it measures and how to read a run's value."""

    title: str
    label: str
    value: Callable[[dict[str, Any]], float | None]
    formatter: Callable[[], Formatter]
    """Tick labels (percent, dollars); the axis is linear from 0, so a $0 run sits at the left edge."""
    min_span: float
    """Smallest axis span shown, so a panel whose runs all sit at 0 still has a readable scale."""


def false_alarm_rate(s: dict[str, Any]) -> float | None:
    """False alarms over truly-ok cases (None without any)."""
    ok = s["fp"] + s["tn"]
    return s["fp"] / ok if ok else None


FALSE_ALARMS = Axis("False-alarm rate against recall", "false alarms / truly-ok cases", false_alarm_rate,
                    lambda: PercentFormatter(1.0, decimals=None), 0.1)
COST = Axis("Cost per host-month against recall", "USD per host-month", lambda s: s["cost_per_host_month_usd"],
            lambda: FuncFormatter(lambda v, _: f"${v:,g}"), 0.01)


def costs_anything(summaries: Sequence[dict[str, Any]]) -> bool:
    """True when some run spent money (otherwise a cost axis carries no information)."""
    return any((s.get("cost_per_host_month_usd") or 0) > 0 for s in summaries)


def pareto(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (x, recall) points no other point beats on both (lower x, higher recall)."""
    front: list[tuple[float, float]] = []
    for c, r in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or r > front[-1][1]:
            front.append((c, r))
    return front


def tradeoff_groups(summaries: list[dict[str, Any]], axis: Axis) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Runs by dataset that can be placed on ``axis`` against recall, and the datasets left out (with why)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    left_out: list[str] = []
    for s in summaries:
        groups.setdefault(s["dataset"], [])
        x = axis.value(s)
        if s["recall"] is not None and x is not None:
            groups[s["dataset"]].append(s)
    for name in [n for n, runs in groups.items() if not runs]:
        runs = [s for s in summaries if s["dataset"] == name]
        why = "no positive case, so recall is undefined" if all(s["recall"] is None for s in runs) else \
            "no ok case, so the false-alarm rate is undefined" if axis is FALSE_ALARMS else "no cost figure"
        left_out.append(f"{name} ({why})")
        del groups[name]
    return groups, left_out


def tradeoff_figure(summaries: list[dict[str, Any]], axis: Axis) -> Figure | None:
    """One panel per dataset: each run at (``axis``, recall), the Pareto front drawn where it has two points."""
    groups, _ = tradeoff_groups(summaries, axis)
    if not groups:
        return None
    models = list(dict.fromkeys(run_label(s, dataset=False) for runs in groups.values() for s in runs))
    cols = min(PANEL_COLS, len(groups))
    rows = -(-len(groups) // cols)
    fig = Figure(figsize=(3.7 * cols, 3.1 * rows + 0.6 + 0.25 * len(models) / cols))
    axes = fig.subplots(rows, cols, squeeze=False)
    drew_front = False
    for ax, (name, runs) in zip(axes.flat, groups.items(), strict=False):
        drew_front |= _panel(ax, name, runs, models, axis)
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    handles = [Line2D([], [], ls="", marker=MARKERS[i % len(MARKERS)], color=COLOURS[i % len(COLOURS)],
                      markerfacecolor="none" if i == 0 else COLOURS[i % len(COLOURS)], markeredgewidth=1.6,
                      markersize=9, label=m) for i, m in enumerate(models)]
    if drew_front:
        handles.append(Line2D([], [], color="#555555", ls="--", label="Pareto front (no run is better on both)"))
    fig.tight_layout(rect=(0, 0.04 + 0.03 * len(handles) / cols, 1, 1))
    # Below every panel: a legend inside one would cover its points.
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), cols), fontsize=FONT_PT, frameon=False)
    return fig


def _panel(ax: Any, name: str, runs: list[dict[str, Any]], models: list[str], axis: Axis) -> bool:
    pts = [(float(axis.value(s) or 0.0), float(s["recall"]), run_label(s, dataset=False)) for s in runs]
    for x, r, lab in pts:
        i = models.index(lab)
        ax.scatter(x, r, s=MARKER_AREA[min(i, len(MARKER_AREA) - 1)], marker=MARKERS[i % len(MARKERS)],
                   facecolors="none" if i == 0 else COLOURS[i % len(COLOURS)], edgecolors=COLOURS[i % len(COLOURS)],
                   linewidths=1.6, zorder=3)
    front = pareto([(x, r) for x, r, _ in pts])
    if len(front) >= 2:
        ax.step([p[0] for p in front], [p[1] for p in front], where="post", color="#555555", ls="--", lw=1, zorder=2)
    top = max(axis.min_span, max(x for x, _, _ in pts) * 1.25)
    ax.set_xticks([t for t in MaxNLocator(nbins=4).tick_values(0, top) if 0 <= t <= top])
    ax.set_xlim(-0.04 * top, top)
    ax.xaxis.set_major_formatter(axis.formatter())
    ax.set_ylim(-0.03, 1.05)
    ax.set_title(textwrap.fill(name, 40), fontsize=FONT_PT + 1)
    ax.set_xlabel(axis.label, fontsize=FONT_PT)
    ax.set_ylabel("recall", fontsize=FONT_PT)
    ax.tick_params(labelsize=FONT_PT)
    ax.grid(alpha=0.3)
    return len(front) >= 2


# --- confusion matrices --------------------------------------------------------------------


def truth_rows(s: dict[str, Any]) -> tuple[list[str], list[list[int]]]:
    """The truth rows a run's data really has: ok/warning/critical, or ok/problem when severity is unknown."""
    labels = list(s["confusion"]["labels"])
    matrix = [list(map(int, row)) for row in s["confusion"]["matrix"]]
    if s.get("severity_known", s.get("dataset_kind") != "folder"):
        return labels, matrix
    problem = [sum(col) for col in zip(*matrix[1:], strict=True)]
    return ["ok", "problem"], [matrix[0], problem]


def cell_text_colour(rgba: Sequence[float]) -> str:
    """Dark or light text, whichever contrasts more with the cell's colour."""
    bg = relative_luminance(rgba)
    return DARK_TEXT if contrast(bg, relative_luminance((0.067, 0.067, 0.067))) >= contrast(bg, 1.0) else LIGHT_TEXT


def relative_luminance(rgba: Sequence[float]) -> float:
    """WCAG relative luminance of an sRGB colour given as 0-1 floats."""
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(l1: float, l2: float) -> float:
    """WCAG contrast ratio of two luminances (1 to 21)."""
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def confusion_figure(summaries: list[dict[str, Any]]) -> Figure | None:
    """Small-multiple confusion matrices, one per run; cells coloured by share of their truth row."""
    from matplotlib import colormaps

    runs = summaries[:MAX_CONFUSION]
    if not runs:
        return None
    cols = min(CONFUSION_COLS, len(runs))
    rows = -(-len(runs) // cols)
    fig = Figure(figsize=(3.0 * cols, 3.1 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    cmap = colormaps["Blues"]
    for ax in axes.flat:
        ax.set_visible(False)
    for ax, s in zip(axes.flat, runs, strict=False):
        ax.set_visible(True)
        _matrix(ax, s, cmap)
    fig.tight_layout()
    return fig


def _matrix(ax: Any, s: dict[str, Any], cmap: Colormap) -> None:
    labels, matrix = truth_rows(s)
    shares = [[v / (sum(row) or 1) for v in row] for row in matrix]
    ax.imshow(shares, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, f"{v:,}", ha="center", va="center", fontsize=FONT_PT + 1,
                    color=cell_text_colour(cmap(shares[i][j])))
    cols = list(s["confusion"]["labels"])
    ax.set_xticks(range(len(cols)), cols, fontsize=FONT_PT)
    ax.set_yticks(range(len(labels)), labels, fontsize=FONT_PT)
    ax.set_xlabel("verdict", fontsize=FONT_PT)
    ax.set_ylabel("truth", fontsize=FONT_PT)
    ax.set_title(textwrap.fill(run_label(s), 34), fontsize=FONT_PT)
