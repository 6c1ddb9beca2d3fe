"""The model registry: built-ins come from tasseograph's own entry points, listed once in pyproject;
names carry options (``openai:NAME?max_tokens=300``), split generically and validated per backend."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from tasseograph.errors import UnknownModelError, UsageError
from tasseograph.models import registry
from tasseograph.models.base import Model
from tasseograph.models.openai import OpenAIModel
from tasseograph.models.registry import get_model, parse_options, register, unregister
from tasseograph.models.tiered import TieredModel
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


def test_options_in_the_name_are_typed_by_the_backend() -> None:
    model = get_model("openai:gemma3-270m?max_tokens=300&timeout=300&temperature=0.2&stop=%0A%0A&stop=END")
    assert isinstance(model, OpenAIModel) and model.model_id == "gemma3-270m"
    o = model.options
    assert (o.max_tokens, o.timeout, o.temperature, o.stop) == (300, 300.0, 0.2, ["\n\n", "END"])
    # The options stay in the name, so two runs that differ only by them are told apart.
    assert model.name == "openai:gemma3-270m?max_tokens=300&timeout=300&temperature=0.2&stop=%0A%0A&stop=END"


def test_the_query_is_split_for_any_provider() -> None:
    seen: dict[str, Any] = {}

    class Custom:
        local, price_id = True, None

        def __init__(self, model_id: str | None = None, **options: Any) -> None:
            self.name = f"custom:{model_id}"
            seen.update(model_id=model_id, **options)

    register("custom", Custom, replace=True)
    try:
        model = get_model("custom:big?depth=3&mode=fast", extra=1)
    finally:
        unregister("custom")
    assert seen == {"model_id": "big", "depth": "3", "mode": "fast", "extra": 1}
    assert model.name == "custom:big?depth=3&mode=fast"


@pytest.mark.parametrize(("name", "message"), [
    ("openai:g?max_tokens=lots", "max_tokens: Input should be a valid integer"),
    ("openai:g?max_tokens=0", "max_tokens: Input should be greater than 0"),
    ("openai:g?temperature=9", "temperature: Input should be less than or equal to 2"),
    ("openai:g?timeout=-1", "timeout: Input should be greater than 0"),
    ("openai:g?colour=red", "colour: Extra inputs are not permitted"),
    ("openai:g?structured=xml", "structured: Input should be 'auto'"),
    ("openai:g?max_tokens", "options after '?' are key=value pairs"),
    ("openai:g?stop=a&stop=b&stop=c&stop=d&stop=e", "stop: List should have at most 4 items"),
])
def test_bad_options_are_one_line_usage_errors(name: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        get_model(name)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_an_option_given_twice_is_an_error_not_a_silent_winner() -> None:
    with pytest.raises(UsageError, match="max_tokens given both in the name and as options"):
        get_model("openai:g?max_tokens=300", max_tokens=100)


def test_escalation_tiers_carry_their_own_options() -> None:
    model = get_model("escalate:openai:small?max_tokens=50>openai:large?max_tokens=400&timeout=90")
    assert isinstance(model, TieredModel)
    small, large = model.small, model.large
    assert isinstance(small, OpenAIModel) and isinstance(large, OpenAIModel)
    assert (small.options.max_tokens, large.options.max_tokens, large.options.timeout) == (50, 400, 90.0)
    assert model.name == "escalate:openai:small?max_tokens=50>openai:large?max_tokens=400&timeout=90"


def test_parse_options_keeps_blank_values_and_repeats() -> None:
    assert parse_options("x", "a=&b=1&b=2") == {"a": "", "b": ["1", "2"]}


def test_a_composite_name_is_a_capability_declared_on_the_model_protocol() -> None:
    """Only providers that declare it get their id whole; every built-in inherits the default."""
    assert Model.composite_name is False and TieredModel.composite_name is True
    assert OpenAIModel.composite_name is False

    class Pair(Model):
        composite_name = True
        local, price_id = True, None

        def __init__(self, model_id: str | None = None, **options: Any) -> None:
            self.name, self.got = f"pair:{model_id}", (model_id, options)

    register("pair", Pair, replace=True)
    try:
        model = get_model("pair:a?x=1>b?y=2")
    finally:
        unregister("pair")
    assert isinstance(model, Pair) and model.got == ("a?x=1>b?y=2", {})
