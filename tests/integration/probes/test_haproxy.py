"""The haproxy probe against real HAProxy 2.6: the stack's instance (one server up, one down)
and a private one per test module whose backend servers (python http.server) the test kills."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from osmon.checks.state import State
from osmon.probes import ProbeResult
from tests.integration.probes.infra import HEAD, Infra, free_port, infra, run_one, series

__all__ = ["infra"]

WAIT_S = 30.0


def stack_inventory(url: str) -> str:
    return HEAD + f"infrastructure:\n  haproxy:\n    probes: {{stats: {{url: '{url}'}}}}\n"


async def test_stack_instance_over_http_one_server_down_is_warning(infra: Infra) -> None:
    result = await run_one(stack_inventory(infra.haproxy_stats_url), "haproxy/stats")
    assert result.state == State.WARNING
    assert result.summary.startswith("1 backends, 2 servers, DOWN: be_stack/down")
    assert "backends_down 1 outside 0 (WARNING)" in result.summary
    assert series(result, "haproxy_server_status", server="up", state="UP") == 1.0
    assert series(result, "haproxy_server_status", server="down", state="DOWN") == 1.0
    assert series(result, "haproxy_server_status", server="down", state="UP") == 0.0
    assert series(result, "osmon_probe_haproxy_backends_down") == 1.0
    assert series(result, "haproxy_backend_active_servers", proxy="be_stack") == 1.0


async def test_stack_instance_over_the_stats_socket(infra: Infra) -> None:
    result = await run_one(stack_inventory(f"unix://{infra.haproxy_socket}"), "haproxy/stats")
    assert result.state == State.WARNING, result.summary
    assert series(result, "haproxy_server_status", proxy="be_stack", server="up", state="UP") == 1


async def test_per_host_default_probe_reads_the_catalog_path(infra: Infra) -> None:
    port = int(infra.haproxy_stats_url.split("/")[2].rpartition(":")[2])
    inventory = HEAD + f"infrastructure:\n  haproxy: {{endpoint: {{port: {port}}}}}\n"
    result = await run_one(inventory, "haproxy/stats@local")
    assert result.state == State.WARNING and "be_stack/down" in result.summary


@dataclass
class Private:
    """A private HAProxy: be_one has server a; be_two has a2 (same backend process as a) and b."""

    dir: Path
    stats_port: int
    auth_port: int
    tls_port: int
    frontend_port: int
    backends: dict[str, subprocess.Popen[bytes]]
    haproxy: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.stats_port}/;csv"

    def socket_command(self, command: str) -> str:
        proc = subprocess.run(
            ["socat", "-", f"UNIX-CONNECT:{self.dir / 'admin.sock'}"],
            input=command + "\n",
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return proc.stdout


CONFIG = """\
global
    stats socket {dir}/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen stats
    bind 127.0.0.1:{stats}
    stats enable
    stats uri /
listen stats_tls
    bind 127.0.0.1:{tls} ssl crt {dir}/stats.pem
    stats enable
    stats uri /
listen stats_auth
    bind 127.0.0.1:{auth}
    stats enable
    stats uri /
    stats auth osmon:s3cret
frontend fe_one
    bind 127.0.0.1:{fe}
    default_backend be_one
backend be_nocheck
    server n 127.0.0.1:{b}
backend be_one
    option httpchk GET /
    default-server inter 200ms fall 2 rise 1
    server a 127.0.0.1:{a} check
backend be_two
    option httpchk GET /
    default-server inter 200ms fall 2 rise 1
    server a2 127.0.0.1:{a} check
    server b 127.0.0.1:{b} check
"""


def _http_server(port: int, root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory, infra: Infra) -> Iterator[Private]:
    d = tmp_path_factory.mktemp("haproxy")
    ports = {name: free_port() for name in ("stats", "auth", "tls", "fe", "a", "b")}
    (d / "haproxy.cfg").write_text(CONFIG.format(dir=d, **ports))
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=stats.osmon.test", "-addext", "subjectAltName=DNS:stats.osmon.test",
         "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    (d / "stats.pem").write_text((d / "cert.pem").read_text() + (d / "key.pem").read_text())
    backends = {name: _http_server(ports[name], d) for name in ("a", "b")}
    log = (d / "haproxy.log").open("wb")
    haproxy = subprocess.Popen(
        ["/usr/sbin/haproxy", "-db", "-f", str(d / "haproxy.cfg")],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield Private(
            d, ports["stats"], ports["auth"], ports["tls"], ports["fe"], backends, haproxy
        )
    finally:
        for proc in (haproxy, *backends.values()):
            proc.terminate()
            proc.wait(10)
        log.close()


async def _until(
    inventory: str, probe_id: str, state: State, down: float | None = None
) -> ProbeResult:
    """Probe until the result has ``state`` (and ``down`` servers DOWN, when given): each
    server's health check marks it DOWN on its own schedule, so settle on the whole picture."""
    deadline = time.monotonic() + WAIT_S
    while True:
        result = await run_one(inventory, probe_id)
        settled = down is None or series(result, "osmon_probe_haproxy_backends_down") == down
        if (result.state == state and settled) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.2)


