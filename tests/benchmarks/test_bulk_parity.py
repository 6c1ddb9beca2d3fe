"""The bulk (streaming) local path and the per-delta path of ``analyze`` agree line by line.

The benchmarks time the library's bulk path, ``tasseograph.bulk.scan_stream``, in both its
engines: the compiled core (one pass per line; Python settles the lines it hands back) and the
Python engine (``iter_message_arrays`` in chunks, ``signals.scan`` and ``signals.boring_mask``
over each chunk's distinct messages, templates per distinct message). ``analyze`` parses each
delta into records and classifies line by line. On the real dev set, the benchmark inputs and
inputs built to hit every parser fallback, in every format, both engines must give the
reference's summary (``tests/test_bulk.reference_summary``): the same signal lines per
catalogue id, boring lines and template counts -- for the compiled engine even once the
template table is full, since it counts in line order as the reference does.
``tests/parsing/test_parsing_bulk.py`` checks the parse per format.
"""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from benchmarks import _localpath
from tasseograph import bulk
from tasseograph.compress import template_many
from tasseograph.parsing import FORMATS, parse_delta
from tasseograph.parsing.records import ParseContext
from tasseograph.signals import boring_mask, classify, is_boring, scan
from tests.parsing.test_parsing_bulk import AWKWARD, ORDINARY
from tests.parsing.test_parsing_delta import FUZZ_PIECES
from tests.test_bulk import comparable, reference_summary
from tests.test_bulkref import compiled_or_skip


