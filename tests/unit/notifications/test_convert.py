"""Conversion of notification messages into samples and events (no broker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osmon.notifications.convert import ConversionError, Converter
from osmon.notifications.meters import load_definitions
from osmon.notifications.replay import load_notifications

ROOT = Path(__file__).resolve().parents[3]
LEGACY = ROOT / "tests" / "fixtures" / "notifications" / "legacy"
SAMPLES = Path("/work/shared/data/nova-notification-samples")
if not SAMPLES.is_dir():
    SAMPLES = ROOT.parent / "shared" / "data" / "nova-notification-samples"

CONVERTER = Converter(load_definitions())


def _message(path: Path, **meta: Any) -> tuple[dict[str, Any], str]:
    [n] = load_notifications([path])
    msg = {
        "ctxt": n.ctxt,
        "publisher_id": n.publisher_id,
        "event_type": n.event_type,
        "payload": n.payload,
        "metadata": {"message_id": "m-1", "timestamp": "2026-11-20 10:00:00.500000", **meta},
    }
    return msg, n.priority


def test_every_nova_sample_converts() -> None:
    notes = load_notifications([SAMPLES])
    assert len(notes) == 140
    for n in notes:
        msg = {
            "ctxt": {},
            "publisher_id": n.publisher_id,
            "event_type": n.event_type,
            "payload": n.payload,
            "metadata": {},
        }
        conv = CONVERTER.convert(msg, n.priority)
        assert conv.exchange == "nova"
        assert conv.event.event_type == n.event_type
        assert conv.error == (n.priority == "error")


def test_versioned_instance_create_end() -> None:
    msg, priority = _message(SAMPLES / "instance-create-end.json")
    conv = CONVERTER.convert(msg, priority)
    got = {s.name: s for s in conv.samples}
    assert {k: v.value for k, v in got.items()} == {
        "memory": 512.0,
        "vcpus": 1.0,
        "disk.root.size": 1.0,
        "disk.ephemeral.size": 0.0,
        "compute.instance.booting.time": 0.0,
    }
    memory = got["memory"]
    assert memory.unit == "MiB" and memory.type == "gauge" and memory.resource_type == "instance"
    assert memory.resource_id == "178b0921-8f85-4257-88b6-2e743b5a975c"
    assert memory.timestamp == 1795168800.5  # 2026-11-20 10:00:00.5 UTC
    assert memory.resource_attributes["flavor_name"] == "test_flavor"
    assert memory.labels == {}
    event = conv.event
    assert event.message_id == "m-1"
    # Versioned notifications have no Ceilometer definition: the catch-all's default traits.
    assert set(event.traits) <= {"service", "request_id", "project_id", "user_id", "tenant_id"}
    assert event.traits["service"] == msg["publisher_id"]
    assert event.raw == {}


@pytest.mark.parametrize(
    ("name", "meter", "value", "resource_type"),
    [
        (
            "nova-compute.instance.create.end.json",
            "compute.instance.booting.time",
            37.0,
            "instance",
        ),
        ("nova-compute.instance.exists.json", "disk.root.size", 20.0, "instance"),
        ("cinder-volume.create.end.json", "volume.size", 10.0, "volume"),
        ("cinder-snapshot.create.end.json", "snapshot.size", 10.0, "volume"),
        ("glance-image.upload.json", "image.size", 21430272.0, "image"),
        ("neutron-port.create.end.json", "port.create", 1.0, "port"),
        ("neutron-router.delete.end.json", "router.delete", 1.0, "router"),
        ("neutron-floatingip.create.end.json", "ip.floating", 1.0, "network"),
        (
            "keystone-identity.authenticate.success.json",
            "identity.authenticate.success",
            1.0,
            "identity",
        ),
    ],
)
def test_legacy_fixtures(name: str, meter: str, value: float, resource_type: str) -> None:
    msg, priority = _message(LEGACY / name)
    conv = CONVERTER.convert(msg, priority)
    [sample] = [s for s in conv.samples if s.name == meter]
    assert sample.value == value
    assert sample.resource_type == resource_type


def test_legacy_context_and_errors() -> None:
    msg, priority = _message(LEGACY / "nova-compute.instance.create.error.json")
    conv = CONVERTER.convert(msg, priority)
    assert conv.error and conv.service == "compute"
    assert conv.event.traits["request_id"] == "req-0f5e1c3a-7a39-4d8e-9a3b-1d2f0c4b5a61"
    assert conv.event.trait_types["launched_at"] == "datetime"
    assert conv.event.raw["payload"]["exception"]["class"] == "NoValidHost"
    attached, _ = _message(LEGACY / "cinder-volume.attach.end.json")
    [vol] = CONVERTER.convert(attached, "info").samples
    assert vol.resource_attributes["instance_id"] == "5f8b2a8e-9c1d-4f3a-8b6e-2d7c4a1e9f30"
    assert vol.resource_attributes["image_id"] == "c2f5d1a4-6b3e-4f8a-9c0d-1e2f3a4b5c6d"
    port, _ = _message(LEGACY / "neutron-port.create.end.json")
    gauge = next(s for s in CONVERTER.convert(port, "info").samples if s.name == "port")
    assert gauge.labels == {"device_owner": "compute:nova"}


def _good() -> dict[str, Any]:
    return {
        "ctxt": {},
        "publisher_id": "compute.h",
        "event_type": "compute.instance.exists",
        "payload": {"instance_id": "i"},
        "metadata": {},
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"event_type": None}, "missing_event_type"),
        ({"event_type": 7}, "wrong_type"),
        ({"payload": "text"}, "wrong_type"),
        ({"payload": "a"}, "wrong_type"),
        ({"publisher_id": ["x"]}, "wrong_type"),
        ({"ctxt": "x"}, "wrong_type"),
        ({"metadata": {"timestamp": "yesterday"}}, "bad_timestamp"),
        ({"publisher_id": "mystery.h", "event_type": "mystery.x"}, "unknown_exchange"),
        ({"payload": {"instance_id": "i", "memory_mb": [1]}}, "bad_value"),
        ({"payload": {"blob": "x" * (1024 * 1024 + 1)}}, "oversized"),
    ],
)
def test_poison_reasons(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConversionError) as info:
        CONVERTER.convert({**_good(), **change}, "info")
    assert info.value.reason == reason
    with pytest.raises(ConversionError, match="not_a_mapping"):
        CONVERTER.convert("nope", "info")


def test_unknown_exchange_can_be_accepted() -> None:
    lenient = Converter(load_definitions(), accept_unknown_exchange=True, max_payload_bytes=0)
    conv = lenient.convert({**_good(), "publisher_id": "m.h", "event_type": "m.x"}, "warn")
    assert conv.exchange == "unknown"
    assert lenient.convert({**_good(), "payload": {"b": "x" * 2_000_000}}, "info")


json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=10,
)
payload_keys = st.sampled_from(
    [
        "instance_id",
        "memory_mb",
        "vcpus",
        "root_gb",
        "created_at",
        "launched_at",
        "size",
        "volume_id",
        "id",
        "nova_object.data",
        "outcome",
        "initiator",
        "network",
    ]
)


@settings(max_examples=300)
@given(
    event_type=st.sampled_from(
        [
            "compute.instance.create.end",
            "instance.create.end",
            "volume.create.end",
            "image.upload",
            "identity.authenticate",
            "network.create.end",
            "x.y",
        ]
    )
    | json_values,
    publisher=st.sampled_from(["compute.h", "nova-compute:h", "volume.h", "image.h"]) | json_values,
    payload=st.dictionaries(payload_keys, json_values, max_size=6) | json_values,
    ctxt=st.dictionaries(st.text(max_size=5), json_values, max_size=3) | json_values,
    metadata=st.fixed_dictionaries(
        {}, optional={"timestamp": json_values, "message_id": json_values}
    ),
)
def test_fuzzed_messages_convert_or_raise_conversion_error(
    event_type: Any, publisher: Any, payload: Any, ctxt: Any, metadata: Any
) -> None:
    msg = {
        "event_type": event_type,
        "publisher_id": publisher,
        "payload": payload,
        "ctxt": ctxt,
        "metadata": metadata,
    }
    try:
        conv = CONVERTER.convert(msg, "info")
    except ConversionError as exc:
        assert exc.reason
    else:
        assert conv.event.event_type == event_type
