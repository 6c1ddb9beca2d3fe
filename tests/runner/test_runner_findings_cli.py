"""``tasseograph findings ...`` and ``tasseograph history``: every command, and one line with exit 2
for an unknown id, an illegal move, a bad time, a missing or newer state file."""

from __future__ import annotations

import getpass
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tasseograph.cli import main
from tests.runner.conftest import CRITICAL_LINE, write_spool

LINK_DOWN = "[ 8123.000104] ixgbe 0000:03:00.0 eth0: NIC Link is Down"


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def one_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output, result.output
    return lines[0]


@pytest.fixture
def state(tmp_path: Path) -> str:
    """A state file after one runner pass over two hosts (a critical DIMM error, a NIC link down)."""
    write_spool(tmp_path / "spool", "db-17", "1.log", f"[ 9021.5] {CRITICAL_LINE}\n")
    write_spool(tmp_path / "spool", "web-3", "1.log", f"{LINK_DOWN}\n")
    result = cli("run", "--once", "--model", "rules", "--spool", str(tmp_path / "spool"), "--state",
                 str(tmp_path / "state.db"), "-q")
    assert result.exit_code == 0, result.output
    return str(tmp_path / "state.db")


def listed(state: str, *args: str) -> list[dict[str, Any]]:
    result = cli("findings", "list", "--state", state, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))


def test_list_filters_and_formats(state: str) -> None:
    found = {f["host"]: f for f in listed(state)}
    assert set(found) == {"db-17", "web-3"}
    db = found["db-17"]
    assert (db["state"], db["severity"], db["signal"], db["times_seen"]) == ("active", "critical", "edac.ue", 1)
    assert db["alert"]["state"] == "firing" and db["first_seen"].endswith("Z")
    assert [f["host"] for f in listed(state, "--host", "db-*")] == ["db-17"]
    assert [f["host"] for f in listed(state, "--severity", "warning")] == ["web-3"]
    assert [f["host"] for f in listed(state, "--category", "network")] == ["web-3"]
    assert listed(state, "--since", "2999-01-01") == []
    assert listed(state, "--status", "resolved") == []
    ids = cli("findings", "list", "--state", state, "-q").output.split()
    assert sorted(ids) == sorted(f["id"] for f in found.values())
    table = cli("findings", "--state", state).output.splitlines()  # no subcommand: the list, as before
    assert table[0].split()[:3] == ["ID", "STATE", "SEVERITY"] and len(table) == 3


def test_moves_show_and_history(state: str) -> None:
    db = listed(state, "--host", "db-17")[0]
    ack = cli("findings", "ack", db["id"][:5], "--note", "DIMM B1 swap booked", "--by", "alice", "--state", state)
    assert ack.exit_code == 0 and f"acknowledged {db['id']}" in ack.output and "active -> acknowledged" in ack.output
    shown = json.loads(cli("findings", "show", db["id"], "--state", state, "--format", "json").output)
    assert shown["finding"]["state"] == "acknowledged" and shown["finding"]["alert"]["state"] == "resolved"
    assert [e["what"] for e in shown["timeline"]] == ["opened", "seen", "acknowledged"]
    assert shown["timeline"][-1]["actor"] == "alice" and "DIMM B1 swap booked" in shown["timeline"][-1]["detail"]
    text = cli("findings", "show", db["id"], "--state", state).output
    assert text.startswith(f"finding {db['id']}: acknowledged, critical") and CRITICAL_LINE in text

    web = listed(state, "--host", "web-3")[0]
    snoozed = cli("findings", "snooze", web["id"], "--until", "2h", "--state", state)
    assert snoozed.exit_code == 0 and "quiet until" in snoozed.output
    dismissed = cli("findings", "dismiss", web["id"], "--reason", "will_fix_later", "--note", "cable swap",
                    "--state", state)
    assert dismissed.exit_code == 0 and "back on" in dismissed.output
    assert cli("findings", "reopen", web["id"], "--state", state).exit_code == 0
    resolved = cli("findings", "resolve", web["id"], "--note", "new cable", "--state", state)
    assert resolved.exit_code == 0 and "-> resolved" in resolved.output
    assert [f["state"] for f in listed(state, "--host", "web-3", "--status", "all")] == ["resolved"]
    assert listed(state, "--host", "web-3") == []  # the default shows open findings

    history = cli("history", "web-3", "--state", state)
    assert history.exit_code == 0
    timeline = history.output.split("timeline:\n", 1)[1].splitlines()[1:]
    whats = [line.split()[2] for line in timeline]
    assert whats == ["opened", "seen", "snoozed", "dismissed", "reopened", "resolved"]
    assert getpass.getuser() in history.output  # --by defaults to the user name
    as_json = json.loads(cli("history", "web-3", "--state", state, "--format", "json").output)
    assert as_json["findings"][0]["state"] == "resolved" and len(as_json["timeline"]) == 6


