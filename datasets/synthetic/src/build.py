"""Rebuild datasets/synthetic/*.jsonl from the case definitions in this folder.

    python datasets/synthetic/src/build.py           # write the files
    python datasets/synthetic/src/build.py --check   # exit 1 if the files differ from the sources

Output is deterministic (every random choice is seeded from the case id).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases_driver  # noqa: E402, F401
import cases_injection  # noqa: E402, F401
import cases_memory  # noqa: E402, F401
import cases_network  # noqa: E402, F401
import cases_ok  # noqa: E402, F401
import cases_storage  # noqa: E402, F401
import cases_thermal  # noqa: E402, F401
import kit  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    by_file: dict[str, list[dict]] = defaultdict(list)
    seen: set[str] = set()
    for c in kit.CASES:
        rec = c.render()
        if rec["id"] in seen:
            raise SystemExit(f"duplicate id {rec['id']}")
        seen.add(rec["id"])
        n = rec["text"].count("\n") + 1
        if not 5 <= n <= 60:
            raise SystemExit(f"{rec['id']}: {n} lines (want 5-60)")
        if (rec["label"]["status"] == "ok") != (not rec["evidence"]):
            raise SystemExit(f"{rec['id']}: evidence does not match status")
        by_file[c.file].append(rec)
    out_dir = HERE.parent
    stale = []
    for name, recs in sorted(by_file.items()):
        path = out_dir / f"{name}.jsonl"
        body = "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in recs)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != body:
                stale.append(path.name)
            continue
        path.write_text(body, encoding="utf-8")
        print(f"{path.relative_to(out_dir.parent.parent)}: {len(recs)} cases")
    extra = {p.name for p in out_dir.glob("*.jsonl")} - {f"{n}.jsonl" for n in by_file}
    if check and (stale or extra):
        print(f"out of date: {sorted(stale)}; not produced by the sources: {sorted(extra)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
