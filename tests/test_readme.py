"""The README stays true: its commands and flags exist, its set-up is two commands."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import click

from tasseograph.cli import main as tasseograph_main
from tasseograph.eval.cli import main as eval_main
from tests.conftest import REPO
from tests.runner.conftest import FakeAlertmanager

README = (REPO / "README.md").read_text(encoding="utf-8")


CODE = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.S) + re.findall(r"`([^`\n]+)`", README))


def _commands(prog: str) -> set[str]:
    return set(re.findall(rf"(?<![\w/-]){re.escape(prog)} ([a-z][a-z-]+)", CODE))


def test_readme_commands_exist() -> None:
    # list_commands, not .commands: the runner's commands load only when listed or asked for.
    assert _commands("tasseograph") <= set(tasseograph_main.list_commands(click.Context(tasseograph_main))) | {"run"}
    assert _commands("tasseograph-eval") <= set(eval_main.list_commands(click.Context(eval_main)))
    assert {"analyze", "run", "findings", "history"} <= _commands("tasseograph")


def test_readme_analyze_flags_exist() -> None:
    analyze = tasseograph_main.commands["analyze"]
    known = {opt for p in analyze.params if isinstance(p, click.Option) for opt in p.opts}
    used = {f for line in README.splitlines() if "tasseograph analyze" in line for f in re.findall(r"(--[a-z-]+)", line)}
    assert used and used <= known


SETUP = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]


def test_setup_is_two_commands_and_ci_runs_the_readme_test_command() -> None:
    block = SETUP.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert len(commands) == 2
    assert commands[0].startswith("pip install -e '.[test]' && tasseograph-eval run evals/offline.toml")
    test_command = commands[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command.replace("python ", "python3 ") in ci or test_command in ci
    assert (REPO / "evals" / "offline.toml").is_file()


def test_setup_makes_a_virtual_environment_and_says_where_the_data_comes_from() -> None:
    assert "python3 -m venv .venv && . .venv/bin/activate" in SETUP.split("```bash", 1)[0]
    assert "TASSEOGRAPH_SHARED" in SETUP and "../shared" in SETUP


def test_no_install_command_for_a_package_that_is_not_published() -> None:
    # tasseograph is not on PyPI: every install of it is from the checkout.
    unpublished = re.compile(r"pipx? install(?:\s+-\S+)*\s+['\"]?tasseograph(?![-\w])")
    assert unpublished.search("pipx install tasseograph") and unpublished.search("pip install -U 'tasseograph[test]'")
    assert not unpublished.findall(README)


def test_the_report_screenshot_shown_is_committed() -> None:
    shots = re.findall(r"\]\((docs/[^)]+\.png)\)", README)
    assert shots and all((REPO / s).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for s in shots)


FINDINGS = README.split("### Findings\n", 1)[1].split("\n## ", 1)[0]


def test_the_findings_scenario_runs_as_written(tmp_path: Path) -> None:
    """The "Findings" block, word for word: two passes with the same critical line are one active
    finding seen twice; after `ack`, a third pass keeps it acknowledged and sends no new alert;
    `history` shows the timeline."""
    block = re.findall(r"```sh\n(.*?)```", FINDINGS, flags=re.S)[0]
    am = FakeAlertmanager()
    try:
        env = {**os.environ, "AM": am.url, "TMPDIR": str(tmp_path),
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        done = subprocess.run(["bash", "-e", "-c", block], capture_output=True, text=True, env=env, timeout=300,
                              check=False)
    finally:
        am.close()
    out = done.stdout
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    passes = [line for line in out.splitlines() if " pass: " in line]
    assert [p.split(" verdict")[0].split(", ")[-1] for p in passes] == ["1"] * 3
    assert ["1 alert sent" in passes[0], "0 alerts sent" in passes[1], "1 alert sent" in passes[2]] == [True] * 3
    listed = json.loads(out[out.index("\n[\n") + 1:out.index("\n]\n") + 2])
    (finding,) = listed
    assert (finding["state"], finding["times_seen"], finding["signal"], finding["host"]) == (
        "active", 2, "edac.ue", "db-17")
    posted = [a for a in am.alerts() if a["labels"].get("finding_id") == finding["id"]]
    assert len(posted) == 2 and len({a["startsAt"] for a in posted}) == 1  # one alert: fired, then ended
    assert posted[1]["endsAt"] < posted[0]["endsAt"] and "acknowledged by alice" in posted[1]["annotations"]["ended"]
    history = out.split("db-17: 1 finding(s), 1 open\n", 1)[1]
    assert "acknowledged" in history.splitlines()[1] and " 3 " in history.splitlines()[1]
    timeline = [line.split()[2] for line in history.split("timeline:\n", 1)[1].splitlines()[1:]]
    assert timeline == ["opened", "seen", "acknowledged", "seen"]
    assert "DIMM B1 swap booked for Friday" in history
    (state,) = tmp_path.glob("tmp*/state.db")
    conn = sqlite3.connect(state)
    assert conn.execute("SELECT state, times_seen FROM findings").fetchall() == [("acknowledged", 3)]
    conn.close()
