"""``tasseograph run``, ``tasseograph findings`` and ``tasseograph check-config``.

``tasseograph.cli`` adds ``commands`` to its group, which turns every ``TasseographError`` into
one ``error: ...`` line and a non-zero exit.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from prometheus_client import CollectorRegistry

from tasseograph.errors import ConfigError, UsageError
from tasseograph.prompts import get_prompt
from tasseograph.runner.config import RunnerConfig, default_config_toml, load_config, parse_duration
from tasseograph.runner.exporter import Metrics
from tasseograph.runner.sources import build_sources
from tasseograph.runner.state import State, connect
from tasseograph.runner.worker import Runner, build_model

log = logging.getLogger("tasseograph.runner")

_PATH = click.Path(dir_okay=False, path_type=Path)


def _config(config_path: Path | None, overrides: dict[str, Any]) -> RunnerConfig:
    config = load_config(config_path)
    return config.with_overrides(overrides) if any(v is not None for v in overrides.values()) else config


@contextmanager
def _lock(state_path: Path, *, once: bool) -> Iterator[bool]:
    """One runner per state file: cron runs that overlap a slow one step aside."""
    state_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{state_path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
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
@click.option("--state", "state_path", type=_PATH, default=None, help="SQLite state file (state).")
@click.option("--textfile", type=_PATH, default=None, help="node_exporter textfile to write (metrics.textfile).")
@click.option("--alertmanager-url", default=None, help="Alertmanager base URL (alerts.alertmanager_url).")
@click.option("--model", default=None, help="Model name: rules, anthropic:claude-haiku-4-5, ... (model.name).")
@click.option("--listen", default=None, help="Daemon metrics endpoint host:port (metrics.listen).")
@click.option("--once", is_flag=True, help="One cycle, then exit (cron mode).")
@click.option("--stdin", "from_stdin", is_flag=True, help="Also queue one delta read from stdin (see --host).")
@click.option("--host", default=None, help="Host name for stdin and local sources (sources.host).")
@click.option("--print-default-config", is_flag=True, help="Print the documented default config and exit.")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def run(config_path: Path | None, spool: Path | None, state_path: Path | None, textfile: Path | None,
        alertmanager_url: str | None, model: str | None, listen: str | None, once: bool, from_stdin: bool,
        host: str | None, print_default_config: bool, verbose: int) -> None:
    """Run the production runner: ingest deltas, triage them, export metrics and alerts."""
    if print_default_config:
        click.echo(default_config_toml(), nl=False)
        return
    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    config = _config(config_path, {
        "sources.spool.dir": str(spool) if spool else None, "state": str(state_path) if state_path else None,
        "metrics.textfile": str(textfile) if textfile else None, "alerts.alertmanager_url": alertmanager_url,
        "model.name": model, "metrics.listen": listen, "sources.host": host,
    })
    with _lock(config.state, once=once) as locked:
        if not locked:
            click.echo(f"tasseograph: another run holds {config.state}.lock; skipping this run", err=True)
            return
        state = State(config.state)
        try:
            sources = build_sources(config, stdin=sys.stdin.buffer if from_stdin else None)
            if not sources:
                log.warning("no source configured (sources.spool.dir, sources.kmsg, sources.journal or --stdin): "
                            "only queued deltas and alerts are processed")
            runner = Runner(config, state, sources)
            metrics = Metrics(CollectorRegistry(), config.state, daily_usd=config.budget.daily_usd,
                              monthly_usd=config.budget.monthly_usd)
            if once:
                report = asyncio.run(runner.cycle())
                log.info("cycle: %s", report)
                _write_textfile(metrics, config)
            else:
                asyncio.run(_daemon(runner, metrics, config))
        finally:
            state.close()


def _write_textfile(metrics: Metrics, config: RunnerConfig) -> None:
    if config.metrics.textfile is not None:
        metrics.write_textfile(config.metrics.textfile)


async def _daemon(runner: Runner, metrics: Metrics, config: RunnerConfig) -> None:
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
                report = await runner.cycle()
                log.info("cycle: %s", report)
            except Exception:  # keep the daemon alive; the state is consistent after any failure
                log.exception("cycle failed")
            _write_textfile(metrics, config)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=config.polling.cycle)
    finally:
        metrics.stop()
    log.info("stopped")


def parse_since(text: str, now: float | None = None) -> float:
    """A Unix time from an ISO date/time (UTC when no offset is given) or a duration ago (``2h``, ``7d``)."""
    now = time.time() if now is None else now
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since {text!r}: use an ISO time (2026-12-01T08:00) or a duration (2h, 7d)") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


@click.command()
@click.option("--config", "config_path", type=_PATH, default=None, help="TOML config file (for the state path).")
@click.option("--state", "state_path", type=_PATH, default=None, help="SQLite state file.")
@click.option("--host", default=None, help="Only this host.")
@click.option("--since", default=None, help="Only findings since an ISO time or a duration ago (2h, 7d).")
@click.option("--severity", type=click.Choice(["warning", "critical"]), default=None, help="Only this severity.")
@click.option("--limit", type=int, default=200, show_default=True, help="Most findings shown (newest).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def findings(config_path: Path | None, state_path: Path | None, host: str | None, since: str | None,
             severity: str | None, limit: int, fmt: str) -> None:
    """Show the finding history from the runner's state file."""
    path = state_path or _config(config_path, {}).state
    if not path.exists():
        raise UsageError(f"no state file at {path}: run `tasseograph run --once` first or pass --state")
    rows = _query_findings(path, host, parse_since(since) if since else None, severity, limit)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['time']}  {r['host']}  {r['severity']:<8} {r['category']:<8} {r['summary']}  [{r['source']}]")
        for line in r["evidence"].splitlines()[:3]:
            click.echo(f"    | {line}")
    if not rows:
        click.echo("no findings", err=True)


