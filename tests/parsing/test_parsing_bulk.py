"""The Arrow fast path (``iter_message_arrays``) gives exactly the per-delta messages.

Every input is checked against ``parse_delta`` (the records ``analyze`` reads) and, in every
format, on inputs built to hit each fallback: invalid UTF-8, control characters, ANSI colours,
CRLF and lone CR, blank and whitespace-only lines, over-long lines, a missing final newline, a
byte order mark, kmsg dictionary lines, and the other dmesg prefixes. Large inputs make the
fast path join many reads into one block and mix fast and fallback blocks.
"""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tasseograph.parsing import (
    FORMATS,
    MAX_LINE_BYTES,
    bulk,
    dmesg,
    iter_message_arrays,
    iter_messages,
    parse_delta,
)
from tests.parsing.test_parsing_delta import FUZZ_PIECES

# Lines of every shape the parsers know, ASCII and control-free (the fast path's own ground).
ORDINARY = [
    b"[    1.000000] Linux version 6.8.0 (gcc 13.2)",
    b"[   12.345678]  two spaces kept at the start, trailing ones cut   ",
    b"[   12.345678]",
    b"[   12.345678] ",
    b"[1234567.123456] a long uptime",
    b"[ 0.5][not a stamp] brackets in the message]",
    b"[  3.000000 <    0.000100>] dmesg -d delta",
    b"[Tue Nov 22 08:00:00 2026] dmesg -T",
    b"[Tue Nov 22 08:00:00 2026]",
    b"> [   12.300000] ",
    b"[Nov22 08:00] dmesg -H head",
    b"[  +0.000100] dmesg -H relative",
    b"<3>[   12.300000] dmesg -r",
    b"kern  :err   : [   12.300000] dmesg -x",
    b"2026-11-22T08:00:00,123456+00:00 dmesg iso",
    b"> [   12.300000] quoted once",
    b"> > [   12.300000] quoted twice",
    b"> <3>[   12.300000] quoted raw",
    b"[x.5] not a stamp",
    b"[12.] not a stamp",
    b"[ 12 .5] not a stamp",
    b"Nov 22 08:00:00 host kernel: [  12.345] syslog kernel line",
    b"Mon Nov 22 08:00:00 2026 kern.err kernel: logread",
    b"2026-11-22T08:00:00.123456+00:00 host kernel: short-iso",
    b"<4>1 2026-11-22T08:00:00Z host kernel - - - rfc5424",
    b"[   12.345678] node07 kernel: short-monotonic",
    b"[   12.345678] node07 systemd[1]: short-monotonic, not the kernel",
    b"1117838570 2005.06.03 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",
    b"2005-06-03 not iso enough",
    b"Abc def",
    b"Abcd",
    b"mce: [Hardware Error]: CPU 0: Machine Check",
    b"6,1234,5678901,-;kmsg record",
    b" SUBSYSTEM=pci",
    b" DEVICE=+pci:0000:03:00.0",
    b"\tleading tab",
    b"  leading spaces and trailing tab\t",
    b"",
    b"   ",
    b"\t",
    b'{"MESSAGE": "journal", "__CURSOR": "i=1", "PRIORITY": "3"}',
    b"-- Boot 1 --",
    b"x",
]
# Lines only the Python fallbacks handle.
AWKWARD = [
    b"[   1.000000] caf\xc3\xa9 non-ASCII",
    b"[   1.000000] bad \xff\xfe bytes",
    b"[   1.000000] \x1b[31mred\x1b[0m",
    b"[   1.000000] nul \x00 and del \x7f",
    b"[   1.000000] c1 \xc2\x9b control",
    b"[   1.000000] line\xe2\x80\xa8separator",
    b"[   1.000000] lone\rcarriage return",
    b"\x1b[0m",
]


def arrays_messages(data: bytes, fmt: str | None = None) -> list[str]:
    arrays = list(iter_message_arrays(io.BytesIO(data), format=fmt, year=2026))
    assert all(isinstance(a, pa.Array) and a.type == pa.string() for a in arrays)
    return [m for a in arrays for m in a.to_pylist()]


def per_delta(data: bytes, fmt: str | None = None) -> list[str]:
    return [line.message for line in parse_delta(data, format=fmt, year=2026).lines]


def assert_same(data: bytes, fmt: str | None = None) -> None:
    expected = per_delta(data, fmt)
    assert arrays_messages(data, fmt) == expected, fmt
    assert list(iter_messages(io.BytesIO(data), format=fmt, year=2026)) == expected, fmt


@pytest.mark.parametrize("fmt", [None, *FORMATS])
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_every_line_shape_small(fmt: str | None, ending: bytes) -> None:
    assert_same(ending.join(ORDINARY) + ending, fmt)
    assert_same(ending.join(ORDINARY), fmt)  # no final newline
    assert_same(ending.join(ORDINARY + AWKWARD) + ending, fmt)


