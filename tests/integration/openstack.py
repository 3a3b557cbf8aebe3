"""Helpers for the OpenStack probe tests: the stack's Nova, inventories, a counting proxy.

The Nova of `deploy/local-stack` (deploy/stack/nova.sh) is real: nova-api, conductor, scheduler
and nova-compute with the fake virt driver, registered in the real Keystone. Neutron agents and
Cinder volume backends cannot run here: the stack's `openstack-stub` serves their documented
list bodies (deploy/stack/nova/stubs/, see its docstring for the API references), registered in
the same Keystone catalog as `network` and `block-storage`.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import ClientSession, web

from osmon.components import probe_function
from osmon.inventory import Inventory, Probe, expand, load_text
from osmon.probes import ProbeContext, ProbeResult
from osmon.probes.runner import run_probe
from tests.integration.conftest import LOCAL_STACK, STACK_DIR, Stack, http_status, parse_stack_env

PASSWORD_ENV = "OSMON_TEST_OS_PASSWORD"


@dataclass(frozen=True, slots=True)
class Nova:
    url: str
    host: str
    transport_url: str
    pid_dir: Path
    flavor: str
    image: str


def nova_from_stack() -> Nova | str:
    """The stack's Nova, or why it is not usable (after one `deploy/local-stack up`)."""
    for attempt in range(2):
        env = parse_stack_env(STACK_DIR / "stack.env")
        if "NOVA_URL" in env and http_status(env["NOVA_URL"].rsplit("/v2.1", 1)[0]) == 200:
            return Nova(
                env["NOVA_URL"],
                env["NOVA_HOST"],
                env["NOVA_TRANSPORT_URL"],
                Path(env["NOVA_RPC_PID_DIR"]),
                env["NOVA_FLAVOR"],
                env["NOVA_IMAGE"],
            )
        if attempt == 0:
            subprocess.run([str(LOCAL_STACK), "up"], capture_output=True, timeout=1800)
    return f"the stack's Nova is not up (stack.env: {STACK_DIR / 'stack.env'}, `{LOCAL_STACK} up`)"


def restore_stack() -> None:
    """Start again what a test stopped: the stack's own idempotent script."""
    proc = subprocess.run(
        [str(LOCAL_STACK), "up"], capture_output=True, text=True, timeout=1800, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def inventory(stack: Stack, services: str, *, auth_url: str | None = None) -> Inventory:
    """An inventory of the stack's hosts with Keystone auth (password in ``PASSWORD_ENV``)."""
    url = auth_url or stack.keystone_url
    text = (
        "cloud: {name: osmon-test, region: RegionOne}\n"
        f"auth: {{auth_url: '{url}', username: {stack.keystone_admin_user}, "
        f"project_name: {stack.keystone_admin_project}, password_env: {PASSWORD_ENV}, "
        "interface: public}\n"
        "defaults: {timeout: 20}\n"
        "hosts:\n"
        "  osmon-nova: {address: 127.0.0.1, roles: [controller, compute]}\n"
        "  osmon-net2: {address: 127.0.0.2, roles: [network]}\n"
        "  ghost: {address: 127.0.0.3, roles: [spare]}\n"
        f"services:\n{services}"
    )
    return load_text(text, "openstack-test.yaml")


def probes(inv: Inventory, ids: Iterable[str] | None = None) -> dict[str, Probe]:
    # process probes count this machine's processes: not what these API tests look at
    found = {p.id: p for p in expand(inv).probes if p.type != "process"}
    if ids is not None:
        found = {i: found[i] for i in ids}
    return found


async def run_all(targets: Iterable[Probe], ctx: ProbeContext) -> dict[str, ProbeResult]:
    todo = list(targets)
    results = await asyncio.gather(*(run_probe(t, probe_function(t.type), ctx) for t in todo))
    return {r.target: r for r in results}


def values(result: ProbeResult) -> dict[str, float]:
    """Metric values by name (the last one of a name wins)."""
    return {m.name: m.value for m in result.metrics}


def series(result: ProbeResult, name: str) -> list[tuple[float, dict[str, str]]]:
    return [(m.value, dict(m.labels)) for m in result.metrics if m.series_name == name]


class CountingProxy:
    """A reverse proxy in front of the real Keystone that counts token requests.

    ``down`` makes it answer 503 itself (a Keystone behind a broken load balancer).
    """

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = f"{parts.scheme}://{parts.netloc}"
        self.path = parts.path
        self.token_requests = 0
        self.requests = 0
        self.down = False
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if request.method == "POST" and request.path.endswith("/auth/tokens"):
            self.token_requests += 1
        if self.down:
            return web.json_response({"error": {"code": 503}}, status=503)
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host",)}
        async with self._client.request(
            request.method,
            self.upstream + request.path_qs,
            headers=headers,
            data=await request.read(),
        ) as up:
            body = await up.read()
            keep = {"content-type", "x-subject-token", "openstack-api-version", "vary"}
            out = {k: v for k, v in up.headers.items() if k.lower() in keep}
            return web.Response(status=up.status, body=body, headers=out)

    async def start(self) -> str:
        self._client = ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}{self.path}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()
