"""Every way an OpenStack API can fail a probe: a distinct state and summary, never an exception.

A local asyncio server plays the broken API (refused, reset, 5xx, 401, garbage JSON, a body
that is no service list, a self-signed certificate), as the issue's fault fleet does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from osmon.checks.state import State
from osmon.inventory import expand, load_text
from osmon.probes import Metric, ProbeContext, ProbeFailed
from osmon.probes.gnocchi import probe as gnocchi_probe
from osmon.probes.openstack_api import get_json
from osmon.probes.runner import run_probe

DOWN = (Metric("api_up", 0.0, series="openstack_nova_up"),)


async def _reset(request: web.Request) -> web.StreamResponse:
    """Close with RST (SO_LINGER 0) before any response."""
    assert request.transport is not None
    sock = request.transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.transport.close()
    await asyncio.sleep(0.1)
    return web.Response()


def _answer(response: web.Response) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return response

    return handler


def _app() -> web.Application:
    app = web.Application()
    for path, response in {
        "/ok": web.json_response({"services": []}),
        "/503": web.Response(status=503, text="<html>busy</html>"),
        "/401": web.Response(status=401),
        "/404": web.json_response({"itemNotFound": {}}, status=404),
        "/garbage": web.Response(text="{not json", content_type="application/json"),
        "/v1/status": web.json_response({"storage": {"summary": {}}}),
    }.items():
        app.router.add_get(path, _answer(response))
    app.router.add_get("/reset", _reset)
    return app


async def _serve(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


@pytest.fixture
async def api() -> AsyncIterator[str]:
    runner, port = await _serve(_app())
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def ctx() -> AsyncIterator[ProbeContext]:
    context = ProbeContext("test")
    yield context
    await context.close()


async def _failure(ctx: ProbeContext, url: str, **kw: object) -> ProbeFailed:
    with pytest.raises(ProbeFailed) as info:
        await get_json(ctx, url, what="compute API", headers={}, failed=DOWN, **kw)  # type: ignore[arg-type]
    assert info.value.metrics == DOWN
    return info.value


async def test_answers_and_failures_are_distinct(api: str, ctx: ProbeContext) -> None:
    assert await get_json(ctx, f"{api}/ok", what="compute API", headers={}) == {"services": []}
    expected = {
        "/503": (State.CRITICAL, "compute API answered 503"),
        "/404": (State.CRITICAL, "compute API answered 404"),
        "/garbage": (State.CRITICAL, "compute API: body is not JSON"),
        "/401": (State.UNKNOWN, "compute API refused the request (401)"),
    }
    for path, (state, summary) in expected.items():
        failure = await _failure(ctx, api + path)
        assert (failure.state, failure.summary) == (state, summary)
    reset = await _failure(ctx, f"{api}/reset")
    assert reset.state == State.CRITICAL
    assert reset.summary in (
        "compute API: connection reset",
        "compute API: connection closed before a response",
    )


async def test_a_refused_token_is_dropped(api: str, ctx: ProbeContext) -> None:
    dropped: list[bool] = []
    with pytest.raises(ProbeFailed):
        await get_json(
            ctx, f"{api}/401", what="x", headers={}, on_refused=lambda: dropped.append(True)
        )
    assert dropped == [True]


async def test_refused_and_unresolvable(ctx: ProbeContext) -> None:
    runner, port = await _serve(web.Application())
    await runner.cleanup()  # the port is closed now
    refused = await _failure(ctx, f"http://127.0.0.1:{port}/")
    assert (refused.state, refused.summary) == (State.CRITICAL, "compute API: connection refused")
    unknown_host = await _failure(ctx, "http://no-such-host.invalid/")
    assert unknown_host.summary == "compute API: cannot resolve no-such-host.invalid"


def _self_signed(tmp: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return server


async def test_an_unknown_ca_is_tls_invalid(ctx: ProbeContext, tmp_path: Path) -> None:
    runner, port = await _serve(_app(), _self_signed(tmp_path))
    try:
        failure = await _failure(ctx, f"https://127.0.0.1:{port}/ok")
    finally:
        await runner.cleanup()
    assert failure.state == State.CRITICAL
    assert failure.summary.startswith("compute API: TLS certificate invalid")


async def test_a_status_document_without_the_backlog_is_critical(
    api: str, ctx: ProbeContext
) -> None:
    inv = load_text(
        "cloud: {name: c}\nhosts:\n  h: {address: 127.0.0.1, roles: [controller]}\n"
        "services:\n  gnocchi-api:\n    probes:\n"
        f"      backlog: {{type: gnocchi, url: '{api}/'}}\n",
        "inv.yaml",
    )
    (target,) = [p for p in expand(inv).probes if p.name == "backlog"]
    result = await run_probe(target, gnocchi_probe, ctx)
    assert (result.state, result.summary) == (
        State.CRITICAL,
        "gnocchi API: unexpected body (no number at storage.summary.measures)",
    )
    assert [m.value for m in result.metrics if m.series_name == "openstack_gnocchi_up"] == [0.0]
