"""The fast record constructor must build exactly what validation builds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from tasseograph.parsing.records import ParseContext, iso_time, make_line
from tasseograph.schema import KernelLine

WHEN = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_make_line_equals_a_validated_line() -> None:
    fast = make_line(3, "<3>[ 1.5] x", "x", 1.5, WHEN, 3, 0, 7, "h1")
    checked = KernelLine(
        lineno=3,
        raw="<3>[ 1.5] x",
        message="x",
        monotonic=1.5,
        time=WHEN,
        level=3,
        facility=0,
        seq=7,
        host="h1",
    )
    assert fast == checked
    assert fast.model_dump() == checked.model_dump()
    assert hash(fast) == hash(checked)
    assert repr(fast) == repr(checked)
    assert KernelLine.model_validate_json(fast.model_dump_json()) == checked


def test_make_line_defaults_and_frozen() -> None:
    line = make_line(1, "raw", "msg")
    assert line == KernelLine(lineno=1, raw="raw", message="msg")
    with pytest.raises(ValidationError):
        line.message = "changed"  # type: ignore[misc]
    copy = line.model_copy(update={"message": "other"})
    assert (copy.message, line.message) == ("other", "msg")


def test_time_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tasseograph.parsing.records.MAX_CACHED_TIMES", 3)
    ctx = ParseContext(year=2026)
    for second in range(10):
        assert ctx.time_of(f"2026-11-22T08:00:0{second}", iso_time) == WHEN.replace(second=second)
    assert len(ctx.times) <= 3


def test_iso_time_without_zone_is_utc_and_bad_stamp_is_none() -> None:
    ctx = ParseContext()
    assert iso_time("2026-11-22 08:00:00", ctx) == WHEN
    assert iso_time("2026-13-45T99:00:00", ctx) is None
