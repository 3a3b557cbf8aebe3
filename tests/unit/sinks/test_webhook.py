"""The ``webhook`` sink against a small aiohttp hook: one Aodh body per transition, failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client import CollectorRegistry

from osmon.components import Context
from osmon.inventory import load_text
from osmon.records import Event
from osmon.sinks.base import TransientError
from osmon.sinks.webhook import WebhookSink, build

INVENTORY = "cloud: {name: prod}\nhosts: {ctl1: {address: 10.0.0.11}}\n"


def transition(i: int) -> Event:
    raw = {"alarm_name": f"a{i}", "alarm_id": str(i), "current": "alarm"}
    return Event("alarm.transition", 1.0, f"m{i}", {"alarm_name": f"a{i}"}, raw)


class Hook:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str]] = []
        self.answers: list[int] = []

    async def handle(self, request: web.Request) -> web.Response:
        status = self.answers.pop(0) if self.answers else 200
        if status < 300:
            self.received.append((await request.json(), request.headers.get("X-Token", "")))
        return web.Response(status=status)


@pytest.fixture
async def hook() -> AsyncIterator[tuple[Hook, str]]:
    h = Hook()
    app = web.Application()
    app.router.add_post("/hook", h.handle)
    async with TestServer(app) as server:
        yield h, str(server.make_url("/hook"))


def sink(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WebhookSink:
    monkeypatch.setenv("OSMON_TEST_HOOK_TOKEN", "tok-123")
    ctx = Context(load_text(INVENTORY, "inv.yaml"), tmp_path, CollectorRegistry())
    return build("fwd", {"url": url, "headers_env": {"X-Token": "OSMON_TEST_HOOK_TOKEN"}}, ctx)


async def test_posts_aodh_body_per_transition_and_ignores_other_events(
    hook: tuple[Hook, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, url = hook
    s = sink(url, tmp_path, monkeypatch)
    other = Event("compute.instance.update", 1.0, "n1", {}, {})
    try:
        res = await s.write([transition(1), other, transition(2)])
    finally:
        await s.close()
    assert res.ok
    assert h.received == [
        ({"alarm_name": "a1", "alarm_id": "1", "current": "alarm"}, "tok-123"),
        ({"alarm_name": "a2", "alarm_id": "2", "current": "alarm"}, "tok-123"),
    ]
    assert s.status()["forwarded"] == 2 and s.status()["ignored"] == 1
    assert "tok-123" not in str(s.status())


async def test_5xx_and_429_are_transient_from_there_on_4xx_permanent(
    hook: tuple[Hook, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, url = hook
    s = sink(url, tmp_path, monkeypatch)
    h.answers = [200, 400, 503]
    try:
        res = await s.write([transition(i) for i in range(4)])
        assert res.permanent == [(1, "hook answered 400")]
        assert res.transient == [2, 3]
        h.answers = [429]
        res = await s.write([transition(9)])
        assert res.transient == [0]
    finally:
        await s.close()


async def test_unreachable_hook_is_a_transient_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = sink("http://127.0.0.1:9/hook", tmp_path, monkeypatch)
    try:
        with pytest.raises(TransientError):
            await s.write([transition(1)])
    finally:
        await s.close()


def test_unset_header_variable_refuses_to_build(tmp_path: Path) -> None:
    ctx = Context(load_text(INVENTORY, "inv.yaml"), tmp_path, CollectorRegistry())
    with pytest.raises(ValueError, match="OSMON_TEST_UNSET_VAR"):
        build("fwd", {"url": "http://x/", "headers_env": {"X-T": "OSMON_TEST_UNSET_VAR"}}, ctx)
