"""Connection and TLS failures as probe states, one distinct summary per cause.

The http, tls and tcp probes meet the same failures below HTTP; each becomes a ``ProbeFailed``
here so the same cause reads the same in every probe, Nagios and ``/v1/probes``. All are
CRITICAL (the target, not osmon, is at fault); a timeout is not among them: the runner's time
limit reports it. The summaries are part of the interface (tests pin them):

==========================================  ===========================================
cause                                       summary
==========================================  ===========================================
nothing listens                             ``connection refused``
RST from the peer                           ``connection reset by peer``
no route                                    ``host unreachable`` / ``network unreachable``
name does not resolve                       ``DNS lookup failed for <host>: <reason>``
certificate expired / not yet valid         ``TLS certificate expired`` / ``… not yet valid``
certificate for another name                ``TLS certificate does not match '<name>'``
issuer not in the CA bundle                 ``TLS certificate not trusted: unknown CA``
self-signed server certificate              ``TLS certificate not trusted: self-signed``
handshake refused (protocol, client cert)   ``TLS handshake failed: <reason>``
==========================================  ===========================================
"""

from __future__ import annotations

import errno
import socket
import ssl

from osmon.checks.state import State
from osmon.probes.base import Metric, ProbeFailed

__all__ = ["certificate_problem", "connection_failed", "handshake_failed"]

_ERRNO = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed by peer (broken pipe)",
    errno.ETIMEDOUT: "connection timed out",
}

# OpenSSL's X509_V_ERR_* codes (``SSLCertVerificationError.verify_code``).
_NOT_YET_VALID, _EXPIRED = 9, 10
_SELF_SIGNED = 18
_UNKNOWN_CA = frozenset({2, 19, 20, 21})
_NAME_MISMATCH = frozenset({62, 64})


def certificate_problem(error: ssl.SSLCertVerificationError, name: str) -> str:
    """What is wrong with a certificate that failed verification against ``name``."""
    code = error.verify_code
    if code == _EXPIRED:
        return "TLS certificate expired"
    if code == _NOT_YET_VALID:
        return "TLS certificate not yet valid"
    if code in _NAME_MISMATCH:
        return f"TLS certificate does not match '{name}'"
    if code == _SELF_SIGNED:
        return "TLS certificate not trusted: self-signed"
    if code in _UNKNOWN_CA:
        return "TLS certificate not trusted: unknown CA"
    return f"TLS certificate invalid: {error.verify_message or error}"


def handshake_failed(error: ssl.SSLError) -> str:
    reason = error.reason or error.strerror or str(error)
    return f"TLS handshake failed: {reason.lower().replace('_', ' ')}"


def connection_failed(
    error: OSError, host: str, name: str | None = None, metrics: tuple[Metric, ...] = ()
) -> ProbeFailed:
    """The ``ProbeFailed`` for an error raised while connecting to (or talking to) ``host``;
    ``name`` is the host name the certificate was checked against (default: ``host``)."""
    if isinstance(error, ssl.SSLCertVerificationError):
        summary = certificate_problem(error, name or host)
    elif isinstance(error, ssl.SSLError):
        summary = handshake_failed(error)
    elif isinstance(error, socket.gaierror):
        summary = f"DNS lookup failed for {host}: {error.strerror or error}"
    elif error.errno in _ERRNO:
        summary = _ERRNO[error.errno]
    elif isinstance(error, ConnectionResetError):  # asyncio's TLS layer raises it without errno
        summary = _ERRNO[errno.ECONNRESET]
    elif isinstance(error, ConnectionRefusedError):
        summary = _ERRNO[errno.ECONNREFUSED]
    else:
        summary = f"connection failed: {error.strerror or error or type(error).__name__}"
    return ProbeFailed(State.CRITICAL, summary, metrics)
