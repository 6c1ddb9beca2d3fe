"""``--batch``: send a suite's uncached requests through the Message Batches API, collect later.

First invocation: every run goes through the cache in *collect* mode; misses are gathered
instead of sent, submitted as one batch per model (``submit_batch``), and the batch ids are
written to ``OUT/batch_state.json``. Nothing is scored yet.

Next invocation (same command): the state file is read; batches that have ended are fetched
(``batch_results``) into the response cache, marked as batch replies so they are priced at the
batch discount, and the suite then runs from the cache. Batches still processing are reported
and the command stops. A repair retry that misses the cache starts one more (small) batch.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tasseograph.errors import ModelError, UsageError
from tasseograph.eval.cache import CachedReply, ResponseCache, backend_params, origin_of
from tasseograph.eval.execute import RunResult
from tasseograph.models.base import ModelReply, ModelRequest
from tasseograph.models.registry import get_model

STATE_FILE = "batch_state.json"


def state_path(out: Path) -> Path:
    """Where the pending batches of an output directory are recorded."""
    return out / STATE_FILE


def submit(out: Path, runs: list[RunResult], notes: list[str]) -> list[str]:
    """Submit the runs' pending requests, one batch per model; record the ids; return them."""
    by_model: dict[str, tuple[Any, dict[str, ModelRequest], dict[str, Any]]] = {}
    for run in runs:
        model = run.model_obj
        entry = by_model.setdefault(model.name, (model, {}, run.spec.model_options))
        entry[1].update(run.pending)
    state = _read(out)
    ids = []
    for name, (model, pending, options) in by_model.items():
        if not hasattr(model, "submit_batch"):
            raise UsageError(f"--batch: model {name!r} has no Message Batches support (Anthropic models only)")
        # A sha256 hex key is exactly 64 characters, the API's custom_id limit.
        batch_id = asyncio.run(model.submit_batch(sorted(pending.items())))
        state["batches"].append({"id": batch_id, "model": name, "model_options": options, "keys": sorted(pending)})
        ids.append(batch_id)
        notes.append(f"submitted batch {batch_id}: {len(pending)} requests to {name}; re-run the same command to collect")
    _write(out, state)
    return ids


def collect(out: Path, cache: ResponseCache, notes: list[str]) -> list[str]:
    """Fetch ended batches into ``cache``; return the ids still processing."""
    state = _read(out)
    still: list[dict[str, Any]] = []
    for b in state["batches"]:
        model: Any = get_model(b["model"], **b.get("model_options", {}))
        status = asyncio.run(model.batch_status(b["id"]))
        if not status.done:
            still.append(b)
            notes.append(f"batch {b['id']} ({b['model']}) still {status.processing_status}: {status.request_counts}")
            continue
        results = asyncio.run(model.batch_results(b["id"]))
        stored, failed = _store(results, cache, model.name, origin=_origin(model))
        notes.append(f"collected batch {b['id']}: {stored} replies cached, {failed} failed (they will be re-sent)")
    state["batches"] = still
    _write(out, state)
    return [b["id"] for b in still]


def _store(results: dict[str, ModelReply | ModelError], cache: ResponseCache, model: str, origin: str) -> tuple[int, int]:
    stored = failed = 0
    for key, outcome in results.items():
        if isinstance(outcome, ModelReply):
            cache.put(key, CachedReply(reply=outcome, batch=True, origin=origin_of(outcome, origin)), model=model)
            stored += 1
        else:
            failed += 1
    return stored, failed


def _origin(model: Any) -> str:
    return str(backend_params(model).get("base_url", "api"))


def _read(out: Path) -> dict[str, Any]:
    p = state_path(out)
    if not p.exists():
        return {"batches": []}
    return dict(json.loads(p.read_text(encoding="utf-8")))


def _write(out: Path, state: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    p = state_path(out)
    if state["batches"]:
        p.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    elif p.exists():
        p.unlink()
