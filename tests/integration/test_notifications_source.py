"""The notification source against a real RabbitMQ (a vhost per test), fed by the replay code."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from osmon.batch import Batch
from osmon.components import Context
from osmon.notifications.replay import Notification, Publisher, load_notifications, replay
from osmon.records import Event, Record, Sample
from osmon.sources.notifications import NotificationSource, build

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NOVA_SAMPLES = ROOT.parent / "shared" / "data" / "nova-notification-samples"
if not NOVA_SAMPLES.is_dir():
    NOVA_SAMPLES = Path("/work/shared/data/nova-notification-samples")
LEGACY = ROOT / "tests" / "fixtures" / "notifications" / "legacy"


@pytest.fixture
def vhost_url(rabbit_vhost: str) -> str:
    """A fresh vhost per test (the shared ``rabbit_vhost`` fixture)."""
    return rabbit_vhost


class Collector:
    """A router stand-in: keeps what it acked; ``decide`` may nack a batch."""

    def __init__(self, decide: Callable[[Batch], bool] | None = None) -> None:
        self.records: list[Record] = []
        self.batches = 0
        self.decide = decide or (lambda _b: True)
        self.changed = asyncio.Event()

    async def submit(self, batch: Batch) -> None:
        self.batches += 1
        if self.decide(batch):
            self.records.extend(batch.records)
            batch.ack()
        else:
            batch.nack()
        self.changed.set()

    @property
    def events(self) -> list[Event]:
        return [r for r in self.records if isinstance(r, Event)]

    @property
    def samples(self) -> list[Sample]:
        return [r for r in self.records if isinstance(r, Sample)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
        async def loop() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(loop(), timeout)


@pytest.fixture
async def running(
    vhost_url: str, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[tuple[NotificationSource, Collector]]]]:
    started: list[tuple[NotificationSource, asyncio.Task[None]]] = []

    async def start(
        collector: Collector | None = None, inventory: Any = None, **options: Any
    ) -> tuple[NotificationSource, Collector]:
        collector = collector or Collector()
        opts = {
            "transport_urls": [vhost_url],
            "batch_size": 50,
            "batch_timeout": 0.2,
            "requeue_delay": 0.0,
            **options,
        }
        ctx = Context(inventory=inventory, state_dir=tmp_path, registry=CollectorRegistry())
        source = build("notifications", opts, ctx)
        task = asyncio.create_task(source.run(collector.submit))
        started.append((source, task))
        for _ in range(300):
            if source.status()["listeners"] == 1:
                break
            await asyncio.sleep(0.05)
        assert source.status()["listeners"] == 1
        return source, collector

    yield start
    for source, task in started:
        await asyncio.wait_for(source.stop(), 60)
        await asyncio.wait_for(task, 10)


async def _publish(url: str, items: list[Notification], **kw: Any) -> int:
    def go() -> int:
        publisher = Publisher(url, **kw)
        try:
            return replay(items, publisher)
        finally:
            publisher.close()

    return await asyncio.to_thread(go)


async def test_all_nova_samples_and_legacy_fixtures_arrive(running: Any, vhost_url: str) -> None:
    source, collector = await running()
    nova = load_notifications([NOVA_SAMPLES])
    legacy = load_notifications([LEGACY])
    assert len(nova) == 140
    sent = await _publish(vhost_url, nova + legacy)
    assert sent == 140 + len(legacy)
    await collector.wait_for(lambda: len(collector.events) >= sent)

    assert len(collector.events) == sent
    assert len({e.message_id for e in collector.events}) == sent
    assert source.poison.read() == []
    assert source.status()["dead_letters"] == {}
    assert sorted(e.event_type for e in collector.events) == sorted(
        str(n.event_type) for n in nova + legacy
    )

    by = {}
    for s in collector.samples:
        by.setdefault((s.name, s.resource_id), []).append(s)
    instance = "178b0921-8f85-4257-88b6-2e743b5a975c"
    create_end = [e for e in collector.events if e.event_type == "instance.create.end"]
    # Versioned: no Ceilometer definition, so the catch-all's default traits.
    assert create_end and create_end[0].traits["service"] == "nova-compute:compute"
    instance_events = [
        n
        for n in nova
        if str(n.event_type).startswith("instance.")
        and not str(n.event_type).startswith(("instance.create.start", "instance.update"))
    ]
    legacy_vm = "5f8b2a8e-9c1d-4f3a-8b6e-2d7c4a1e9f30"
    for meter, field in (
        ("memory", "memory_mb"),
        ("vcpus", "vcpus"),
        ("disk.root.size", "root_gb"),
        ("disk.ephemeral.size", "ephemeral_gb"),
    ):
        got = [s for s in collector.samples if s.name == meter and s.resource_id != legacy_vm]
        expected = [
            float(n.payload["nova_object.data"]["flavor"]["nova_object.data"][field])
            for n in instance_events
        ]
        assert sorted(s.value for s in got) == sorted(expected), meter
        assert all(s.resource_type == "instance" for s in got)
    assert {s.unit for s in by[("memory", instance)]} == {"MiB"}
    boot = by[("compute.instance.booting.time", instance)]
    assert [s.value for s in boot] == [0.0]
    attrs = boot[0].resource_attributes
    assert attrs["flavor_id"] == "a22d5517-147c-4147-a0d1-e698df5cd4e3"
    assert attrs["display_name"] == "some-server"
    assert attrs["image_ref"] == "155d900f-4e14-4e4c-a73d-069cbf4541e6"
    assert attrs["host"] == "compute"
    assert attrs["project_id"] == "6f70656e737461636b20342065766572"

    assert {s.value for s in by[("memory", legacy_vm)]} == {2048.0}
    assert by[("compute.instance.booting.time", legacy_vm)][0].value == 37.0
    assert by[("volume.size", "0b7e5a4c-3d2f-4e1a-9b8c-7d6e5f4a3b2c")][0].value == 10.0
    assert by[("image.size", "c2f5d1a4-6b3e-4f8a-9c0d-1e2f3a4b5c6d")][0].value == 21430272.0
    assert ("identity.authenticate.failure", "0000000000000000000000000000dead") in by
    assert ("network.create", "e4d3c2b1-a0f9-4e8d-b7c6-a5f4e3d2c1b0") in by

    legacy_create = next(
        e for e in collector.events if e.event_type == "compute.instance.create.end"
    )
    assert legacy_create.traits["request_id"] == "req-0f5e1c3a-7a39-4d8e-9a3b-1d2f0c4b5a61"
    assert legacy_create.traits["project_id"] == "8e0a3f0d1c2b4a5d9e8f7a6b5c4d3e2f"
    assert legacy_create.traits["memory_mb"] == 2048
    assert legacy_create.trait_types["launched_at"] == "datetime"
    assert legacy_create.traits["launched_at"] == "2026-11-20T10:00:37"

    errors = {e.event_type for e in collector.events if e.raw.get("priority") == "error"}
    assert "compute.instance.create.error" in errors
    assert "compute.exception" in errors


async def test_nack_requeues_and_redelivers(running: Any, vhost_url: str) -> None:
    calls = {"n": 0}

    def decide(_batch: Batch) -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    _source, collector = await running(Collector(decide))
    items = load_notifications([LEGACY])
    await _publish(vhost_url, items)
    try:
        await collector.wait_for(lambda: len(collector.events) >= len(items), 20)
    except TimeoutError:
        raise AssertionError(f"{len(collector.events)} events; {_source.status()}") from None
    assert calls["n"] >= 2
    assert sorted(e.event_type for e in collector.events) == sorted(
        str(n.event_type) for n in items
    )
    assert _source.status()["requeued_batches"] >= 1


async def test_poison_is_dead_lettered_and_consumption_goes_on(
    running: Any, vhost_url: str, tmp_path: Path
) -> None:
    source, collector = await running()
    good = load_notifications([LEGACY / "glance-image.upload.json"])[0]
    bad = [
        Notification(None, "compute.compute-01", "info", {"instance_id": "x"}, origin="no-type"),
        Notification(
            "compute.instance.create.end",
            "compute.compute-01",
            "info",
            {"blob": "x" * (5 * 1024 * 1024)},
            origin="5MB",
        ),
        Notification("mystery.thing", "mystery.host1", "info", {"a": 1}, origin="unknown"),
        Notification("compute.instance.exists", "compute.c1", "info", "not a dict", origin="str"),
        Notification(
            "compute.instance.exists",
            "compute.c1",
            "info",
            {"instance_id": "i-1", "memory_mb": "lots"},
            origin="bad memory",
        ),
    ]
    await _publish(vhost_url, bad, exchange="nova", topic="notifications")
    await asyncio.to_thread(_publish_raw, vhost_url, b"{this is not json")
    await _publish(vhost_url, [good])
    await collector.wait_for(lambda: len(collector.events) >= 1)
    for _ in range(100):
        if sum(source.poison.counts.values()) >= 6:
            break
        await asyncio.sleep(0.1)

    assert [e.event_type for e in collector.events] == ["image.upload"]
    reasons = sorted(d["reason"] for d in source.poison.read())
    assert reasons == sorted(
        [
            "missing_event_type",
            "oversized",
            "unknown_exchange",
            "wrong_type",
            "bad_value",
            "undecodable",
        ]
    )
    undecodable = next(d for d in source.poison.read() if d["reason"] == "undecodable")
    assert undecodable["message"] == "{this is not json"
    assert source.metrics.dead_letters.labels("oversized")._value.get() >= 1
    body = json.loads(source.poison.path.read_text().splitlines()[0])
    assert "time" in body and "detail" in body


def _publish_raw(url: str, body: bytes) -> None:
    import kombu

    with kombu.Connection("amqp://" + url.split("://", 1)[1]) as conn:
        producer = conn.Producer()
        producer.publish(
            body,
            exchange="nova",
            routing_key="notifications.info",
            content_type="application/json",
            content_encoding="utf-8",
        )


async def test_sighup_rebinds_to_the_exchanges_of_the_new_inventory(
    running: Any, vhost_url: str, tmp_path: Path
) -> None:
    """Reload with an inventory that adds cinder: the listener is rebound to the cinder exchange
    (a notification published there before the reload had no queue bound and is gone)."""
    from osmon.inventory import load_text

    head = "version: 1\ncloud: {name: t}\nhosts: {ctl1: {address: 127.0.0.1}}\nservices:\n"
    nova_only = load_text(head + "  nova-api: {hosts: [ctl1]}\n")
    with_cinder = load_text(head + "  nova-api: {hosts: [ctl1]}\n  cinder-api: {hosts: [ctl1]}\n")
    source, collector = await running(inventory=nova_only)
    assert source.exchanges == ["nova"]
    volume = load_notifications([LEGACY / "cinder-volume.create.end.json"])
    await _publish(vhost_url, volume)

    source.reload(Context(with_cinder, tmp_path, CollectorRegistry()))
    assert "cinder" in source.exchanges and "nova" in source.exchanges
    for _ in range(600):  # the rebind runs on the source's own task
        if source.status()["rebinds"] == 1:
            break
        await asyncio.sleep(0.05)
    assert source.status()["rebinds"] == 1 and source.status()["listeners"] == 1
    await _publish(vhost_url, volume)
    await collector.wait_for(lambda: len(collector.events) >= 1)
    assert [e.event_type for e in collector.events] == ["volume.create.end"]
    assert collector.events[0].traits["resource_id"] == "0b7e5a4c-3d2f-4e1a-9b8c-7d6e5f4a3b2c"
