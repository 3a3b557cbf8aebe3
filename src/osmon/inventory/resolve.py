"""How a service's own settings combine with the catalog and the inventory defaults.

Shared by the reference checks (which must know the probes a service ends up with to judge its
thresholds) and by the expansion, so both see the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from osmon.inventory.catalog import PROBE_METRICS, ProbeDefault, ServiceType, lookup
from osmon.inventory.model import TLS, Inventory, Probe, Service

__all__ = [
    "RESERVED_PROBE_NAMES",
    "ResolvedProbe",
    "default_probe_names",
    "hosts_for",
    "metrics_for",
    "probes_for",
    "processes_for",
    "service_type",
    "tls_for",
]

#: Probe names that would collide with a Nagios check kind of the same service.
RESERVED_PROBE_NAMES = frozenset({"process"})


@dataclass(frozen=True, slots=True)
class ResolvedProbe:
    """A probe a service ends up with: a catalog default, possibly overridden, or a new one."""

    name: str
    type: str
    spec: Probe | None
    default: ProbeDefault | None
    url: str | None

    @property
    def per_host(self) -> bool:
        return self.url is None


def service_type(name: str, service: Service) -> ServiceType | None:
    return lookup(service.type or name)


def hosts_for(inv: Inventory, service: Service, entry: ServiceType) -> tuple[str, ...]:
    """Hosts named directly or holding one of the roles, in inventory order.

    With neither ``hosts`` nor ``roles`` the catalog's default roles apply.
    """
    if service.hosts is None and service.roles is None:
        named: set[str] = set()
        roles = set(entry.default_roles)
    else:
        named = set(service.hosts or ())
        roles = set(service.roles or ())
    return tuple(
        host_name
        for host_name, host in inv.hosts.items()
        if host_name in named or roles.intersection(host.roles)
    )


def _scheme(url: str) -> str:
    return urlsplit(url).scheme


def probes_for(inv: Inventory, service: Service, entry: ServiceType) -> tuple[ResolvedProbe, ...]:
    """Catalog defaults (plus TLS, endpoint and agent probes where they apply), overridden by
    name, plus the service's own probes that carry a ``type``; disabled ones are left out."""
    scheme = service.endpoint.scheme or entry.scheme
    defaults: list[tuple[ProbeDefault, str | None]] = [(d, None) for d in entry.probes]
    if entry.port is not None and scheme == "https" and entry.probes:
        defaults.append((ProbeDefault("tls", "tls"), None))
    if service.endpoint.url is not None:
        defaults.append((ProbeDefault("endpoint", "http"), service.endpoint.url))
        if _scheme(service.endpoint.url) == "https":
            defaults.append((ProbeDefault("endpoint-tls", "tls"), service.endpoint.url))
    if entry.agent_api is not None and inv.auth is not None:
        defaults.append((ProbeDefault("agent", "agent"), None))
    if "process" in entry.nagios_checks and processes_for(service, entry):
        defaults.append((ProbeDefault("process", "process"), None))

    resolved: list[ResolvedProbe] = []
    for default, url in defaults:
        spec = service.probes.get(default.name)
        if spec is not None and not spec.enabled:
            continue
        probe_type = (spec.type if spec is not None else None) or default.type
        probe_url = (spec.url if spec is not None else None) or url
        resolved.append(ResolvedProbe(default.name, probe_type, spec, default, probe_url))
    known = {default.name for default, _ in defaults}
    for name, spec in service.probes.items():
        if name in known or spec.type is None or not spec.enabled:
            continue
        resolved.append(ResolvedProbe(name, spec.type, spec, None, spec.url))
    return tuple(resolved)


def processes_for(service: Service, entry: ServiceType) -> tuple[str, ...]:
    """Process names the service's process probe counts."""
    return service.processes if service.processes is not None else entry.processes


def default_probe_names(inv: Inventory, service: Service, entry: ServiceType) -> tuple[str, ...]:
    """Names a ``probes`` override may use without giving a ``type``."""
    everything = service.model_copy(update={"probes": {}})
    return tuple(p.name for p in probes_for(inv, everything, entry))


def metrics_for(probes: tuple[ResolvedProbe, ...]) -> tuple[str, ...]:
    """Metrics the probes report, i.e. what thresholds may name."""
    seen: dict[str, None] = {}
    for probe in probes:
        seen.update(dict.fromkeys(PROBE_METRICS.get(probe.type, ())))
    return tuple(seen)


def tls_for(*layers: TLS) -> TLS:
    """Most specific first: each key comes from the first layer that sets it; verify defaults on."""
    verify = next((t.verify for t in layers if t.verify is not None), True)
    ca_file = next((t.ca_file for t in layers if t.ca_file is not None), None)
    server_name = next((t.server_name for t in layers if t.server_name is not None), None)
    # the key goes with the certificate: both come from the first layer that names a certificate
    client = next((t for t in layers if t.client_cert is not None), None)
    return TLS(
        verify=verify,
        ca_file=ca_file,
        server_name=server_name,
        client_cert=client.client_cert if client is not None else None,
        client_key=client.client_key if client is not None else None,
    )
