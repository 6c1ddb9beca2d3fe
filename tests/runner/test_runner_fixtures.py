"""The integration fixtures skip without the binaries, except in CI, where they fail."""

from __future__ import annotations

import pytest

from tests.runner.conftest import find_binary


def test_missing_binary_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        find_binary("no-such-prometheus-binary")


def test_missing_binary_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the integration tests"):
        find_binary("no-such-prometheus-binary")
