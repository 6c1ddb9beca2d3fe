"""``tasseograph run``, ``tasseograph check-config`` and ``tasseograph state`` (``findings`` and
``history`` are in ``findings_cli.py``).

``tasseograph.cli`` adds ``commands`` to its group, which turns every ``TasseographError`` into
one ``error: ...`` line and a non-zero exit.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import click
from prometheus_client import CollectorRegistry

from tasseograph.errors import ConfigError, MissingAPIKeyError, StateCorruptError, StateError, UsageError
from tasseograph.models.registry import get_model
from tasseograph.prompts import get_prompt
from tasseograph.review.cli import commands as review_commands
from tasseograph.runner.config import RunnerConfig, default_config_toml, load_config
from tasseograph.runner.credentials import Scrubber, install_log_scrubber, known_secrets
from tasseograph.runner.exporter import Metrics
from tasseograph.runner.findings_cli import commands as findings_commands
from tasseograph.runner.sources import build_sources
from tasseograph.runner.summary import config_summary, pass_line
from tasseograph.runner.worker import CycleReport, Runner, build_fleet, build_model
from tasseograph.store import is_url, open_store, shown, store_errors
from tasseograph.store.postgres import PostgresStore
from tasseograph.store.sqlitecheck import check_state, recover_state
from tasseograph.store.sqlitefile import backup_state, state_error

log = logging.getLogger("tasseograph.runner")

_PATH = click.Path(dir_okay=False, path_type=Path)


def _config(config_path: Path | None, overrides: dict[str, Any], *, insecure_ok: bool = False) -> RunnerConfig:
    config = load_config(config_path, insecure_ok=insecure_ok)
    return config.with_overrides(overrides) if any(v is not None for v in overrides.values()) else config


@contextmanager
def _lock(location: Path | str, *, once: bool) -> Iterator[bool]:
    """One runner per SQLite state file: cron runs that overlap a slow one step aside. (Runners
    sharing a PostgreSQL store coordinate through leases instead: no lock file.)"""
    if is_url(location):
        yield True
        return
    state_path = Path(location)
    try:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(f"{state_path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise state_error(exc, state_path) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not once:
                raise UsageError(f"another tasseograph runner holds {state_path}.lock") from None
            yield False
            return
        yield True
    finally:
        os.close(fd)


@click.command()
@click.option("--config", "config_path", type=_PATH, default=None,
              help="TOML config file (default: $TASSEOGRAPH_CONFIG, else built-in defaults).")
@click.option("--spool", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Spool directory SPOOL/<host>/*.log (sources.spool.dir).")
@click.option("--state", "state_path", default=None,
              help="SQLite state file, or a postgresql:// URL several runners share (state).")
@click.option("--textfile", type=_PATH, default=None, help="node_exporter textfile to write (metrics.textfile).")
@click.option("--alertmanager-url", default=None, help="Alertmanager base URL (alerts.alertmanager_url).")
@click.option("--model", default=None, help="Model name: rules, anthropic:claude-haiku-4-5, ... (model.name).")
@click.option("--listen", default=None, help="Daemon metrics endpoint host:port (metrics.listen).")
@click.option("--once", is_flag=True, help="One cycle, then exit (cron mode).")
@click.option("--stdin", "from_stdin", is_flag=True, help="Also queue one delta read from stdin (see --host).")
@click.option("--host", default=None, help="Host name for stdin and local sources (sources.host).")
@click.option("--inventory", type=_PATH, default=None,
              help="Hosts' labels for fleet correlation: CSV host,rack,switch,... or TOML (fleet.inventory).")
@click.option("--print-default-config", is_flag=True, help="Print the documented default config and exit.")
@click.option("--insecure-ok", is_flag=True,
              help="Run even when the config is writable, or the key file readable, by every user (warns).")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True, help="No line per pass on stdout (warnings and errors still go to stderr).")
def run(config_path: Path | None, spool: Path | None, state_path: str | None, textfile: Path | None,
        alertmanager_url: str | None, model: str | None, listen: str | None, once: bool, from_stdin: bool,
        host: str | None, inventory: Path | None, print_default_config: bool, insecure_ok: bool, verbose: int,
        quiet: bool) -> None:
    """Run the production runner: ingest deltas, triage them, export metrics and alerts.

    Each pass prints one line on stdout: hosts, new deltas, verdicts by status, calls skipped,
    alerts sent, cost and the queue left (--quiet drops it).
    """
    if print_default_config:
        click.echo(default_config_toml(), nl=False)
        return
    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    config = _config(config_path, {
        "sources.spool.dir": str(spool) if spool else None, "state": state_path or None,
        "metrics.textfile": str(textfile) if textfile else None, "alerts.alertmanager_url": alertmanager_url,
        "model.name": model, "metrics.listen": listen, "sources.host": host,
        "fleet.inventory": str(inventory) if inventory else None,
    }, insecure_ok=insecure_ok)
    install_log_scrubber(Scrubber(known_secrets(config.model.api_key_file)))
    fleet = build_fleet(config)  # a bad inventory or thresholds file: one line before anything is opened
    with _lock(config.state, once=once) as locked:
        if not locked:
            click.echo(f"tasseograph: another run holds {config.state}.lock; skipping this run", err=True)
            return
        state = open_store(config.state, lease=config.store.lease)
        try:
            sources = build_sources(config, stdin=sys.stdin.buffer if from_stdin else None)
            if not sources:
                log.warning("no source configured (sources.spool.dir, sources.kmsg, sources.journal or --stdin): "
                            "only queued deltas and alerts are processed")
            runner = Runner(config, state, sources, fleet=fleet)
            metrics = Metrics(CollectorRegistry(), config.state, daily_usd=config.budget.daily_usd,
                              monthly_usd=config.budget.monthly_usd)
            with store_errors(state):
                if once:
                    report = asyncio.run(runner.cycle())
                    _write_textfile(metrics, config)
                    _say(report, quiet)
                else:
                    asyncio.run(_daemon(runner, metrics, config, quiet))
        finally:
            with suppress(Exception):
                state.close()


def _say(report: CycleReport, quiet: bool) -> None:
    log.debug("cycle: %s", report)
    if not quiet:
        click.echo(pass_line(report, time.time()))


def _write_textfile(metrics: Metrics, config: RunnerConfig) -> None:
    if config.metrics.textfile is not None:
        metrics.write_textfile(config.metrics.textfile)


async def _daemon(runner: Runner, metrics: Metrics, config: RunnerConfig, quiet: bool = False) -> None:
    """Cycle until SIGTERM/SIGINT; a cycle in progress finishes first."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if config.metrics.listen:
        port = metrics.serve(config.metrics.listen)
        log.info("metrics on %s (port %d)", config.metrics.listen, port)
    try:
        while not stop.is_set():
            try:
                with store_errors(runner.state):
                    report = await runner.cycle()
                _say(report, quiet)
            except StateCorruptError:
                raise  # one line and exit 2: the service manager shows it failed
            except StateError as exc:  # a full disk or a read-only mount may clear: try again next cycle
                log.error("%s", exc)
            except Exception:  # keep the daemon alive; the state is consistent after any failure
                log.exception("cycle failed")
            try:
                _write_textfile(metrics, config)
            except StateError as exc:  # the store is unreachable for now (a database restart): next cycle
                log.error("metrics textfile not written: %s", exc)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=config.polling.cycle)
    finally:
        metrics.stop()
    log.info("stopped")


