"""HTTP(S) probe: GET the target's URL (a version document), check status, body and certificate.

Invariant: one request, on a fresh connection, per run. Sessions are shared per TLS configuration
(``ProbeContext.resources``; closed by ``ctx.close()``) for their SSL context and DNS cache, but
``force_close`` keeps no connection alive between runs, so every run measures the connect and
TLS handshake as blackbox_exporter does and sees a renewed certificate at once.

Verdicts, each CRITICAL with its own summary: a status not in ``expected_status`` (``HTTP 503,
expected 200``; a redirect is not followed unless ``follow_redirects``, and the summary says where
it pointed), a body that does not match ``body_pattern`` (``body does not match /<regex>/``; only
the first ``BODY_LIMIT`` bytes are read and searched, so an endless body is cut, and garbage is
fine when there is no pattern), ``connection closed without a response``, ``not an HTTP
response: <parser's reason>``, ``response body cut off before its announced end``, ``more than 10
redirects``, and the connection and TLS failures of ``osmon.probes.failures``. A CA bundle or
client certificate that cannot be loaded is UNKNOWN. The time limit is the runner's. Over TLS,
``server_name`` is the name sent in SNI, checked against the certificate and sent as ``Host``.

Metrics: ``status_code`` (``probe_http_status_code``, 0 when no response came), ``response_time``
(seconds from sending the request to the end of the body read, connect and TLS included;
``osmon_probe_response_time_seconds``: blackbox's ``probe_http_duration_seconds`` is split in
phases this probe does not measure) and, over TLS, ``probe_http_ssl``, the certificate's
``probe_ssl_earliest_cert_expiry`` (unix time) and ``days_left`` (``osmon_probe_ssl_days_left``).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

from osmon.checks.state import State
from osmon.probes import certs
from osmon.probes.base import (
    RESPONSE_TIME_SERIES,
    Metric,
    Observation,
    ProbeContext,
    ProbeFailed,
)
from osmon.probes.failures import connection_failed

if TYPE_CHECKING:
    from osmon.inventory import Probe

__all__ = ["BODY_LIMIT", "probe", "session"]

#: Bytes of the body read and searched; the rest is never read.
BODY_LIMIT = 256 * 1024
STATUS_SERIES = "probe_http_status_code"
MAX_REDIRECTS = 10
_HEADERS = {"User-Agent": "osmon-probe", "Accept": "application/json, */*;q=0.5"}


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    if not target.url:
        raise ProbeFailed(State.UNKNOWN, "no URL to probe")
    https = target.url.startswith("https:")
    client = session(target, ctx)
    no_response = (Metric("status_code", 0.0, series=STATUS_SERIES),)
    host = target.address or ""
    named = https and target.server_name is not None
    started = time.monotonic()
    try:
        async with client.get(
            target.url,
            allow_redirects=target.follow_redirects,
            max_redirects=MAX_REDIRECTS,
            server_hostname=target.server_name if named else None,
            headers=_host_header(target) if named else None,
        ) as response:
            cert = _peer_certificate(response) if https else None
            body = await _read(response)
    except aiohttp.ClientConnectorError as exc:
        host = exc.host or host
        raise connection_failed(exc.os_error, host, target.server_name, no_response) from exc
    except aiohttp.ClientConnectionResetError as exc:
        raise connection_failed(exc, host, metrics=no_response) from exc
    except aiohttp.ClientOSError as exc:
        raise connection_failed(exc, host, target.server_name, no_response) from exc
    except aiohttp.ServerDisconnectedError as exc:
        summary = "connection closed without a response"
        raise ProbeFailed(State.CRITICAL, summary, no_response) from exc
    except aiohttp.TooManyRedirects as exc:
        summary = f"more than {MAX_REDIRECTS} redirects"
        raise ProbeFailed(State.CRITICAL, summary, no_response) from exc
    except aiohttp.ClientResponseError as exc:  # the answer is not HTTP
        reason = (exc.message.splitlines() or ["?"])[0].rstrip(":").lower()
        raise ProbeFailed(State.CRITICAL, f"not an HTTP response: {reason}", no_response) from exc
    except aiohttp.ClientPayloadError as exc:
        summary = "response body cut off before its announced end"
        raise ProbeFailed(State.CRITICAL, summary, no_response) from exc
    elapsed = time.monotonic() - started

    metrics = [
        Metric("status_code", float(response.status), series=STATUS_SERIES),
        Metric("response_time", elapsed, "s", series=RESPONSE_TIME_SERIES),
    ]
    if https:
        metrics.append(Metric("http_ssl", 1.0, series="probe_http_ssl"))
        if cert is not None:
            metrics.extend(cert.metrics())
    found = tuple(metrics)
    expected = target.expected_status or (200,)
    if response.status not in expected:
        summary = f"HTTP {response.status}, expected {_listed(expected)}"
        location = response.headers.get("Location")
        if 300 <= response.status < 400 and location:
            summary += f" (redirect to {location} not followed)"
        raise ProbeFailed(State.CRITICAL, summary, found)
    # re's own cache keeps the compiled patterns: an inventory has a handful
    if target.body_pattern is not None and not re.search(target.body_pattern, body):
        raise ProbeFailed(State.CRITICAL, f"body does not match /{target.body_pattern}/", found)
    return Observation(found, State.OK, f"HTTP {response.status} in {elapsed:.3f}s")


def session(target: Probe, ctx: ProbeContext) -> aiohttp.ClientSession:
    """The session for the target's TLS settings, created on first use and closed with ``ctx``.

    Other probe kinds that speak HTTP (management APIs, stats pages) may share it.
    """
    key = certs.tls_key(target)
    sessions: dict[certs.TLSKey, aiohttp.ClientSession] | None = ctx.resources.get("http.sessions")
    if sessions is None:
        sessions = ctx.resources["http.sessions"] = {}

        async def close() -> None:
            for each in sessions.values():
                await each.close()
            sessions.clear()

        ctx.closers.append(close)
    found = sessions.get(key)
    if found is None:
        connector = aiohttp.TCPConnector(
            ssl=certs.client_context(key, ctx), force_close=True, limit=0
        )
        found = sessions[key] = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),  # the runner's limit applies
            headers=_HEADERS,
            cookie_jar=aiohttp.DummyCookieJar(),
            response_class=_Response,
        )
    return found


class _Response(aiohttp.ClientResponse):
    """Keeps the server certificate: a small body is read, and its connection released, before
    ``get()`` returns, so the response class is the one place that sees the connection."""

    peer_certificate: bytes | None = None

    async def start(self, connection: aiohttp.connector.Connection) -> aiohttp.ClientResponse:
        transport = connection.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_object is not None:
            self.peer_certificate = ssl_object.getpeercert(binary_form=True)
        return await super().start(connection)


def _peer_certificate(response: aiohttp.ClientResponse) -> certs.Certificate | None:
    return certs.parse(getattr(response, "peer_certificate", None))


async def _read(response: aiohttp.ClientResponse) -> str:
    """At most ``BODY_LIMIT`` bytes of the body, decoded leniently (garbage is not an error)."""
    chunks: list[bytes] = []
    size = 0
    while size < BODY_LIMIT:
        chunk = await response.content.read(BODY_LIMIT - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def _host_header(target: Probe) -> dict[str, str]:
    """Host = the name sent in SNI: a server that routes by name (or answers 421 when SNI and
    Host differ, as Apache does) sees the same name twice."""
    port = urlsplit(target.url or "").port
    name = target.server_name or ""
    return {"Host": name if port in (None, 443) else f"{name}:{port}"}


def _listed(statuses: tuple[int, ...]) -> str:
    words = [str(s) for s in statuses]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
