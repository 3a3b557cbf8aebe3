"""Meter definitions: Ceilometer's ``meters.yaml`` language with Ceilometer's semantics.

A definition says which notifications (``event_type`` regexes matched at the start) yield which
samples. Every field is read as Ceilometer's ``declarative.Definition`` reads it (see
``fields``): JSONPaths with or without ``$``, constants, unions, plugins. ``lookup`` fields hold
one value per sample (Magnum's and Swift's multi-meter notifications). As in Ceilometer, a
definition that cannot be used is skipped with a warning (``file:line: message``) while the
others load; unknown keys are ignored with a warning; of two definitions with one name the later
wins; without ``metadata`` the sample's metadata is the payload plus ``event_type`` and ``host``.

Ceilometer's fallback for a missing user/project (``ctxt.user_id|ctxt.user``) parses as a path
that never matches, so Ceilometer never falls back to the context; neither does osmon.

osmon adds two optional keys: ``resource_type`` (the Gnocchi resource type; defaults from the
meter name as Ceilometer's ``gnocchi_resources.yaml`` maps it) and ``labels`` (bounded labels).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any, Final

from osmon import packaged, yamldoc
from osmon.notifications.fields import Field
from osmon.notifications.paths import PathError, PathEvalError
from osmon.notifications.resource_types import default_resource_type
from osmon.notifications.timestamps import BadTimestamp, to_epoch
from osmon.records import Sample, SampleType

log = logging.getLogger(__name__)

_TYPES: dict[str, SampleType] = {"gauge": "gauge", "delta": "delta", "cumulative": "counter"}
_REQUIRED: Final = ("name", "type", "event_type", "unit", "volume", "resource_id")
_ATTRIBUTES: Final = (
    "name",
    "type",
    "volume",
    "unit",
    "timestamp",
    "user_id",
    "project_id",
    "resource_id",
)
_KNOWN: Final = frozenset(
    {*_REQUIRED, *_ATTRIBUTES, "metadata", "user_metadata", "lookup", "resource_type", "labels"}
)
_USER_METADATA_PREFIX: Final = "metering."
_USER_METADATA_LIMIT: Final = 256


class DefinitionError(ValueError):
    """A definition file that cannot be used at all; the message carries ``file:line``."""


class BadValue(ValueError):
    """A matched notification whose field has the wrong type (poison input)."""


def _number(meter: str, value: Any) -> float:
    if type(value) is int or type(value) is float:
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise BadValue(f"{meter}: volume {value!r:.64} is not a number")


def _user_metadata(src: Any, dest: dict[str, Any]) -> None:
    """Ceilometer's reserved user metadata: ``metering.*`` keys, dots as underscores."""
    if not isinstance(src, Mapping):
        return
    found = {}
    for key, value in src.items():
        if isinstance(key, str) and key.startswith(_USER_METADATA_PREFIX):
            name = key[len(_USER_METADATA_PREFIX) :].replace(".", "_")
            if name not in dest:
                found[name] = value[:_USER_METADATA_LIMIT] if isinstance(value, str) else value
    if found:
        dest["user_metadata"] = found


