"""``tasseograph review``: the fleet review of the runner's state (read-only advice).

Without an API key, or with ``--model offline|rules|local``, the deterministic digest
(``tasseograph.review.rank``); with a key (or ``--model M``), a model's review checked against
the stored lines (``tasseograph.review.llm``), Sonnet by default. A missing or unreadable state
file, a bad duration, an unknown model, a missing key or a budget the call would exceed: one
``error:`` line and exit 2.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import click

from tasseograph.config import ANTHROPIC_KEY_ENV
from tasseograph.errors import UsageError
from tasseograph.fleet import Inventory, load_inventory
from tasseograph.review.digest import read_digest
from tasseograph.review.llm import DEFAULT_REVIEW_MODEL, model_review
from tasseograph.review.rank import offline_review
from tasseograph.review.render import to_json, to_markdown
from tasseograph.review.report import Review
from tasseograph.runner.config import load_config, parse_duration
from tasseograph.runner.findings_cli import parse_since

OFFLINE_NAMES = ("offline", "rules", "local")
"""``--model`` names that mean the deterministic digest (the local models judge deltas, not digests)."""
DEFAULT_TOP = 10
DEFAULT_SILENT_AFTER = "6h"
_PATH = click.Path(dir_okay=False, path_type=Path)


def _model_name(given: str | None) -> str:
    if given:
        return given.strip()
    return DEFAULT_REVIEW_MODEL if os.environ.get(ANTHROPIC_KEY_ENV, "").strip() else "offline"


def _seconds(text: str, option: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: use a duration such as 30m, 6h or 2d") from None
    if seconds <= 0:
        raise UsageError(f"{option} {text!r}: must be longer than 0")
    return seconds


def build_review(state: Path | str, *, since: str = "24h", model: str | None = None, budget: float | None = None,
                 top: int = DEFAULT_TOP, silent_after: str = DEFAULT_SILENT_AFTER, inventory: Inventory | None = None,
                 now: float | None = None) -> Review:
    """The review of ``state``, a SQLite file or a ``postgresql://`` URL (the library form of
    ``tasseograph review``).

    Raises:
        StateError: the state file is missing or unreadable.
        UsageError: a bad duration, unknown model, missing key, or a call over ``budget``.
    """
    now = time.time() if now is None else now
    start = parse_since(since, now)
    silent_s = _seconds(silent_after, "--silent-after")
    name = _model_name(model)
    backend = None
    if name not in OFFLINE_NAMES:
        from tasseograph.models.registry import get_model

        backend = get_model(name)  # an unknown name or a missing key fails before the state is read
    digest = read_digest(state, since=start, now=now, silent_after=silent_s)
    offline = offline_review(digest, inventory=inventory, silent_after=silent_s)
    if backend is None:
        result = offline
    elif backend.local:
        result = offline.model_copy(update={"model": backend.name, "fallback": (
            f"{backend.name} judges single deltas and cannot write a review; the offline digest is shown")})
    else:  # the model sees more candidates than --top (the offline ranking's first ones, then minor ones)
        result = asyncio.run(model_review(offline, digest.findings, backend, top=top, window=since, budget=budget))
    result.items = result.items[:top]
    return result


@click.command("review")
@click.option("--state", "state_path", default=None,
              help="The runner's state: a SQLite file or a postgresql:// URL (default: the config's `state`).")
@click.option("--config", "config_path", type=_PATH, default=None, help="TOML config file (for the state path).")
@click.option("--since", default="24h", show_default=True, help="Window: a duration ago (24h, 7d) or an ISO time.")
@click.option("--model", default=None,
              help=f"offline (the deterministic digest), or any registered model; default {DEFAULT_REVIEW_MODEL} "
                   f"when {ANTHROPIC_KEY_ENV} is set, else offline.")
@click.option("--budget", type=click.FloatRange(min=0), default=None,
              help="Most USD the model call may cost (estimated before calling; refused above it).")
@click.option("--top", type=click.IntRange(min=1), default=DEFAULT_TOP, show_default=True, help="Items ranked.")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--inventory", type=_PATH, default=None,
              help="Inventory CSV/TOML: group findings the runner did not group by shared rack, switch...")
@click.option("--silent-after", default=DEFAULT_SILENT_AFTER, show_default=True,
              help="A host with no check for this long is listed as silent.")
def review(state_path: str | None, config_path: Path | None, since: str, model: str | None, budget: float | None,
           top: int, fmt: str, inventory: Path | None, silent_after: str) -> None:
    """Review the fleet: ranked, grouped findings with evidence and a next step (read-only advice)."""
    path: Path | str = state_path or load_config(config_path, insecure_ok=True).state
    result = build_review(path, since=since, model=model, budget=budget, top=top, silent_after=silent_after,
                          inventory=load_inventory(inventory) if inventory is not None else None)
    click.echo(to_json(result) if fmt == "json" else to_markdown(result), nl=fmt == "json")


commands = [review]
