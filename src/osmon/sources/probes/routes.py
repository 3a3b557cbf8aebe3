"""``GET /v1/probes`` and ``GET /v1/probes/<target>``: the latest state, as JSON.

A target id contains ``/`` and ``@`` (``keystone/http@ctl1``), hence the ``{target:.+}`` route;
it may be sent as is or percent-encoded. Nothing here holds a credential: a state is a summary,
metrics and perfdata.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from osmon.checks.latest import LatestState

__all__ = ["Route", "probe_routes"]

Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]


def probe_routes(latest: LatestState) -> list[Route]:
    async def index(request: web.Request) -> web.Response:
        return web.json_response([s.to_json() for s in latest.all()])

    async def one(request: web.Request) -> web.Response:
        target = request.match_info["target"]
        found = latest.get(target)
        if found is None:
            return web.json_response(
                {"error": "unknown target", "target": target}, status=web.HTTPNotFound.status_code
            )
        return web.json_response(found.to_json())

    return [("GET", "/v1/probes", index), ("GET", "/v1/probes/{target:.+}", one)]
