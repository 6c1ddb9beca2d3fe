"""``tasseograph findings ...`` and ``tasseograph history HOST``: findings and their audit trail.

Every command takes ``--state PATH`` (or the ``state`` of ``--config``), as ``tasseograph run``
does. Moves (ack, snooze, dismiss, resolve, reopen, suppress, unsuppress) are one transaction on
the state file, safe while the runner runs; an alert a move ends is posted by the runner's next
pass. An unknown id, an illegal move, a bad time or duration, or a state file from a newer
tasseograph: one ``error:`` line and exit 2.
"""

from __future__ import annotations

import getpass
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial, wraps
from pathlib import Path
from typing import Any, TextIO

import click

from tasseograph.errors import FindingError, UsageError
from tasseograph.findings import lifecycle
from tasseograph.findings.lifecycle import NOTE_CHARS
from tasseograph.findings.record import (
    DISMISS_REASONS,
    OPEN_STATES,
    STATES,
    FindingEvent,
    FindingRecord,
    clip,
)
from tasseograph.findings.suppression import check_pattern, matching
from tasseograph.runner import findingsview as view
from tasseograph.runner.config import RunnerConfig, load_config, parse_duration
from tasseograph.runner.credentials import Scrubber, known_secrets
from tasseograph.runner.tracking import FindingTracker
from tasseograph.store import is_url, open_store, store_errors
from tasseograph.store.base import Store

_PATH = click.Path(dir_okay=False, path_type=Path)
STATUS_CHOICES = (*STATES, "open", "all")
FORMAT = click.Choice(["table", "json", "text"])
ACTOR_CHARS = 64
DEFAULT_LIMIT = 200


def parse_since(text: str, now: float | None = None) -> float:
    """A Unix time from an ISO date/time (UTC when no offset is given) or a duration ago (``2h``, ``7d``).

    Raises:
        UsageError: neither.
    """
    now = time.time() if now is None else now
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    return _iso(text, "--since", "2026-12-01T08:00")


def parse_until(text: str, option: str, now: float) -> float:
    """A Unix time from a duration ahead (``8h``, ``2d``) or an ISO date/time (UTC when no offset).

    Raises:
        UsageError: neither.
    """
    try:
        return now + parse_duration(text)
    except ValueError:
        pass
    return _iso(text, option, "2026-12-08T09:00")


def _iso(text: str, option: str, example: str) -> float:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: use an ISO time ({example}) or a duration (2h, 7d)") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _actor(by: str | None) -> str:
    if by is None:
        try:
            by = getpass.getuser()
        except (OSError, KeyError):  # no login name in some containers
            by = "unknown"
    by = " ".join(by.split())
    if not by or len(by) > ACTOR_CHARS or not by.isprintable():
        raise UsageError(f"--by {by[:20]!r}: a name of 1 to {ACTOR_CHARS} printable characters")
    return by


def _text(value: str, config: RunnerConfig) -> str:
    """An operator's note or reason as stored: printable, one paragraph, no secrets."""
    clean = "".join(c if c.isprintable() or c == "\n" else " " for c in value).strip()
    return Scrubber(known_secrets(config.model.api_key_file)).text(clean)


def _common(func: Callable[..., None]) -> Callable[..., None]:
    """``--config`` and ``--state`` on every command."""
    func = click.option("--state", "state_path", default=None,
                        help="SQLite state file or postgresql:// URL (default: the config's `state`).")(func)
    return click.option("--config", "config_path", type=_PATH, default=None,
                        help="TOML config file (for the state path, alert labels and retention).")(func)


@contextmanager
def _opened(config_path: Path | None, state_path: str | None) -> Iterator[tuple[Store, RunnerConfig]]:
    config = load_config(config_path, insecure_ok=True)
    if state_path:
        config = config.with_overrides({"state": state_path})
    where = config.state
    if not is_url(where) and not Path(where).exists():
        raise UsageError(f"no state file at {where}: run `tasseograph run --once` first or pass --state PATH"
                         " (lifecycle states are filtered with --status)")
    state = open_store(where, application="tasseograph-findings")
    try:
        with store_errors(state):
            yield state, config
    finally:
        state.close()


def _tracker(config: RunnerConfig) -> FindingTracker:
    return FindingTracker(config.alerts.rules(), retention=config.findings.retention)


