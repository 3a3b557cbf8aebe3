"""Expand an inventory into the full set of probes, log sources, alarms and Nagios objects.

A pure function of the inventory and the catalog: the same inventory always gives the same
objects with the same ids, in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from osmon.inventory import expansion as ex
from osmon.inventory.alarm import CompositeRule
from osmon.inventory.catalog import (
    DEFAULT_MULTILINE,
    DEFAULT_THRESHOLDS,
    PROBE_METRICS,
    LogDefault,
    ServiceType,
)
from osmon.inventory.crossrefs import check
from osmon.inventory.default_alarms import default_alarms, probe_query
from osmon.inventory.infra import QueueSelection
from osmon.inventory.model import Alarm, Inventory, LogFile, Service, Threshold
from osmon.inventory.problems import InventoryError, Problem
from osmon.inventory.resolve import (
    ResolvedProbe,
    hosts_for,
    probes_for,
    processes_for,
    service_type,
    tls_for,
)

__all__ = ["expand"]

_QUERIED = frozenset({"threshold", "gnocchi_aggregation_by_resources_threshold"})
_AODH_SEVERITY = {"info": "low", "warning": "moderate", "critical": "critical"}
_HTTP_TYPES = frozenset({"http", "haproxy", "rabbitmq", "gnocchi", "aodh"})
_SCHEME_PORTS = {"http": 80, "https": 443}
_DEFAULT_QUEUES = QueueSelection()


class _Service:
    """One service with everything resolved that its objects share."""

    def __init__(self, inv: Inventory, name: str, spec: Service, entry: ServiceType) -> None:
        self.inv = inv
        self.name = name
        self.spec = spec
        self.entry = entry
        self.hosts = hosts_for(inv, spec, entry)
        self.probes = probes_for(inv, spec, entry)
        self.contacts = spec.contacts if spec.contacts is not None else inv.defaults.contacts

    def thresholds(self, probe: ResolvedProbe) -> dict[str, ex.Threshold]:
        """Per metric and per bound, the most specific of probe, service, defaults, catalog."""
        layers: list[dict[str, Threshold]] = [
            probe.spec.thresholds if probe.spec is not None else {},
            self.spec.thresholds,
            self.inv.defaults.thresholds,
        ]
        result: dict[str, ex.Threshold] = {}
        for metric in PROBE_METRICS.get(probe.type, ()):
            warning, critical = self._catalog_threshold(metric)
            for layer in reversed(layers):
                given = layer.get(metric)
                if given is not None:
                    warning = given.warning if given.warning is not None else warning
                    critical = given.critical if given.critical is not None else critical
            if warning is not None or critical is not None:
                result[metric] = ex.Threshold(warning, critical)
        return result

    def _catalog_threshold(self, metric: str) -> tuple[str | None, str | None]:
        if metric == "cluster_size":
            size = max(len(self.hosts), 1)
            return f"{size}:", f"{size // 2 + 1}:"
        return DEFAULT_THRESHOLDS.get(metric, (None, None))


def _host_url(scheme: str, address: str, port: int | None, path: str) -> str:
    try:
        literal = f"[{address}]" if ip_address(address).version == 6 else address
    except ValueError:
        literal = address
    netloc = literal if port is None else f"{literal}:{port}"
    return f"{scheme}://{netloc}{path}"


def _probe(svc: _Service, probe: ResolvedProbe, host: str | None) -> ex.Probe:
    spec, default, entry, endpoint = probe.spec, probe.default, svc.entry, svc.spec.endpoint
    defaults = svc.inv.defaults
    tls = tls_for(*([spec.tls] if spec is not None else []), endpoint.tls, defaults.tls)
    port = (
        (spec.port if spec is not None else None)
        or (default.port if default is not None else None)
        or endpoint.port
        or entry.port
    )
    path = (
        (spec.path if spec is not None else None)
        or (default.path if default is not None else None)
        or endpoint.path
        or entry.version_path
        or "/"
    )
    url = probe.url
    address: str | None
    if host is None:
        parts = urlsplit(url or "")
        address, port = parts.hostname, parts.port or _SCHEME_PORTS.get(parts.scheme, port)
    else:
        address = svc.inv.hosts[host].address
        if probe.type in _HTTP_TYPES:
            scheme = endpoint.scheme or entry.scheme
            url = _host_url(scheme, address, port, path)
    expected: tuple[int, ...] = ()
    if probe.type in _HTTP_TYPES:
        expected = (
            (spec.expected_status if spec is not None else None)
            or endpoint.expected_status
            or entry.expected_status
        )
    agent = probe.type == "agent"
    login = svc.spec.credentials
    queues = (spec.queues if spec is not None else None) or _DEFAULT_QUEUES
    rabbit = probe.type == "rabbitmq"
    return ex.Probe(
        id=f"{svc.name}/{probe.name}" + (f"@{host}" if host is not None else ""),
        service=svc.name,
        service_type=entry.name,
        name=probe.name,
        type=probe.type,
        host=host,
        address=address,
        port=None if probe.type in ("agent", "process") else port,
        url=None if probe.type in ("agent", "process") else url,
        interval=(spec.interval if spec is not None else None) or defaults.interval,
        timeout=(spec.timeout if spec is not None else None) or defaults.timeout,
        expected_status=tuple(expected),
        tls_verify=bool(tls.verify),
        ca_file=tls.ca_file,
        server_name=tls.server_name,
        thresholds=svc.thresholds(probe),
        contacts=svc.contacts,
        body_pattern=_body_pattern(probe, entry),
        follow_redirects=spec.follow_redirects if spec is not None else False,
        client_cert=tls.client_cert,
        client_key=tls.client_key,
        processes=processes_for(svc.spec, entry) if probe.type == "process" else (),
        keystone_service_type=entry.agent_api if agent else entry.keystone_service_type,
        agent_binary=entry.agent_binary if agent else None,
        stuck_after=spec.stuck_after if spec is not None else None,
        credentials=None if login is None else ex.Credentials(**login.model_dump()),
        queue_vhost=queues.vhost if rabbit else None,
        queue_match=queues.match if rabbit else None,
    )


def _body_pattern(probe: ResolvedProbe, entry: ServiceType) -> str | None:
    """The probe's own pattern; else the catalog's, for the probes osmon derives of the version
    document (not for a probe whose ``path`` or ``url`` points elsewhere)."""
    spec = probe.spec
    if probe.type != "http":
        return None
    if spec is not None and spec.body_pattern is not None:
        return spec.body_pattern
    if probe.default is None or (spec is not None and (spec.path or spec.url)):
        return None
    return entry.body_pattern


def _probes(svc: _Service) -> Iterator[ex.Probe]:
    for probe in svc.probes:
        if probe.per_host:
            for host in svc.hosts:
                yield _probe(svc, probe, host)
        else:
            yield _probe(svc, probe, None)


def _logs(svc: _Service) -> Iterator[ex.LogSource]:
    files: Iterable[LogFile | LogDefault] = (
        svc.spec.logs if svc.spec.logs is not None else svc.entry.logs
    )
    for log in files:
        multiline = getattr(log, "multiline", None)
        service_name = getattr(log, "service_name", None) or svc.name
        for host in svc.hosts:
            yield ex.LogSource(
                id=f"{svc.name}@{host}:{log.path}",
                service=svc.name,
                host=host,
                path=log.path,
                format=log.format,
                multiline=log.format in DEFAULT_MULTILINE if multiline is None else multiline,
                timezone=svc.inv.cloud.log_timezone,
                service_name=service_name,
            )


def _alarm(
    alarm: Alarm,
    service: str | None,
    contacts: tuple[str, ...],
    description: str,
    query: Mapping[str, Any] | None = None,
) -> ex.Alarm:
    labels = {"service": service} if service is not None else {}
    labels.update(alarm.labels)
    periods = alarm.evaluation_periods or max(1, math.ceil(alarm.for_ / alarm.granularity))
    if alarm.type == "prometheus":
        backends: tuple[str, ...] = ("prometheus",)
    elif alarm.type == "threshold":
        backends = ("aodh", "prometheus")
    else:
        backends = ("aodh",)
    resource_query: Mapping[str, Any] | None = alarm.resource_query
    if resource_query is None and alarm.type in _QUERIED:
        resource_query = query
    composite = alarm.composite
    return ex.Alarm(
        id=alarm.name,
        name=alarm.name,
        service=service,
        metric=alarm.metric,
        comparison=alarm.comparison,
        threshold=alarm.threshold,
        severity=alarm.severity,
        aodh_severity=_AODH_SEVERITY[alarm.severity],
        for_seconds=alarm.for_,
        granularity=alarm.granularity,
        evaluation_periods=periods,
        aggregation=alarm.aggregation,
        labels=labels,
        description=alarm.description or description,
        contacts=alarm.contacts if alarm.contacts is not None else contacts,
        enabled=alarm.enabled,
        type=alarm.type,
        backends=backends,
        resource_type=alarm.resource_type or "generic",
        resource_id=alarm.resource_id,
        resource_query=resource_query,
        metrics=alarm.metrics or (),
        event_type=alarm.event_type,
        traits=dict(alarm.traits),
        composite=None if composite is None else _composite(composite),
        expr=alarm.expr,
        repeat_actions=alarm.repeat_actions,
        time_constraints=tuple(t.model_dump(exclude_none=True) for t in alarm.time_constraints),
    )


def _composite(rule: CompositeRule) -> Any:
    """A composite rule as plain data: a name, or ``{"and"|"or": [members]}``."""
    if isinstance(rule, str):
        return rule
    return {rule.operator: [_composite(member) for member in rule.members]}


def _alarms(svc: _Service) -> Iterator[ex.Alarm]:
    own = {alarm.name for alarm in svc.spec.alarms}
    probes = [(probe.name, probe.type) for probe in svc.probes]
    if svc.inv.defaults.default_alarms:
        for spec in default_alarms(svc.name, svc.entry, probes):
            if spec["name"] not in own:
                default = Alarm.model_validate(spec)
                yield _alarm(default, svc.name, svc.contacts, default.description or "")
    query = probe_query(svc.name)
    for alarm in svc.spec.alarms:
        yield _alarm(alarm, svc.name, svc.contacts, f"{svc.name}: {alarm.name}", query)


def _contact_groups(inv: Inventory, contacts: tuple[str, ...]) -> tuple[str, ...]:
    groups = {g for c in contacts if c in inv.contacts for g in inv.contacts[c].contact_groups}
    return tuple(sorted(groups))


def _nagios_services(svc: _Service, probes: list[ex.Probe]) -> Iterator[ex.NagiosService]:
    groups = _contact_groups(svc.inv, svc.contacts)
    for probe in probes:
        if probe.type == "process":  # the active process check below stands for it
            continue
        host = probe.host or svc.inv.cloud.name
        description = f"{svc.name} {probe.name}"
        yield ex.NagiosService(
            id=f"{host};{description}",
            host=host,
            description=description,
            check=probe.type,
            service=svc.name,
            passive=True,
            probe_id=probe.id,
            thresholds=probe.thresholds,
            contacts=probe.contacts,
            contact_groups=groups,
        )
    processes = svc.spec.processes if svc.spec.processes is not None else svc.entry.processes
    if "process" in svc.entry.nagios_checks and processes:
        for host in svc.hosts:
            description = f"{svc.name} process"
            yield ex.NagiosService(
                id=f"{host};{description}",
                host=host,
                description=description,
                check="process",
                service=svc.name,
                passive=False,
                probe_id=None,
                thresholds={},
                contacts=svc.contacts,
                contact_groups=groups,
                processes=tuple(processes),
            )


def _nagios_hosts(inv: Inventory, probes: Iterable[ex.Probe]) -> Iterator[ex.NagiosHost]:
    for name, host in inv.hosts.items():
        yield ex.NagiosHost(id=name, address=host.address, hostgroups=tuple(sorted(host.roles)))
    public = sorted(p.address for p in probes if p.host is None and p.address)
    if public and inv.cloud.name not in inv.hosts:
        yield ex.NagiosHost(id=inv.cloud.name, address=public[0], hostgroups=())


def _exchanges(services: Iterable[_Service]) -> Iterator[ex.NotificationExchange]:
    by_exchange: dict[str, tuple[set[str], set[str]]] = {}
    for svc in services:
        spec = svc.spec.notifications
        exchange = spec.exchange or svc.entry.exchange
        if not spec.enabled or exchange is None:
            continue
        topics, names = by_exchange.setdefault(exchange, (set(), set()))
        topics.update(spec.topics or svc.entry.topics)
        names.add(svc.name)
    for exchange, (topics, names) in by_exchange.items():
        yield ex.NotificationExchange(exchange, tuple(sorted(topics)), tuple(sorted(names)))


def expand(inv: Inventory) -> ex.Expansion:
    """Every probe, log source, alarm, Nagios object and exchange the inventory implies.

    ``load`` has already checked the inventory; one built in code is checked here, and its
    problems raised as ``InventoryError`` without line numbers.
    """
    findings = check(inv, lambda _path: 0)
    if findings:
        raise InventoryError(
            Problem("<inventory>", 0, f"{'.'.join(map(str, path))}: {message}")
            for path, message in findings
        )
    services: list[_Service] = []
    for name, (_section, spec) in inv.all_services().items():
        entry = service_type(name, spec)
        if entry is not None:
            services.append(_Service(inv, name, spec, entry))

    probes: list[ex.Probe] = []
    logs: list[ex.LogSource] = []
    alarms: list[ex.Alarm] = []
    nagios: list[ex.NagiosService] = []
    for svc in services:
        own = list(_probes(svc))
        probes += own
        logs += _logs(svc)
        alarms += _alarms(svc)
        nagios += _nagios_services(svc, own)
    alarms += (
        _alarm(a, None, inv.defaults.contacts, f"{inv.cloud.name}: {a.name}") for a in inv.alarms
    )
    return ex.Expansion(
        cloud=inv.cloud.name,
        region=inv.cloud.region,
        log_timezone=inv.cloud.log_timezone,
        probes=tuple(sorted(probes, key=lambda item: item.id)),
        log_sources=tuple(sorted(logs, key=lambda item: item.id)),
        alarms=tuple(sorted(alarms, key=lambda item: item.id)),
        nagios_hosts=tuple(sorted(_nagios_hosts(inv, probes), key=lambda item: item.id)),
        nagios_services=tuple(sorted(nagios, key=lambda item: item.id)),
        notification_exchanges=tuple(sorted(_exchanges(services), key=lambda item: item.id)),
    )
