"""Which Gnocchi resource type a meter is filed under when its definition names none.

The same choice Ceilometer's Gnocchi publisher makes from its ``gnocchi_resources.yaml`` (a test
compares every meter listed there). A meter Ceilometer does not list goes to ``generic``, where
Ceilometer would drop it.
"""

from __future__ import annotations

from typing import Final

# Families: every meter under the prefix.
_PREFIXES: Final = (
    ("compute.node.", "nova_compute"),
    ("disk.device.", "instance_disk"),
    ("perf.", "instance"),
    ("network.incoming.", "instance_network_interface"),
    ("network.outgoing.", "instance_network_interface"),
    ("hardware.ipmi.node.", "ipmi"),
    ("hardware.ipmi.", "ipmi_sensor"),
    ("radosgw.", "ceph_account"),
    ("storage.", "swift_account"),
    ("identity.", "identity"),
    ("stack.", "stack"),
    ("volume.provider.pool.", "volume_provider_pool"),
    ("volume.provider.", "volume_provider"),
    ("volume.manage_existing", "volume"),
    ("loadbalancer.", "loadbalancer"),
    ("dns.zone.", "dns_zone"),
    ("manila.share.", "manila_share"),
    ("image.", "image"),
)

# Single meters.
_EXACT: Final = {
    "instance": (
        "memory memory.available memory.usage memory.resident memory.swap.in memory.swap.out "
        "vcpus power.state cpu disk.root.size disk.ephemeral.size disk.latency disk.iops "
        "disk.capacity disk.allocation disk.usage compute.instance.booting.time"
    ),
    "network": "bandwidth ip.floating",
    "volume": (
        "volume volume.size snapshot.size volume.snapshot.size volume.backup.size backup.size"
    ),
    "volume_service": "volume.service.health",
}
_BY_NAME: Final = {name: rtype for rtype, names in _EXACT.items() for name in names.split()}


def default_resource_type(meter: str) -> str:
    """The Gnocchi resource type Ceilometer's publisher files this meter under."""
    found = _BY_NAME.get(meter)
    if found is not None:
        return found
    for prefix, rtype in _PREFIXES:
        if meter.startswith(prefix):
            return rtype
    return "generic"