def _statuses(values: tuple[str, ...]) -> list[str]:
    wanted: set[str] = set()
    for value in values or ("open",):
        for part in value.split(","):
            part = part.strip()
            if part not in STATUS_CHOICES:
                raise UsageError(f"--status {part!r}: use one of {', '.join(STATUS_CHOICES)}")
            wanted |= set(OPEN_STATES) if part == "open" else set(STATES) if part == "all" else {part}
    return sorted(wanted)


class _ListByDefault(click.Group):
    """``tasseograph findings [--host ...]`` without a subcommand is ``findings list`` (as before)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0].startswith("-") and args[0] not in ("--help", "-h")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group("findings", cls=_ListByDefault)
def findings() -> None:
    """Findings: one fault on one host across deltas, with a lifecycle (README: Findings).

    Without a subcommand: `findings list`.
    """


@findings.command("list")
@_common
@click.option("--host", default=None, help="Only hosts matching this shell pattern (db-*).")
@click.option("--status", "statuses", multiple=True,
              help=f"Lifecycle states to show, repeatable or comma-separated: {', '.join(STATUS_CHOICES)} "
                   "(default: open = active, regressed, acknowledged, snoozed).")
@click.option("--since", default=None, help="Only findings seen since an ISO time or a duration ago (2h, 7d).")
@click.option("--severity", type=click.Choice(["warning", "critical"]), default=None, help="Only this severity.")
@click.option("--category", default=None, help="Only this category (memory, storage, network, thermal, driver).")
@click.option("--limit", type=click.IntRange(min=1), default=DEFAULT_LIMIT, show_default=True,
              help="Most findings shown (the most recently seen).")
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="Print the ids only, one a line.")
def list_findings(config_path: Path | None, state_path: str | None, host: str | None, statuses: tuple[str, ...],
                  since: str | None, severity: str | None, category: str | None, limit: int, fmt: str,
                  quiet: bool) -> None:
    """List findings, most recently seen first."""
    states = _statuses(statuses)
    since_ts = parse_since(since) if since else None
    with _opened(config_path, state_path) as (state, _):
        store = state.findings()
        records = store.query(host=host, states=states, since=since_ts, severity=severity, category=category,
                              limit=limit)
        rules, now = store.suppressions(), time.time()
        found = [(r, _suppressed_by(rules, r, now)) for r in records]
        if quiet:
            for record, _ in found:
                click.echo(record.id)
        elif fmt == "json":
            click.echo(json.dumps([view.finding_json(r, alert=store.alert_summary(store.alert_of(r.id)),
                                                     suppressed_by=s) for r, s in found], indent=2))
        else:
            for line in view.table(view.finding_rows(found), view.LIST_HEADER) if found else []:
                click.echo(line)
    if not found and not quiet and fmt != "json":
        click.echo(f"no findings ({', '.join(states)})", err=True)


@findings.command("show")
@click.argument("finding_id")
@_common
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def show(finding_id: str, config_path: Path | None, state_path: str | None, fmt: str) -> None:
    """A finding and its timeline: every move and every delta that raised it."""
    with _opened(config_path, state_path) as (state, _):
        store = state.findings()
        record = store.find(finding_id)
        alert = store.alert_summary(store.alert_of(record.id))
        suppressed_by = _suppressed_by(store.suppressions(), record, time.time())
        entries = view.timeline(store.events(finding_id=record.id),
                                [(record.id, d) for d in store.deltas(record.id, limit=10_000)])
    if fmt == "json":
        click.echo(json.dumps({"finding": view.finding_json(record, alert=alert, suppressed_by=suppressed_by),
                               "timeline": [e.to_dict() for e in entries]}, indent=2))
        return
    for line in [*view.describe(record, alert, suppressed_by), "timeline:",
                 *("  " + x for x in view.timeline_lines(entries, with_id=False)), *view.evidence_lines(record)]:
        click.echo(line)


def _move_command(name: str, help_text: str) -> Callable[[Callable[..., Callable[[FindingRecord], FindingEvent]]],
                                                           click.Command]:
    """A move command: FINDING_ID, --by, --config, --state, plus the options the wrapped function takes."""

    def wrap(build: Callable[..., Callable[[FindingRecord], FindingEvent]]) -> click.Command:
        @click.argument("finding_id")
        @_common
        @click.option("--by", default=None, help="Who does it (default: your user name).")
        @wraps(build)
        def command(finding_id: str, config_path: Path | None, state_path: str | None, by: str | None,
                    **options: Any) -> None:
            actor, now = _actor(by), time.time()
            with _opened(config_path, state_path) as (state, config):
                apply = build(config=config, by=actor, now=now, **options)
                with state.transaction() as conn:
                    moved = _tracker(config).move(conn, finding_id, apply, now)
            r = moved.record
            click.echo(f"{moved.event.action} {r.id} ({r.key.host} {r.key.category} {r.key.describe()}):"
                       f" {moved.event.from_state} -> {r.state}{_after(r)}")

        command.__doc__ = help_text
        return findings.command(name)(command)

    return wrap


def _after(record: FindingRecord) -> str:
    if record.state == "acknowledged":
        return "; no new alert unless its severity rises"
    if record.state == "snoozed" and record.snoozed_until is not None:
        return f"; quiet until {lifecycle.stamp(record.snoozed_until)}"
    if record.state == "dismissed" and record.remind_at is not None:
        return f"; back on {lifecycle.stamp(record.remind_at)}"
    return ""


@_move_command("ack", "Acknowledge a finding: someone owns it; it pages again only if its severity rises.")
@click.option("--note", required=True, help="What is being done (it becomes a note for the host's prompt).")
def ack(*, config: RunnerConfig, by: str, now: float, note: str) -> Callable[[FindingRecord], FindingEvent]:
    text = _text(note, config)
    if not text:
        raise FindingError("--note needs a few words (who is on it, what is planned): the audit trail keeps it")
    return partial(lifecycle.acknowledge, by=by, note=text, now=now)


@_move_command("snooze", "Quiet a finding until a time (a duration ahead or an ISO time); then it is active again.")
@click.option("--until", "until", required=True, help="8h, 2d, or 2026-12-08T09:00 (UTC unless an offset is given).")
@click.option("--note", default="", help="Why.")
def snooze(*, config: RunnerConfig, by: str, now: float, until: str, note: str
           ) -> Callable[[FindingRecord], FindingEvent]:
    when = parse_until(until, "--until", now)
    return partial(lifecycle.snooze, until=when, by=by, note=_text(note, config), now=now)


@_move_command("dismiss", "Dismiss a finding: not_a_problem, expected, or will_fix_later (back after --remind).")
@click.option("--reason", required=True, type=click.Choice(DISMISS_REASONS))
@click.option("--note", default="", help="Why (it becomes a note for the host's prompt).")
@click.option("--remind", default=None,
              help="With will_fix_later: when it comes back (default: findings.remind_after, 7 days).")
def dismiss(*, config: RunnerConfig, by: str, now: float, reason: str, note: str, remind: str | None
            ) -> Callable[[FindingRecord], FindingEvent]:
    if remind is not None and reason != "will_fix_later":
        raise FindingError("--remind goes with --reason will_fix_later")
    remind_at = None
    if reason == "will_fix_later":
        remind_at = parse_until(remind, "--remind", now) if remind else now + config.findings.remind_after
    return partial(lifecycle.dismiss, reason=reason, by=by, note=_text(note, config), now=now, remind_at=remind_at)


@_move_command("resolve", "Resolve a finding by hand (fixed); a later sighting makes it regressed.")
@click.option("--note", default="", help="What fixed it.")
def resolve(*, config: RunnerConfig, by: str, now: float, note: str) -> Callable[[FindingRecord], FindingEvent]:
    return partial(lifecycle.resolve, reason="by_hand", by=by, note=_text(note, config), now=now)


@_move_command("reopen", "Reopen an acknowledged, snoozed, dismissed or resolved finding.")
@click.option("--note", default="", help="Why.")
def reopen(*, config: RunnerConfig, by: str, now: float, note: str) -> Callable[[FindingRecord], FindingEvent]:
    return partial(lifecycle.reopen, by=by, note=_text(note, config), now=now)


@findings.command("suppress")
@_common
@click.option("--host", "host", required=True, help="Shell pattern of host names (db-*).")
@click.option("--signal", "signal", required=True, help="Shell pattern of signals (aer.corrected, model.*, '*').")
@click.option("--reason", required=True, help="Why these findings must not page.")
@click.option("--until", "until", default=None, help="When it lapses: 8h, 30d, or an ISO time (default: never).")
@click.option("--by", default=None, help="Who sets it (default: your user name).")
def suppress(config_path: Path | None, state_path: str | None, host: str, signal: str, reason: str,
             until: str | None, by: str | None) -> None:
    """Keep findings matching a host and a signal pattern from paging (still counted and listed)."""
    actor, now = _actor(by), time.time()
    host, signal = check_pattern("host", host), check_pattern("signal", signal)
    when = parse_until(until, "--until", now) if until else None
    if when is not None and when <= now:
        raise FindingError(f"--until {until!r} is not in the future")
    with _opened(config_path, state_path) as (state, config):
        text = clip(_text(reason, config), NOTE_CHARS)
        if not text:
            raise FindingError("--reason needs a few words: the audit trail keeps it")
        with state.transaction() as conn:
            rule, matched = _tracker(config).suppress(conn, host=host, signal=signal, reason=text, by=actor,
                                                      now=now, until=when)
    click.echo(f"suppression {rule.id}: host {host}, signal {signal}; matches {len(matched)} finding(s) now "
               f"(`tasseograph findings unsuppress {rule.id}` lifts it)")


@findings.command("unsuppress")
@click.argument("suppression_id", type=int)
@_common
@click.option("--by", default=None, help="Who lifts it (default: your user name).")
def unsuppress(suppression_id: int, config_path: Path | None, state_path: str | None, by: str | None) -> None:
    """Lift a suppression (its findings page again from the runner's next pass, if they should)."""
    actor, now = _actor(by), time.time()
    with _opened(config_path, state_path) as (state, config), state.transaction() as conn:
        rule = _tracker(config).unsuppress(conn, suppression_id, by=actor, now=now)
    click.echo(f"suppression {rule.id} lifted (host {rule.host}, signal {rule.signal})")


@findings.command("suppressions")
@_common
@click.option("--all", "show_all", is_flag=True, help="Also the lifted and lapsed ones.")
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def suppressions(config_path: Path | None, state_path: str | None, show_all: bool, fmt: str) -> None:
    """List suppressions."""
    with _opened(config_path, state_path) as (state, _):
        rules = state.findings().suppressions(lifted=show_all)
    now = time.time()
    rules = [r for r in rules if show_all or r.in_force(now)]
    if fmt == "json":
        click.echo(json.dumps([view.with_iso(r.to_dict()) for r in rules], indent=2))
    elif rules:
        for line in view.table(view.suppression_rows(rules), view.SUPPRESSION_HEADER):
            click.echo(line)
    else:
        click.echo("no suppressions", err=True)


@findings.command("export")
@_common
@click.option("--since", default=None, help="Only events since an ISO time or a duration ago (30d).")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default: stdout).")
def export(config_path: Path | None, state_path: str | None, since: str | None, output: TextIO) -> None:
    """The audit trail as JSON Lines: one event per line, with its finding's host, signal and device."""
    since_ts = parse_since(since) if since else None
    with _opened(config_path, state_path) as (state, _):
        events = state.findings().events(since=since_ts)
    for event, key in events:
        record = {**view.with_iso(event.to_dict()), **(key.to_dict() if key else {})}
        output.write(json.dumps(record, ensure_ascii=False) + "\n")


