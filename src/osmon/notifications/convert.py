"""Pure conversion of one notification message into samples and an event.

Input is the dict an oslo.messaging batch endpoint receives
(``{ctxt, publisher_id, event_type, payload, metadata: {message_id, timestamp}}``) plus its
priority. Poison input raises ``ConversionError`` with a short, countable ``reason``; it is never
retried because the same bytes would fail the same way.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from osmon.notifications.event_definitions import EventDefinitions
from osmon.notifications.event_definitions import load_definitions as load_events
from osmon.notifications.events import build_event, is_error
from osmon.notifications.exchanges import attribute, publisher_service
from osmon.notifications.lifecycle import is_deletion, mark_ended
from osmon.notifications.meters import BadValue, MeterSet
from osmon.notifications.timestamps import BadTimestamp, to_epoch
from osmon.records import Event, Sample

DEFAULT_MAX_PAYLOAD_BYTES: Final = 1024 * 1024

REASONS: Final = (
    "not_a_mapping",
    "missing_event_type",
    "wrong_type",
    "oversized",
    "unknown_exchange",
    "bad_value",
    "bad_timestamp",
    "undecodable",
)


class ConversionError(ValueError):
    """A message that can never be converted; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Conversion:
    samples: Sequence[Sample]
    event: Event | None
    event_type: str
    exchange: str
    service: str
    error: bool


def _payload_size(payload: Any) -> int:
    """Serialized size in characters: what a sink would have to store."""
    return len(json.dumps(payload, separators=(",", ":"), default=str, ensure_ascii=False))


class Converter:
    """Holds the compiled meter and event definitions and the limits; ``convert`` is
    thread-safe. ``events`` defaults to the shipped event definitions."""

    def __init__(
        self,
        meters: MeterSet,
        *,
        events: EventDefinitions | None = None,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        accept_unknown_exchange: bool = False,
        raw_priorities: Sequence[str] = ("error", "critical"),
    ) -> None:
        self.meters = meters
        self.events = events if events is not None else load_events()
        self.max_payload_bytes = max_payload_bytes
        self.accept_unknown_exchange = accept_unknown_exchange
        self.raw_priorities = frozenset(p.lower() for p in raw_priorities)

    def convert(self, message: Any, priority: str) -> Conversion:
        if not isinstance(message, Mapping):
            raise ConversionError("not_a_mapping", f"message is a {type(message).__name__}")
        event_type = message.get("event_type")
        if event_type is None or event_type == "":
            raise ConversionError("missing_event_type", "no event_type")
        if not isinstance(event_type, str):
            raise ConversionError("wrong_type", f"event_type is a {type(event_type).__name__}")
        publisher_id = message.get("publisher_id") or ""
        if not isinstance(publisher_id, str):
            raise ConversionError("wrong_type", f"publisher_id is a {type(publisher_id).__name__}")
        payload = message.get("payload")
        if not isinstance(payload, (dict, list)):
            raise ConversionError("wrong_type", f"payload is a {type(payload).__name__}")
        ctxt = message.get("ctxt")
        if ctxt is not None and not isinstance(ctxt, Mapping):
            raise ConversionError("wrong_type", f"ctxt is a {type(ctxt).__name__}")
        metadata = message.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            raise ConversionError("wrong_type", f"metadata is a {type(metadata).__name__}")
        if self.max_payload_bytes:
            size = _payload_size(payload)
            if size > self.max_payload_bytes:
                raise ConversionError(
                    "oversized", f"payload of {size} bytes > {self.max_payload_bytes}"
                )
        exchange = attribute(publisher_id, event_type)
        if exchange is None:
            if not self.accept_unknown_exchange:
                raise ConversionError(
                    "unknown_exchange",
                    f"no exchange for publisher {publisher_id!r:.64}, event {event_type!r:.64}",
                )
            exchange = "unknown"
        raw_ts = metadata.get("timestamp")
        try:
            when = to_epoch(raw_ts) if raw_ts is not None else time.time()
        except BadTimestamp as exc:
            raise ConversionError("bad_timestamp", str(exc)) from None
        message_id = metadata.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            message_id = str(uuid.uuid4())
        try:
            samples = self.meters.samples(message, event_type, when)
        except BadValue as exc:
            raise ConversionError("bad_value", str(exc)) from None
        if samples and is_deletion(event_type):
            samples = mark_ended(samples, when)
        priority = priority.lower()
        error = is_error(priority, event_type)
        service = publisher_service(publisher_id) or exchange
        event = build_event(
            self.events,
            message,
            event_type=event_type,
            priority=priority,
            timestamp=when,
            message_id=message_id,
            keep_raw=priority in self.raw_priorities or (error and "error" in self.raw_priorities),
        )
        return Conversion(
            samples=samples,
            event=event,
            event_type=event_type,
            exchange=exchange,
            service=service,
            error=error,
        )
