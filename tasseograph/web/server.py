"""Serving the fleet page: the listen address, the socket, and uvicorn.

The socket is bound here, before uvicorn starts, so a bad address or a port in use is one
:class:`~tasseograph.errors.UsageError` line (and ``--listen 127.0.0.1:0`` picks a free port
that the start line names). uvicorn (an ASGI server, pure Python with its h11 protocol) stops
on SIGTERM or Ctrl-C after the requests in flight.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tasseograph.errors import UsageError

DEFAULT_LISTEN = "127.0.0.1:8700"


@dataclass(frozen=True)
class Listen:
    """A ``host:port`` to listen on."""

    host: str
    port: int

    @property
    def loopback(self) -> bool:
        """True when only this machine can connect (127.0.0.0/8, ::1, localhost)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def url(self, port: int | None = None) -> str:
        """``http://host:port/`` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port if port is None else port}/"


def parse_listen(text: str) -> Listen:
    """``127.0.0.1:8700``, ``[::1]:8700``, ``0.0.0.0:8700`` or ``:8700`` (every address).

    Raises:
        UsageError: not ``host:port`` with a port from 0 to 65535.
    """
    host, sep, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--listen {text!r}: use host:port, e.g. {DEFAULT_LISTEN} (port 0 picks a free one)")
    return Listen(host or "0.0.0.0", int(port))


def bind(listen: Listen) -> socket.socket:
    """A listening TCP socket on ``listen``.

    Raises:
        UsageError: the address cannot be resolved or bound (in use, not this machine's, no permission).
    """
    try:
        infos = socket.getaddrinfo(listen.host, listen.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"--listen {listen.host}:{listen.port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        why = "the port is in use (another dashboard?)" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise UsageError(f"cannot listen on {listen.host}:{listen.port}: {why}") from None
    sock.set_inheritable(True)
    return sock


def serve(app: Callable[..., Any], sock: socket.socket, *, access_log: bool = False) -> None:
    """Serve ``app`` on the bound ``sock`` until SIGTERM or Ctrl-C."""
    import uvicorn

    config = uvicorn.Config(app, http="h11", loop="asyncio", lifespan="off", log_config=None,
                            access_log=access_log, server_header=False, proxy_headers=False)
    uvicorn.Server(config).run(sockets=[sock])
