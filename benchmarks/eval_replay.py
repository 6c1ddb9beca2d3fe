"""Benchmark 4: wall time of a 10,000-case eval run replayed from the response cache.

Run: ``python -m benchmarks.eval_replay`` (``--tiny`` for a smoke run, ``--out DIR``).

1. A 10,000-case JSONL dataset is generated in a temp folder from the real dev set and the
   repository's ``datasets/`` (texts cycled, each case made unique by one extra line, so every
   case has its own cache key).
2. The response cache is filled through the harness's own cache API: every case goes through
   ``analyze_async`` with the real ``anthropic:claude-haiku-4-5`` backend wrapped in
   ``CachingModel`` over a ``SQLiteCache``, its network call replaced by a synthetic ``ok``
   reply. The keys are therefore exactly the ones a real run would write.
3. The timed part: ``tasseograph-eval run --dataset ... --model anthropic:claude-haiku-4-5
   --replay-only`` in a fresh process (reports included). A dummy key and a closed local base
   URL make sure nothing can reach the API.

The replies are synthetic, so the run's quality figures mean nothing; only its speed is measured.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import REPO, md_table, parse_args, shared_dir, update_summary, write_result
from tasseograph.parsing import parse_delta

FULL_CASES = 10_000
TINY_CASES = 40
MODEL = "anthropic:claude-haiku-4-5"
PROMPT = "triage-v1"
OFFLINE_ENV = {"ANTHROPIC_API_KEY": "sk-ant-benchmark-dummy", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
"""A key the constructor accepts and a base URL nothing listens on: a cache miss cannot cost money."""
OK_REPLY = json.dumps({"status": "ok", "issues": []})


def source_cases() -> list[dict[str, Any]]:
    """The labelled cases the generated dataset cycles through."""
    files = [
        shared_dir() / "datasets" / "dmesg-real" / "dev.jsonl",
        *sorted((REPO / "datasets").rglob("*.jsonl")),
    ]
    return [
        json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def generate_dataset(path: Path, n: int) -> int:
    """Write ``n`` unique FORMAT.md cases to ``path``; return the number written."""
    sources = source_cases()
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            src = sources[i % len(sources)]
            # One extra line makes the rendered prompt, and so the cache key, unique per case.
            text = f"[    0.000001] benchmark case {i}\n" + src["text"]
            case = {
                "id": f"bench-{i:05d}",
                "text": text,
                "label": src["label"],
                "evidence": src.get("evidence", []),
            }
            fh.write(json.dumps(case) + "\n")
    return n


async def _fill(dataset: Path, cache_path: Path) -> dict[str, int]:
    """Put a synthetic reply for every case into the cache, keyed as a real run would key it."""
    from tasseograph.eval.cache import CachingModel, SQLiteCache
    from tasseograph.eval.datasets import load_dataset
    from tasseograph.models.base import ModelReply, ModelRequest
    from tasseograph.models.registry import get_model
    from tasseograph.pipeline import analyze_async
    from tasseograph.schema import Usage

    real = get_model(MODEL)

    async def synthetic(request: ModelRequest) -> ModelReply:
        usage = Usage(input_tokens=(len(request.system) + len(request.user)) // 4, output_tokens=10)
        return ModelReply(text=OK_REPLY, usage=usage, model_id="claude-haiku-4-5-20251001", latency_s=0.5)

    real.complete = synthetic  # type: ignore[method-assign]  # the network call, and nothing else, is replaced
    cache = SQLiteCache(cache_path)
    # Filling is not the timed part: skip the fsync per committed entry (the replay reads a normal file).
    cache._db.execute("PRAGMA synchronous=OFF")
    cached = CachingModel(real, cache, origin="synthetic")
    for case in load_dataset(dataset).cases:
        await analyze_async(parse_delta(case.text, host=case.host), model=cached, prompt=PROMPT)
    stats = {"entries": len(cache), "misses": cached.stats.misses}
    cache.close()
    return stats


def fill_cache(dataset: Path, cache_path: Path) -> dict[str, int]:
    """``_fill`` with the offline environment set for the model constructor."""
    saved = {k: os.environ.get(k) for k in OFFLINE_ENV}
    os.environ.update(OFFLINE_ENV)
    try:
        return asyncio.run(_fill(dataset, cache_path))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def timed_replay(dataset: Path, cache_path: Path, out: Path) -> dict[str, Any]:
    """Run the replay in a fresh process and time it (wall clock, process start included)."""
    exe = shutil.which("tasseograph-eval")
    cmd = [exe] if exe else [sys.executable, "-c", "from tasseograph.eval.cli import main; main()"]
    cmd += [
        "run",
        "--dataset",
        str(dataset),
        "--model",
        MODEL,
        "--prompt",
        PROMPT,
        "--cache",
        str(cache_path),
        "--replay-only",
        "--out",
        str(out),
    ]
    env = {**os.environ, **OFFLINE_ENV, "TASSEOGRAPH_DISABLE_PLUGINS": "1"}
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(
            f"replay failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    run = summary["runs"][0]
    return {
        "seconds": seconds,
        "n_cases": run.get("n_cases"),
        "cache": run.get("cache"),
        "command": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Generate, fill, replay, and write ``eval_replay.json`` / ``.md``."""
    args = parse_args(__doc__.splitlines()[0], argv)
    n = TINY_CASES if args.tiny else FULL_CASES
    with tempfile.TemporaryDirectory(prefix="tasseograph-replay-") as tmp:
        folder = Path(tmp)
        dataset, cache_path = folder / "bench10k.jsonl", folder / "responses.sqlite"
        generate_dataset(dataset, n)
        t0 = time.perf_counter()
        filled = fill_cache(dataset, cache_path)
        fill_s = time.perf_counter() - t0
        replay = timed_replay(dataset, cache_path, folder / "run")
    rate = n / replay["seconds"]
    payload = {
        "tiny": args.tiny,
        "cases": n,
        "fill": {**filled, "seconds": fill_s},
        "replay": replay,
        "cases_per_s": rate,
        "note": "synthetic ok replies: speed only, the quality figures are meaningless",
    }
    table = md_table(
        ["cases", "cache entries", "replay wall s", "cases/s", "fill s (not timed part)"],
        [[f"{n:,}", f"{filled['entries']:,}", f"{replay['seconds']:.1f}", f"{rate:,.0f}", f"{fill_s:.1f}"]],
    )
    md = "\n\n".join(
        [
            "## Eval harness: a replay from the response cache (fresh process, reports included)",
            table,
            f"Timed command: `{replay['command']}` (temp paths). Replies are synthetic `ok` replies written through "
            "the harness's cache API (`CachingModel` + `SQLiteCache`), so only the speed is meaningful; skipped "
            "deltas (pre-filter) need no entry.",
        ]
    )
    write_result(args.out, "eval_replay", payload, md)
    update_summary(args.out, {"replay_10k_cases_s": round(replay["seconds"], 2) if not args.tiny else None})


if __name__ == "__main__":
    main()
