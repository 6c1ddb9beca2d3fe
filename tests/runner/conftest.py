"""Fixtures for the runner tests: spool writer, config builder, keyword model, fake Alertmanager,
and (for ``integration`` tests) a real Prometheus and Alertmanager started on loopback ports."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tasseograph.errors import ModelAPIError
from tasseograph.models.base import ModelReply, ModelRequest
from tasseograph.runner.config import RunnerConfig
from tasseograph.runner.sources import build_sources
from tasseograph.runner.state import State
from tasseograph.runner.worker import Runner
from tasseograph.schema import Usage

CRITICAL_LINE = "EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0"
"""A line the signal catalogue (and so the ``rules`` model) calls critical memory."""
_KEYWORD = re.compile(r"TEST-(CRIT|WARN)-(memory|storage|network|thermal|driver)")
_BLOCK = re.compile(r'<kernel_log host="([^"]*)">\n(.*?)</kernel_log>', re.DOTALL)


class KeywordModel:
    """Test double: flags ``TEST-CRIT-<category>`` / ``TEST-WARN-<category>`` tokens.

    Single-host requests are judged on ``request.delta``; batch requests (the batch prompt's
    ``<kernel_log host="...">`` blocks) per block, answering with the block's host attribute
    as shown (so redaction placeholders come back as a real model would send them).
    ``fail(request)`` may raise to inject API errors.
    """

    __test__ = False

    def __init__(self, *, local: bool = False, price_id: str | None = None, usage: Usage | None = None,
                 fail: Callable[[ModelRequest], None] | None = None, name: str = "fake:keyword") -> None:
        self.name, self.local, self.price_id = name, local, price_id
        self.usage = usage or Usage()
        self.fail = fail
        self.calls: list[ModelRequest] = []

    async def complete(self, request: ModelRequest) -> ModelReply:
        self.calls.append(request)
        if self.fail is not None:
            self.fail(request)
        if '"host"' in json.dumps(request.schema) and "<kernel_log host=" in request.user:
            issues = [dict(_issue(m), host=host) for host, body in _BLOCK.findall(request.user)
                      for m in _KEYWORD.finditer(body)]
        else:
            issues = [_issue(m) for line in request.delta.lines for m in _KEYWORD.finditer(line.raw)]
        status = "critical" if any(i["severity"] == "critical" for i in issues) else ("warning" if issues else "ok")
        return ModelReply(data={"status": status, "issues": issues}, usage=self.usage, model_id=self.name)


def _issue(m: re.Match[str]) -> dict[str, str]:
    severity = "critical" if m.group(1) == "CRIT" else "warning"
    return {"severity": severity, "category": m.group(2), "summary": f"{m.group(2)} {severity} test",
            "evidence": m.group(0)}


def api_error(retryable: bool = True) -> ModelAPIError:
    """A translated API error, as the backends raise it."""
    return ModelAPIError("fake: HTTP 529 overloaded", model="fake", status_code=529, retryable=retryable)


def write_spool(root: Path, host: str, name: str, text: str | bytes, *, age: float = 120.0) -> Path:
    """Drop a file into ``root/host/`` atomically (temp name, rename) with an mtime ``age`` s ago."""
    folder = root / host
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    tmp.write_bytes(text.encode() if isinstance(text, str) else text)
    final = folder / name
    os.replace(tmp, final)
    stamp = time.time() - age
    os.utime(final, (stamp, stamp))
    return final


def make_config(tmp_path: Path, **overrides: Any) -> RunnerConfig:
    """Test defaults (spool in tmp, no adaptive polling, instant retries) plus dotted overrides."""
    base = {
        "state": str(tmp_path / "state.db"), "sources.spool.dir": str(tmp_path / "spool"),
        "sources.spool.settle": 0, "polling.adaptive": False, "retry.base": 0.0, "retry.max": 0.0,
        "alerts.resolve_after": 0, "alerts.resolve_after_checks": 1,
    }
    return RunnerConfig().with_overrides({**base, **overrides})


def make_runner(config: RunnerConfig, **kwargs: Any) -> Runner:
    """A runner on the config's state and sources (close ``runner.state`` when done)."""
    return Runner(config, State(config.state), build_sources(config), **kwargs)


# --- a tiny Alertmanager receiver ------------------------------------------------------------


class FakeAlertmanager:
    """Records ``POST /api/v2/alerts`` bodies; ``fail_next`` answers 500 that many times."""

    def __init__(self) -> None:
        self.posts: list[list[dict[str, Any]]] = []
        self.headers: list[dict[str, str]] = []
        """Request headers of every post (accepted or failed)."""
        self.fail_next = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def alerts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [a for post in self.posts for a in post]

    def episodes(self) -> dict[str, set[str]]:
        """Label set (canonical JSON) to the distinct ``startsAt`` values posted for it."""
        out: dict[str, set[str]] = {}
        for a in self.alerts():
            out.setdefault(json.dumps(a["labels"], sort_keys=True), set()).add(a["startsAt"])
        return out

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake._lock:
                    fake.headers.append(dict(self.headers))
                    failing = fake.fail_next > 0
                    fake.fail_next -= failing
                    if not failing:
                        fake.posts.append(body)
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def fake_am() -> Iterator[FakeAlertmanager]:
    am = FakeAlertmanager()
    yield am
    am.close()


# --- real Prometheus and Alertmanager (integration) ---------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_binary(*names: str) -> str:
    """Path of the first binary found; skipped outside CI, a failure in CI (``CI=true``)."""
    for name in names:
        path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
        if path:
            return path
    reason = f"{' or '.join(names)} not installed (apt-get install prometheus prometheus-alertmanager)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the integration tests: {reason}")
    pytest.skip(reason)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout}s")


def _start(argv: list[str], url: str, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_ready(url, proc)
    except RuntimeError:
        proc.kill()
        raise RuntimeError(f"{argv[0]} did not start: {log.read_text(errors='replace')[-2000:]}") from None
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Alertmanager on 127.0.0.1 (grouping by host and category); yields its URL."""
    work = tmp_path_factory.mktemp("alertmanager")
    (work / "am.yml").write_text(
        "route:\n  receiver: devnull\n  group_by: [host, category]\n  group_wait: 1s\n"
        "receivers:\n  - name: devnull\n", encoding="utf-8")
    yield from run_alertmanager(work / "am.yml", work)


def run_alertmanager(config: Path, work: Path) -> Iterator[str]:
    """Run Debian's Alertmanager on a loopback port with ``config``; yields its URL, stops it after."""
    binary = find_binary("prometheus-alertmanager", "alertmanager")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start([binary, f"--config.file={config}", f"--storage.path={work / 'data'}",
                   f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="], url, work / "log")
    yield url
    _stop(proc)


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real Prometheus scraping ``127.0.0.1:<target port>`` every second; yields (URL, target port)."""
    binary = find_binary("prometheus")
    work = tmp_path_factory.mktemp("prometheus")
    target = free_port()
    (work / "prom.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"scrape_configs:\n  - job_name: tasseograph\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n",
        encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start([binary, f"--config.file={work / 'prom.yml'}", f"--storage.tsdb.path={work / 'data'}",
                   f"--web.listen-address=127.0.0.1:{port}"], url, work / "log")
    yield url, target
    _stop(proc)