async def test_private_all_up_then_a_killed_server_empties_a_backend(private: Private) -> None:
    inventory = stack_inventory(private.url)
    result = await _until(inventory, "haproxy/stats", State.OK)
    assert result.state == State.OK, result.summary
    # the stats listeners have no server; n has no health check (HAProxy's exporter: UP)
    assert result.summary == "3 backends, 4 servers, no check: be_nocheck/n"
    assert series(result, "haproxy_server_status", proxy="be_nocheck", state="UP") == 1.0
    assert series(result, "osmon_probe_haproxy_backends_down") == 0.0

    private.backends["a"].kill()
    private.backends["a"].wait(10)
    result = await _until(inventory, "haproxy/stats", State.CRITICAL, down=2.0)
    assert result.state == State.CRITICAL, result.summary
    assert result.summary.startswith("backend be_one: no server UP (a DOWN")
    assert "be_two" not in result.summary.split(";")[0]
    assert series(result, "haproxy_server_status", proxy="be_one", server="a", state="DOWN") == 1
    assert series(result, "haproxy_server_status", proxy="be_two", server="b", state="UP") == 1
    assert series(result, "osmon_probe_haproxy_backends_down") == 2.0
    assert series(result, "haproxy_backend_active_servers", proxy="be_one") == 0.0
    # the frontend of the emptied backend answers 503: not a stats page
    url = f"http://127.0.0.1:{private.frontend_port}/;csv"
    failed = await run_one(stack_inventory(url), "haproxy/stats")
    assert (failed.state, failed.summary) == (State.CRITICAL, f"HTTP 503 from {url}")

    private.socket_command("disable server be_two/b")  # MAINT: be_two has no server UP either
    result = await run_one(inventory, "haproxy/stats")
    assert series(result, "haproxy_server_status", proxy="be_two", server="b", state="MAINT") == 1
    assert "backend be_two: no server UP (a2 DOWN" in result.summary
    assert "b MAINT" in result.summary


async def test_stats_login(private: Private, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{private.auth_port}/;csv"
    result = await run_one(stack_inventory(url), "haproxy/stats")
    assert result.state == State.UNKNOWN
    assert result.summary == f"login refused by {url} (HTTP 401)"
    monkeypatch.setenv("HAPROXY_STATS_PW", "s3cret")
    creds = "    credentials: {username: osmon, password_env: HAPROXY_STATS_PW}\n"
    result = await run_one(stack_inventory(url) + creds, "haproxy/stats")
    assert result.state != State.UNKNOWN, result.summary
    assert series(result, "haproxy_server_status", proxy="be_two", server="b", state="UP") in (0, 1)


async def test_not_stats_refused_and_no_socket(private: Private, tmp_path: Path) -> None:
    html = await run_one(
        stack_inventory(f"http://127.0.0.1:{private.stats_port}/"), "haproxy/stats"
    )
    assert html.state == State.CRITICAL and html.summary.startswith("not HAProxy CSV stats: ")
    port = free_port()
    refused = await run_one(stack_inventory(f"http://127.0.0.1:{port}/;csv"), "haproxy/stats")
    assert (refused.state, refused.summary) == (State.CRITICAL, "connection refused")
    gone = await run_one(stack_inventory(f"unix://{tmp_path}/none.sock"), "haproxy/stats")
    assert (gone.state, gone.summary) == (State.CRITICAL, f"no socket at {tmp_path}/none.sock")


async def test_stats_over_tls(private: Private) -> None:
    """A self-signed certificate for stats.osmon.test, probed by IP address."""
    url = f"https://127.0.0.1:{private.tls_port}/;csv"

    def with_tls(tls: str) -> str:
        return HEAD + f"infrastructure:\n  haproxy:\n    probes: {{stats: {{url: '{url}'{tls}}}}}\n"

    untrusted = await run_one(with_tls(""), "haproxy/stats")
    assert untrusted.state == State.CRITICAL
    assert untrusted.summary == "TLS certificate not trusted: self-signed"
    ca = f", tls: {{ca_file: {private.dir}/cert.pem"
    wrong_name = await run_one(with_tls(ca + "}"), "haproxy/stats")
    assert wrong_name.state == State.CRITICAL
    assert wrong_name.summary == "TLS certificate does not match '127.0.0.1'"
    trusted = await run_one(with_tls(ca + ", server_name: stats.osmon.test}"), "haproxy/stats")
    assert series(trusted, "haproxy_server_status", proxy="be_two", server="b", state="UP") in (
        0,
        1,
    )
    unverified = await run_one(with_tls(", tls: {verify: false}"), "haproxy/stats")
    assert series(unverified, "haproxy_server_status", proxy="be_two", server="b", state="UP") in (
        0,
        1,
    )
