"""Benchmark 3: cost per host-month, the plan's bill reproduced, corrected, then lever by lever.

Run: ``python -m benchmarks.cost_per_host_month`` (``--tiny`` for a smoke run, ``--out DIR``).

A fleet simulation at the plan's assumptions (600 and 1,500 hosts, a 3 KB delta every 5
minutes, Claude Haiku 4.5 prices from ``tasseograph/data/prices.toml``): the raw log volume is
the plan's, and what the local pipeline does to it is measured by replaying real per-host
deltas (Loghub per-node 5-minute windows, the noise boot logs in ~3 KB deltas, the real dev set
and the repository's ``datasets/`` as host streams) at 5, 15 and 30 minutes. The arithmetic is
``benchmarks.costmodel``. Beside every configuration: evidence retention on the labelled
deltas, and the recall of the models that really ran here (rules, sklearn). The LLM's own
recall needs an API key: not measured here.

The per-host baseline rows replay each host stream in time order through its own
``tasseograph.HostBaseline`` with the runner's default settings (``benchmarks/_replay.py``): it learns
from a delta only after that delta was "judged", and with no LLM here the judgement is a
stand-in: the label AND the ``rules`` model must both call the delta ok for it to be learned.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks._common import dataset_paths, fmt, md_table, parse_args, update_summary, write_result
from benchmarks._replay import (
    PIPELINES,
    DeltaRecord,
    baseline_skip_share,
    host_streams,
    load_cases,
    merge_consecutive,
    replay,
    retention,
    sent_ratio,
    skip_share,
)
from benchmarks.costmodel import (
    HostMonthCost,
    Measured,
    PlanInputs,
    PlanSlips,
    Prices,
    WindowStats,
    correction_ladder,
    lever_table,
    plan_bill,
    prices_for,
)
from tasseograph.baseline import BaselineSettings
from tasseograph.compress import estimate_tokens
from tasseograph.eval.datasets import Case

MULTIPLES = (1, 3, 6)
"""Polling intervals replayed, as multiples of 5 minutes."""
FLEETS = (600, 1_500)
BYTES_PER_TOKEN = 4.0
"""Corrected bytes per token of log text: the project's own estimate (characters / 4); tokenizers give 3.5-4."""
BATCH_HOSTS = 10
HEALTHY_MULTIPLE = 6
MODEL_ID = "claude-haiku-4-5"
DEFAULT_PROMPT = "triage-v1"
FEWSHOT_PROMPT = "triage-v2"
BATCH_PROMPT = "triage-batch-v1"
LOCAL_MODELS = ("rules", "sklearn")
HOST_STREAMS = ("BGL per-node 5 min", "Thunderbird per-node 5 min", "noise boot logs")
"""Datasets that are real per-host streams (the others are curated case collections)."""
BASELINE = BaselineSettings()
"""The per-host baseline as the runner's ``[baseline]`` defaults configure it."""


# --- measurement -------------------------------------------------------------------------------


def load_all(tiny: bool) -> dict[str, list[Case]]:
    """Every dataset's per-host deltas, in stream order."""
    return {name: load_cases(path, tiny=tiny) for name, path in dataset_paths().items()}


def window_stats(multiple: int, records: Sequence[DeltaRecord]) -> WindowStats:
    """Replay statistics of one polling interval."""
    called = [r for r in records if not r.skipped]
    kept = [r for r in records if not r.baseline_skipped]
    return WindowStats(
        multiple=multiple,
        deltas=len(records),
        skip_share=skip_share(records),
        sent_ratio={p: sent_ratio(records, p) for p in PIPELINES},
        retention={p: _or_one(retention(records, p)) for p in PIPELINES},
        realtime_share=_share(called, lambda r: r.has_signal, 1.0),
        nonok_share_of_calls=_share(called, lambda r: r.status != "ok", 0.0),
        baseline_skip_share=baseline_skip_share(records),
        baseline_realtime_share=_share(kept, lambda r: r.has_signal, 1.0),
        baseline_nonok_share_of_calls=_share(kept, lambda r: r.status != "ok", 0.0),
    )


