"""Untrusted bytes to lines: decoding, visible control bytes, capped lines, bounded memory."""

from __future__ import annotations

import io
import tracemalloc
from typing import BinaryIO

import pytest

from tasseograph.errors import InputError
from tasseograph.parsing.decoding import (
    MAX_LINE_BYTES,
    TRUNCATION_MARK,
    iter_batches,
    sanitize,
    strip_ansi,
    visible,
)
from tests.parsing.streams import repeat_stream


def lines_of(data: bytes, **options: int) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    for lineno, raws, cleans in iter_batches(io.BytesIO(data), **options):
        out.extend((lineno + i, raw, clean) for i, (raw, clean) in enumerate(zip(raws, cleans, strict=True)))
    return out


def test_lines_are_numbered_with_blank_lines_counted() -> None:
    assert lines_of(b"a\n\n  \nb") == [(1, "a", "a"), (2, "", ""), (3, "  ", "  "), (4, "b", "b")]


def test_empty_input_gives_no_lines() -> None:
    assert lines_of(b"") == []


def test_crlf_and_a_final_lone_cr_are_line_endings() -> None:
    assert [raw for _, raw, _ in lines_of(b"a\r\nb\r\nc\r")] == ["a", "b", "c"]


def test_a_cr_inside_a_line_is_made_visible() -> None:
    assert lines_of(b"50%\r100%\n") == [(1, "50%\\x0d100%", "50%\\x0d100%")]


def test_invalid_utf8_survives_as_escapes() -> None:
    ((_, raw, _),) = lines_of(b"caf\xc3\xa9 \xff\xfe end\n")
    assert raw == "café \\xff\\xfe end"


def test_nul_and_control_bytes_are_visible_not_dropped() -> None:
    ((_, raw, clean),) = lines_of(b"a\x00b\x07c\tkeep-tab\x7f\n")
    assert raw == clean == "a\\x00b\\x07c\tkeep-tab\\x7f"


def test_ansi_sequences_stay_visible_in_raw_and_leave_clean() -> None:
    ((_, raw, clean),) = lines_of(b"\x1b[1;31m[ 1.0] red\x1b[0m \x1b]0;title\x07done\n")
    assert raw == "\\x1b[1;31m[ 1.0] red\\x1b[0m \\x1b]0;title\\x07done"
    assert clean == "[ 1.0] red done"


def test_text_helpers() -> None:
    assert visible("plain") == "plain"
    assert strip_ansi("\x1b[32mok\x1b[0m") == "ok"
    assert sanitize("\x1b[32mok\x1b[0m\x00") == "ok\\x00"


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_chunk_boundaries_do_not_change_the_lines(chunk: int) -> None:
    data = b"first line\r\nsecond \xe2\x82\xac\n\n\x1b[31mthird\x1b[0m\r\nlast"
    assert lines_of(data, chunk_bytes=chunk) == lines_of(data)


def test_a_line_at_the_cap_is_kept_whole() -> None:
    line = b"y" * MAX_LINE_BYTES
    ((_, raw, _), (lineno, after, _)) = lines_of(line + b"\nnext\n")
    assert raw == line.decode() and (lineno, after) == (2, "next")


@pytest.mark.parametrize("chunk", [5, 64, 1 << 16])
def test_an_overlong_line_keeps_its_head_and_says_what_was_cut(chunk: int) -> None:
    data = b"head" + b"z" * 96 + b"\nnext\nlast-overlong-" + b"q" * 40
    lines = lines_of(data, chunk_bytes=chunk, max_line_bytes=16)
    assert lines == [
        (1, "headzzzzzzzzzzzz" + TRUNCATION_MARK.format(84), "headzzzzzzzzzzzz" + TRUNCATION_MARK.format(84)),
        (2, "next", "next"),
        (3, "last-overlong-qq" + TRUNCATION_MARK.format(38), "last-overlong-qq" + TRUNCATION_MARK.format(38)),
    ]


def test_a_100_mb_line_is_capped_in_bounded_memory() -> None:
    size = 100 * 1024 * 1024
    tracemalloc.start()
    try:
        lines = lines_of_stream(repeat_stream(size, tail=b"\nafter\n"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (_, first, _), (lineno, second, _) = lines
    assert first == "x" * MAX_LINE_BYTES + TRUNCATION_MARK.format(size - MAX_LINE_BYTES)
    assert (lineno, second) == (2, "after")
    assert peak < 2 * 1024 * 1024  # a few chunks, never the line


def test_many_lines_stream_in_bounded_memory() -> None:
    count = 0
    tracemalloc.start()
    try:
        line = b"[    1.000000] " + b"k" * 1008 + b"\n"
        for batch in iter_batches(repeat_stream(32 * 1024 * 1024, pattern=line)):
            count += len(batch.raws)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 32 * 1024
    assert peak < 2 * 1024 * 1024


def lines_of_stream(stream: BinaryIO) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    for lineno, raws, cleans in iter_batches(stream):
        out.extend((lineno + i, raw, clean) for i, (raw, clean) in enumerate(zip(raws, cleans, strict=True)))
    return out


def test_a_text_stream_is_an_input_error() -> None:
    with pytest.raises(InputError, match="binary mode"):
        list(iter_batches(io.StringIO("[ 1.0] text")))  # type: ignore[arg-type]


def test_a_non_stream_is_an_input_error() -> None:
    with pytest.raises(InputError, match="binary stream"):
        list(iter_batches(42))  # type: ignore[arg-type]


def test_a_read_failure_is_an_input_error() -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            raise OSError(5, "Input/output error")

    with pytest.raises(InputError, match="Input/output error"):
        list(iter_batches(Broken()))  # type: ignore[arg-type]


def test_c1_controls_and_line_separators_are_visible_and_other_text_is_kept() -> None:
    ((_, raw, _),) = lines_of("csi\u009b31m 45\u00b0C caf\u00e9 line\u2028sep\n".encode())
    assert raw == "csi\\x9b31m 45°C café line\\u2028sep"
    assert len(raw.splitlines()) == 1


def test_crlf_ascii_blocks_take_the_fast_path_and_lone_crs_do_not() -> None:
    (batch,) = iter_batches(io.BytesIO(b"[ 1.0] plain ascii\r\n[ 2.0] and \xc3\xa9\r\n"))
    assert batch.raws == batch.cleans == ["[ 1.0] plain ascii", "[ 2.0] and é"]
    (batch,) = iter_batches(io.BytesIO(b"a\r\nb\r\r\nc\rd\n"))
    assert batch.raws == ["a", "b\\x0d", "c\\x0dd"]


def test_a_utf8_byte_order_mark_at_the_start_is_dropped() -> None:
    for chunk in (1, 2, 64):
        assert lines_of(b"\xef\xbb\xbf[ 1.0] x\n\xef\xbb\xbfkept", chunk_bytes=chunk) == [
            (1, "[ 1.0] x", "[ 1.0] x"),
            (2, "\ufeffkept", "\ufeffkept"),
        ]
    assert lines_of(b"\xef\xbb") == [(1, "\\xef\\xbb", "\\xef\\xbb")]  # a cut-off mark is kept


def test_a_line_of_only_escape_codes_is_not_blank() -> None:
    assert lines_of(b"\x1b[0m\n") == [(1, "\\x1b[0m", "\\x1b[0m")]
