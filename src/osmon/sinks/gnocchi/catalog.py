"""Archive policies and resource types osmon ensures in Gnocchi on start.

Resource type and attribute names follow Ceilometer's (``instance.display_name``,
``volume.volume_type`` ...) so that dashboards, Aodh alarms and CloudKitty rules written for a
Ceilometer-fed Gnocchi keep working. Unlike Ceilometer every attribute is optional: a notification
that lacks an attribute still gets its measures stored instead of being dead-lettered. A type that
already exists (e.g. created by Ceilometer) is never altered except by adding missing optional
attributes, so osmon can share a Gnocchi with Ceilometer.

The attributes a source should put in ``Sample.resource_attributes`` are the ones listed here plus
the generic ``project_id``, ``user_id``, ``started_at`` and ``ended_at`` (ISO 8601 or epoch
seconds; ``ended_at`` marks a deleted resource). Anything else is ignored by the Gnocchi sink.
"""

from __future__ import annotations

from typing import Any, Final

# The archive policies live below the sink: the inventory checks alarm granularities against them.
from osmon.archive_policies import ARCHIVE_POLICIES as ARCHIVE_POLICIES
from osmon.archive_policies import DEFAULT_ARCHIVE_POLICY as DEFAULT_ARCHIVE_POLICY
from osmon.archive_policies import DEFAULT_COUNTER_ARCHIVE_POLICY as DEFAULT_COUNTER_ARCHIVE_POLICY

GENERIC_CREATE_ATTRIBUTES: Final = frozenset({"project_id", "user_id", "started_at", "ended_at"})
"""Generic attributes accepted when a resource is created."""

GENERIC_PATCH_ATTRIBUTES: Final = frozenset({"ended_at"})
"""Generic attributes osmon updates later (``started_at``/ids are left as created)."""

GENERIC_DATETIME_ATTRIBUTES: Final = frozenset({"started_at", "ended_at"})


def _str(max_length: int = 255) -> dict[str, Any]:
    return {"type": "string", "required": False, "min_length": 0, "max_length": max_length}


_UUID: Final[dict[str, Any]] = {"type": "uuid", "required": False}
_DATETIME: Final[dict[str, Any]] = {"type": "datetime", "required": False}

RESOURCE_TYPES: Final[dict[str, dict[str, dict[str, Any]]]] = {
    "instance": {
        "display_name": _str(),
        "flavor_id": _str(),
        "flavor_name": _str(),
        "image_ref": _str(),
        "host": _str(),
        "server_group": _str(),
        "launched_at": _DATETIME,
        "created_at": _DATETIME,
        "deleted_at": _DATETIME,
    },
    "volume": {
        "display_name": _str(),
        "volume_type": _str(),
        "volume_type_id": _str(),
        "image_id": _UUID,
        "instance_id": _UUID,
    },
    "image": {
        "name": _str(),
        "container_format": _str(),
        "disk_format": _str(),
    },
    "network": {"name": _str()},
    "port": {
        "name": _str(),
        "network_id": _str(),
        "device_id": _str(),
        "device_owner": _str(),
    },
    "router": {"name": _str()},
    "floatingip": {
        "floating_ip_address": _str(64),
        "floating_network_id": _str(),
        "router_id": _str(),
        "port_id": _str(),
    },
    "identity": {},
    "stack": {},
    "swift_account": {},
    "loadbalancer": {},
    "nova_compute": {"host_name": _str()},
    "volume_provider": {},
    "volume_provider_pool": {"provider": _str()},
    "manila_share": {
        "name": _str(),
        "host": _str(),
        "protocol": _str(),
        "availability_zone": _str(),
        "status": _str(),
    },
    "osmon_host": {
        "host_name": _str(),
        "region": _str(),
    },
    "osmon_service": {
        "service_name": _str(),
        "host_name": _str(),
        "region": _str(),
        "url": _str(),
    },
}