def _share(records: Sequence[DeltaRecord], test: Callable[[DeltaRecord], bool], empty: float) -> float:
    return sum(test(r) for r in records) / len(records) if records else empty


def _or_one(value: float | None) -> float:
    """Retention with nothing to retain (no labelled positives) is vacuously complete."""
    return 1.0 if value is None else value


def replay_windows(datasets: dict[str, list[Case]]) -> dict[int, list[DeltaRecord]]:
    """Replay every dataset at every polling multiple (consecutive deltas of a stream joined)."""
    return {
        m: [
            rec
            for name, cases in datasets.items()
            for rec in replay(name, merge_consecutive(cases, m), baseline=BASELINE, multiple=m)
        ]
        for m in MULTIPLES
    }


def prompt_sizes(examples: Sequence[Case]) -> dict[str, Any]:
    """Estimated tokens of the default prompt's system part and user wrapper, and of a few-shot prefix."""
    from tasseograph.prompts import get_prompt

    lines = ["EDAC MC0: 1 CE memory read error on DIMM_A1"]
    rendered = get_prompt(DEFAULT_PROMPT).render(lines=lines, host="host-0001")
    fewshot = get_prompt(FEWSHOT_PROMPT)
    batch = get_prompt(BATCH_PROMPT).render_batch(hosts=[("host-0001", lines)])
    chosen: list[dict[str, Any]] = []
    system = estimate_tokens(fewshot.render(lines=lines, host="h").system)
    for case in examples:
        if system >= 4_096:
            break
        chosen.append({"text": case.text, "reply": _reply_of(case)})
        system = estimate_tokens(fewshot.render(lines=lines, host="h", examples=chosen).system)
    return {
        "prompt": get_prompt(DEFAULT_PROMPT).ref,
        "system_tokens": estimate_tokens(rendered.system),
        "wrapper_tokens": estimate_tokens(rendered.user) - estimate_tokens("\n".join(lines)),
        "batch_prompt": get_prompt(BATCH_PROMPT).ref,
        "batch_system_tokens": estimate_tokens(batch.system),
        "fewshot_prompt": fewshot.ref,
        "fewshot_examples": len(chosen),
        "fewshot_prefix_tokens": system,
        "ok_reply_tokens": estimate_tokens(json.dumps({"status": "ok", "issues": []})),
    }


def _reply_of(case: Case) -> dict[str, Any]:
    """The reply the contract expects for a labelled case (used only to size few-shot examples)."""
    issues = [
        {
            "severity": case.status,
            "category": cat,
            "summary": "example",
            "evidence": "\n".join(case.evidence[:2]),
        }
        for cat in case.categories
    ]
    return {"status": case.status, "issues": issues if case.status != "ok" else []}


def anomaly_share(records: Sequence[DeltaRecord]) -> float:
    """Share of deltas that are anomalous: labelled non-ok, or flagged by a catalogue signal."""
    return sum(r.status != "ok" or r.has_signal for r in records) / len(records) if records else 0.0


def measured_inputs(windows: dict[int, list[DeltaRecord]], sizes: dict[str, Any]) -> Measured:
    """The cost model's measured inputs, from the replay and the rendered prompts.

    The anomaly rate that drives adaptive polling comes from the real host streams only (Loghub
    per-node windows, boot-log deltas): the curated case sets are anomaly-rich by construction.
    """
    base = windows[1]
    streams = [r for r in base if r.dataset in HOST_STREAMS]
    anomalous = anomaly_share(streams or base)
    return Measured(
        windows={m: window_stats(m, recs) for m, recs in windows.items()},
        anomaly_share=anomalous,
        system_tokens=sizes["system_tokens"],
        batch_system_tokens=sizes["batch_system_tokens"],
        wrapper_tokens=sizes["wrapper_tokens"],
        ok_reply_tokens=sizes["ok_reply_tokens"],
        fewshot_prefix_tokens=sizes["fewshot_prefix_tokens"],
        source="benchmarks/cost_per_host_month.py replay of: " + ", ".join(sorted({r.dataset for r in base})),
    )


