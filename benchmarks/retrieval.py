"""Benchmark: incident memory (issue 14): no examples vs fixed few-shot vs retrieved past incidents.

Run: ``python -m benchmarks.retrieval`` (needs ``pip install -e '.[local-llm]'``; about 15 minutes
on 2 cores). ``--replay`` serves every reply from the committed response cache
(``evals/cache/retrieval-responses.sqlite``) and starts no server (seconds).

``evals/retrieval.toml`` runs through the eval harness on ten cases of the repo set's held-out
30% (four critical, three warning, three ok; one is a prompt-injection case), prompt ``triage-v3``,
with three arms on the same cases: ``none``, ``fixed`` (four balanced labelled cases in the
system part) and ``retrieved`` (the four past incidents most like the case, in the user part).
The library is the repo's labelled cases; each case's own entry, near-copies of its content and
its log's other excerpts are left out of its neighbours and of the fixed examples. The model is
Gemma 3 270M (Q4_K_M) behind llama.cpp's server on this machine's CPU, scored alone (signal
merge off: its own verdicts) and merged with the catalogue signals (as production runs it),
beside the rules. Haiku rows: needs an API key, not measured here.

A 270M model shows the path and its failure modes. None of this is Haiku's quality.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import REPO, fmt, md_table, write_result

SUITE = REPO / "evals" / "retrieval.toml"
CACHE = REPO / "evals" / "cache" / "retrieval-responses.sqlite"
PORT = 18093
"""The suite's base URL names this port (not local_llm's 18080, so both can run at once)."""
MODEL = "openai:gemma3-270m"
ARMS = ("none", "fixed", "retrieved")
HAIKU = "anthropic:claude-haiku-4-5"
NOT_MEASURED = "needs an API key, not measured here"
LABEL = ("Gemma 3 270M on a 2-core CPU: shows the incident-memory path and its failure modes, "
         "not the quality of Haiku or any production model")


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the model (unless replaying), run the suite, write the results."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--replay", action="store_true", help="serve every reply from the committed cache")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args(argv)
    if args.replay:
        payload = run(replay=True)
    else:
        from tasseograph.localserver import LocalServer, gemma_weights

        weights = gemma_weights()
        server = LocalServer(weights, port=PORT,
                             log_path=Path(tempfile.gettempdir()) / "tasseograph-retrieval-server.log")
        with server:
            payload = run(replay=False)
        payload["server"] = f"llama.cpp server on 127.0.0.1:{PORT}, CPU, {server.threads} thread(s) of {os.cpu_count()} cores"
        payload["weights_sha256"] = weights.sha256
    write_result(args.out, "retrieval", payload, markdown(payload))


def run(*, replay: bool) -> dict[str, Any]:
    """The suite through the harness; one row per arm and merge setting."""
    from tasseograph.eval.cache import SQLiteCache
    from tasseograph.eval.session import Flags, execute
    from tasseograph.eval.suite import load_suite

    suite = load_suite(SUITE)
    with tempfile.TemporaryDirectory() as tmp:
        outcome = execute(suite, SUITE, Path(tmp) / "eval", SQLiteCache(CACHE), Flags(replay_only=replay))
    runs = [r for r in outcome.runs if r.policy == "single"]
    rows = [arm_row(r) for r in runs if r.model_name == MODEL]
    rules = [r for r in runs if r.model_name == "rules"]
    served = sorted({m for r in runs if r.model_name == MODEL for c in r.cases for m in c.served_models})
    subset = suite.datasets[0]
    return {
        "label": LABEL, "replayed": replay, "suite": str(SUITE.relative_to(REPO)),
        "model": f"{MODEL} (server reports: {', '.join(served) or 'nothing'})",
        "cases": subset.ids, "n_cases": len(subset.ids or []),
        "library": "repo labelled cases (datasets/), each case asked without itself, its near-copies and its log's other excerpts",
        "k": 4, "arms": rows, "same_replied_cases": same_replied(runs),
        "rules": [{"precision": b.precision, "recall": b.recall} for b in map(_binary, rules)],
        "haiku": [{"arm": arm, "measured": False, "why": NOT_MEASURED} for arm in ARMS],
        "calls_this_run": sum(r.cache.misses for r in runs if r.model_name == MODEL),
        "replies_from_cache": sum(r.cache.hits for r in runs if r.model_name == MODEL),
        "notes": sorted({n for s in outcome.summaries for n in s["notes"]}),
    }


def same_replied(runs: list[Any]) -> dict[str, Any]:
    """The model alone on the cases where every arm got a usable reply: the fair comparison (a
    failed reply's verdict is the signal fallback's, not the model's)."""
    from tasseograph.eval.metrics import binary, ratio

    alone = {r.spec.options_label.partition("-")[0]: r for r in runs
             if r.model_name == MODEL and r.spec.options_label.endswith("-alone")}
    replied = [{c.case_id for c in r.cases if not c.skipped and c.model_error is None} for r in alone.values()]
    common = sorted(set.intersection(*replied)) if replied else []
    out: dict[str, Any] = {"cases": common, "arms": []}
    for arm, r in alone.items():
        cases = [c for c in r.cases if c.case_id in common]
        b = binary([c.truth_status for c in cases], [c.pred_status for c in cases])
        out["arms"].append({"arm": arm, "n_cases": len(cases), "precision": b.precision, "recall": b.recall,
                            "correct_status": ratio(sum(c.pred_status == c.truth_status for c in cases), len(cases))})
    return out


def _binary(run: Any) -> Any:
    from tasseograph.eval.metrics import binary

    return binary([c.truth_status for c in run.cases], [c.pred_status for c in run.cases])


def arm_row(run: Any) -> dict[str, Any]:
    """One arm's figures: scores, reply health, examples shown, tokens, time."""
    from tasseograph.eval.metrics import percentile, ratio
    from tasseograph.eval.scoring import quality_label

    arm, _, merge = run.spec.options_label.partition("-")
    called = [c for c in run.cases if not c.skipped]
    b = _binary(run)
    latencies = [c.latency_s for c in called]
    return {
        "arm": arm, "merge": merge, "n_cases": len(run.cases), "n_called": len(called),
        "precision": b.precision, "recall": b.recall,
        "correct_status": ratio(sum(c.pred_status == c.truth_status for c in run.cases), len(run.cases)),
        "reply_failure_rate": ratio(sum(c.model_error is not None for c in called), len(called)),
        "examples_per_call": ratio(sum(len(c.examples) for c in called), len(called)),
        "input_tokens_per_call": ratio(sum(c.usage.input_tokens for c in called), len(called)),
        "output_tokens_per_call": ratio(sum(c.usage.output_tokens for c in called), len(called)),
        "cost_usd": sum(c.cost_usd for c in run.cases),
        "latency_p50_s": percentile(latencies, 50), "latency_p95_s": percentile(latencies, 95),
        "quality": quality_label(run),
    }


def markdown(p: dict[str, Any]) -> str:
    """The results as Markdown tables."""
    rules = p["rules"][0] if p["rules"] else {"precision": None, "recall": None}
    return "\n".join([
        f"**{p['label']}.** {p['model']}"
        f"{'; replayed from the committed response cache' if p['replayed'] else ''}. Suite `{p['suite']}`: "
        f"{p['n_cases']} cases ({', '.join(p['cases'] or [])}); library: {p['library']}; k = {p['k']}. "
        f"Model calls made by this run: {p['calls_this_run']}; replies from the response cache: {p['replies_from_cache']}.",
        "",
        md_table(("arm", "merge", "n (called)", "precision", "recall", "status right", "reply failures",
                  "examples / call", "input tok / call", "output tok / call", "cost USD", "p50 s", "quality"),
                 [(r["arm"], r["merge"], f"{r['n_cases']} ({r['n_called']})", fmt(r["precision"]), fmt(r["recall"]),
                   fmt(r["correct_status"]), fmt(r["reply_failure_rate"]), fmt(r["examples_per_call"], 2),
                   fmt(r["input_tokens_per_call"]), fmt(r["output_tokens_per_call"]), fmt(r["cost_usd"]),
                   fmt(r["latency_p50_s"], 2), r["quality"]) for r in p["arms"]]),
        "",
        "A failed reply (no usable JSON after the repair retry) gets the signal fallback's verdict, so the rows "
        "with reply failures mix the model's verdicts with the catalogue's. The model alone on the cases where "
        f"every arm got a usable reply ({len(p['same_replied_cases']['cases'])}: "
        f"{', '.join(p['same_replied_cases']['cases'])}):",
        "",
        md_table(("arm", "n", "precision", "recall", "status right"),
                 [(r["arm"], r["n_cases"], fmt(r["precision"]), fmt(r["recall"]), fmt(r["correct_status"]))
                  for r in p["same_replied_cases"]["arms"]]),
        "",
        f"Rules on the same cases: precision {fmt(rules['precision'])}, recall {fmt(rules['recall'])}.",
        "",
        md_table(("model", "arm", "figures"), [(HAIKU, h["arm"], h["why"]) for h in p["haiku"]]),
        "",
        "Tokens are the local server's counts (Gemma's tokenizer); the local model costs nothing per call.",
    ])


if __name__ == "__main__":
    main()
