"""The notification source's batch handling, driven without a broker.

``handle`` is what oslo's executor threads call; here the test thread plays oslo and a loop in a
background thread plays the daemon's router.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from osmon.batch import Batch
from osmon.components import Context
from osmon.notifications.poison import UndecodableHandler
from osmon.records import Event, Record
from osmon.sources.notifications import HANDLED, REQUEUE, NotificationSource, build

URL = "rabbit://osmon:hunter2@127.0.0.1:5672/openstack"


class Router:
    def __init__(self) -> None:
        self.records: list[Record] = []
        self.accept = True

    async def submit(self, batch: Batch) -> None:
        if self.accept:
            self.records.extend(batch.records)
            batch.ack()
        else:
            batch.nack()

    @property
    def events(self) -> list[Event]:
        return [r for r in self.records if isinstance(r, Event)]


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


@pytest.fixture
def make(
    tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> Callable[..., tuple[NotificationSource, Router, CollectorRegistry]]:
    def factory(**options: Any) -> tuple[NotificationSource, Router, CollectorRegistry]:
        registry = CollectorRegistry()
        ctx = Context(inventory=None, state_dir=tmp_path, registry=registry)  # type: ignore[arg-type]
        source = build("notif", {"transport_urls": URL, "requeue_delay": 0, **options}, ctx)
        router = Router()
        source._loop, source._submit = loop, router.submit
        return source, router, registry

    return factory


def msg(mid: str, event_type: str | None = "image.upload", **payload: Any) -> dict[str, Any]:
    return {
        "ctxt": {"request_id": f"req-{mid}"},
        "publisher_id": "image.ctl1",
        "event_type": event_type,
        "payload": {"id": f"img-{mid}", "size": 10, **payload},
        "metadata": {"message_id": mid, "timestamp": "2026-11-20 10:00:00.000000"},
    }


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    found = registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def test_good_and_poison_in_one_group(make: Any) -> None:
    source, router, registry = make()
    result = source.handle("info", [msg("a"), msg("b", event_type=None), msg("c", size="big")])
    assert result == HANDLED
    assert [e.message_id for e in router.events] == ["a"]
    assert sorted(d["reason"] for d in source.poison.read()) == ["bad_value", "missing_event_type"]
    assert (
        value(
            registry,
            "osmon_notifications_total",
            exchange="glance",
            event_type="image.upload",
            priority="info",
        )
        == 1
    )
    assert value(registry, "osmon_notification_dead_letters_total", reason="bad_value") == 1
    again = source.handle("info", [msg("b", event_type=None)])
    assert again == HANDLED
    assert len(source.poison.read()) == 2, "a redelivered dead letter is not written twice"


def test_nack_requeues_then_redelivery_is_accepted(make: Any) -> None:
    source, router, registry = make()
    router.accept = False
    assert source.handle("info", [msg("a"), msg("b")]) == REQUEUE
    assert router.records == []
    router.accept = True
    assert source.handle("info", [msg("a"), msg("b")]) == HANDLED
    assert [e.message_id for e in router.events] == ["a", "b"]
    assert value(registry, "osmon_notification_batches_total", outcome="requeued") == 1
    assert (
        value(
            registry,
            "osmon_notifications_total",
            exchange="glance",
            event_type="image.upload",
            priority="info",
        )
        == 2
    )


def test_unexpected_failure_retries_then_dead_letters_without_resubmitting(make: Any) -> None:
    source, router, registry = make(max_attempts=3)
    real = source.converter.convert

    def flaky(message: Any, priority: str) -> Any:
        if message["metadata"]["message_id"] == "bad":
            raise RuntimeError("bug in a plugin")
        return real(message, priority)

    source.converter.convert = flaky  # type: ignore[method-assign]
    group = [msg("a"), msg("bad"), msg("b")]
    assert source.handle("info", group) == REQUEUE
    assert source.handle("info", group) == REQUEUE
    assert source.handle("info", group) == HANDLED
    assert [e.message_id for e in router.events] == ["a", "b"]
    [dead] = source.poison.read()
    assert dead["reason"] == "conversion_failed" and dead["attempts"] == 3
    assert "bug in a plugin" in dead["detail"]
    assert value(registry, "osmon_notification_redelivered_skipped_total") == 4


def test_errors_are_counted_per_service_and_event_type(make: Any) -> None:
    source, router, registry = make()
    err = msg("e", event_type="image.upload")
    err["publisher_id"] = "glance-api:ctl1"
    source.handle("error", [err, msg("f", event_type="image.update.error")])
    assert (
        value(
            registry,
            "osmon_notification_errors_total",
            service="glance-api",
            event_type="image.upload",
        )
        == 1
    )
    assert (
        value(
            registry,
            "osmon_notification_errors_total",
            service="image",
            event_type="image.update.error",
        )
        == 1
    )
    assert router.events[0].raw["payload"]["id"] == "img-e"


def test_status_never_shows_the_password(make: Any) -> None:
    source, _router, _registry = make()
    status = source.status()
    assert "hunter2" not in repr(status)
    assert status["transport_urls"] == ["rabbit://osmon:***@127.0.0.1:5672/openstack"]
    assert status["exchanges"][:2] == ["nova", "cinder"]
    assert status["dead_letter_file"].endswith("deadletter/notifications-notif.jsonl")


def test_options_are_validated(tmp_path: Path) -> None:
    ctx = Context(inventory=None, state_dir=tmp_path, registry=CollectorRegistry())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="bogus"):
        build("n", {"transport_urls": [URL], "bogus": 1}, ctx)
    with pytest.raises(ValidationError, match="transport_urls"):
        build("n", {}, ctx)
    two = build("n", {"transport_urls": [URL, URL], "exchanges": ["nova"], "pool": "p"}, ctx)
    assert two.exchanges == ["nova"] and two.opts.pool == "p"


def test_submit_failure_requeues(make: Any) -> None:
    source, _router, _registry = make()

    async def broken(batch: Batch) -> None:
        raise RuntimeError("router down")

    source._submit = broken
    assert source.handle("info", [msg("a")]) == REQUEUE


def test_undecodable_log_record_becomes_a_dead_letter(make: Any) -> None:
    source, _router, registry = make()

    class Raw:
        body = b"{not json"

    def _callback(message: Any) -> None:
        raise ValueError("Expecting property name")

    try:
        _callback(Raw())
    except ValueError:
        exc_info = sys.exc_info()
    handler = UndecodableHandler(source._undecodable)
    record = logging.LogRecord(
        "oslo.messaging._drivers.impl_rabbit",
        logging.ERROR,
        __file__,
        1,
        "Failed to process message ... skipping it.",
        (),
        exc_info,
    )
    handler.emit(record)
    other = logging.LogRecord("x", logging.ERROR, __file__, 1, "unrelated", (), None)
    handler.emit(other)
    [dead] = source.poison.read()
    assert dead["reason"] == "undecodable" and dead["message"] == "{not json"
    assert "Expecting property name" in dead["detail"]
    assert value(registry, "osmon_notification_dead_letters_total", reason="undecodable") == 1


def test_transport_url_from_the_environment_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = Context(inventory=None, state_dir=tmp_path, registry=CollectorRegistry())  # type: ignore[arg-type]
    monkeypatch.setenv("OSMON_TEST_URL", "rabbit://osmon:s3cret@10.0.0.1:5672/")
    source = build("n", {"transport_url_env": "OSMON_TEST_URL"}, ctx)
    assert source.opts.urls() == ["rabbit://osmon:s3cret@10.0.0.1:5672/"]
    assert "s3cret" not in json.dumps(source.status())
    assert source.status()["transport_urls"] == ["rabbit://osmon:***@10.0.0.1:5672/"]
    monkeypatch.delenv("OSMON_TEST_URL")
    with pytest.raises(ValidationError, match="OSMON_TEST_URL is not set"):
        build("n", {"transport_url_env": "OSMON_TEST_URL"}, ctx)


def test_event_definitions_option_replaces_the_shipped_ones(make: Any, tmp_path: Path) -> None:
    own = tmp_path / "events.yaml"
    own.write_text(
        "- event_type: image.*\n  traits:\n    bytes: {type: int, fields: payload.size}\n"
    )
    source, router, _ = make(event_definitions=[str(own)])
    assert source.handle("info", [msg("a")]) == HANDLED
    [event] = router.events
    assert event.traits["bytes"] == 10 and event.trait_types["bytes"] == "int"
    assert "resource_id" not in event.traits  # the shipped image definition would give it
    assert event.traits["service"] == "image.ctl1"


def test_definition_failures_are_exported_per_definition(make: Any, tmp_path: Path) -> None:
    meters = tmp_path / "meters.yaml"
    meters.write_text(
        "metric:\n"
        "  - {name: image.size, event_type: image.upload, type: gauge, unit: B,\n"
        "     volume: $.payload.size, resource_id: $.payload.id}\n"
        "  - {name: image.free, event_type: image.upload, type: gauge, unit: B,\n"
        "     volume: $.payload.free, resource_id: $.payload.id}\n"
        "  - {name: broken, event_type: image.upload, type: rate, unit: B, volume: 1,\n"
        "     resource_id: $.payload.id}\n"
    )
    events = tmp_path / "events.yaml"
    events.write_text(
        "- event_type: image.*\n"
        "  traits:\n"
        "    size: {fields: payload.size, type: int}\n"
        "    created: {fields: payload.created, type: datetime}\n"
        "- event_type: volume.*\n"
        "  traits:\n"
        "    x: {fields: payload.x, type: money}\n"
    )
    source, router, registry = make(meter_definitions=[meters], event_definitions=[events])
    assert source.handle("info", [msg("a", free=None, created="soon")]) == HANDLED
    assert source.handle("info", [msg("b", free="lots", created="2026-11-20T10:00:00Z")])
    [event_a, event_b] = router.events
    assert "created" not in event_a.traits and event_b.traits["created"] == "2026-11-20T10:00:00"
    assert [s.name for s in router.records if not isinstance(s, Event)] == ["image.size"] * 2
    origin = f"{meters}:4"
    assert (
        value(
            registry, "osmon_meter_samples_skipped_total", definition=origin, reason="null_volume"
        )
        == 1
    )
    assert (
        value(registry, "osmon_meter_samples_skipped_total", definition=origin, reason="bad_value")
        == 1
    )
    assert (
        value(
            registry, "osmon_event_traits_dropped_total", definition=f"{events}:1", trait="created"
        )
        == 1
    )
    assert value(registry, "osmon_definitions_skipped", kind="meter") == 1
    assert value(registry, "osmon_definitions_skipped", kind="event") == 1
    assert source.poison.read() == [], "a notification some definition converted is kept"
