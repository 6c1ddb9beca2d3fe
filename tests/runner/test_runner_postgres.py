"""``tasseograph run --state postgresql://...``: the runner on a real PostgreSQL, one runner and several.

The password in the URL appears in no output; a server that cannot be reached is one line and a
non-zero exit. Several runners sharing one database (one per process, as in production) store
each delta's verdict once and post each alert transition from one runner.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pgserver import PASSWORD, PgServer
from tests.runner.conftest import CRITICAL_LINE, FakeAlertmanager, write_spool
from tests.runner.test_runner_crash import write_config

TASSEOGRAPH = [sys.executable, "-c", "from tasseograph.cli import main; main()"]
ROUTINE = "usb 1-1: new high-speed USB device number 2 using xhci_hcd"


def pg_config(root: Path, url: str, am_url: str, *, lease: float = 5.0, claim_batch: int = 1000) -> Path:
    """The crash test's config (rules model, spool in ``root``) on ``url``, with ``[store]`` keys."""
    path = write_config(root, am_url)
    sqlite = root / "state.db"
    text = path.read_text(encoding="utf-8").replace(f'state = "{sqlite}"', f'state = "{url}"', 1)
    path.write_text(f"{text}[store]\nlease = {lease}\nclaim_batch = {claim_batch}\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def run_once(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TASSEOGRAPH, "run", "--once", "--config", str(config), *extra], capture_output=True,
                          text=True, timeout=180, check=False)


def verdicts(url: str) -> list[tuple[str, str]]:
    import psycopg  # the pg fixtures skip (or fail in CI) first when it is missing

    with psycopg.connect(url) as conn:
        return [(r[0], r[1]) for r in conn.execute("SELECT ref, verdict FROM verdicts ORDER BY ref")]


def test_a_runner_on_postgresql_stores_verdicts_and_alerts_and_never_shows_the_password(
        tmp_path: Path, pg_url: str) -> None:
    am = FakeAlertmanager()
    try:
        config = pg_config(tmp_path, pg_url, am.url)
        write_spool(tmp_path / "spool", "web1", "0001.log", f"[10.000] {CRITICAL_LINE}\n")
        write_spool(tmp_path / "spool", "db2", "0001.log", f"[11.000] {ROUTINE}\n")
        done = run_once(config, "-vv", "--textfile", str(tmp_path / "metrics.prom"))
        assert done.returncode == 0, done.stderr
        metrics = (tmp_path / "metrics.prom").read_text(encoding="utf-8")
        assert 'dmesg_llm_issues_total{category="memory",host="web1",severity="critical"} 1.0' in metrics
        listed = subprocess.run([*TASSEOGRAPH, "findings", "--config", str(config)], capture_output=True, text=True,
                                timeout=60, check=False)
        assert listed.returncode == 0 and "web1" in listed.stdout and "edac" in listed.stdout, listed.stderr
        assert PASSWORD not in done.stdout + done.stderr
        assert "***" in done.stderr or "127.0.0.1" not in done.stderr  # shown masked where shown at all
        stored = {ref.split("/")[0]: json.loads(v)["status"] for ref, v in verdicts(pg_url)}
        assert stored == {"web1": "critical", "db2": "ok"}
        assert [a["labels"]["host"] for a in am.alerts() if a["labels"].get("severity") == "critical"] == ["web1"]
        assert not list((tmp_path / "spool").rglob("*.log"))  # judged files are deleted as with SQLite

        check = subprocess.run([*TASSEOGRAPH, "state", "check", "--config", str(config)], capture_output=True,
                               text=True, timeout=60, check=False)
        assert check.returncode == 0, check.stderr
        assert PASSWORD not in check.stdout + check.stderr
        assert "verdicts" in check.stdout and "schema version" in check.stdout

        backup = subprocess.run([*TASSEOGRAPH, "state", "backup", str(tmp_path / "copy.db"), "--config", str(config)],
                                capture_output=True, text=True, timeout=60, check=False)
        assert backup.returncode != 0 and "pg_dump" in backup.stderr and "Traceback" not in backup.stderr
        assert PASSWORD not in backup.stderr
    finally:
        am.close()


