"""What every tasseograph command line shares: one-line errors and their exit code."""

from __future__ import annotations

import sys
from typing import Any

import click

from tasseograph.errors import TasseographError

EXIT_USAGE = 2
"""Exit code for a user-facing error (bad input, unknown model, missing key, bad config)."""
ARGV_META = "tasseograph.argv"
"""``ctx.meta`` key of the command line as invoked (program name first), for provenance."""


class Group(click.Group):
    """A click group that turns tasseograph errors into one line on stderr and exit code 2.

    It also keeps the command line it was invoked with in ``ctx.meta[ARGV_META]`` (results record
    it), which ``sys.argv`` does not hold when the CLI is invoked in-process.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        argv = [info_name or self.name or "tasseograph", *args]
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta.setdefault(ARGV_META, argv)
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TasseographError as exc:
            text = str(exc)
            click.echo(f"error: {text.splitlines()[0] if text else type(exc).__name__}", err=True)
            sys.exit(EXIT_USAGE)
