"""Model prices and the cost of a call, from ``tasseograph/data/prices.toml``.

Prices are data: they live in the TOML file with the date they were read, and this module only
loads, validates and multiplies. Cost is computed from the usage the API reported, never from
an estimate.

Example:
    >>> cost_usd("claude-haiku-4-5", Usage(input_tokens=1000, output_tokens=100))
    0.0015
"""

from __future__ import annotations

import functools
import re
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasseograph.errors import ConfigError, UsageError
from tasseograph.models.base import CacheTTL, Model, ModelReply, cache_ttl
from tasseograph.schema import Usage

PER_MILLION = 1_000_000
_DATE_SUFFIX = re.compile(r"-\d{8}$")


class PriceEntry(BaseModel):
    """One model's row in the price file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    """USD per million uncached input tokens."""
    output: float = Field(ge=0)
    """USD per million output tokens."""
    min_cache_tokens: int | None = Field(default=None, gt=0)
    """Shortest prefix the API caches (shorter prefixes are silently not cached); None if unknown."""
    aliases: tuple[str, ...] = ()
    """Other ids of the same model (dated snapshots)."""
    note: str = ""


class PriceFile(BaseModel):
    """The whole price file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    read_on: date
    """When the prices were read from the provider's pages."""
    source: str
    cache_write_5m: float = Field(gt=0)
    """Multiplier on the input price for a 5-minute cache write."""
    cache_write_1h: float = Field(gt=0)
    """Multiplier on the input price for a 1-hour cache write."""
    cache_read: float = Field(gt=0)
    """Multiplier on the input price for a cache read."""
    batch_discount: float = Field(gt=0, le=1)
    """Factor applied to every token price through the Message Batches API."""
    models: dict[str, PriceEntry]


class Price(BaseModel):
    """Everything needed to price a call to one model (entry plus the file's multipliers)."""

    model_config = ConfigDict(frozen=True)

    id: str
    input: float
    output: float
    cache_write_5m: float
    """USD per million tokens written to a 5-minute cache."""
    cache_write_1h: float
    """USD per million tokens written to a 1-hour cache."""
    cache_read: float
    """USD per million tokens read from the cache."""
    batch_discount: float
    min_cache_tokens: int | None
    read_on: date


def default_price_path() -> Path:
    """The price file shipped with the package."""
    return Path(str(resources.files("tasseograph") / "data" / "prices.toml"))


def load_prices(path: Path | None = None) -> PriceFile:
    """Load and validate a price file (the packaged one by default).

    Raises:
        ConfigError: the file is not valid TOML or breaks the schema (names file and key).
    """
    if path is None:
        return _default_prices()
    return _load(path)


@functools.cache
def _default_prices() -> PriceFile:
    return _load(default_price_path())


def _load(path: Path) -> PriceFile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        table = PriceFile.model_validate(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {where}") from exc
    _check_aliases(path, table)
    return table


def _check_aliases(path: Path, table: PriceFile) -> None:
    seen: dict[str, str] = {}
    for model_id, entry in table.models.items():
        for name in (model_id, *entry.aliases):
            if name in seen:
                raise ConfigError(f"{path}: {name!r} is listed under both {seen[name]!r} and {model_id!r}")
            seen[name] = model_id


def resolve_price_id(model_id: str, prices: PriceFile | None = None) -> str | None:
    """The price-file key for ``model_id`` (an id, an alias or a dated snapshot), or None."""
    table = prices or load_prices()
    for key, entry in table.models.items():
        if model_id == key or model_id in entry.aliases:
            return key
    undated = _DATE_SUFFIX.sub("", model_id)
    return undated if undated != model_id and undated in table.models else None


def get_price(price_id: str, prices: PriceFile | None = None) -> Price:
    """The prices of one model.

    Raises:
        UsageError: no entry (nor alias) of that name in the price file.
    """
    table = prices or load_prices()
    key = resolve_price_id(price_id, table)
    if key is None:
        raise UsageError(
            f"no price for model {price_id!r}: add it to {default_price_path()} "
            f"(known: {', '.join(sorted(table.models))})"
        )
    entry = table.models[key]
    return Price(
        id=key,
        input=entry.input,
        output=entry.output,
        cache_write_5m=entry.input * table.cache_write_5m,
        cache_write_1h=entry.input * table.cache_write_1h,
        cache_read=entry.input * table.cache_read,
        batch_discount=table.batch_discount,
        min_cache_tokens=entry.min_cache_tokens,
        read_on=table.read_on,
    )


def cost_usd(price_id: str | None, usage: Usage, *, batch: bool = False, cache_ttl: CacheTTL = "5m") -> float:
    """USD cost of ``usage`` at ``price_id``'s prices (0 when ``price_id`` is None).

    Args:
        price_id: price-file key or alias; None for models that cost nothing (local ones).
        usage: tokens as the API reported them (``input_tokens`` excludes cached tokens).
        batch: priced through the Message Batches API (the discount stacks with caching).
        cache_ttl: TTL of the cache writes in ``usage``.

    Raises:
        UsageError: ``price_id`` is not in the price file.
    """
    if price_id is None:
        return 0.0
    price = get_price(price_id)
    write = price.cache_write_1h if cache_ttl == "1h" else price.cache_write_5m
    dollars = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_write_tokens * write
        + usage.cache_read_tokens * price.cache_read
    ) / PER_MILLION
    return dollars * price.batch_discount if batch else dollars


def reply_cost(model: Model, reply: ModelReply, *, batch: bool = False) -> float:
    """USD for one reply: the backend's own figure (tiered models mix prices), else its usage
    at the price file's rates for ``model.price_id`` and the model's cache TTL."""
    if reply.cost_usd is not None:
        return reply.cost_usd
    return cost_usd(model.price_id, reply.usage, batch=batch, cache_ttl=cache_ttl(model))

