"""TLS probe: the days left on a server's certificate, and whether it verifies, without HTTP.

A TLS handshake with ``address:port`` (SNI and the name check use ``server_name``, else the
address), verified with the target's settings (``tls_verify``, ``ca_file``, client
certificate). When verification fails the probe connects once more without verifying, to read
the certificate anyway: the result is then CRITICAL with the reason (``TLS certificate
expired``, ``… does not match '<name>'``, ``… not trusted: unknown CA`` …) *and* carries
``days_left``, so an expired and an untrusted certificate both show how long they have.
Nothing is sent after the handshake: a TLS 1.3 server that wants a client certificate refuses a
missing one only afterwards, which the http probe sees and this one does not.

Metrics: ``days_left`` (threshold key; catalog default warning ``30:``, critical ``7:``),
``probe_ssl_earliest_cert_expiry`` (unix time).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import TYPE_CHECKING

from osmon.checks.state import State
from osmon.probes import certs
from osmon.probes.base import Observation, ProbeContext, ProbeFailed
from osmon.probes.failures import certificate_problem, connection_failed

if TYPE_CHECKING:
    from osmon.inventory import Probe

__all__ = ["probe"]


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    if not target.address or target.port is None:
        raise ProbeFailed(State.UNKNOWN, "no address and port to connect to")
    name = target.server_name or target.address
    key = certs.tls_key(target)
    try:
        der = await _certificate(target, name, certs.client_context(key, ctx))
        problem = None
    except ssl.SSLCertVerificationError as exc:
        problem = certificate_problem(exc, name)
        unverified = (False, None, target.client_cert, target.client_key)
        der = await _certificate(target, name, certs.client_context(unverified, ctx))
    cert = certs.parse(der)
    if cert is None:
        raise ProbeFailed(State.CRITICAL, problem or "no certificate presented")
    metrics = cert.metrics()
    if problem is not None:
        raise ProbeFailed(State.CRITICAL, f"{problem}; {cert.describe()}", metrics)
    return Observation(metrics, State.OK, cert.describe())


async def _certificate(target: Probe, name: str, context: ssl.SSLContext) -> bytes | None:
    """The server certificate (DER) after a handshake; verification errors propagate."""
    address = target.address or ""
    try:
        _reader, writer = await asyncio.open_connection(
            address, target.port, ssl=context, server_hostname=name
        )
    except ssl.SSLCertVerificationError:
        raise
    except OSError as exc:
        raise connection_failed(exc, address, name) from exc
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        return ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
