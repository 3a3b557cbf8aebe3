"""Meter definitions: Ceilometer syntax accepted, errors carry file:line."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osmon.notifications.meters import (
    BadValue,
    DefinitionError,
    default_resource_type,
    load_definitions,
    parse_definitions,
)

CEILOMETER_STYLE = """
---
metric:
  - name: 'memory'
    event_type: &instance_events compute.instance.(?!create.start|update).*
    type: 'gauge'
    unit: 'MB'
    volume: $.payload.memory_mb
    user_id: $.payload.user_id
    project_id: $.payload.tenant_id
    resource_id: $.payload.instance_id
    user_metadata: $.payload.metadata
    metadata: &instance_meta
      host: $.payload.host
      flavor_id: $.payload.instance_flavor_id

  - name: 'vcpus'
    event_type: *instance_events
    type: 'gauge'
    unit: 'vcpu'
    volume: $.payload.vcpus
    resource_id: $.payload.instance_id
    metadata:
       <<: *instance_meta

  - name: 'compute.instance.booting.time'
    event_type: 'compute.instance.create.end'
    type: 'gauge'
    unit: 'sec'
    volume:
      fields: [$.payload.created_at, $.payload.launched_at]
      plugin: 'timedelta'
    resource_id: $.payload.instance_id

  - name: $.payload.metrics.[*].name
    event_type: 'magnum.bay.metrics.*'
    type: 'cumulative'
    unit: $.payload.metrics.[*].unit
    volume: $.payload.metrics.[*].value
    resource_id: $.payload.resource_id
    lookup: ['name', 'unit', 'volume']

  - name: $.payload.outcome.`sub(/.*/, )` + 'identity.authenticate.' + $.payload.outcome
    type: 'delta'
    unit: 'user'
    volume: 1
    event_type:
      - 'identity.authenticate'
    resource_id: $.payload.initiator.id