def test_suppress_unsuppress_and_export(state: str, tmp_path: Path) -> None:
    added = cli("findings", "suppress", "--host", "web-*", "--signal", "net.*", "--reason", "switch maintenance",
                "--until", "4h", "--by", "carol", "--state", state)
    assert added.exit_code == 0 and "suppression 1:" in added.output and "matches 1 finding" in added.output
    (web,) = listed(state, "--host", "web-3")
    assert web["suppressed_by"] == 1
    rules = json.loads(cli("findings", "suppressions", "--state", state, "--format", "json").output)
    assert [(r["host"], r["signal"], r["created_by"]) for r in rules] == [("web-*", "net.*", "carol")]
    assert cli("findings", "unsuppress", "1", "--by", "carol", "--state", state).exit_code == 0
    assert "no longer in force" in one_error(cli("findings", "unsuppress", "1", "--state", state))
    assert cli("findings", "suppressions", "--state", state).output == "no suppressions\n"
    assert "lifted" in cli("findings", "suppressions", "--all", "--state", state).output

    out = tmp_path / "audit.jsonl"
    assert cli("findings", "export", "--since", "1d", "--state", state, "--output", str(out)).exit_code == 0
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [e["action"] for e in events] == ["opened", "opened", "suppressed", "suppressed", "unsuppressed"]
    assert events[0]["host"] and events[0]["at"].endswith("Z") and events[2]["suppression_id"] == 1
    assert cli("findings", "export", "--since", "2999-01-01", "--state", state).output == ""


@pytest.mark.parametrize("args, words", [
    (["findings", "show", "0123456789ab"], "no finding '0123456789ab'"),
    (["findings", "ack", "zz", "--note", "x"], "ids are 12 hex digits"),
    (["findings", "snooze", "{id}", "--until", "soon"], "--until 'soon'"),
    (["findings", "snooze", "{id}", "--until", "2000-01-01"], "not in the future"),
    (["findings", "list", "--since", "yesterday"], "--since 'yesterday'"),
    (["findings", "list", "--status", "closed"], "--status 'closed'"),
    (["findings", "dismiss", "{id}", "--reason", "expected", "--remind", "2d"], "--remind goes with"),
    (["findings", "reopen", "{id}"], "it is already active"),
    (["findings", "suppress", "--host", " ", "--signal", "*", "--reason", "x"], "--host needs a pattern"),
    (["findings", "unsuppress", "7"], "no suppression 7"),
    (["findings", "ack", "{id}", "--note", "x", "--by", ""], "--by"),
    (["findings", "ack", "{id}", "--note", " \x07\x1b "], "--note needs a few words"),
])
def test_bad_input_is_one_line_and_exit_2(state: str, args: list[str], words: str) -> None:
    finding_id = listed(state, "--host", "db-17")[0]["id"]
    line = one_error(cli(*[a.format(id=finding_id) for a in args], "--state", state))
    assert words in line


def test_an_illegal_move_says_what_would_work(state: str) -> None:
    finding_id = listed(state, "--host", "db-17")[0]["id"]
    assert cli("findings", "resolve", finding_id, "--state", state).exit_code == 0
    line = one_error(cli("findings", "ack", finding_id, "--note", "on it", "--state", state))
    assert line == (f"error: cannot acknowledge finding {finding_id}: it is resolved (by_hand); "
                    f"`tasseograph findings reopen {finding_id}` if it is not fixed")


def test_missing_newer_and_ambiguous_state(tmp_path: Path, state: str) -> None:
    assert "no state file" in one_error(cli("findings", "list", "--state", str(tmp_path / "none.db")))
    assert "--status" in one_error(cli("findings", "list", "--state", "active"))
    conn = sqlite3.connect(state)
    conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    for args in (["findings", "list"], ["history", "db-17"], ["run", "--once", "--model", "rules"]):
        line = one_error(cli(*args, "--state", state))
        assert "schema version 99, written by a newer tasseograph" in line