@click.command("history")
@click.argument("host")
@_common
@click.option("--since", default=None, help="Only what happened since an ISO time or a duration ago (30d).")
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def history(host: str, config_path: Path | None, state_path: str | None, since: str | None, fmt: str) -> None:
    """A host's incidents in time order: its findings, every move, and the deltas that raised them."""
    since_ts = parse_since(since) if since else None
    with _opened(config_path, state_path) as (state, _):
        store = state.findings()
        records = store.query(host=host, since=since_ts)
        events = store.events(host=host, since=since_ts)
        seen = [(r.id, d) for r in records for d in store.deltas(r.id, limit=10_000)
                if since_ts is None or d["at"] >= since_ts]
        rules, now = store.suppressions(), time.time()
        found = [(r, _suppressed_by(rules, r, now)) for r in records]
    entries = view.timeline(events, seen)
    if fmt == "json":
        click.echo(json.dumps({"host": host, "findings": [view.finding_json(r, alert=None, suppressed_by=s)
                                                           for r, s in found],
                               "timeline": [e.to_dict() for e in entries]}, indent=2))
        return
    if not found:
        click.echo(f"no findings for {host}" + (f" since {since}" if since else ""), err=True)
        return
    open_count = sum(r.is_open for r, _ in found)
    click.echo(f"{host}: {len(found)} finding(s), {open_count} open")
    for line in view.table(view.finding_rows(found), view.LIST_HEADER):
        click.echo(f"  {line}")
    click.echo("timeline:")
    for line in view.timeline_lines(entries, with_id=True):
        click.echo(f"  {line}")


def _suppressed_by(rules: list[Any], record: FindingRecord, now: float) -> int | None:
    rule = matching(rules, record.key, now)
    return rule.id if rule is not None else None


commands = [findings, history]
"""The commands ``runner/cli.py`` adds to ``tasseograph``."""
