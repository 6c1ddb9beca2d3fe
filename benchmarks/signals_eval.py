"""Score the rules model (signal catalogue alone) on the shared datasets.

Usage: python benchmarks/signals_eval.py [SHARED_DIR]   (default ../shared beside the checkout)

Prints the dev-set binary recall/precision and critical misses, per-case verdicts that
disagree with the label, the healthy noise-log results, and BGL/Thunderbird line-level
figures of the catalogue (any signal line vs. the per-line alert labels).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import tasseograph
from tasseograph.parsing import parse_delta
from tasseograph.signals import detect, scan

REPO = Path(__file__).resolve().parent.parent


def _load(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def dev_scores(shared: Path) -> dict[str, float]:
    return score("dev", _load(shared / "datasets/dmesg-real/dev.jsonl"))


def synthetic_scores() -> dict[str, float]:
    """The project's own synthetic set (written from the same research; not real logs)."""
    cases = [c for f in sorted((REPO / "datasets/synthetic").glob("*.jsonl")) for c in _load(f)]
    return score("synthetic", cases)


def score(name: str, cases: list[dict]) -> dict[str, float]:
    tp = fp = fn = crit_miss = crit_as_warn = 0
    for case in cases:
        verdict = tasseograph.analyze(case["text"], model="rules")
        want = case["label"]["status"]
        got = verdict.status
        pos, pred = want != "ok", got != "ok"
        tp += pos and pred
        fp += (not pos) and pred
        fn += pos and not pred
        crit_miss += want == "critical" and got == "ok"
        crit_as_warn += want == "critical" and got == "warning"
        if want != got:
            ids = ", ".join(f"{f.signal_id}:{f.severity}" for f in verdict.findings)
            print(f"  {case['id']}: label {want:8} got {got:8} [{ids}]")
    recall = tp / (tp + fn)
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(f"{name}: n={len(cases)} recall={recall:.3f} precision={precision:.3f} tp={tp} fp={fp} fn={fn} "
          f"critical->ok={crit_miss} critical->warning={crit_as_warn}")
    return {"recall": recall, "precision": precision, "critical_missed": crit_miss}


def noise_logs(shared: Path) -> None:
    folder = shared / "datasets/dmesg-real/noise"
    for row in (folder / "index.jsonl").read_text(encoding="utf-8").splitlines():
        meta = json.loads(row)
        delta = parse_delta((folder / meta["file"]).read_bytes())
        hits = detect(delta.lines)
        worst = max((h.severity for h in hits), key=["warning", "critical"].index, default="ok")
        tag = "problem" if meta["has_hardware_problem"] else "healthy"
        print(f"noise {meta['file']} ({tag}, {len(delta.lines)} lines): {worst}")
        for h in hits:
            print(f"    {h.signal_id} {h.severity} x{h.count}: {h.evidence[0][:110]}")


def loghub(shared: Path) -> None:
    for name in ("BGL/BGL_2k.log", "Thunderbird/Thunderbird_2k.log"):
        raw = (shared / "datasets/loghub" / name).read_text(encoding="utf-8").splitlines()
        labels = [line.split(" ", 1)[0] != "-" for line in raw]
        result = scan(raw)
        flagged = set(result.indices)
        tp = sum(1 for i in flagged if labels[i])
        fp = len(flagged) - tp
        pos = sum(labels)
        print(f"{name}: lines={len(raw)} alerts={pos} flagged={len(flagged)} tp={tp} fp={fp} "
              f"precision={tp / len(flagged) if flagged else float('nan'):.3f} "
              f"recall={tp / pos if pos else float('nan'):.3f}")
        per_id: dict[str, list[int]] = {}
        for i, sid in zip(result.indices, result.signal_ids, strict=True):
            per_id.setdefault(sid, [0, 0])[0 if labels[i] else 1] += 1
        print(f"    by signal [tp, fp]: {per_id}")


def throughput(shared: Path) -> None:
    raw = (shared / "datasets/loghub/BGL/BGL_2k.log").read_text(encoding="utf-8").splitlines()
    import pyarrow as pa

    arr = pa.array(raw * 1000, type=pa.string())
    start = time.perf_counter()
    result = scan(arr)
    took = time.perf_counter() - start
    print(f"scan: {len(arr):,} lines in {took:.2f}s = {len(arr) / took:,.0f} lines/s "
          f"({result.candidates:,} candidates, {len(result.indices):,} signal lines)")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    shared = Path(args[0]) if args else REPO.parent / "shared"
    dev_scores(shared)
    synthetic_scores()
    noise_logs(shared)
    loghub(shared)
    if "--speed" in sys.argv:
        throughput(shared)
