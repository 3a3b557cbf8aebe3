"""TLS client contexts shared per configuration, and the expiry facts of a server certificate.

Building an ``SSLContext`` loads the CA store (milliseconds of CPU), so probes with the same
settings (verify, CA bundle, client certificate) share one, kept in ``ProbeContext.resources``.
Expiry comes from the certificate the server presented, parsed with ``cryptography`` whether or
not it verified, so an expired or untrusted certificate still reports its days left. Python
3.11's ``ssl`` exposes only the server's own certificate, not the chain:
``probe_ssl_earliest_cert_expiry`` is that certificate's notAfter (blackbox takes the earliest
of the chain, which is the same unless an intermediate expires first).
"""

from __future__ import annotations

import ssl
import time
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.x509.oid import NameOID

from osmon.checks.state import State
from osmon.probes.base import Metric, ProbeContext, ProbeFailed

if TYPE_CHECKING:
    from osmon.inventory import Probe

__all__ = ["EXPIRY_SERIES", "Certificate", "TLSKey", "client_context", "parse", "tls_key"]

EXPIRY_SERIES = "probe_ssl_earliest_cert_expiry"
DAYS_LEFT_SERIES = "osmon_probe_ssl_days_left"

TLSKey = tuple[bool, str | None, str | None, str | None]


def tls_key(target: Probe) -> TLSKey:
    """What makes two targets' TLS client settings the same."""
    return (target.tls_verify, target.ca_file, target.client_cert, target.client_key)


def client_context(key: TLSKey, ctx: ProbeContext) -> ssl.SSLContext:
    """The shared context for these settings; a CA bundle or client certificate that cannot be
    loaded makes the probe UNKNOWN (osmon's configuration, not the target, is wrong)."""
    contexts: dict[TLSKey, ssl.SSLContext] = ctx.resources.setdefault("tls.contexts", {})
    found = contexts.get(key)
    if found is None:
        found = contexts[key] = _build(*key)
    return found


def _build(verify: bool, ca_file: str | None, cert: str | None, key: str | None) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ProbeFailed(State.UNKNOWN, f"cannot load CA bundle {ca_file}: {exc}") from exc
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            message = f"cannot load client certificate {cert}: {exc}"
            raise ProbeFailed(State.UNKNOWN, message) from exc
    return context


class Certificate:
    """The facts a probe reports about a server certificate (DER, as ``getpeercert(True)``)."""

    __slots__ = ("not_after", "subject")

    def __init__(self, der: bytes) -> None:
        cert = x509.load_der_x509_certificate(der)
        self.not_after: datetime = cert.not_valid_after_utc
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        self.subject = str(names[0].value) if names else cert.subject.rfc4514_string()

    def days_left(self, now: float | None = None) -> float:
        return (self.not_after.timestamp() - (time.time() if now is None else now)) / 86400

    def metrics(self, now: float | None = None) -> tuple[Metric, ...]:
        return (
            Metric("ssl_earliest_cert_expiry", self.not_after.timestamp(), series=EXPIRY_SERIES),
            Metric("days_left", round(self.days_left(now), 3), series=DAYS_LEFT_SERIES),
        )

    def describe(self, now: float | None = None) -> str:
        """``certificate for CN expires 2027-03-01 (89 days)``, or ``expired on … (3 days ago)``"""
        days = self.days_left(now)
        on = f"{self.not_after:%Y-%m-%d}"
        if days < 0:
            return f"certificate for {self.subject} expired on {on} ({-days:.0f} days ago)"
        return f"certificate for {self.subject} expires {on} ({days:.0f} days)"


def parse(der: bytes | None) -> Certificate | None:
    """The certificate, or None when there is none or it cannot be parsed."""
    if not der:
        return None
    try:
        return Certificate(der)
    except ValueError:
        return None
