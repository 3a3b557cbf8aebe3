"""The http probe against the local fleet: every verdict with its exact state and summary."""

from __future__ import annotations

import math

import pytest

from osmon.checks.state import State
from osmon.inventory import Probe
from osmon.probes import ProbeContext, ProbeResult
from osmon.probes.http import probe, session
from osmon.probes.runner import run_probe
from tests.fleet import Fleet, Pki
from tests.unit.probes.conftest import target

VERSIONS = r'"versions?"\s*:'


async def run(t: Probe, ctx: ProbeContext) -> ProbeResult:
    return await run_probe(t, probe, ctx)


def series(result: ProbeResult) -> dict[str, float]:
    return {m.series_name: m.value for m in result.metrics}


async def test_version_document_is_ok_with_blackbox_names(fleet: Fleet, ctx: ProbeContext) -> None:
    result = await run(target("http", fleet.url(), body_pattern=VERSIONS), ctx)
    assert result.state == State.OK
    assert result.summary.startswith("HTTP 200 in ") and result.summary.endswith("s")
    found = series(result)
    assert found["probe_http_status_code"] == 200.0 and found["probe_success"] == 1.0
    assert found["osmon_probe_response_time_seconds"] > 0
    assert "probe_ssl_earliest_cert_expiry" not in found and "probe_http_ssl" not in found


@pytest.mark.parametrize(
    ("path", "expected", "state", "summary", "status"),
    [
        ("/status/503", (200,), State.CRITICAL, "HTTP 503, expected 200", 503),
        ("/status/500", (200,), State.CRITICAL, "HTTP 500, expected 200", 500),
        ("/status/404", (200, 300), State.CRITICAL, "HTTP 404, expected 200 or 300", 404),
        ("/status/200", (300,), State.CRITICAL, "HTTP 200, expected 300", 200),
        ("/status/401", (200, 300, 401), State.OK, "HTTP 401 in ", 401),
        ("/status/300", (200, 300), State.OK, "HTTP 300 in ", 300),
        (
            "/redirect",
            (200,),
            State.CRITICAL,
            "HTTP 302, expected 200 (redirect to /version not followed)",
            302,
        ),
    ],
)
async def test_status_is_compared_with_the_expected_ones(
    fleet: Fleet,
    ctx: ProbeContext,
    path: str,
    expected: tuple[int, ...],
    state: State,
    summary: str,
    status: int,
) -> None:
    result = await run(target("http", fleet.url(path), expected_status=expected), ctx)
    assert result.state == state
    assert result.summary.startswith(summary) if state == State.OK else result.summary == summary
    assert series(result)["probe_http_status_code"] == status
    # a wrong status is a failed probe, as blackbox's probe_success says
    assert series(result)["probe_success"] == (1.0 if state == State.OK else 0.0)


async def test_redirects_are_followed_only_when_configured(fleet: Fleet, ctx: ProbeContext) -> None:
    followed = await run(target("http", fleet.url("/redirect"), follow_redirects=True), ctx)
    assert followed.state == State.OK and series(followed)["probe_http_status_code"] == 200.0


@pytest.mark.parametrize(
    ("path", "pattern", "state", "summary"),
    [
        ("/html", VERSIONS, State.CRITICAL, r'body does not match /"versions?"\s*:/'),
        ("/garbage", VERSIONS, State.CRITICAL, r'body does not match /"versions?"\s*:/'),
        ("/garbage", None, State.OK, "HTTP 200 in "),  # garbage is fine for a status check
        ("/endless", VERSIONS, State.OK, "HTTP 200 in "),  # read up to BODY_LIMIT, then cut
        ("/short", None, State.CRITICAL, "response body cut off before its announced end"),
    ],
)
async def test_body(
    fleet: Fleet, ctx: ProbeContext, path: str, pattern: str | None, state: State, summary: str
) -> None:
    result = await run(target("http", fleet.url(path), body_pattern=pattern), ctx)
    assert result.state == state
    assert result.summary.startswith(summary) if state == State.OK else result.summary == summary


@pytest.mark.parametrize(
    ("site", "summary"),
    [
        ("refused", "connection refused"),
        ("reset", "connection reset by peer"),
        ("close", "connection closed without a response"),
        ("garbage", "not an HTTP response: bad status line"),
        ("silent", "timed out after 0.5s"),  # connected, no answer
        ("full", "timed out after 0.5s"),  # never connected
    ],
)
async def test_connection_failures(
    fleet: Fleet, ctx: ProbeContext, site: str, summary: str
) -> None:
    result = await run(target("http", fleet.url(site=site), timeout=0.5), ctx)
    assert (result.state, result.summary) == (State.CRITICAL, summary)
    assert series(result)["probe_success"] == 0.0
    if site not in ("silent", "full"):  # blackbox reports status 0 when no response came
        assert series(result)["probe_http_status_code"] == 0.0


async def test_slow_endpoint_is_left_to_the_runner(fleet: Fleet, ctx: ProbeContext) -> None:
    result = await run(target("http", fleet.url("/slow/30"), timeout=0.3), ctx)
    assert (result.state, result.summary) == (State.CRITICAL, "timed out after 0.3s")


async def test_dns_failure(ctx: ProbeContext) -> None:
    result = await run(target("http", "http://nothing.invalid:8774/"), ctx)
    assert result.state == State.CRITICAL
    assert result.summary.startswith("DNS lookup failed for nothing.invalid: ")


