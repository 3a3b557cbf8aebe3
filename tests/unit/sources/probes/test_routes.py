"""``/v1/probes`` and ``/v1/probes/<target>`` on an aiohttp test server: the JSON shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from osmon.checks.latest import CheckState, LatestState
from osmon.checks.state import State
from osmon.sources.probes.routes import probe_routes

KEYS = {
    "target",
    "kind",
    "state",
    "summary",
    "checked_at",
    "duration_seconds",
    "metrics",
    "perfdata",
    "owner",
}


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    latest = LatestState()
    latest.put(
        CheckState(
            "keystone/api@ctl1",
            "http",
            State.OK,
            "HTTP 300",
            1.0,
            0.01,
            (
                {
                    "name": "success",
                    "series": "probe_success",
                    "value": 1.0,
                    "unit": "",
                    "labels": {},
                },
            ),
            "success=1",
            "ctl1",
        )
    )
    latest.put(CheckState("rabbitmq/amqp@ctl2", "rabbitmq", State.CRITICAL, "refused", 2.0))
    app = web.Application()
    for method, path, handler in probe_routes(latest):
        app.router.add_route(method, path, handler)
    async with TestClient(TestServer(app)) as c:
        yield c


async def test_every_target(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.get("/v1/probes")
    assert resp.status == 200 and resp.content_type == "application/json"
    body = await resp.json()
    assert [b["target"] for b in body] == ["keystone/api@ctl1", "rabbitmq/amqp@ctl2"]
    assert all(set(b) == KEYS for b in body)
    assert body[0]["state"] == "OK" and body[1]["state"] == "CRITICAL"


async def test_one_target_by_its_id_raw_or_encoded(
    client: TestClient[web.Request, web.Application],
) -> None:
    for path in ("/v1/probes/keystone/api@ctl1", "/v1/probes/keystone%2Fapi%40ctl1"):
        resp = await client.get(path)
        assert resp.status == 200, path
        body = await resp.json()
        assert body == {
            "target": "keystone/api@ctl1",
            "kind": "http",
            "state": "OK",
            "summary": "HTTP 300",
            "checked_at": 1.0,
            "duration_seconds": 0.01,
            "metrics": [
                {
                    "name": "success",
                    "series": "probe_success",
                    "value": 1.0,
                    "unit": "",
                    "labels": {},
                }
            ],
            "perfdata": "success=1",
            "owner": "ctl1",
        }


async def test_an_unknown_target_is_a_json_404(
    client: TestClient[web.Request, web.Application],
) -> None:
    resp = await client.get("/v1/probes/nova-api/api@ctl9")
    assert resp.status == 404 and resp.content_type == "application/json"
    assert await resp.json() == {"error": "unknown target", "target": "nova-api/api@ctl9"}