@pytest.mark.parametrize("fmt", [None, *FORMATS])
def test_large_mixed_input_joins_blocks_and_falls_back_exactly(fmt: str | None) -> None:
    rng = random.Random(7)
    lines = [rng.choice(ORDINARY) for _ in range(40_000)]  # ~2 MiB: several joined blocks
    for at in (5, 9_000, 21_000, 39_990):
        lines[at] = rng.choice(AWKWARD)
    lines[15_000] = b"[   2.000000] " + b"y" * (MAX_LINE_BYTES + 10)  # capped, mid-stream
    lines[30_000] = b"z" * (3 * MAX_LINE_BYTES)
    data = b"\xef\xbb\xbf" + b"\n".join(lines) + b"\r\n" + b"[ 9.0] crlf line\r\n" + b"unterminated"
    assert_same(data, fmt)


def test_dmesg_without_default_stamps() -> None:
    """A block whose prefixes are all of the other dmesg forms (-T, quoted), some with no message."""
    data = (
        b"[Tue Nov 22 08:00:%02d 2026] dmesg -T\n> [Tue Nov 22 08:00:00 2026]\n[Wed Nov 23 08:00:00 2026]\n"
    )
    assert_same(b"".join(data % (i % 60) for i in range(30_000)), "dmesg")


def test_kmsg_dictionary_lines_across_reads() -> None:
    record = b"6,%d,5678901,-;kmsg record %d\n SUBSYSTEM=pci\n DEVICE=+pci:0000:03:00.0\n"
    data = b"".join(record % (i, i) for i in range(60_000)) + b" orphan dictionary line\n"
    assert parse_delta(data).format == "kmsg"
    assert_same(data)


@pytest.mark.parametrize("seed", range(40))
def test_fuzzed_input_matches_the_per_delta_path(seed: int) -> None:
    rng = random.Random(seed)
    data = b"".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(0, 60)))
    for fmt in (None, *FORMATS):
        assert_same(data, fmt)


@pytest.mark.parametrize("seed", range(3))
def test_large_fuzzed_input_matches_the_per_delta_path(seed: int) -> None:
    rng = random.Random(seed)
    ordinary = [p for p in FUZZ_PIECES if p.isascii() and b"\x1b" not in p and b"\x00" not in p]
    pieces = [rng.choice(FUZZ_PIECES if rng.random() < 0.002 else ordinary) for _ in range(150_000)]
    data = b"".join(pieces)
    for fmt in ("dmesg", "plain"):
        assert_same(data, fmt)


def test_bulk_prefix_is_the_dmesg_prefix(shared: Path) -> None:
    """The RE2 form of ``dmesg.PREFIX`` cuts exactly what Python's regex cuts."""
    import json

    dev = (shared / "datasets" / "dmesg-real" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    lines = [x for case in dev if case.strip() for x in json.loads(case)["text"].split("\n")]
    lines += [line.decode("utf-8", "replace") for line in ORDINARY]
    python = [m.end() if (m := dmesg.PREFIX.match(x)) else 0 for x in lines]
    assert [m.end() if (m := re.match(bulk._PREFIX_RE2, x)) else 0 for x in lines] == python
    arr = pa.array(lines, type=pa.string())
    cut = pc.replace_substring_regex(arr, pattern=bulk._PREFIX_RE2, replacement="", max_replacements=1)
    lengths = pc.subtract(pc.binary_length(arr), pc.binary_length(cut)).to_pylist()
    ascii_only = [x.isascii() for x in lines]
    assert [n for n, a in zip(lengths, ascii_only, strict=True) if a] == [
        n for n, a in zip(python, ascii_only, strict=True) if a
    ]
    assert sum(n > 0 for n in python) > 500


def test_unverbose_keeps_escaped_spaces_and_classes() -> None:
    pattern = r"""
        a\ b   # a comment
        [\ \d]+
    """
    assert bulk.unverbose(pattern) == r"a b[ \d]+"
    assert re.fullmatch(bulk.unverbose(pattern), "a b 1 2") is not None


@pytest.mark.parametrize(
    "path",
    [
        "loghub/Linux/Linux_2k.log",
        "loghub/BGL/BGL_2k.log",
        "loghub/Thunderbird/Thunderbird_2k.log",
        "dmesg-real/noise/01.log",
    ],
)
@pytest.mark.parametrize("fmt", [None, *FORMATS])
def test_real_files(shared: Path, path: str, fmt: str | None) -> None:
    assert_same((shared / "datasets" / path).read_bytes(), fmt)
