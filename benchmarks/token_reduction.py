"""Benchmark 2: tokens of the raw delta vs tokens actually sent, and the share that skips the model.

Run: ``python -m benchmarks.token_reduction`` (``--tiny`` for a smoke run, ``--out DIR``).

Every per-host delta of every dataset (the real dev set, the noise boot logs cut into ~3 KB
deltas, BGL and Thunderbird per-node 5-minute windows, the repository's ``datasets/``) goes
through the local half of ``analyze``: parse, signals, pre-filter, compression with the
default line budget. Token counts are estimates (characters / 4), not tokenizer counts; the
prompt's own tokens are left out here (the cost benchmark adds them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks._common import dataset_paths, fmt, md_table, parse_args, update_summary, write_result
from benchmarks._replay import DeltaRecord, load_cases, median, replay, retention, sent_ratio, skip_share


def dataset_row(name: str, records: Sequence[DeltaRecord]) -> dict[str, Any]:
    """Per-dataset figures: medians and totals before and after, skip share, retention."""
    raw = sum(r.raw_tokens for r in records)
    sent = sum(r.sent_tokens["both"] for r in records)
    called = [r for r in records if not r.skipped]
    return {
        "dataset": name,
        "deltas": len(records),
        "raw_tokens_median": median([r.raw_tokens for r in records]),
        "sent_tokens_median_called": median([r.sent_tokens["both"] for r in called]),
        "raw_tokens_total": raw,
        "sent_tokens_total": sent,
        "compression_only_total": sum(r.sent_tokens["compress"] for r in records),
        "reduction_ratio": raw / sent if sent else None,
        "skip_share": skip_share(records),
        "evidence_retention": retention(records, "both"),
        "nonok_cases": sum(r.status != "ok" for r in records),
    }


def markdown(rows: Sequence[dict[str, Any]], pooled: dict[str, Any]) -> str:
    """The result table."""
    head = [
        "dataset",
        "deltas",
        "median raw",
        "median sent (called)",
        "total raw",
        "total sent",
        "compression alone",
        "reduction",
        "skip share",
        "evidence retention",
    ]
    body = [
        [
            r["dataset"],
            r["deltas"],
            fmt(r["raw_tokens_median"]),
            fmt(r["sent_tokens_median_called"]),
            f"{r['raw_tokens_total']:,}",
            f"{r['sent_tokens_total']:,}",
            f"{r['compression_only_total']:,}",
            f"{r['reduction_ratio']:.1f}x" if r["reduction_ratio"] else "all skipped",
            f"{r['skip_share']:.1%}",
            fmt(r["evidence_retention"]),
        ]
        for r in [*rows, pooled]
    ]
    return "\n\n".join(
        [
            "## Token reduction: raw delta vs sent after pre-filter and compression (estimated tokens)",
            md_table(head, body),
            'Tokens are estimates (characters / 4). Skipped deltas send 0 tokens. "median sent" is over '
            "deltas that reach the model. Reduction = total raw / total sent. Evidence retention: share of "
            "non-ok deltas whose every evidence line reaches the model or is caught by a signal.",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Replay every dataset and write ``token_reduction.json`` / ``.md``."""
    args = parse_args(__doc__.splitlines()[0], argv)
    every: list[DeltaRecord] = []
    rows = []
    for name, path in dataset_paths().items():
        records = replay(name, load_cases(path, tiny=args.tiny))
        every.extend(records)
        rows.append(dataset_row(name, records))
    pooled = dataset_row("all deltas (pooled)", every)
    payload = {
        "tiny": args.tiny,
        "datasets": rows,
        "pooled": pooled,
        "pooled_sent_ratio_compression_only": sent_ratio(every, "compress"),
    }
    write_result(args.out, "token_reduction", payload, markdown(rows, pooled))
    update_summary(
        args.out,
        {
            "token_reduction_ratio": round(pooled["reduction_ratio"], 2)
            if pooled["reduction_ratio"]
            else None,
            "skip_share": round(pooled["skip_share"], 4),
        },
    )


if __name__ == "__main__":
    main()
