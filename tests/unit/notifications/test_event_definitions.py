"""Event definitions: Ceilometer's own file and osmon's shipped one give Ceilometer's events."""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any

import msgpack
import pytest
import yaml
from click.testing import CliRunner

from osmon.cli.notifications import notifications
from osmon.notifications.event_definitions import (
    EventDefinition,
    EventDefinitionError,
    EventDefinitions,
    load_definitions,
    parse_definitions,
)
from osmon.notifications.replay import load_notifications
from osmon.records import Event

ROOT = Path(__file__).resolve().parents[3]
LEGACY = ROOT / "tests" / "fixtures" / "notifications" / "legacy"
# Expected traits worked out from Ceilometer's converter rules (last matching definition, default
# traits, first non-null field, '' dropped for non-text types, datetimes as naive UTC).
EXPECTED = ROOT / "tests" / "fixtures" / "notifications" / "ceilometer-events.json"
UPSTREAM = ROOT.parent / "shared" / "data" / "ceilometer" / "event_definitions.yaml"


@functools.cache
def _upstream() -> EventDefinitions:
    return load_definitions([UPSTREAM])


@functools.cache
def _shipped() -> EventDefinitions:
    return load_definitions()


def _message(path: Path) -> dict[str, Any]:
    [n] = load_notifications([path])
    return {
        "ctxt": n.ctxt,
        "publisher_id": n.publisher_id,
        "event_type": n.event_type,
        "payload": n.payload,
        "metadata": {},
    }


def _typed(definition: EventDefinition, msg: dict[str, Any]) -> dict[str, list[Any]]:
    traits = definition.traits_of(msg, msg["event_type"])
    return {k: [definition.types[k], v] for k, v in sorted(traits.items())}


def test_ceilometer_file_loads_without_problems() -> None:
    upstream = _upstream()
    assert upstream.problems == []
    assert len(upstream) == 48  # 47 definitions + the catch-all Ceilometer adds


@pytest.mark.parametrize("name", sorted(json.loads(EXPECTED.read_text())))
def test_ceilometer_events_on_fixtures(name: str) -> None:
    expected = json.loads(EXPECTED.read_text())[name]
    msg = _message(LEGACY / name)
    for definitions in (_upstream(), _shipped()):
        definition = definitions.matching(msg["event_type"])
        assert definition is not None
        assert _typed(definition, msg) == expected["traits"]


def test_nova_create_end_traits() -> None:
    msg = _message(LEGACY / "nova-compute.instance.create.end.json")
    definition = _upstream().matching("compute.instance.create.end")
    assert definition is not None
    traits = _typed(definition, msg)
    assert len(traits) == 21  # cell_name '' kept (text); deleted_at '' dropped (datetime)
    assert traits["launched_at"] == ["datetime", "2026-11-20T10:00:37"]
    assert traits["memory_mb"] == ["int", 2048]
    # Ceilometer's shipped file gives instance_type_id no type: text.
    assert traits["instance_type_id"] == ["text", "2"]
    assert traits["host"] == ["text", "compute-01"] and traits["service"] == ["text", "compute"]


def _signature(definition: EventDefinition) -> list[tuple[Any, ...]]:
    return sorted((t.name, t.type, tuple(p.text for p in t.paths)) for t in definition.traits)


def test_shipped_definitions_equal_ceilometers_for_every_event_type() -> None:
    upstream, shipped = _upstream(), _shipped()
    assert shipped.problems == []
    event_types = {"foo.bar", "instance.create.end", "snapshot.transfer.accept.end"}
    for raw in yaml.safe_load(UPSTREAM.read_text()):
        patterns = raw["event_type"] if isinstance(raw["event_type"], list) else [raw["event_type"]]
        for p in patterns:
            event_types |= {p.replace("*", "x.end"), p.replace("*", "response"), p.strip(".*")}
    for event_type in sorted(event_types):
        a, b = upstream.matching(event_type), shipped.matching(event_type)
        assert a is not None and b is not None
        assert _signature(a) == _signature(b), event_type


DOC = """
- event_type: 'compute.*'
  traits:
    n: {type: int, fields: payload.n}
    f: {type: float, fields: payload.f}
    when: {type: datetime, fields: payload.when}
    name: [payload.missing, payload.name]
    constant: {type: int, fields: 7}
    long: payload.long
- event_type: ['compute.instance.*', '!compute.instance.exists']
  traits:
    last: payload.name
"""


def _traits(doc: str, payload: dict[str, Any], event_type: str = "compute.x") -> dict[str, Any]:
    definitions = parse_definitions(doc, "t.yaml")
    definition = definitions.matching(event_type)
    assert definition is not None
    msg = {"event_type": event_type, "publisher_id": "p.h", "payload": payload, "ctxt": {}}
    return definition.traits_of(msg, event_type)


