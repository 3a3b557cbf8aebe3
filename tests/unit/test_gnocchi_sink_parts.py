"""The Gnocchi sink's pure parts: options, batch planning, attribute change cache, clouds.yaml."""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from typing import Any

import pytest
from gnocchiclient import exceptions as g_exc
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from osmon.records import Sample
from osmon.sinks.base import TransientError
from osmon.sinks.gnocchi import GnocchiOptions, connect
from osmon.sinks.gnocchi_api import GnocchiRefused, _sorted_error
from osmon.sinks.gnocchi_attributes import (
    AttributeCache,
    creation_attributes,
    differs,
    fingerprints,
    patch_attributes,
)
from osmon.sinks.gnocchi_clouds import CloudConfigError, auth_plugin, load_cloud
from osmon.sinks.gnocchi_plan import batch_body, chunked, gnocchi_resource_id, plan_samples

# -- options ---------------------------------------------------------------------------------


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


# -- planning --------------------------------------------------------------------------------


def test_plan_groups_by_resource_and_metric() -> None:
    samples = [
        Sample("a", 1.0, 10.0, unit="B", resource_id="r1", resource_attributes={"x": 1}),
        Sample("a", 2.0, 5.0, resource_id="r1", resource_attributes={"x": 2, "y": 3}),
        Sample("b", 3.0, 7.0, resource_id="r2", resource_type="instance"),
    ]
    plan = plan_samples(samples, lambda s: "p")
    assert plan.rejected == []
    r1 = plan.groups["r1"]
    assert r1.attributes == {"x": 2, "y": 3}
    assert r1.first_timestamp == 5.0
    assert r1.indices == [0, 1]
    assert batch_body(plan.groups.values()) == {
        "r1": {
            "a": {
                "archive_policy_name": "p",
                "unit": "B",
                "measures": [{"timestamp": 10.0, "value": 1.0}, {"timestamp": 5.0, "value": 2.0}],
            }
        },
        "r2": {"b": {"archive_policy_name": "p", "measures": [{"timestamp": 7.0, "value": 3.0}]}},
    }


def test_chunks_never_split_a_resource() -> None:
    samples = [Sample("m", 1.0, float(i), resource_id=f"r{i % 3}") for i in range(9)]
    plan = plan_samples(samples, lambda s: None)
    chunks = chunked(plan.groups.values(), 4)
    assert [[g.resource_id for g in c] for c in chunks] == [["r0"], ["r1"], ["r2"]]
    assert len(chunked(plan.groups.values(), 100)) == 1


def test_resource_ids_follow_ceilometer_and_gnocchi_limits() -> None:
    assert gnocchi_resource_id("a/b") == "a_b"
    assert gnocchi_resource_id("") is None
    assert gnocchi_resource_id("x" * 289) == "x" * 289
    assert gnocchi_resource_id("x" * 290) is None


floats = st.one_of(st.floats(), st.integers(-(10**12), 10**12))


@given(
    st.lists(
        st.builds(
            Sample,
            name=st.text(max_size=8),
            value=floats,
            timestamp=floats,
            resource_id=st.text(max_size=300),
            resource_type=st.sampled_from(["generic", "instance", ""]),
            resource_attributes=st.dictionaries(st.text(max_size=5), st.text(max_size=5)),
        ),
        max_size=30,
    )
)
def test_plan_accounts_for_every_record_exactly_once(samples: list[Sample]) -> None:
    plan = plan_samples(samples, lambda s: "p")
    placed = [i for g in plan.groups.values() for i in g.indices]
    rejected = [i for i, _ in plan.rejected]
    assert sorted(placed + rejected) == list(range(len(samples)))
    for g in plan.groups.values():
        assert "/" not in g.resource_id
        for name, m in g.metrics.items():
            assert name and "/" not in name
            assert all(math.isfinite(x["value"]) for x in m.measures)


# -- attributes ------------------------------------------------------------------------------

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


