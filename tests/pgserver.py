"""A real PostgreSQL from Debian's packages, started for the tests (and ``benchmarks/store.py``).

``initdb`` into a temp dir, ``postgres`` listening on 127.0.0.1 on a free port with password
authentication (so tests can show the password never leaks), stopped at the end of the session.
As root the server runs as the ``postgres`` user Debian creates (else ``nobody``): initdb refuses
root. Outside CI a machine without PostgreSQL skips these tests with the reason; in CI
(``CI=true``) it fails them (``.ci/run`` installs ``postgresql``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "pg-test-s3cret-Zq7"
"""The superuser's password: tests check it appears in no output."""
USER = "tasseograph"
INSTALL = "apt-get install postgresql"


def pg_bin() -> Path | None:
    """Debian's PostgreSQL binaries (the newest version installed), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster in a temp dir on 127.0.0.1 (``durable`` keeps fsync on: benchmarks)."""

    def __init__(self, *, durable: bool = False) -> None:
        binaries = pg_bin()
        if binaries is None:
            raise FileNotFoundError(f"PostgreSQL is not installed ({INSTALL})")
        self.bin = binaries
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="tasseograph-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._as: dict[str, Any] = {}
        if os.geteuid() == 0:
            user = "postgres" if _has_user("postgres") else "nobody"
            entry = pwd.getpwnam(user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._as = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def start(self) -> PgServer:
        """initdb, start, wait until it accepts connections."""
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
        if self._as:
            os.chown(pwfile, self._as["user"], self._as["group"])
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                   "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C"])
        options = ["-c", "listen_addresses=127.0.0.1", "-c", f"port={self.port}", "-c",
                   f"unix_socket_directories={self.root}", "-c", "max_connections=100", "-c", "fsync=on"]
        if not self.durable:  # a test server: nothing here must outlive a power cut
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = (self.root / "server.log").open("wb")
        self.proc = subprocess.Popen([str(self.bin / "postgres"), "-D", str(self.data), *options],
                                     stdout=log, stderr=subprocess.STDOUT, **self._as)
        self._wait()
        return self

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(argv, capture_output=True, timeout=120, check=False, cwd=self.root, **self._as)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stderr.decode(errors='replace')[-2000:]}")

    def _wait(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {(self.root / 'server.log').read_text(errors='replace')[-2000:]}")
            done = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                  capture_output=True, check=False)
            if done.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not accept connections in time")

    def url(self, database: str = "postgres", *, password: bool = True) -> str:
        """A URL for ``database`` (with the password in it, as an operator might write it)."""
        secret = f":{PASSWORD}" if password else ""
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its files."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def need_postgres() -> None:
    """Skip (outside CI) or fail (in CI) when PostgreSQL or psycopg is missing."""
    reason = None
    if pg_bin() is None:
        reason = f"PostgreSQL is not installed ({INSTALL})"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            reason = "psycopg is not installed (pip install -e '.[test]')"
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for the session (skipped or failed as ``need_postgres`` says)."""
    need_postgres()
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


_counter = iter(range(1, 1_000_000))


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh empty database on the session's server, dropped after the test."""
    name = f"t{os.getpid()}_{next(_counter)}"
    url = pg_server.create_database(name)
    yield url
    import psycopg

    with contextlib.suppress(psycopg.Error), psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
