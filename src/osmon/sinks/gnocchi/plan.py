"""Turn a batch of samples into Gnocchi batch-measures bodies, remembering which index went where.

Gnocchi answers a batch POST for the whole body, and its errors name a resource (unknown
resources, invalid input). Keeping, per resource and per metric, the indices of the samples that
built it lets the sink turn such an answer into per-record failures instead of failing the batch.

A resource's ``ended_at`` is also settled here: gnocchi-metricd clears ``ended_at`` whenever it
processes a measure of the resource stamped at or after it (Gnocchi >= 4.6 "restores" a resource
that receives data after its end), and a delete notification's own samples are stamped with the
very time they end the resource at. So the ``ended_at`` a batch sends is put just after the last
measure it writes for that resource (:data:`END_MARGIN`); otherwise Gnocchi would reset it.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from osmon.records import Record, Sample
from osmon.sinks.gnocchi.attributes import normalized

MAX_TRANSFORMABLE_ID = 289
"""Gnocchi maps a non-UUID resource id of at most this many characters to a UUID5."""

END_MARGIN = 0.001
"""Seconds by which ``ended_at`` is put after the last measure sent with it (Gnocchi keeps µs)."""


@dataclass(slots=True)
class MetricGroup:
    unit: str
    archive_policy: str | None
    measures: list[dict[str, float]] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"measures": self.measures}
        if self.archive_policy:
            out["archive_policy_name"] = self.archive_policy
        if self.unit:
            out["unit"] = self.unit
        return out


@dataclass(slots=True)
class ResourceGroup:
    """Everything one batch says about one resource (attributes merged, later samples win)."""

    resource_id: str
    resource_type: str
    attributes: dict[str, Any]
    first_timestamp: float
    metrics: dict[str, MetricGroup] = field(default_factory=dict)

    @property
    def indices(self) -> list[int]:
        return [i for m in self.metrics.values() for i in m.indices]

    @property
    def measure_count(self) -> int:
        return sum(len(m.measures) for m in self.metrics.values())


@dataclass(slots=True)
class Plan:
    groups: dict[str, ResourceGroup]
    rejected: list[tuple[int, str]]


def gnocchi_resource_id(raw: str) -> str | None:
    """The id osmon sends for ``raw``, or None when Gnocchi could never accept it.

    ``/`` is replaced by ``_`` as Ceilometer does, so both agents name a resource alike.
    """
    rid = raw.replace("/", "_")
    if not rid:
        return None
    if len(rid) > MAX_TRANSFORMABLE_ID:
        try:
            uuid.UUID(rid)
        except ValueError:
            return None
    return rid


def _reject_reason(record: Record) -> str | None:
    if not isinstance(record, Sample):
        return f"not a sample: {type(record).__name__}"
    if not record.name or "/" in record.name:
        return f"invalid metric name {record.name!r}"
    if not isinstance(record.value, int | float) or not math.isfinite(record.value):
        return f"non-finite value {record.value!r} for {record.name}"
    if not isinstance(record.timestamp, int | float) or not math.isfinite(record.timestamp):
        return f"invalid timestamp {record.timestamp!r} for {record.name}"
    return None


def plan_samples(records: Sequence[Record], archive_policy: Callable[[Sample], str | None]) -> Plan:
    """Group ``records`` by resource and metric; reject what Gnocchi could never store."""
    groups: dict[str, ResourceGroup] = {}
    rejected: list[tuple[int, str]] = []
    for index, record in enumerate(records):
        reason = _reject_reason(record)
        if reason is not None:
            rejected.append((index, reason))
            continue
        assert isinstance(record, Sample)
        rid = gnocchi_resource_id(record.resource_id)
        if rid is None:
            rejected.append((index, f"invalid resource id {record.resource_id[:80]!r}"))
            continue
        group = groups.get(rid)
        if group is None:
            group = groups[rid] = ResourceGroup(
                rid, record.resource_type or "generic", {}, record.timestamp
            )
        elif record.timestamp < group.first_timestamp:
            group.first_timestamp = record.timestamp
        if record.resource_attributes:
            group.attributes.update(record.resource_attributes)
        metric = group.metrics.get(record.name)
        if metric is None:
            metric = group.metrics[record.name] = MetricGroup(record.unit, archive_policy(record))
        metric.measures.append({"timestamp": float(record.timestamp), "value": float(record.value)})
        metric.indices.append(index)
    for group in groups.values():
        end_after_last_measure(group)
    return Plan(groups, rejected)


def end_after_last_measure(group: ResourceGroup) -> None:
    """Move ``group``'s ``ended_at`` after its last measure, so gnocchi-metricd keeps it.

    metricd nulls ``ended_at`` when a processed measure is not older than it
    (``gnocchi/storage/__init__.py``, ``execute_metadata_updates_if_needed``).
    """
    ended = normalized({}, {"ended_at": group.attributes.get("ended_at")})["ended_at"]
    if not isinstance(ended, float) or not group.metrics:
        return
    last = max(m["timestamp"] for metric in group.metrics.values() for m in metric.measures)
    if ended < last + END_MARGIN:
        group.attributes["ended_at"] = last + END_MARGIN


def chunked(groups: Iterable[ResourceGroup], max_measures: int) -> list[list[ResourceGroup]]:
    """Split into POST-sized lists; a resource is never split across two requests."""
    chunks: list[list[ResourceGroup]] = []
    current: list[ResourceGroup] = []
    size = 0
    for group in groups:
        n = group.measure_count
        if current and size + n > max_measures:
            chunks.append(current)
            current, size = [], 0
        current.append(group)
        size += n
    if current:
        chunks.append(current)
    return chunks


def batch_body(groups: Iterable[ResourceGroup]) -> dict[str, dict[str, dict[str, Any]]]:
    """The JSON body of ``POST /v1/batch/resources/metrics/measures``."""
    return {g.resource_id: {name: m.body() for name, m in g.metrics.items()} for g in groups}


def canonical_uuid(value: str) -> str | None:
    """``value`` as Gnocchi spells a UUID, or None when it is not one."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def unknown_ids(detail: Any, pending: Mapping[str, ResourceGroup]) -> list[str]:
    """The keys of ``pending`` that a ``400 Unknown resources`` detail names."""
    if not isinstance(detail, list):
        return []
    by_uuid = {c: rid for rid in pending if (c := canonical_uuid(rid)) is not None}
    out: list[str] = []
    for item in detail:
        if not isinstance(item, Mapping):
            continue
        original = item.get("original_resource_id")
        resolved = item.get("resource_id")
        if original in pending:
            out.append(str(original))
        elif resolved in pending:
            out.append(str(resolved))
        elif isinstance(resolved, str) and resolved in by_uuid:
            out.append(by_uuid[resolved])
    return list(dict.fromkeys(out))


def invalid_input_culprit(
    detail: Any, pending: Mapping[str, ResourceGroup]
) -> tuple[str, str | None] | None:
    """(resource id, metric or None) that an ``Invalid input`` detail path points at."""
    if not isinstance(detail, list) or not detail or detail[0] not in pending:
        return None
    rid = str(detail[0])
    metric = detail[1] if len(detail) > 1 and detail[1] in pending[rid].metrics else None
    return rid, metric
