"""Which attributes are sent, and the change cache that avoids PATCHes."""

from __future__ import annotations

import uuid

from osmon.sinks.gnocchi.attributes import (
    AttributeCache,
    creation_attributes,
    differs,
    fingerprints,
    patch_attributes,
)

TYPES = {"display_name": "string", "launched_at": "datetime", "image_id": "uuid", "n": "number"}


def test_creation_and_patch_attributes_are_filtered() -> None:
    given_attrs = {
        "display_name": "vm",
        "project_id": "p",
        "started_at": 1.0,
        "ended_at": 2.0,
        "other": 1,
        "n": None,
    }
    assert creation_attributes(TYPES, given_attrs) == {
        "display_name": "vm",
        "project_id": "p",
        "started_at": 1.0,
        "ended_at": 2.0,
    }
    assert patch_attributes(TYPES, given_attrs) == {"display_name": "vm", "ended_at": 2.0}


def test_equal_values_in_different_spellings_do_not_differ() -> None:
    u = uuid.uuid4()
    wanted = {
        "launched_at": "2024-01-01T00:00:00Z",
        "image_id": str(u).upper(),
        "n": 3,
        "ended_at": 1704067200,
    }
    server = {
        "launched_at": "2024-01-01T00:00:00+00:00",
        "image_id": str(u),
        "n": 3.0,
        "ended_at": "2024-01-01T00:00:00+00:00",
    }
    assert not differs(TYPES, wanted, server)
    assert fingerprints(TYPES, wanted) == fingerprints(TYPES, server)
    assert differs(TYPES, {"display_name": "a"}, {"display_name": "b"})
    assert differs(TYPES, {"display_name": "a"}, {})


def test_cache_merges_subsets_and_evicts_least_recent() -> None:
    cache = AttributeCache(max_entries=2)
    cache.put("r1", fingerprints(TYPES, {"display_name": "a"}), "instance")
    cache.put("r1", fingerprints(TYPES, {"n": 1}), "instance")
    entry = cache.get("r1")
    assert entry is not None
    assert not entry.changed(fingerprints(TYPES, {"display_name": "a", "n": 1.0}))
    assert entry.changed(fingerprints(TYPES, {"display_name": "b"}))
    cache.put("r2", {}, "generic")
    cache.get("r1")
    cache.put("r3", {}, "generic")
    assert cache.get("r2") is None
    assert cache.get("r1") is not None
    assert len(cache) == 2
