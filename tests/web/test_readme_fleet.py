"""The README's "Fleet page" command, word for word, on the state its "Try it on one machine"
steps build (run as written, with a stand-in Alertmanager for the demo's)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.runner.conftest import FakeAlertmanager
from tests.web.serving import fetch

README = (REPO / "README.md").read_text(encoding="utf-8")
TRY = README.split("### Try it on one machine", 1)[1].split("\n### ", 1)[0]
FLEET = README.split("### Fleet page\n", 1)[1].split("\n## ", 1)[0]


def test_the_fleet_page_command_serves_the_demo_state(tmp_path: Path) -> None:
    demo = re.findall(r"```sh\n(.*?)```", TRY, flags=re.S)[0]
    steps = demo[demo.index("# 2. "):demo.index("# 5. ")]  # spool, config, one cycle (step 1 starts Alertmanager)
    (command,) = [line for line in re.findall(r"```sh\n(.*?)```", FLEET, flags=re.S)[0].splitlines()
                  if line.startswith("tasseograph dashboard")]
    am = FakeAlertmanager()
    env = {**os.environ, "TG": str(tmp_path), "TASSEOGRAPH_DISABLE_PLUGINS": "1", "PYTHONUNBUFFERED": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    try:
        built = subprocess.run(["bash", "-e", "-c", steps.replace("http://127.0.0.1:9093", am.url)], env=env,
                               capture_output=True, text=True, timeout=300, check=False)
    finally:
        am.close()
    assert built.returncode == 0, built.stderr
    # The command as written; only the port is free-picked, so the test never clashes with a real one.
    proc = subprocess.Popen(["bash", "-c", f"exec {command} --listen 127.0.0.1:0"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        found = re.search(r"(http://127\.0\.0\.1:\d+)/", proc.stdout.readline())
        assert found, proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
        fleet = fetch(found.group(1) + "/")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert fleet.status == 200
    tiles = re.findall(r'data-host="([^"]+)" data-status="([^"]+)"', fleet.body)
    assert tiles == [("web-01", "critical"), ("db-01", "ok")]
    assert "caps unknown" not in fleet.body  # --config gave the page the runner's spend caps
