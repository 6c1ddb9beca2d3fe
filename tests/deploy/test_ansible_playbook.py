"""deploy/ansible/pull-dmesg.yml run for real (ansible-core, local connection) against stand-in
``journalctl`` and ``dmesg`` commands: the spool gets only new lines, written atomically, the
cursor follows, and ``tasseograph run --once`` turns the pulled lines into a verdict."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runner.conftest import CRITICAL_LINE

PLAYBOOK = Path(__file__).resolve().parents[2] / "deploy" / "ansible" / "pull-dmesg.yml"
HOST = "node07"

FAKE_JOURNALCTL = """#!{python}
# Stand-in for `journalctl -k -o short-monotonic --no-pager --show-cursor [-b | --after-cursor=C]`:
# entries are [cursor, line] pairs in $FAKE_JOURNAL, printed after the cursor, then the last cursor.
import json, os, sys
entries = json.load(open(os.environ["FAKE_JOURNAL"], encoding="utf-8"))
after = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--after-cursor=")), None)
start = next((i + 1 for i, (c, _) in enumerate(entries) if c == after), 0) if after else 0
new = entries[start:]
for _, line in new:
    print(line)
print(f"-- cursor: {{new[-1][0]}}" if new else "-- No entries --")
"""
FAKE_DMESG = """#!/bin/sh
cat "$FAKE_DMESG"
"""


def _ansible() -> str:
    found = shutil.which("ansible-playbook")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("ansible-playbook missing in CI: the [test] extra installs ansible-core")
        pytest.skip("ansible-playbook not installed (pip install ansible-core)")
    return found


class Collector:
    """A collector host's folders, the stand-in commands, and one way to run the playbook."""

    def __init__(self, root: Path, *, journal: bool) -> None:
        self.root, self.journal = root, journal
        self.spool, self.cursors = root / "spool", root / "cursors"
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        (self.bin / "journalctl").write_text(FAKE_JOURNALCTL.format(python=sys.executable), encoding="utf-8")
        (self.bin / "dmesg").write_text(FAKE_DMESG, encoding="utf-8")
        for tool in self.bin.iterdir():
            tool.chmod(0o755)
        self.socket = root / "journal-socket"
        if journal:
            self.socket.touch()
        self.inventory = root / "inventory"
        self.inventory.write_text(f"{HOST} ansible_connection=local ansible_python_interpreter={sys.executable}\n",
                                  encoding="utf-8")
        self.entries: list[list[str]] = []
        self.dmesg: list[str] = []

    def log(self, *lines: str) -> None:
        """New kernel lines appear on the host (journal entries or the dmesg ring buffer)."""
        for line in lines:
            n = len(self.entries) + len(self.dmesg) + 1
            if self.journal:
                self.entries.append([f"s=abc;i={n:x}", f"[{n:8d}.000000] {HOST} kernel: {line}"])
            else:
                self.dmesg.append(f"[{n:8d}.000000] {line}")

    def pull(self) -> None:
        (self.root / "journal.json").write_text(json.dumps(self.entries), encoding="utf-8")
        (self.root / "dmesg.txt").write_text("".join(f"{x}\n" for x in self.dmesg), encoding="utf-8")
        env = {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
               "FAKE_JOURNAL": str(self.root / "journal.json"), "FAKE_DMESG": str(self.root / "dmesg.txt"),
               "ANSIBLE_LOCAL_TEMP": str(self.root / "ansible-local"),
               "ANSIBLE_REMOTE_TEMP": str(self.root / "ansible-remote"),
               "ANSIBLE_HOME": str(self.root / "ansible-home"), "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_PIPELINING": "True", "ANSIBLE_RETRY_FILES_ENABLED": "False"}
        extra = {"spool_dir": str(self.spool), "cursor_dir": str(self.cursors), "journal_socket": str(self.socket),
                 "ansible_become": False}
        proc = subprocess.run([_ansible(), "-i", str(self.inventory), str(PLAYBOOK), "-e", json.dumps(extra)],
                              env=env, capture_output=True, text=True, timeout=240, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]

    def spooled(self) -> list[list[str]]:
        """Every spool file of the host, oldest first, as its lines."""
        return [p.read_text(encoding="utf-8").splitlines() for p in sorted((self.spool / HOST).glob("*.log"))]

    def cursor(self) -> str:
        return (self.cursors / HOST).read_text(encoding="utf-8").strip()


@pytest.fixture(params=["journal", "dmesg"])
def collector(request: pytest.FixtureRequest, tmp_path: Path) -> Collector:
    _ansible()
    return Collector(tmp_path, journal=request.param == "journal")


def test_each_pull_spools_only_new_lines_and_the_runner_judges_them(collector: Collector, tmp_path: Path) -> None:
    collector.log("usb 1-1: new high-speed USB device number 2 using xhci_hcd", CRITICAL_LINE)
    collector.pull()
    (first,) = collector.spooled()
    assert len(first) == 2 and first[1].endswith(CRITICAL_LINE)
    cursor = collector.cursor()
    assert cursor == ("s=abc;i=2" if collector.journal else f"dmesg:{_boot_id()}:2.000000")
    assert not list(collector.spool.rglob(".*.tmp"))  # published by rename, temp name gone

    collector.pull()  # nothing new: no file, same cursor
    assert len(collector.spooled()) == 1 and collector.cursor() == cursor

    collector.log("nvme nvme0: I/O 12 QID 3 timeout, aborting")
    collector.pull()
    first_again, second = collector.spooled()
    assert first_again == first and len(second) == 1 and "QID 3 timeout" in second[0]
    assert collector.cursor() != cursor

    state = tmp_path / "state.db"
    proc = subprocess.run([sys.executable, "-c", "from tasseograph.cli import main; main()", "run", "--once",
                           "--spool", str(collector.spool), "--state", str(state), "--model", "rules"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    conn = sqlite3.connect(state)
    try:
        rows = conn.execute("SELECT host, verdict FROM verdicts").fetchall()
    finally:
        conn.close()
    statuses = sorted(json.loads(verdict)["status"] for _, verdict in rows)
    assert {host for host, _ in rows} == {HOST} and statuses == ["critical", "warning"]


def _boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="utf-8").strip()
