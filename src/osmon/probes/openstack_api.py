"""GET one JSON document from an OpenStack API for a probe; every failure a distinct state.

The API did not answer usably → CRITICAL, with the reason as the summary: ``connection
refused``, ``cannot resolve``, ``unreachable``, ``TLS certificate invalid``, ``TLS handshake
failed``, ``connection reset``, ``connection closed before a response``, ``answered 503``,
``answered 404``, ``body is not JSON``; a slow API is the runner's ``timed out after Ns``. The
API refused the token or the role (401/403) → UNKNOWN: the service's health is not known, and
the caller drops the token so the next run authenticates again. Nothing else escapes.

One aiohttp session per probe context (``ProbeContext.resources``), closed with it.
"""

from __future__ import annotations

import errno
import json
import ssl
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from osmon.checks.state import State
from osmon.probes.base import Metric, ProbeContext, ProbeFailed

__all__ = ["MAX_BODY", "get_json", "tls_context"]

RESOURCE = "openstack_http"

#: Larger answers are refused: a service list or a status document is far smaller.
MAX_BODY = 32 * 1024 * 1024


def tls_context(verify: bool, ca_file: str | None) -> ssl.SSLContext | bool:
    """aiohttp's ``ssl=``: the system store, a CA bundle, or no verification."""
    if not verify:
        return False
    if ca_file is None:
        return True
    return ssl.create_default_context(cafile=ca_file)


def _session(ctx: ProbeContext) -> aiohttp.ClientSession:
    found = ctx.resources.get(RESOURCE)
    if isinstance(found, aiohttp.ClientSession) and not found.closed:
        return found
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=100, limit_per_host=10),
        # no overall timeout here: the runner bounds every probe with its own
        timeout=aiohttp.ClientTimeout(total=None),
        raise_for_status=False,
    )
    ctx.resources[RESOURCE] = session
    ctx.closers.append(session.close)
    return session


def _reason(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate invalid ({exc.certificate_error})"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS handshake failed ({exc})"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if exc.os_error.errno == errno.ECONNREFUSED:
            return "connection refused"
        return f"unreachable ({exc.os_error.strerror or exc.os_error})"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "connection closed before a response"
    if isinstance(exc, aiohttp.ClientOSError) and exc.errno == errno.ECONNRESET:
        return "connection reset"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"truncated response ({exc})"
    return f"{type(exc).__name__}: {exc}"


async def get_json(
    ctx: ProbeContext,
    url: str,
    *,
    what: str,
    headers: Mapping[str, str],
    ssl_context: ssl.SSLContext | bool = True,
    server_name: str | None = None,
    failed: tuple[Metric, ...] = (),
    on_refused: Callable[[], None] | None = None,
) -> Any:
    """The decoded JSON body of ``GET url`` (status 200); ``ProbeFailed`` otherwise.

    ``what`` names the API in summaries (``compute API``); ``failed`` are the metrics to report
    when it fails (``openstack_nova_up 0``); ``on_refused`` runs on 401/403.
    """
    http = _session(ctx)
    try:
        async with http.get(
            url,
            headers={"Accept": "application/json", **headers},
            ssl=ssl_context,
            server_hostname=server_name,
            allow_redirects=False,
        ) as response:
            status = response.status
            body = await response.content.read(MAX_BODY + 1)
    except aiohttp.ClientError as exc:
        raise ProbeFailed(State.CRITICAL, f"{what}: {_reason(exc)}", failed) from None
    if status in (401, 403):
        if on_refused is not None:
            on_refused()
        raise ProbeFailed(State.UNKNOWN, f"{what} refused the request ({status})", failed)
    if status != 200:
        raise ProbeFailed(State.CRITICAL, f"{what} answered {status}", failed)
    if len(body) > MAX_BODY:
        raise ProbeFailed(State.CRITICAL, f"{what}: body larger than {MAX_BODY} bytes", failed)
    try:
        return json.loads(body)
    except ValueError:
        raise ProbeFailed(State.CRITICAL, f"{what}: body is not JSON", failed) from None
