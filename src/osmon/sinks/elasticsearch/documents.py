"""Records → Elasticsearch documents: the data stream, a deterministic ``_id``, the source.

Ids are deterministic (the log record's id, the notification's message id), so a replay from
the spool yields 409s at the backend instead of duplicates.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from osmon.records import Event, LogRecord
from osmon.sinks.elasticsearch.streams import log_dataset

_ID_MAX_BYTES = 512
_LIFTED_TRAITS = {
    "project_id": ("openstack", "project_id"),
    "tenant_id": ("openstack", "project_id"),
    "user_id": ("openstack", "user_id"),
    "request_id": ("openstack", "request_id"),
    "global_request_id": ("openstack", "global_request_id"),
    "instance_id": ("openstack", "instance_id"),
    "host": ("host", "name"),
}
_LONG = 2**63
TRAIT_TYPES = ("text", "int", "float", "datetime")


def iso_timestamp(seconds: float) -> str:
    return (
        datetime.fromtimestamp(seconds, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def stable_id(raw: str, content: Any) -> str:
    """The given id when it fits ES's 512-byte limit; otherwise a digest (of the content if
    there is no id), so a replay still maps to the same document."""
    if raw and len(raw.encode()) <= _ID_MAX_BYTES:
        return raw
    basis = raw or json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(basis.encode()).hexdigest()


def _with_data_stream(doc: Mapping[str, Any], dstype: str, dataset: str, ns: str) -> dict[str, Any]:
    out = dict(doc)
    out["data_stream"] = {"type": dstype, "dataset": dataset, "namespace": ns}
    return out


def log_document(rec: LogRecord, namespace: str) -> tuple[str, str, dict[str, Any]]:
    """(data stream, _id, source) of one log record."""
    dataset = log_dataset(rec.service)
    doc = _with_data_stream(rec.doc, "logs", dataset, namespace)
    return f"logs-{dataset}-{namespace}", stable_id(rec.doc_id, rec.doc), doc


def _trait_type(declared: str | None, value: Any) -> str:
    """The declared Ceilometer type, else one inferred from the value (alarm events)."""
    if declared in TRAIT_TYPES:
        return declared
    if isinstance(value, int) and not isinstance(value, bool):
        return "int"
    if isinstance(value, float):
        return "float"
    return "text"


def typed_traits(ev: Event) -> dict[str, dict[str, Any]]:
    """Traits grouped by type (``{"int": {"memory_mb": 512}, "datetime": {...}}``), so each type
    has its own mapping and one trait name used with two types never clashes."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in ev.traits.items():
        if value is None:
            continue
        kind = _trait_type(ev.trait_types.get(name), value)
        if kind == "int" and (isinstance(value, bool) or not -_LONG <= value < _LONG):
            kind = "text"
        if kind == "float" and (not isinstance(value, int | float) or value != value):
            kind = "text"
        if kind == "text" and not isinstance(value, str | int | float | bool):
            value = json.dumps(value, sort_keys=True, default=str)
        out.setdefault(kind, {})[name] = value
    return out


def event_document(ev: Event, stream: str, namespace: str) -> tuple[str, str, dict[str, Any]]:
    """(data stream, _id, source) of one notification event.

    Traits go under ``openstack.notification.traits.<type>`` (see ``typed_traits``); the usual
    correlation traits are also lifted to their ECS/``openstack.*`` homes so logs and events
    join on the same fields.
    """
    doc: dict[str, Any] = {
        "@timestamp": iso_timestamp(ev.timestamp),
        "event": {
            "kind": "event",
            "action": ev.event_type,
            "id": ev.message_id,
            "dataset": "openstack.notifications",
        },
        "openstack": {"notification": {"event_type": ev.event_type, "traits": typed_traits(ev)}},
    }
    for trait, (group, name) in _LIFTED_TRAITS.items():
        value = ev.traits.get(trait)
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            doc.setdefault(group, {}).setdefault(name, str(value))
    for key in ("publisher_id", "priority"):
        if isinstance(ev.raw.get(key), str):
            doc["openstack"]["notification"][key] = ev.raw[key]
    if ev.raw:
        doc["event"]["original"] = json.dumps(ev.raw, sort_keys=True, default=str)
    doc = _with_data_stream(doc, "events", "openstack.notifications", namespace)
    return stream, stable_id(ev.message_id, ev.to_wire()), doc


def encode_action(stream: str, doc_id: str, doc: Mapping[str, Any]) -> bytes:
    meta = json.dumps({"create": {"_index": stream, "_id": doc_id}}, ensure_ascii=False)
    source = json.dumps(
        doc, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False
    )
    return f"{meta}\n{source}\n".encode()
