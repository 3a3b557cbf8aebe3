"""Ceilometer's meter-definition semantics, one case each (declarative.py,
meter/notifications.py)."""

from __future__ import annotations

from typing import Any

import pytest

from osmon.notifications.meters import BadValue, parse_definitions

BASE = "  - {name: m, event_type: e, type: gauge, unit: B, resource_id: $.payload.id, "


def _one(defs: str, payload: Any, event_type: str = "e", **extra: Any) -> list[Any]:
    meters = parse_definitions("metric:\n" + defs, "t.yaml")
    doc = {"event_type": event_type, "payload": payload, "publisher_id": "svc.h1", **extra}
    return meters.samples(doc, event_type, 100.0)


def test_path_without_dollar_and_literal_concatenation() -> None:
    [s] = _one(
        "  - name: \"'disk.' + $.payload.kind\"\n    event_type: e\n    type: gauge\n"
        "    unit: B\n    volume: payload.size\n    resource_id: payload.id\n",
        {"id": "r", "size": 3, "kind": "x"},
    )
    assert (s.name, s.value, s.resource_id) == ("disk.x", 3.0, "r")


def test_type_as_jsonpath_and_lookup_as_a_string() -> None:
    defs = (
        "  - name: $.payload.m[*].n\n    event_type: e\n    type: $.payload.m[*].t\n"
        "    unit: B\n    volume: $.payload.m[*].v\n    resource_id: $.payload.id\n"
        "    lookup: [name, volume, type]\n"
    )
    payload = {"id": "r", "m": [{"n": "a", "t": "delta", "v": 1}, {"n": "b", "t": "gauge", "v": 2}]}
    assert [(s.name, s.type, s.value) for s in _one(defs, payload)] == [
        ("a", "delta", 1.0),
        ("b", "gauge", 2.0),
    ]
    single = _one(defs.replace("lookup: [name, volume, type]", "lookup: name"), payload)
    assert [s.name for s in single] == []  # volume is then one value for two names: Ceilometer
    # warns and emits nothing


def test_lookup_over_project_and_user() -> None:
    defs = (
        "  - name: $.payload.m[*].n\n    event_type: e\n    type: gauge\n    unit: B\n"
        "    volume: $.payload.m[*].v\n    resource_id: $.payload.id\n"
        "    project_id: $.payload.m[*].p\n    lookup: [name, volume, project_id]\n"
    )
    payload = {"id": "r", "m": [{"n": "a", "v": 1, "p": "p1"}, {"n": "b", "v": 2, "p": "p2"}]}
    assert [s.resource_attributes["project_id"] for s in _one(defs, payload)] == ["p1", "p2"]


def test_fields_list_is_a_union_first_found_wins() -> None:
    defs = BASE + "volume: [$.payload.a, $.payload.b]}\n"
    assert _one(defs, {"id": "r", "b": 7})[0].value == 7.0
    assert _one(defs, {"id": "r", "a": 1, "b": 7})[0].value == 1.0


def test_plugins_split_map_bitfield() -> None:
    split = (
        "  - name: m\n    event_type: e\n    type: gauge\n    unit: B\n    volume: 1\n"
        "    resource_id:\n      fields: $.payload.h\n"
        "      plugin: {name: split, parameters: {separator: '@', segment: 1}}\n"
    )
    assert _one(split, {"h": "host@lvm"})[0].resource_id == "lvm"
    mapped = (
        BASE + "volume: {fields: $.payload.s, plugin: "
        "{name: map, parameters: {values: {up: 1, down: 0}, default: -1}}}}\n"
    )
    assert [_one(mapped, {"id": "r", "s": s})[0].value for s in ("up", "down", "x")] == [1, 0, -1]
    bits = (
        BASE + "volume: {fields: [$.payload.a, $.payload.b], plugin: {name: bitfield, "
        "parameters: {flags: [{path: payload.a, bit: 0},"
        " {path: payload.b, bit: 2, value: 'on'}]}}}}\n"
    )
    assert _one(bits, {"id": "r", "a": 1, "b": "on"})[0].value == 5.0
    assert _one(bits, {"id": "r", "b": "off"})[0].value == 0.0


def test_non_string_metadata_values_and_default_metadata() -> None:
    defs = BASE + "volume: 1, metadata: {n: 5, p: {fields: $.payload.x}}}\n"
    [s] = _one(defs, {"id": "r", "x": "y"})
    assert s.resource_attributes == {"n": 5, "p": "y"}
    [s] = _one(BASE + "volume: 1}\n", {"id": "r", "x": "y"})
    assert s.resource_attributes == {"id": "r", "x": "y", "event_type": "e", "host": "svc.h1"}


