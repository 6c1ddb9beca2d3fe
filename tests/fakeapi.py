"""A local fake of the Anthropic Messages API and OpenAI chat completions, with fault injection.

The real SDKs talk HTTP to it on 127.0.0.1, so tests exercise their request shaping, retries,
timeouts and error classes without a network. Its answers test PLUMBING ONLY: scripted replies,
or a deterministic function of the request (by default the project's signal catalogue run on
the log in the prompt). Never report them as model quality.

Endpoints (real wire format, usage included)::

    POST /v1/messages                     Anthropic message (tool_use block when a tool is forced)
    POST /v1/messages/count_tokens        {"input_tokens": n} (characters / 4)
    POST /v1/messages/batches             creates a batch, answered at once by the same logic
    GET  /v1/messages/batches/{id}        status (``ended`` after ``batch_polls`` GETs)
    GET  /v1/messages/batches/{id}/results   JSONL, one line per request
    POST /v1/chat/completions             OpenAI chat completion

Use in tests. Fixtures (at the bottom): ``fake_api_server`` (session), ``fake_api`` (reset per
test; fails if scripted steps go unused), ``cassette`` (record/replay). ``tests/models/conftest.py``
imports them; elsewhere ``from tests.fakeapi import cassette_fixture, fake_api_fixture,
fake_api_server_fixture  # noqa: F401``::

    def test_x(fake_api):                       # function-scoped: reset before each test
        fake_api.script(rate_limited(), ok({"status": "ok", "issues": []}))
        model = AnthropicModel("claude-haiku-4-5", base_url=fake_api.url, api_key=TEST_KEY)
        ...
        assert fake_api.request_count == 2

Steps for ``script`` (consumed in order by the next requests, any endpoint):
``ok(data)``, ``text(s)`` (reply content as-is: prose, fences, thinking), ``fenced(data)``,
``thinking(data)``, ``rate_limited(retry_after)``, ``overloaded()``, ``server_error(500)``,
``timeout(seconds)`` (sleeps past the client timeout, then answers), ``garbage()`` (HTTP 200 whose
body is not JSON), ``error(status, type, message)``. Without a script the ``responder`` answers
(``rules_responder`` by default). Random faults: ``FakeAPIServer(fault_rate=0.2, seed=1)``.

Every response carries the header ``x-tasseograph-fake-server: 1``
(``tasseograph.models.common.FAKE_SERVER_HEADER``): the backends note it on their replies, so a
run answered by this server (or by a cassette recorded from it) is labelled plumbing whatever
its host name. ``FakeAPIServer(reject_json_schema=True)`` (or the attribute, or
``--reject-json-schema``) answers HTTP 500 to an OpenAI ``response_format`` of type
``json_schema``, as llama.cpp's server does, and accepts ``json_object``.

Usage: input tokens = characters / 4 of the user turns; when the system block carries
``cache_control`` the system tokens are written to the fake cache the first time that exact
system text is seen and read from it afterwards (only when at least ``cache_min_tokens`` long,
like the real API's minimum cacheable prefix). ``ok(data, usage={...})`` overrides it.

Outside pytest (for the eval and runner engineers)::

    python -m tests.fakeapi --port 8765 [--fault-rate 0.1 --seed 1]
    ANTHROPIC_BASE_URL=http://127.0.0.1:8765 ANTHROPIC_API_KEY=sk-fake tasseograph analyze ...

or in code: ``with FakeAPIServer() as server: ... server.url``.

Cassettes (vcrpy) for replay without the server: see ``cassette`` and ``RECORD_ENV`` below.
Re-record with ``TASSEOGRAPH_RECORD=1 python -m pytest tests/models tests/test_pipeline_llm.py``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tasseograph.models.common import FAKE_SERVER_HEADER

TEST_KEY = "sk-ant-test-FAKE-0123456789abcdef"
"""The API key tests use; a test scans every cassette and log for it."""
SECRET_HEADERS = ("x-api-key", "authorization", "cookie")
CREATED_AT = "2026-01-01T00:00:00Z"


# --- steps -------------------------------------------------------------------------------


@dataclass
class Step:
    """What the server does for one request."""

    kind: str
    """``reply`` (content from data/text), ``error``, ``garbage``."""
    data: dict[str, Any] | None = None
    text: str | None = None
    status: int = 200
    error_type: str = ""
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to sleep before answering (a timeout when past the client's)."""
    usage: dict[str, Any] | None = None
    """Usage fields to override (OpenAI's may nest, e.g. ``prompt_tokens_details``)."""
    code: str | None = None