def _query_findings(path: Path, host: str | None, since: float | None, severity: str | None,
                    limit: int) -> list[dict[str, Any]]:
    sql = ("SELECT f.checked, f.host, f.severity, f.category, f.summary, f.evidence, f.source, f.signal_id,"
           " f.count, v.ref, v.model FROM findings f LEFT JOIN verdicts v ON v.delta_id = f.delta_id WHERE 1=1")
    args: list[Any] = []
    for clause, value in ((" AND f.host = ?", host), (" AND f.checked >= ?", since), (" AND f.severity = ?", severity)):
        if value is not None:
            sql += clause
            args.append(value)
    sql += " ORDER BY f.id DESC LIMIT ?"
    conn = connect(path, readonly=True)
    try:
        rows = conn.execute(sql, [*args, limit]).fetchall()
    finally:
        conn.close()
    keys = ("time", "host", "severity", "category", "summary", "evidence", "source", "signal_id", "count", "ref", "model")
    out = [dict(zip(keys, r, strict=True)) for r in reversed(rows)]
    for r in out:
        r["time"] = datetime.fromtimestamp(r["time"], UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return out


@click.command("check-config")
@click.option("--config", "config_path", type=_PATH, default=None, help="TOML config file to validate.")
@click.option("--show", is_flag=True, help="Print the effective configuration as JSON.")
def check_config(config_path: Path | None, show: bool) -> None:
    """Validate a runner config file (unknown keys and bad values are errors), its model and prompts."""
    config = _config(config_path, {})
    try:
        model = build_model(config)
        if not model.local:
            get_prompt(config.model.prompt)
            if config.model.batch_size > 1:
                get_prompt(config.model.batch_prompt)
    except ConfigError:
        raise
    except UsageError as exc:
        raise ConfigError(f"{config_path or 'defaults'}: model: {exc}") from None
    if show:
        click.echo(config.model_dump_json(indent=2))
    click.echo(f"config OK: {config_path or 'built-in defaults'}", err=True)


commands = [run, findings, check_config]
