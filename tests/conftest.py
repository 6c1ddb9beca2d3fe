"""Shared fixtures: the ../shared data folder, and a test environment with no real network."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasseograph import paths
from tasseograph.errors import UsageError
from tests.fakeapi import cassette_fixture, fake_api_fixture, fake_api_server_fixture  # noqa: F401 (fixtures)
from tests.localllm import local_llm_fixture  # noqa: F401 (fixture)
from tests.pgserver import pg_server, pg_url  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parent.parent


def shared_dir() -> Path | None:
    """``$TASSEOGRAPH_SHARED`` or ``../shared`` beside this checkout, if it exists.

    A ``$TASSEOGRAPH_SHARED`` that points at nothing fails the test that needs the data
    (a mistyped path must not turn into silently skipped tests).
    """
    try:
        return paths.shared_dir(REPO)
    except UsageError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def shared() -> Path:
    """The shared data folder; the test is skipped (with the reason) when it is absent."""
    path = shared_dir()
    if path is None:
        pytest.skip("shared data not found: set TASSEOGRAPH_SHARED or put shared/ beside the checkout")
    return path


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches a real API: keys and base URLs are cleared, plugins are not loaded, and no
    server's negotiated structured-output mode carries over from another test."""
    from tasseograph.models.openai import forget_negotiated

    forget_negotiated()
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "TASSEOGRAPH_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TASSEOGRAPH_DISABLE_PLUGINS", "1")
