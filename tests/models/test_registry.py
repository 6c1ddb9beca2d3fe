"""The model registry: built-ins come from tasseograph's own entry points, listed once in pyproject."""

from __future__ import annotations

import tomllib

import pytest

from tasseograph.errors import UnknownModelError
from tasseograph.models import registry
from tests.conftest import REPO


def test_builtins_are_the_entry_points_declared_in_pyproject_even_with_plugins_off() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"][
        registry.GROUP
    ]
    assert registry.get_model("rules").name == "rules"  # TASSEOGRAPH_DISABLE_PLUGINS=1 in every test
    assert {name: registry._registry.get(name) for name in declared} == declared


def test_an_unknown_provider_suggests_a_close_one() -> None:
    with pytest.raises(UnknownModelError, match="Did you mean rules"):
        registry.get_model("rulez")
