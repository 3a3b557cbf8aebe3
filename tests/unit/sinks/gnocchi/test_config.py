"""Options of the Gnocchi sink."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from osmon.sinks.gnocchi import GnocchiOptions


def test_options_need_endpoint_for_basic_and_cloud_for_keystone() -> None:
    with pytest.raises(ValidationError, match="endpoint"):
        GnocchiOptions.model_validate({})
    with pytest.raises(ValidationError, match="cloud"):
        GnocchiOptions.model_validate({"auth": "keystone"})
    with pytest.raises(ValidationError, match="extra"):
        GnocchiOptions.model_validate({"endpoint": "http://127.0.0.1:8041", "pasword": "x"})
    opts = GnocchiOptions.model_validate({"endpoint": "http://127.0.0.1:8041"})
    assert opts.verify is True
    assert [p.name for p in opts.archive_policies] == ["osmon", "osmon-rate"]


def test_operator_resource_type_replaces_catalogue_entry() -> None:
    opts = GnocchiOptions.model_validate(
        {
            "endpoint": "http://127.0.0.1:8041",
            "resource_types": {"instance": {"az": {"type": "string"}}},
        }
    )
    wanted = opts.wanted_resource_types()
    assert wanted["instance"] == {"az": {"type": "string", "required": False}}
    assert "volume" in wanted