@dataclass(slots=True)
class MeterDefinition:
    config: Mapping[str, Any]
    event_types: tuple[re.Pattern[str], ...]
    attributes: dict[str, Field]
    metadata: dict[str, Field]
    labels: dict[str, Field]
    user_metadata: Field | None
    lookup: tuple[str, ...]
    resource_type: str | None
    origin: str
    stats: dict[str, int] = field(default_factory=dict)

    def matches(self, event_type: str) -> bool:
        return any(p.match(event_type) for p in self.event_types)

    def _raw(self, doc: Mapping[str, Any], memo: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
        """Ceilometer's sample dicts (``to_samples``) before conversion."""
        cfg = self.config
        sample: dict[str, Any] = {
            "name": cfg["name"],
            "type": cfg["type"],
            "unit": cfg["unit"],
            "volume": None,
            "timestamp": None,
            "user_id": None,
            "project_id": None,
            "resource_id": None,
        }
        shared = memo.get(id(self.metadata))
        if shared is None:  # definitions sharing a YAML anchor evaluate it once per message
            shared = memo[id(self.metadata)] = {
                k: v for k, parser in self.metadata.items() if (v := parser.parse(doc))
            }
        metadata = dict(shared)
        if self.user_metadata is not None:
            meta = self.user_metadata.parse(doc)
            if meta:
                _user_metadata(meta, metadata)
        if not self.lookup:
            for name, parser in self.attributes.items():
                value = parser.parse(doc)
                if value is not None:
                    sample[name] = value
            return [dict(sample, metadata=metadata)]
        columns: dict[str, list[Any]] = {k: [v] for k, v in sample.items()}
        for name, parser in self.attributes.items():
            values = parser.parse(doc, True)
            if name in self.lookup or name == "name" or values:
                columns[name] = values
        count = len(columns["name"])
        rows = []
        for name, values in columns.items():
            if len(values) == count:
                rows.append(values)
            elif len(values) == 1 and name not in self.lookup:
                rows.append(list(itertools.repeat(values[0], count)))
            else:
                log.warning(
                    "%s: only %d fetched meters contain %r instead of %d",
                    self.origin,
                    len(values),
                    name,
                    count,
                )
                return []
        keys = list(columns)
        return [
            dict(zip(keys, row, strict=True), metadata=metadata) for row in zip(*rows, strict=True)
        ]

    def samples(
        self, doc: Mapping[str, Any], when: float, memo: dict[int, dict[str, Any]] | None = None
    ) -> list[Sample]:
        """Samples for ``doc``; a sample whose volume is null is not emitted (Gnocchi and
        Prometheus take numbers only) and counted in ``stats['null_volume']``."""
        labels = {k: str(v) for k, f in self.labels.items() if (v := f.parse(doc)) is not None}
        out: list[Sample] = []
        for raw in self._raw(doc, {} if memo is None else memo):
            name = raw["name"]
            if not isinstance(name, str) or not name:
                raise BadValue(f"{self.origin}: meter name {name!r:.64} is not a string")
            if raw["volume"] is None:
                self.stats["null_volume"] = self.stats.get("null_volume", 0) + 1
                continue
            stype = _TYPES.get(str(raw["type"]))
            if stype is None:
                raise BadValue(f"{self.origin}: sample type {raw['type']!r:.64} is not valid")
            ts = when
            if raw["timestamp"]:
                try:
                    ts = to_epoch(raw["timestamp"])
                except BadTimestamp as exc:
                    raise BadValue(f"{name}: {exc}") from None
            attrs = raw["metadata"]
            if not attrs:
                payload = doc.get("payload")
                attrs = dict(payload) if isinstance(payload, dict) else {}
                attrs["event_type"] = doc.get("event_type")
                attrs["host"] = doc.get("publisher_id")
            else:
                attrs = dict(attrs)
                group = attrs.get("user_metadata", {}).get("server_group")
                if group is not None:  # osmon: the Gnocchi instance attribute, flat
                    attrs["server_group"] = group
            for key in ("project_id", "user_id"):
                if raw[key] is not None:
                    attrs[key] = str(raw[key])
            out.append(
                Sample(
                    name=name,
                    value=_number(name, raw["volume"]),
                    timestamp=ts,
                    unit="" if raw["unit"] is None else str(raw["unit"]),
                    type=stype,
                    resource_id="" if raw["resource_id"] is None else str(raw["resource_id"]),
                    resource_type=self.resource_type or default_resource_type(name),
                    resource_attributes=attrs,
                    labels=labels,
                )
            )
        return out


@dataclass
class MeterSet:
    """The loaded definitions, the warnings met while loading, per-event-type match cache."""

    definitions: tuple[MeterDefinition, ...]
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0
    _by_type: dict[str, tuple[MeterDefinition, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.definitions)

    def matching(self, event_type: str) -> tuple[MeterDefinition, ...]:
        found = self._by_type.get(event_type)
        if found is None:
            found = tuple(d for d in self.definitions if d.matches(event_type))
            if len(self._by_type) < 10_000:
                self._by_type[event_type] = found
        return found

    def samples(self, doc: Mapping[str, Any], event_type: str, when: float) -> list[Sample]:
        """Every matching definition's samples. A definition that cannot convert ``doc`` is
        counted (``stats['bad_value']``); BadValue only when none produced anything."""
        out: list[Sample] = []
        failure: BadValue | None = None
        memo: dict[int, dict[str, Any]] = {}
        for definition in self.matching(event_type):
            try:
                out.extend(definition.samples(doc, when, memo))
            except (BadValue, PathEvalError) as exc:
                definition.stats["bad_value"] = definition.stats.get("bad_value", 0) + 1
                if failure is None:
                    text = str(exc)
                    failure = BadValue(
                        text
                        if text.startswith(definition.origin)
                        else f"{definition.origin}: {text}"
                    )
        if not out and failure is not None:
            raise failure
        return out


def _compile(
    cfg: Mapping[str, Any],
    origin: str,
    groups: dict[int, tuple[Mapping[Any, Any], dict[str, Field]]],
) -> MeterDefinition:
    missing = [k for k in _REQUIRED if not cfg.get(k)]
    if missing:
        raise ValueError(f"required fields {missing} not specified")
    patterns = cfg["event_type"]
    patterns = [patterns] if isinstance(patterns, str) else patterns
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError("event_type must be a regex or a list of regexes")
    try:
        event_types = tuple(re.compile(p) for p in patterns)
    except re.error as exc:
        raise ValueError(f"event_type: invalid regex: {exc}") from None
    lookup = cfg.get("lookup") or []
    lookup = [lookup] if isinstance(lookup, str) else lookup
    if not isinstance(lookup, list) or not all(isinstance(x, str) for x in lookup):
        raise ValueError("lookup must be a field name or a list of them")
    if "type" not in lookup and cfg["type"] not in _TYPES:
        raise ValueError(f"invalid type {cfg['type']!r} (gauge, delta, cumulative)")
    attributes = {
        k: Field(cfg[k], literal_ok=k in ("name", "type", "unit"))
        for k in _ATTRIBUTES
        if cfg.get(k)
    }
    metadata, labels = cfg.get("metadata") or {}, cfg.get("labels") or {}
    if not isinstance(metadata, dict) or not isinstance(labels, dict):
        raise ValueError("metadata and labels must be mappings")
    rtype = cfg.get("resource_type")
    if rtype is not None and not isinstance(rtype, str):
        raise ValueError("resource_type must be a string")
    return MeterDefinition(
        config=cfg,
        event_types=event_types,
        attributes=attributes,
        metadata=_group(metadata, groups),
        labels={str(k): Field(v) for k, v in labels.items()},
        user_metadata=Field(cfg["user_metadata"]) if cfg.get("user_metadata") else None,
        lookup=tuple(lookup),
        resource_type=rtype,
        origin=origin,
    )


def parse_definitions(text: str, source: str = "<string>") -> MeterSet:
    """Compile a meters.yaml document. A file that is not one raises DefinitionError; a bad
    definition is skipped with a ``source:line`` warning (logged, in ``warnings``)."""
    doc = yamldoc.parse(text)
    if doc.data is None and doc.problems:
        line, message = doc.problems[0]
        raise DefinitionError(f"{source}:{line}: invalid YAML: {message}")
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("metric"), list):
        raise DefinitionError(f"{source}:1: expected a mapping with a 'metric' list")
    warnings: list[str] = []
    skipped = 0
    by_name: dict[Any, MeterDefinition] = {}
    groups: dict[int, tuple[Mapping[Any, Any], dict[str, Field]]] = {}
    for i in reversed(range(len(data["metric"]))):
        raw = data["metric"][i]
        origin = f"{source}:{doc.lines.get(('metric', i), 1)}"
        problem = None
        if not isinstance(raw, dict):
            problem = "a meter definition must be a mapping"
        elif _hashable(raw.get("name")) in by_name:
            warnings.append(f"{origin}: duplicate meter {raw.get('name')!r}: a later one wins")
            continue
        else:
            unknown = sorted(str(k) for k in raw if k not in _KNOWN)
            if unknown:
                warnings.append(f"{origin}: ignored unknown keys: {', '.join(unknown)}")
            try:
                by_name[_hashable(raw.get("name"))] = _compile(raw, origin, groups)
            except (PathError, ValueError) as exc:
                problem = str(exc)
        if problem is not None:
            skipped += 1
            warnings.append(f"{origin}: definition skipped: {problem}")
    for warning in reversed(warnings):
        log.warning("%s", warning)
    ordered = sorted(by_name.values(), key=lambda d: _line(d.origin))
    return MeterSet(tuple(ordered), warnings[::-1], skipped)


def _group(
    raw: Mapping[Any, Any], groups: dict[int, tuple[Mapping[Any, Any], dict[str, Field]]]
) -> dict[str, Field]:
    """One compiled mapping per YAML mapping object, so anchors share it (and its memo)."""
    found = groups.get(id(raw))
    if found is None or found[0] is not raw:
        found = groups[id(raw)] = (raw, {str(k): Field(v) for k, v in raw.items()})
    return found[1]


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, type(None))) else repr(value)


def _line(origin: str) -> int:
    tail = origin.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def load_definitions(paths: Sequence[FsPath] = ()) -> MeterSet:
    """The shipped definitions, or the given files in order (a name defined by an earlier file
    is kept from that file, as Ceilometer does)."""
    if not paths:
        return parse_definitions(packaged.read_text("meters.yaml"), "osmon/data/meters.yaml")
    merged: list[MeterDefinition] = []
    warnings: list[str] = []
    skipped = 0
    for p in paths:
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise DefinitionError(f"{p}: cannot read: {exc.strerror}") from None
        one = parse_definitions(text, str(p))
        seen = {_hashable(d.config["name"]) for d in merged}
        for d in one.definitions:
            if _hashable(d.config["name"]) in seen:  # Ceilometer: the earlier file keeps it
                warnings.append(f"{d.origin}: duplicate meter {d.config['name']!r}: skipped")
            else:
                merged.append(d)
        warnings.extend(one.warnings)
        skipped += one.skipped
    return MeterSet(tuple(merged), warnings, skipped)
