"""The public parsing API: deltas, streams, hosts, bad input and the real datasets."""

from __future__ import annotations

import io
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

import tasseograph.parsing as parsing
from tasseograph.errors import InputError
from tasseograph.parsing import (
    FORMATS,
    MAX_LINE_BYTES,
    TRUNCATION_MARK,
    iter_lines,
    iter_message_batches,
    iter_messages,
    parse_delta,
    read_delta,
    split_by_host,
)
from tasseograph.parsing.decoding import visible
from tasseograph.schema import Delta
from tests.conftest import shared_dir
from tests.parsing.streams import repeat_stream

MULTI_HOST = (
    "-- Logs begin at Mon 2026-11-02 08:00:00 UTC. --\n"
    "Nov 22 08:00:00 db-07 kernel: [ 1.0] EDAC MC0: 1 CE\n"
    "Nov 22 08:00:05 web-1 kernel: [ 2.0] nvme nvme0: reset\n"
    "Nov 22 08:00:09 db-07 kernel: [ 3.0] EDAC MC0: 2 CE\n"
)


def non_empty_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def raw_lines(delta: Delta) -> list[str]:
    return [part for line in delta.lines for part in line.raw.split("\n")]


def test_public_names() -> None:
    assert parsing.__all__ == sorted(parsing.__all__)
    assert {
        "parse_delta",
        "read_delta",
        "iter_lines",
        "iter_messages",
        "split_by_host",
        "detect_format",
        "FORMATS",
    } <= set(parsing.__all__)


def test_parse_delta_text_and_bytes_agree() -> None:
    text = "[    1.500000] nvme nvme0: I/O timeout\n"
    assert parse_delta(text) == parse_delta(text.encode()) == parse_delta(bytearray(text.encode()))  # type: ignore[arg-type]


def test_parse_delta_rejects_what_is_not_text() -> None:
    with pytest.raises(InputError, match="pass str or bytes"):
        parse_delta(42)  # type: ignore[arg-type]


def test_format_can_be_forced() -> None:
    delta = parse_delta("[    1.5] x\nNov 22 08:00:00 h kernel: y\n", format="dmesg")
    assert delta.format == "dmesg"
    assert [line.message for line in delta.lines] == ["x", "Nov 22 08:00:00 h kernel: y"]


def test_host_explicit_wins_then_the_single_named_host_then_localhost() -> None:
    one = "Nov 22 08:00:00 db-07 kernel: a\nNov 22 08:00:01 db-07 kernel: b\n"
    assert parse_delta(one).host == "db-07"
    assert parse_delta(one, host="override").host == "override"
    assert parse_delta(MULTI_HOST).host == "localhost"
    assert parse_delta("[ 1.0] x").host == "localhost"


def test_window_spans_the_wall_times() -> None:
    delta = parse_delta(MULTI_HOST, year=2026)
    assert delta.window.start == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert delta.window.end == datetime(2026, 11, 22, 8, 0, 9, tzinfo=UTC)
    assert parse_delta("[ 1.0] x").window.start is None


def test_split_by_host() -> None:
    deltas = split_by_host(MULTI_HOST, year=2026)
    assert list(deltas) == ["db-07", "web-1"]
    db, web = deltas["db-07"], deltas["web-1"]
    assert [line.message for line in db.lines] == [
        "-- Logs begin at Mon 2026-11-02 08:00:00 UTC. --", "EDAC MC0: 1 CE", "EDAC MC0: 2 CE",
    ]  # fmt: skip
    assert (db.host, db.format, web.host, len(web.lines)) == ("db-07", "syslog", "web-1", 1)
    assert web.window.start == web.window.end == datetime(2026, 11, 22, 8, 0, 5, tzinfo=UTC)
    assert split_by_host("[ 1.0] x").keys() == {"localhost"}
    assert split_by_host("") == {}


