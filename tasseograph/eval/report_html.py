"""``report.html``: one self-contained page (tables, plots as embedded PNGs, provenance).

Nothing is loaded from beside the file, so it can be attached to a PR or opened from CI
artefacts as it is. Plots are shown at their natural size (their text is sized for that); a
plot that would carry no information is left out with a sentence saying why.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any

from tasseograph import provenance as prov
from tasseograph.eval import plots
from tasseograph.eval.mistakes import RunMistakes
from tasseograph.eval.report import (
    MAX_LISTED,
    TABLE_HEAD,
    fold_constant,
    folded_line,
    general_notes,
    grouped_notes,
    provenance_rows,
    sections,
    table_rows,
)

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#111;max-width:1500px}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:3px 7px;font-size:14px;text-align:left}
th{background:#f3f4f6}tr:nth-child(even) td{background:#fafafa}
.prov,.same,.why{color:#444;font-size:14px}.same{font-style:italic}
img{max-width:100%;height:auto;display:block}figure{margin:.5em 0}
code{font-size:13px;word-break:break-all}details{margin:.3em 0}summary{cursor:pointer}
"""


def html_report(summaries: list[dict[str, Any]], *, title: str = "tasseograph eval",
                provenance: dict[str, Any] | None = None, mistakes: Sequence[RunMistakes] = ()) -> str:
    """The whole page as a string."""
    parts = [f"<h1>{_e(title)}</h1>"]
    if provenance:
        parts.append(f"<p class='prov'>{_e(prov.describe(provenance))}</p>")
    parts.append(f"<h2>Results ({len(summaries)} runs)</h2>{_folded_table(TABLE_HEAD, table_rows(summaries))}")
    parts += [f"<h2>{_e(t)}</h2>{_folded_table(h, rows)}" for t, h, rows in sections(summaries)]
    parts += _plots(summaries)
    if mistakes:
        parts.append(_mistakes(mistakes))
    notes = general_notes(summaries) + grouped_notes(summaries)
    parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n.replace('**', ''))}</li>" for n in notes) + "</ul>")
    if provenance:
        parts.append("<h2>Provenance</h2>" + _table(("field", "value"), provenance_rows(provenance)))
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n")


def _plots(summaries: list[dict[str, Any]]) -> list[str]:
    out = [_figure("Precision and recall with 95% CIs", plots.pr_figure(summaries))]
    _, left_out = plots.tradeoff_groups(summaries, plots.FALSE_ALARMS)
    why = f"Not placed (nothing to plot): {'; '.join(left_out)}." if left_out else ""
    out.append(_figure("False-alarm rate against recall, per dataset (up and left is better)",
                       plots.tradeoff_figure(summaries, plots.FALSE_ALARMS), why))
    if plots.costs_anything(summaries):
        out.append(_figure("Cost per host-month against recall, per dataset (up and left is better)",
                           plots.tradeoff_figure(summaries, plots.COST)))
    else:
        out.append("<h2>Cost per host-month against recall</h2><p class='why'>Not drawn: every run cost $0 "
                   "(local models or skipped calls), so cost cannot separate them; false alarms against recall "
                   "above is the trade-off that varies.</p>")
    n = len(summaries)
    more = f" The first {plots.MAX_CONFUSION} of {n} runs; every matrix is in summary.json." \
        if n > plots.MAX_CONFUSION else ""
    out.append(_figure("Confusion matrices (rows: truth, columns: verdict; shade: share of the truth row)",
                       plots.confusion_figure(summaries), "Log folders know only problem vs healthy, so their "
                       f"truth rows are ok and problem.{more}"))
    return [x for x in out if x]


def _figure(title: str, fig: Any, caption: str = "") -> str:
    if fig is None:
        return ""
    png = plots.render_png(fig)
    width, height = _png_size(png)
    cap = f"<figcaption class='why'>{_e(caption)}</figcaption>" if caption else ""
    return (f"<h2>{_e(title)}</h2><figure><img alt='{_e(title)}' width='{width}' height='{height}' "
            f"src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}'/>{cap}</figure>")


def _png_size(png: bytes) -> tuple[int, int]:
    # Width and height are the first two fields of the IHDR chunk, big-endian, at bytes 16-24.
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _mistakes(mistakes: Sequence[RunMistakes]) -> str:
    out = [f"<h2>Misses and false alarms</h2><p class='why'>Up to {MAX_LISTED} of each per run; every case is in "
           "cases.parquet. Evidence: the labelled line for a miss, the flagged line for a false alarm.</p>"]
    for m in (m for m in mistakes if not m.clean):
        rows: list[tuple[str, ...]] = []
        for items in (m.misses, m.false_alarms):
            rows += [(x.kind, x.case_id, x.truth, x.verdict, x.evidence or "-") for x in items[:MAX_LISTED]]
            if len(items) > MAX_LISTED:
                rows.append(("…", f"{len(items) - MAX_LISTED:,} more", "", "", ""))
        head = ("", "case", "truth", "verdict", "first evidence line")
        out.append(f"<details><summary>{_e(m.label)}: {m.counts()}</summary>{_table(head, rows, code_col=4)}"
                   "</details>")
    clean = [m.label for m in mistakes if m.clean]
    if clean:
        out.append(f"<p>No miss and no false alarm: {_e('; '.join(clean))}.</p>")
    return "".join(out)


def _folded_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    h, r, folded = fold_constant(head, rows)
    line = folded_line(folded)
    return (f"<p class='same'>{_e(line)}</p>" if line else "") + _table(h, r)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], *, code_col: int | None = None) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td><code>{_e(c)}</code></td>" if i == code_col and c != "-" and r[0] != "…"
                         else f"<td>{_e(c)}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _e(text: str) -> str:
    return html.escape(text, quote=True)
