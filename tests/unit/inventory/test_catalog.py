"""The catalog is complete for the issue's service list and consistent with the schema."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import BaseModel

from osmon.inventory import catalog, model
from osmon.inventory.catalog import CATALOG, LOG_FORMATS, PROBE_METRICS, PROBE_TYPES, lookup

REQUIRED = [
    "keystone", "nova-api", "nova-scheduler", "nova-conductor", "nova-compute", "placement-api",
    "neutron-server", "neutron-openvswitch-agent", "neutron-l3-agent", "neutron-dhcp-agent",
    "neutron-metadata-agent", "glance-api", "cinder-api", "cinder-scheduler", "cinder-volume",
    "heat-api", "heat-engine", "horizon", "octavia", "gnocchi-api", "aodh-api", "rabbitmq",
    "mariadb", "galera", "memcached", "haproxy", "postgresql", "redis", "prometheus",
    "pushgateway", "nagios",
]  # fmt: skip


@pytest.mark.parametrize("name", REQUIRED)
def test_required_services_are_known(name: str) -> None:
    assert lookup(name) is not None


def test_literals_match_the_runtime_tuples() -> None:
    assert set(get_args(catalog.ProbeType)) == set(PROBE_TYPES) == set(PROBE_METRICS)
    assert set(get_args(catalog.LogFormat)) == set(LOG_FORMATS)


@pytest.mark.parametrize("entry", CATALOG.values(), ids=list(CATALOG))
def test_entries_are_consistent(entry: catalog.ServiceType) -> None:
    assert all(log.path.startswith("/") and log.format in LOG_FORMATS for log in entry.logs)
    assert all(p.type in PROBE_TYPES for p in entry.probes)
    assert entry.processes, "every service needs a process name for its process check"
    if entry.probes:
        assert entry.port is not None
    if entry.version_path is not None:
        assert entry.version_path.startswith("/")
    assert (entry.agent_api is None) == (entry.agent_binary is None)
    assert entry.default_roles


def test_well_known_defaults() -> None:
    nova = CATALOG["nova-api"]
    assert (nova.port, nova.version_path, nova.exchange, nova.keystone_service_type) == (
        8774,
        "/",
        "nova",
        "compute",
    )
    assert nova.topics == ("notifications", "versioned_notifications")
    assert (CATALOG["keystone"].port, CATALOG["keystone"].version_path) == (5000, "/v3")
    assert CATALOG["rabbitmq"].port == 5672
    assert CATALOG["cinder-volume"].agent_binary == "cinder-volume"


def _models() -> list[type[BaseModel]]:
    return [
        obj
        for obj in vars(model).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == model.__name__
        and not obj.__name__.startswith("_")
    ]


@pytest.mark.parametrize("cls", _models(), ids=lambda c: c.__name__)
def test_every_field_is_documented(cls: type[BaseModel]) -> None:
    assert cls.__doc__
    undocumented = [key for key, text in model.field_help(cls).items() if not text]
    assert undocumented == []
