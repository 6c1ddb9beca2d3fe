"""``tasseograph.bulkref`` (the per-line reference) and the compiled core's one-message answers.

The compiled core must give, for every message, the reference's verdict and template: checked
on every catalogue example (so a new catalogue entry that Hyperscan reads differently fails
here, by name), on the dev set, and on fuzzed text built from the lexer's edge cases.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tasseograph import bulkcore, signals
from tasseograph.bulkref import BORING, NEITHER, SIGNAL, SpaceSaving, bulk_template, mask_nodes, verdict_code
from tasseograph.compress import template


def compiled_or_skip() -> Any:
    """A compiled scanner; skipped where the core is not built (in CI it must be)."""
    reason = bulkcore.unavailable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must build the compiled bulk core: {reason}")
        pytest.skip(reason)
    return bulkcore.compiled_scanner(64)


@pytest.fixture(scope="module")
def core() -> Any:
    return compiled_or_skip()


# --- node names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO x",
            "<HEX> <N>.<N>.<N> <NODE> <N>-<N>-<N>-<N>.<N>.<N>.<N> <NODE> RAS KERNEL INFO x",
        ),
        (
            "1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed",
            "<HEX> <N>.<N>.<N> <NODE> Nov <N> <N>:<N>:<N> <NODE> crond(pam_unix)[<N>]: session closed",
        ),
        ("2005.11.09 tbird-admin1 ok", "<N>.<N>.<N> <NODE> ok"),
        # not a node: no digit, or no letter, or not right after a stamp of three numbers
        ("12:01:01 UNKNOWN_LOCATION x", "<N>:<N>:<N> UNKNOWN_LOCATION x"),
        ("12:01:01 #8# x", "<N>:<N>:<N> #<N># x"),
        ("12:01 eth0 down", "<N>:<N> eth0 down"),
        ("usb 1-1.2: new device sda1", "usb <N>-<N>.<N>: new device sda1"),
        ("nvme nvme0: I/O 12 QID 5 timeout, aborting", "nvme nvme0: I/O <N> QID <N> timeout, aborting"),
        ("at 12:01:01  node7 two spaces", "at <N>:<N>:<N>  node7 two spaces"),
    ],
)
def test_bulk_template_masks_node_names_after_stamps(message: str, expected: str) -> None:
    assert bulk_template(message) == expected


def test_mask_nodes_leaves_templates_without_stamps_alone() -> None:
    assert mask_nodes("e1000e 0000:00:19.0 eth0: NIC Link is Up <N> Mbps") == (
        "e1000e 0000:00:19.0 eth0: NIC Link is Up <N> Mbps"
    )
    assert mask_nodes("<N>.<N>.<N> <N>.<N>.<N> node1") == "<N>.<N>.<N> <N>.<N>.<N> <NODE>"


# --- verdict codes -------------------------------------------------------------------------------


def test_verdict_codes_follow_the_catalogue_order() -> None:
    specs = signals.load_signals()
    assert verdict_code("EDAC MC0: 1 UE memory read error on DIMM") == SIGNAL + [s.id for s in specs].index("edac.ue")
    assert verdict_code("systemd[1]: Started Journal Service.") == BORING
    assert verdict_code("hello world") == NEITHER


# --- space-saving --------------------------------------------------------------------------------


def zipf_stream(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"t{min(int(rng.paretovariate(1.1)), 500)}" for _ in range(n)]


@pytest.mark.parametrize("seed", range(3))
def test_space_saving_counts_stay_within_the_stated_bound(seed: int) -> None:
    stream = zipf_stream(20_000, seed)
    truth = Counter(stream)
    table = SpaceSaving(capacity=16)
    for item in stream:
        table.add(item)
    assert len(table.slots) == 16 and table.evictions > 0  # the bound is exercised, not idle
    bound = len(stream) / 16
    assert 0 < table.error_bound <= bound
    for key, slot in table.slots.items():
        assert truth[key] <= slot.count <= truth[key] + slot.error
        assert slot.error <= bound
    heavy = {k for k, n in truth.items() if n > bound}
    assert heavy and heavy <= set(table.slots)


def test_space_saving_is_exact_until_full_and_lists_ties_first_seen_first() -> None:
    table = SpaceSaving(capacity=10)
    for item in ["b", "a", "b", "c", "a", "d"]:
        table.add(item)
    assert table.evictions == 0 and table.error_bound == 0
    assert [(k, s.count) for k, s in table.top(3)] == [("b", 2), ("a", 2), ("c", 1)]


def test_space_saving_evicts_the_oldest_of_the_smallest() -> None:
    table = SpaceSaving(capacity=2)
    for item in ["a", "b", "a", "c"]:  # b (1) is smaller than a (2): c takes b's place
        table.add(item)
    assert {k: (s.count, s.error) for k, s in table.slots.items()} == {"a": (2, 0), "c": (2, 1)}
    table.add("d")  # a and c tie at 2; a's count changed first: d takes a's place
    assert {k: (s.count, s.error) for k, s in table.slots.items()} == {"c": (2, 1), "d": (3, 2)}


def test_space_saving_memory_stays_bounded_on_endless_distinct_input() -> None:
    table = SpaceSaving(capacity=8)
    for i in range(5_000):
        table.add(f"fresh {i}")
    assert len(table.slots) == 8 and len(table._heap) <= 4 * 8 + 64


# --- the compiled core equals the reference, one message at a time ------------------------------


def _examples() -> list[tuple[str, str]]:
    out = [(f"signal {s.id}", e) for s in signals.load_signals() for e in s.examples]
    return out + [(f"noise {n.id}", e) for n in signals.load_noise() for e in n.examples]


@pytest.mark.parametrize(("entry", "example"), _examples(), ids=[e for e, _ in _examples()])
def test_compiled_verdict_of_every_catalogue_example(core: Any, entry: str, example: str) -> None:
    if not example.isascii():
        pytest.skip("non-ASCII lines are judged by the Python reference on both paths")
    assert core.verdict(example) == verdict_code(example), entry
    assert core.template(example) == bulk_template(example), entry


def test_compiled_verdicts_and_templates_on_the_dev_set(core: Any, shared: Path) -> None:
    path = shared / "datasets" / "dmesg-real" / "dev.jsonl"
    lines = [x for case in path.read_text(encoding="utf-8").splitlines() for x in json.loads(case)["text"].split("\n")]
    ascii_lines = [x for x in lines if x.isascii()]
    assert len(ascii_lines) > 900
    assert [core.verdict(x) for x in ascii_lines] == [verdict_code(x) for x in ascii_lines]
    assert [core.template(x) for x in ascii_lines] == [bulk_template(x) for x in ascii_lines]
    assert sum(core.verdict(x) >= SIGNAL for x in ascii_lines) > 50


# Pieces that hit every branch of the lexer: word edges, hex and number forms, PCI addresses
# (and the parked form compress uses for them), MACs of every length, stamps and node names.
LEXER_PIECES = [
    "0000", ":", "00", "19", ".", "0", "7", "8", "0x", "0X1f", "deadbeef", "DEADBEEF1", "1234567", "12345678",
    "aa", "Ff", "zz", "_", "a1", "sda1", "eth0", "R02-M1", "PCIBDF_", "PCIBDF_0000_03_00_0", "<N>", "<", ">",
    " ", "  ", "\t", "-", "/", "#", "x", "node7", "12", "2005", "abc", "g0", ":aa", ":bb:cc:dd:ee:ff",
]


@pytest.mark.parametrize("seed", range(6))
def test_compiled_template_equals_the_reference_on_fuzzed_text(core: Any, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3_000):
        text = "".join(rng.choice(LEXER_PIECES) for _ in range(rng.randint(0, 14)))
        assert core.template(text) == bulk_template(text), repr(text)


def test_compiled_template_edge_cases(core: Any) -> None:
    cases = [
        "dev 0000:03:00.0 at aa:bb:cc:dd:ee:ff:11",  # PCI kept, MAC of six, a seventh group a number
        "0000:03:00.00 and 0000:03:00.8",  # not PCI addresses: the number rule applies
        "PCIBDF_0000_03_00_0 restored like compress does",
        "aa:bb:cc:dd:ee and 00:11:22:33:44:55:66",
        "0x 0x1g 0xffZ 1234567 12345678 _1 1_",
        "",
    ]
    for text in cases:
        assert core.template(text) == bulk_template(text) == mask_nodes(template(text)), text


# --- the compiled catalogue's cache ---------------------------------------------------------------


@pytest.fixture
def fresh_matcher(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A cache folder of the test's own; the process's matcher rebuilt before and after."""
    compiled_or_skip()
    monkeypatch.setenv("TASSEOGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    bulkcore._matcher.cache_clear()
    yield tmp_path / "cache"
    bulkcore._matcher.cache_clear()


def test_the_compiled_catalogue_is_cached_and_reloaded(fresh_matcher: Path) -> None:
    first = bulkcore._matcher()
    (cached,) = fresh_matcher.glob("catalogue-*.hsdb")
    bulkcore._matcher.cache_clear()
    again = bulkcore._matcher()
    assert again is not first and list(fresh_matcher.glob("catalogue-*.hsdb")) == [cached]
    assert again.serialize() == cached.read_bytes()
    scanner = bulkcore.compiled_scanner(8)
    assert scanner.verdict("EDAC MC0: 1 UE memory read error") == verdict_code("EDAC MC0: 1 UE memory read error")


def test_a_corrupt_or_unwritable_cache_falls_back_to_compiling(
    fresh_matcher: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bulkcore._matcher()
    (cached,) = fresh_matcher.glob("catalogue-*.hsdb")
    cached.write_bytes(b"not a database")
    bulkcore._matcher.cache_clear()
    assert bulkcore.compiled_scanner(8).verdict("systemd[1]: Started Journal Service.") == BORING
    assert cached.read_bytes() != b"not a database"  # compiled again and rewritten
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("TASSEOGRAPH_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    bulkcore._matcher.cache_clear()
    assert bulkcore.compiled_scanner(8).verdict("hello") == NEITHER
