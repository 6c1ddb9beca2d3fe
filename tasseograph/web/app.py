"""The fleet page as a Starlette application: routes, templates, error pages, response headers.

Read-only by construction: every route answers GET (and HEAD) only, and every request opens
the state with a read-only connection of its own (``queries.open_reader``), so the page is safe
beside a running runner and can never change what the runner decided.

Log lines are untrusted text. Templates autoescape everything, and the pages need no script:
the Content-Security-Policy forbids every script and every fetch but the page's own stylesheet
and the plots inlined as ``data:`` images, so a line holding ``<script>`` can only be shown.

Error pages are one line a person can act on, never a traceback: an unknown host or finding is
404, a bad filter 400, a state that cannot be read (missing, damaged, another schema) 503, and
anything unexpected 500 (its traceback goes to the dashboard's log).
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasseograph.errors import StateError, UnknownFindingError, UsageError
from tasseograph.runner import findingsview as view
from tasseograph.schema import CATEGORIES
from tasseograph.web import pages
from tasseograph.web.filters import SEVERITIES, STATE_CHOICES, parse_filter
from tasseograph.web.queries import open_reader

STATIC = Path(__file__).resolve().parent / "static"
HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # The pages hold raw kernel log lines: no proxy or browser cache keeps a copy.
    "Cache-Control": "no-store",
}
REFRESH_S = 60
"""The fleet and checks pages reload themselves this often (a wall display stays current)."""


class SecurityHeaders:
    """Adds ``HEADERS`` to every response, error pages included (pure ASGI: no response buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def templates() -> Environment:
    """The page templates: autoescaped, strict about undefined names."""
    env = Environment(loader=PackageLoader("tasseograph.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(ago=pages.ago, iso=view.iso, is_host=pages.is_host, state_text=view.state_text,
                       device_text=pages.device_text)
    env.filters["urlencode"] = lambda text: quote(str(text), safe="")
    return env


def create_app(site: pages.Site, *, clock: Callable[[], float] = time.time) -> ASGIApp:
    """The fleet page over ``site.state`` (see the module docstring); ``clock`` gives "now"."""
    env = templates()

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        body = env.get_template(name).render({"site": site, "now": clock(), "refresh": 0, "nav": "", **context})
        return HTMLResponse(body, status_code=status)

    def fleet(request: Request) -> Response:
        with open_reader(site.state) as reader:
            page = pages.fleet(reader, site, clock(), request.query_params.get("group"))
        return render("fleet.html", view=page, nav="fleet", refresh=REFRESH_S)

    def findings(request: Request) -> Response:
        now = clock()
        wanted = parse_filter(dict(request.query_params), now)
        with open_reader(site.state) as reader:
            rows, more = pages.findings_list(reader, wanted, now)
        return render("findings.html", wanted=wanted, rows=rows, more=more, nav="findings",
                      cli=wanted.cli(site.where), state_choices=STATE_CHOICES, severities=SEVERITIES,
                      categories=CATEGORIES)

    def finding(request: Request) -> Response:
        ref = request.path_params["ref"]
        with open_reader(site.state) as reader:
            page = pages.finding(reader, site, ref, clock())
        return render("finding.html", r=page.detail.record, d=page.detail, timeline=page.timeline,
                      commands=page.commands, details=pages.details_rows(page.detail.record.details))

    def host(request: Request) -> Response:
        name = request.path_params["name"]
        with open_reader(site.state) as reader:
            page = pages.host(reader, site, name, clock())
        if page is None:
            raise HTTPException(404, f"no host {name[:80]!r} in the state or the inventory")
        cli = shlex.join(["tasseograph", "history", name, *site.where])
        return render("host.html", h=page, history_cli=cli)

    def checks(_request: Request) -> Response:
        with open_reader(site.state) as reader:
            rows = pages.check_rows(site, reader.hosts(), clock())
        labels = site.inventory.labels if site.inventory else ()
        return render("checks.html", rows=rows, labels=labels, nav="checks", refresh=REFRESH_S)

    def message(status: int, heading: str, text: str, hint: str = "",
                headers: dict[str, str] | None = None) -> Response:
        response = render("message.html", status, heading=heading, message=text, hint=hint,
                          level="critical" if status >= 500 else "warning")
        response.headers.update(headers or {})
        return response

    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        text = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else f"no page at {request.url.path}"
        hint = "This page is read-only: acting on findings stays in the CLI." if exc.status_code == 405 else ""
        return message(exc.status_code, f"{exc.status_code}", text, hint, dict(exc.headers or {}))

    def unknown_finding(_request: Request, exc: Exception) -> Response:
        return message(404, "No such finding", str(exc))

    def bad_request(_request: Request, exc: Exception) -> Response:
        return message(400, "Bad request", str(exc))

    def state_error(_request: Request, exc: Exception) -> Response:
        return message(503, "The state cannot be read", str(exc),
                       "The page reads the runner's state file as it is now; it shows again once the file is readable.")

    def crash(request: Request, exc: Exception) -> Response:  # the server logs the traceback
        return message(500, "Internal error", f"the page {request.url.path} failed: "
                       f"{type(exc).__name__} (the dashboard's log has the details)")

    routes = [
        Route("/", fleet, methods=["GET"]),
        Route("/findings", findings, methods=["GET"]),
        Route("/findings/{ref}", finding, methods=["GET"]),
        Route("/hosts/{name}", host, methods=["GET"]),
        Route("/checks", checks, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Response]] = {
        HTTPException: http_error, UnknownFindingError: unknown_finding, UsageError: bad_request,
        StateError: state_error, Exception: crash,
    }
    return SecurityHeaders(Starlette(routes=routes, exception_handlers=handlers))
