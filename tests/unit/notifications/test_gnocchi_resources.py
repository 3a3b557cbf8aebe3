"""The Gnocchi side agrees with Ceilometer's ``gnocchi_resources.yaml``: each meter's resource
type, and the attributes osmon's resource types declare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from osmon.notifications.convert import Converter
from osmon.notifications.meters import load_definitions
from osmon.notifications.resource_types import default_resource_type
from osmon.sinks.gnocchi.catalog import RESOURCE_TYPES

CEILOMETER = Path(__file__).parents[3] / ".." / "shared" / "data" / "ceilometer"
RESOURCES: list[dict[str, Any]] = yaml.safe_load(
    (CEILOMETER / "gnocchi_resources.yaml").read_text(encoding="utf-8")
)["resources"]


def _metrics(resource: dict[str, Any]) -> list[str]:
    return [str(m) for m in resource["metrics"]]


def test_every_ceilometer_meter_gets_ceilometers_resource_type() -> None:
    wrong = [
        (meter, r["resource_type"], default_resource_type(meter))
        for r in RESOURCES
        for meter in _metrics(r)
        if default_resource_type(meter) != r["resource_type"]
    ]
    assert wrong == []


def test_shipped_meters_file_under_ceilometers_types_with_its_attributes() -> None:
    types = {m: r["resource_type"] for r in RESOURCES for m in _metrics(r)}
    attributes = {r["resource_type"]: set(r.get("attributes") or {}) for r in RESOURCES}
    shipped = load_definitions()
    checked = 0
    for d in shipped.definitions:
        name = d.config["name"]
        if name in types:
            checked += 1
            assert (d.resource_type or default_resource_type(name)) == types[name], name
            declared = set(RESOURCE_TYPES[types[name]])
            assert attributes[types[name]] <= declared, (name, attributes[types[name]] - declared)
    assert checked >= 30


def test_shipped_samples_carry_the_gnocchi_attributes() -> None:
    """The metadata Ceilometer's publisher reads for an attribute is in osmon's sample under
    that attribute's name (instance and nova_compute checked on real payloads)."""
    import json

    cases = json.loads((Path(__file__).parent / "ceilometer" / "notifications.json").read_text())
    converter = Converter(load_definitions(), accept_unknown_exchange=True)
    by_type: dict[str, dict[str, Any]] = {}
    for message in cases:
        for s in converter.convert(message, "info").samples:
            by_type.setdefault(s.resource_type, {}).update(s.resource_attributes)
    assert {"host", "flavor_id", "flavor_name", "display_name", "server_group"} <= set(
        by_type["instance"]
    )
    assert by_type["nova_compute"]["host_name"] == "compute.compute-1"
    assert by_type["volume_provider_pool"]["provider"] == "ctl1@lvm"
    assert {"name", "host", "status", "protocol"} <= set(by_type["manila_share"])
