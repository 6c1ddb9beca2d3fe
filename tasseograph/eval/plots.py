"""The report's plots, as PNG bytes (matplotlib with the non-interactive Agg backend)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

MAX_CONFUSION = 24
"""Most confusion matrices drawn (one per run); the rest are in summary.json."""


def png_bytes(fig: Any) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _label(s: dict[str, Any]) -> str:
    prompt = f" {s['prompt']}" if s["prompt"] else ""
    pol = "" if s["policy"] == "single" else f" [{s['policy']}]"
    return f"{s['dataset']} · {s['model']}{prompt}{pol}"


def pr_plot(summaries: list[dict[str, Any]]) -> bytes | None:
    """Horizontal bars of precision and recall per run, with their 95% CIs."""
    if not summaries:
        return None
    n = len(summaries)
    fig, ax = plt.subplots(figsize=(9, 0.45 * n + 1.2))
    seen: set[str] = set()
    for i, s in enumerate(summaries):
        for off, key, color in ((-0.18, "precision", "tab:blue"), (0.18, "recall", "tab:orange")):
            v = s[key]
            if v is None:
                ax.text(0.01, i + off, f"{key} undefined", va="center", fontsize=7)
                continue
            ci = s.get(f"{key}_ci")
            err = [[v - ci[0]], [ci[1] - v]] if ci else None
            ax.barh(i + off, v, height=0.34, color=color, xerr=err, capsize=2, label=key if key not in seen else None)
            seen.add(key)
    ax.set_yticks(range(n), [_label(s) for s in summaries], fontsize=7)
    ax.set_xlim(0, 1.05)
    ax.invert_yaxis()
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", fontsize=7)
    return png_bytes(fig)


def pareto(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (cost, recall) points no other point beats on both (lower cost, higher recall)."""
    front: list[tuple[float, float]] = []
    for c, r in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or r > front[-1][1]:
            front.append((c, r))
    return front


def cost_recall_plot(summaries: list[dict[str, Any]]) -> bytes | None:
    """Cost per host-month against recall, with the Pareto front drawn."""
    pts = [(s["cost_per_host_month_usd"], s["recall"], _label(s)) for s in summaries if s["recall"] is not None]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    for c, r, lab in pts:
        ax.scatter(c, r, s=25)
        ax.annotate(lab, (c, r), fontsize=6, xytext=(3, 3), textcoords="offset points")
    front = pareto([(c, r) for c, r, _ in pts])
    ax.step([p[0] for p in front], [p[1] for p in front], where="post", color="black", lw=1, label="Pareto front")
    ax.set_xscale("symlog", linthresh=0.01)
    top = max(c for c, _, _ in pts)
    ax.set_xlim(0, top * 1.5 if top > 0 else 1.0)
    ax.set_xlabel("USD per host-month (symlog)")
    ax.set_ylabel("recall")
    ax.set_ylim(-0.02, 1.05)
    ax.legend(fontsize=7)
    return png_bytes(fig)


def confusion_plot(summaries: list[dict[str, Any]]) -> bytes | None:
    """Small-multiple 3x3 confusion matrices (ok/warning/critical), one per run."""
    runs = summaries[:MAX_CONFUSION]
    if not runs:
        return None
    cols = min(4, len(runs))
    rows = (len(runs) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, s in zip(axes.flat, runs, strict=False):
        m = s["confusion"]["matrix"]
        labels = s["confusion"]["labels"]
        ax.axis("on")
        ax.imshow(m, cmap="Blues")
        for i, row in enumerate(m):
            for j, v in enumerate(row):
                ax.text(j, i, str(v), ha="center", va="center", fontsize=8)
        ax.set_xticks(range(3), labels, fontsize=7)
        ax.set_yticks(range(3), labels, fontsize=7)
        ax.set_title(_label(s), fontsize=6)
    fig.tight_layout()
    return png_bytes(fig)
