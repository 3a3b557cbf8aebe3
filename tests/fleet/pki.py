"""Certificates for the fleet, generated with ``cryptography``: a CA and servers signed by it
(valid, expired, not yet valid, for another host), a self-signed server, and a client CA with
a client certificate for mutual TLS. EC P-256 keys: generating them takes microseconds."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Pair", "Pki", "make_pki"]

HOST = "localhost"
OTHER_HOST = "other.example"
Key = ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True)
class Pair:
    """A certificate and its key (PEM files), and the certificate's notAfter."""

    cert: Path
    key: Path
    not_after: dt.datetime


@dataclass(frozen=True, slots=True)
class Pki:
    ca: Path  # the CA bundle clients trust
    valid: Pair  # localhost + 127.0.0.1, 90 days left
    expired: Pair
    not_yet_valid: Pair
    wrong_host: Pair  # only other.example
    self_signed: Pair  # localhost + 127.0.0.1, issuer = itself
    client_ca: Path
    client: Pair


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(directory: Path, stem: str, cert: x509.Certificate, key: Key) -> Pair:
    cert_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Pair(cert_path, key_path, cert.not_valid_after_utc)


def _cert(
    subject: str,
    key: Key,
    issuer: tuple[x509.Name, Key] | None,
    *,
    start: dt.datetime,
    end: dt.datetime,
    names: tuple[str, ...] = (),
    ca: bool = False,
    client: bool = False,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer if issuer is not None else (_name(subject), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        sans: list[x509.GeneralName] = []
        for name in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if ca:
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
        builder = builder.add_extension(usage, critical=True)
    else:
        purpose = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(directory: Path) -> Pki:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    day = dt.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _cert("osmon test CA", ca_key, None, start=now - day, end=now + 3650 * day, ca=True)
    ca = (_name("osmon test CA"), ca_key)
    local = (HOST, "127.0.0.1")

    def server(stem: str, start: dt.datetime, end: dt.datetime, names: tuple[str, ...]) -> Pair:
        key = ec.generate_private_key(ec.SECP256R1())
        return _write(directory, stem, _cert(stem, key, ca, start=start, end=end, names=names), key)

    valid = server("valid", now - day, now + 90 * day, local)
    expired = server("expired", now - 400 * day, now - 30 * day, local)
    not_yet_valid = server("not-yet-valid", now + 10 * day, now + 400 * day, local)
    wrong_host = server("wrong-host", now - day, now + 90 * day, (OTHER_HOST,))
    own_key = ec.generate_private_key(ec.SECP256R1())
    own = _cert("self-signed", own_key, None, start=now - day, end=now + 20 * day, names=local)
    self_signed = _write(directory, "self-signed", own, own_key)

    client_ca_key = ec.generate_private_key(ec.SECP256R1())
    client_ca_cert = _cert(
        "osmon client CA", client_ca_key, None, start=now - day, end=now + 3650 * day, ca=True
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = _cert(
        "osmon-probe",
        client_key,
        (_name("osmon client CA"), client_ca_key),
        start=now - day,
        end=now + 90 * day,
        client=True,
    )
    client = _write(directory, "client", client_cert, client_key)

    ca_path = directory / "ca.crt"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    client_ca_path = directory / "client-ca.crt"
    client_ca_path.write_bytes(client_ca_cert.public_bytes(serialization.Encoding.PEM))
    return Pki(
        ca_path, valid, expired, not_yet_valid, wrong_host, self_signed, client_ca_path, client
    )
