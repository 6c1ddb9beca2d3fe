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
