"""One listener for /metrics, /healthz, /status; later features mount more routes on it.

/metrics negotiates the format like prometheus_client does: OpenMetrics when the scraper asks
for it, the classic text format otherwise.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HttpServer:
    def __init__(
        self,
        registry: CollectorRegistry,
        status: Callable[[], dict[str, Any]],
        healthy: Callable[[], tuple[bool, str]],
    ) -> None:
        self.registry = registry
        self._status = status
        self._healthy = healthy
        self.app = web.Application(client_max_size=8 << 20)
        self.app.router.add_get("/metrics", self._metrics)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/status", self._status_view)
        self._runner: web.AppRunner | None = None
        self.bound: list[tuple[str, int]] = []

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Mount a feature's endpoint (the Aodh webhook, ...) before ``start``."""
        self.app.router.add_route(method, path, handler)

    async def _metrics(self, request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        body = encoder(self.registry)
        resp = web.Response(body=body)
        resp.headers["Content-Type"] = content_type
        return resp

    async def _healthz(self, request: web.Request) -> web.Response:
        ok, why = self._healthy()
        return web.json_response(
            {"status": "ok" if ok else "failing", "reason": why}, status=200 if ok else 503
        )

    async def _status_view(self, request: web.Request) -> web.Response:
        return web.json_response(self._status(), dumps=lambda o: json.dumps(o, default=str))

    async def start(self, host: str, port: int, ssl_context: ssl.SSLContext | None = None) -> None:
        """Bind; HTTPS with ``ssl_context``. No access log: webhook URLs carry a secret."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True, ssl_context=ssl_context)
        await site.start()
        server = site._server
        if server is not None:
            self.bound = [s.getsockname()[:2] for s in getattr(server, "sockets", [])]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
