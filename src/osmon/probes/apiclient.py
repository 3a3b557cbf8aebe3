"""GET from a management HTTP API (RabbitMQ management, HAProxy stats page).

One aiohttp session per ``ProbeContext``, shared by the probes that read such APIs, so
connections are reused across runs; TLS settings (verify, CA file, SNI name) go per request.
Failures are verdicts, never exceptions out of the probe:

- below HTTP: ``osmon.probes.failures`` (CRITICAL ``connection refused`` …);
- 401/403: UNKNOWN ``login refused by <url> (HTTP 401)`` (osmon's credentials are wrong);
- any other status not accepted by the caller: CRITICAL ``HTTP <status> from <url>``;
- a body that is not JSON where JSON is expected: CRITICAL ``garbage JSON from <url>: …``.
"""

from __future__ import annotations

import base64
import json
import ssl
from typing import Any

import aiohttp

from osmon.checks.state import State
from osmon.inventory import Probe
from osmon.probes.base import ProbeContext, ProbeFailed
from osmon.probes.credentials import Login
from osmon.probes.failures import connection_failed

__all__ = ["Response", "get", "get_json"]

_SESSION = "osmon.probes.apiclient:session"
_MAX_BODY = 64 * 1024 * 1024


class Response:
    """Status and body of one GET."""

    __slots__ = ("body", "status", "url")

    def __init__(self, url: str, status: int, body: bytes) -> None:
        self.url = url
        self.status = status
        self.body = body

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ProbeFailed(State.CRITICAL, f"garbage JSON from {self.url}: {exc}") from None


def _session(ctx: ProbeContext) -> aiohttp.ClientSession:
    session = ctx.resources.get(_SESSION)
    if session is None or session.closed:
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None), raise_for_status=False
        )
        ctx.resources[_SESSION] = session
        ctx.closers.append(session.close)
    return session


def _ssl(target: Probe) -> ssl.SSLContext | bool:
    if not target.tls_verify:
        return False
    return ssl.create_default_context(cafile=target.ca_file)


async def get(
    ctx: ProbeContext,
    target: Probe,
    url: str,
    login: Login | None,
    accept: tuple[int, ...] = (200,),
) -> Response:
    """GET ``url``; statuses outside ``accept`` (and 401/403) become ``ProbeFailed``."""
    headers = {}
    if login is not None and login.username is not None:
        pair = f"{login.username}:{login.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    https = url.startswith("https:")
    try:
        async with _session(ctx).get(
            url,
            headers=headers,
            allow_redirects=False,
            ssl=_ssl(target) if https else True,
            server_hostname=target.server_name if https else None,
        ) as resp:
            body = await resp.content.read(_MAX_BODY)
            status = resp.status
    except aiohttp.ClientConnectorCertificateError as exc:
        error = exc.certificate_error
        if not isinstance(error, OSError):
            error = ssl.SSLError(str(error))
        raise connection_failed(error, target.address or url) from None
    except aiohttp.ClientConnectorError as exc:
        raise connection_failed(exc.os_error, exc.host) from None
    except aiohttp.ServerDisconnectedError:
        raise ProbeFailed(State.CRITICAL, f"connection closed by {url} before a response") from None
    except aiohttp.ClientPayloadError as exc:
        raise ProbeFailed(State.CRITICAL, f"broken response from {url}: {exc}") from None
    except aiohttp.ClientResponseError as exc:
        raise ProbeFailed(State.CRITICAL, f"bad HTTP response from {url}: {exc.message}") from None
    except aiohttp.ClientOSError as exc:
        raise connection_failed(exc, target.address or url) from None
    if status in accept:
        return Response(url, status, body)
    if status in (401, 403):
        raise ProbeFailed(State.UNKNOWN, f"login refused by {url} (HTTP {status})")
    raise ProbeFailed(State.CRITICAL, f"HTTP {status} from {url}")


async def get_json(ctx: ProbeContext, target: Probe, url: str, login: Login | None) -> Any:
    return (await get(ctx, target, url, login)).json()
