"""The bulk (streaming) local path and the per-delta path of ``analyze`` agree line by line.

The benchmarks time the bulk path (``iter_messages`` in chunks, ``signals.scan`` and
``signals.boring_mask`` over whole arrays); ``analyze`` parses each delta into records and
classifies line by line. On the real dev set both must give the same messages, the same
signal lines (with the same catalogue ids) and the same boring lines.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from benchmarks import _localpath
from tasseograph.parsing import parse_delta
from tasseograph.signals import boring_mask, classify, is_boring, scan


def _dev_texts(shared: Path) -> list[str]:
    path = shared / "datasets" / "dmesg-real" / "dev.jsonl"
    return [
        json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


@pytest.fixture
def both_paths(shared: Path) -> tuple[list[str], list[str]]:
    """Messages of every dev case, per delta (records) and in bulk (message-only, chunked)."""
    per_delta, bulk = [], []
    for text in _dev_texts(shared):
        per_delta += [line.message for line in parse_delta(text).lines]
        # Small chunks on purpose: chunk boundaries must not change anything.
        for chunk in _localpath.iter_message_chunks(io.BytesIO(text.encode()), chunk_lines=7):
            bulk += chunk
    return per_delta, bulk


def test_bulk_parse_gives_the_per_delta_messages(both_paths: tuple[list[str], list[str]]) -> None:
    per_delta, bulk = both_paths
    assert bulk == per_delta


def test_bulk_signal_lines_match_per_line_classification(both_paths: tuple[list[str], list[str]]) -> None:
    per_delta, bulk = both_paths
    result = scan(bulk)
    assert dict(zip(result.indices, result.signal_ids, strict=True)) == {
        i: sid for i, m in enumerate(per_delta) if (sid := classify(m)) is not None
    }
    assert result.indices, "the dev set has signal lines: an empty scan means the catalogue did not load"


def test_bulk_boring_lines_match_per_line_prefilter(both_paths: tuple[list[str], list[str]]) -> None:
    per_delta, bulk = both_paths
    mask = boring_mask(bulk)
    assert [bool(x) for x in mask] == [is_boring(m) for m in per_delta]


def test_bulk_stage_counts_agree_with_the_masks(shared: Path) -> None:
    blob = "\n".join(_dev_texts(shared)).encode()
    result = _localpath.run_bytes(blob, chunk_lines=500)
    messages = _localpath.parse_messages(blob)
    assert result.lines == len(messages)
    assert result.signal_lines == len(scan(messages).indices)
    assert result.boring_lines == sum(is_boring(m) for m in messages)