@click.command("check-config")
@click.argument("config_file", required=False, type=_PATH)
@click.option("--config", "config_path", type=_PATH, default=None, help="TOML config file to validate (or as argument).")
@click.option("--show", is_flag=True, help="Print the effective configuration as JSON (and nothing else on stdout).")
def check_config(config_file: Path | None, config_path: Path | None, show: bool) -> None:
    """Validate a runner config: unknown keys and bad values, its model, options and prompts.

    No API key is needed to check a file: when the model's key is not set here, the check still
    validates everything else and says that "tasseograph run" will need the key.
    """
    if config_file and config_path and config_file != config_path:
        raise UsageError("give the config file once (as CONFIG_FILE or --config)")
    path = config_file or config_path
    config = _config(path, {})
    note = _check_model(config, path)
    build_fleet(config)  # the inventory and thresholds files it names load
    where = path or "built-in defaults"
    if show:
        click.echo(config.model_dump_json(indent=2))
        click.echo(f"config OK: {where}", err=True)
    else:
        click.echo(f"config OK: {where}")
        for line in config_summary(config):
            click.echo(f"  {line}")
    if note:
        click.echo(f"note: {note}", err=show)


KEY_PLACEHOLDER = "check-config-no-key"
"""Lets an API backend be built (and its options validated) without the real key; no call is made."""


