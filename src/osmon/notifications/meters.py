"""Meter definitions: Ceilometer ``meters.yaml`` syntax, validated and compiled once.

A definition says which notifications (``event_type`` regexes, matched at the start like
Ceilometer does) yield which sample (``name``, ``type``, ``unit``, ``volume``, ``resource_id``,
``project_id``, ``user_id``, ``timestamp``, ``metadata``, ``lookup``). A string starting with ``$``
is a JSONPath over the message ``{ctxt, publisher_id, event_type, payload, metadata, priority}``;
anything else is a literal. ``volume`` may also be ``{fields: [a, b], plugin: timedelta}``.

osmon adds two optional keys: ``resource_type`` (the Gnocchi resource type; defaults from the
meter name as Ceilometer's Gnocchi publisher maps it) and ``labels`` (bounded labels, JSONPaths).
``user_metadata`` is accepted for compatibility; only its ``server_group`` is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from osmon import packaged, yamldoc
from osmon.notifications.paths import JsonPath, PathError, PathEvalError
from osmon.notifications.timestamps import BadTimestamp, to_epoch
from osmon.records import Sample, SampleType

_TYPES: dict[str, SampleType] = {"gauge": "gauge", "delta": "delta", "cumulative": "counter"}

_RESOURCE_TYPES: tuple[tuple[str, str], ...] = (
    ("compute.instance.booting.time", "instance"),
    ("compute.node.", "nova_compute"),
    ("memory", "instance"),
    ("vcpus", "instance"),
    ("disk.root.size", "instance"),
    ("disk.ephemeral.size", "instance"),
    ("volume.provider.pool.", "volume_provider_pool"),
    ("volume.provider.", "volume_provider"),
    ("volume", "volume"),
    ("snapshot.size", "volume"),
    ("backup.size", "volume"),
    ("image.", "image"),
    ("bandwidth", "network"),
    ("ip.floating", "network"),
    ("network", "network"),
    ("port", "port"),
    ("router", "router"),
    ("identity.", "identity"),
    ("stack.", "stack"),
    ("manila.share", "manila_share"),
)


def default_resource_type(meter: str) -> str:
    """The Gnocchi resource type Ceilometer's publisher files this meter under."""
    for prefix, rtype in _RESOURCE_TYPES:
        if meter == prefix or meter.startswith(prefix if prefix.endswith(".") else prefix + "."):
            return rtype
    return "generic"


class DefinitionError(ValueError):
    """A definition file that cannot be used; the message carries ``file:line``."""


class BadValue(ValueError):
    """A matched notification whose field has the wrong type (poison input)."""


class _PluginSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: list[str] = Field(min_length=2, max_length=2)
    plugin: str | dict[str, Any]


class MeterSpec(BaseModel):
    """One entry of ``metric:`` as written in the YAML."""

    model_config = ConfigDict(extra="forbid")
    name: str
    event_type: str | list[str]
    type: Literal["gauge", "delta", "cumulative"]
    unit: str
    volume: str | int | float | _PluginSpec
    resource_id: str
    project_id: str | None = None
    user_id: str | None = None
    timestamp: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    user_metadata: str | None = None
    lookup: list[Literal["name", "unit", "volume", "resource_id", "timestamp"]] = Field(
        default_factory=list
    )
    resource_type: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class _Value:
    """A literal or a compiled JSONPath."""

    __slots__ = ("literal", "path")

    def __init__(self, raw: str | int | float) -> None:
        self.path: JsonPath | None = None
        self.literal: Any = raw
        if isinstance(raw, str) and raw.startswith("$"):
            self.path = JsonPath(raw)

    def first(self, doc: Mapping[str, Any]) -> Any:
        return self.literal if self.path is None else self.path.first(doc)

    def all(self, doc: Mapping[str, Any]) -> list[Any]:
        return [self.literal] if self.path is None else self.path.all(doc)


class _Timedelta:
    __slots__ = ("end", "start")

    def __init__(self, spec: _PluginSpec) -> None:
        name = spec.plugin if isinstance(spec.plugin, str) else spec.plugin.get("name")
        if name != "timedelta":
            raise ValueError(f"unsupported volume plugin {name!r} (supported: timedelta)")
        self.start, self.end = JsonPath(spec.fields[0]), JsonPath(spec.fields[1])

    def first(self, doc: Mapping[str, Any]) -> Any:
        start, end = self.start.first(doc), self.end.first(doc)
        if start is None or end is None:
            return None
        try:
            return to_epoch(end) - to_epoch(start)
        except BadTimestamp as exc:
            raise BadValue(f"timedelta: {exc}") from None

    def all(self, doc: Mapping[str, Any]) -> list[Any]:
        value = self.first(doc)
        return [] if value is None else [value]


