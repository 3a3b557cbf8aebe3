"""The three record kinds: the only values that cross from a source to a sink.

They are frozen slotted dataclasses so that a batch of 100k costs little and nobody downstream
can mutate what another sink is still reading. ``to_wire``/``from_wire`` give a compact tuple form
used by the spool (msgpack) so that the on-disk format does not depend on pickling classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Final, Literal, TypeAlias


class Kind(StrEnum):
    SAMPLE = "sample"
    EVENT = "event"
    LOG = "log"


SampleType: TypeAlias = Literal["gauge", "counter", "delta"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One measurement. ``timestamp`` is seconds since the epoch (UTC)."""

    name: str
    value: float
    timestamp: float
    unit: str = ""
    type: SampleType = "gauge"
    resource_id: str = ""
    resource_type: str = "generic"
    resource_attributes: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    kind: ClassVar[Kind] = Kind.SAMPLE

    def to_wire(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.value,
            self.timestamp,
            self.unit,
            self.type,
            self.resource_id,
            self.resource_type,
            dict(self.resource_attributes),
            dict(self.labels),
        )

    @classmethod
    def from_wire(cls, t: list[Any] | tuple[Any, ...]) -> Sample:
        return cls(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8])


@dataclass(frozen=True, slots=True)
class Event:
    """A discrete occurrence (an OpenStack notification, an alarm transition).

    ``trait_types`` names the Ceilometer type (text, int, float, datetime) of traits that come
    from event definitions; it is the definition's own mapping, shared by its events, and may name
    traits this event lacks. A datetime trait's value is ISO 8601 text in UTC.
    """

    event_type: str
    timestamp: float
    message_id: str
    traits: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)
    trait_types: Mapping[str, str] = field(default_factory=dict)
    kind: ClassVar[Kind] = Kind.EVENT

    def to_wire(self) -> tuple[Any, ...]:
        return (
            self.event_type,
            self.timestamp,
            self.message_id,
            dict(self.traits),
            dict(self.raw),
            {k: v for k, v in self.trait_types.items() if k in self.traits},
        )

    @classmethod
    def from_wire(cls, t: list[Any] | tuple[Any, ...]) -> Event:
        """Also reads the five-item form spooled before trait types existed."""
        return cls(t[0], t[1], t[2], t[3], t[4], t[5] if len(t) > 5 else {})


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A parsed log line (or multi-line entry) as a nested ECS document.

    ``doc`` holds the ECS fields (``@timestamp``, ``message``, ``log.level`` nested as
    ``{"log": {"level": ...}}`` ...). ``doc_id`` is deterministic (host + file fingerprint +
    offset) so that a replay is idempotent at the backend.
    """

    doc: Mapping[str, Any]
    doc_id: str = ""
    service: str = ""
    kind: ClassVar[Kind] = Kind.LOG

    def to_wire(self) -> tuple[Any, ...]:
        return (dict(self.doc), self.doc_id, self.service)

    @classmethod
    def from_wire(cls, t: list[Any] | tuple[Any, ...]) -> LogRecord:
        return cls(t[0], t[1], t[2])


Record: TypeAlias = Sample | Event | LogRecord

_BY_KIND: Final[dict[Kind, type[Sample] | type[Event] | type[LogRecord]]] = {
    Kind.SAMPLE: Sample,
    Kind.EVENT: Event,
    Kind.LOG: LogRecord,
}


def record_from_wire(kind: Kind, t: list[Any] | tuple[Any, ...]) -> Record:
    return _BY_KIND[kind].from_wire(t)