def test_read_delta_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "kern.log"
    path.write_bytes(MULTI_HOST.encode())
    with path.open("rb") as stream:
        assert read_delta(stream, host="h", year=2026) == parse_delta(MULTI_HOST, host="h", year=2026)


def test_iter_lines_is_lazy() -> None:
    lines = iter_lines(repeat_stream(10**12, pattern=b"[    1.000000] endless\n"))
    first = next(lines)
    assert (first.lineno, first.message, first.monotonic) == (1, "endless", 1.0)


# --- bad input: never a traceback, nothing lost --------------------------------------------


def test_empty_input_is_an_empty_delta() -> None:
    for data in ("", b"", "\n\n", b"\r\n"):
        delta = parse_delta(data)
        assert (delta.lines, delta.host, delta.format) == ([], "localhost", "plain")


def test_binary_bytes() -> None:
    data = bytes(range(256)) * 4
    delta = parse_delta(data)
    assert delta.lines
    for line in delta.lines:
        assert "\x00" not in line.raw and "\x1b" not in line.raw
    assert "\\x00\\x01" in delta.lines[0].raw
    assert sum(len(line.raw) for line in delta.lines) > len(data)  # escaped, not dropped


def test_invalid_utf8_nul_ansi_and_crlf_in_one_delta() -> None:
    data = b"[    1.0] caf\xe9 \xff\r\n[    2.0] nul\x00here\r\n[    3.0] \x1b[31mred\x1b[0m\r\n"
    lines = parse_delta(data).lines
    assert [line.raw for line in lines] == [
        "[    1.0] caf\\xe9 \\xff", "[    2.0] nul\\x00here", "[    3.0] \\x1b[31mred\\x1b[0m",
    ]  # fmt: skip
    assert [line.message for line in lines] == ["caf\\xe9 \\xff", "nul\\x00here", "red"]


def test_a_str_with_lone_surrogates_is_not_an_error() -> None:
    (line,) = parse_delta("bad \udcff byte").lines
    assert line.raw == "bad \\udcff byte"


def test_a_100_mb_line_through_iter_lines_is_capped() -> None:
    size = 100 * 1024 * 1024
    stream = repeat_stream(size, pattern=b"A", tail=b"\n[    9.0] next\n")
    first, second = iter_lines(stream)
    assert len(first.raw) == MAX_LINE_BYTES + len(TRUNCATION_MARK.format(size - MAX_LINE_BYTES))
    assert first.raw.endswith(f"[truncated {size - MAX_LINE_BYTES} bytes]")
    assert (second.lineno, second.message) == (2, "next")


def test_a_text_stream_is_an_input_error() -> None:
    with pytest.raises(InputError, match="binary mode"):
        read_delta(io.StringIO("[ 1.0] x"))  # type: ignore[arg-type]


# --- the real datasets ------------------------------------------------------------------------


def dev_cases() -> list[dict[str, object]]:
    root = shared_dir()
    if root is None:
        return []
    path = root / "datasets" / "dmesg-real" / "dev.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", dev_cases(), ids=lambda case: str(case["id"]))
def test_every_dev_case_parses_without_loss(case: dict[str, object]) -> None:
    text = str(case["text"])
    delta = parse_delta(text)
    assert raw_lines(delta) == non_empty_lines(text)
    messages = list(iter_messages(io.BytesIO(text.encode())))
    assert messages == [line.message for line in delta.lines]
    for evidence in case.get("evidence") or []:  # type: ignore[attr-defined]
        assert evidence in {line.raw for line in delta.lines}


def test_dev_set_formats(shared: Path) -> None:
    cases = {case["id"]: str(case["text"]) for case in dev_cases()}
    formats = {case_id: parse_delta(text).format for case_id, text in cases.items()}
    assert formats["D-001"] == "dmesg"
    assert formats["D-106"] == "syslog" and parse_delta(cases["D-106"]).host == "argon"
    assert formats["D-114"] == "dmesg"  # dmesg -T
    assert formats["D-135"] == "dmesg"  # quoted with "> "
    assert formats["D-139"] == "syslog"  # OpenWrt logread
    assert formats["D-132"] == "plain"
    assert sum(fmt != "plain" for fmt in formats.values()) >= 55


