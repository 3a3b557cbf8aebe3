"""Connection failures as probe verdicts, for the infrastructure probes (RabbitMQ, Galera,
memcached, HAProxy).

Every failure is CRITICAL (the target does not serve) with a summary naming the cause, worded
as the http/tcp probes word it: ``connection refused``, ``connection reset by peer``,
``host unreachable``, ``DNS lookup failed for <host>: …``, ``no socket at <path>``,
``TLS certificate invalid: …``, ``TLS handshake failed: …``, else ``connection failed: …``.
A timeout is not among them: the runner's time limit reports it.
"""

from __future__ import annotations

import errno
import socket
import ssl

from osmon.checks.state import State
from osmon.probes.base import ProbeFailed

__all__ = ["connect_failed"]

_ERRNO = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed by peer (broken pipe)",
    errno.ETIMEDOUT: "connection timed out",
}


def connect_failed(exc: OSError, where: str) -> ProbeFailed:
    """The ProbeFailed for an OSError met while talking to ``where`` (a host or a path)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        summary = f"TLS certificate invalid: {exc.verify_message or exc}"
    elif isinstance(exc, ssl.SSLError):
        summary = f"TLS handshake failed: {exc.reason or exc}"
    elif isinstance(exc, socket.gaierror):
        summary = f"DNS lookup failed for {where}: {exc.strerror or exc}"
    elif isinstance(exc, FileNotFoundError):
        summary = f"no socket at {where}"
    elif exc.errno in _ERRNO:
        summary = _ERRNO[exc.errno]
    elif isinstance(exc, ConnectionResetError):
        summary = "connection reset by peer"
    else:
        summary = f"connection failed: {exc.strerror or exc or type(exc).__name__}"
    return ProbeFailed(State.CRITICAL, summary)