def test_missing_resource_id_is_emitted_and_null_volume_is_not() -> None:
    [s] = _one(BASE + "volume: 1}\n", {})
    assert s.resource_id == ""
    meters = parse_definitions("metric:\n" + BASE + "volume: $.payload.v}\n")
    assert meters.samples({"event_type": "e", "payload": {"id": "r"}}, "e", 1.0) == []
    assert meters.definitions[0].stats == {"null_volume": 1}


def test_dict_as_one_item_list_and_list_payload() -> None:
    defs = (
        "  - name: $.payload.[*].n\n    event_type: e\n    type: gauge\n    unit: B\n"
        "    volume: $.payload.[*].v\n    resource_id: r\n    lookup: [name, volume]\n"
    )
    assert [s.name for s in _one(defs, [{"n": "a", "v": 1}, {"n": "b", "v": 2}])] == ["a", "b"]
    assert [s.name for s in _one(defs, {"n": "a", "v": 1})] == ["a"]


def test_duplicates_last_wins_and_bad_definition_skipped_others_load() -> None:
    text = (
        "metric:\n"
        + BASE.replace("name: m", "name: d")
        + "volume: 1}\n"
        + "  - {name: bad, event_type: e, type: rate, unit: B, volume: 1, resource_id: r}\n"
        + BASE.replace("name: m", "name: d")
        + "volume: 2, multi: x, description: y}\n"
    )
    meters = parse_definitions(text, "t.yaml")
    assert meters.skipped == 1
    assert [w.split(": ", 1)[0] for w in meters.warnings] == ["t.yaml:2", "t.yaml:3", "t.yaml:4"]
    assert "invalid type 'rate'" in meters.warnings[1]
    assert "ignored unknown keys: description, multi" in meters.warnings[2]
    [s] = meters.samples({"event_type": "e", "payload": {"id": "r"}}, "e", 1.0)
    assert s.value == 2.0


def test_cumulative_is_osmons_counter_and_timestamp_from_the_definition() -> None:
    defs = BASE.replace("gauge", "cumulative") + "volume: 1, timestamp: $.payload.t}\n"
    [s] = _one(defs, {"id": "r", "t": "2026-01-01T00:00:00Z"})
    assert s.type == "counter" and s.timestamp == 1767225600.0


def test_a_failing_definition_is_counted_and_the_others_still_convert() -> None:
    text = (
        "metric:\n"
        + BASE.replace("name: m", "name: good")
        + "volume: 1}\n"
        + BASE.replace("name: m", "name: bad")
        + "volume: $.payload.text}\n"
    )
    meters = parse_definitions(text, "t.yaml")
    doc = {"event_type": "e", "payload": {"id": "r", "text": "not a number"}}
    assert [s.name for s in meters.samples(doc, "e", 1.0)] == ["good"]
    assert meters.definitions[1].stats == {"bad_value": 1}
    only_bad = parse_definitions("metric:\n" + BASE + "volume: $.payload.text}\n", "t.yaml")
    with pytest.raises(BadValue, match=r"t.yaml:2: m: volume 'not a number' is not a number"):
        only_bad.samples(doc, "e", 1.0)


def test_bad_plugin_parameters_skip_the_definition_at_load() -> None:
    """Meter fields take the same plugins as traits, checked when the file is read: a flag
    without ``bit`` is a FILE:LINE warning, not an error on every matching notification."""
    text = (
        "metric:\n"
        + BASE.replace("name: m", "name: good")
        + "volume: 1}\n"
        + "  - name: bad\n    event_type: e\n    type: gauge\n    unit: B\n"
        + "    resource_id: $.payload.id\n"
        + "    volume: {fields: [$.payload.a], plugin: {name: bitfield,"
        + " parameters: {flags: [{path: payload.a}]}}}\n"
    )
    meters = parse_definitions(text, "t.yaml")
    assert [d.config["name"] for d in meters.definitions] == ["good"]
    assert meters.skipped == 1 and "t.yaml:3" in meters.warnings[0]
    assert "needs 'path' and 'bit'" in meters.warnings[0]
    [s] = meters.samples({"event_type": "e", "payload": {"id": "r", "a": 1}}, "e", 1.0)
    assert s.name == "good"