@pytest.mark.parametrize("name", [f"0{i}.log" for i in range(1, 9)])
def test_noise_boot_logs(shared: Path, name: str) -> None:
    data = (shared / "datasets" / "dmesg-real" / "noise" / name).read_bytes()
    delta = parse_delta(data)
    assert delta.format == "dmesg"
    assert raw_lines(delta) == non_empty_lines(data.decode("utf-8", "backslashreplace"))
    assert all(line.monotonic is not None for line in delta.lines)


def test_loghub_linux_syslog_with_crlf(shared: Path) -> None:
    data = (shared / "datasets" / "loghub" / "Linux" / "Linux_2k.log").read_bytes()
    delta = parse_delta(data, year=2005)
    assert (delta.format, delta.host, len(delta.lines)) == ("syslog", "combo", 2000)
    assert not any(line.raw.endswith(("\r", "\\x0d")) for line in delta.lines)
    assert delta.window.start == datetime(2005, 6, 14, 15, 16, 1, tzinfo=UTC)
    kernel = [line for line in delta.lines if " kernel: " in line.raw]
    assert kernel and all(not line.message.startswith("kernel:") for line in kernel)


@pytest.mark.parametrize("fmt", [None, *FORMATS])
@pytest.mark.parametrize(
    "path", ["loghub/Linux/Linux_2k.log", "loghub/BGL/BGL_2k.log", "dmesg-real/noise/01.log"]
)
def test_iter_messages_matches_iter_lines(shared: Path, path: str, fmt: str | None) -> None:
    data = (shared / "datasets" / path).read_bytes()
    messages = list(iter_messages(io.BytesIO(data), format=fmt, year=2026))
    assert messages == [line.message for line in iter_lines(io.BytesIO(data), format=fmt, year=2026)]


def test_iter_message_batches_gives_lists_of_the_same_messages() -> None:
    data = b"".join(b"[%5d.000000] line %d\n" % (i, i) for i in range(5000))
    batches = list(iter_message_batches(io.BytesIO(data)))
    assert len(batches) > 1 and all(isinstance(batch, list) for batch in batches)
    assert [m for batch in batches for m in batch] == [f"line {i}" for i in range(5000)]


def expected_raw_lines(data: bytes) -> list[str]:
    """The non-empty input lines, decoded and made visible, computed the plain way."""
    text = data.decode("utf-8", "backslashreplace").removeprefix("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    lines[-1] = lines[-1].removesuffix("\r")
    return [line for line in map(visible, lines) if line.strip()]


FUZZ_PIECES = [
    b"[    1.000000] ", b"<3>", b"kern  :err   : ", b"6,12,345,-;", b" SUBSYSTEM=pci", b"Nov 22 08:00:00 h kernel: ",
    b"<4>1 2026-11-22T08:00:00Z h kernel - - - ", b'{"MESSAGE": "x", "__CURSOR": "i=1"}', b"{", b"\r\n", b"\n",
    b"\n\n", b"  ", b"\t", b"\x00", b"\xff\xfe", b"\x1b[31m", b"\x1b[0m", b"\r", b"\xc2\x9b", b"\xe2\x82", b"\xe2\x80\xa8", b"text",
    b"[Tue Nov 22 08:00:00 2026] ", b"> ", b"-- Boot 1 --",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(40))
def test_fuzzed_input_never_raises_and_loses_no_line(seed: int) -> None:
    rng = random.Random(seed)
    data = b"".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(0, 60)))
    expected = expected_raw_lines(data)
    for fmt in (None, *FORMATS):
        delta = parse_delta(data, format=fmt, year=2026)
        assert raw_lines(delta) == expected, fmt
        assert list(iter_messages(io.BytesIO(data), format=fmt, year=2026)) == [
            line.message for line in delta.lines
        ]
