"""``tasseograph dashboard`` as a person starts it: the real command serving on a free port,
fetched with plain HTTP; and one line with exit 2 for what it cannot serve."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tasseograph.runner.state import State
from tests.web.conftest import Fleet
from tests.web.serving import fetch

TASSEOGRAPH = Path(sys.executable).parent / "tasseograph"
ENV = {**os.environ, "TASSEOGRAPH_DISABLE_PLUGINS": "1", "PYTHONUNBUFFERED": "1"}


@contextmanager
def dashboard(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``tasseograph dashboard ARGS --listen 127.0.0.1:0`` running; the URL its start line names."""
    proc = subprocess.Popen([str(TASSEOGRAPH), "dashboard", *args, "--listen", "127.0.0.1:0"], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        assert found, (line, proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        yield found.group(1), proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TASSEOGRAPH), "dashboard", *args], env=ENV, capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_command_serves_every_page_and_stops_on_sigterm(fleet: Fleet) -> None:
    critical = fleet.ids["db-01"][0]
    with dashboard("--state", str(fleet.state), "--inventory", str(fleet.inventory)) as (url, proc):
        pages = {path: fetch(url + path) for path in
                 ("/", "/findings", "/checks", f"/findings/{critical}", "/hosts/db-01", "/static/style.css")}
        missing = {path: fetch(url + path) for path in ("/hosts/db-99", "/findings/000000000000")}
    # uvicorn finishes the requests in flight, then re-raises SIGTERM: a clean stop, as systemd sees it.
    assert proc.returncode in (0, -signal.SIGTERM)
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
    assert {p: r.status for p, r in pages.items()} == dict.fromkeys(pages, 200)
    assert all(r.headers["Content-Type"].startswith("text/html") for p, r in pages.items() if p != "/static/style.css")
    assert pages["/static/style.css"].headers["Content-Type"].startswith("text/css")
    assert 'data-host="db-01" data-status="critical"' in pages["/"].body and 'data-group="r1"' in pages["/"].body
    assert {r.status for r in missing.values()} == {404}
    assert all("Traceback" not in r.body for r in [*pages.values(), *missing.values()])


def test_a_missing_state_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run(["--state", str(tmp_path / "state.db")])
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: no state file at") and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "state.db").exists()


def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    State(state).close()
    for args, said in [
        (["--listen", "8700"], "--listen '8700': use host:port"),
        (["--silent-after", "soon"], "--silent-after:"),
        (["--state", "postgresql://tg:hunter2@db/tg"], "needs the storage interface"),
        (["--inventory", str(tmp_path / "none.csv")], "none.csv"),
    ]:
        done = run(["--state", str(state), *args] if args[0] != "--state" else args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, (args, done.stderr)
        assert said in done.stderr and done.stderr.count("\n") == 1, (args, done.stderr)
        assert "hunter2" not in done.stderr
