"""The ``tasseograph-eval tune`` command (kept apart from cli.py to keep both small)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from tasseograph.clibase import ARGV_META
from tasseograph.errors import UsageError


@click.command()
@click.option("--dataset", required=True, help="Labelled JSONL (or Loghub) data; split into train and test.")
@click.option("--model", "model_name", required=True, help="An API model, e.g. anthropic:claude-haiku-4-5.")
@click.option("--prompt", "prompts", multiple=True, required=True, help="Prompt variant (repeat for a grid).")
@click.option("--shots", default="0,2,4", show_default=True, help="Few-shot example counts, comma-separated.")
@click.option("--cost-cap", type=float, default=None, help="Most USD per host-month the chosen configuration may cost.")
@click.option("--test-fraction", type=float, default=0.3, show_default=True)
@click.option("--out", required=True, type=click.Path(file_okay=False))
@click.option("--cache", "cache_path", default=None, help="Response cache file.")
@click.option("--replay-only", is_flag=True, help="Serve every reply from the cache; a miss is an error.")
@click.option("--concurrency", type=int, default=8, show_default=True)
def tune(dataset: str, model_name: str, prompts: tuple[str, ...], shots: str, cost_cap: float | None,
         test_fraction: float, out: str, cache_path: str | None, replay_only: bool, concurrency: int) -> None:
    """Score prompt variants x few-shot counts on a held-apart test split; report the best under a cost cap."""
    from tasseograph.eval.cli import _open_cache, print_table
    from tasseograph.eval.datasets import load_dataset
    from tasseograph.eval.execute import RunSpec
    from tasseograph.eval.outputs import write_all
    from tasseograph.eval.profile import FleetProfile
    from tasseograph.eval.scoring import summarize
    from tasseograph.eval.session import Flags, Planned, run_planned
    from tasseograph.eval.tune import best_under_cap, pick_examples
    from tasseograph.models.registry import get_model
    from tasseograph.provenance import collect

    try:
        counts = sorted({int(x) for x in shots.split(",") if x.strip()})
    except ValueError as exc:
        raise UsageError(f"--shots must be comma-separated integers (got {shots!r})") from exc
    model = get_model(model_name)
    if model.local:
        raise UsageError(f"{model_name} is a local model: prompts and examples do not change it; tune an API model")
    train = load_dataset(dataset, split="train", test_fraction=test_fraction)
    test = load_dataset(dataset, split="test", test_fraction=test_fraction)
    plan = [
        Planned(RunSpec(dataset=test, model=model.name, prompt=p, options={"examples": pick_examples(train.cases, k)},
                        options_label=f"{k}-shot"), model)
        for p in prompts for k in counts
    ]
    cache = _open_cache(cache_path, None, False)
    runs = run_planned(plan, cache, Flags(replay_only=replay_only), concurrency, Console(stderr=True))
    summaries = [summarize(r, FleetProfile()) for r in runs]
    stamp = collect(data=[Path(dataset)], argv=click.get_current_context().meta.get(ARGV_META))
    write_all(Path(out), summaries, runs, title=f"tune: {model.name} on {test.name}", provenance=stamp)
    console = Console()
    print_table(console, summaries, title=f"tune grid: {model.name}, examples from {train.name}, scored on {test.name}")
    choice = best_under_cap(summaries, cost_cap)
    console.print(choice.reason)


commands = [tune]