def test_types_and_fields() -> None:
    got = _traits(
        DOC,
        {"n": "12", "f": 3, "when": "2026-11-20T12:00:00+02:00", "name": "a", "long": "x" * 300},
    )
    assert got == {
        "service": "p.h",
        "n": 12,
        "f": 3.0,
        "when": "2026-11-20T10:00:00",
        "name": "a",
        "constant": 7,
        "long": "x" * 255,
    }
    assert type(got["f"]) is float


def test_unconvertible_values_are_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        got = _traits(DOC, {"n": "twelve", "f": "", "when": "yesterday", "name": None})
    assert set(got) == {"service", "constant"}
    assert "trait n dropped" in caplog.text and "trait when dropped" in caplog.text


def test_last_definition_wins_and_exclusions() -> None:
    assert "last" in _traits(DOC, {"name": "a"}, "compute.instance.create.end")
    exists = _traits(DOC, {"name": "a"}, "compute.instance.exists")
    assert "last" not in exists and exists["name"] == "a"
    catch_all = _traits(DOC, {}, "image.update")
    assert catch_all == {"service": "p.h"}
    assert parse_definitions(DOC, drop_unmatched=True).matching("image.update") is None


def test_plugins() -> None:
    doc = """
- event_type: '*'
  traits:
    part: {fields: payload.host, plugin: {name: split, parameters: {segment: 1, max_split: 1}}}
    bits:
      fields: [payload.a, payload.b]
      type: int
      plugin:
        name: bitfield
        parameters:
          initial_bitfield: 1
          flags: [{path: payload.a, bit: 1}, {path: payload.b, bit: 2, value: on}]
    took:
      fields: [payload.start, payload.end]
      type: float
      plugin: timedelta
    second: {fields: [payload.short, payload.host], plugin: {name: split, parameters: {segment: 1}}}
    state:
      fields: payload.state
      plugin: {name: map, parameters: {values: {ACTIVE: up}, case_sensitive: false, x: 1}}
    other:
      fields: payload.b
      plugin: {name: map, parameters: {values: {on: 1}, default: unknown}}
"""
    got = _traits(
        doc,
        {
            "host": "compute.h1.example",
            "a": 0,
            "b": "off",
            "start": "2026-11-20T10:00:00",
            "end": "2026-11-20T10:01:30.5",
            "short": "nodot",
            "state": "active",
        },
    )
    assert got["second"] == "h1"  # the first match has no segment 1: the next one's
    assert got["state"] == "up" and got["other"] == "unknown"
    assert got["part"] == "h1.example"
    assert got["bits"] == 1 | 2
    assert got["took"] == 90.5


def test_an_invalid_definition_is_skipped_with_file_and_line() -> None:
    doc = """
- event_type: a.*
  traits:
    x: {type: integer, fields: payload.x}
- event_type: b.*
  traits:
    y: {plugin: nosuch, fields: payload.y}
- event_type: c.*
- event_type: d.*
  traits:
    z: payload.z
"""
    definitions = parse_definitions(doc, "e.yaml")
    assert definitions.problems == [
        "e.yaml:4: invalid trait type 'integer' for trait x (expected one of text, int, "
        "float, datetime)",
        "e.yaml:7: trait y: no plugin named 'nosuch' (available: split, bitfield, timedelta, map)",
        "e.yaml:8: required field traits not specified",
    ]
    d = definitions.matching("d.x")
    assert d is not None and "z" in d.types


def test_not_a_list_is_an_error() -> None:
    with pytest.raises(EventDefinitionError, match=r"^m\.yaml:1: expected a list"):
        parse_definitions("metric: []", "m.yaml")
    with pytest.raises(EventDefinitionError, match=r"^m\.yaml:2: invalid YAML"):
        parse_definitions("- a\n  b: [", "m.yaml")


def test_cli_check_tells_the_kinds_apart(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(notifications, ["check", str(UPSTREAM)])
    assert ok.exit_code == 0 and "47 event definitions loaded" in ok.output
    bad = tmp_path / "events.yaml"
    bad.write_text("- event_type: a\n  traits:\n    x: {type: integer, fields: payload.x}\n")
    failed = runner.invoke(notifications, ["check", str(bad)])
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    assert f"{bad}:3: invalid trait type 'integer' for trait x" in failed.output
    shipped = runner.invoke(notifications, ["check"])
    assert shipped.exit_code == 0 and "47 event definitions OK" in shipped.output


def test_typed_event_wire_round_trip_and_old_spool_form() -> None:
    msg = _message(LEGACY / "nova-compute.instance.exists.json")
    definition = _shipped().matching(msg["event_type"])
    assert definition is not None
    traits = definition.traits_of(msg, "compute.instance.exists")
    event = Event("compute.instance.exists", 1.0, "m", traits, {}, definition.types)
    back = Event.from_wire(msgpack.unpackb(msgpack.packb(event.to_wire())))
    assert back.traits == event.traits
    assert back.trait_types == {k: v for k, v in definition.types.items() if k in event.traits}
    assert back.trait_types["audit_period_ending"] == "datetime"
    old = Event.from_wire(["e", 1.0, "m", {"a": 1}, {}])
    assert old.trait_types == {} and old.traits == {"a": 1}
