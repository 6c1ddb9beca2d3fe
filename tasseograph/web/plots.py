"""The host page's small rate plots, drawn on the server: matplotlib to SVG, inlined as a data URI.

An ``<img>`` holding an SVG runs no script and fetches nothing, so the page keeps its strict
Content-Security-Policy and needs no network. Errors are counted per hour over the trailing
week (``PLOT_WINDOW_S``) from the stream's minute bins. Figures are built without pyplot (no
global figure registry shared between requests served in threads), and the SVG is made
deterministic (fixed hash salt, no date), so the same history gives the same bytes.
"""

from __future__ import annotations

import base64
import io

from tasseograph.fleet.history import BIN_S, HOUR_S, WEEK_S, History

PLOT_WINDOW_S = WEEK_S
BAR_COLOUR = "#b23b3b"
SIZE_IN = (4.2, 1.1)
FONT_PT = 7.0


def hourly_counts(history: History, end: float, window: float = PLOT_WINDOW_S) -> list[int]:
    """Errors per hour in the ``window`` seconds ending at ``end``, oldest hour first."""
    hours = int(window // HOUR_S)
    start = end - hours * HOUR_S
    counts = [0] * hours
    for middle, n in history.occurrences(start, end):
        slot = int((middle - BIN_S / 2 - start) // HOUR_S)
        counts[min(max(slot, 0), hours - 1)] += n
    return counts


def rate_svg(history: History, end: float, end_label: str = "now") -> str:
    """A ``data:image/svg+xml`` URI of the stream's errors per hour over the week ending at ``end``
    (its last tick labelled ``end_label``)."""
    import matplotlib
    from matplotlib.figure import Figure

    counts = hourly_counts(history, end)
    with matplotlib.rc_context({"svg.hashsalt": "tasseograph", "svg.fonttype": "none", "font.size": FONT_PT}):
        fig = Figure(figsize=SIZE_IN)
        ax = fig.add_subplot()
        ax.bar(range(len(counts)), counts, width=1.0, color=BAR_COLOUR, linewidth=0)
        days = len(counts) // 24
        ax.set_xticks([d * 24 for d in range(days + 1)], [f"-{days - d}d" if d < days else end_label for d in range(days + 1)])
        ax.set_xlim(0, len(counts))
        ax.set_ylim(0, max(max(counts), 1) * 1.1)
        ax.set_ylabel("errors/h")
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(length=2, pad=1)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None}, transparent=True)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