class _Group:
    """A metadata or labels mapping; identical groups (YAML anchors) are shared and evaluated once
    per message."""

    __slots__ = ("items",)

    def __init__(self, items: Sequence[tuple[str, _Value]]) -> None:
        self.items = tuple(items)

    def evaluate(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.items:
            v = value.first(doc)
            if v is not None:
                out[key] = v
        return out


def _number(meter: str, value: Any) -> float:
    if type(value) is int or type(value) is float:
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise BadValue(f"{meter}: volume {value!r:.64} is not a number")


@dataclass(slots=True)
class MeterDefinition:
    name: _Value
    event_types: re.Pattern[str]
    type: SampleType
    unit: _Value
    volume: _Value | _Timedelta
    resource_id: _Value
    project_id: _Value | None
    user_id: _Value | None
    timestamp: _Value | None
    metadata: _Group
    labels: _Group
    user_metadata: _Value | None
    lookup: tuple[str, ...]
    resource_type: str | None
    origin: str

    def matches(self, event_type: str) -> bool:
        return self.event_types.match(event_type) is not None

    def samples(
        self,
        doc: Mapping[str, Any],
        when: float,
        fallback_project: Any,
        fallback_user: Any,
        memo: dict[int, dict[str, Any]],
    ) -> list[Sample]:
        """Samples this definition yields for ``doc``; [] when required fields are absent."""
        rows = self._lookup_rows(doc) if self.lookup else [{}]
        attrs = memo.get(id(self.metadata))
        if attrs is None:
            attrs = memo[id(self.metadata)] = self.metadata.evaluate(doc)
        labels = self.labels.evaluate(doc) if self.labels.items else {}
        project = self.project_id.first(doc) if self.project_id else None
        user = self.user_id.first(doc) if self.user_id else None
        project = project if project is not None else fallback_project
        user = user if user is not None else fallback_user
        out: list[Sample] = []
        for row in rows:
            name = row["name"] if "name" in row else self.name.first(doc)
            volume = row["volume"] if "volume" in row else self.volume.first(doc)
            rid = row["resource_id"] if "resource_id" in row else self.resource_id.first(doc)
            if name is None or volume is None or rid is None:
                continue
            if not isinstance(name, str) or not name:
                raise BadValue(f"{self.origin}: meter name {name!r:.64} is not a string")
            unit = row["unit"] if "unit" in row else self.unit.first(doc)
            ts = when
            raw_ts = (
                row["timestamp"]
                if "timestamp" in row
                else (self.timestamp.first(doc) if self.timestamp else None)
            )
            if raw_ts is not None:
                try:
                    ts = to_epoch(raw_ts)
                except BadTimestamp as exc:
                    raise BadValue(f"{name}: {exc}") from None
            resource_attributes = dict(attrs)
            if project is not None:
                resource_attributes["project_id"] = str(project)
            if user is not None:
                resource_attributes["user_id"] = str(user)
            if self.user_metadata is not None:
                um = self.user_metadata.first(doc)
                if isinstance(um, dict) and "server_group" in um:
                    resource_attributes["server_group"] = um["server_group"]
            out.append(
                Sample(
                    name=name,
                    value=_number(name, volume),
                    timestamp=ts,
                    unit="" if unit is None else str(unit),
                    type=self.type,
                    resource_id=str(rid),
                    resource_type=self.resource_type or default_resource_type(name),
                    resource_attributes=resource_attributes,
                    labels={k: str(v) for k, v in labels.items()},
                )
            )
        return out

    def _lookup_rows(self, doc: Mapping[str, Any]) -> list[dict[str, Any]]:
        columns = {field: getattr(self, field).all(doc) for field in self.lookup}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise BadValue(f"{self.origin}: lookup fields {list(self.lookup)} differ in length")
        n = lengths.pop() if lengths else 0
        return [{field: columns[field][i] for field in self.lookup} for i in range(n)]


class MeterSet:
    """All definitions, with the per-event-type match list cached (event types are few)."""

    def __init__(self, definitions: Sequence[MeterDefinition]) -> None:
        self.definitions = tuple(definitions)
        self._by_type: dict[str, tuple[MeterDefinition, ...]] = {}

    def __len__(self) -> int:
        return len(self.definitions)

    def matching(self, event_type: str) -> tuple[MeterDefinition, ...]:
        found = self._by_type.get(event_type)
        if found is None:
            found = tuple(d for d in self.definitions if d.matches(event_type))
            if len(self._by_type) < 10_000:
                self._by_type[event_type] = found
        return found

    def samples(
        self, doc: Mapping[str, Any], event_type: str, when: float, project: Any, user: Any
    ) -> list[Sample]:
        memo: dict[int, dict[str, Any]] = {}
        out: list[Sample] = []
        for definition in self.matching(event_type):
            try:
                out.extend(definition.samples(doc, when, project, user, memo))
            except PathEvalError as exc:
                raise BadValue(f"{definition.origin}: {exc}") from None
        return out


def _compile(
    spec: MeterSpec, origin: str, groups: dict[tuple[Any, ...], _Group]
) -> MeterDefinition:
    patterns = [spec.event_type] if isinstance(spec.event_type, str) else spec.event_type
    if not patterns:
        raise ValueError("event_type is empty")
    try:
        regex = re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error as exc:
        raise ValueError(f"event_type: invalid regex: {exc}") from None

    def group(mapping: Mapping[str, str]) -> _Group:
        key = tuple(sorted(mapping.items()))
        if key not in groups:
            groups[key] = _Group([(k, _Value(v)) for k, v in mapping.items()])
        return groups[key]

    volume: _Value | _Timedelta = (
        _Timedelta(spec.volume) if isinstance(spec.volume, _PluginSpec) else _Value(spec.volume)
    )

    def opt(raw: str | None) -> _Value | None:
        return None if raw is None else _Value(raw)

    return MeterDefinition(
        name=_Value(spec.name),
        event_types=regex,
        type=_TYPES[spec.type],
        unit=_Value(spec.unit),
        volume=volume,
        resource_id=_Value(spec.resource_id),
        project_id=opt(spec.project_id),
        user_id=opt(spec.user_id),
        timestamp=opt(spec.timestamp),
        metadata=group(spec.metadata),
        labels=group(spec.labels),
        user_metadata=opt(spec.user_metadata),
        lookup=tuple(dict.fromkeys(spec.lookup)),
        resource_type=spec.resource_type,
        origin=origin,
    )


def _format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    return "; ".join(parts)


def parse_definitions(text: str, source: str = "<string>") -> MeterSet:
    """Validate and compile a meters.yaml document; raise DefinitionError with ``source:line``."""
    doc = yamldoc.parse(text)
    if doc.data is None and doc.problems:
        line, message = doc.problems[0]
        raise DefinitionError(f"{source}:{line}: invalid YAML: {message}")
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("metric"), list):
        raise DefinitionError(f"{source}:1: expected a mapping with a 'metric' list")
    groups: dict[tuple[Any, ...], _Group] = {}
    definitions = []
    for i, raw in enumerate(data["metric"]):
        origin = f"{source}:{doc.lines.get(('metric', i), 1)}"
        if not isinstance(raw, dict):
            raise DefinitionError(f"{origin}: a meter definition must be a mapping")
        try:
            spec = MeterSpec.model_validate(raw)
            definitions.append(_compile(spec, origin, groups))
        except ValidationError as exc:
            raise DefinitionError(f"{origin}: {_format_validation(exc)}") from None
        except (PathError, ValueError) as exc:
            raise DefinitionError(f"{origin}: {exc}") from None
    return MeterSet(definitions)


def load_definitions(paths: Sequence[FsPath] = ()) -> MeterSet:
    """The shipped definitions, or the given files concatenated in order."""
    if not paths:
        return parse_definitions(packaged.read_text("meters.yaml"), "osmon/data/meters.yaml")
    merged: list[MeterDefinition] = []
    for p in paths:
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise DefinitionError(f"{p}: cannot read: {exc.strerror}") from None
        merged.extend(parse_definitions(text, str(p)).definitions)
    return MeterSet(merged)
