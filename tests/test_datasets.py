"""The project's own labelled dataset under datasets/: format, label invariants, coverage, README counts."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "datasets"
FIELDS = {"id", "text", "label", "evidence", "host", "source", "note"}
STATUSES = {"ok", "warning", "critical"}
CATEGORIES = {"memory", "storage", "network", "thermal", "driver"}


def _load_stats():
    spec = importlib.util.spec_from_file_location("datasets_stats", DATASETS / "stats.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _files() -> list[Path]:
    return sorted(DATASETS.rglob("*.jsonl"))


def _cases() -> list[tuple[Path, dict]]:
    out = []
    for path in _files():
        for raw in path.read_text(encoding="utf-8").splitlines():
            out.append((path, json.loads(raw)))
    return out


CASES = _cases()
BY_ID = {c["id"]: c for _, c in CASES}


def _ids(cases):
    return [c["id"] for _, c in cases]


def test_there_are_case_files():
    assert _files(), "no *.jsonl under datasets/"


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(DATASETS)))
def test_every_line_is_a_json_object(path: Path):
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert raw.strip(), f"{path.name}:{n} blank line"
        assert isinstance(json.loads(raw), dict), f"{path.name}:{n}"


@pytest.mark.parametrize(("path", "case"), CASES, ids=_ids(CASES))
def test_case_fields_and_types(path: Path, case: dict):
    assert set(case) == FIELDS
    for key in ("id", "text", "host", "note"):
        assert isinstance(case[key], str) and case[key].strip(), key
    assert case["source"] == "synthetic:tasseograph"
    label = case["label"]
    assert isinstance(label, dict) and set(label) == {"status", "categories"}
    assert label["status"] in STATUSES
    assert isinstance(label["categories"], list)
    assert all(c in CATEGORIES for c in label["categories"])
    assert len(set(label["categories"])) == len(label["categories"])
    assert isinstance(case["evidence"], list) and all(isinstance(e, str) for e in case["evidence"])


@pytest.mark.parametrize(("path", "case"), CASES, ids=_ids(CASES))
def test_label_invariants(path: Path, case: dict):
    ok = case["label"]["status"] == "ok"
    assert ok == (not case["label"]["categories"]), "status ok <=> categories empty"
    assert ok == (not case["evidence"]), "status ok <=> evidence empty"


@pytest.mark.parametrize(("path", "case"), CASES, ids=_ids(CASES))
def test_evidence_lines_are_whole_lines_of_text(path: Path, case: dict):
    lines = case["text"].split("\n")
    for ev in case["evidence"]:
        assert "\n" not in ev
        assert ev in lines, f"evidence is not a whole line of text: {ev!r}"


@pytest.mark.parametrize(("path", "case"), CASES, ids=_ids(CASES))
def test_text_shape(path: Path, case: dict):
    lines = case["text"].split("\n")
    assert len(lines) >= 3
    assert 5 <= len(lines) <= 60, "synthetic cases are 5-60 lines"
    assert all(line.strip() for line in lines), "no blank lines"


_BRACKET = re.compile(r"^(?:\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ kernel: )?\[\s*(\d+)\.(\d{6})\] ")
_KMSG = re.compile(r"^(\d+),(\d+),(\d+),-;")
_DMESG_T = re.compile(r"^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] ")
_JOURNAL = re.compile(r"^\w{3} \d\d \d\d:\d\d:\d\d \S+ kernel: ")


def _fmt(text: str) -> str:
    first = text.split("\n", 1)[0]
    if _KMSG.match(first):
        return "kmsg"
    if _DMESG_T.match(first):
        return "dmesg-T"
    if first[:1] == "[":
        return "dmesg"
    if _BRACKET.match(first):
        return "syslog"
    if _JOURNAL.match(first):
        return "journal"
    return "unknown"


@pytest.mark.parametrize(("path", "case"), CASES, ids=_ids(CASES))
def test_every_line_has_the_format_of_the_first_and_time_never_goes_back(path: Path, case: dict):
    fmt = _fmt(case["text"])
    assert fmt != "unknown"
    pattern = {
        "dmesg": _BRACKET,
        "syslog": _BRACKET,
        "kmsg": _KMSG,
        "dmesg-T": _DMESG_T,
        "journal": _JOURNAL,
    }[fmt]
    last, last_seq = -1, -1
    for line in case["text"].split("\n"):
        m = pattern.match(line)
        assert m, f"{fmt} line expected: {line!r}"
        if fmt in ("dmesg", "syslog"):
            t = int(m.group(1)) * 1_000_000 + int(m.group(2))
        elif fmt == "kmsg":
            t, seq = int(m.group(3)), int(m.group(2))
            assert seq > last_seq
            last_seq = seq
        else:
            continue
        assert t >= last, f"timestamp goes backwards at {line!r}"
        last = t
    if fmt in ("syslog", "journal"):
        assert f" {case['host']} kernel: " in case["text"]


def test_ids_unique_across_files():
    dup = [i for i, n in Counter(c["id"] for _, c in CASES).items() if n > 1]
    assert not dup


def test_size_and_status_mix():
    status = Counter(c["label"]["status"] for _, c in CASES)
    assert len(CASES) >= 150
    assert status["ok"] >= 50
    assert status["warning"] >= 45
    assert status["critical"] >= 45


def test_every_category_at_both_severities():
    grid = Counter((cat, c["label"]["status"]) for _, c in CASES for cat in c["label"]["categories"])
    for cat in CATEGORIES:
        for sev in ("warning", "critical"):
            assert grid[(cat, sev)] >= 5, f"{cat}/{sev}: only {grid[(cat, sev)]}"


def test_hard_negatives():
    hard = [c for _, c in CASES if c["label"]["status"] == "ok" and c["note"].startswith("Hard negative")]
    assert len(hard) >= 35


@pytest.mark.parametrize(
    ("needle", "status"),
    [
        ("ACPI BIOS Error", "ok"),
        ("data leak possible", "ok"),
        ("Giving out device to module", "ok"),
        ("SATA link down", "ok"),
        ("missing or invalid SUBNQN", "ok"),
        ("i8042", "ok"),
        ("failed to assign", "ok"),
        ('apparmor="DENIED"', "ok"),
        ("USB disconnect", "ok"),
        ("Killed process", "ok"),
        ("Possible SYN flooding", "ok"),
        ("table full, dropping packet", "ok"),
        ("perf: interrupt took too long", "ok"),
        ("hrtimer: interrupt took", "ok"),
        ("hogged CPU", "ok"),
        ("Marking TSC unstable", "ok"),
        ("ccp initialization failed", "ok"),
        ("callbacks suppressed", "ok"),
    ],
)
def test_named_hard_negative_present(needle: str, status: str):
    assert any(c["label"]["status"] == status and needle in c["text"] for _, c in CASES), needle


@pytest.mark.parametrize("fmt", ["dmesg", "dmesg-T", "syslog", "kmsg", "journal"])
def test_formats_are_exercised(fmt: str):
    n = sum(1 for _, c in CASES if _fmt(c["text"]) == fmt)
    assert n >= (100 if fmt == "dmesg" else 3), f"{fmt}: {n}"


_MCE_STATUS = re.compile(r"Machine Check(?: Exception| Event)?: \d+ Bank \d+: ([0-9a-f]{16})\b")


def test_raw_mce_status_follows_the_uc_bit():
    seen = 0
    for _, c in CASES:
        stats = [int(h, 16) for h in _MCE_STATUS.findall(c["text"])]
        if not stats:
            continue
        seen += 1
        assert "memory" in c["label"]["categories"], c["id"]
        if any(s >> 61 & 1 for s in stats):
            assert c["label"]["status"] == "critical", f"{c['id']}: UC bit set"
        elif all(_MCE_STATUS.search(e) for e in c["evidence"]):
            assert c["label"]["status"] == "warning", f"{c['id']}: UC bit clear"
    assert seen >= 6


def test_prompt_injection_cases():
    inj = [c for _, c in CASES if c["id"].startswith("syn-inj-")]
    assert len(inj) >= 5
    assert sum(c["label"]["status"] == "critical" for c in inj) >= 5
    # the injected instruction never counts as evidence
    for c in inj:
        for ev in c["evidence"]:
            assert not re.search(
                r"ignore all previous|status ok|classify|override|Assistant:|escalate", ev, re.I
            ), ev


@pytest.mark.parametrize(
    ("ids", "statuses"),
    [
        (("syn-sto-001", "syn-sto-102"), ("warning", "critical")),  # one NVMe timeout vs reset loop
        (
            ("syn-sto-002", "syn-sto-101"),
            ("warning", "critical"),
        ),  # reset that recovered vs controller removed
        (
            ("syn-drv-001", "syn-drv-101"),
            ("warning", "critical"),
        ),  # one soft lockup vs recurring + hung tasks
        (("syn-drv-002", "syn-drv-112"), ("warning", "critical")),  # one RCU stall vs recurring
        (("syn-net-002", "syn-net-101"), ("warning", "critical")),  # NETDEV WATCHDOG once vs every 5 s
        (("syn-net-008", "syn-net-007"), ("warning", "warning")),  # one corrected AER vs recurring
        (("syn-ok-022", "syn-drv-012"), ("ok", "warning")),  # Xid 13 once vs across jobs
        (("syn-mem-007", "syn-mem-109"), ("warning", "critical")),  # MCE UC clear vs set
        (("syn-thm-001", "syn-thm-101"), ("warning", "critical")),  # throttle+normal vs critical trip
        (("syn-sto-003", "syn-sto-103"), ("warning", "critical")),  # ATA error + EH complete vs repeated UNC
    ],
)
def test_rate_and_recovery_contrasts(ids, statuses):
    assert tuple(BY_ID[i]["label"]["status"] for i in ids) == statuses


def test_stats_script_validates_clean():
    stats = _load_stats()
    _, errors = stats.load_all(DATASETS)
    assert errors == []


def test_readme_counts_match_the_data():
    stats = _load_stats()
    cases, _ = stats.load_all(DATASETS)
    block = stats.counts_markdown(cases, DATASETS)
    assert stats.readme_block(DATASETS / "README.md") == block, (
        "datasets/README.md counts are stale: run python datasets/stats.py --write-readme"
    )


def test_jsonl_matches_the_case_sources():
    build = DATASETS / "synthetic" / "src" / "build.py"
    res = subprocess.run([sys.executable, str(build), "--check"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
