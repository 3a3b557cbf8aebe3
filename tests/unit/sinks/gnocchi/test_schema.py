"""Archive policies, rules and resource types the sink ensures on start (against the double)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from osmon.sinks.base import PermanentError
from osmon.sinks.gnocchi.api import GnocchiRefused
from osmon.sinks.gnocchi.catalog import RESOURCE_TYPES
from tests.unit.sinks.gnocchi.fakegnocchi import FakeGnocchi, make_sink


async def test_start_creates_policies_and_types_once(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    await sink.start()
    assert {"osmon", "osmon-rate", "low"} <= set(fake.policies)
    assert set(RESOURCE_TYPES) <= set(fake.types)
    assert fake.types["instance"]["attributes"]["display_name"]["required"] is False

    again = make_sink(fake)
    fake.calls.clear()
    await again.start()
    assert fake.count("create_archive_policy") == 0
    assert fake.count("create_resource_type") == 0
    assert fake.count("add_resource_type_attributes") == 0


async def test_start_adds_missing_attributes_to_existing_type(fake: FakeGnocchi) -> None:
    fake.types["instance"] = {
        "name": "instance",
        "attributes": {"host": {"type": "string", "required": True}},
    }
    await make_sink(fake).start()
    attrs = fake.types["instance"]["attributes"]
    assert attrs["host"]["required"] is True
    assert "flavor_name" in attrs


async def test_operator_types_and_rules_are_ensured(fake: FakeGnocchi) -> None:
    sink = make_sink(
        fake,
        resource_types={"rack": {"row": {"type": "string", "max_length": 16}}},
        archive_policy_rules=[
            {"name": "hw", "metric_pattern": "hardware.*", "archive_policy_name": "low"}
        ],
    )
    await sink.start()
    assert fake.types["rack"]["attributes"]["row"] == {
        "type": "string",
        "required": False,
        "max_length": 16,
    }
    assert "hw" in fake.rules


async def test_invalid_policy_is_a_permanent_start_error(fake: FakeGnocchi) -> None:
    async def refuse(policy: Mapping[str, Any]) -> None:
        raise GnocchiRefused(400, "Invalid input: bad granularity")

    fake.create_archive_policy = refuse  # type: ignore[method-assign]
    with pytest.raises(PermanentError, match="osmon"):
        await make_sink(fake).start()
