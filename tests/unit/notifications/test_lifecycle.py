from __future__ import annotations

from pathlib import Path

from osmon.notifications.convert import Converter
from osmon.notifications.lifecycle import is_deletion
from osmon.notifications.meters import load_definitions
from osmon.notifications.replay import load_notifications

LEGACY = Path(__file__).resolve().parents[2] / "fixtures" / "notifications" / "legacy"


def test_deletion_event_types() -> None:
    for et in (
        "compute.instance.delete.end",
        "instance.delete.end",
        "volume.delete.end",
        "image.delete",
        "network.delete.end",
        "floatingip.delete.end",
    ):
        assert is_deletion(et), et
    for et in (
        "compute.instance.delete.start",
        "instance.create.end",
        "image.update",
        "port.undelete.end",
    ):
        assert not is_deletion(et), et


def test_delete_notification_samples_carry_ended_at() -> None:
    conv = Converter(load_definitions())
    (note,) = load_notifications([LEGACY / "nova-compute.instance.delete.end.json"])
    msg = {
        "event_type": note.event_type,
        "publisher_id": note.publisher_id,
        "payload": note.payload,
        "ctxt": note.ctxt,
        "metadata": {"message_id": "m1", "timestamp": "2026-11-23 10:00:00.000000"},
    }
    out = conv.convert(msg, "info")
    assert out.samples
    assert all(s.resource_attributes["ended_at"] == out.event.timestamp for s in out.samples)
    create = dict(msg, event_type="compute.instance.create.end")
    assert all(
        "ended_at" not in s.resource_attributes for s in conv.convert(create, "info").samples
    )
