"""Checks that span the inventory: names that must refer to something defined elsewhere.

The schema checks each value on its own; these checks run on a schema-valid inventory and yield
``(key path, message)`` so that the loader can point at the offending line.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable, Iterable, Iterator

from osmon.inventory import nagios_names
from osmon.inventory.catalog import ALIASES, CATALOG
from osmon.inventory.model import Alarm, Inventory, Service
from osmon.inventory.resolve import (
    RESERVED_PROBE_NAMES,
    default_probe_names,
    hosts_for,
    metrics_for,
    probes_for,
    processes_for,
    service_type,
)

__all__ = ["Finding", "check", "did_you_mean"]

KeyPath = tuple[Hashable, ...]
Finding = tuple[KeyPath, str]
LineOf = Callable[[KeyPath], int]

_URL_LESS_OK = frozenset({"agent", "process"})


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a candidate is close, else ``""``."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _refs(
    names: Iterable[str] | None, path: KeyPath, defined: Iterable[str], what: str, hint: str = ""
) -> Iterator[Finding]:
    known = list(defined)
    for index, name in enumerate(names or ()):
        if name not in known:
            yield (*path, index), f"undefined {what} '{name}'{hint}{did_you_mean(name, known)}"


def _service(inv: Inventory, section: str, name: str, service: Service) -> Iterator[Finding]:
    base: KeyPath = (section, name)
    roles = sorted({role for host in inv.hosts.values() for role in host.roles})
    placement = [
        *_refs(service.hosts, (*base, "hosts"), inv.hosts, "host"),
        *_refs(service.roles, (*base, "roles"), roles, "role", " (no host has it)"),
    ]
    yield from placement
    yield from _refs(service.contacts, (*base, "contacts"), inv.contacts, "contact")
    for index, alarm in enumerate(service.alarms):
        yield from _refs(
            alarm.contacts, (*base, "alarms", index, "contacts"), inv.contacts, "contact"
        )

    entry = service_type(name, service)
    if entry is None:
        type_name = service.type or name
        where = (*base, "type") if service.type else base
        names = [*CATALOG, *ALIASES]
        yield (
            where,
            (
                f"unknown service type '{type_name}'{did_you_mean(type_name, names)}; "
                "name the service after a catalog type or give 'type'"
            ),
        )
        return
    expected = "openstack" if section == "services" else "infrastructure"
    if entry.category != expected:
        other = "services" if entry.category == "openstack" else "infrastructure"
        yield base, f"'{entry.name}' is {entry.category}: declare it under '{other}'"

    if not placement and not hosts_for(inv, service, entry) and service.endpoint.url is None:
        placed = (
            f"no host has its default roles ({', '.join(entry.default_roles)})"
            if service.hosts is None and service.roles is None
            else "its hosts/roles select no host"
        )
        yield base, f"service '{name}' runs nowhere: {placed}; give 'hosts' or 'roles'"

    defaults = default_probe_names(inv, service, entry)
    for probe_name, spec in service.probes.items():
        path = (*base, "probes", probe_name)
        if probe_name in RESERVED_PROBE_NAMES and spec.type not in (None, probe_name):
            yield path, f"probe name '{probe_name}' is reserved; choose another"
        elif spec.type == "process" and not processes_for(service, entry):
            yield path, f"probe '{probe_name}' counts processes: give '{name}' 'processes'"
        elif spec.type is None and probe_name not in defaults:
            listed = ", ".join(defaults) or "none"
            yield (
                path,
                (
                    f"probe '{probe_name}' is not a default probe of '{name}' (defaults: {listed})"
                    f"{did_you_mean(probe_name, defaults)}; give 'type' to add a new probe"
                ),
            )

    probes = probes_for(inv, service, entry)
    for probe in probes:
        spec_port = probe.spec.port if probe.spec is not None else None
        default_port = probe.default.port if probe.default is not None else None
        port = spec_port or default_port or service.endpoint.port or entry.port
        if probe.spec is not None and probe.spec.queues is not None and probe.type != "rabbitmq":
            path = (*base, "probes", probe.name, "queues")
            yield path, f"'queues' applies to rabbitmq probes, not to '{probe.type}'"
        if probe.per_host and port is None and probe.type not in _URL_LESS_OK:
            yield (
                (*base, "probes", probe.name),
                (f"probe '{probe.name}' needs a 'port' or a 'url' ('{entry.name}' has no port)"),
            )

    metrics = metrics_for(probes)
    for metric in service.thresholds:
        if metric not in metrics:
            yield (*base, "thresholds", metric), _no_metric(metric, name, metrics)
    for probe in probes:
        if probe.spec is None:
            continue
        own = metrics_for((probe,))
        for metric in probe.spec.thresholds:
            if metric not in own:
                path = (*base, "probes", probe.name, "thresholds", metric)
                yield path, _no_metric(metric, f"{name}/{probe.name}", own)


def _no_metric(metric: str, owner: str, metrics: tuple[str, ...]) -> str:
    known = ", ".join(metrics) or "none"
    return (
        f"threshold '{metric}' matches no metric of '{owner}' (known: {known})"
        f"{did_you_mean(metric, metrics)}"
    )


def _alarm_names(inv: Inventory, line_of: LineOf) -> Iterator[Finding]:
    seen: dict[str, KeyPath] = {}
    alarms: list[tuple[KeyPath, Alarm]] = [(("alarms", i), a) for i, a in enumerate(inv.alarms)]
    for section in ("services", "infrastructure"):
        for name, service in getattr(inv, section).items():
            alarms += [((section, name, "alarms", i), a) for i, a in enumerate(service.alarms)]
    for path, alarm in sorted(alarms, key=lambda item: line_of(item[0])):
        if alarm.name in seen:
            first = line_of(seen[alarm.name])
            yield (*path, "name"), f"duplicate alarm name '{alarm.name}' (first at line {first})"
        else:
            seen[alarm.name] = path


def check(inv: Inventory, line_of: LineOf) -> list[Finding]:
    """Every cross-reference problem of a schema-valid inventory."""
    findings: list[Finding] = []
    contacts = list(inv.contacts)
    findings.extend(_refs(inv.defaults.contacts, ("defaults", "contacts"), contacts, "contact"))
    for index, alarm in enumerate(inv.alarms):
        findings.extend(_refs(alarm.contacts, ("alarms", index, "contacts"), contacts, "contact"))
    for name in inv.infrastructure:
        if name in inv.services:
            first = line_of(("services", name))
            message = f"duplicate service name '{name}' (first at line {first})"
            findings.append((("infrastructure", name), message))
    for section in ("services", "infrastructure"):
        for name, service in getattr(inv, section).items():
            findings.extend(_service(inv, section, name, service))
    findings.extend(_alarm_names(inv, line_of))
    findings.extend(nagios_names.check(inv))
    return findings
