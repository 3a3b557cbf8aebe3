"""The Aodh webhook on an aiohttp test server: secret, sizes, schema, effects, cardinality cap."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from yarl import URL

from osmon.alarms.webhook import PATH, AlarmWebhook, build
from osmon.batch import Batch
from osmon.checks.state import State
from osmon.components import Context
from osmon.config import AlarmsOptions
from osmon.http.server import HttpServer
from osmon.inventory import load_text
from osmon.records import Event

SECRET = "s3cret-0123456789abcdef"
INVENTORY = """
cloud: {name: prod}
hosts:
  ctl1: {address: 10.0.0.11, roles: [controller]}
services:
  nova-api: {hosts: [ctl1]}
alarms:
  - {name: cpu-high, metric: cpu, comparison: gt, threshold: 90, severity: critical}
"""

Client = TestClient[web.Request, web.Application]


def body(name: str = "osmon-prod-cpu-high", current: str = "alarm", **extra: Any) -> dict[str, Any]:
    return {
        "alarm_name": name,
        "alarm_id": "244f618d-0000-4000-8000-000000000001",
        "severity": "critical",
        "previous": "insufficient data",
        "current": current,
        "reason": "Transition to alarm due to 1 samples outside threshold, most recent: 95.0",
        "reason_data": {"type": "threshold", "disposition": "outside", "count": 1},
        **extra,
    }


@dataclass
class FakeFeed:
    results: list[tuple[str, str, State, str]] = field(default_factory=list)

    def service_result(self, host: str, service: str, state: State, output: str) -> None:
        self.results.append((host, service, state, output))


@dataclass
class Harness:
    client: Client
    hook: AlarmWebhook
    registry: CollectorRegistry
    batches: list[Batch]
    feed: FakeFeed

    def metric(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, labels)

    async def settle(self) -> None:
        for _ in range(200):
            if self.hook._queue.empty():
                break
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.01)

    def events(self) -> list[Event]:
        return [r for b in self.batches for r in b.records if isinstance(r, Event)]


def make_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **opts: Any
) -> tuple[AlarmWebhook, CollectorRegistry, FakeFeed]:
    monkeypatch.setenv("OSMON_TEST_ALARM_SECRET", SECRET)
    registry = CollectorRegistry()
    feed = FakeFeed()
    ctx = Context(
        inventory=load_text(INVENTORY, "inv.yaml"),
        state_dir=tmp_path,
        registry=registry,
        extra={"nagios": feed},
    )
    options = AlarmsOptions.model_validate(
        {"webhook_secret_env": "OSMON_TEST_ALARM_SECRET", **opts}
    )
    return build("alarms", options, ctx), registry, feed


async def start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **opts: Any
) -> tuple[Harness, asyncio.Task[None]]:
    hook, registry, feed = make_hook(tmp_path, monkeypatch, **opts)
    batches: list[Batch] = []

    async def submit(batch: Batch) -> None:
        batches.append(batch)
        batch.ack()

    app = web.Application()
    for method, path, handler in hook.routes():
        app.router.add_route(method, path, handler)
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    task = asyncio.create_task(hook.run(submit))
    return Harness(client, hook, registry, batches, feed), task


@pytest.fixture
async def h(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    harness, task = await start(tmp_path, monkeypatch, max_alarm_names=2, max_body_bytes=2048)
    try:
        yield harness
    finally:
        await harness.hook.stop()
        await asyncio.wait_for(task, 5)
        await harness.client.close()


async def test_accepted_transition_sets_state_counts_and_emits_an_event(h: Harness) -> None:
    resp = await h.client.post(
        f"{PATH}/{SECRET}", json=body(), headers={"X-Openstack-Request-Id": "req-1"}
    )
    assert resp.status == 202
    await h.settle()
    labels = {"alarm_name": "osmon-prod-cpu-high", "severity": "critical"}
    assert h.metric("osmon_alarm_state", **labels) == 1
    assert h.metric("osmon_alarm_transitions_total", current="alarm", **labels) == 1
    [event] = h.events()
    assert event.event_type == "alarm.transition"
    assert event.message_id == "req-1"
    assert event.traits["inventory_alarm"] == "cpu-high"
    assert event.traits["current"] == "alarm"
    assert event.raw["reason_data"]["disposition"] == "outside"
    assert SECRET not in json.dumps(event.to_wire())


async def test_ok_and_insufficient_data_values(h: Harness) -> None:
    labels = {"alarm_name": "osmon-prod-cpu-high", "severity": "critical"}
    await h.client.post(f"{PATH}/{SECRET}", json=body(current="ok"))
    await h.settle()
    assert h.metric("osmon_alarm_state", **labels) == 0
    await h.client.post(f"{PATH}/{SECRET}", json=body(current="insufficient data"))
    await h.settle()
    assert h.metric("osmon_alarm_state", **labels) == 2


async def test_a_changed_severity_replaces_the_series(h: Harness) -> None:
    await h.client.post(f"{PATH}/{SECRET}", json=body())
    await h.client.post(f"{PATH}/{SECRET}", json=body(severity="low"))
    await h.settle()
    name = "osmon-prod-cpu-high"
    assert h.metric("osmon_alarm_state", alarm_name=name, severity="critical") is None
    assert h.metric("osmon_alarm_state", alarm_name=name, severity="low") == 1


async def test_inventory_alarm_becomes_a_nagios_result(h: Harness) -> None:
    await h.client.post(f"{PATH}/{SECRET}", json=body())
    await h.client.post(f"{PATH}/{SECRET}", json=body(name="someone-elses"))
    await h.settle()
    [(host, service, state, output)] = h.feed.results
    assert (host, service, state) == ("prod", "alarm: cpu-high", State.CRITICAL)
    assert output.startswith("CRITICAL - alarm: Transition to alarm")


@pytest.mark.parametrize("token", ["wrong", SECRET[:-1], SECRET + "x", ""])
async def test_wrong_or_missing_secret_is_401_with_nothing_recorded(h: Harness, token: str) -> None:
    resp = await h.client.post(f"{PATH}/{token}" if token else PATH, json=body())
    assert resp.status == 401
    await h.settle()
    assert h.events() == []
    assert (
        h.metric(
            "osmon_alarm_transitions_total",
            alarm_name="osmon-prod-cpu-high",
            severity="critical",
            current="alarm",
        )
        is None
    )
    assert h.metric("osmon_alarm_webhooks_total", outcome="unauthorized") == 1


async def test_basic_credentials_are_accepted(h: Harness) -> None:
    good = base64.b64encode(f"osmon:{SECRET}".encode()).decode()
    bad = base64.b64encode(b"osmon:nope").decode()
    assert (
        await h.client.post(PATH, json=body(), headers={"Authorization": f"Basic {bad}"})
    ).status == 401
    assert (
        await h.client.post(PATH, json=body(), headers={"Authorization": "Basic !!"})
    ).status == 401
    resp = await h.client.post(PATH, json=body(), headers={"Authorization": f"Basic {good}"})
    assert resp.status == 202
    await h.settle()
    assert len(h.events()) == 1


async def test_a_percent_encoded_secret_with_a_slash_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``osmon alarms apply`` writes the token percent-encoded; a trailing newline is no part."""
    special = "a/b+c=d e%f-0123456789"
    monkeypatch.setenv("OSMON_TEST_ALARM_SECRET", special + "\n")
    options = AlarmsOptions.model_validate({"webhook_secret_env": "OSMON_TEST_ALARM_SECRET"})
    ctx = Context(load_text(INVENTORY, "inv.yaml"), tmp_path, CollectorRegistry())
    hook = build("alarms", options, ctx)
    app = web.Application()
    for method, path, handler in hook.routes():
        app.router.add_route(method, path, handler)
    async with TestClient(TestServer(app)) as client:
        url = URL(str(client.make_url(PATH)) + "/" + quote(special, safe=""), encoded=True)
        assert (await client.session.post(url, json=body())).status == 202
        wrong = URL(str(client.make_url(PATH)) + "/" + quote("a/b", safe=""), encoded=True)
        assert (await client.session.post(wrong, json=body())).status == 401


