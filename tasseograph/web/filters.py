"""The findings list's filters, read from the page's query string and checked.

The same filters as ``tasseograph findings list``: a host glob, lifecycle states (``open`` by
default, ``all``, or any state), a severity, a category, and ``since`` (a duration ago or an ISO
time). A bad value is a :class:`~tasseograph.errors.UsageError` whose message names the field;
the page shows it with status 400. :meth:`FindingFilter.cli` gives the same query as a command.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tasseograph.errors import FindingError, UsageError
from tasseograph.findings.record import OPEN_STATES, STATES
from tasseograph.findings.suppression import check_pattern
from tasseograph.runner.findings_cli import parse_since
from tasseograph.schema import CATEGORIES

SEVERITIES = ("critical", "warning")
STATE_CHOICES = ("open", "all", *STATES)
DEFAULT_LIMIT = 200
MAX_LIMIT = 2000
FIELDS = ("host", "state", "severity", "category", "since", "limit")
"""Query-string keys the findings list reads; any other is an error (a typo must not widen the list)."""


@dataclass(frozen=True)
class FindingFilter:
    """What the findings list shows (empty text: no filter on that field)."""

    host: str = ""
    state: str = "open"
    severity: str = ""
    category: str = ""
    since: str = ""
    since_ts: float | None = None
    limit: int = DEFAULT_LIMIT

    @property
    def states(self) -> list[str]:
        """The lifecycle states ``state`` stands for."""
        if self.state == "open":
            return sorted(OPEN_STATES)
        return list(STATES) if self.state == "all" else [self.state]

    @property
    def narrowed(self) -> bool:
        """True when anything but the defaults is asked for."""
        return (self.host, self.state, self.severity, self.category, self.since) != ("", "open", "", "", "")

    def cli(self, where: Sequence[str]) -> str:
        """The same list as a ``tasseograph findings list`` command (``where``: its --state/--config)."""
        args = ["tasseograph", "findings", "list", *where]
        for flag, value in (("--host", self.host), ("--status", "" if self.state == "open" else self.state),
                            ("--severity", self.severity), ("--category", self.category), ("--since", self.since)):
            if value:
                args += [flag, value]
        if self.limit != DEFAULT_LIMIT:
            args += ["--limit", str(self.limit)]
        return shlex.join(args)


def parse_filter(params: Mapping[str, str], now: float) -> FindingFilter:
    """The filter a query string asks for (blank fields are no filter).

    Raises:
        UsageError: an unknown field or a value the field does not take.
    """
    unknown = sorted(set(params) - set(FIELDS))
    if unknown:
        raise UsageError(f"unknown filter {unknown[0]!r}: the findings list filters by {', '.join(FIELDS)}")
    values = {k: params.get(k, "").strip() for k in FIELDS}
    host = ""
    if values["host"]:
        try:
            host = check_pattern("host", values["host"])
        except FindingError as exc:
            raise UsageError(str(exc).replace("--host", "host", 1)) from None
    state = values["state"] or "open"
    _choose("state", state, STATE_CHOICES)
    _choose("severity", values["severity"], ("", *SEVERITIES))
    _choose("category", values["category"], ("", *CATEGORIES))
    since_ts = None
    if values["since"]:
        try:
            since_ts = parse_since(values["since"], now)
        except UsageError:
            raise UsageError(f"since {values['since']!r}: use a duration ago (2h, 7d) or an ISO time "
                             "(2026-12-01T08:00, UTC unless an offset is given)") from None
    return FindingFilter(host=host, state=state, severity=values["severity"], category=values["category"],
                         since=values["since"], since_ts=since_ts, limit=_limit(values["limit"]))


def _choose(field: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        shown = ", ".join(c for c in choices if c)
        raise UsageError(f"{field} {value[:40]!r}: use one of {shown}")


def _limit(text: str) -> int:
    if not text:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise UsageError(f"limit {text[:20]!r}: a number from 1 to {MAX_LIMIT}")
    return int(text)
