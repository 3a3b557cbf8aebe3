"""Agent lists parsed the way openstack-exporter reads them (label names and values).

Bodies follow the API references: compute "List Compute Services" (microversion 2.53),
block-storage v3 "List All Cinder Services", networking v2.0 "List all agents".
"""

from __future__ import annotations

import pytest

from osmon.probes.agents import APIS, parse
from osmon.probes.agents import _same_host as same_host

NOVA = {
    "services": [
        {
            "id": "4c8d5f2e-0d4a-4f55-9b3e-2a3c1f0e9d11",
            "binary": "nova-compute",
            "host": "cmp1",
            "zone": "nova",
            "status": "disabled",
            "state": "down",
            "updated_at": "2026-12-01T09:00:00.000000",
            "disabled_reason": "maintenance",
            "forced_down": False,
        },
        {
            "id": "7a1b6c3d-2e4f-4a5b-8c9d-0e1f2a3b4c22",
            "binary": "nova-scheduler",
            "host": "ctl1",
            "zone": "internal",
            "status": "enabled",
            "state": "up",
            "updated_at": "2026-12-01T09:00:00.000000",
            "disabled_reason": None,
            "forced_down": False,
        },
    ]
}
CINDER = {
    "services": [
        {
            "binary": "cinder-volume",
            "host": "ctl1@lvm",
            "zone": "nova",
            "status": "enabled",
            "state": "down",
            "updated_at": "2026-12-01T09:00:00.000000",
            "disabled_reason": None,
        }
    ]
}
NEUTRON = {
    "agents": [
        {
            "id": "2d2f4a52-2b8c-4b3e-9a3e-6f0d0c1b5a01",
            "binary": "neutron-l3-agent",
            "host": "net1.example.org",
            "alive": True,
            "admin_state_up": False,
            "availability_zone": None,
            "agent_type": "L3 agent",
        }
    ]
}


def test_nova_labels_are_openstack_exporters() -> None:
    compute, scheduler = parse(APIS["compute"], NOVA)
    assert compute.labels == {
        "id": "4c8d5f2e-0d4a-4f55-9b3e-2a3c1f0e9d11",
        "hostname": "cmp1",
        "service": "nova-compute",
        "adminState": "disabled",
        "zone": "nova",
        "disabledReason": "maintenance",
    }
    assert (compute.up, compute.enabled) == (False, False)
    assert (scheduler.up, scheduler.enabled, scheduler.labels["disabledReason"]) == (
        True,
        True,
        "",
    )


def test_cinder_has_no_id_label_and_keeps_the_backend_in_hostname() -> None:
    (volume,) = parse(APIS["block-storage"], CINDER)
    assert volume.labels == {
        "hostname": "ctl1@lvm",
        "service": "cinder-volume",
        "adminState": "enabled",
        "zone": "nova",
        "disabledReason": "",
    }
    assert parse(APIS["volumev3"], CINDER) == [volume]
    assert same_host(volume.host, "ctl1", None)


def test_neutron_admin_state_is_up_or_down_and_zone_is_availability_zone() -> None:
    (l3,) = parse(APIS["network"], NEUTRON)
    assert l3.labels == {
        "id": "2d2f4a52-2b8c-4b3e-9a3e-6f0d0c1b5a01",
        "hostname": "net1.example.org",
        "service": "neutron-l3-agent",
        "adminState": "down",
        "availability_zone": "",
    }
    assert (l3.up, l3.enabled) == (True, False)
    assert same_host(l3.host, "net1", None)
    assert not same_host(l3.host, "net2", "10.0.0.2")
    assert same_host("10.0.0.2", "net2", "10.0.0.2")


@pytest.mark.parametrize(
    "body", [None, [], {"services": None}, {"services": [1]}, {"agents": []}, "garbage"]
)
def test_a_body_that_is_no_service_list_is_refused(body: object) -> None:
    with pytest.raises(ValueError):
        parse(APIS["compute"], body)


def test_heat_engines_have_no_admin_state() -> None:
    body = {
        "services": [
            {
                "id": "0d5c1f7e-8a3b-4c2d-9e6f-1a2b3c4d5e6f",
                "binary": "heat-engine",
                "host": "ctl1",
                "hostname": "ctl1.example.org",
                "engine_id": "b2f8c1a0",
                "topic": "engine",
                "status": "down",
                "report_interval": 60,
            }
        ]
    }
    (engine,) = parse(APIS["orchestration"], body)
    assert (engine.up, engine.enabled) == (False, True)
    assert engine.labels == {
        "id": "0d5c1f7e-8a3b-4c2d-9e6f-1a2b3c4d5e6f",
        "hostname": "ctl1",
        "service": "heat-engine",
        "adminState": "enabled",
    }