async def test_no_url_is_unknown(ctx: ProbeContext) -> None:
    result = await run(target("http"), ctx)
    assert (result.state, result.summary) == (State.UNKNOWN, "no URL to probe")


@pytest.mark.parametrize(
    ("site", "options", "state", "summary"),
    [
        ("valid", {}, State.OK, "HTTP 200 in "),
        ("valid", {"ca_file": None}, State.CRITICAL, "TLS certificate not trusted: unknown CA"),
        ("expired", {}, State.CRITICAL, "TLS certificate expired"),
        ("not_yet_valid", {}, State.CRITICAL, "TLS certificate not yet valid"),
        ("wrong_host", {}, State.CRITICAL, "TLS certificate does not match '127.0.0.1'"),
        (
            "wrong_host",
            {"server_name": "localhost"},
            State.CRITICAL,
            "TLS certificate does not match 'localhost'",
        ),
        ("wrong_host", {"server_name": "other.example"}, State.OK, "HTTP 200 in "),
        ("valid", {"server_name": "localhost"}, State.OK, "HTTP 200 in "),
        ("self_signed", {}, State.CRITICAL, "TLS certificate not trusted: self-signed"),
        ("self_signed", {"tls_verify": False}, State.OK, "HTTP 200 in "),
        ("expired", {"tls_verify": False}, State.OK, "HTTP 200 in "),
        ("mtls", {"client": True}, State.OK, "HTTP 200 in "),
        # TLS 1.3 servers refuse a missing client certificate after the handshake, 1.2 in it
        ("mtls", {}, State.CRITICAL, "connection closed without a response"),
        ("mtls12", {}, State.CRITICAL, "connection reset by peer"),
        ("mtls12", {"client": True}, State.OK, "HTTP 200 in "),
    ],
)
async def test_tls(
    fleet: Fleet,
    pki: Pki,
    ctx: ProbeContext,
    site: str,
    options: dict[str, object],
    state: State,
    summary: str,
) -> None:
    settings = {"ca_file": str(pki.ca), **options}
    if settings.pop("client", False):
        settings.update(client_cert=str(pki.client.cert), client_key=str(pki.client.key))
    result = await run(target("http", fleet.url(site=site), **settings), ctx)
    assert result.state == state
    assert result.summary.startswith(summary) if state == State.OK else result.summary == summary


async def test_server_name_is_sent_as_sni_and_host(
    fleet: Fleet, pki: Pki, ctx: ProbeContext
) -> None:
    port = fleet.ports["wrong_host"]
    named = target(
        "http",
        fleet.url("/host", site="wrong_host"),
        ca_file=str(pki.ca),
        server_name="other.example",
        body_pattern=f"^Host: other\\.example:{port}$",
    )
    assert (await run(named, ctx)).state == State.OK
    plain = target("http", fleet.url("/host"), server_name="other.example", body_pattern="other")
    result = await run(plain, ctx)  # server_name is a TLS setting: plain HTTP keeps the URL's
    assert result.summary == "body does not match /other/"


async def test_certificate_expiry_metrics(fleet: Fleet, pki: Pki, ctx: ProbeContext) -> None:
    result = await run(target("http", fleet.url(site="valid"), ca_file=str(pki.ca)), ctx)
    found = series(result)
    assert found["probe_http_ssl"] == 1.0
    assert found["probe_ssl_earliest_cert_expiry"] == pki.valid.not_after.timestamp()
    assert math.isclose(found["osmon_probe_ssl_days_left"], 90, abs_tol=0.01)


async def test_https_to_a_plain_port_fails_the_handshake(fleet: Fleet, ctx: ProbeContext) -> None:
    url = fleet.url(site="plain").replace("http:", "https:")
    result = await run(target("http", url), ctx)
    assert (result.state, result.summary) == (
        State.CRITICAL,
        "TLS handshake failed: wrong version number",
    )


async def test_unloadable_tls_files_are_unknown(fleet: Fleet, pki: Pki, ctx: ProbeContext) -> None:
    url = fleet.url(site="valid")
    no_ca = await run(target("http", url, ca_file="/nonexistent/ca.pem"), ctx)
    assert no_ca.state == State.UNKNOWN
    assert no_ca.summary.startswith("cannot load CA bundle /nonexistent/ca.pem: ")
    no_cert = await run(target("http", url, client_cert=str(pki.ca)), ctx)  # a cert, no key
    assert no_cert.state == State.UNKNOWN
    assert no_cert.summary.startswith(f"cannot load client certificate {pki.ca}: ")


async def test_one_session_per_tls_configuration_closed_with_the_context(
    fleet: Fleet, pki: Pki
) -> None:
    ctx = ProbeContext(hostname="ctl1")
    first = target("http", fleet.url())
    same = target("http", fleet.url("/status/200"))
    other = target("http", fleet.url(site="valid"), ca_file=str(pki.ca))
    sessions = {id(session(t, ctx)) for t in (first, same, other)}
    assert len(sessions) == 2
    for t in (first, same, other):
        assert (await run(t, ctx)).state == State.OK
    opened = list(ctx.resources["http.sessions"].values())
    await ctx.close()
    assert all(s.closed for s in opened) and ctx.resources == {}