# -- error sorting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (g_exc.BadRequest(code=400, message={"cause": "Unknown resources"}), GnocchiRefused),
        (g_exc.ClientException(code=404, message="nope"), GnocchiRefused),
        (g_exc.ClientException(code=409, message="exists"), GnocchiRefused),
        (g_exc.ClientException(code=401, message="who"), TransientError),
        (g_exc.ClientException(code=429, message="slow down"), TransientError),
        (g_exc.ClientException(code=503, message="busy"), TransientError),
        (g_exc.ConnectionFailure(message="refused"), TransientError),
        (ConnectionResetError("reset"), TransientError),
    ],
)
def test_errors_are_sorted(error: Exception, kind: type[Exception]) -> None:
    assert isinstance(_sorted_error(error), kind)


def test_refused_exposes_cause_and_detail() -> None:
    e = GnocchiRefused(400, {"cause": "Unknown resources", "detail": [{"resource_id": "x"}]})
    assert e.cause == "Unknown resources"
    assert e.detail == [{"resource_id": "x"}]
    assert GnocchiRefused(400, "plain").cause is None


# -- clouds.yaml / session -------------------------------------------------------------------

CLOUDS = """
clouds:
  ctl:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: osmon
      project_name: service
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
    cacert: /etc/ssl/ca.pem
  broken:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      usernme: typo
"""


def write_clouds(tmp_path: Path, secure: str | None = None) -> Path:
    path = tmp_path / "clouds.yaml"
    path.write_text(CLOUDS)
    if secure is not None:
        (tmp_path / "secure.yaml").write_text(secure)
    return path


def test_cloud_is_read_and_merged_with_secure_yaml(tmp_path: Path) -> None:
    path = write_clouds(tmp_path, "clouds:\n  ctl:\n    auth:\n      password: s3cret\n")
    cloud = load_cloud("ctl", [tmp_path / "absent.yaml", path])
    assert cloud.auth["password"] == "s3cret"
    assert cloud.auth["username"] == "osmon"
    assert (cloud.region_name, cloud.interface, cloud.cacert) == (
        "RegionOne",
        "internal",
        "/etc/ssl/ca.pem",
    )
    plugin: Any = auth_plugin(cloud)
    assert plugin.auth_url == "http://127.0.0.1:5000/v3"


def test_cloud_errors_are_clear(tmp_path: Path) -> None:
    path = write_clouds(tmp_path)
    with pytest.raises(CloudConfigError, match=r"no cloud named 'nope'.*broken, ctl"):
        load_cloud("nope", [path])
    with pytest.raises(CloudConfigError, match=r"usernme"):
        auth_plugin(load_cloud("broken", [path]))
    with pytest.raises(CloudConfigError, match=r"no clouds\.yaml found"):
        load_cloud("ctl", [tmp_path / "absent.yaml"])
    (tmp_path / "bad.yaml").write_text("clouds: [1, 2")
    with pytest.raises(CloudConfigError, match=r"bad\.yaml"):
        load_cloud("ctl", [tmp_path / "bad.yaml"])


async def test_connect_builds_basic_and_keystone_clients(tmp_path: Path) -> None:
    basic = connect(GnocchiOptions.model_validate({"endpoint": "http://127.0.0.1:8041/"}))
    client: Any = basic._client
    assert client.api.get_endpoint() == "http://127.0.0.1:8041"
    assert client.api.session.verify is True
    assert client.api.connect_retries == 2
    await basic.close()

    path = write_clouds(tmp_path, "clouds:\n  ctl:\n    auth:\n      password: s3cret\n")
    ks = connect(
        GnocchiOptions.model_validate(
            {"auth": "keystone", "cloud": "ctl", "clouds_file": str(path), "timeout": 5}
        )
    )
    client = ks._client
    assert client.api.region_name == "RegionOne"
    assert client.api.interface == "internal"
    assert client.api.session.verify == "/etc/ssl/ca.pem"
    assert client.api.session.timeout == 5
    await ks.close()