"""


def _msg(
    event_type: str, payload: dict[str, object], ctxt: dict[str, object] | None = None
) -> dict[str, object]:
    return {"event_type": event_type, "payload": payload, "ctxt": ctxt or {}, "publisher_id": "x.h"}


def test_ceilometer_syntax_compiles_and_yields_samples() -> None:
    meters = parse_definitions(CEILOMETER_STYLE, "meters.yaml")
    assert len(meters) == 5
    payload = {
        "memory_mb": 512,
        "vcpus": 2,
        "instance_id": "i1",
        "tenant_id": "p1",
        "user_id": "u1",
        "host": "c1",
        "instance_flavor_id": "f1",
        "metadata": {"metering.server_group": "g1", "other": "x"},
        "created_at": "2026-01-01T00:00:00Z",
        "launched_at": "2026-01-01T00:01:30Z",
    }
    doc = _msg("compute.instance.create.end", payload)
    samples = {s.name: s for s in meters.samples(doc, "compute.instance.create.end", 10.0)}
    assert set(samples) == {"memory", "vcpus", "compute.instance.booting.time"}
    assert samples["memory"].value == 512.0
    assert samples["memory"].resource_attributes == {
        "host": "c1",
        "flavor_id": "f1",
        "project_id": "p1",
        "user_id": "u1",
        "user_metadata": {"server_group": "g1"},
        "server_group": "g1",
    }
    assert samples["vcpus"].resource_attributes["flavor_id"] == "f1"
    assert samples["compute.instance.booting.time"].value == 90.0
    assert samples["memory"].resource_type == "instance"
    assert (
        meters.samples(_msg("compute.instance.update", payload), "compute.instance.update", 1) == []
    )


def test_lookup_fans_out_and_cumulative_becomes_counter() -> None:
    meters = parse_definitions(CEILOMETER_STYLE)
    doc = _msg(
        "magnum.bay.metrics.update",
        {
            "resource_id": "bay1",
            "metrics": [
                {"name": "m.a", "unit": "B", "value": 1},
                {"name": "m.b", "unit": "s", "value": 2},
            ],
        },
    )
    samples = meters.samples(doc, "magnum.bay.metrics.update", 5.0)
    assert [(s.name, s.unit, s.value, s.type) for s in samples] == [
        ("m.a", "B", 1.0, "counter"),
        ("m.b", "s", 2.0, "counter"),
    ]
    # no metadata defined: Ceilometer's default, the payload plus event_type and host; no
    # context fallback for project/user (Ceilometer's fallback path never matches)
    assert samples[0].resource_attributes["event_type"] == "magnum.bay.metrics.update"
    assert samples[0].resource_attributes["host"] == "x.h"
    assert "project_id" not in samples[0].resource_attributes


def test_identity_outcome_expression() -> None:
    meters = parse_definitions(CEILOMETER_STYLE)
    doc = _msg("identity.authenticate", {"outcome": "failure", "initiator": {"id": "u9"}})
    [sample] = meters.samples(doc, "identity.authenticate", 1.0)
    assert sample.name == "identity.authenticate.failure"
    assert sample.type == "delta"


def test_wrong_volume_type_is_bad_value() -> None:
    meters = parse_definitions(CEILOMETER_STYLE)
    doc = _msg("compute.instance.exists", {"memory_mb": "lots", "instance_id": "i"})
    with pytest.raises(BadValue, match="memory"):
        meters.samples(doc, "compute.instance.exists", 1.0)
    doc = _msg("compute.instance.exists", {"memory_mb": "1024", "instance_id": "i"})
    assert meters.samples(doc, "compute.instance.exists", 1.0)[0].value == 1024.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metric: [\n  {name: a}\n]\n", r"src.yaml:2: definition skipped: .*event_type"),
        (
            "metric:\n  - name: a\n    event_type: x\n    type: gauge\n    unit: B\n    volume: 1\n"
            "    resource_id: $.r\n    bogus: 1\n",
            r"src.yaml:2: ignored unknown keys: bogus",
        ),
        (
            "metric:\n  - name: a\n    event_type: '(['\n    type: gauge\n    unit: B\n"
            "    volume: 1\n    resource_id: $.r\n",
            r"src.yaml:2: definition skipped: event_type: invalid regex",
        ),
        (
            "metric:\n  - name: a\n    event_type: x\n    type: gauge\n    unit: B\n"
            "    volume: $.[[\n    resource_id: $.r\n",
            r"src.yaml:2: definition skipped: invalid JSONPath",
        ),
        (
            "metric:\n  - name: a\n    event_type: x\n    type: rate\n    unit: B\n"
            "    volume: 1\n    resource_id: $.r\n",
            r"src.yaml:2: definition skipped: invalid type",
        ),
    ],
)
def test_definition_problems_name_file_and_line(text: str, message: str) -> None:
    good = "  - {name: b, event_type: y, type: gauge, unit: B, volume: 1, resource_id: $.r}\n"
    meters = parse_definitions(
        text.replace("metric: [\n", "metric: [\n") + ("" if "]" in text else good), "src.yaml"
    )
    assert any(re.match(message, w) for w in meters.warnings), meters.warnings
    if "]" not in text:
        assert [d.config["name"] for d in meters.definitions][-1] == "b"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metric: [\n", r"src.yaml:2: invalid YAML"),
        ("- 1\n", r"src.yaml:1: expected a mapping"),
    ],
)
def test_definition_file_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        parse_definitions(text, "src.yaml")


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_fuzzed_definition_text_fails_cleanly(text: str) -> None:
    with contextlib.suppress(DefinitionError):
        parse_definitions(text, "fuzz.yaml")


def test_shipped_definitions_load_and_files_concatenate(tmp_path: Path) -> None:
    shipped = load_definitions()
    assert len(shipped) >= 20
    extra = tmp_path / "m.yaml"
    extra.write_text(CEILOMETER_STYLE)
    twice = load_definitions([extra, extra])
    assert len(twice) == 5 and len(twice.warnings) == 5  # the first file keeps each name
    with pytest.raises(DefinitionError, match="cannot read"):
        load_definitions([tmp_path / "nope.yaml"])


def test_default_resource_types() -> None:
    assert default_resource_type("memory") == "instance"
    assert default_resource_type("volume.size") == "volume"
    assert default_resource_type("volume.provider.pool.capacity.free") == "volume_provider_pool"
    assert default_resource_type("image.size") == "image"
    assert default_resource_type("ip.floating") == "network"
    assert default_resource_type("identity.authenticate.success") == "identity"
    assert default_resource_type("memoryx") == "generic"
