"""The price file and the cost arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasseograph.errors import ConfigError, UsageError
from tasseograph.pricing import cost_usd, get_price, load_prices, resolve_price_id
from tasseograph.schema import Usage

PRICES = load_prices()

# The figures in research/llm_api_facts.md, checked independently of the TOML file.
FACTS = {
    "claude-haiku-4-5": (1, 5, 4096),
    "claude-sonnet-4-5": (3, 15, 1024),
    "claude-sonnet-4-6": (3, 15, 2048),
    "claude-sonnet-5": (2, 10, None),
    "claude-opus-4-5": (5, 25, 4096),
    "claude-opus-4-6": (5, 25, 4096),
    "claude-opus-4-7": (5, 25, None),
    "claude-opus-4-8": (5, 25, None),
    "claude-opus-5": (5, 25, None),
    "claude-opus-4-1": (15, 75, None),
    "claude-opus-4": (15, 75, None),
}


@pytest.mark.parametrize("model_id", sorted(PRICES.models))
def test_every_entry_is_sane_and_matches_the_facts(model_id: str) -> None:
    price = get_price(model_id)
    assert price.output >= price.input > 0
    assert price.cache_write_5m == pytest.approx(price.input * 1.25)
    assert price.cache_write_1h == pytest.approx(price.input * 2)
    assert price.cache_read == pytest.approx(price.input * 0.1)
    assert price.batch_discount == 0.5
    assert (price.input, price.output, price.min_cache_tokens) == FACTS[model_id]
    for alias in PRICES.models[model_id].aliases:
        assert resolve_price_id(alias) == model_id


def test_the_facts_table_is_fully_covered() -> None:
    assert set(FACTS) == set(PRICES.models)
    assert PRICES.read_on.year >= 2026


@pytest.mark.parametrize(
    ("alias", "key"),
    [
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-opus-4-5-20251101", "claude-opus-4-5"),
        ("claude-sonnet-4-6-20260101", "claude-sonnet-4-6"),  # any dated snapshot of a known id
        ("claude-3-haiku", None),
    ],
)
def test_aliases_resolve(alias: str, key: str | None) -> None:
    assert resolve_price_id(alias) == key


def test_cost_of_plain_haiku_call() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000)
    assert cost_usd("claude-haiku-4-5", usage) == pytest.approx(1.0 + 0.5)


def test_cost_counts_cache_writes_and_reads_at_their_multipliers() -> None:
    usage = Usage(input_tokens=0, output_tokens=0, cache_write_tokens=1_000_000, cache_read_tokens=1_000_000)
    assert cost_usd("claude-haiku-4-5", usage) == pytest.approx(1.25 + 0.1)
    assert cost_usd("claude-haiku-4-5", usage, cache_ttl="1h") == pytest.approx(2.0 + 0.1)


def test_batch_discount_stacks_with_caching() -> None:
    usage = Usage(input_tokens=2_000_000, output_tokens=1_000_000, cache_read_tokens=1_000_000)
    full = 2 * 3 + 15 + 0.3
    assert cost_usd("claude-sonnet-4-5", usage) == pytest.approx(full)
    assert cost_usd("claude-sonnet-4-5", usage, batch=True) == pytest.approx(full / 2)


def test_free_models_and_unknown_ids() -> None:
    assert cost_usd(None, Usage(input_tokens=10**9)) == 0.0
    with pytest.raises(UsageError, match=r"no price for model 'gpt-nope'.*prices\.toml"):
        cost_usd("gpt-nope", Usage())


def test_a_bad_price_file_names_the_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "prices.toml"
    bad.write_text(
        'read_on = 2026-01-01\nsource = "x"\ncache_write_5m = 1.25\ncache_write_1h = 2\ncache_read = 0.1\n'
        'batch_discount = 0.5\n[models.m]\ninput = 1\noutput = 5\ncolour = "red"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"prices\.toml: models\.m\.colour: Extra inputs"):
        load_prices(bad)


def test_an_alias_listed_twice_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "prices.toml"
    bad.write_text(
        'read_on = 2026-01-01\nsource = "x"\ncache_write_5m = 1.25\ncache_write_1h = 2\ncache_read = 0.1\n'
        'batch_discount = 0.5\n[models.a]\ninput = 1\noutput = 5\naliases = ["x"]\n'
        '[models.b]\ninput = 1\noutput = 5\naliases = ["x"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="listed under both"):
        load_prices(bad)
