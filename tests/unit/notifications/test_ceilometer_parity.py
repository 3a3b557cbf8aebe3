"""Differential test: osmon's meter engine against Ceilometer's own output.

``ceilometer/notifications.json`` holds notifications of every service Ceilometer's shipped
meters.yaml covers; ``ceilometer/expected.json`` is what Ceilometer 27.0.0's
``ProcessMeterNotifications`` made of them with that meters.yaml (``make_expected.py``).
Compared strictly on name, type, unit, volume, resource_id, project_id, user_id, timestamp.
Known, documented differences: ``cumulative`` is osmon's ``counter``; a sample with a null
volume is not emitted (no backend stores it); a null resource_id is ``""``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from osmon.notifications.convert import Converter
from osmon.notifications.meters import load_definitions
from osmon.notifications.timestamps import to_epoch

HERE = Path(__file__).parent / "ceilometer"
CEILOMETER = Path(__file__).parents[3] / ".." / "shared" / "data" / "ceilometer"
CASES = json.loads((HERE / "notifications.json").read_text(encoding="utf-8"))
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
_TYPE = {"cumulative": "counter"}


def _key(s: dict[str, Any]) -> tuple[Any, ...]:
    return (
        s["name"],
        _TYPE.get(s["type"], s["type"]),
        s["unit"],
        round(float(s["volume"]), 9),
        s["resource_id"] or "",
        s["project_id"],
        s["user_id"],
        round(to_epoch(s["timestamp"]), 6),
    )


def _osmon(converter: Converter, message: dict[str, Any]) -> list[tuple[Any, ...]]:
    conv = converter.convert(message, message["priority"])
    return sorted(
        _key(
            {
                "name": s.name,
                "type": s.type,
                "unit": s.unit,
                "volume": s.value,
                "resource_id": s.resource_id,
                "project_id": s.resource_attributes.get("project_id"),
                "user_id": s.resource_attributes.get("user_id"),
                "timestamp": s.timestamp,
            }
        )
        for s in conv.samples
    )


def _ceilometer(i: int) -> list[tuple[Any, ...]]:
    return sorted(_key(s) for s in EXPECTED[i] if s["volume"] is not None)


@pytest.fixture(scope="module")
def upstream() -> Converter:
    meters = load_definitions([CEILOMETER / "meters.yaml"])
    return Converter(meters, accept_unknown_exchange=True)


@pytest.fixture(scope="module")
def shipped() -> Converter:
    return Converter(load_definitions(), accept_unknown_exchange=True)


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c["event_type"] for c in CASES])
def test_ceilometer_meters_yaml_gives_ceilometers_samples(upstream: Converter, i: int) -> None:
    assert _osmon(upstream, CASES[i]) == _ceilometer(i)


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c["event_type"] for c in CASES])
def test_shipped_meters_yaml_gives_ceilometers_samples(shipped: Converter, i: int) -> None:
    assert _osmon(shipped, CASES[i]) == _ceilometer(i)


def test_shipped_metadata_holds_ceilometers(upstream: Converter, shipped: Converter) -> None:
    """osmon only adds metadata (Gnocchi attribute names) to what Ceilometer's file gives."""
    for message in CASES:
        ours = {(s.name, s.resource_id): s for s in shipped.convert(message, "info").samples}
        for s in upstream.convert(message, "info").samples:
            extra = ours[(s.name, s.resource_id)].resource_attributes
            assert {k: v for k, v in extra.items() if k in s.resource_attributes} == dict(
                s.resource_attributes
            ), (message["event_type"], s.name)


def test_ceilometer_types_and_units_are_kept(shipped: Converter) -> None:
    """Every meter of Ceilometer's file is shipped with its type and unit."""
    import yaml

    theirs = yaml.safe_load((CEILOMETER / "meters.yaml").read_text(encoding="utf-8"))["metric"]
    ours = {str(d.config["name"]): d.config for d in shipped.meters.definitions}
    for meter in theirs:
        name = str(meter["name"])
        assert name in ours, name
        assert (ours[name]["type"], ours[name]["unit"]) == (meter["type"], meter["unit"]), name


def test_ceilometer_meters_yaml_loads_whole(upstream: Converter) -> None:
    assert upstream.meters.skipped == 0
    assert len(upstream.meters) == 38  # every definition of the file, none skipped
