"""The error tree: every error tasseograph raises on purpose is a TasseographError, and model
errors say which kind of failure they become in a verdict."""

from __future__ import annotations

import pytest

import tasseograph
from tasseograph.errors import ModelAPIError, ModelReplyError, ModelTimeout, Overloaded, RateLimited


@pytest.mark.parametrize("cls", [tasseograph.SourceError, tasseograph.AlertError])
def test_runner_errors_sit_under_tasseograph_error(cls: type[Exception]) -> None:
    assert issubclass(cls, tasseograph.TasseographError)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(None, "unreachable"), (401, "auth"), (403, "auth"), (402, "auth"), (400, "bad_request"),
     (404, "bad_request"), (408, "timeout"), (504, "timeout"), (429, "rate_limited"),
     (500, "overloaded"), (529, "overloaded")],
)
def test_api_error_kind_follows_the_status(status: int | None, kind: str) -> None:
    assert ModelAPIError("x", status_code=status).failure_kind == kind


def test_error_classes_name_their_kind_whatever_the_status() -> None:
    assert RateLimited("x").failure_kind == "rate_limited"
    assert Overloaded("x", status_code=503).failure_kind == "overloaded"
    assert ModelTimeout("x").failure_kind == "timeout"
    assert ModelReplyError("not JSON").failure_kind == "bad_reply"
