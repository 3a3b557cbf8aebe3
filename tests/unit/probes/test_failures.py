"""Connection and TLS failures → one summary per cause, the same in every probe."""

from __future__ import annotations

import errno
import socket
import ssl

import pytest

from osmon.checks.state import State
from osmon.probes.failures import connection_failed


def _verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_code, error.verify_message = code, message
    return error


@pytest.mark.parametrize(
    ("error", "summary"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "connection refused"),
        (ConnectionResetError(errno.ECONNRESET, "reset"), "connection reset by peer"),
        (ConnectionResetError(), "connection reset by peer"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "host unreachable"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "network unreachable"),
        (OSError(errno.ETIMEDOUT, "Connection timed out"), "connection timed out"),
        (OSError(errno.EACCES, "Permission denied"), "connection failed: Permission denied"),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "DNS lookup failed for ctl1.example: Name or service not known",
        ),
        (_verify_error(10, "certificate has expired"), "TLS certificate expired"),
        (_verify_error(9, "certificate is not yet valid"), "TLS certificate not yet valid"),
        (_verify_error(62, "Hostname mismatch"), "TLS certificate does not match 'api.example'"),
        (_verify_error(64, "IP address mismatch"), "TLS certificate does not match 'api.example'"),
        (_verify_error(18, "self-signed certificate"), "TLS certificate not trusted: self-signed"),
        (
            _verify_error(20, "unable to get local issuer"),
            "TLS certificate not trusted: unknown CA",
        ),
        (_verify_error(19, "self-signed in chain"), "TLS certificate not trusted: unknown CA"),
        (_verify_error(23, "certificate revoked"), "TLS certificate invalid: certificate revoked"),
    ],
)
def test_each_cause_has_its_summary(error: OSError, summary: str) -> None:
    failed = connection_failed(error, "ctl1.example", "api.example")
    assert (failed.state, failed.summary, failed.metrics) == (State.CRITICAL, summary, ())


def test_handshake_failure_names_the_reason() -> None:
    error = ssl.SSLError(1, "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure")
    error.reason = "SSLV3_ALERT_HANDSHAKE_FAILURE"
    assert (
        connection_failed(error, "h").summary
        == "TLS handshake failed: sslv3 alert handshake failure"
    )
