"""Execute a suite: load datasets, build models, run, escalate, score, report.

This is what ``tasseograph-eval run`` does for both a suite file and the ad-hoc
``--dataset/--model`` form (which becomes a one-off ``Suite`` in memory).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tasseograph.errors import ConfigError, MissingAPIKeyError
from tasseograph.eval import batch as batching
from tasseograph.eval.cache import ResponseCache
from tasseograph.eval.datasets import Dataset, Split, load_dataset
from tasseograph.eval.escalation import escalation_runs
from tasseograph.eval.execute import RunResult, RunSpec, run_spec
from tasseograph.eval.outputs import write_all
from tasseograph.eval.scoring import summarize
from tasseograph.eval.suite import DatasetSpec, ModelSpec, Suite, escalation_spec, resolve_datasets
from tasseograph.eval.train import train_local_on, train_on
from tasseograph.models.base import Model
from tasseograph.models.registry import get_model
from tasseograph.provenance import collect


@dataclass
class Flags:
    """Command-line switches that shape a run but not its results."""

    replay_only: bool = False
    batch: bool = False
    concurrency: int | None = None
    epochs: int | None = None
    rate_pause_s: float | None = None
    argv: list[str] | None = None
    """The command line as invoked (for provenance; default ``sys.argv``)."""


@dataclass
class Outcome:
    """What ``execute`` produced."""

    summaries: list[dict[str, Any]] = field(default_factory=list)
    runs: list[RunResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pending_batches: list[str] = field(default_factory=list)
    """Batch ids still processing: no report was written; re-run to collect."""


def execute(suite: Suite, suite_path: Path, out: Path, cache: ResponseCache | None, flags: Flags,
            console: Console | None = None) -> Outcome:
    """Run every (dataset, model, prompt, options) of ``suite`` and write the reports to ``out``."""
    console = console or Console(stderr=True)
    outcome = Outcome()
    resolved = resolve_datasets(suite, suite_path)
    outcome.notes.extend(resolved.skipped)
    if flags.batch and cache is not None:
        still = batching.collect(out, cache, outcome.notes)
        if still:
            outcome.pending_batches = still
            return outcome
    datasets = {name: _load(spec, path, name) for name, (spec, path) in resolved.datasets.items()}
    plan = _plan(suite, datasets, resolved.datasets, out, flags, outcome.notes)
    outcome.runs = run_planned(plan, cache, flags, suite.concurrency, console)
    pending = [r for r in outcome.runs if r.pending]
    if pending and cache is not None:
        outcome.pending_batches = batching.submit(out, pending, outcome.notes)
        return outcome
    esc = escalation_spec(suite)
    all_runs = outcome.runs + (escalation_runs(outcome.runs, esc) if esc else [])
    outcome.summaries = [summarize(r, suite.fleet) for r in all_runs]
    stamp = collect(suite=suite_path if suite_path.is_file() else None,
                    data=[path for _, path in resolved.datasets.values()], argv=flags.argv)
    write_all(out, outcome.summaries, all_runs, title=f"tasseograph eval: {suite.name}", provenance=stamp)
    return outcome


def _load(spec: DatasetSpec, path: Path, name: str) -> Dataset:
    ds = load_dataset(path, name=name, window=spec.window, window_s=spec.window_s, window_lines=spec.window_lines,
                      split=spec.split, test_fraction=spec.test_fraction, chunk_lines=spec.chunk_lines)
    return ds if spec.ids is None else only(ds, spec.ids)


def only(ds: Dataset, ids: list[str]) -> Dataset:
    """The cases of ``ds`` with these ids, in the dataset's order.

    Raises:
        ConfigError: an id is not in the dataset (the message names it).
    """
    have = {c.id for c in ds.cases}
    missing = [i for i in ids if i not in have]
    if missing:
        raise ConfigError(f"dataset {ds.name!r}: no case {missing[0]!r}"
                          f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}")
    wanted = set(ids)
    return replace(ds, cases=[c for c in ds.cases if c.id in wanted],
                   notes=[*ds.notes, f"a fixed subset of {len(wanted)} cases"])


@dataclass
class Planned:
    """One run to make: its spec and the model object that answers it."""

    spec: RunSpec
    model: Model


def _plan(suite: Suite, datasets: dict[str, Dataset], specs: dict[str, tuple[DatasetSpec, Path]], out: Path,
          flags: Flags, notes: list[str]) -> list[Planned]:
    plan: list[Planned] = []
    epochs = flags.epochs or suite.epochs
    for m in suite.models:
        if m.train and m.train not in datasets:
            notes.append(f"skipped model {m.name!r}: its training dataset {m.train!r} was skipped")
            continue
        model = _build_model(m, specs, out, flags)
        for ds_name, ds in datasets.items():
            if m.datasets is not None and ds_name not in m.datasets:
                continue
            if m.train == ds_name and specs[ds_name][0].split != "test":
                raise ConfigError(f"model {m.name!r} is trained on {ds_name!r} and would be scored on its own "
                                  "training cases: set split = \"test\" on that dataset")
            prompts: list[str | None] = [None] if model.local else list(m.prompts or suite.prompts)
            for prompt in prompts:
                for opt in suite.options:
                    if m.option_sets is not None and opt.label not in m.option_sets:
                        continue
                    spec = RunSpec(dataset=ds, model=model.name, prompt=prompt, options=opt.pipeline_options(),
                                   options_label=opt.label, model_options=m.options, epochs=epochs)
                    plan.append(Planned(spec, model))
    return plan


def _build_model(m: ModelSpec, specs: dict[str, tuple[DatasetSpec, Path]], out: Path, flags: Flags) -> Model:
    if m.train:
        kind = m.name.split(":")[0]
        if kind not in ("sklearn", "local"):
            raise ConfigError(f"model {m.name!r}: 'train' applies to the sklearn and local models only")
        dspec, path = specs[m.train]
        train_split: Split = "train" if dspec.split == "test" else "all"
        train_ds = load_dataset(path, name=m.train, window=dspec.window, window_s=dspec.window_s,
                                window_lines=dspec.window_lines, split=train_split, test_fraction=dspec.test_fraction,
                                chunk_lines=dspec.chunk_lines)
        suffix = "joblib" if kind == "sklearn" else "json"
        model_path = out / "models" / f"{kind}-{_slug(m.train)}.{suffix}"
        (train_on if kind == "sklearn" else train_local_on)(train_ds, model_path)
        model = get_model(f"{kind}:{model_path}", **m.options)
        model.name = f"{kind}[{m.train}:{train_split}]"
        return model
    try:
        return get_model(m.name, **m.options)
    except MissingAPIKeyError:
        if not flags.replay_only:
            raise
        # Replays never reach the API, so a placeholder key lets the backend be built without one.
        return get_model(m.name, **{"api_key": "replay-only-no-key", **m.options})


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)


def run_planned(plan: list[Planned], cache: ResponseCache | None, flags: Flags, concurrency: int,
                console: Console) -> list[RunResult]:
    """Run each planned spec in turn (cases within a run are concurrent), with a progress bar."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    kwargs: dict[str, Any] = {"rate_pause_s": flags.rate_pause_s} if flags.rate_pause_s is not None else {}
    # A progress bar only on a terminal: in CI logs and pipes it is noise.
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        return [
            asyncio.run(run_spec(p.spec, p.model, cache, concurrency=flags.concurrency or concurrency,
                                 replay_only=flags.replay_only, collect=flags.batch, progress=progress, **kwargs))
            for p in plan
        ]