def ok(data: dict[str, Any] | None = None, *, usage: dict[str, Any] | None = None) -> Step:
    """A well-formed reply carrying ``data`` (default: status ok, no issues)."""
    return Step("reply", data=data if data is not None else {"status": "ok", "issues": []}, usage=usage)


def text(body: str, *, usage: dict[str, Any] | None = None) -> Step:
    """A reply whose content is ``body`` verbatim (a text block even when a tool was forced)."""
    return Step("reply", text=body, usage=usage)


def fenced(data: dict[str, Any]) -> Step:
    """JSON wrapped in prose and a code fence."""
    return text(f"Here is my analysis of the log.\n```json\n{json.dumps(data, indent=2)}\n```\nHope this helps!")


def thinking(data: dict[str, Any]) -> Step:
    """JSON after a thinking block."""
    return text(f"<thinking>The log mentions {{braces}} and errors; let me decide.</thinking>\n{json.dumps(data)}")


def error(
    status: int, error_type: str, message: str, headers: dict[str, str] | None = None, *, code: str | None = None
) -> Step:
    """An API error in the provider's error format (``code``: Anthropic ``error.details.error_code``)."""
    return Step("error", status=status, error_type=error_type, message=message, headers=headers or {}, code=code)


def rate_limited(retry_after: float = 0.001) -> Step:
    """429 with ``retry-after`` (seconds; small so SDK retries are fast in tests)."""
    # retry-after-ms wins in the SDKs and is exact; retry-after is what real servers send.
    ms = {"retry-after-ms": str(int(retry_after * 1000) or 1), "retry-after": f"{retry_after:g}"}
    return error(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit.", ms)


def overloaded() -> Step:
    """529 overloaded (retried by the SDK)."""
    return error(529, "overloaded_error", "Overloaded", {"retry-after-ms": "1"})


def server_error(status: int = 500) -> Step:
    """A 5xx ``api_error`` (retried by the SDK)."""
    return error(status, "api_error", "Internal server error", {"retry-after-ms": "1"})


def timeout(seconds: float = 2.0) -> Step:
    """Sleep ``seconds`` before a normal reply (set the client timeout below it)."""
    return Step("reply", data={"status": "ok", "issues": []}, delay=seconds)


def garbage() -> Step:
    """HTTP 200 whose body is not JSON (a broken proxy)."""
    return Step("garbage", text="<html><body>502 upstream hiccup</body></html>")


# --- deterministic responders --------------------------------------------------------------


def prompt_text(body: dict[str, Any]) -> str:
    """All user-visible text of a request (user turns of either API)."""
    parts: list[str] = []
    for message in body.get("messages", []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(b.get("text", "") for b in content if isinstance(b, dict))
    return "\n".join(parts)


def rules_responder(body: dict[str, Any]) -> dict[str, Any]:
    """The signal catalogue on the prompt's lines: a deterministic stand-in, not a model."""
    from tasseograph.parsing import parse_delta
    from tasseograph.signals import detect

    lines = parse_delta(prompt_text(body)).lines
    issues = [
        {"severity": h.severity, "category": h.category, "summary": h.summary, "evidence": "\n".join(h.evidence)}
        for h in detect(lines)
    ]
    rank = {"ok": 0, "warning": 1, "critical": 2}
    status = max((i["severity"] for i in issues), key=rank.__getitem__, default="ok")
    return {"status": status, "issues": issues}


def ok_responder(body: dict[str, Any]) -> dict[str, Any]:
    """Always ``{"status": "ok", "issues": []}``."""
    return {"status": "ok", "issues": []}


def estimate_tokens(text: str) -> int:
    """Characters / 4, rounded up (the fake's token count; real tokenizers differ)."""
    return (len(text) + 3) // 4


# --- the server ----------------------------------------------------------------------------


@dataclass
class Recorded:
    """One request as the server saw it (secret headers replaced by ``<redacted>``)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeAPIServer:
    """Threaded fake API server on 127.0.0.1 (random port by default).

    Args:
        port: 0 for a free port.
        responder: answers unscripted requests: ``f(request_json) -> reply dict``.
        fault_rate: probability that an unscripted request gets a random fault instead.
        faults: the fault steps drawn from (default: 429, 529, 500, non-JSON text).
        seed: seed of the fault draw, for reproducible runs.
        cache_min_tokens: shortest system prompt the fake cache stores (the real minimum is
            per model: 4096 on Haiku 4.5).
        batch_polls: status GETs a batch answers ``in_progress`` before ``ended``.
        reject_json_schema: answer HTTP 500 to OpenAI ``response_format`` ``json_schema``
            (llama.cpp's server does); ``json_object`` is accepted.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        responder: Callable[[dict[str, Any]], dict[str, Any]] = rules_responder,
        fault_rate: float = 0.0,
        faults: tuple[Callable[[], Step], ...] | None = None,
        seed: int = 0,
        cache_min_tokens: int = 0,
        batch_polls: int = 0,
        reject_json_schema: bool = False,
    ) -> None:
        self.responder = responder
        self.reject_json_schema = reject_json_schema
        self.fault_rate = fault_rate
        self.faults = faults or (rate_limited, overloaded, server_error, lambda: text("I cannot comply."))
        self.cache_min_tokens = cache_min_tokens
        self.batch_polls = batch_polls
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._queue: deque[Step] = deque()
        self._cache: set[str] = set()
        self._batches: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    # lifecycle
    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL for the Anthropic SDK (``base_url=``, ``ANTHROPIC_BASE_URL``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        """Base URL for the OpenAI SDK (ends in ``/v1``)."""
        return f"{self.url}/v1"

    def start(self) -> FakeAPIServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fakeapi", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (sleeping handlers wake up and give up)."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeAPIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # scripting
    def script(self, *steps: Step) -> None:
        """Queue steps for the next requests, in order."""
        with self._lock:
            self._queue.extend(steps)

    def reset(self) -> None:
        """Forget the script, the request log, the cache, the batches and the fault settings."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self._cache.clear()
            self._batches.clear()
        self.fault_rate, self.responder, self.batch_polls = 0.0, rules_responder, 0
        self.reject_json_schema = False

    @property
    def request_count(self) -> int:
        """Requests received since the last reset."""
        return len(self.requests)

    @property
    def pending(self) -> int:
        """Scripted steps not consumed yet."""
        return len(self._queue)

    def next_id(self, prefix: str) -> str:
        """A fresh, deterministic-per-run id."""
        return f"{prefix}_fake_{next(self._ids):06d}"

    def _next_step(self) -> Step | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self.fault_rate and self._rng.random() < self.fault_rate:
                return self._rng.choice(self.faults)()
        return None

    # building replies
    def anthropic_message(self, body: dict[str, Any], step: Step | None) -> dict[str, Any]:
        """A Messages API reply for ``body``."""
        choice = body.get("tool_choice") or {}
        forced = choice.get("name") if choice.get("type") == "tool" else None
        content: list[dict[str, Any]]
        if step is not None and step.text is not None:
            content, payload = [{"type": "text", "text": step.text}], step.text
        else:
            data = step.data if step is not None and step.data is not None else self.responder(body)
            payload = json.dumps(data)
            content = (
                [{"type": "tool_use", "id": self.next_id("toolu"), "name": forced, "input": data}]
                if forced else [{"type": "text", "text": payload}]
            )
        usage = self._anthropic_usage(body, payload)
        if step is not None and step.usage:
            usage.update(step.usage)
        return {
            "id": self.next_id("msg"), "type": "message", "role": "assistant", "model": body.get("model", ""),
            "content": content, "stop_reason": "tool_use" if content[0]["type"] == "tool_use" else "end_turn",
            "stop_sequence": None, "usage": usage,
        }

    def _anthropic_usage(self, body: dict[str, Any], payload: str) -> dict[str, Any]:
        system = body.get("system") or []
        blocks = [{"text": system}] if isinstance(system, str) else system
        sys_text = "".join(b.get("text", "") for b in blocks)
        cached_marked = any("cache_control" in b for b in blocks)
        sys_tokens = estimate_tokens(sys_text)
        write = read = 0
        if cached_marked and sys_tokens >= max(self.cache_min_tokens, 1):
            with self._lock:
                if sys_text in self._cache:
                    read = sys_tokens
                else:
                    self._cache.add(sys_text)
                    write = sys_tokens
        others = 0 if (write or read) else sys_tokens
        return {
            "input_tokens": estimate_tokens(prompt_text(body)) + others,
            "output_tokens": estimate_tokens(payload),
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        }

    def openai_completion(self, body: dict[str, Any], step: Step | None) -> dict[str, Any]:
        """A chat completion for ``body``."""
        if step is not None and step.text is not None:
            content = step.text
        else:
            content = json.dumps(step.data if step is not None and step.data is not None else self.responder(body))
        prompt = sum(estimate_tokens(str(m.get("content", ""))) for m in body.get("messages", []))
        usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": estimate_tokens(content)}
        if step is not None and step.usage:
            usage.update(step.usage)
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return {
            "id": self.next_id("chatcmpl"), "object": "chat.completion", "created": 1767225600,
            "model": body.get("model", ""),
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": content}}],
            "usage": usage,
        }

    # batches
    def create_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer every request of a batch now; status and results are served later."""
        batch_id = self.next_id("msgbatch")
        results = [self._batch_line(item) for item in body.get("requests", [])]
        self._batches[batch_id] = {"results": results, "polls": 0}
        return self.batch_object(batch_id, ended=False)

    def _batch_line(self, item: dict[str, Any]) -> dict[str, Any]:
        step = self._next_step()
        if step is not None and step.kind == "error":
            err = {"type": "error", "error": {"type": step.error_type, "message": step.message},
                   "request_id": self.next_id("req")}
            return {"custom_id": item["custom_id"], "result": {"type": "errored", "error": err}}
        message = self.anthropic_message(item["params"], step)
        return {"custom_id": item["custom_id"], "result": {"type": "succeeded", "message": message}}

    def batch_object(self, batch_id: str, *, ended: bool) -> dict[str, Any]:
        """The MessageBatch JSON."""
        results = self._batches[batch_id]["results"]
        done = sum(r["result"]["type"] == "succeeded" for r in results)
        return {
            "id": batch_id, "type": "message_batch", "processing_status": "ended" if ended else "in_progress",
            "request_counts": {"processing": 0 if ended else len(results), "succeeded": done if ended else 0,
                               "errored": len(results) - done if ended else 0, "canceled": 0, "expired": 0},
            "created_at": CREATED_AT, "expires_at": "2026-01-02T00:00:00Z",
            "ended_at": CREATED_AT if ended else None, "archived_at": None, "cancel_initiated_at": None,
            "results_url": f"{self.url}/v1/messages/batches/{batch_id}/results" if ended else None,
        }

    def poll_batch(self, batch_id: str) -> dict[str, Any]:
        """Status for a GET: ``in_progress`` for the first ``batch_polls`` polls."""
        entry = self._batches[batch_id]
        entry["polls"] += 1
        return self.batch_object(batch_id, ended=entry["polls"] > self.batch_polls)


# --- HTTP handler --------------------------------------------------------------------------

_BATCH = re.compile(r"^/v1/messages/batches/([A-Za-z0-9_]+)(/results)?$")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeAPIServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    @property
    def fake(self) -> FakeAPIServer:
        return self.server.fake

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest captures stderr
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return self._send(400, _error_body(self.path.endswith("/completions"), "invalid_request_error", "not JSON"))
        self._record(body)
        self._route(body)

    def do_GET(self) -> None:
        self._record(None)
        self._route(None)

    def _record(self, body: Any) -> None:
        headers = {k.lower(): ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in self.headers.items()}
        with self.fake._lock:
            self.fake.requests.append(Recorded(self.command, self.path, headers, body))

    def _route(self, body: Any) -> None:
        path = self.path.split("?")[0]
        openai = path == "/v1/chat/completions"
        if self.command == "GET" and (m := _BATCH.match(path)):
            return self._batch_get(m.group(1), bool(m.group(2)))
        if path == "/v1/messages/count_tokens":
            return self._send(200, {"input_tokens": estimate_tokens(json.dumps(body))})
        if path == "/v1/messages/batches":
            return self._send(200, self.fake.create_batch(body))
        if path not in ("/v1/messages", "/v1/chat/completions"):
            return self._send(404, _error_body(openai, "not_found_error", f"no route {path}"))
        # Anthropic SDKs send x-api-key (0.x) or "Authorization: Bearer" (2.x); OpenAI the latter.
        if not (self.headers.get("x-api-key") or self.headers.get("authorization")):
            return self._send(401, _error_body(openai, "authentication_error", "missing API key"))
        self._answer(body, openai)

    def _answer(self, body: dict[str, Any], openai: bool) -> None:
        if openai and self.fake.reject_json_schema and (body.get("response_format") or {}).get("type") == "json_schema":
            # llama.cpp's wording: its request model takes only "text" and "json_object".
            message = ("1 validation error for CreateChatCompletionRequest response_format.type: Input should "
                       "be 'text' or 'json_object' [type=literal_error, input_value='json_schema']")
            return self._send(500, _error_body(True, "internal_server_error", message))
        step = self.fake._next_step()
        if step is not None and step.delay and self.fake._stopping.wait(step.delay):
            return
        if step is not None and step.kind == "error":
            return self._send(step.status, _error_body(openai, step.error_type, step.message, step.code), step.headers)
        if step is not None and step.kind == "garbage":
            return self._send_raw(200, (step.text or "").encode(), "text/html")
        reply = self.fake.openai_completion(body, step) if openai else self.fake.anthropic_message(body, step)
        self._send(200, reply)

    def _batch_get(self, batch_id: str, results: bool) -> None:
        if batch_id not in self.fake._batches:
            return self._send(404, _error_body(False, "not_found_error", f"no batch {batch_id}"))
        if not results:
            return self._send(200, self.fake.poll_batch(batch_id))
        lines = "".join(json.dumps(r) + "\n" for r in self.fake._batches[batch_id]["results"])
        self._send_raw(200, lines.encode(), "application/binary")

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_raw(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", self.fake.next_id("req"))
            self.send_header("x-request-id", self.fake.next_id("req"))
            self.send_header(FAKE_SERVER_HEADER, "1")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


def _error_body(openai: bool, error_type: str, message: str, code: str | None = None) -> dict[str, Any]:
    if openai:
        return {"error": {"message": message, "type": error_type, "code": code, "param": None}}
    err: dict[str, Any] = {"type": error_type, "message": message}
    if code:
        err["details"] = {"error_code": code}
    return {"type": "error", "error": err, "request_id": None}


# --- pytest fixtures and cassettes ---------------------------------------------------------

try:
    import pytest
except ImportError:  # pragma: no cover - running as a script without pytest
    pytest = None  # type: ignore[assignment]

RECORD_ENV = "TASSEOGRAPH_RECORD"
"""Set to 1 to re-record cassettes against the fake server (they are replayed otherwise)."""
DEAD_URL = "http://127.0.0.1:9"
"""Where replaying clients point: nothing listens there, so a request vcrpy lets through fails loudly."""

if pytest is not None:

    # Fixtures are defined under *_fixture names so modules that import them (conftest files,
    # test modules outside tests/models) do not shadow the import with the parameter name.
    @pytest.fixture(scope="session", name="fake_api_server")
    def fake_api_server_fixture() -> Iterator[FakeAPIServer]:
        """One fake API server for the whole session."""
        with FakeAPIServer() as server:
            yield server

    @pytest.fixture(name="fake_api")
    def fake_api_fixture(fake_api_server: FakeAPIServer) -> Iterator[FakeAPIServer]:
        """The session's fake server, reset for this test; fails if scripted steps go unused."""
        fake_api_server.reset()
        yield fake_api_server
        leftover = fake_api_server.pending
        fake_api_server.reset()
        assert leftover == 0, f"{leftover} scripted fake-API step(s) were never requested"

    @pytest.fixture(name="cassette")
    def cassette_fixture(request: pytest.FixtureRequest) -> Iterator[CassetteRun]:
        """Record (``TASSEOGRAPH_RECORD=1``) or replay ``tests/cassettes/<module>/<test>.yaml``.

        Replaying needs no server: clients use ``run.url``, a dead port, so the test fails if
        vcrpy does not intercept the SDK's transport. It also fails if any recorded interaction
        goes unplayed, and, when the test also uses ``fake_api_server``, if that live server
        saw any request.
        """
        recording = os.environ.get(RECORD_ENV) == "1"
        path = cassette_path(request)
        if not recording and not path.exists():
            rerecord = f"{RECORD_ENV}=1 python -m pytest {request.node.nodeid}"
            pytest.fail(f"missing cassette {path}; record it with {rerecord}")
        live = "fake_api_server" in request.fixturenames
        server = request.getfixturevalue("fake_api_server") if recording or live else None
        if server is not None:
            server.reset()
        if recording:
            path.unlink(missing_ok=True)
        run = CassetteRun(server, recording, path)
        mode = "all" if recording else "none"
        with make_vcr().use_cassette(str(path), record_mode=mode, allow_playback_repeats=False) as cass:
            run.cassette = cass
            yield run
        if recording:
            assert server is not None and server.pending == 0, "scripted steps went unused while recording"
        else:
            rerecord = f"{RECORD_ENV}=1 python -m pytest {request.node.nodeid}"
            assert cass.all_played, (
                f"{path}: {len(cass) - cass.play_count} recorded interaction(s) unplayed; if the request "
                f"bodies changed on purpose (prompt, compression), re-record with {rerecord}"
            )
            assert server is None or server.request_count == 0, "vcrpy let requests through to the server"


CASSETTE_DIR = Path(__file__).resolve().parent / "cassettes"


@dataclass
class CassetteRun:
    """A test's view of its cassette: where to point clients, and what to script."""

    server: FakeAPIServer | None
    """The live server while recording (or when the test asked for it); None otherwise."""
    recording: bool
    path: Path
    cassette: Any = None

    @property
    def url(self) -> str:
        """Anthropic base URL: the live fake server while recording, a dead port while replaying."""
        return self.server.url if self.recording and self.server is not None else DEAD_URL

    @property
    def openai_url(self) -> str:
        """OpenAI base URL (``/v1``), same rule as ``url``."""
        return f"{self.url}/v1"

    def script(self, *steps: Step) -> None:
        """Script the fake server (only while recording; replays answer from the cassette)."""
        if self.recording and self.server is not None:
            self.server.script(*steps)


def make_vcr() -> Any:
    """The project's vcrpy settings: secrets filtered, bodies matched, no repeats."""
    import vcr

    return vcr.VCR(
        filter_headers=list(SECRET_HEADERS),
        # The default matcher ignores the body, so every POST /v1/messages would look alike.
        match_on=["method", "path", "body"],
        decode_compressed_response=True,
    )


def cassette_path(request: Any) -> Path:
    """``tests/cassettes/<test module>/<test name>.yaml`` (parametrize ids made file-safe)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return CASSETTE_DIR / Path(str(request.path)).stem / f"{name}.yaml"


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.fakeapi --port N``: serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--responder", choices=["rules", "ok"], default="rules")
    parser.add_argument("--reject-json-schema", action="store_true", help="HTTP 500 to json_schema, as llama.cpp")
    args = parser.parse_args(argv)
    responder = rules_responder if args.responder == "rules" else ok_responder
    with FakeAPIServer(args.port, responder=responder, fault_rate=args.fault_rate, seed=args.seed,
                       reject_json_schema=args.reject_json_schema) as server:
        print(f"fake API on {server.url} (Anthropic) and {server.openai_url} (OpenAI); Ctrl-C stops", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
