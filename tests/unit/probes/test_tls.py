"""The tls probe: days left on the certificate, and the verification verdict beside them."""

from __future__ import annotations

import math

import pytest

from osmon.checks.state import State
from osmon.inventory import Threshold
from osmon.probes import ProbeContext
from osmon.probes.runner import run_probe
from osmon.probes.tls import probe
from tests.fleet import Fleet, Pki
from tests.unit.probes.conftest import target

CATALOG = {"days_left": Threshold("30:", "7:")}  # the catalog's default


@pytest.mark.parametrize(
    ("site", "options", "state", "summary", "days"),
    [
        ("valid", {}, State.OK, "certificate for valid expires {date} (90 days)", 90),
        (
            "expired",
            {},
            State.CRITICAL,
            "TLS certificate expired; certificate for expired expired on {date} (30 days ago); "
            "days_left -30 outside 7: (CRITICAL)",
            -30,
        ),
        (
            "not_yet_valid",
            {},
            State.CRITICAL,
            "TLS certificate not yet valid; "
            "certificate for not-yet-valid expires {date} (400 days)",
            400,
        ),
        (
            "wrong_host",
            {},
            State.CRITICAL,
            "TLS certificate does not match '127.0.0.1'; "
            "certificate for wrong-host expires {date} (90 days)",
            90,
        ),
        (
            "wrong_host",
            {"server_name": "other.example"},
            State.OK,
            "certificate for wrong-host expires {date} (90 days)",
            90,
        ),
        (
            "self_signed",
            {},
            State.CRITICAL,
            "TLS certificate not trusted: self-signed; "
            "certificate for self-signed expires {date} (20 days); "
            "days_left 20 outside 30: (WARNING)",
            20,
        ),
        (
            "self_signed",
            {"tls_verify": False},
            State.WARNING,
            "certificate for self-signed expires {date} (20 days); "
            "days_left 20 outside 30: (WARNING)",
            20,
        ),
        (
            "valid",
            {"ca_file": None},
            State.CRITICAL,
            "TLS certificate not trusted: unknown CA; "
            "certificate for valid expires {date} (90 days)",
            90,
        ),
    ],
)
async def test_certificates(
    fleet: Fleet,
    pki: Pki,
    ctx: ProbeContext,
    site: str,
    options: dict[str, object],
    state: State,
    summary: str,
    days: int,
) -> None:
    settings = {"ca_file": str(pki.ca), "thresholds": CATALOG, **options}
    result = await run_probe(target("tls", fleet.url(site=site), **settings), probe, ctx)
    pair = getattr(pki, site)
    assert result.state == state
    assert result.summary == summary.format(date=f"{pair.not_after:%Y-%m-%d}")
    found = {m.series_name: m.value for m in result.metrics}
    assert found["probe_ssl_earliest_cert_expiry"] == pair.not_after.timestamp()
    assert math.isclose(found["osmon_probe_ssl_days_left"], days, abs_tol=0.01)


async def test_client_certificate_is_presented(fleet: Fleet, pki: Pki, ctx: ProbeContext) -> None:
    client = {"client_cert": str(pki.client.cert), "client_key": str(pki.client.key)}
    t = target("tls", fleet.url(site="mtls12"), ca_file=str(pki.ca), thresholds={}, **client)
    assert (await run_probe(t, probe, ctx)).state == State.OK
    bare = target("tls", fleet.url(site="mtls12"), ca_file=str(pki.ca), thresholds={})
    result = await run_probe(bare, probe, ctx)
    assert (result.state, result.summary) == (State.CRITICAL, "connection reset by peer")


@pytest.mark.parametrize(
    ("site", "summary"),
    [
        ("plain", "TLS handshake failed: wrong version number"),
        ("refused", "connection refused"),
        ("silent", "timed out after 0.5s"),
    ],
)
async def test_failures_before_a_certificate(
    fleet: Fleet, ctx: ProbeContext, site: str, summary: str
) -> None:
    t = target("tls", fleet.url(site=site), timeout=0.5)
    result = await run_probe(t, probe, ctx)
    assert (result.state, result.summary) == (State.CRITICAL, summary)
    assert "probe_ssl_earliest_cert_expiry" not in {m.series_name for m in result.metrics}


async def test_no_address_is_unknown(ctx: ProbeContext) -> None:
    result = await run_probe(target("tls"), probe, ctx)
    assert (result.state, result.summary) == (State.UNKNOWN, "no address and port to connect to")
