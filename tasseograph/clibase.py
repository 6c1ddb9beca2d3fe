"""What every tasseograph command line shares: one-line errors and their exit code."""

from __future__ import annotations

import sys
from typing import Any

import click

from tasseograph.errors import TasseographError

EXIT_USAGE = 2
"""Exit code for a user-facing error (bad input, unknown model, missing key, bad config)."""


class Group(click.Group):
    """A click group that turns tasseograph errors into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TasseographError as exc:
            text = str(exc)
            click.echo(f"error: {text.splitlines()[0] if text else type(exc).__name__}", err=True)
            sys.exit(EXIT_USAGE)
