"""Which resource attributes the Gnocchi sink sends, and whether they changed since last time.

Ceilometer PATCHes a resource whenever its cached attribute hash changes; osmon does the same but
hashes *normalized* values per attribute (a datetime as epoch seconds, a UUID in canonical form),
so that the server's spelling of a value (``2026-01-01T00:00:00+00:00``) and a source's
(``...Z``) compare equal and do not trigger a PATCH on every batch.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from osmon.sinks.gnocchi.catalog import (
    GENERIC_CREATE_ATTRIBUTES,
    GENERIC_DATETIME_ATTRIBUTES,
    GENERIC_PATCH_ATTRIBUTES,
)

AttributeTypes = Mapping[str, str]
"""attribute name → Gnocchi attribute type (``string``, ``uuid``, ``datetime`` ...)."""


def attribute_types(resource_type: Mapping[str, Any]) -> dict[str, str]:
    """Attribute name → type from a resource type as Gnocchi returns it."""
    attrs = resource_type.get("attributes") or {}
    return {name: str(spec.get("type", "string")) for name, spec in attrs.items()}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def creation_attributes(types: AttributeTypes, given: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes for ``POST /v1/resource/<type>``: the type's own plus the generic ones."""
    return {
        k: _jsonable(v)
        for k, v in given.items()
        if v is not None and (k in types or k in GENERIC_CREATE_ATTRIBUTES)
    }


def patch_attributes(types: AttributeTypes, given: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes osmon keeps up to date with ``PATCH`` (the type's own plus ``ended_at``)."""
    return {
        k: _jsonable(v)
        for k, v in given.items()
        if v is not None and (k in types or k in GENERIC_PATCH_ATTRIBUTES)
    }


def _epoch(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return value


def _normal(kind: str | None, value: Any) -> Any:
    if kind == "datetime":
        return _epoch(value)
    if kind == "uuid" and isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return value
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def normalized(types: AttributeTypes, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """``attrs`` with each value in a canonical form for its attribute type."""
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        kind = "datetime" if k in GENERIC_DATETIME_ATTRIBUTES else types.get(k)
        out[k] = _normal(kind, v)
    return out


def differs(types: AttributeTypes, wanted: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """True when the server's ``current`` resource disagrees with any ``wanted`` attribute."""
    a = normalized(types, wanted)
    b = normalized(types, {k: current.get(k) for k in wanted})
    for k, v in a.items():
        w = b[k]
        if isinstance(v, float) and isinstance(w, float):
            if not math.isclose(v, w, rel_tol=0.0, abs_tol=1e-6):
                return True
        elif v != w:
            return True
    return False


def fingerprints(types: AttributeTypes, attrs: Mapping[str, Any]) -> dict[str, int]:
    """Per attribute, a hash of its normalized value: what the change cache remembers."""
    out: dict[str, int] = {}
    for k, v in normalized(types, attrs).items():
        try:
            out[k] = hash((type(v).__name__, v))
        except TypeError:
            out[k] = hash(json.dumps(v, sort_keys=True, default=str))
    return out


@dataclass(slots=True)
class CachedResource:
    fingerprints: dict[str, int]
    resource_type: str

    def changed(self, wanted: Mapping[str, int]) -> bool:
        """True when any wanted attribute differs from what the server was last given."""
        known = self.fingerprints
        return any(known.get(k) != h for k, h in wanted.items())


class AttributeCache:
    """LRU of resource id → attribute fingerprints last known to be on the server, and its type.

    Fingerprints are kept per attribute, not as one hash of the whole set, so two sources that
    describe the same resource with different subsets of attributes do not PATCH it in turn on
    every batch. Bounded so that a cloud with millions of short-lived resources cannot grow it
    without limit; an evicted resource costs one search request the next time it is seen.
    """

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[str, CachedResource] = OrderedDict()

    def get(self, resource_id: str) -> CachedResource | None:
        entry = self._entries.get(resource_id)
        if entry is not None:
            self._entries.move_to_end(resource_id)
        return entry

    def put(self, resource_id: str, prints: Mapping[str, int], resource_type: str) -> None:
        """Remember that the server now holds ``prints`` (merged into what it held)."""
        entry = self._entries.get(resource_id)
        if entry is None or entry.resource_type != resource_type:
            self._entries[resource_id] = CachedResource(dict(prints), resource_type)
        else:
            entry.fingerprints.update(prints)
        self._entries.move_to_end(resource_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, resource_id: str) -> None:
        self._entries.pop(resource_id, None)

    def __len__(self) -> int:
        return len(self._entries)
