"""journalctl -o json entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tasseograph.parsing import parse_delta


def entry(**fields: object) -> str:
    base: dict[str, object] = {
        "__CURSOR": "s=8f2c;i=1a2b;b=77aa;m=12d687;t=5e1f;x=1",
        "__REALTIME_TIMESTAMP": "1795334400123456",
        "__MONOTONIC_TIMESTAMP": "99000000",
        "_SOURCE_MONOTONIC_TIMESTAMP": "12345678",
        "PRIORITY": "3",
        "SYSLOG_FACILITY": "0",
        "_HOSTNAME": "db-07",
        "MESSAGE": "EDAC MC0: 1 UE memory read error",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None})


def test_fields_are_read() -> None:
    delta = parse_delta(entry() + "\n" + entry(MESSAGE="second") + "\n")
    assert (delta.format, delta.host) == ("journal-json", "db-07")
    line = delta.lines[0]
    assert line.message == "EDAC MC0: 1 UE memory read error"
    assert (line.level, line.facility, line.seq, line.host) == (3, 0, 0x1A2B, "db-07")
    assert line.monotonic == 12.345678
    assert line.time == datetime(2026, 11, 22, 8, 0, 0, 123456, tzinfo=UTC)
    assert line.raw == entry()
    assert delta.window.start == delta.window.end == line.time


def test_message_as_byte_values_with_invalid_utf8() -> None:
    (line,) = parse_delta(entry(MESSAGE=[104, 105, 0, 255, 10, 27, 91, 49, 109, 33])).lines
    assert line.message == "hi\\x00\\xff\n!"


def test_message_with_ansi_codes_is_cleaned() -> None:
    (line,) = parse_delta(entry(MESSAGE="\x1b[31mred\x1b[0m alert\x07")).lines
    assert line.message == "red alert\\x07"


def test_odd_or_missing_fields_give_none_not_errors() -> None:
    text = entry(
        MESSAGE=None, PRIORITY="high", __CURSOR=None, _HOSTNAME=None, __REALTIME_TIMESTAMP="9" * 30,
        _SOURCE_MONOTONIC_TIMESTAMP=None, SYSLOG_FACILITY="²",
    )  # fmt: skip
    (line,) = parse_delta(text, format="journal-json").lines
    assert (line.message, line.level, line.seq, line.host, line.time, line.facility) == (
        "",
        None,
        None,
        None,
        None,
        None,
    )
    assert line.monotonic == 99.0  # the journal's own monotonic stamp when the source's is absent


def test_a_list_that_is_not_bytes_is_kept_as_text() -> None:
    (line,) = parse_delta(entry(MESSAGE=[1, 2, 999])).lines
    assert line.message == "[1, 2, 999]"


def test_lines_that_are_not_entries_are_kept_whole() -> None:
    text = "\n".join([entry(), "{not json", "[1, 2]", entry()])
    lines = parse_delta(text).lines
    assert [line.raw for line in lines] == text.split("\n")
    assert [line.message for line in lines][1:3] == ["{not json", "[1, 2]"]
