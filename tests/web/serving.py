"""The fleet page served for real (uvicorn on a free loopback port, in a thread) and fetched over HTTP."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message

from tasseograph.web.app import create_app
from tasseograph.web.pages import Site
from tasseograph.web.server import Listen, bind


@dataclass(frozen=True)
class Reply:
    """One HTTP answer."""

    status: int
    headers: Message
    body: str


def fetch(url: str, method: str = "GET") -> Reply:
    """``url``'s answer, error statuses included (no redirect is followed silently: the page makes none)."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return Reply(r.status, r.headers, r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return Reply(e.code, e.headers, e.read().decode("utf-8"))


@contextmanager
def served(site: Site) -> Iterator[str]:
    """The page over ``site`` on a free loopback port, as ``tasseograph dashboard`` serves it; its base URL."""
    import uvicorn

    sock = bind(Listen("127.0.0.1", 0))
    config = uvicorn.Config(create_app(site), http="h11", loop="asyncio", lifespan="off", log_config=None,
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
