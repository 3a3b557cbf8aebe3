"""Writes notifications.json: one notification per case, written from the upstream formats.

The payloads follow the services' own notification formats (Glance, Cinder, Nova legacy and
versioned, Neutron metering, Swift's CADF middleware, Keystone CADF, Designate, Trove, Manila,
Magnum). Run once: ``python make_notifications.py``; the output is checked in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

P = "7d2fbcf7d1a44e3ab5f2a1d0e0c2b1a9"
U = "a8c2e1f0b9d84e8f9a1b2c3d4e5f6a7b"
TS = "2026-11-30 10:00:00.123456"


def msg(event_type: str, publisher: str, payload: Any, n: int, **ctxt: Any) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "publisher_id": publisher,
        "priority": "INFO",
        "ctxt": ctxt or {"user_id": U, "project_id": P},
        "payload": payload,
        "metadata": {"message_id": f"00000000-0000-4000-8000-{n:012d}", "timestamp": TS},
    }


INSTANCE = {
    "tenant_id": P,
    "user_id": U,
    "instance_id": "9f9e8c1a-1d2b-4c3d-8e4f-5a6b7c8d9e0f",
    "display_name": "web-1",
    "host": "compute-1",
    "instance_type": "m1.small",
    "instance_flavor_id": "2",
    "instance_type_id": 5,
    "memory_mb": 2048,
    "vcpus": 1,
    "root_gb": 20,
    "ephemeral_gb": 0,
    "disk_gb": 20,
    "state": "active",
    "created_at": "2026-11-30 09:59:00",
    "launched_at": "2026-11-30T09:59:42.000000",
    "deleted_at": "",
    "image_meta": {"base_image_ref": "155d900f-4e14-4e4c-a73d-069cbf4541e6", "min_ram": "0"},
    "metadata": {"metering.server_group": "grp-1", "metering.team": "blue", "role": "web"},
}

CASES: list[dict[str, Any]] = []


def add(event_type: str, publisher: str, payload: Any, **ctxt: Any) -> None:
    CASES.append(msg(event_type, publisher, payload, len(CASES) + 1, **ctxt))


# Glance
IMG = "155d900f-4e14-4e4c-a73d-069cbf4541e6"
add(
    "image.upload",
    "image.localhost",
    {"id": IMG, "size": 13287936, "owner": P, "status": "active", "name": "cirros"},
)
add(
    "image.update", "image.localhost", {"id": IMG, "size": 13287936, "owner": P, "status": "active"}
)
add("image.delete", "image.localhost", {"id": IMG, "size": None, "owner": P, "status": "deleted"})
add(
    "image.send",
    "image.localhost",
    {
        "image_id": IMG,
        "bytes_sent": 13287936,
        "owner_id": P,
        "receiver_tenant_id": "r-tenant",
        "receiver_user_id": "r-user",
        "destination_ip": "10.0.0.5",
    },
)
# Cinder
VOL = "b1d2c3e4-0000-4000-8000-000000000001"
add(
    "volume.create.end",
    "volume.ctl1@lvm",
    {
        "tenant_id": P,
        "user_id": U,
        "volume_id": VOL,
        "size": 10,
        "display_name": "data",
        "volume_type": "lvm-1",
        "status": "available",
        "glance_metadata": [{"key": "image_id", "value": IMG}, {"key": "min_ram", "value": "0"}],
        "volume_attachment": [],
    },
)
add(
    "volume.attach.end",
    "volume.ctl1@lvm",
    {
        "tenant_id": P,
        "user_id": U,
        "volume_id": VOL,
        "size": 10,
        "display_name": "data",
        "volume_type": "lvm-1",
        "status": "in-use",
        "glance_metadata": [],
        "volume_attachment": [{"server_id": INSTANCE["instance_id"], "attach_status": "attached"}],
    },
)
add(
    "volume.exists", "volume.ctl1@lvm", {"tenant_id": P, "user_id": U, "volume_id": VOL, "size": 10}
)
add(
    "snapshot.create.end",
    "snapshot.ctl1",
    {
        "tenant_id": P,
        "user_id": U,
        "snapshot_id": "snap-1",
        "volume_size": 10,
        "display_name": "s1",
    },
)
add(
    "backup.create.end",
    "backup.ctl1",
    {
        "tenant_id": P,
        "user_id": U,
        "backup_id": "bk-1",
        "size": 10,
        "display_name": "b1",
    },
)
add(
    "capacity.backend.stats",
    "capacity.ctl1@lvm",
    {
        "name_to_id": "ctl1@lvm",
        "total": 100,
        "free": 60,
        "allocated": 40,
        "provisioned": 45,
        "virtual_free": 55,
    },
)
add(
    "capacity.pool.stats",
    "capacity.ctl1@lvm#pool1",
    {
        "name_to_id": "ctl1@lvm#pool1",
        "total": 50.5,
        "free": 20,
        "allocated": 30,
        "provisioned": 32,
        "virtual_free": 18,
    },
)
# Magnum
add(
    "magnum.bay.metrics.update",
    "magnum.conductor",
    {
        "user_id": U,
        "project_id": P,
        "resource_id": "bay-1",
        "metrics": [
            {"name": "memory.util", "unit": "%", "value": 33.5},
            {"name": "cpu.util", "unit": "%", "value": 12},
        ],
    },
)
# Swift (CADF middleware: measurements with one metric each, as a mapping)
add(
    "objectstore.http.request",
    "ceilometermiddleware",
    {
        "typeURI": "http://schemas.dmtf.org/cloud/audit/1.0/event",
        "eventType": "activity",
        "action": "read",
        "outcome": "success",
        "initiator": {"id": U, "project_id": P, "typeURI": "service/security/account/user"},
        "target": {
            "id": "AUTH_" + P,
            "typeURI": "service/storage/object",
            "metadata": {
                "path": "/v1/AUTH_x/c/o",
                "version": "v1",
                "container": "c",
                "object": "o",
            },
        },
        "observer": {"id": "target"},
        "measurements": [
            {
                "result": 4096,
                "metric": {
                    "metricId": "storage.objects.outgoing.bytes",
                    "unit": "B",
                    "name": "storage.objects.outgoing.bytes",
                },
            },
            {
                "result": 0,
                "metric": {
                    "metricId": "storage.objects.incoming.bytes",
                    "unit": "B",
                    "name": "storage.objects.incoming.bytes",
                },
            },
        ],
        "requestPath": "/v1/AUTH_x/c/o",
    },
)
# Nova legacy
add("compute.instance.create.end", "compute.compute-1", dict(INSTANCE))
add(
    "compute.instance.exists",
    "compute.compute-1",
    dict(INSTANCE, audit_period_beginning="2026-11-30 09:00:00"),
)
add(
    "compute.instance.delete.end",
    "compute.compute-1",
    dict(INSTANCE, state="deleted", deleted_at="2026-11-30 10:00:00"),
)
add("compute.instance.update", "compute.compute-1", dict(INSTANCE))
add("compute.instance.create.start", "compute.compute-1", dict(INSTANCE))
add(
    "compute.instance.resize.confirm.end",
    "compute.compute-1",
    dict(INSTANCE, memory_mb=4096, vcpus=2, root_gb=40),
)
add(
    "compute.metrics.update",
    "compute.compute-1",
    {
        "host": "compute-1",
        "nodename": "compute-1.example.org",
        "metrics": [
            {
                "name": "cpu.frequency",
                "value": 2400,
                "timestamp": "2026-11-30T09:59:59.000000",
                "source": "libvirt.LibvirtDriver",
            },
            {
                "name": "cpu.user.time",
                "value": 17421440000000,
                "timestamp": "2026-11-30T09:59:59.000000",
                "source": "libvirt.LibvirtDriver",
            },
            {
                "name": "cpu.kernel.time",
                "value": 7852600000000,
                "timestamp": "2026-11-30T09:59:59.000000",
                "source": "libvirt.LibvirtDriver",
            },
            {
                "name": "cpu.idle.time",
                "value": 1307374400000000,
                "timestamp": "2026-11-30T09:59:59.000000",
                "source": "libvirt.LibvirtDriver",
            },
            {
                "name": "cpu.iowait.time",
                "value": 11697470000000,
                "timestamp": "2026-11-30T09:59:59.000000",
                "source": "libvirt.LibvirtDriver",
            },
            {
                "name": "cpu.user.percent",
                "value": 0.012959045637294348,
                "timestamp": "2026-11-30T09:59:59.000000",
                "source": "libvirt.LibvirtDriver",
            },
            {
                "name": "cpu.kernel.percent",
                "value": 0.005841204961898534,
                "timestamp": "2026-11-30T09:59:59.000000",
                "source": "libvirt.LibvirtDriver",
            },
            {
                "name": "cpu.idle.percent",
                "value": 0.9724985141658965,
                "timestamp": "2026-11-30T09:59:59.000000",
                "source": "libvirt.LibvirtDriver",
            },
            {
                "name": "cpu.iowait.percent",
                "value": 0.008701235234910634,
                "timestamp": "2026-11-30T09:59:59.000000",
                "source": "libvirt.LibvirtDriver",
            },
            {
                "name": "cpu.percent",
                "value": 0.027501485834103515,
                "timestamp": "2026-11-30T09:59:59.000000",
                "source": "libvirt.LibvirtDriver",
            },
        ],
    },
)
# Neutron metering
add(
    "l3.meter",
    "metering.network-1",
    {
        "label_id": "lbl-1",
        "tenant_id": P,
        "bytes": 12345,
        "pkts": 100,
        "time": 60,
        "first_update": 1764496000,
        "last_update": 1764496060,
        "host": "network-1",
    },
)
# Keystone (CADF)
add(
    "identity.authenticate",
    "identity.ctl1",
    {
        "typeURI": "http://schemas.dmtf.org/cloud/audit/1.0/event",
        "eventType": "activity",
        "action": "authenticate",
        "outcome": "success",
        "initiator": {
            "id": U,
            "typeURI": "service/security/account/user",
            "host": {"address": "10.0.0.9"},
        },
        "target": {"id": "openstack:keystone", "typeURI": "service/security/account/user"},
        "observer": {"id": "openstack:keystone", "typeURI": "service/security"},
    },
)
add(
    "identity.authenticate",
    "identity.ctl1",
    {
        "typeURI": "http://schemas.dmtf.org/cloud/audit/1.0/event",
        "eventType": "activity",
        "action": "authenticate",
        "outcome": "failure",
        "initiator": {"id": "unknown-user", "typeURI": "service/security/account/user"},
        "target": {"id": "openstack:keystone"},
        "observer": {"id": "openstack:keystone"},
    },
)
# Designate
add(
    "dns.domain.exists",
    "central.ctl1",
    {
        "id": "zone-1",
        "tenant_id": P,
        "status": "ACTIVE",
        "pool_id": "pool-1",
        "audit_period_beginning": "2026-11-30T09:00:00Z",
        "audit_period_ending": "2026-11-30T10:00:00Z",
    },
    user="designate-user",
    tenant=P,
)
# Trove
add(
    "trove.instance.exists",
    "trove.taskmanager",
    {
        "tenant_id": P,
        "user_id": U,
        "instance_id": "db-1",
        "nova_instance_id": "nova-1",
        "state": "active",
        "service_id": "svc-1",
        "instance_type": "m1.small",
        "instance_type_id": "2",
        "audit_period_beginning": "2026-11-30T09:00:00",
        "audit_period_ending": "2026-11-30T10:00:00",
    },
)
# Manila
add(
    "share.create.end",
    "share.ctl1",
    {
        "user_id": U,
        "project_id": P,
        "share_id": "share-1",
        "size": 5,
        "name": "s",
        "host": "ctl1@generic#pool",
        "status": "available",
        "availability_zone": "nova",
        "proto": "NFS",
    },
)
# No project in the payload: Ceilometer falls back to the context
add("l3.meter", "metering.network-1", {"label_id": "lbl-2", "bytes": 5})
# resource_id absent: Ceilometer still emits (resource_id None)
add("snapshot.exists", "snapshot.ctl1", {"tenant_id": P, "user_id": U, "volume_size": 1})

if __name__ == "__main__":
    out = Path(__file__).with_name("notifications.json")
    out.write_text(json.dumps(CASES, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(CASES)} notifications -> {out}")
