"""The fleet: local endpoints on free loopback ports, each behaving one way, for probe tests.

One aiohttp application (version document, any status, slow, garbage body, endless body, broken
length, redirect, HTML, the Host header echoed) served in clear and behind each certificate of
``pki`` (valid, expired, not yet valid, wrong host, self-signed, and two that require a client
certificate: TLS 1.3 and 1.2), plus raw TCP servers that reset the connection (RST: SO_LINGER 0),
close it without answering (FIN), answer something that is not HTTP, or never answer; a port
whose accept queue is full, so that a new connection is never established (a TCP connect
timeout); and a port nothing listens on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import struct
from collections.abc import Awaitable, Callable

from aiohttp import web

from tests.fleet.pki import Pair, Pki

__all__ = ["VERSION_DOCUMENT", "Fleet", "free_port"]

VERSION_DOCUMENT = b'{"versions": [{"id": "v1.0", "status": "CURRENT"}]}'
TLS_SITES = ("valid", "expired", "not_yet_valid", "wrong_host", "self_signed", "mtls", "mtls12")
RAW = ("reset", "close", "garbage", "silent")


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _version(request: web.Request) -> web.Response:
    return web.Response(body=VERSION_DOCUMENT, content_type="application/json")


async def _status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    return web.Response(status=code, text=f"status {code}\n")


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.match_info["seconds"]))
    return web.Response(body=VERSION_DOCUMENT, content_type="application/json")


async def _garbage(request: web.Request) -> web.Response:
    return web.Response(body=os.urandom(4096), content_type="application/json")


async def _endless(request: web.Request) -> web.StreamResponse:
    """A version document that never ends: only a client that stops reading gets past it."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(VERSION_DOCUMENT[:-1])
    chunk = b" " * 65536
    try:
        while True:
            await response.write(chunk)
    except (ConnectionError, RuntimeError):
        pass
    return response


async def _short(request: web.Request) -> web.StreamResponse:
    """Announces 1000 bytes, sends 10, closes."""
    response = web.StreamResponse(headers={"Content-Length": "1000"})
    await response.prepare(request)
    await response.write(b"0123456789")
    assert request.transport is not None
    request.transport.close()
    return response


async def _redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/version")


async def _host(request: web.Request) -> web.Response:
    return web.Response(text=f"Host: {request.host}\n")


async def _html(request: web.Request) -> web.Response:
    return web.Response(text="<html><body>Maintenance</body></html>", content_type="text/html")


def application() -> web.Application:
    app = web.Application()
    app.router.add_get("/version", _version)
    app.router.add_get("/status/{code}", _status)
    app.router.add_get("/slow/{seconds}", _slow)
    app.router.add_get("/garbage", _garbage)
    app.router.add_get("/endless", _endless)
    app.router.add_get("/short", _short)
    app.router.add_get("/redirect", _redirect)
    app.router.add_get("/html", _html)
    app.router.add_get("/host", _host)
    return app


async def _read_request(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
        await reader.readuntil(b"\r\n\r\n")


async def _reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.close()


async def _not_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\n")
    await writer.drain()
    writer.close()


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # until the client gives up
    writer.close()


_RAW_HANDLERS: dict[str, Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]]
_RAW_HANDLERS = {"reset": _reset, "close": _close, "garbage": _not_http, "silent": _silent}


def _server_context(
    pair: Pair, client_ca: str | None = None, tls12: bool = False
) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if tls12:  # TLS 1.2 refuses a missing client certificate in the handshake; 1.3 after it
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(pair.cert, pair.key)
    if client_ca is not None:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


class Fleet:
    """Start with ``await Fleet(pki).start()``; ``url(path, site)`` addresses an endpoint;
    ``ports[name]`` has every port (``plain``, the TLS sites, the raw servers, ``refused``,
    ``full``)."""

    def __init__(self, pki: Pki) -> None:
        self.pki = pki
        self.ports: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self._raw: list[asyncio.Server] = []
        self._sockets: list[socket.socket] = []

    async def start(self) -> Fleet:
        self._runner = web.AppRunner(application(), handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        pki = self.pki
        contexts: dict[str, ssl.SSLContext | None] = {
            "plain": None,
            "valid": _server_context(pki.valid),
            "expired": _server_context(pki.expired),
            "not_yet_valid": _server_context(pki.not_yet_valid),
            "wrong_host": _server_context(pki.wrong_host),
            "self_signed": _server_context(pki.self_signed),
            "mtls": _server_context(pki.valid, str(pki.client_ca)),
            "mtls12": _server_context(pki.valid, str(pki.client_ca), tls12=True),
        }
        for name, context in contexts.items():
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            self.ports[name] = int(sock.getsockname()[1])
            await web.SockSite(self._runner, sock, ssl_context=context).start()
        for name, handler in _RAW_HANDLERS.items():
            server = await asyncio.start_server(handler, "127.0.0.1", 0)
            self._raw.append(server)
            self.ports[name] = server.sockets[0].getsockname()[1]
        self.ports["refused"] = free_port()
        self.ports["full"] = self._full()
        return self

    def _full(self) -> int:
        """Listen with a backlog of 0 and never accept: after one queued connection, SYNs are
        dropped and a connect waits until the client gives up."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        queued = socket.create_connection(("127.0.0.1", port))
        self._sockets += [listener, queued]
        return port

    def url(self, path: str = "/version", site: str = "plain", host: str = "127.0.0.1") -> str:
        scheme = "https" if site in TLS_SITES else "http"
        return f"{scheme}://{host}:{self.ports[site]}{path}"

    async def stop(self) -> None:
        for server in self._raw:
            server.close()
        for sock in self._sockets:
            sock.close()
        if self._runner is not None:
            await self._runner.cleanup()
