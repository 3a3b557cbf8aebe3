"""Every notification as an ``Event``: the envelope as traits, plus the payload's scalar fields.

Traits are flat and bounded (at most ``MAX_PAYLOAD_TRAITS`` payload fields, strings cut at
``MAX_TRAIT_CHARS``) so that an Elasticsearch mapping cannot explode on one odd payload. The full
message is kept in ``raw`` only where an operator wants it (by default for errors).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from osmon.records import Event

MAX_PAYLOAD_TRAITS = 64
MAX_TRAIT_CHARS = 255
ERROR_PRIORITIES = frozenset({"error", "critical"})


def is_error(priority: str, event_type: str) -> bool:
    """ERROR/CRITICAL priority or an ``*.error`` event type (``compute.instance.create.error``)."""
    return priority in ERROR_PRIORITIES or event_type.endswith(".error")


def _scalar(value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_TRAIT_CHARS]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _SKIP


_SKIP = object()


def payload_traits(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level scalar fields; for a versioned payload, those of ``nova_object.data``."""
    data = payload.get("nova_object.data")
    source = data if isinstance(data, dict) else payload
    traits: dict[str, Any] = {}
    for key, value in source.items():
        if len(traits) >= MAX_PAYLOAD_TRAITS:
            break
        v = _scalar(value)
        if v is not _SKIP and v is not None and isinstance(key, str):
            traits[key] = v
    return traits


def _first(*values: Any) -> Any:
    for v in values:
        if v is not None and v != "":
            return v
    return None


def build_event(
    message: Mapping[str, Any],
    *,
    event_type: str,
    priority: str,
    timestamp: float,
    message_id: str,
    exchange: str,
    service: str,
    host: str,
    keep_raw: bool,
) -> Event:
    ctxt = message.get("ctxt") or {}
    payload = message.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    traits = payload_traits(payload)
    data = payload.get("nova_object.data")
    data = data if isinstance(data, dict) else payload
    traits.update(
        {
            "service": service,
            "host": host,
            "exchange": exchange,
            "priority": priority,
            "publisher_id": str(message.get("publisher_id") or ""),
        }
    )
    for name, value in (
        ("request_id", _first(ctxt.get("request_id"), data.get("request_id"))),
        ("global_request_id", ctxt.get("global_request_id")),
        (
            "project_id",
            _first(
                ctxt.get("project_id"),
                ctxt.get("project"),
                ctxt.get("tenant"),
                data.get("project_id"),
                data.get("tenant_id"),
            ),
        ),
        ("user_id", _first(ctxt.get("user_id"), ctxt.get("user"), data.get("user_id"))),
    ):
        if value is not None:
            traits[name] = _scalar(value) if not isinstance(value, dict | list) else str(value)
    raw: dict[str, Any] = {}
    if keep_raw:
        raw = {
            "event_type": event_type,
            "priority": priority,
            "publisher_id": message.get("publisher_id"),
            "ctxt": dict(ctxt),
            "payload": payload,
            "metadata": dict(message.get("metadata") or {}),
        }
    return Event(
        event_type=event_type, timestamp=timestamp, message_id=message_id, traits=traits, raw=raw
    )
