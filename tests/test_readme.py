"""The README stays true: its commands and flags exist, its set-up is two commands."""

from __future__ import annotations

import re

import click

from tasseograph.cli import main as tasseograph_main
from tasseograph.eval.cli import main as eval_main
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


CODE = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.S) + re.findall(r"`([^`\n]+)`", README))


def _commands(prog: str) -> set[str]:
    return set(re.findall(rf"(?<![\w/-]){re.escape(prog)} ([a-z][a-z-]+)", CODE))


def test_readme_commands_exist() -> None:
    # list_commands, not .commands: the runner's commands load only when listed or asked for.
    assert _commands("tasseograph") <= set(tasseograph_main.list_commands(click.Context(tasseograph_main))) | {"run"}
    assert _commands("tasseograph-eval") <= set(eval_main.list_commands(click.Context(eval_main)))
    assert {"analyze", "run", "findings"} <= _commands("tasseograph")


def test_readme_analyze_flags_exist() -> None:
    analyze = tasseograph_main.commands["analyze"]
    known = {opt for p in analyze.params if isinstance(p, click.Option) for opt in p.opts}
    used = {f for line in README.splitlines() if "tasseograph analyze" in line for f in re.findall(r"(--[a-z-]+)", line)}
    assert used and used <= known


def test_setup_is_two_commands_and_ci_runs_the_readme_test_command() -> None:
    block = README.split("## Set-up", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert len(commands) == 2
    test_command = commands[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command.replace("python ", "python3 ") in ci or test_command in ci
    assert (REPO / "evals" / "offline.toml").is_file()