def _dev_texts(shared: Path) -> list[str]:
    path = shared / "datasets" / "dmesg-real" / "dev.jsonl"
    return [
        json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


@pytest.fixture
def both_paths(shared: Path) -> tuple[list[str], list[str]]:
    """Messages of every dev case, per delta (records) and in bulk (message-only, chunked)."""
    per_delta: list[str] = []
    chunked: list[str] = []
    for text in _dev_texts(shared):
        per_delta += [line.message for line in parse_delta(text).lines]
        # Small chunks on purpose: chunk boundaries must not change anything.
        for chunk in bulk.iter_message_chunks(io.BytesIO(text.encode()), chunk_lines=7):
            assert len(chunk) <= 7
            chunked += chunk.to_pylist()
    return per_delta, chunked


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


def assert_stage_counts(blob: bytes, chunk_lines: int) -> None:
    """Every stage count of both engines equals the per-delta path's, line by line."""
    messages = [line.message for line in parse_delta(blob).lines]
    assert _localpath.parse_messages(blob) == messages
    ids = Counter(sid for m in messages if (sid := classify(m)) is not None)
    reference = comparable(reference_summary(blob))
    engines = ["python"] if bulk.bulkcore.unavailable() and not _in_ci() else ["python", "compiled"]
    for engine in engines:
        result = bulk.scan_bytes(blob, chunk_lines=chunk_lines, engine=engine)
        assert result.lines == len(messages)
        assert result.signal_lines == sum(classify(m) is not None for m in messages)
        assert {s.signal_id: s.lines for s in result.signals} == ids
        assert result.boring_lines == sum(is_boring(m) for m in messages)
        assert result.templates == len(Counter(bulk.bulkref.mask_nodes(t) for t in template_many(messages)))
        assert comparable(result) == reference, engine


def _in_ci() -> bool:
    import os

    return bool(os.environ.get("CI"))


@pytest.mark.parametrize("fmt", [None, *FORMATS])
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_compiled_engine_equals_the_reference_in_every_format(fmt: str | None, ending: bytes) -> None:
    compiled_or_skip()
    lines = ORDINARY + AWKWARD + [b"[ 5.0] EDAC MC0: 1 CE memory read error on DIMM", b"[ 6.0] systemd[1]: Started x."]
    for data in (ending.join(lines) + ending, ending.join(lines * 3)):
        got = bulk.scan_bytes(data, format=fmt, engine="compiled", capacity=8, top=8)
        assert got.template_error > 0  # a full table: eviction order must match too
        assert comparable(got) == comparable(reference_summary(data, format=fmt, capacity=8, top=8)), fmt


@pytest.mark.parametrize("seed", range(20))
def test_compiled_engine_equals_the_reference_on_fuzzed_input(seed: int) -> None:
    compiled_or_skip()
    rng = random.Random(seed)
    data = b"".join(rng.choice([*FUZZ_PIECES, b"EDAC MC0: 1 CE error ", b"12 0x1f "]) for _ in range(rng.randint(0, 80)))
    for fmt in (None, *FORMATS):
        got = bulk.scan_bytes(data, format=fmt, engine="compiled", capacity=5)
        assert comparable(got) == comparable(reference_summary(data, format=fmt, capacity=5)), fmt


@pytest.mark.parametrize(
    "path", ["loghub/Linux/Linux_2k.log", "loghub/BGL/BGL_2k.log", "loghub/Thunderbird/Thunderbird_2k.log",
             "dmesg-real/noise/01.log"],
)
def test_compiled_engine_equals_the_reference_on_real_files(shared: Path, path: str) -> None:
    compiled_or_skip()
    data = (shared / "datasets" / path).read_bytes()
    for capacity in (bulk.TEMPLATE_CAPACITY, 40):
        got = bulk.scan_bytes(data, engine="compiled", capacity=capacity, top=40)
        assert comparable(got) == comparable(reference_summary(data, capacity=capacity, top=40)), capacity


def test_bulk_stage_counts_agree_with_the_masks(shared: Path) -> None:
    assert_stage_counts("\n".join(_dev_texts(shared)).encode(), chunk_lines=500)


def test_bulk_templates_count_every_repeat(shared: Path) -> None:
    blob = "\n".join(_dev_texts(shared) * 3).encode()
    scanner = bulk.BulkScanner()  # one per run: its verdict memo spans the chunks
    for chunk in bulk.iter_message_chunks(io.BytesIO(blob), chunk_lines=1_000):
        scanner.feed(chunk)
    counts = {t: s.count for t, s in scanner.templates.slots.items()}
    assert counts == Counter(bulk.bulkref.mask_nodes(t) for t in template_many(_localpath.parse_messages(blob)))


@pytest.mark.parametrize("seed", range(3))
def test_bulk_stage_counts_on_awkward_input(seed: int) -> None:
    """Fast and fallback parse blocks, verdicts remembered across chunks, a memo that fills up."""
    rng = random.Random(seed)
    lines = [rng.choice(AWKWARD if rng.random() < 0.01 else ORDINARY) for _ in range(12_000)]
    lines += [b"[ 1.0] EDAC MC0: 1 CE memory read error on DIMM", b"[ 2.0] systemd[1]: Started Journal Service."]
    assert_stage_counts(b"\n".join(lines * 2), chunk_lines=4_096)


def test_bulk_stage_counts_without_repeats(shared: Path) -> None:
    """Chunks of mostly distinct messages skip the verdict memo; counts stay the same."""
    lines = "\n".join(_dev_texts(shared)).split("\n")
    assert_stage_counts("\n".join(f"{line} #{i}" for i, line in enumerate(lines)).encode(), chunk_lines=3_000)


def test_bulk_verdict_memo_clears_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "MEMO_SIZE", 40)  # fewer than the distinct messages below
    bases = [b"[ 1.0] EDAC MC0: %d CE memory read error on DIMM", b"[ 2.0] systemd[%d]: Started Foo.", b"hi %d"]
    lines = [bases[i % 3] % ((i // 100) % 10) for i in range(6_000)]  # 15 distinct per 500 lines
    assert_stage_counts(b"\n".join(lines), chunk_lines=500)


@pytest.mark.parametrize("name", ["noise boot logs", "BGL", "Thunderbird"])
def test_bulk_path_on_benchmark_inputs(shared: Path, name: str) -> None:
    from benchmarks.throughput import replicated, source_lines

    assert_stage_counts(replicated(source_lines(name), 8_000), chunk_lines=3_000)


# Fragments of every dmesg prefix form and near misses, for the compiled core's prefix parser.
PREFIX_PIECES = [
    b">", b"> ", b"<3>", b"<1234>", b"<", b"kern  :err   : ", b"user:info: ", b"kern:", b"[", b"]", b" ", b"  ",
    b"12.5", b"0.000100", b"12", b".", b"+", b"<    0.000100>", b"Tue Nov 22 08:00:00 2026", b"Tue Nov  2 08:00:00 2026",
    b"Nov22 08:00", b"Nov2 08:00", b":01", b"2026-11-22T08:00:00,123456+00:00", b"2026-11-22T08:00:00,1-0000",
    b"2026-", b"Nov 22 08:00:00 h kernel: ", b"EDAC MC0: 1 CE memory read error", b"mce: [Hardware Error]", b"x",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(8))
def test_compiled_prefix_cuts_equal_the_parsers(seed: int) -> None:
    compiled_or_skip()
    rng = random.Random(seed)
    lines = [b"".join(rng.choice(PREFIX_PIECES) for _ in range(rng.randint(1, 6))) for _ in range(400)]
    data = b"\n".join(lines) + b"\n"
    for fmt in ("dmesg", "plain"):
        got = bulk.scan_bytes(data, format=fmt, engine="compiled", top=400)
        assert comparable(got) == comparable(reference_summary(data, format=fmt, top=400)), fmt


def test_compiled_memo_fills_forgets_and_hits_without_changing_anything() -> None:
    """30,000 fresh lines, then 20,000 distinct messages four times: the memo fills, is cleared, and hits."""
    compiled_or_skip()
    forms = [b"EDAC MC0: %d CE memory read error on DIMM_A%d", b"systemd[%d]: Started Session %d of User root.",
             b"usb 1-1: new device w%dx number %d", b"eth0: NIC Link is Down %d %d"]  # fmt: skip
    fresh = [b"[ %d.0] line %d nobody repeats" % (i, i) for i in range(30_000)]
    repeated = [b"[ %d.0] " % i + forms[i % 20_000 % 4] % (i % 20_000, i % 20_000 % 7) for i in range(80_000)]
    data = b"\n".join(fresh + repeated) + b"\n"
    scanner = bulk.bulkcore.compiled_scanner(bulk.TEMPLATE_CAPACITY)
    bulk.bulkcore.feed_pieces(scanner, "dmesg", [data], None, ParseContext())
    assert scanner.state(0)[-1] > 10_000  # memo hits: the repeats were served from it
    got = bulk.scan_bytes(data, engine="compiled", top=50)
    assert comparable(got) == comparable(reference_summary(data, top=50))
