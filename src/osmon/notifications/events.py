"""A notification as an ``Event`` with the traits its event definition gives.

The traits are those Ceilometer's definitions give (see ``event_definitions``), typed, so an
operator's dashboards agree with Ceilometer's. The full message is kept in ``raw`` only where an
operator wants it (by default for errors).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from osmon.notifications.event_definitions import EventDefinitions
from osmon.records import Event

ERROR_PRIORITIES = frozenset({"error", "critical"})


def is_error(priority: str, event_type: str) -> bool:
    """ERROR/CRITICAL priority or an ``*.error`` event type (``compute.instance.create.error``)."""
    return priority in ERROR_PRIORITIES or event_type.endswith(".error")


def build_event(
    definitions: EventDefinitions,
    message: Mapping[str, Any],
    *,
    event_type: str,
    priority: str,
    timestamp: float,
    message_id: str,
    keep_raw: bool,
) -> Event | None:
    """The event of the last matching definition; None when none matches (no catch-all)."""
    definition = definitions.matching(event_type)
    if definition is None:
        return None
    raw: dict[str, Any] = {}
    if keep_raw:
        raw = {
            "event_type": event_type,
            "priority": priority,
            "publisher_id": message.get("publisher_id"),
            "ctxt": dict(message.get("ctxt") or {}),
            "payload": message.get("payload"),
            "metadata": dict(message.get("metadata") or {}),
        }
    return Event(
        event_type=event_type,
        timestamp=timestamp,
        message_id=message_id,
        traits=definition.traits_of(message, event_type),
        raw=raw,
        trait_types=definition.types,
    )
