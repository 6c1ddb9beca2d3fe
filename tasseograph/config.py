"""Library defaults, and the environment variables that change them."""

from __future__ import annotations

import os

ANTHROPIC_KEY_ENV = "ANTHROPIC_API_KEY"
MODEL_ENV = "TASSEOGRAPH_MODEL"
"""Overrides the default model name for ``analyze`` and the CLI."""
DEFAULT_API_MODEL = "anthropic:claude-haiku-4-5"
OFFLINE_MODEL = "local"
"""The offline default: the signal catalogue plus a calibrated classifier (``tasseograph.models.local``)."""


def default_model_name() -> str:
    """The model ``analyze`` uses when none is named.

    ``$TASSEOGRAPH_MODEL`` if set; else Claude Haiku when ``$ANTHROPIC_API_KEY`` is set;
    else the offline ``local`` model (the catalogue plus a classifier for the lines it does not cover).
    """
    if name := os.environ.get(MODEL_ENV, "").strip():
        return name
    if os.environ.get(ANTHROPIC_KEY_ENV, "").strip():
        return DEFAULT_API_MODEL
    return OFFLINE_MODEL