@pytest.mark.parametrize("problem", ["wrong password", "no server"])
def test_an_unusable_postgresql_is_one_line_and_a_non_zero_exit(tmp_path: Path, pg_server: PgServer,
                                                                  problem: str) -> None:
    if problem == "wrong password":
        url = pg_server.url().replace(PASSWORD, "not-the-" + PASSWORD)
    else:
        import psycopg

        with psycopg.connect(pg_server.url()) as conn:  # a port nothing listens on: the server's, plus one
            (port,) = conn.execute("SHOW port").fetchone()
        url = pg_server.url().replace(f":{port}/", f":{int(port) + 1}/")
    write_spool(tmp_path / "spool", "web1", "0001.log", f"[10.000] {CRITICAL_LINE}\n")
    done = subprocess.run([*TASSEOGRAPH, "run", "--once", "--state", url, "--spool", str(tmp_path / "spool"),
                           "--model", "rules"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PostgreSQL" in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert PASSWORD not in done.stderr and PASSWORD not in done.stdout
    assert (tmp_path / "spool" / "web1" / "0001.log").exists()  # nothing read, nothing lost


def test_two_runners_started_at_once_migrate_once(pg_url: str) -> None:
    from tasseograph.store import open_store
    from tasseograph.store.schema import SCHEMA_VERSION

    code = ("import sys; from tasseograph.store import open_store; "
            "open_store(sys.argv[1]).close()")
    procs = [subprocess.Popen([sys.executable, "-c", code, pg_url], stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    store = open_store(pg_url)
    try:
        assert store.get_meta("schema_version") == SCHEMA_VERSION
    finally:
        store.close()


def test_runners_on_one_store_share_the_circuit_breaker(tmp_path: Path, pg_url: str) -> None:
    import asyncio

    from tasseograph.runner.sources import build_sources
    from tasseograph.runner.worker import Runner
    from tasseograph.store import open_store
    from tests.runner.conftest import KeywordModel, api_error, make_config

    def fail(_: object) -> None:
        raise api_error()

    config = make_config(tmp_path, **{"state": pg_url, "retry.failure_threshold": 2, "retry.open_for": 300,
                                      "model.concurrency": 1})
    models = {name: KeywordModel(fail=fail) for name in ("a", "b")}
    runners = {name: Runner(config, open_store(pg_url), build_sources(config), model=models[name],
                            fallback=KeywordModel(local=True, name="rules"), owner=f"runner-{name}")
               for name in ("a", "b")}
    try:
        for host, name in (("h0", "a"), ("h1", "b")):  # one failure on each runner: two in the store
            write_spool(tmp_path / "spool", host, "1.log", "[ 1.0] x\n")
            asyncio.run(runners[name].cycle())
        assert runners["a"].state.get_meta("circuit")["state"] == "open"
        write_spool(tmp_path / "spool", "h2", "1.log", "[ 1.0] TEST-CRIT-memory dimm\n")
        report = asyncio.run(runners["a"].cycle())
        assert [len(m.calls) for m in models.values()] == [1, 1]  # a saw b's failure: no call while open
        assert report.interim == 1 and runners["a"].state.queue_stats(time.time())[0] == 3
    finally:
        for runner in runners.values():
            runner.state.close()


def test_a_daemon_outlives_its_database_going_away(tmp_path: Path, pg_url: str, pg_server: PgServer) -> None:
    import psycopg

    from tests.runner.conftest import free_port

    config = tmp_path / "tasseograph.toml"
    config.write_text(f"""state = "{pg_url}"
[model]
name = "rules"
[sources.spool]
dir = "{tmp_path / 'spool'}"
settle = 0
[polling]
cycle = "200ms"
adaptive = false
[metrics]
textfile = "{tmp_path / 'metrics.prom'}"
listen = "127.0.0.1:{free_port()}"
""", encoding="utf-8")
    config.chmod(0o600)
    write_spool(tmp_path / "spool", "web1", "1.log", f"[ 5.0] {CRITICAL_LINE}\n")
    proc = subprocess.Popen([*TASSEOGRAPH, "run", "--config", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "metrics.prom").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (tmp_path / "metrics.prom").exists(), "no first pass"
        name = pg_url.rsplit("/", 1)[1]
        with psycopg.connect(pg_server.url(), autocommit=True) as conn:  # the database goes away under it
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        time.sleep(2.0)  # several cycles against no database
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "PostgreSQL" in err and "Traceback" not in err and PASSWORD not in err