def _check_model(config: RunnerConfig, path: Path | None) -> str | None:
    """Build the model and load its prompts as the runner would; a note when the key is not available here."""
    note = None
    try:
        try:
            model = build_model(config)
        except (MissingAPIKeyError, ConfigError) as exc:
            if isinstance(exc, ConfigError) and not str(exc).startswith("model.api_key_file"):
                raise
            note = (f"{exc.env_var} is not set here: `tasseograph run` will need it (or model.api_key_file)"
                    if isinstance(exc, MissingAPIKeyError) else f"{exc}: `tasseograph run` will need to read it")
            model = get_model(config.model.name, **{**config.model.options, "api_key": KEY_PLACEHOLDER})
        if not model.local:
            get_prompt(config.model.prompt)
            if config.model.batch_size > 1:
                get_prompt(config.model.batch_prompt)
    except ConfigError:
        raise
    except UsageError as exc:
        raise ConfigError(f"{path or 'defaults'}: model: {exc}") from None
    return note


@click.group("state")
def state_group() -> None:
    """Check, back up or recover the runner's state (README: Reliability)."""


_STATE_HELP = "SQLite state file, or a postgresql:// URL."


def _state_location(config_path: Path | None, state_path: str | None) -> Path | str:
    config = _config(config_path, {"state": state_path})
    return config.state


@state_group.command("check")
@click.option("--config", "config_path", type=_PATH, default=None, help="TOML config file (for the state path).")
@click.option("--state", "state_path", default=None, help=_STATE_HELP)
def state_check(config_path: Path | None, state_path: str | None) -> None:
    """Integrity check and what the store holds; exit 2 when it is damaged (safe while the runner runs)."""
    location = _state_location(config_path, state_path)
    if is_url(location):
        _check_postgres(str(location))
        return
    path = Path(location)
    report = check_state(path)
    click.echo(f"{path}: schema version {report.schema_version}, mode {report.mode:o}")
    for table, rows in sorted(report.rows.items()):
        click.echo(f"  {table:<20} {rows:>10} rows")
    if report.mode & 0o077:
        click.echo(f"warning: {path} is readable by others; it holds raw log lines: chmod 600 {path}", err=True)
    if not report.ok:
        for problem in report.problems[:20]:
            click.echo(f"  problem: {problem}", err=True)
        raise StateCorruptError(f"state file {path} is damaged: stop the runner, then `tasseograph state recover`"
                                " (README: Reliability)", path=str(path))
    click.echo("state OK", err=True)


def _check_postgres(url: str) -> None:
    store = PostgresStore(url, shown=shown(url), migrate=False)
    try:
        with store_errors(store):
            version = store.schema_version()
            rows = store.table_rows() if version else {}
    finally:
        store.close()
    click.echo(f"{shown(url)}: schema version {version} (PostgreSQL checks its own pages: pg_amcheck)")
    for table, count in sorted(rows.items()):
        click.echo(f"  {table:<20} {count:>10} rows")
    click.echo("state OK", err=True)


def _sqlite_only(location: Path | str, what: str) -> Path:
    if is_url(location):
        raise UsageError(f"`tasseograph state {what}` is for a SQLite state file; for PostgreSQL use its own tools "
                         "(pg_dump for a copy, your backups or point-in-time recovery to restore)")
    return Path(location)


@state_group.command("backup")
@click.argument("dest", type=_PATH)
@click.option("--config", "config_path", type=_PATH, default=None, help="TOML config file (for the state path).")
@click.option("--state", "state_path", default=None, help="SQLite state file.")
def state_backup(dest: Path, config_path: Path | None, state_path: str | None) -> None:
    """Copy the SQLite state file to DEST, consistently, while the runner runs (mode 0600)."""
    path = _sqlite_only(_state_location(config_path, state_path), "backup")
    if not path.exists():
        raise StateError(f"no state file at {path}: check the path (config key `state`)", path=str(path))
    click.echo(f"backed up {path} to {backup_state(path, dest)}", err=True)


@state_group.command("recover")
@click.option("--config", "config_path", type=_PATH, default=None, help="TOML config file (for the state path).")
@click.option("--state", "state_path", default=None, help="SQLite state file.")
def state_recover(config_path: Path | None, state_path: str | None) -> None:
    """Move a damaged SQLite state file aside and build a new one from every row that can still be read."""
    path = _sqlite_only(_state_location(config_path, state_path), "recover")
    with _lock(path, once=False):
        recovery = recover_state(path)
    click.echo(f"moved the damaged file to {recovery.moved_to}")
    for table, rows in sorted(recovery.copied.items()):
        whole = " (read in part)" if table in recovery.incomplete else ""
        click.echo(f"  {table:<20} {rows:>10} rows copied{whole}")
    if recovery.cursors_dropped:
        click.echo("the queue could not be read whole: cursors dropped, sources are read again from their start "
                   "(lines may be analysed twice, none is lost)")
    click.echo(f"recovered {path}", err=True)


commands = [run, *findings_commands, check_config, state_group, *review_commands]
