"""``tasseograph-eval``: run suites, train the sklearn model, compare runs, tune prompts, gate CI.

Errors a user can fix (bad suite key, unknown model, missing key, cache miss under
``--replay-only``) print one line and exit 2; a failed gate exits 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tasseograph.clibase import ARGV_META, Group
from tasseograph.errors import UsageError

EXIT_GATE = 1
CACHE_ENV = "TASSEOGRAPH_EVAL_CACHE"


@click.group(cls=Group, name="tasseograph-eval", lazy=[
    "tasseograph.eval.tune_cli:commands", "tasseograph.eval.cost_cli:commands", "tasseograph.eval.fleet_cli:commands",
])
def main() -> None:
    """Replay labelled datasets through models and prompts; score, compare, gate."""


def _console() -> Console:
    return Console(width=max(170, Console().width))


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/tasseograph/eval-responses.sqlite`` (or ``~/.cache/...``)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tasseograph" / "eval-responses.sqlite"


def _open_cache(cli_path: str | None, suite_path: str | None, no_cache: bool) -> Any:
    from tasseograph.eval.cache import SQLiteCache

    if no_cache:
        return None
    # Precedence: flag > environment > suite file > default.
    chosen = cli_path or os.environ.get(CACHE_ENV) or suite_path
    return SQLiteCache(Path(chosen) if chosen else default_cache_path())


@main.command()
@click.argument("suite_file", required=False, type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory for the reports.")
@click.option("--dataset", "datasets", multiple=True, help="Ad-hoc: a dataset path (JSONL, Loghub .log, or a log folder).")
@click.option("--model", "models", multiple=True, help="Ad-hoc: model name (rules, sklearn, sklearn:PATH, anthropic:...).")
@click.option("--prompt", "prompts", multiple=True, help="Ad-hoc: prompt id (API models), e.g. triage-v1.")
@click.option("--window", type=click.Choice(["time", "lines"]), default="time", show_default=True, help="Loghub grouping.")
@click.option("--window-s", type=int, default=300, show_default=True, help="Loghub time window in seconds.")
@click.option("--window-lines", type=int, default=100, show_default=True, help="Loghub fixed window in lines.")
@click.option("--split", type=click.Choice(["all", "train", "test"]), default="all", show_default=True)
@click.option("--chunk-lines", type=int, default=0, help="Log folders: cut each log into deltas of N lines.")
@click.option("--no-prefilter", is_flag=True, help="Always call the model (no pre-filter skip).")
@click.option("--no-compress", is_flag=True, help="Send deltas uncompressed.")
@click.option("--epochs", type=int, default=None, help="Repeat every case N times (the epoch is part of the cache key).")
@click.option("--concurrency", type=int, default=None, help="Most cases in flight at once.")
@click.option("--cache", "cache_path", default=None, help=f"Response cache file (default ${CACHE_ENV} or ~/.cache/tasseograph).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the response cache.")
@click.option("--replay-only", is_flag=True, help="Serve every reply from the cache; a miss is an error.")
@click.option("--batch", is_flag=True, help="Send uncached requests through the Message Batches API; re-run to collect.")
@click.option("--hosts", type=int, default=None, help="Fleet size for cost per host-month (default 600).")
@click.option("--interval-s", type=float, default=None, help="Polling interval for cost per host-month (default 300).")
def run(suite_file: str | None, out: str, datasets: tuple[str, ...], models: tuple[str, ...], prompts: tuple[str, ...],
        window: str, window_s: int, window_lines: int, split: str, chunk_lines: int, no_prefilter: bool,
        no_compress: bool, epochs: int | None, concurrency: int | None, cache_path: str | None, no_cache: bool,
        replay_only: bool, batch: bool, hosts: int | None, interval_s: float | None) -> None:
    """Run SUITE_FILE (evals/*.toml), or the ad-hoc --dataset/--model form, and write reports to --out."""
    from tasseograph.eval.scoring import no_usable_replies
    from tasseograph.eval.session import Flags, execute
    from tasseograph.eval.suite import DatasetSpec, OptionSet, Suite, load_suite

    if bool(suite_file) == bool(datasets):
        raise UsageError("give either a suite file or --dataset (not both, not neither)")
    if (replay_only or batch) and no_cache:
        raise UsageError("--replay-only and --batch need the response cache (drop --no-cache)")
    if suite_file:
        suite, base = load_suite(suite_file), Path(suite_file)
    else:
        missing = [d for d in datasets if not Path(d).exists()]
        if missing:
            raise UsageError(f"--dataset {missing[0]}: no such file or folder")
        ds = [DatasetSpec(path=str(Path(d).resolve()), window=window, window_s=window_s, window_lines=window_lines,
                          split=split, chunk_lines=chunk_lines) for d in datasets]
        opts = OptionSet(prefilter=False if no_prefilter else None, compress=False if no_compress else None)
        from tasseograph.config import default_model_name

        suite = Suite(name="ad-hoc", datasets=ds, models=list(models or [default_model_name()]),
                      prompts=list(prompts) or ["triage-v1"], options=[opts])
        base = Path.cwd() / "adhoc.toml"
    fleet = {k: v for k, v in (("hosts", hosts), ("interval_s", interval_s)) if v is not None}
    if fleet:
        suite = suite.model_copy(update={"fleet": suite.fleet.model_copy(update=fleet)})
    suite_cache = str((base.parent / suite.cache).resolve()) if suite.cache else None
    cache = _open_cache(cache_path, suite_cache, no_cache)
    flags = Flags(replay_only=replay_only, batch=batch, concurrency=concurrency, epochs=epochs,
                  argv=click.get_current_context().meta.get(ARGV_META))
    console = _console()
    outcome = execute(suite, base, Path(out), cache, flags, Console(stderr=True))
    for note in outcome.notes:
        console.print(f"[yellow]note:[/] {note}")
    if outcome.pending_batches:
        console.print(f"batches pending: {', '.join(outcome.pending_batches)}; re-run the same command to collect")
        return
    print_table(console, outcome.summaries, title=f"tasseograph eval: {suite.name}")
    flagged = ("CONTAMINATED", "TRAINED ELSEWHERE")
    for warning in sorted({n for s in outcome.summaries for n in s["notes"] if n.startswith(flagged)}):
        console.print(f"[red]warning:[/] {escape(warning)}")
    for s in outcome.summaries:
        if no_usable_replies(s):
            console.print(f"[red]warning:[/] {escape(s['run_id'])}: {escape(s['quality'])}; no model was measured")
    console.print(f"wrote {out}/summary.json, cases.parquet, report.md, report.html")


def print_table(console: Console, summaries: list[dict[str, Any]], *, title: str) -> None:
    """The results as a rich table; columns that hold one value in every row are said once, above it."""
    from tasseograph.eval.report import TABLE_HEAD, fold_constant, folded_line, table_rows

    head, rows, folded = fold_constant(TABLE_HEAD, table_rows(summaries))
    table = Table(title=title, caption=escape(folded_line(folded)) or None, show_lines=False)
    if len(rows) == 1:
        # One run: a column per figure would not fit a terminal, a line per figure does.
        table.add_column("figure")
        table.add_column("value", overflow="fold")
        for h, cell in zip(head, rows[0], strict=True):
            table.add_row(h, escape(cell))
        console.print(table)
        return
    for h in head:
        table.add_column(h, overflow="fold")
    for row in rows:
        table.add_row(*(escape(c) for c in row))  # model names hold brackets, not rich markup
    console.print(table)


@main.command()
@click.option("--dataset", required=True, help="Labelled data (JSONL, a Loghub log, or a folder of whole logs).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Model file to write (.joblib for sklearn, .json for local).")
@click.option("--model", "kind", type=click.Choice(["sklearn", "local"]), default="sklearn", show_default=True,
              help="Which learned model to train.")
@click.option("--split", type=click.Choice(["all", "train"]), default="train", show_default=True,
              help="Train on the train part of the split (default) so the test part stays unseen.")
@click.option("--test-fraction", type=float, default=0.2, show_default=True)
@click.option("--window", type=click.Choice(["time", "lines"]), default="time", show_default=True)
@click.option("--window-s", type=int, default=300, show_default=True)
@click.option("--window-lines", type=int, default=100, show_default=True)
def train(dataset: str, out: str, kind: str, split: str, test_fraction: float, window: str, window_s: int,
          window_lines: int) -> None:
    """Train the sklearn or local model; use it with --model sklearn:OUT or --model local:OUT.

    A sklearn file is a joblib pickle: loading it runs code, so load only files you trained. A
    local bundle is JSON (nothing runs on load). Folders of whole logs are cut into 50-line deltas.
    """
    from tasseograph.eval.datasets import load_dataset
    from tasseograph.eval.train import train_local_on, train_on
    from tasseograph.models.local_data import NOISE_CHUNK_LINES
    from tasseograph.models.local_train import bundle_summary

    ds = load_dataset(dataset, split=split, test_fraction=test_fraction, window=window,  # type: ignore[arg-type]
                      window_s=window_s, window_lines=window_lines, chunk_lines=NOISE_CHUNK_LINES)
    if kind == "local":
        summary = bundle_summary(train_local_on(ds, Path(out)))
        click.echo(f"trained on {ds.name}: " + ", ".join(f"{k}={v}" for k, v in summary.items() if k != "trained_on"))
    else:
        meta = train_on(ds, Path(out)).meta
        click.echo(f"trained on {ds.name}: {meta['n_cases']} cases ({meta['n_positive']} not ok)")
    click.echo(f"wrote {out} (use --model {kind}:{out})")


@main.command()
@click.option("--out", type=click.Path(file_okay=False), default="benchmarks/results", show_default=True,
              help="Folder for offline_generalisation.json and .md.")
@click.option("--concurrency", type=int, default=8, show_default=True, help="Most cases in flight at once.")
def loso(out: str, concurrency: int) -> None:
    """Leave-one-source-out: local, sklearn and rules on each source they were not trained on (needs ../shared)."""
    from tasseograph.eval.loso import run_loso, write_results

    err = Console(stderr=True)
    result = run_loso(concurrency=concurrency, progress=lambda what: err.print(f"[dim]{escape(what)}[/]"))
    json_path, md_path = write_results(result, Path(out))
    for t in result["targets"]:
        click.echo(f"{'met' if t['met'] else 'NOT met':8} {t['target']}")
    click.echo(f"wrote {json_path} and {md_path}")


@main.command()
@click.argument("run_a", type=click.Path(exists=True))
@click.argument("run_b", type=click.Path(exists=True))
@click.option("--run", "run_id", default=None, help="Compare only this run id.")
def compare(run_a: str, run_b: str, run_id: str | None) -> None:
    """Compare two run directories: metric deltas, flipped cases, McNemar test."""
    from tasseograph.eval.compare import compare_dirs, render

    click.echo(render(compare_dirs(Path(run_a), Path(run_b), run=run_id)))


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--baseline", required=True, type=click.Path(dir_okay=False), help="Baseline JSON, e.g. evals/baseline.json.")
@click.option("--update", is_flag=True, help="Rewrite the baseline from RUN_DIR (keeps tolerances).")
def gate(run_dir: str, baseline: str, update: bool) -> None:
    """Exit 1 when RUN_DIR's scores fall, or cost rises, beyond the baseline's tolerances."""
    from tasseograph.eval import gate as gating

    if update:
        b = gating.update(Path(run_dir), Path(baseline))
        click.echo(f"wrote {baseline}: {len(b.runs)} runs")
        return
    notes: list[str] = []
    reasons = gating.gate(Path(run_dir), Path(baseline), notes)
    for note in notes:
        click.echo(f"note: {note}")
    if reasons:
        click.echo(f"gate FAILED ({len(reasons)} regressions):", err=True)
        for r in reasons:
            click.echo(f"  - {r}", err=True)
        sys.exit(EXIT_GATE)
    click.echo(f"gate passed: every baseline run of {baseline} is within tolerance")

