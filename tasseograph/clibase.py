"""What every tasseograph command line shares: one-line errors, their exit code, lazy commands."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
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

    ``lazy`` names ``"module:attr"`` lists of further commands, imported only when a command
    not defined here is asked for (or the help lists them), so ``tasseograph analyze`` does not
    pay for the runner's imports.
    """

    def __init__(self, *args: Any, lazy: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = list(lazy)

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

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._load_lazy()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_lazy()
        return super().list_commands(ctx)

    def _load_lazy(self) -> None:
        while self.lazy:
            module, _, attr = self.lazy.pop(0).partition(":")
            for command in getattr(importlib.import_module(module), attr):
                self.add_command(command)
