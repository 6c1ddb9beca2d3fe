"""FORMAT.md JSONL cases: read in order, bad lines named by file and line, log-folder indexes skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasseograph.cases import jsonl_files, read_jsonl_cases
from tasseograph.errors import InputError

CASE = {"id": "edac-ue-1", "text": "[ 5.1] EDAC MC0: 1 UE memory read error on DIMM#0", "host": "db-3",
        "label": {"status": "critical", "categories": ["memory"]}, "evidence": ["EDAC MC0: 1 UE memory read error"]}


def test_cases_are_read_in_order_with_their_labels(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    ok = {**CASE, "id": "boot-1", "label": {"status": "ok"}, "evidence": []}
    path.write_text(json.dumps(CASE) + "\n\n" + json.dumps(ok) + "\n", encoding="utf-8")
    cases = read_jsonl_cases(path)
    assert [(c.id, c.status, c.categories, c.host) for c in cases] == [
        ("edac-ue-1", "critical", ("memory",), "db-3"), ("boot-1", "ok", (), "db-3")]


@pytest.mark.parametrize(("line", "where"), [("{not json", ":2: not a FORMAT.md case"),
                                             (json.dumps({**CASE, "label": {"status": "bad"}}), "label.status")])
def test_a_bad_line_names_the_file_and_line(tmp_path: Path, line: str, where: str) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(CASE) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=where) as info:
        read_jsonl_cases(path)
    assert str(path) in str(info.value)


def test_a_log_folders_index_is_not_a_case_file(tmp_path: Path) -> None:
    for name in ("b.jsonl", "sub/a.jsonl", "index.jsonl"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(json.dumps(CASE) + "\n", encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in jsonl_files(tmp_path)] == ["b.jsonl", "sub/a.jsonl"]