async def test_a_body_in_many_small_chunks_is_read_whole(h: Harness) -> None:
    data = json.dumps(body(reason="r" * 1500)).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 7):
            yield data[i : i + 7]
            await asyncio.sleep(0)

    resp = await h.client.post(f"{PATH}/{SECRET}", data=chunks())
    assert resp.status == 202
    await h.settle()
    assert h.events()[0].traits["reason"] == "r" * 1500


async def test_oversized_body_is_413(h: Harness) -> None:
    big = body(reason="x" * 4000)
    resp = await h.client.post(f"{PATH}/{SECRET}", json=big)
    assert resp.status == 413

    # chunked: no Content-Length to trust, the limit still holds
    async def chunks() -> AsyncIterator[bytes]:
        yield json.dumps(big).encode()

    resp = await h.client.post(f"{PATH}/{SECRET}", data=chunks())
    assert resp.status == 413
    await h.settle()
    assert h.events() == []


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"not json", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"[1, 2]", "not an Aodh notification"),
        (json.dumps(body(current="firing")).encode(), "current"),
        (json.dumps({k: v for k, v in body().items() if k != "alarm_id"}).encode(), "alarm_id"),
        (json.dumps(body(reason_data="text")).encode(), "reason_data"),
        (json.dumps(body(severity="urgent")).encode(), "severity"),
        (json.dumps(body(name="")).encode(), "alarm_name"),
    ],
)
async def test_bad_bodies_are_400(h: Harness, payload: bytes, why: str) -> None:
    resp = await h.client.post(f"{PATH}/{SECRET}", data=payload)
    assert resp.status == 400
    assert why in (await resp.json())["error"]
    await h.settle()
    assert h.events() == []


