"""``tasseograph dashboard``: the read-only fleet page over the runner's state (README: Fleet page).

``tasseograph.cli`` loads ``commands`` by name, only when a command not defined there is asked
for, so ``tasseograph analyze`` never imports the web stack.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tasseograph.errors import StateCorruptError, StateError, UsageError

if TYPE_CHECKING:
    from tasseograph.fleet.inventory import Inventory

_PATH = click.Path(dir_okay=False, path_type=Path)
DEFAULT_SILENT = "1d"
"""A host with no check for this long is silent (the ``TasseographHostSilent`` rule's threshold)."""


@click.command("dashboard")
@click.option("--state", "state_ref", default=None,
              help="The runner's SQLite state file (default: the config's `state`). A postgresql:// URL needs "
                   "the storage interface.")
@click.option("--config", "config_path", type=_PATH, default=None,
              help="The runner's TOML config: its state path and spend caps.")
@click.option("--inventory", type=_PATH, default=None,
              help="Hosts and their labels (CSV with a `host` column, or TOML): hosts are grouped by rack or any label.")
@click.option("--listen", default="127.0.0.1:8700", show_default=True,
              help="host:port to serve on (port 0 picks a free one).")
@click.option("--silent-after", default=DEFAULT_SILENT, show_default=True,
              help="A host whose last check is older than this is silent (30m, 6h, 2d).")
@click.option("-v", "--verbose", count=True, help="-v logs every request.")
def dashboard(state_ref: str | None, config_path: Path | None, inventory: Path | None, listen: str,
              silent_after: str, verbose: int) -> None:
    """Serve the read-only fleet page: hosts by status, findings, timelines, the runner's health.

    It reads the state file the runner writes (read-only, safe while the runner runs); acting on
    findings stays in the CLI. Run it as the runner's user: the state file is private (it holds
    raw log lines), and so is the page: it listens on loopback unless told otherwise.
    """
    from tasseograph.runner.config import load_config, parse_duration
    from tasseograph.runner.credentials import mask_url
    from tasseograph.web import server
    from tasseograph.web.pages import Site

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    address = server.parse_listen(listen)
    try:
        quiet_for = parse_duration(silent_after)
    except ValueError as exc:
        raise UsageError(f"--silent-after: {exc}") from None
    if state_ref is not None and "://" in state_ref:
        raise UsageError(f"--state {mask_url(state_ref)}: a URL state (PostgreSQL) needs the storage interface, "
                         "which this tasseograph lacks: give the SQLite state file's path")
    config = load_config(config_path, insecure_ok=True)
    state = Path(state_ref) if state_ref is not None else config.state
    where = [*(["--config", str(config_path.resolve())] if config_path else []),
             *(["--state", str(state.resolve())] if state_ref is not None or config_path is None else [])]
    known = config_path is not None
    site = Site(state.resolve(), _inventory(inventory),
                (config.budget.daily_usd, config.budget.monthly_usd) if known else None, quiet_for, tuple(where),
                bool(config.alerts.alertmanager_url) if known else None)
    _check_state(site.state)
    sock = server.bind(address)
    if not address.loopback:
        click.echo(f"warning: listening on {address.host}: anyone who can reach this port reads the fleet's raw "
                   "kernel log lines; put it behind an authenticating proxy", err=True)
    from tasseograph.web.app import create_app

    click.echo(f"tasseograph dashboard: {address.url(sock.getsockname()[1])} (read-only view of {site.state}; "
               "Ctrl-C stops it)")
    sys.stdout.flush()
    server.serve(create_app(site), sock, access_log=verbose > 0)


def _inventory(path: Path | None) -> Inventory | None:
    if path is None:
        return None
    from tasseograph.fleet.inventory import load_inventory

    return load_inventory(path)


def _check_state(path: Path) -> None:
    """A missing or damaged state file stops the command; another schema only warns (the pages say it too)."""
    from tasseograph.web.queries import check_readable

    try:
        check_readable(path)
    except StateCorruptError:
        raise
    except StateError as exc:
        if not path.is_file():
            raise
        click.echo(f"warning: {exc}", err=True)


commands = [dashboard]
"""The commands ``tasseograph.cli`` adds to ``tasseograph``."""
