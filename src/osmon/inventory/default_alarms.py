"""The alarms every service gets from the catalog, unless the inventory says otherwise.

Each rule looks at a service's catalog entry and its probes and yields alarms in the inventory's
own syntax (validated like an operator's). A service's alarm of the same name replaces the
default one; ``defaults.default_alarms: false`` turns them all off. ``threshold`` alarms need their
metric in Gnocchi for the Aodh side (the probes' samples are there when the ``sample`` route
includes a Gnocchi sink); the ``prometheus`` ones read series only Prometheus has (the log
metrics, labelled per-queue series) and have no Aodh counterpart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from osmon.inventory.catalog import PROBE_UP_METRIC, ServiceType

__all__ = ["RULES", "DefaultRule", "default_alarms", "probe_query", "table"]

Probes = Sequence[tuple[str, str]]  # (probe name, probe type)
Spec = dict[str, Any]


def probe_query(service: str, probe: str | None = None) -> dict[str, Any]:
    """Gnocchi search for the resources of a service's probe targets (ids ``svc_probe@host``).

    The Gnocchi sink stores a probe target ``svc/probe@host`` as resource ``svc_probe@host``
    (Gnocchi keeps it as ``original_resource_id``); ``_`` is escaped for SQL LIKE.
    """
    prefix = f"{service}_{probe}" if probe else f"{service}_"
    return {"like": {"original_resource_id": prefix.replace("_", "\\_") + "%"}}


@dataclass(frozen=True, slots=True)
class DefaultRule:
    """One kind of default alarm: which services get it (``applies``, for the README) and how."""

    suffix: str
    applies: str
    watches: str
    backends: str
    build: Callable[[str, ServiceType, Probes], Iterator[Spec]]


def _down(service: str, entry: ServiceType, probes: Probes) -> Iterator[Spec]:
    if probes:
        yield {
            "name": f"{service}-down",
            "metric": PROBE_UP_METRIC,
            "comparison": "lt",
            "threshold": 1,
            "aggregation": "min",
            "severity": "critical",
            "resource_query": probe_query(service),
            "description": f"{service}: a probe has been failing for 5 minutes",
        }


def _agents(service: str, entry: ServiceType, probes: Probes) -> Iterator[Spec]:
    for name, kind in probes:
        if kind == "agent":
            yield {
                "name": f"{service}-agents-down",
                "metric": "osmon_probe_agents_down",
                "comparison": "gt",
                "threshold": 0,
                "aggregation": "max",
                "severity": "critical",
                "labels": {"check": name},
                "resource_query": probe_query(service, name),
                "description": f"{service}: agents reported down by their API for 5 minutes",
            }
            return


def _backlog(service: str, entry: ServiceType, probes: Probes) -> Iterator[Spec]:
    for name, kind in probes:
        if kind == "gnocchi":
            yield {
                "name": f"{service}-backlog-growing",
                "metric": "openstack_gnocchi_status_measures_to_process",
                "comparison": "gt",
                "threshold": 10000,
                "aggregation": "max",
                "granularity": 300,
                "for": "15m",
                "labels": {"check": name},
                "resource_query": probe_query(service, name),
                "description": f"{service}: over 10000 measures waiting for metricd for 15 min",
            }
            return


def _queue(service: str, entry: ServiceType, probes: Probes) -> Iterator[Spec]:
    for _name, kind in probes:
        if kind == "rabbitmq":
            sel = f'service="{service}",queue=~"(versioned_)?notifications\\\\..+"'
            yield {
                "name": f"{service}-notifications-no-consumer",
                "type": "prometheus",
                "expr": f"(rabbitmq_queue_messages{{{sel}}} > 0) and on (target, vhost, queue) "
                f"(rabbitmq_queue_consumers{{{sel}}} == 0)",
                "for": "10m",
                "description": f"{service}: a notification queue fills and nobody consumes it",
            }
            return


def _api_errors(service: str, entry: ServiceType, probes: Probes) -> Iterator[Spec]:
    if entry.category == "openstack" and entry.keystone_service_type and entry.logs:
        total = f'openstack_api_requests_total{{service="{service}"}}'
        errors = f'openstack_api_requests_total{{service="{service}",status_class="5xx"}}'
        yield {
            "name": f"{service}-api-5xx",
            "type": "prometheus",
            "expr": f"sum(rate({errors}[5m])) / sum(rate({total}[5m])) > 0.05",
            "for": "10m",
            "description": f"{service}: over 5% of API requests answered 5xx (access logs)",
        }


def _certificate(service: str, entry: ServiceType, probes: Probes) -> Iterator[Spec]:
    for name, kind in probes:
        if kind == "tls":
            yield {
                "name": f"{service}-certificate-expiring",
                "metric": "osmon_probe_days_left",
                "comparison": "lt",
                "threshold": 14,
                "aggregation": "min",
                "labels": {"check": name},
                "resource_query": probe_query(service, name),
                "description": f"{service}: a TLS certificate expires within 14 days",
            }
            return


RULES: tuple[DefaultRule, ...] = (
    DefaultRule(
        "down", "every service with a probe", "`probe_success` min < 1 for 5 min (critical)",
        "Aodh + Prometheus", _down,
    ),
    DefaultRule(
        "agents-down", "services with an `agent` probe (nova/cinder/neutron workers, heat-engine)",
        "`osmon_probe_agents_down` max > 0 for 5 min (critical)", "Aodh + Prometheus", _agents,
    ),
    DefaultRule(
        "backlog-growing", "`gnocchi-api` with a `gnocchi` probe",
        "`openstack_gnocchi_status_measures_to_process` max > 10000 for 15 min (5 min periods)",
        "Aodh + Prometheus", _backlog,
    ),
    DefaultRule(
        "notifications-no-consumer", "`rabbitmq` (its `rabbitmq` probe)",
        "a notification queue with messages and 0 consumers for 10 min", "Prometheus", _queue,
    ),
    DefaultRule(
        "api-5xx", "every OpenStack API service (catalog entries with a Keystone type and logs)",
        "5xx share of `openstack_api_requests_total` (access logs) > 5% for 10 min",
        "Prometheus", _api_errors,
    ),
    DefaultRule(
        "certificate-expiring", "services with a `tls` probe",
        "`osmon_probe_days_left` min < 14 for 5 min (warning)", "Aodh + Prometheus", _certificate,
    ),
)  # fmt: skip


def default_alarms(service: str, entry: ServiceType, probes: Probes) -> list[Spec]:
    """The default alarms of one service, as inventory alarm mappings."""
    return [spec for rule in RULES for spec in rule.build(service, entry, probes)]


def table() -> str:
    """The README's table of default alarms (Markdown)."""
    lines = ["| alarm | services | condition | backends |", "|---|---|---|---|"]
    lines += [
        f"| `<service>-{r.suffix}` | {r.applies} | {r.watches} | {r.backends} |" for r in RULES
    ]
    return "\n".join(lines)