def measured_activity(min_uptime_s: float = 600.0) -> dict[str, Any]:
    """Share of 5-minute intervals with any new kernel line on real servers after boot.

    From the noise boot logs (whole dmesg of real servers, timestamps since boot): every interval
    between ``min_uptime_s`` and the last line counts; an interval is active when a line falls in it.
    """
    from benchmarks._common import shared_dir
    from tasseograph.parsing import parse_delta

    active = total = 0
    per_log = {}
    for f in sorted((shared_dir() / "datasets" / "dmesg-real" / "noise").glob("*.log")):
        stamps = [x.monotonic for x in parse_delta(f.read_bytes()).lines if x.monotonic is not None]
        slots = {int(t // 300) for t in stamps if t > min_uptime_s}
        span = max(0, int(max(stamps) // 300) - int(min_uptime_s // 300)) if stamps else 0
        active, total = active + len(slots), total + max(span, len(slots))
        per_log[f.name] = {"active": len(slots), "intervals": max(span, len(slots))}
    return {
        "active_share": active / total if total else 1.0,
        "active": active,
        "intervals": total,
        "per_log": per_log,
    }


# --- local models' recall ----------------------------------------------------------------------


def local_recall(
    datasets: dict[str, list[Case]], model: str, *, prefilter: bool, multiple: int
) -> dict[str, Any]:
    """Recall of a local model on the non-ok deltas, through ``analyze`` itself (with the missed ids)."""
    from tasseograph import analyze

    positives = [
        (name, c)
        for name, cases in datasets.items()
        if _scored(model, name)
        for c in merge_consecutive(cases, multiple)
        if c.status != "ok"
    ]
    if not positives:
        return {"recall": None, "positives": 0, "missed": []}
    try:
        missed = [
            f"{name}/{c.id}"
            for name, c in positives
            if analyze(c.text, model=model, host=c.host, prefilter=prefilter).status == "ok"
        ]
    except Exception as exc:  # a local model that cannot load here is reported, not fatal
        return {"recall": None, "positives": len(positives), "error": f"{type(exc).__name__}: {exc}"}
    return {"recall": 1 - len(missed) / len(positives), "positives": len(positives), "missed": missed}


def baseline_recall(
    with_prefilter: dict[str, Any], records: Sequence[DeltaRecord], model: str
) -> dict[str, Any]:
    """A local model's recall when the per-host baseline also skips: a skipped positive is missed."""
    if with_prefilter.get("recall") is None:
        return dict(with_prefilter)
    skipped = {
        f"{r.dataset}/{r.case_id}" for r in records if r.status != "ok" and r.baseline_skipped and _scored(model, r.dataset)
    }
    missed = sorted(set(with_prefilter["missed"]) | skipped)
    positives = with_prefilter["positives"]
    return {"recall": 1 - len(missed) / positives, "positives": positives, "missed": missed}


def _scored(model: str, dataset: str) -> bool:
    # The default sklearn model is trained on the repository's datasets/: never score it there.
    return not (model == "sklearn" and dataset == "repo datasets/")


def recall_table(datasets: dict[str, list[Case]], windows: dict[int, list[DeltaRecord]]) -> dict[str, dict[str, Any]]:
    """Each local model's recall with the pre-filter off and on, and with the per-host baseline,
    at 5 and at 30 minutes."""
    settings = [(pf, m) for m in (1, HEALTHY_MULTIPLE) for pf in (False, True)]
    table: dict[str, dict[str, Any]] = {}
    for model in LOCAL_MODELS:
        row = {_setting(pf, m): local_recall(datasets, model, prefilter=pf, multiple=m) for pf, m in settings}
        for m in (1, HEALTHY_MULTIPLE):
            row[_baseline_setting(m)] = baseline_recall(row[_setting(True, m)], windows[m], model)
        table[model] = row
    return table


def _setting(prefilter: bool, multiple: int) -> str:
    return f"{'pre-filter' if prefilter else 'no pre-filter'}, {multiple * 5} min"


def _baseline_setting(multiple: int) -> str:
    return f"pre-filter + per-host baseline, {multiple * 5} min"


def recall_for(label: str, recalls: dict[str, dict[str, Any]], model: str) -> float | None:
    """A local model's recall under a configuration.

    Local models read the parsed delta, not the prompt: compression, caching and batching do not
    change what they see; the pre-filter and the baseline (skipped deltas are ok) and longer
    windows do.
    """
    all_levers = label.startswith("all levers")
    multiple = HEALTHY_MULTIPLE if label.startswith("adaptive") or all_levers else 1
    if "per-host baseline" in label:
        key = _baseline_setting(multiple)
    else:
        key = _setting(label.startswith("pre-filter") or all_levers, multiple)
    value = recalls[model][key]["recall"]
    return None if value is None else float(value)


def baseline_report(windows: dict[int, list[DeltaRecord]], datasets: dict[str, list[Case]]) -> dict[str, Any]:
    """What the baseline replay did, per dataset and interval: streams, warm-up, skips, losses."""
    out: dict[str, Any] = {"settings": dataclasses.asdict(BASELINE), "by_interval": {}}
    for m, records in windows.items():
        per_dataset = {}
        for name, cases in datasets.items():
            recs = [r for r in records if r.dataset == name]
            streams = host_streams(merge_consecutive(cases, m))
            reasons: dict[str, int] = {}
            for r in recs:
                kind = re.sub(r"\d+", "N", r.baseline_reason) if r.baseline_reason else "(pre-filter skip)"
                reasons[kind] = reasons.get(kind, 0) + 1
            warm = [r for r in recs if r.baseline_reason and not r.baseline_reason.startswith("warm-up")]
            per_dataset[name] = {
                "deltas": len(recs),
                "deltas_after_warm_up": len(warm),
                "baseline_skip_share_after_warm_up": baseline_skip_share(warm) if warm else None,
                "host_streams": len(streams),
                "streams_longer_than_warmup": sum(len(o) > BASELINE.warmup_deltas for o in streams.values()),
                "prefilter_skip_share": skip_share(recs),
                "baseline_skip_share": baseline_skip_share(recs),
                "decisions": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
            }
        lost = [
            {"dataset": r.dataset, "case": r.case_id, "status": r.status, "evidence_scored": bool(r.retained)}
            for r in records
            if r.status != "ok" and r.baseline_skipped and not r.skipped
        ]
        out["by_interval"][f"{m * 5} min"] = {"datasets": per_dataset, "nonok_skipped_by_baseline": lost}
    return out


# --- output ------------------------------------------------------------------------------------


def cost_rows(prices: Prices, measured: Measured, active_share: float) -> dict[int, list[HostMonthCost]]:
    """The lever table at each fleet size (its last row at the measured activity of real servers)."""
    return {
        hosts: lever_table(
            PlanInputs(hosts=hosts),
            prices,
            measured,
            bytes_per_token=BYTES_PER_TOKEN,
            batch_hosts=BATCH_HOSTS,
            healthy_multiple=HEALTHY_MULTIPLE,
            active_share=active_share,
        )
        for hosts in FLEETS
    }


def markdown(
    ladder: dict[int, list[Any]],
    rows: dict[int, list[HostMonthCost]],
    recalls: dict[str, Any],
    measured: Measured,
    prices: Prices,
    baseline: dict[str, Any],
) -> str:
    """The result tables."""
    plan_head = ["hosts", "step", "input M tok/day", "output M tok/day", "$/day", "$/month", "$/host-month"]
    plan_body = [
        [
            b.hosts,
            b.label,
            f"{b.input_tokens_per_day / 1e6:.1f}",
            f"{b.output_tokens_per_day / 1e6:.2f}",
            f"{b.usd_per_day:,.2f}",
            f"{b.usd_per_month:,.0f}",
            f"{b.usd_per_host_month:.3f}",
        ]
        for hosts in FLEETS
        for b in ladder[hosts]
    ]
    lever_head = [
        "configuration",
        "skip share",
        "calls/host-month",
        "$/host-month",
        "$/month (600)",
        "$/month (1,500)",
        "evidence retention",
        "rules recall",
        "sklearn recall",
        "LLM recall",
    ]
    lever_body = []
    for i, row in enumerate(rows[600]):
        big = rows[1_500][i]
        lever_body.append(
            [
                row.label,
                f"{1 - row.calls / row.deltas:.4f}" if row.deltas else "n/a",
                f"{row.calls:,.0f}",
                f"{row.usd:.4f}",
                f"{row.usd_fleet_month:,.0f}",
                f"{big.usd_fleet_month:,.0f}",
                fmt(row.evidence_retention),
                fmt(recall_for(row.label, recalls, "rules")),
                fmt(recall_for(row.label, recalls, "sklearn")),
                "not measured here (needs an API key)",
            ]
        )
    w = measured.windows
    facts = [
        f"prices: {prices.source}; min cacheable prefix {prices.min_cache_tokens} tokens",
        f"bytes per token {BYTES_PER_TOKEN:g} (estimate); output {PlanInputs().output_tokens:g} tokens per call (the plan's)",
        f"system prompt {measured.system_tokens} tokens ({DEFAULT_PROMPT}), multi-host prompt "
        f"{measured.batch_system_tokens} tokens ({BATCH_PROMPT}), user wrapper {measured.wrapper_tokens} tokens (estimates)",
        f"few-shot prefix {measured.fewshot_prefix_tokens} tokens",
        f"anomaly share per 5-min delta {measured.anomaly_share:.3f} (labelled non-ok or a signal; host streams only)",
        *(
            f"{m * 5} min: {s.deltas} deltas, skip {s.skip_share:.3f}, sent ratio both {s.sent_ratio['both']:.3f}, "
            f"realtime share {s.realtime_share:.3f}, retention both {s.retention['both']:.3f}; "
            f"with the per-host baseline: skip {s.baseline_skip_share:.4f}, retention "
            f"{s.retention['baseline+compress']:.3f}"
            for m, s in w.items()
        ),
    ]
    return "\n\n".join(
        [
            "## The plan's bill, reproduced from its stated inputs, then corrected",
            md_table(plan_head, plan_body),
            "## Cost per host-month: naive (corrected), each lever alone, all together (600 and 1,500 hosts)",
            md_table(lever_head, lever_body),
            "Measured inputs:\n" + "\n".join(f"- {f}" for f in facts),
            "## The per-host baseline, replayed\n\n" + baseline_notes(baseline),
        ]
    )


def baseline_notes(report: dict[str, Any]) -> str:
    """How the baseline rows were measured, and what the replay did per dataset."""
    cfg = report["settings"]
    head = [
        "interval", "dataset", "deltas", "host streams", f"streams > {cfg['warmup_deltas']} deltas",
        "pre-filter skip", "baseline skip", "deltas after warm-up", "baseline skip after warm-up",
        "most frequent decisions",
    ]
    body = []
    for interval, block in report["by_interval"].items():
        for name, d in block["datasets"].items():
            top = "; ".join(f"{k} ({v})" for k, v in list(d["decisions"].items())[:3])
            body.append([
                interval, name, d["deltas"], d["host_streams"], d["streams_longer_than_warmup"],
                f"{d['prefilter_skip_share']:.4f}", f"{d['baseline_skip_share']:.4f}", d["deltas_after_warm_up"],
                fmt(d["baseline_skip_share_after_warm_up"]), top,
            ])
    lost = [
        f"{interval}: {x['dataset']}/{x['case']} ({x['status']}, evidence {'scored' if x['evidence_scored'] else 'not labelled'})"
        for interval, block in report["by_interval"].items()
        for x in block["nonok_skipped_by_baseline"]
    ]
    notes = [
        f"Settings: the runner's `[baseline]` defaults (warm-up {cfg['warmup_deltas']} ok deltas, "
        f"{cfg['max_templates']} templates per host, expiry {cfg['expiry_s'] / 86400:g} days, "
        f"rate factor {cfg['rate_factor']:g}).",
        "Each host stream is replayed in time order (Loghub timestamps; boot-log chunks in order, "
        "5 minutes apart); the baseline decides before the delta's \"call\" and learns only after it, "
        "and never from a delta the pre-filter or the baseline skipped.",
        "**No LLM ran: the labels stand in for the model's verdict.** A delta is learned as ok only when "
        "its label is ok AND the `rules` model (the signal catalogue) finds nothing; a labelled non-ok "
        "delta or one with a signal poisons its templates, as the deployed verdict would (the signal "
        "merge makes it non-ok). A real deployment learns from the LLM's verdicts: an LLM false "
        "negative would be learned, which this replay cannot show.",
        "Evidence retention is computed as for every other row: share of labelled non-ok deltas whose "
        "evidence lines reach the model or are caught by a signal (a skipped delta loses all of it).",
        "Case collections (dev set, repo datasets/) have one delta per host: their baselines never "
        "warm up, so they dilute the skip share exactly as they dilute the pre-filter's. The real host "
        "streams are short too (most Loghub nodes have a single 5-minute window; the boot logs are "
        "boots, not steady state), so the rows above measure what this data allows, not a long-running fleet. \"Baseline "
        "skip after warm-up\" is the share among deltas of hosts whose baseline had warmed up: a small "
        "sample, shown for scale, not priced.",
        "Non-ok deltas the baseline skipped (beyond the pre-filter): "
        + ("; ".join(lost) if lost else "none"),
    ]
    return "\n".join(f"- {n}" for n in notes) + "\n\n" + md_table(head, body)


def main(argv: Sequence[str] | None = None) -> None:
    """Replay, price and write ``cost_per_host_month.json`` / ``.md``."""
    args = parse_args(__doc__.splitlines()[0], argv)
    datasets = load_all(args.tiny)
    windows = replay_windows(datasets)
    examples = [c for c in datasets.get("repo datasets/", []) if c.status != "ok"]
    sizes = prompt_sizes(examples)
    measured = measured_inputs(windows, sizes)
    prices = prices_for(MODEL_ID)
    naive_prompt = measured.system_tokens + measured.wrapper_tokens
    ladder = {
        h: correction_ladder(
            PlanInputs(hosts=h), prices, bytes_per_token=BYTES_PER_TOKEN, system_prompt_tokens=naive_prompt
        )
        for h in FLEETS
    }
    activity = measured_activity()
    rows = cost_rows(prices, measured, activity["active_share"])
    recalls = recall_table(datasets, windows)
    baseline = baseline_report(windows, datasets)
    all_levers = next(r for r in rows[600] if r.label == "all levers")
    with_baseline = next(r for r in rows[600] if r.label == "all levers + per-host baseline")
    payload = {
        "tiny": args.tiny,
        "prices": prices.model_dump(),
        "prompt_sizes": sizes,
        "measured": measured.model_dump(),
        "plan_stated": {"usd_per_month_600": 3_200, "usd_per_month_1500": 7_750},
        "ladder": {h: [b.model_dump() for b in bills] for h, bills in ladder.items()},
        "levers": {h: [r.model_dump() for r in rs] for h, rs in rows.items()},
        "activity": activity,
        "local_model_recall": recalls,
        "baseline_replay": baseline,
        "llm_recall": "not measured here (needs an API key)",
    }
    write_result(args.out, "cost_per_host_month", payload, markdown(ladder, rows, recalls, measured, prices, baseline))
    update_summary(
        args.out,
        {
            "cost_per_host_month_plan_usd": round(
                plan_bill(PlanInputs(), prices, PlanSlips()).usd_per_host_month, 3
            ),
            "cost_per_host_month_naive_usd": round(ladder[600][-1].usd_per_host_month, 3),
            "cost_per_host_month_all_levers_usd": round(all_levers.usd, 4),
            "evidence_retention_all_levers": round(all_levers.evidence_retention, 4),
            "cost_per_host_month_all_levers_baseline_usd": round(with_baseline.usd, 4),
            "evidence_retention_all_levers_baseline": round(with_baseline.evidence_retention, 4),
        },
    )


if __name__ == "__main__":
    main()
