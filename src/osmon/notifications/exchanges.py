"""Which control exchange a notification belongs to, and which exchanges to consume.

oslo.messaging hands a listener endpoint the message without the exchange it was routed through
(all bindings of a pool share one queue), so the exchange is attributed from the publisher
(``compute.host1``, ``nova-compute:host1``, ``volume.ctl1``) and, failing that, from the first
segment of the event type. The publisher wins because Nova publishes ``volume.usage`` itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# exchange -> (publisher service names, event type first segments)
CATALOG: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "nova": (
        frozenset({"nova", "compute", "scheduler", "conductor", "consoleauth", "api"}),
        frozenset(
            {
                "compute",
                "instance",
                "aggregate",
                "flavor",
                "keypair",
                "server_group",
                "service",
                "compute_task",
                "libvirt",
                "metrics",
                "scheduler",
            }
        ),
    ),
    "cinder": (
        frozenset({"cinder", "volume", "snapshot", "backup"}),
        frozenset(
            {
                "volume",
                "snapshot",
                "backup",
                "consistencygroup",
                "cgsnapshot",
                "group",
                "group_snapshot",
                "capacity",
                "attachment",
            }
        ),
    ),
    "glance": (frozenset({"glance", "image"}), frozenset({"image", "task"})),
    "neutron": (
        frozenset({"neutron", "network"}),
        frozenset(
            {
                "network",
                "subnet",
                "subnetpool",
                "port",
                "router",
                "floatingip",
                "security_group",
                "security_group_rule",
                "l3",
                "trunk",
                "segment",
                "qos",
                "address_scope",
            }
        ),
    ),
    "keystone": (frozenset({"keystone", "identity"}), frozenset({"identity"})),
    "heat": (frozenset({"heat", "orchestration"}), frozenset({"orchestration", "stack"})),
    "octavia": (frozenset({"octavia"}), frozenset({"octavia", "loadbalancer"})),
    "designate": (frozenset({"designate", "central", "dns"}), frozenset({"dns"})),
    "manila": (frozenset({"manila", "share"}), frozenset({"share", "share_network"})),
    "ironic": (frozenset({"ironic", "baremetal"}), frozenset({"baremetal"})),
    "magnum": (frozenset({"magnum"}), frozenset({"magnum"})),
    "trove": (frozenset({"trove", "taskmanager"}), frozenset({"trove"})),
    "swift": (frozenset({"swift", "ceilometermiddleware"}), frozenset({"objectstore"})),
    "aodh": (frozenset({"aodh", "alarm"}), frozenset({"alarm"})),
}

DEFAULT_EXCHANGES: tuple[str, ...] = (
    "nova",
    "cinder",
    "neutron",
    "glance",
    "keystone",
    "heat",
    "octavia",
)

_BY_PUBLISHER: dict[str, str] = {p: ex for ex, (pubs, _) in CATALOG.items() for p in pubs}
_BY_EVENT: dict[str, str] = {e: ex for ex, (_, events) in CATALOG.items() for e in events}


def publisher_service(publisher_id: str) -> str:
    """``nova-compute`` of ``nova-compute:host1``; ``compute`` of ``compute.host1``."""
    if ":" in publisher_id:
        return publisher_id.split(":", 1)[0]
    return publisher_id.split(".", 1)[0]


def publisher_host(publisher_id: str) -> str:
    if ":" in publisher_id:
        return publisher_id.split(":", 1)[1]
    return publisher_id.split(".", 1)[1] if "." in publisher_id else ""


def attribute(publisher_id: str, event_type: str) -> str | None:
    """The exchange of a notification, or None when nothing in the catalog claims it."""
    service = publisher_service(publisher_id)
    found = _BY_PUBLISHER.get(service)
    if found is None and "-" in service:
        found = _BY_PUBLISHER.get(service.split("-", 1)[0])
    if found is None:
        found = _BY_EVENT.get(event_type.split(".", 1)[0])
    return found


def exchange_for_service(name: str) -> str | None:
    """``nova`` for an inventory service named ``nova-api``/``nova``; None when unknown."""
    head = name.split("-", 1)[0].split("_", 1)[0].lower()
    if head in CATALOG:
        return head
    return _BY_PUBLISHER.get(head)


def _service_names(inventory: Any) -> Iterable[str]:
    services = getattr(inventory, "services", None)
    if isinstance(services, Mapping):
        return [str(k) for k in services]
    if isinstance(services, Iterable):
        return [str(getattr(s, "name", s)) for s in services]
    return []


def _expanded_exchanges(inventory: Any) -> list[str]:
    from osmon.inventory.derive import expand

    return sorted({e.id for e in expand(inventory).notification_exchanges})


def exchanges_from_inventory(inventory: Any) -> list[str]:
    """Exchanges of the services the inventory declares, or the default list.

    A real inventory is expanded (its catalog knows each service's exchange); anything else that
    has ``services`` (tests, partial configs) is mapped through ``CATALOG`` by service name.
    """
    if inventory is None:
        return list(DEFAULT_EXCHANGES)
    if not isinstance(getattr(inventory, "services", None), Mapping | Iterable):
        return list(DEFAULT_EXCHANGES)
    try:
        found = _expanded_exchanges(inventory)
    except (AttributeError, TypeError):
        mapped = {exchange_for_service(n) for n in _service_names(inventory)}
        found = sorted(x for x in mapped if x is not None)
    return found or list(DEFAULT_EXCHANGES)
