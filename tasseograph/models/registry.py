"""Model registry: ``provider[:model-id]`` names to factories, built-ins and plugins alike.

A factory is a callable ``factory(model_id: str | None, **options) -> Model`` or a lazy
``"module:attr"`` string, so heavy SDKs are imported only when chosen. Built-ins and
third-party packages alike register through the ``tasseograph.models`` entry-point group
(the built-ins are listed once, in tasseograph's own ``pyproject.toml``). tasseograph's own
entry points are read on the first lookup; other packages' on the first miss. Set
``TASSEOGRAPH_DISABLE_PLUGINS=1`` to skip other packages' entry points (tests do).

A name may carry backend options as a query string, for any provider:
``openai:gemma3?max_tokens=300&timeout=300&stop=%0A%0A``. The registry only splits them off
(values stay strings, a repeated key becomes a list); each backend validates and converts its
own options, so a bad value is the backend's one-line ``UsageError``. A provider whose ids hold
other model names (``escalate:A>B``) sets ``composite_name = True`` and parses its id itself.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from typing import Any
from urllib.parse import parse_qsl

from tasseograph.errors import UnknownModelError, UsageError
from tasseograph.models.base import Model

log = logging.getLogger(__name__)

Factory = Callable[..., Model] | str

GROUP = "tasseograph.models"
"""The entry-point group model providers register in."""
DISTRIBUTION = "tasseograph"
_registry: dict[str, Factory] = {}
_builtins_loaded = False
_plugins_loaded = False


def register(provider: str, factory: Factory, *, replace: bool = False) -> None:
    """Register a model provider.

    Args:
        provider: the prefix before ``:`` in model names (``"mycorp"`` for ``mycorp:big``).
        factory: a callable taking ``(model_id, **options)`` and returning a ``Model``, or a
            lazy ``"module:attr"`` string naming one.
        replace: allow overriding an existing provider.
    """
    if provider in _registry and not replace:
        raise UsageError(f"model provider {provider!r} is already registered")
    _registry[provider] = factory


def unregister(provider: str) -> None:
    """Remove a provider (tests use it to clean up fakes)."""
    _registry.pop(provider, None)


def providers() -> list[str]:
    """Names of all registered providers, plugins included."""
    _ensure_plugins()
    return sorted(_registry)


def _ensure_builtins() -> None:
    """tasseograph's own providers, from its own entry points (one distribution: cheap to read)."""
    global _builtins_loaded
    if _builtins_loaded:
        return
    try:
        own = distribution(DISTRIBUTION).entry_points.select(group=GROUP)
    except PackageNotFoundError:
        raise UsageError(
            "tasseograph is not installed, so its built-in models (declared as entry points) are "
            "unknown: install it (pip install -e .) rather than running it from the source tree"
        ) from None
    _builtins_loaded = True
    for ep in own:
        _registry.setdefault(ep.name, ep.value)


def _ensure_plugins() -> None:
    global _plugins_loaded
    _ensure_builtins()
    if _plugins_loaded or os.environ.get("TASSEOGRAPH_DISABLE_PLUGINS"):
        return
    _plugins_loaded = True
    for ep in entry_points(group=GROUP):
        if ep.name in _registry:
            continue
        _registry[ep.name] = ep.value


def _resolve(factory: Factory) -> Callable[..., Model]:
    if not isinstance(factory, str):
        return factory
    module, _, attr = factory.partition(":")
    try:
        obj: Callable[..., Model] = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"model plugin {factory!r} failed to load: {exc}") from exc
    return obj


def split_name(name: str) -> tuple[str, str | None]:
    """Split ``provider:model-id`` into its parts (``model-id`` may be None)."""
    provider, sep, model_id = name.partition(":")
    return provider.strip(), (model_id.strip() or None) if sep else None


def parse_options(name: str, query: str) -> dict[str, str | list[str]]:
    """The options of a name's ``?key=value&...`` query (strings, URL-decoded; a repeated key is a list).

    Raises:
        UsageError: the query is not ``key=value`` pairs.
    """
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise UsageError(f"model {name!r}: options after '?' are key=value pairs joined by '&' "
                         "(e.g. openai:gemma3?max_tokens=300&timeout=300)") from None
    options: dict[str, str | list[str]] = {}
    for key, value in pairs:
        prev = options.get(key)
        options[key] = value if prev is None else [*([prev] if isinstance(prev, str) else prev), value]
    return options


def get_model(name: str, **options: Any) -> Model:
    """Build the model called ``name`` (``rules``, ``anthropic:claude-haiku-4-5``, ...).

    ``name`` may carry options (``openai:gemma3?max_tokens=300``); giving the same option in
    the name and in ``options`` is an error, so no value silently wins over the other.

    Raises:
        UnknownModelError: no provider of that name (the message suggests close ones).
        MissingAPIKeyError: the provider needs a key that is not set.
        UsageError: bad or duplicated options.
    """
    provider, model_id = split_name(name)
    provider, _, query = provider.partition("?")  # "rules?x=1": options without a model id
    _ensure_builtins()
    if provider not in _registry:
        _ensure_plugins()
    if provider not in _registry:
        raise UnknownModelError(name, _registry)
    factory = _resolve(_registry[provider])
    if getattr(factory, "composite_name", False):
        return factory(model_id, **options)
    if model_id is not None and "?" in model_id:
        model_id, _, query = model_id.partition("?")
    if not query:
        return factory(model_id, **options)
    from_name = parse_options(name, query)
    both = sorted(set(from_name) & set(options))
    if both:
        raise UsageError(f"model {name!r}: option(s) {', '.join(both)} given both in the name and as options")
    model = factory(model_id or None, **from_name, **options)
    # The options stay in the name, so runs that differ only by them are told apart in reports.
    model.name = f"{model.name}?{query}"
    return model
