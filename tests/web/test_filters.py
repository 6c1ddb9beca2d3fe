"""The findings list's filters: read from a query string, checked, and said again as a CLI command."""

from __future__ import annotations

import shlex

import pytest

from tasseograph.errors import UsageError
from tasseograph.findings.record import OPEN_STATES, STATES
from tasseograph.web.filters import DEFAULT_LIMIT, FindingFilter, parse_filter

NOW = 1_796_000_000.0


def test_blank_fields_are_no_filter_and_open_findings_are_the_default() -> None:
    wanted = parse_filter({"host": " ", "state": "", "severity": "", "since": ""}, NOW)
    assert wanted == FindingFilter()
    assert wanted.states == sorted(OPEN_STATES) and not wanted.narrowed and wanted.limit == DEFAULT_LIMIT


def test_each_field_is_read() -> None:
    wanted = parse_filter({"host": "web-*", "state": "acknowledged", "severity": "warning", "category": "storage",
                           "since": "2h", "limit": "20"}, NOW)
    assert (wanted.host, wanted.states, wanted.severity, wanted.category, wanted.limit) == (
        "web-*", ["acknowledged"], "warning", "storage", 20)
    assert wanted.since_ts == NOW - 7200 and wanted.narrowed
    assert parse_filter({"state": "all"}, NOW).states == list(STATES)
    assert parse_filter({"since": "2026-12-01T08:00"}, NOW).since_ts == 1_796_112_000.0


@pytest.mark.parametrize(("params", "message"), [
    ({"hots": "db-1"}, "unknown filter 'hots': the findings list filters by host, state"),
    ({"state": "closed"}, "state 'closed': use one of open, all, active"),
    ({"severity": "info"}, "severity 'info': use one of critical, warning"),
    ({"category": "<b>gpu</b>"}, "category '<b>gpu</b>': use one of memory"),
    ({"since": "yesterday"}, "since 'yesterday': use a duration ago (2h, 7d) or an ISO time"),
    ({"limit": "0"}, "limit '0': a number from 1 to 2000"),
    ({"limit": "many"}, "limit 'many': a number from 1 to 2000"),
    ({"host": "db\x07-*"}, "host 'db\\x07-*'...: a pattern is at most"),
])
def test_a_bad_value_is_one_line_naming_the_field(params: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_filter(params, NOW)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_the_cli_command_lists_the_same_findings() -> None:
    wanted = parse_filter({"host": "web-*", "state": "all", "severity": "critical", "since": "7d", "limit": "50"}, NOW)
    command = wanted.cli(["--state", "/var/lib/tasseograph/state db"])
    assert shlex.split(command) == ["tasseograph", "findings", "list", "--state", "/var/lib/tasseograph/state db",
                                    "--host", "web-*", "--status", "all", "--severity", "critical", "--since", "7d",
                                    "--limit", "50"]
    assert FindingFilter().cli([]) == "tasseograph findings list"