async def test_alarm_names_beyond_the_cap_share_one_series(h: Harness) -> None:
    for i in range(5):
        await h.client.post(f"{PATH}/{SECRET}", json=body(name=f"foreign-{i}"))
    await h.client.post(f"{PATH}/{SECRET}", json=body())  # an inventory alarm is never capped
    await h.settle()
    assert h.metric("osmon_alarm_state", alarm_name="foreign-0", severity="critical") == 1
    assert h.metric("osmon_alarm_state", alarm_name="foreign-1", severity="critical") == 1
    assert h.metric("osmon_alarm_state", alarm_name="foreign-2", severity="critical") is None
    assert h.metric("osmon_alarm_state", alarm_name="_other", severity="critical") == 1
    assert h.metric("osmon_alarm_names_overflow_total") == 3
    assert h.metric("osmon_alarm_state", alarm_name="osmon-prod-cpu-high", severity="critical") == 1
    assert len(h.events()) == 6  # every transition is still an event, with its real name


async def test_full_queue_is_503(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hook, _, _ = make_hook(tmp_path, monkeypatch, queue=1)
    app = web.Application()
    for method, path, handler in hook.routes():
        app.router.add_route(method, path, handler)
    async with TestClient(TestServer(app)) as client:  # no worker: nothing is taken off
        assert (await client.post(f"{PATH}/{SECRET}", json=body())).status == 202
        assert (await client.post(f"{PATH}/{SECRET}", json=body())).status == 503
        await hook.stop()
        assert (await client.post(f"{PATH}/{SECRET}", json=body())).status == 503


async def test_stop_drains_what_was_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, task = await start(tmp_path, monkeypatch)
    try:
        for _ in range(20):
            assert (await h.client.post(f"{PATH}/{SECRET}", json=body())).status == 202
        await h.hook.stop()
        await asyncio.wait_for(task, 5)
        assert len(h.events()) == 20
    finally:
        await h.client.close()


async def test_secret_never_in_status_or_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """On the daemon's real listener (no access log), at DEBUG."""
    caplog.set_level(logging.DEBUG)
    hook, registry, _ = make_hook(tmp_path, monkeypatch)
    server = HttpServer(registry, hook.status, lambda: (True, ""))
    for method, path, handler in hook.routes():
        server.add_route(method, path, handler)
    await server.start("127.0.0.1", 0)
    host, port = server.bound[0]
    try:
        async with aiohttp.ClientSession(f"http://{host}:{port}") as session:
            async with session.post(f"{PATH}/{SECRET}", json=body()) as resp:
                assert resp.status == 202
            async with session.post(f"{PATH}/wrong", json=body()) as resp:
                assert resp.status == 401
            async with session.get("/status") as resp:
                assert SECRET not in await resp.text()
            async with session.get("/metrics") as resp:
                assert SECRET not in await resp.text()
    finally:
        await server.stop()
    assert SECRET not in caplog.text


@pytest.mark.parametrize(("value", "why"), [(None, "is not set"), ("short", "shorter than 16")])
def test_unset_or_short_secret_refuses_to_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None, why: str
) -> None:
    if value is None:
        monkeypatch.delenv("OSMON_TEST_ALARM_SECRET2", raising=False)
    else:
        monkeypatch.setenv("OSMON_TEST_ALARM_SECRET2", value)
    ctx = Context(load_text(INVENTORY, "inv.yaml"), tmp_path, CollectorRegistry())
    opts = AlarmsOptions.model_validate({"webhook_secret_env": "OSMON_TEST_ALARM_SECRET2"})
    with pytest.raises(ValueError, match=why) as exc:
        build("alarms", opts, ctx)
    assert "\n" not in str(exc.value)
